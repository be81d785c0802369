//! `/api/v1/stock`: the ledger and warehouse operations. Everyone reads;
//! warehouse staff and admins post. Every POST that changes stock honours
//! an `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::stock::documents::{
    self, ConditionChangeRequest, IssueRequest, ReceiptRequest, ReverseRequest,
};
use crate::flows::stock::queries::{
    self, DocumentFilter, DocumentSummary, MovementFilter, PartTotal, StockFilter, StockLevel,
    TotalsFilter,
};
use crate::flows::stock::reservations::{
    self, ConsumeRequest, Reservation, ReservationFilter, ReserveRequest,
};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{IdempotentCall, IdempotentJson, Json, Path, Query};
use crate::http::idempotency::post_once;
use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{self, Document, Movement};
use crate::store::paging::Page;
use crate::store::verify::{self, VerifyReport};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stock_levels))
        .routes(routes!(list_movements))
        .routes(routes!(post_receipt))
        .routes(routes!(post_issue))
        .routes(routes!(post_condition_change))
        .routes(routes!(get_document))
        .routes(routes!(reverse_document))
        .routes(routes!(create_reservation, list_reservations))
        .routes(routes!(get_reservation))
        .routes(routes!(release_reservation))
        .routes(routes!(consume_reservation))
        .routes(routes!(verify_ledger))
        .routes(routes!(list_documents))
        .routes(routes!(stock_totals))
}

/// On-hand, reserved, available and value per part, warehouse and condition. Roles: any.
#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", params(StockFilter),
    responses((status = 200, body = Page<StockLevel>), ApiErrors))]
async fn stock_levels(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<StockFilter>,
) -> AppResult<Json<Page<StockLevel>>> {
    Ok(Json(queries::stock(&s.db, f).await?))
}

/// Movement history by part, warehouse or document, oldest first, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/stock/movements", tag = "stock", params(MovementFilter),
    responses((status = 200, body = Page<Movement>), ApiErrors))]
async fn list_movements(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<MovementFilter>,
) -> AppResult<Json<Page<Movement>>> {
    Ok(Json(queries::movements(&s.db, f).await?))
}

post_once! {
    /// Post a receipt (inbound order). Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stock/receipts", tag = "stock", request_body = ReceiptRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = Document), ApiErrors))]
    post_receipt(caller: Stock, Json(req): ReceiptRequest) -> CREATED,
    |tx, now| documents::receive(tx, caller.user_id, req.clone(), now)
}

post_once! {
    /// Post an issue (outbound order); refused whole with 409 `insufficient_stock`
    /// when any line's available stock is short. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stock/issues", tag = "stock", request_body = IssueRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = Document), ApiErrors))]
    post_issue(caller: Stock, Json(req): IssueRequest) -> CREATED,
    |tx, now| documents::issue(tx, caller.user_id, req.clone(), now)
}

post_once! {
    /// Move stock between conditions within a warehouse (e.g. good -> quarantined).
    /// Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stock/condition-changes", tag = "stock",
        request_body = ConditionChangeRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = Document), ApiErrors))]
    post_condition_change(caller: Stock, Json(req): ConditionChangeRequest) -> CREATED,
    |tx, now| documents::change_condition(tx, caller.user_id, req.clone(), now)
}

/// A document and its movements. Roles: any.
#[utoipa::path(get, path = "/api/v1/stock/documents/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = Document), ApiErrors))]
async fn get_document(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Document>> {
    Ok(Json(
        ledger::load(&s.db, id)
            .await?
            .ok_or(AppError::NotFound("document"))?,
    ))
}

post_once! {
    /// Correct a mistake: post the exact opposite of a document, once.
    /// Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stock/documents/{id}/reverse", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = ReverseRequest, responses((status = 201, body = Document), ApiErrors))]
    reverse_document(caller: Stock, Path(id): i64, Json(req): ReverseRequest) -> CREATED,
    |tx, now| {
        let (actor, req) = (caller.user_id, req.clone());
        async move { documents::reverse(tx, actor, id, req, now).await }
    }
}

post_once! {
    /// Hold units for a purpose. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stock/reservations", tag = "stock", request_body = ReserveRequest,
        params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = Reservation), ApiErrors))]
    create_reservation(caller: Stock, Json(req): ReserveRequest) -> CREATED,
    |tx, now| reservations::reserve(tx, caller.user_id, req.clone(), now)
}

/// List reservations. Roles: any.
#[utoipa::path(get, path = "/api/v1/stock/reservations", tag = "stock", params(ReservationFilter),
    responses((status = 200, body = Page<Reservation>), ApiErrors))]
async fn list_reservations(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<ReservationFilter>,
) -> AppResult<Json<Page<Reservation>>> {
    Ok(Json(reservations::list(&s.db, f).await?))
}

/// One reservation. Roles: any.
#[utoipa::path(get, path = "/api/v1/stock/reservations/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = Reservation), ApiErrors))]
async fn get_reservation(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Reservation>> {
    Ok(Json(reservations::get(&s.db, id).await?))
}

post_once! {
    /// Let go of a reservation. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stock/reservations/{id}/release", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = Reservation), ApiErrors))]
    release_reservation(caller: Stock, Path(id): i64) -> OK,
    |tx, now| async move { reservations::release(tx, id, now).await }
}

post_once! {
    /// Issue the reserved units. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/stock/reservations/{id}/consume", tag = "stock",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = ConsumeRequest, responses((status = 201, body = Document), ApiErrors))]
    consume_reservation(caller: Stock, Path(id): i64, Json(req): ConsumeRequest) -> CREATED,
    |tx, now| {
        let (actor, req) = (caller.user_id, req.clone());
        async move { reservations::consume(tx, actor, id, req, now).await }
    }
}

/// Rebuild every balance from the ledger and report any drift. Roles: admin.
#[utoipa::path(get, path = "/api/v1/admin/verify", tag = "admin",
    responses((status = 200, body = VerifyReport), ApiErrors))]
async fn verify_ledger(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
) -> AppResult<Json<VerifyReport>> {
    Ok(Json(verify::verify(&s.db).await?))
}

/// The documents posted on a day (`date`) or in a window (`from`/`to`), of
/// a kind, at a warehouse: the day's work at a glance, oldest first.
/// Roles: any.
#[utoipa::path(get, path = "/api/v1/stock/documents", tag = "stock", params(DocumentFilter),
    responses((status = 200, body = Page<DocumentSummary>), ApiErrors))]
async fn list_documents(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<DocumentFilter>,
) -> AppResult<Json<Page<DocumentSummary>>> {
    Ok(Json(queries::documents(&s.db, f).await?))
}

/// Stock per part across every warehouse, in one condition (default
/// `good`), paged by part. Roles: any.
#[utoipa::path(get, path = "/api/v1/stock/totals", tag = "stock", params(TotalsFilter),
    responses((status = 200, body = Page<PartTotal>), ApiErrors))]
async fn stock_totals(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<TotalsFilter>,
) -> AppResult<Json<Page<PartTotal>>> {
    Ok(Json(queries::totals(&s.db, f).await?))
}
