//! `/api/v1/replacement-requests`, `/api/v1/demand-records`,
//! `/api/v1/holidays` and `/api/v1/kpis/replacement-requests`: engineers'
//! replacement-part requests with SLA-aware sourcing (process 4.1.3 into
//! 4.2), the demand they record and the business calendar of their
//! deadlines. Engineers raise requests and see only their own (another's
//! is 404); warehouse staff dispatch, deliver and receive the defective
//! unit; planners and admins see everything. Every POST honours an
//! `Idempotency-Key` header.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::shipments::DeliverRequest;
use crate::flows::master::holidays::{self as holidays, Holiday, HolidayFilter, HolidayRequest};
use crate::flows::replacement::demand::{self, DemandFilter, DemandRecord};
use crate::flows::replacement::kpis::{self, RequestKpiWindow, RequestKpis};
use crate::flows::replacement::{
    self, AnnounceReturn, DispatchRequest, NewReplacementRequest, ReplacementRequest,
    RequestFilter, Viewer,
};
use crate::http::AppState;
use crate::http::auth::{Authorized, Caller, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{IdempotentCall, IdempotentJson, Json, Path, Query};
use crate::http::idempotency::post_once;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_request, list_requests))
        .routes(routes!(get_request))
        .routes(routes!(dispatch_request))
        .routes(routes!(deliver_request))
        .routes(routes!(announce_return))
        .routes(routes!(receive_return))
        .routes(routes!(close_request))
        .routes(routes!(cancel_request))
        .routes(routes!(list_demand_records))
        .routes(routes!(request_kpis))
        .routes(routes!(list_holidays, create_holiday))
        .routes(routes!(delete_holiday))
}

fn viewer(c: &Caller) -> Viewer {
    Viewer {
        user_id: c.user_id,
        role: c.role,
    }
}

post_once! {
    /// Raise a replacement request for a service ticket. The deadline is now
    /// plus the site's SLA response window (business time in the site's time
    /// zone for business-hour classes); the request is sourced and its stock
    /// reserved at once (`sourced`, possibly `sla_at_risk`) or `backordered`.
    /// 422 for an unknown or deactivated site or part, a site without an SLA
    /// class, or a quantity outside 1..1,000,000. Roles: engineer, admin.
    #[utoipa::path(post, path = "/api/v1/replacement-requests", tag = "requests",
        request_body = NewReplacementRequest, params(crate::http::docs::IdempotencyKeyHeader),
        responses((status = 201, body = ReplacementRequest), ApiErrors))]
    create_request(caller: Requesters, Json(req): NewReplacementRequest) -> CREATED,
    |tx, now| replacement::create(tx, viewer(&caller), req.clone(), now)
}

/// List requests, keyset-paged: an engineer's own, everyone's for other
/// roles. Roles: any.
#[utoipa::path(get, path = "/api/v1/replacement-requests", tag = "requests", params(RequestFilter),
    responses((status = 200, body = Page<ReplacementRequest>), ApiErrors))]
async fn list_requests(
    State(s): State<AppState>,
    caller: Authorized<roles::Any>,
    Query(f): Query<RequestFilter>,
) -> AppResult<Json<Page<ReplacementRequest>>> {
    Ok(Json(replacement::list(&s.db, viewer(&caller), f).await?))
}

/// A request with its sourcing, shipment and allowed actions. Another
/// engineer's request is 404. Roles: any.
#[utoipa::path(get, path = "/api/v1/replacement-requests/{id}", tag = "requests",
    params(("id" = i64, Path)), responses((status = 200, body = ReplacementRequest), ApiErrors))]
