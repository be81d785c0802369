//! `/api/v1/warehouses` and `/api/v1/lanes`: the supply network. Everyone
//! reads; only admins change it.
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::master::lanes::{self, Lane, LaneFields, LaneFilter, LanePatch};
use crate::flows::master::warehouses::{
    self, Warehouse, WarehouseFields, WarehouseFilter, WarehousePatch,
};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::db;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_warehouse, list_warehouses))
        .routes(routes!(get_warehouse, update_warehouse))
        .routes(routes!(deactivate_warehouse))
        .routes(routes!(activate_warehouse))
        .routes(routes!(create_lane, list_lanes))
        .routes(routes!(get_lane, update_lane))
        .routes(routes!(deactivate_lane))
        .routes(routes!(activate_lane))
}

/// Create a warehouse. Roles: admin.
#[utoipa::path(post, path = "/api/v1/warehouses", tag = "network", request_body = WarehouseFields,
    responses((status = 201, body = Warehouse), ApiErrors))]
async fn create_warehouse(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Json(body): Json<WarehouseFields>,
) -> AppResult<(StatusCode, Json<Warehouse>)> {
    let row = db::write(&s.db, |tx| Box::pin(warehouses::create(tx, body.clone()))).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// List warehouses, filtered, in pages. Roles: any.
#[utoipa::path(get, path = "/api/v1/warehouses", tag = "network", params(WarehouseFilter),
    responses((status = 200, body = Page<Warehouse>), ApiErrors))]
async fn list_warehouses(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(filter): Query<WarehouseFilter>,
) -> AppResult<Json<Page<Warehouse>>> {
    Ok(Json(warehouses::list(&s.db, filter).await?))
}

/// Get one warehouse. Roles: any.
#[utoipa::path(get, path = "/api/v1/warehouses/{id}", tag = "network", params(("id" = i64, Path)),
    responses((status = 200, body = Warehouse), ApiErrors))]
async fn get_warehouse(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Warehouse>> {
    Ok(Json(warehouses::get(&s.db, id).await?))
}

/// Change some fields of a warehouse. Roles: admin.
#[utoipa::path(patch, path = "/api/v1/warehouses/{id}", tag = "network", params(("id" = i64, Path)),
    request_body = WarehousePatch, responses((status = 200, body = Warehouse), ApiErrors))]
async fn update_warehouse(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
    Json(body): Json<WarehousePatch>,
) -> AppResult<Json<Warehouse>> {
    Ok(Json(
        db::write(&s.db, |tx| {
            Box::pin(warehouses::update(tx, id, body.clone()))
        })
        .await?,
    ))
}

/// Deactivate a warehouse: it stays readable and keeps its stock history, but can no longer be chosen as a parent, lane end or serving warehouse. Roles: admin.
#[utoipa::path(post, path = "/api/v1/warehouses/{id}/deactivate", tag = "network",
    params(("id" = i64, Path)), responses((status = 200, body = Warehouse), ApiErrors))]
async fn deactivate_warehouse(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<Warehouse>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(warehouses::set_active(tx, id, false))).await?,
    ))
}

/// Reactivate a warehouse. Roles: admin.
#[utoipa::path(post, path = "/api/v1/warehouses/{id}/activate", tag = "network",
    params(("id" = i64, Path)), responses((status = 200, body = Warehouse), ApiErrors))]
async fn activate_warehouse(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<Warehouse>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(warehouses::set_active(tx, id, true))).await?,
    ))
}

/// Create a lane. Roles: admin.
#[utoipa::path(post, path = "/api/v1/lanes", tag = "network", request_body = LaneFields,
    responses((status = 201, body = Lane), ApiErrors))]
async fn create_lane(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Json(body): Json<LaneFields>,
) -> AppResult<(StatusCode, Json<Lane>)> {
    let row = db::write(&s.db, |tx| Box::pin(lanes::create(tx, body.clone()))).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// List lanes, filtered, in pages. Roles: any.
#[utoipa::path(get, path = "/api/v1/lanes", tag = "network", params(LaneFilter),
    responses((status = 200, body = Page<Lane>), ApiErrors))]
async fn list_lanes(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(filter): Query<LaneFilter>,
) -> AppResult<Json<Page<Lane>>> {
    Ok(Json(lanes::list(&s.db, filter).await?))
}

/// Get one lane. Roles: any.
#[utoipa::path(get, path = "/api/v1/lanes/{id}", tag = "network", params(("id" = i64, Path)),
    responses((status = 200, body = Lane), ApiErrors))]
async fn get_lane(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Lane>> {
    Ok(Json(lanes::get(&s.db, id).await?))
}

/// Change some fields of a lane. Roles: admin.
#[utoipa::path(patch, path = "/api/v1/lanes/{id}", tag = "network", params(("id" = i64, Path)),
    request_body = LanePatch, responses((status = 200, body = Lane), ApiErrors))]
async fn update_lane(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
    Json(body): Json<LanePatch>,
) -> AppResult<Json<Lane>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(lanes::update(tx, id, body.clone()))).await?,
    ))
}

/// Deactivate a lane: it stays readable but is no longer used for routing. Roles: admin.
#[utoipa::path(post, path = "/api/v1/lanes/{id}/deactivate", tag = "network",
    params(("id" = i64, Path)), responses((status = 200, body = Lane), ApiErrors))]
async fn deactivate_lane(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<Lane>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(lanes::set_active(tx, id, false))).await?,
    ))
}

/// Reactivate a lane. Roles: admin.
#[utoipa::path(post, path = "/api/v1/lanes/{id}/activate", tag = "network",
    params(("id" = i64, Path)), responses((status = 200, body = Lane), ApiErrors))]
async fn activate_lane(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<Lane>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(lanes::set_active(tx, id, true))).await?,
    ))
}
