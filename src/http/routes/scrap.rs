//! `/api/v1/scrap-requests` and `/api/v1/scrap-certificates`: scrapping
//! with approval (4.2.6). Warehouse staff and admins request; planners and
//! admins other than the requester decide; everyone reads. Every POST
//! honours an `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::scrap::{
    self, DecisionBody, ScrapCertificate, ScrapFilter, ScrapRequest, ScrapRequestBody,
};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{IdempotentJson, Json, Path, Query};
use crate::http::idempotency::post_once;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_scrap, list_scrap_requests))
        .routes(routes!(get_scrap_request))
        .routes(routes!(approve_scrap))
        .routes(routes!(reject_scrap))
        .routes(routes!(get_scrap_certificate))
}

post_once! {
    /// Request to scrap units of a part in a warehouse; the value is quantity
    /// x the part's unit cost. 409 `insufficient_stock` when the warehouse
    /// does not hold them. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/scrap-requests", tag = "stock", request_body = ScrapRequestBody,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = ScrapRequest), ApiErrors))]
    request_scrap(caller: Stock, Json(req): ScrapRequestBody) -> CREATED,
    |tx, now| scrap::request(tx, caller.user_id, req.clone(), now)
}

/// List scrap requests, oldest first, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/scrap-requests", tag = "stock", params(ScrapFilter),
    responses((status = 200, body = Page<ScrapRequest>), ApiErrors))]
async fn list_scrap_requests(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<ScrapFilter>,
) -> AppResult<Json<Page<ScrapRequest>>> {
    Ok(Json(scrap::list(&s.db, f).await?))
}

/// One scrap request. Roles: any.
#[utoipa::path(get, path = "/api/v1/scrap-requests/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = ScrapRequest), ApiErrors))]
async fn get_scrap_request(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<ScrapRequest>> {
    Ok(Json(scrap::get(&s.db, id).await?))
}

post_once! {
    /// Approve a request: posts `warehouse -> scrap` and issues the scrap
    /// certificate. The requester may not approve their own request (409
    /// `conflict`); a decided request is 409 `invalid_transition`; units that
    /// left since the request are 409 `insufficient_stock`. Roles: planner, admin.
    #[utoipa::path(post, path = "/api/v1/scrap-requests/{id}/approve", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = DecisionBody, responses((status = 200, body = ScrapRequest), ApiErrors))]
    approve_scrap(caller: Planning, Path(id): i64, Json(req): DecisionBody) -> OK,
    |tx, now| scrap::approve(tx, caller.user_id, id, req.clone(), now)
}

post_once! {
    /// Reject a request; nothing moves. Roles: planner, admin.
    #[utoipa::path(post, path = "/api/v1/scrap-requests/{id}/reject", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = DecisionBody, responses((status = 200, body = ScrapRequest), ApiErrors))]
    reject_scrap(caller: Planning, Path(id): i64, Json(req): DecisionBody) -> OK,
    |tx, now| scrap::reject(tx, caller.user_id, id, req.clone(), now)
}

/// A scrap certificate by its number (`SC-2026-000123`): part, quantity,
/// serials, value, reason, approver and time. Roles: any.
#[utoipa::path(get, path = "/api/v1/scrap-certificates/{number}", tag = "stock",
    params(("number" = String, Path)),
    responses((status = 200, body = ScrapCertificate), ApiErrors))]
async fn get_scrap_certificate(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(number): Path<String>,
) -> AppResult<Json<ScrapCertificate>> {
    Ok(Json(scrap::certificate(&s.db, &number).await?))
}
