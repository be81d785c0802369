//! `/api/v1/vendors`: suppliers and repair vendors. Everyone reads; admins
//! and planners write.
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::master::vendors::{self, Vendor, VendorFields, VendorFilter, VendorPatch};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::db;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_vendor, list_vendors))
        .routes(routes!(get_vendor, update_vendor))
        .routes(routes!(deactivate_vendor))
        .routes(routes!(activate_vendor))
}

/// Create a vendor. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/vendors", tag = "vendors", request_body = VendorFields,
    responses((status = 201, body = Vendor), ApiErrors))]
async fn create_vendor(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Json(body): Json<VendorFields>,
) -> AppResult<(StatusCode, Json<Vendor>)> {
    let row = db::write(&s.db, |tx| Box::pin(vendors::create(tx, body.clone()))).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// List vendors, filtered, in pages. Roles: any.
#[utoipa::path(get, path = "/api/v1/vendors", tag = "vendors", params(VendorFilter),
    responses((status = 200, body = Page<Vendor>), ApiErrors))]
async fn list_vendors(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(filter): Query<VendorFilter>,
) -> AppResult<Json<Page<Vendor>>> {
    Ok(Json(vendors::list(&s.db, filter).await?))
}

/// Get one vendor. Roles: any.
#[utoipa::path(get, path = "/api/v1/vendors/{id}", tag = "vendors", params(("id" = i64, Path)),
    responses((status = 200, body = Vendor), ApiErrors))]
async fn get_vendor(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Vendor>> {
    Ok(Json(vendors::get(&s.db, id).await?))
}

/// Change some fields of a vendor. Roles: admin, planner.
#[utoipa::path(patch, path = "/api/v1/vendors/{id}", tag = "vendors", params(("id" = i64, Path)),
    request_body = VendorPatch, responses((status = 200, body = Vendor), ApiErrors))]
async fn update_vendor(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
    Json(body): Json<VendorPatch>,
) -> AppResult<Json<Vendor>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(vendors::update(tx, id, body.clone()))).await?,
    ))
}

/// Deactivate a vendor: it stays readable but is no longer ordered from. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/vendors/{id}/deactivate", tag = "vendors",
    params(("id" = i64, Path)), responses((status = 200, body = Vendor), ApiErrors))]
async fn deactivate_vendor(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Vendor>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(vendors::set_active(tx, id, false))).await?,
    ))
}

/// Reactivate a vendor. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/vendors/{id}/activate", tag = "vendors",
    params(("id" = i64, Path)), responses((status = 200, body = Vendor), ApiErrors))]
async fn activate_vendor(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Vendor>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(vendors::set_active(tx, id, true))).await?,
    ))
}
