//! `/api/v1/parts`: part master data. Everyone reads; planners and admins write.
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::master::parts::{self, Part, PartFields, PartFilter, PartPatch};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::db;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_part, list_parts))
        .routes(routes!(get_part, update_part))
        .routes(routes!(deactivate_part))
        .routes(routes!(activate_part))
}

/// Create a part. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/parts", tag = "parts", request_body = PartFields,
    responses((status = 201, body = Part), ApiErrors))]
async fn create_part(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Json(body): Json<PartFields>,
) -> AppResult<(StatusCode, Json<Part>)> {
    let part = db::write(&s.db, |tx| Box::pin(parts::create(tx, body.clone()))).await?;
    Ok((StatusCode::CREATED, Json(part)))
}

/// List parts, filtered, in pages. Roles: any.
#[utoipa::path(get, path = "/api/v1/parts", tag = "parts", params(PartFilter),
    responses((status = 200, body = Page<Part>), ApiErrors))]
async fn list_parts(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(filter): Query<PartFilter>,
) -> AppResult<Json<Page<Part>>> {
    Ok(Json(parts::list(&s.db, filter).await?))
}

/// Get one part. Roles: any.
#[utoipa::path(get, path = "/api/v1/parts/{id}", tag = "parts", params(("id" = i64, Path)),
    responses((status = 200, body = Part), ApiErrors))]
async fn get_part(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Part>> {
    Ok(Json(parts::get(&s.db, id).await?))
}

/// Change some fields of a part. Roles: admin, planner.
#[utoipa::path(patch, path = "/api/v1/parts/{id}", tag = "parts", params(("id" = i64, Path)),
    request_body = PartPatch, responses((status = 200, body = Part), ApiErrors))]
async fn update_part(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
    Json(body): Json<PartPatch>,
) -> AppResult<Json<Part>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(parts::update(tx, id, body.clone()))).await?,
    ))
}

/// Deactivate a part: it stays readable but no longer planned. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/parts/{id}/deactivate", tag = "parts",
    params(("id" = i64, Path)), responses((status = 200, body = Part), ApiErrors))]
async fn deactivate_part(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Part>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(parts::set_active(tx, id, false))).await?,
    ))
}

/// Reactivate a part. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/parts/{id}/activate", tag = "parts",
    params(("id" = i64, Path)), responses((status = 200, body = Part), ApiErrors))]
async fn activate_part(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Part>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(parts::set_active(tx, id, true))).await?,
    ))
}
