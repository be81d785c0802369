//! Reservations as warehouse staff make them: hold units, release them,
//! or issue them (consume). A reservation a replacement request holds is
//! the request's: it is released by cancelling the request and consumed by
//! dispatching it.
use chrono::{DateTime, Utc};
use entities::reservation::{self, Column as R};
use entities::vocabulary::{Condition, DocumentType, MovementType, ReservationStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::documents::{IssueDestination, issue_destination};
use crate::core::Validator;
use crate::core::validate::{MAX_LINE_QUANTITY, MAX_NAME, MAX_TEXT};
use crate::flows::allocation;
use crate::store::balances::BalanceKey;
use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{Document, Location, NewDocument, NewMovement};
use crate::store::lookups::{active_parts, active_warehouse};
use crate::store::paging::{Page, PageParams};
use crate::store::{reservations, serials};

pub use crate::store::reservations::Reservation;

/// Body of `POST /api/v1/stock/reservations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    pub warehouse_id: i64,
    pub part_id: i64,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    #[serde(default = "good")]
    pub condition: Condition,
    /// What the units are held for, e.g. `ticket INC-4711`.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
}

fn good() -> Condition {
    Condition::Good
}

/// Body of `POST /api/v1/stock/reservations/{id}/consume`: issue the held
/// units.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumeRequest {
    pub destination: IssueDestination,
    pub site_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    /// For a serialized part: the units picked, one serial per unit.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Holds units for `req.reference`.
pub async fn reserve(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ReserveRequest,
    now: DateTime<Utc>,
) -> AppResult<Reservation> {
    let mut v = Validator::new();
    v.range_i64("quantity", req.quantity.into(), 1, MAX_LINE_QUANTITY.into())
        .optional_text("reference", &req.reference, MAX_NAME);
    v.finish()?;
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    active_parts(db, &[req.part_id]).await.map_err(|_| {
        AppError::field(
            "part_id",
            format!("part {} does not exist or is deactivated", req.part_id),
        )
    })?;
    let key = BalanceKey {
        part_id: req.part_id,
        warehouse_id: req.warehouse_id,
        condition: req.condition,
    };
    reservations::hold(db, actor_id, key, req.quantity, req.reference, now).await
}

/// Releases a reservation that no replacement request holds.
pub async fn release(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Reservation> {
    allocation::refuse_held_reservation(db, id, "release").await?;
    allocation::release(db, id, now).await
}

/// One reservation.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Reservation> {
    reservations::get(db, id).await
}

/// Issues the units of a reservation no replacement request holds.
pub async fn consume(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: ConsumeRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    allocation::refuse_held_reservation(db, id, "consume").await?;
    issue_held(db, actor_id, id, req, now).await
}

/// Issues the held units: an issue document whose movements leave from
/// reserved stock. The owner of the reservation decides whether it may.
pub async fn issue_held(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: ConsumeRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let mut v = Validator::new();
    v.optional_text("reason", &req.reason, MAX_TEXT)
        .optional_text("reference", &req.reference, MAX_NAME);
    v.finish()?;
    let r = reservations::get(db, id).await?;
    if r.status != ReservationStatus::Active {
        return Err(AppError::InvalidTransition {
            what: "reservation",
            action: "consume",
            current: r.status.to_string(),
            allowed: vec![],
        });
    }
    let (to, counterparty, counterparty_id) =
        issue_destination(db, req.destination, req.site_id).await?;
    let parts = active_parts(db, &[r.part_id]).await?;
    serials::check_request(&parts, [(r.part_id, r.quantity, req.serials.as_slice())])?;
    let reference = if req.reference.is_empty() {
        r.reference.clone()
    } else {
        req.reference
    };
    let doc = allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::Issue,
            warehouse_id: Some(r.warehouse_id),
            reference,
            reason: req.reason,
            counterparty: counterparty.to_owned(),
            counterparty_id,
            reverses_document_id: None,
            actor_id,
        },
        vec![NewMovement {
            part_id: r.part_id,
            quantity: r.quantity,
            from: Location::warehouse(r.warehouse_id),
            from_condition: r.condition,
            to,
            to_condition: r.condition,
            movement_type: MovementType::Issue,
            from_reserved: true,
            reverses_movement_id: None,
            serials: req.serials,
        }],
        now,
    )
    .await?;
    reservations::consumed(db, id, doc.id, now).await?;
    Ok(doc)
}

/// Filters of `GET /api/v1/stock/reservations`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReservationFilter {
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub status: Option<ReservationStatus>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, f: ReservationFilter) -> AppResult<Page<Reservation>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = reservation::Entity::find()
        .apply_if(f.part_id, |q, p| q.filter(R::PartId.eq(p)))
        .apply_if(f.warehouse_id, |q, w| q.filter(R::WarehouseId.eq(w)))
        .apply_if(f.status, |q, s| q.filter(R::Status.eq(s)));
    Ok(page
        .fetch(db, q, R::Id, |r| r.id)
        .await?
        .map(Reservation::from_row))
}
