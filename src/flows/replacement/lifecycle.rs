//! The lifecycle after sourcing: dispatch (issue + shipment + demand
//! record), proof of delivery, the defective unit's return, close and
//! cancel. Each step claims the request with a conditional status update
//! first, so a concurrent duplicate waits on the row and is then refused,
//! and does its stock effects in the same transaction.
use chrono::{DateTime, Duration, Utc};
use entities::replacement_request::{self, Column as C};
use entities::vocabulary::{RequestStatus, ReturnKind, ReturnStatus, ShipmentKind, ShipmentStatus};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::{
    AnnounceReturn, DispatchRequest, ReplacementRequest, Viewer, demand, get, row, visible,
};
use crate::flows::allocation;
use crate::store::transition::{Transition, refusal};

/// A transition of a replacement request.
type Step = Transition<replacement_request::Entity>;
use crate::core::Validator;
use crate::core::validate::{MAX_NAME, MAX_TEXT};
use entities::vocabulary::{Condition, LocationKind};

use crate::store::error::{AppError, AppResult};

use crate::flows::logistics::returns::{self, ReturnLineRequest};
use crate::flows::stock::documents::IssueDestination;

use crate::flows::logistics::shipments::{self, DeliverRequest, NewShipment};

use crate::flows::stock::reservations::{self, ConsumeRequest};

/// Issues the reserved units to the site and ships them.
pub async fn dispatch(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
    req: DispatchRequest,
    now: DateTime<Utc>,
) -> AppResult<ReplacementRequest> {
    let carrier = req.carrier_fields();
    let mut v = Validator::new();
    let cost = carrier.validate(&mut v);
    v.finish()?;
    visible(db, viewer, id).await?;
    if let Some(eta) = req.estimated_arrival_at
        && eta < now - Duration::minutes(5)
    {
        return Err(AppError::field(
            "estimated_arrival_at",
            "must not be before dispatch",
        ));
    }
    Step::new(
        id,
        &[RequestStatus::Sourced],
        RequestStatus::Dispatched,
        "dispatch",
    )
    .set(C::DispatchedAt, now)
    .apply(db, now)
    .await?;
    // Re-read: what was read before the claim may predate a concurrent fill.
    let r = row(db, id).await?;
    let serials = if req.serials.is_empty() {
        super::units::set_aside(db, &r).await?
    } else {
        req.serials
    };
    let (Some(reservation_id), Some(source), Some(promised), Some(sourced_at)) = (
        r.reservation_id,
        r.source_warehouse_id,
        r.promised_eta,
        r.sourced_at,
    ) else {
        return Err(AppError::Internal(format!(
            "sourced request {id} lacks its sourcing"
        )));
    };
    let doc = reservations::issue_held(
        db,
        viewer.user_id,
        reservation_id,
        ConsumeRequest {
            destination: IssueDestination::Site,
            site_id: Some(r.site_id),
            reason: format!("replacement request {id} for ticket {}", r.ticket_ref),
            reference: format!("replacement request {id}"),
            serials,
        },
        now,
    )
    .await?;
    // The route's transit as promised at sourcing, counted from now.
    let eta = req
        .estimated_arrival_at
        .unwrap_or(now + (promised - sourced_at));
    let shipment = shipments::create(
        db,
        NewShipment {
            kind: ShipmentKind::Dispatch,
            carrier,
            cost,
            origin: (LocationKind::Warehouse, Some(source)),
            destination: (LocationKind::Site, Some(r.site_id)),
            dispatched_at: now,
            estimated_arrival_at: eta,
            actor_id: viewer.user_id,
        },
        now,
    )
    .await?;
    let stmt = Query::update()
        .table(replacement_request::Entity)
        .value(C::ShipmentId, shipment.id)
        .value(C::IssueDocumentId, doc.id)
        .value(C::Eta, shipment.estimated_arrival_at)
        .and_where(Expr::col(C::Id).eq(id))
        .to_owned();
    db.execute(&stmt).await?;
    demand::record(db, &r, source, now).await?;
    get(db, viewer, id).await
}

/// Records proof of delivery on the dispatch shipment. A shipment already
/// delivered through `/shipments/{id}/deliver` keeps its proof.
pub async fn deliver(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
    req: DeliverRequest,
    now: DateTime<Utc>,
) -> AppResult<ReplacementRequest> {
    visible(db, viewer, id).await?;
    // Claim first: a concurrent delivery waits on the row, then is refused.
    Step::new(
        id,
        &[RequestStatus::Dispatched],
        RequestStatus::Delivered,
        "deliver",
    )
    .set(C::DeliveredAt, now)
    .apply(db, now)
    .await?;
    let r = row(db, id).await?;
    let shipment_id = r
        .shipment_id
        .ok_or_else(|| AppError::Internal(format!("dispatched request {id} has no shipment")))?;
    let mut s = shipments::get(db, shipment_id).await?;
    if s.status != ShipmentStatus::Delivered {
        s = shipments::deliver(db, shipment_id, req, now).await?;
    }
    let delivered_at = s.delivered_at.ok_or_else(|| {
        AppError::Internal(format!("delivered shipment {shipment_id} has no time"))
    })?;
    let stmt = Query::update()
        .table(replacement_request::Entity)
        .value(C::DeliveredAt, delivered_at)
        .and_where(Expr::col(C::Id).eq(id))
        .to_owned();
    db.execute(&stmt).await?;
    get(db, viewer, id).await
}

