//! `/api/v1/purchase-orders`, `/api/v1/stock-levels` and
//! `/api/v1/replenishment`: purchasing and replenishment (4.2.2). Planners
//! and admins order, cancel and set stock levels; warehouse staff and admins
//! receive; everyone reads. Every POST honours an `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::purchasing::{
    self, NewPurchaseOrder, OrderFilter, PurchaseOrder, PurchaseReceipt, PurchaseReceiveRequest,
};
use crate::flows::logistics::replenishment::{
    self, LevelFilter, ReorderLevel, ReorderLevelRequest, ReplenishmentOrderRequest,
    ReplenishmentSuggestions, SuggestionQuery,
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
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order))
        .routes(routes!(receive_order))
        .routes(routes!(cancel_order))
        .routes(routes!(list_levels))
        .routes(routes!(set_level))
        .routes(routes!(suggestions))
        .routes(routes!(replenishment_order))
}

post_once! {
    /// Order parts from a supplier for a warehouse. Roles: planner, admin.
    #[utoipa::path(post, path = "/api/v1/purchase-orders", tag = "logistics", request_body = NewPurchaseOrder,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = PurchaseOrder), ApiErrors))]
    create_order(caller: Planning, Json(req): NewPurchaseOrder) -> CREATED,
    |tx, now| purchasing::create(tx, caller.user_id, req.clone(), now)
}

/// List purchase orders with their lines, oldest first, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/purchase-orders", tag = "logistics", params(OrderFilter),
    responses((status = 200, body = Page<PurchaseOrder>), ApiErrors))]
async fn list_orders(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<OrderFilter>,
) -> AppResult<Json<Page<PurchaseOrder>>> {
    Ok(Json(purchasing::list(&s.db, f).await?))
}

/// One purchase order with its lines and receipt documents. Roles: any.
#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", tag = "logistics",
    params(("id" = i64, Path)), responses((status = 200, body = PurchaseOrder), ApiErrors))]
async fn get_order(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<PurchaseOrder>> {
    Ok(Json(purchasing::get(&s.db, id).await?))
}

post_once! {
    /// Receive a delivery against an open or partially received order: posts a
    /// `purchase_receipt` document (supplier -> warehouse). Receiving more than
    /// a line's outstanding quantity is 422 naming the line; a received or
    /// cancelled order is 409 `invalid_transition`. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/receive", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = PurchaseReceiveRequest, responses((status = 201, body = PurchaseReceipt), ApiErrors))]
    receive_order(caller: Stock, Path(id): i64, Json(req): PurchaseReceiveRequest) -> CREATED,
    |tx, now| purchasing::receive(tx, caller.user_id, id, req.clone(), now)
}

post_once! {
    /// Cancel an order nothing has been received against; otherwise 409
    /// `invalid_transition`. Roles: planner, admin.
    #[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/cancel", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = PurchaseOrder), ApiErrors))]
    cancel_order(caller: Planning, Path(id): i64) -> OK,
    |tx, now| purchasing::cancel(tx, id, now)
}

/// Reorder points and maximum levels by warehouse and part. Roles: any.
#[utoipa::path(get, path = "/api/v1/stock-levels", tag = "logistics", params(LevelFilter),
    responses((status = 200, body = Page<ReorderLevel>), ApiErrors))]
async fn list_levels(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<LevelFilter>,
) -> AppResult<Json<Page<ReorderLevel>>> {
    Ok(Json(replenishment::list_levels(&s.db, f).await?))
}

/// Set the reorder point and maximum level of a part in a warehouse
/// (`max_level >= reorder_point >= 0`). Roles: planner, admin.
#[utoipa::path(put, path = "/api/v1/stock-levels/{warehouse_id}/{part_id}", tag = "logistics",
    params(("warehouse_id" = i64, Path), ("part_id" = i64, Path)),
    request_body = ReorderLevelRequest, responses((status = 200, body = ReorderLevel), ApiErrors))]
async fn set_level(
    State(s): State<AppState>,
    caller: Authorized<roles::Planning>,
    Path((warehouse_id, part_id)): Path<(i64, i64)>,
    Json(req): Json<ReorderLevelRequest>,
) -> AppResult<Json<ReorderLevel>> {
    let now = s.clock.now();
    Ok(Json(
        replenishment::set_level(&s.db, caller.user_id, warehouse_id, part_id, req, now).await?,
    ))
}

/// Replenishment suggestions of a warehouse: each part with a stock level
/// whose inventory position (on hand + on order + in transit - reserved -
/// backorders) is at or below its reorder point, for `max_level - position`
/// units, from the parent warehouse when it has stock, else a supplier.
/// Roles: any.
#[utoipa::path(get, path = "/api/v1/replenishment/suggestions", tag = "logistics",
    params(SuggestionQuery), responses((status = 200, body = ReplenishmentSuggestions), ApiErrors))]
async fn suggestions(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(q): Query<SuggestionQuery>,
) -> AppResult<Json<ReplenishmentSuggestions>> {
    Ok(Json(
        replenishment::suggestions(&s.db, q.warehouse_id).await?,
    ))
}

post_once! {
    /// Turn accepted suggestions into a purchase order at the parts' unit
    /// costs, expected after the vendor's lead time. Every part needs a stock
    /// level at the warehouse. Roles: planner, admin.
    #[utoipa::path(post, path = "/api/v1/replenishment/orders", tag = "logistics",
        request_body = ReplenishmentOrderRequest, params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = PurchaseOrder), ApiErrors))]
    replenishment_order(caller: Planning, Json(req): ReplenishmentOrderRequest) -> CREATED,
    |tx, now| replenishment::order(tx, caller.user_id, req.clone(), now)
}
