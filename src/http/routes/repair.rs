//! `/api/v1/repair-orders`: the repair loop (4.2.4). Warehouse staff and
//! admins send defective units and record results; everyone reads. Every
//! POST honours an `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::repair::{
    self, RepairFilter, RepairOrder, ResultRequest, SendRequest,
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
        .routes(routes!(send_to_repair, list_repair_orders))
        .routes(routes!(get_repair_order))
        .routes(routes!(record_repair_result))
}

post_once! {
    /// Send defective units to a repair vendor (or, without `vendor_id`, to the
    /// internal repair centre): posts `warehouse (defective) -> repair_vendor`.
    /// Only defective stock can be sent: good units are refused with 409
    /// `insufficient_stock` naming the `defective` condition. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/repair-orders", tag = "stock", request_body = SendRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = RepairOrder), ApiErrors))]
    send_to_repair(caller: Stock, Json(req): SendRequest) -> CREATED,
    |tx, now| repair::send(tx, caller.user_id, req.clone(), now)
}

/// List repair orders with their lines, oldest first, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/repair-orders", tag = "stock", params(RepairFilter),
    responses((status = 200, body = Page<RepairOrder>), ApiErrors))]
async fn list_repair_orders(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<RepairFilter>,
) -> AppResult<Json<Page<RepairOrder>>> {
    Ok(Json(repair::list(&s.db, f).await?))
}

/// A repair order with the repair record, turnaround and due date of each
/// line: the repair report. Roles: any.
#[utoipa::path(get, path = "/api/v1/repair-orders/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = RepairOrder), ApiErrors))]
async fn get_repair_order(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<RepairOrder>> {
    Ok(Json(repair::get(&s.db, id).await?))
}

post_once! {
    /// Record the repair record of a pending line, once: `repaired` posts
    /// `repair_vendor -> warehouse (good)`, `beyond_repair` posts
    /// `repair_vendor -> scrap`. The order closes with its last result; a
    /// second result or a result on a closed order is 409 `invalid_transition`.
    /// Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{line_id}/result", tag = "stock",
        params(("id" = i64, Path), ("line_id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = ResultRequest, responses((status = 200, body = RepairOrder), ApiErrors))]
    record_repair_result(
        caller: Stock,
        Path((id, line_id)): (i64, i64),
        Json(req): ResultRequest,
    ) -> OK,
    |tx, now| repair::record_result(tx, caller.user_id, id, line_id, req.clone(), now)
}