async fn get_request(
    State(s): State<AppState>,
    caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<ReplacementRequest>> {
    Ok(Json(replacement::get(&s.db, viewer(&caller), id).await?))
}

post_once! {
    /// Dispatch a sourced request: an `issue` document consumes the
    /// reservation, a `dispatch` shipment leaves for the site (ETA from the
    /// route's transit unless given), and a demand record is written.
    /// Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/replacement-requests/{id}/dispatch", tag = "requests",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = DispatchRequest, responses((status = 200, body = ReplacementRequest), ApiErrors))]
    dispatch_request(caller: Stock, Path(id): i64, Json(req): DispatchRequest) -> OK,
    |tx, now| replacement::dispatch(tx, viewer(&caller), id, req.clone(), now)
}

post_once! {
    /// Record proof of delivery of a dispatched request. Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/replacement-requests/{id}/deliver", tag = "requests",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = DeliverRequest, responses((status = 200, body = ReplacementRequest), ApiErrors))]
    deliver_request(caller: Stock, Path(id): i64, Json(req): DeliverRequest) -> OK,
    |tx, now| replacement::deliver(tx, viewer(&caller), id, req.clone(), now)
}

post_once! {
    /// Announce the defective unit on its way back: a field return in transit
    /// to the serving warehouse, linked to the request. Roles: engineer (own
    /// requests), warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/replacement-requests/{id}/return", tag = "requests",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        request_body = AnnounceReturn, responses((status = 200, body = ReplacementRequest), ApiErrors))]
    announce_return(caller: FieldOrStock, Path(id): i64, Json(req): AnnounceReturn) -> OK,
    |tx, now| replacement::announce_return(tx, viewer(&caller), id, req.clone(), now)
}

post_once! {
    /// Receive the defective unit into the serving warehouse's defective stock
    /// (announcing the return first if nobody did). Roles: warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/replacement-requests/{id}/receive-return", tag = "requests",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = ReplacementRequest), ApiErrors))]
    receive_return(caller: Stock, Path(id): i64) -> OK,
    |tx, now| replacement::receive_return(tx, viewer(&caller), id, now)
}

post_once! {
    /// Close a request whose defective unit is back (a consumable part's once
    /// delivered). Roles: engineer (own requests), warehouse, admin.
    #[utoipa::path(post, path = "/api/v1/replacement-requests/{id}/close", tag = "requests",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = ReplacementRequest), ApiErrors))]
    close_request(caller: FieldOrStock, Path(id): i64) -> OK,
    |tx, now| replacement::close(tx, viewer(&caller), id, now)
}

post_once! {
    /// Cancel a request before dispatch; its reservation is released (and may
    /// fill another backorder). Roles: engineer (own requests), admin.
    #[utoipa::path(post, path = "/api/v1/replacement-requests/{id}/cancel", tag = "requests",
        params(("id" = i64, Path), crate::http::docs::IdempotencyKeyHeader),
        responses((status = 200, body = ReplacementRequest), ApiErrors))]
    cancel_request(caller: Requesters, Path(id): i64) -> OK,
    |tx, now| replacement::cancel(tx, viewer(&caller), id, now)
}

/// Demand records (one per dispatch), keyset-paged. Roles: planner,
/// warehouse, admin.
#[utoipa::path(get, path = "/api/v1/demand-records", tag = "requests", params(DemandFilter),
    responses((status = 200, body = Page<DemandRecord>), ApiErrors))]
async fn list_demand_records(
    State(s): State<AppState>,
    _caller: Authorized<roles::Office>,
    Query(f): Query<DemandFilter>,
) -> AppResult<Json<Page<DemandRecord>>> {
    Ok(Json(demand::list(&s.db, f).await?))
}

/// SLA attainment, hit rate, on-time delivery and overdue defective
/// returns over `[from, to)` (see `replacement::kpis` for each definition;
/// the return window is 14 days). Roles: planner, warehouse, admin.
#[utoipa::path(get, path = "/api/v1/kpis/replacement-requests", tag = "requests",
    params(RequestKpiWindow), responses((status = 200, body = RequestKpis), ApiErrors))]
async fn request_kpis(
    State(s): State<AppState>,
    _caller: Authorized<roles::Office>,
    Query(w): Query<RequestKpiWindow>,
) -> AppResult<Json<RequestKpis>> {
    Ok(Json(kpis::compute(&s.db, w, s.clock.now()).await?))
}

/// Holidays of the business calendar. Roles: any.
#[utoipa::path(get, path = "/api/v1/holidays", tag = "requests", params(HolidayFilter),
    responses((status = 200, body = Page<Holiday>), ApiErrors))]
async fn list_holidays(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<HolidayFilter>,
) -> AppResult<Json<Page<Holiday>>> {
    Ok(Json(holidays::list(&s.db, f).await?))
}

/// Add a holiday (a local date, for one site region or every site); later
/// deadlines of business-hour SLA classes skip it. Roles: planner, admin.
#[utoipa::path(post, path = "/api/v1/holidays", tag = "requests", request_body = HolidayRequest,
    responses((status = 201, body = Holiday), ApiErrors))]
async fn create_holiday(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Json(req): Json<HolidayRequest>,
) -> AppResult<(StatusCode, Json<Holiday>)> {
    let now = s.clock.now();
    let h = crate::store::db::write(&s.db, |tx| {
        let req = req.clone();
        Box::pin(async move { holidays::create(tx, req, now).await })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(h)))
}

/// Remove a holiday; deadlines already set keep their value. Roles:
/// planner, admin.
#[utoipa::path(delete, path = "/api/v1/holidays/{id}", tag = "requests",
    params(("id" = i64, Path)), responses((status = 204), ApiErrors))]
async fn delete_holiday(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    crate::store::db::write(&s.db, |tx| {
        Box::pin(async move { holidays::delete(tx, id).await })
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