/// Creates the field return of a delivered request's defective unit and
/// links it. The unit goes back to the site's serving warehouse.
async fn open_return(
    db: &impl ConnectionTrait,
    actor_id: i64,
    r: &replacement_request::Model,
    req: AnnounceReturn,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let mut reason = format!(
        "defective unit replaced under replacement request {} (ticket {})",
        r.id, r.ticket_ref
    );
    if !req.note.trim().is_empty() {
        reason.push_str("; ");
        reason.push_str(req.note.trim());
    }
    let serialized = entities::part::Entity::find_by_id(r.part_id)
        .one(db)
        .await?
        .is_some_and(|p| p.serialized);
    let serials = match (&r.failed_serial, req.serials.is_empty()) {
        (Some(failed), true) if serialized && r.quantity == 1 => vec![failed.clone()],
        _ => req.serials,
    };
    let ret = returns::create(
        db,
        actor_id,
        returns::ReturnRequest {
            kind: ReturnKind::FieldReturn,
            site_id: Some(r.site_id),
            vendor_id: None,
            warehouse_id: r.serving_warehouse_id,
            lines: vec![ReturnLineRequest {
                part_id: r.part_id,
                quantity: r.quantity,
                condition: Condition::Defective,
                serials,
            }],
            reason,
            reference: r.ticket_ref.clone(),
            carrier: req.carrier,
            tracking_ref: req.tracking_ref,
            mode: None,
            cost: None,
            currency: None,
            estimated_arrival_at: None,
        },
        now,
    )
    .await?;
    let stmt = Query::update()
        .table(replacement_request::Entity)
        .value(C::ReturnId, ret.id)
        .value(C::UpdatedAt, now)
        .and_where(Expr::col(C::Id).eq(r.id))
        .and_where(Expr::col(C::ReturnId).is_null())
        .to_owned();
    if db.execute(&stmt).await?.rows_affected() != 1 {
        return Err(refusal::<replacement_request::Entity>(
            &row(db, r.id).await?,
            "return",
        ));
    }
    Ok(ret.id)
}

/// Unlinks the request's field return if it was cancelled through
/// `/returns/{id}/cancel` (the unit never came), so a new one can be opened.
async fn drop_cancelled_return(db: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    let r = row(db, id).await?;
    let Some(ret) = r.return_id else {
        return Ok(());
    };
    if returns::get(db, ret).await?.status == ReturnStatus::Cancelled {
        let stmt = Query::update()
            .table(replacement_request::Entity)
            .value(C::ReturnId, Option::<i64>::None)
            .and_where(Expr::col(C::Id).eq(id))
            .and_where(Expr::col(C::ReturnId).eq(ret))
            .to_owned();
        db.execute(&stmt).await?;
    }
    Ok(())
}

/// Announces the defective unit on its way back: a field return in transit.
pub async fn announce_return(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
    req: AnnounceReturn,
    now: DateTime<Utc>,
) -> AppResult<ReplacementRequest> {
    let mut v = Validator::new();
    v.optional_text("carrier", &req.carrier, MAX_NAME)
        .optional_text("tracking_ref", &req.tracking_ref, MAX_NAME)
        .optional_text("note", &req.note, MAX_TEXT);
    v.finish()?;
    visible(db, viewer, id).await?;
    drop_cancelled_return(db, id).await?;
    // Take the row and check the state: delivered, a return expected and
    // none announced yet.
    Step::lock(id, &[RequestStatus::Delivered], "return")
        .guard(
            Expr::col(C::ReturnId)
                .is_null()
                .and(Expr::col(C::ReturnExpected).eq(true)),
        )
        .apply(db, now)
        .await?;
    let r = row(db, id).await?;
    open_return(db, viewer.user_id, &r, req, now).await?;
    get(db, viewer, id).await
}

/// Receives the defective unit into the serving warehouse (announcing the
/// return first when nobody did).
pub async fn receive_return(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<ReplacementRequest> {
    visible(db, viewer, id).await?;
    Step::new(
        id,
        &[RequestStatus::Delivered],
        RequestStatus::DefectiveReturned,
        "receive-return",
    )
    .set(C::ReturnedAt, now)
    .guard(Expr::col(C::ReturnExpected).eq(true))
    .apply(db, now)
    .await?;
    drop_cancelled_return(db, id).await?;
    let r = row(db, id).await?;
    let return_id = match r.return_id {
        Some(ret) => ret,
        None => open_return(db, viewer.user_id, &r, AnnounceReturn::default(), now).await?,
    };
    returns::receive(db, viewer.user_id, return_id, now).await?;
    get(db, viewer, id).await
}

/// Closes a request whose defective unit is back (or, for a consumable
/// part, that was delivered).
pub async fn close(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<ReplacementRequest> {
    let r = visible(db, viewer, id).await?;
    let from: &[RequestStatus] = if r.return_expected {
        &[RequestStatus::DefectiveReturned]
    } else {
        &[RequestStatus::Delivered, RequestStatus::DefectiveReturned]
    };
    Step::new(id, from, RequestStatus::Closed, "close")
        .set(C::ClosedAt, now)
        .apply(db, now)
        .await?;
    get(db, viewer, id).await
}

/// Cancels a request not yet dispatched and releases its reservation,
/// which lets backorders of the part take the units.
pub async fn cancel(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<ReplacementRequest> {
    let r = visible(db, viewer, id).await?;
    Step::new(
        id,
        &[RequestStatus::Backordered, RequestStatus::Sourced],
        RequestStatus::Cancelled,
        "cancel",
    )
    .set(C::CancelledAt, now)
    .apply(db, now)
    .await?;
    // The row as it was when the cancel won: a backorder filled just
    // before holds a reservation the earlier read did not show.
    let now_row = row(db, id).await?;
    if let Some(reservation) = now_row.reservation_id.or(r.reservation_id) {
        allocation::release(db, reservation, now).await?;
    }
    get(db, viewer, id).await
}
