//! `/api/v1/users`, `/api/v1/tokens`, `/api/v1/me`: who may call the API.
//! Admins manage users and tokens; everyone may ask who they are.
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use entities::user;
use entities::vocabulary::Role;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::users::{self, Caller, NewToken, TokenInfo};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path};
use crate::store::db;
use crate::store::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_users))
        .routes(routes!(deactivate_user))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

/// The caller as the service sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
}

/// Who am I? Roles: any.
#[utoipa::path(get, path = "/api/v1/me", tag = "admin", responses((status = 200, body = Me), ApiErrors))]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        user_id: caller.user_id,
        name: caller.name,
        role: caller.role,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
}

impl User {
    fn from_row(row: user::Model) -> AppResult<User> {
        Ok(User {
            role: row.role,
            id: row.id,
            name: row.name,
            active: row.active,
            created_at: row.created_at,
        })
    }
}

/// List users. Roles: admin.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", responses((status = 200, body = Vec<User>), ApiErrors))]
async fn list_users(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
) -> AppResult<Json<Vec<User>>> {
    let rows = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(&s.db)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(User::from_row)
            .collect::<AppResult<_>>()?,
    ))
}

/// Deactivate a user: every token of theirs stops working at once.
/// Admins cannot deactivate themselves. Roles: admin.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = User), ApiErrors))]
async fn deactivate_user(
    State(s): State<AppState>,
    caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<User>> {
    if id == caller.user_id {
        return Err(AppError::Conflict(
            "you cannot deactivate yourself; ask another admin".into(),
        ));
    }
    let user = db::write(&s.db, |tx| {
        Box::pin(async move {
            let row = user::Entity::find_by_id(id)
                .one(tx)
                .await?
                .ok_or(AppError::NotFound("user"))?;
            let mut model: user::ActiveModel = row.into();
            model.active = Set(false);
            Ok(model.update(tx).await?)
        })
    })
    .await?;
    Ok(Json(User::from_row(user)?))
}

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// The user's name; the user is created with `role` if new.
    #[schema(min_length = 1, max_length = 100, pattern = r"^\S(.*\S)?$")]
    pub name: String,
    pub role: Role,
}

/// Create a token; the secret is in this response only. Roles: admin.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewTokenRequest,
    responses((status = 201, body = NewToken), ApiErrors))]
async fn create_token(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Json(body): Json<NewTokenRequest>,
) -> AppResult<(StatusCode, Json<NewToken>)> {
    let now = s.clock.now();
    let token = db::write(&s.db, |tx| {
        let body = body.clone();
        Box::pin(async move { users::create_token(tx, &body.name, body.role, now).await })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// List tokens, never their secrets. Roles: admin.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", responses((status = 200, body = Vec<TokenInfo>), ApiErrors))]
async fn list_tokens(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
) -> AppResult<Json<Vec<TokenInfo>>> {
    Ok(Json(users::list_tokens(&s.db).await?))
}

/// Revoke a token. Roles: admin.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = TokenInfo), ApiErrors))]
async fn revoke_token(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<TokenInfo>> {
    let now = s.clock.now();
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(users::revoke_token(tx, id, now))).await?,
    ))
}
