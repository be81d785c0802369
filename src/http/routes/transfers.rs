//! `/api/v1/transfers`, `/api/v1/shipments` and `/api/v1/in-transit`:
//! transfers between warehouses with their shipments and proof of delivery
//! (processes 4.2.2 and 4.2.5). Warehouse staff and admins act; everyone
//! reads. Every POST honours an `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::shipments::{
    self, CustomsRequest, DeliverRequest, Shipment, ShipmentFilter,
};
use crate::flows::logistics::transfers::{
    self, CreateRequest, InTransitFilter, InTransitReport, ReceiveRequest, ShipRequest, Transfer,
    TransferFilter, TransferSummary,
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
        .routes(routes!(create_transfer, list_transfers))
        .routes(routes!(get_transfer))
        .routes(routes!(ship_transfer))
        .routes(routes!(receive_transfer))
        .routes(routes!(close_transfer))
        .routes(routes!(cancel_transfer))
        .routes(routes!(in_transit))
        .routes(routes!(list_shipments))
        .routes(routes!(get_shipment))
        .routes(routes!(deliver_shipment))
        .routes(routes!(clear_customs))
}

post_once! {
    /// Create a draft transfer between two active warehouses. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/transfers", tag = "logistics", request_body = CreateRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = Transfer), ApiErrors))]
    create_transfer(caller: Stock, Json(req): CreateRequest) -> CREATED,
    |tx, now| transfers::create(tx, caller.user_id, req.clone(), now)
}

/// List transfers, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "logistics", params(TransferFilter),
    responses((status = 200, body = Page<TransferSummary>), ApiErrors))]
async fn list_transfers(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<TransferFilter>,
) -> AppResult<Json<Page<TransferSummary>>> {
    Ok(Json(transfers::list(&s.db, f).await?))
}

/// A transfer with its lines (shipped, received, outstanding, in transit by
/// the ledger), its shipment and the actions allowed next. Roles: any.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "logistics", params(("id" = i64, Path)),
    responses((status = 200, body = Transfer), ApiErrors))]
async fn get_transfer(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Transfer>> {
    Ok(Json(transfers::get(&s.db, id).await?))
}

post_once! {
    /// Ship a draft: one `transfer_shipment` document moves every line from the
    /// source warehouse's good stock to in-transit (refused whole with 409
    /// `insufficient_stock`), and a shipment is created whose estimated arrival
    /// comes from the lane's transit time (422 on `to_warehouse_id` when there
    /// is no active lane and no `estimated_arrival_at`). Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/transfers/{id}/ship", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = ShipRequest, responses((status = 200, body = Transfer), ApiErrors))]
    ship_transfer(caller: Stock, Path(id): i64, Json(req): ShipRequest) -> OK,
    |tx, now| transfers::ship(tx, caller.user_id, id, req.clone(), now)
}

post_once! {
    /// Receive (part of) a shipped transfer: good units to good stock, damaged
    /// to quarantine, short units written off, excess booked as good. The
    /// transfer becomes `received` once every shipped unit is accounted for.
    /// Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/transfers/{id}/receive", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = ReceiveRequest, responses((status = 200, body = Transfer), ApiErrors))]
    receive_transfer(caller: Stock, Path(id): i64, Json(req): ReceiveRequest) -> OK,
    |tx, now| transfers::receive(tx, caller.user_id, id, req.clone(), now)
}

post_once! {
    /// Close a received transfer. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/transfers/{id}/close", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Transfer), ApiErrors))]
    close_transfer(caller: Stock, Path(id): i64) -> OK,
    |tx, now| transfers::close(tx, id, now)
}

post_once! {
    /// Cancel a draft transfer; nothing is posted. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/transfers/{id}/cancel", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Transfer), ApiErrors))]
    cancel_transfer(caller: Stock, Path(id): i64) -> OK,
    |tx, now| transfers::cancel(tx, id, now)
}

/// Stock in transit per lane and per transfer, from the ledger. Roles: any.
#[utoipa::path(get, path = "/api/v1/in-transit", tag = "logistics", params(InTransitFilter),
    responses((status = 200, body = InTransitReport), ApiErrors))]
async fn in_transit(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<InTransitFilter>,
) -> AppResult<Json<InTransitReport>> {
    Ok(Json(transfers::in_transit(&s.db, f).await?))
}

/// List shipments by kind, status and mode, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "logistics", params(ShipmentFilter),
    responses((status = 200, body = Page<Shipment>), ApiErrors))]
async fn list_shipments(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<ShipmentFilter>,
) -> AppResult<Json<Page<Shipment>>> {
    Ok(Json(shipments::list(&s.db, f).await?))
}

/// A shipment with its proof of delivery. Roles: any.
#[utoipa::path(get, path = "/api/v1/shipments/{id}", tag = "logistics", params(("id" = i64, Path)),
    responses((status = 200, body = Shipment), ApiErrors))]
async fn get_shipment(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Shipment>> {
    Ok(Json(shipments::get(&s.db, id).await?))
}

post_once! {
    /// Record proof of delivery (receiver, note, time). An international
    /// shipment must have cleared customs first. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/shipments/{id}/deliver", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = DeliverRequest, responses((status = 200, body = Shipment), ApiErrors))]
    deliver_shipment(caller: Stock, Path(id): i64, Json(req): DeliverRequest) -> OK,
    |tx, now| shipments::deliver(tx, id, req.clone(), now)
}

post_once! {
    /// Record that an international shipment cleared customs. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/shipments/{id}/customs-cleared", tag = "logistics",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = CustomsRequest, responses((status = 200, body = Shipment), ApiErrors))]
    clear_customs(caller: Stock, Path(id): i64, Json(req): CustomsRequest) -> OK,
    |tx, now| shipments::clear_customs(tx, id, req.clone(), now)
}
