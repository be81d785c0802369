//! `/api/v1/returns`: field returns and returns to vendor (4.2.6).
//! Warehouse staff and admins create and move them; everyone reads. Every
//! POST honours an `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::returns::{self, Return, ReturnFilter, ReturnRequest};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{IdempotentCall, IdempotentJson, Json, Path, Query};
use crate::http::idempotency::post_once;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_return, list_returns))
        .routes(routes!(get_return))
        .routes(routes!(ship_return))
        .routes(routes!(receive_return))
        .routes(routes!(cancel_return))
}

post_once! {
    /// Record a return: a `field_return` (site -> warehouse, created in
    /// transit) or a `return_to_vendor` (warehouse -> vendor, created as a
    /// draft). Nothing moves until it is received or shipped. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/returns", tag = "stock", request_body = ReturnRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = Return), ApiErrors))]
    create_return(caller: Stock, Json(req): ReturnRequest) -> CREATED,
    |tx, now| returns::create(tx, caller.user_id, req.clone(), now)
}

/// List returns with their lines, oldest first, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/returns", tag = "stock", params(ReturnFilter),
    responses((status = 200, body = Page<Return>), ApiErrors))]
async fn list_returns(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<ReturnFilter>,
) -> AppResult<Json<Page<Return>>> {
    Ok(Json(returns::list(&s.db, f).await?))
}

/// A return with its lines and the actions allowed next. Roles: any.
#[utoipa::path(get, path = "/api/v1/returns/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = Return), ApiErrors))]
async fn get_return(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Return>> {
    Ok(Json(returns::get(&s.db, id).await?))
}

post_once! {
    /// Ship a draft return to vendor: posts `warehouse -> supplier`, whole or
    /// not at all (409 `insufficient_stock`). Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/returns/{id}/ship", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Return), ApiErrors))]
    ship_return(caller: Stock, Path(id): i64) -> OK,
    |tx, now| returns::ship(tx, caller.user_id, id, now)
}

post_once! {
    /// Receive a return in transit: a field return posts `site -> warehouse
    /// (defective)`; a return to vendor is confirmed by the vendor and
    /// completed. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/returns/{id}/receive", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Return), ApiErrors))]
    receive_return(caller: Stock, Path(id): i64) -> OK,
    |tx, now| returns::receive(tx, caller.user_id, id, now)
}

post_once! {
    /// Cancel a field return in transit or a draft return to vendor; nothing
    /// had moved. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/returns/{id}/cancel", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Return), ApiErrors))]
    cancel_return(caller: Stock, Path(id): i64) -> OK,
    |tx, now| returns::cancel(tx, id, now)
}
