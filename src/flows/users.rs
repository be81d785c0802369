//! Users, roles and API tokens.
//!
//! A token is 192 random bits shown once at creation; only its SHA-256 is
//! stored, so a leaked database does not leak usable tokens. Each request
//! looks the hash up, which keeps `spares serve` instances stateless: a
//! revocation on one instance is seen by all at the next request.
use chrono::{DateTime, Utc};
use entities::vocabulary::Role;
use entities::{api_token, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::store::error::{AppError, AppResult};

/// The authenticated user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
}

impl Caller {
    /// Refuses with 403 unless the caller's role is one of `allowed`.
    pub fn require(&self, allowed: &[Role]) -> AppResult<&Self> {
        if allowed.contains(&self.role) {
            Ok(self)
        } else {
            Err(AppError::Forbidden {
                role: self.role,
                allowed: allowed.to_vec(),
            })
        }
    }
}

/// The user a live token belongs to, or `None` for an unknown, revoked or
/// deactivated one.
pub async fn authenticate(db: &impl ConnectionTrait, token: &str) -> AppResult<Option<Caller>> {
    // One query (token joined to its user): every request pays for it.
    let Some((_, Some(user_row))) = api_token::Entity::find()
        .find_also_related(user::Entity)
        .filter(api_token::Column::TokenHash.eq(hash_token(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !user_row.active {
        return Ok(None);
    }
    Ok(Some(Caller {
        user_id: user_row.id,
        name: user_row.name,
        role: user_row.role,
    }))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Prefix of every token, so secret scanners can recognise them.
const TOKEN_PREFIX: &str = "spk_";

fn new_token_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// A token as listed: never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub role: Role,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_at: chrono::DateTime<Utc>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

/// A freshly created token: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewToken {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// Creates a token for user `name`, creating the user with `role` if it does
/// not exist. An existing user keeps one role: asking for another is refused.
pub async fn create_token(
    db: &impl ConnectionTrait,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> AppResult<NewToken> {
    let mut v = crate::core::Validator::new();
    v.text("name", name, 100).check(
        name.trim() == name,
        "name",
        "must not start or end with white space",
    );
    v.finish()?;
    let user_row = find_or_create_user(db, name, role, now).await?;
    let secret = new_token_secret();
    let row = api_token::ActiveModel {
        user_id: Set(user_row.id),
        token_hash: Set(hash_token(&secret)),
        prefix: Set(secret[..12].to_owned()),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(NewToken {
        token: secret,
        info: token_info(row, &user_row)?,
    })
}

/// User `name`, created with `role` if new. An existing user keeps its one
/// role (another is refused) and must be active.
async fn find_or_create_user(
    db: &impl ConnectionTrait,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    let existing = user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await?;
    Ok(match existing {
        Some(u) if u.role != role => {
            return Err(AppError::Conflict(format!(
                "user `{name}` exists with role {}; a user has exactly one role",
                u.role
            )));
        }
        Some(u) if !u.active => {
            return Err(AppError::Conflict(format!("user `{name}` is deactivated")));
        }
        Some(u) => u,
        None => {
            user::ActiveModel {
                name: Set(name.to_owned()),
                role: Set(role),
                active: Set(true),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    })
}

/// The id of the user a command-line job acts as (e.g. `spares import`),
/// created with `role` on first use, so what it writes is recorded under a
/// name like any other change.
pub async fn service_user(
    db: &impl ConnectionTrait,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(find_or_create_user(db, name, role, now).await?.id)
}

fn token_info(row: api_token::Model, user_row: &user::Model) -> AppResult<TokenInfo> {
    Ok(TokenInfo {
        id: row.id,
        user_id: user_row.id,
        user_name: user_row.name.clone(),
        role: user_row.role,
        prefix: row.prefix,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    })
}

/// Every token, newest first, with its user.
pub async fn list_tokens(db: &impl ConnectionTrait) -> AppResult<Vec<TokenInfo>> {
    let rows = api_token::Entity::find()
        .find_also_related(user::Entity)
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .filter_map(|(t, u)| u.map(|u| token_info(t, &u)))
        .collect()
}

/// Revokes a token at `now`; revoking twice is harmless and keeps the first time.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<TokenInfo> {
    let row = api_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("token"))?;
    let user_row = user::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let row = if row.revoked_at.is_none() {
        let mut active: api_token::ActiveModel = row.into();
        active.revoked_at = Set(Some(now));
        active.update(db).await?
    } else {
        row
    };
    token_info(row, &user_row)
}
