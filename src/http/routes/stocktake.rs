//! `/api/v1/stocktakes`: physical counts of a warehouse, their review, and
//! the approval that posts the adjustment. Warehouse staff and admins open,
//! count and cancel; planners and admins approve; everyone reads. Every POST
//! honours an `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::stock::stocktake::{
    self, AccuracyFilter, AccuracyReport, CountRequest, OpenRequest, Stocktake, StocktakeFilter,
    StocktakeSummary,
};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{IdempotentCall, IdempotentJson, Json, Path, Query};
use crate::http::idempotency::post_once;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_stocktake, list_stocktakes))
        .routes(routes!(stocktake_accuracy))
        .routes(routes!(get_stocktake))
        .routes(routes!(record_counts))
        .routes(routes!(approve_stocktake))
        .routes(routes!(cancel_stocktake))
}

post_once! {
    /// Open a count of a warehouse (all parts with stock, or the listed ones),
    /// snapshotting on-hand per part and condition. 409 `conflict` while another
    /// open count of the warehouse covers one of the parts. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stocktakes", tag = "stock", request_body = OpenRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = Stocktake), ApiErrors))]
    open_stocktake(caller: Stock, Json(req): OpenRequest) -> CREATED,
    |tx, now| stocktake::open(tx, caller.user_id, req.clone(), now)
}

/// List counts, newest last, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/stocktakes", tag = "stock", params(StocktakeFilter),
    responses((status = 200, body = Page<StocktakeSummary>), ApiErrors))]
async fn list_stocktakes(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<StocktakeFilter>,
) -> AppResult<Json<Page<StocktakeSummary>>> {
    Ok(Json(stocktake::list(&s.db, f).await?))
}

/// Inventory accuracy per warehouse over the counts approved in
/// `[from, to)`: share of lines without variance, units over and short,
/// absolute variance value at current unit cost. Roles: any.
#[utoipa::path(get, path = "/api/v1/stocktakes/accuracy", tag = "stock", params(AccuracyFilter),
    responses((status = 200, body = AccuracyReport), ApiErrors))]
async fn stocktake_accuracy(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<AccuracyFilter>,
) -> AppResult<Json<AccuracyReport>> {
    Ok(Json(stocktake::accuracy(&s.db, f).await?))
}

/// The review of a count: per line the snapshot, the system quantity at
/// counting, the count, the variance in units and value, and the totals.
/// Roles: any.
#[utoipa::path(get, path = "/api/v1/stocktakes/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = Stocktake), ApiErrors))]
async fn get_stocktake(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Stocktake>> {
    Ok(Json(stocktake::get(&s.db, id).await?))
}

post_once! {
    /// Record counted quantities of an open count; a line counted again is
    /// overwritten. A part in the count found in a new condition gets a line of
    /// its own; a part not in the count is refused. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stocktakes/{id}/counts", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = CountRequest, responses((status = 200, body = Stocktake), ApiErrors))]
    record_counts(caller: Stock, Path(id): i64, Json(req): CountRequest) -> OK,
    |tx, now| stocktake::count(tx, caller.user_id, id, req.clone(), now)
}

post_once! {
    /// Approve a fully counted count: posts one `stocktake_adjustment` document
    /// with a movement per non-zero variance, whole or not at all (409
    /// `insufficient_stock` when units to write off have left since). Roles:
    /// planner, admin.
    #[utoipa::path(post, path = "/api/v1/stocktakes/{id}/approve", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Stocktake), ApiErrors))]
    approve_stocktake(caller: Planning, Path(id): i64) -> OK,
    |tx, now| stocktake::approve(tx, caller.user_id, id, now)
}

post_once! {
    /// Abandon an open count; nothing is posted. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stocktakes/{id}/cancel", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Stocktake), ApiErrors))]
    cancel_stocktake(caller: Stock, Path(id): i64) -> OK,
    |tx, now| stocktake::cancel(tx, id, now)
}
