//! Reservations: units held for a purpose (a replacement request, a
//! transfer, a work order) so nobody else issues them, until released or
//! consumed by an issue.
//!
//! The hold is the guarded balance update of [`super::balances::reserve`];
//! each status change is a conditional update on `status = 'active'`, so a
//! reservation is released or consumed once, whatever the concurrency.
//! What released units are for next is the flows' business.
use chrono::{DateTime, Utc};
use entities::reservation::{self, Column as R};
use entities::vocabulary::{Condition, ReservationStatus};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::Serialize;
use utoipa::ToSchema;

use super::balances::{self, BalanceKey};
use crate::store::error::{AppError, AppResult};
use crate::store::transition::{StateMachine, Transition};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reservation {
    pub id: i64,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub condition: Condition,
    pub quantity: i32,
    pub status: ReservationStatus,
    pub reference: String,
    pub consumed_by_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: chrono::DateTime<Utc>,
    pub closed_at: Option<chrono::DateTime<Utc>>,
}

impl Reservation {
    pub fn from_row(r: reservation::Model) -> Reservation {
        Reservation {
            condition: r.condition,
            status: r.status,
            id: r.id,
            part_id: r.part_id,
            warehouse_id: r.warehouse_id,
            quantity: r.quantity,
            reference: r.reference,
            consumed_by_document_id: r.consumed_by_document_id,
            created_by: r.created_by,
            created_at: r.created_at,
            closed_at: r.closed_at,
        }
    }

    pub fn key(&self) -> BalanceKey {
        BalanceKey {
            part_id: self.part_id,
            warehouse_id: self.warehouse_id,
            condition: self.condition,
        }
    }
}

/// Holds `quantity` units of `key` for `reference`: 409
/// `insufficient_stock` unless that many are available.
pub async fn hold(
    db: &impl ConnectionTrait,
    actor_id: i64,
    key: BalanceKey,
    quantity: i32,
    reference: String,
    now: DateTime<Utc>,
) -> AppResult<Reservation> {
    balances::reserve(db, key, quantity, now).await?;
    let row = reservation::ActiveModel {
        part_id: Set(key.part_id),
        warehouse_id: Set(key.warehouse_id),
        condition: Set(key.condition),
        quantity: Set(quantity),
        status: Set(ReservationStatus::Active),
        reference: Set(reference),
        consumed_by_document_id: Set(None),
        created_by: Set(actor_id),
        created_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Reservation::from_row(row))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Reservation> {
    let row = reservation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("reservation"))?;
    Ok(Reservation::from_row(row))
}

/// The actions allowed on a reservation in `status`, as named in the API.
fn allowed(status: ReservationStatus) -> Vec<&'static str> {
    match status {
        ReservationStatus::Active => vec!["release", "consume"],
        ReservationStatus::Released | ReservationStatus::Consumed => vec![],
    }
}

impl StateMachine for reservation::Entity {
    const WHAT: &'static str = "reservation";
    type Status = ReservationStatus;
    const ID: R = R::Id;
    const STATUS: R = R::Status;
    const UPDATED_AT: Option<R> = None;

    fn state(r: &reservation::Model) -> (String, Vec<&'static str>) {
        (r.status.to_string(), allowed(r.status))
    }
}

/// Marks an active reservation consumed by the issue `document_id`.
pub async fn consumed(
    db: &impl ConnectionTrait,
    id: i64,
    document_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    Transition::<reservation::Entity>::new(
        id,
        &[ReservationStatus::Active],
        ReservationStatus::Consumed,
        "consume",
    )
    .set(R::ClosedAt, now)
    .set(R::ConsumedByDocumentId, document_id)
    .apply(db, now)
    .await
}

/// Releases an active reservation; its units are available again.
pub async fn release(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Reservation> {
    Transition::<reservation::Entity>::new(
        id,
        &[ReservationStatus::Active],
        ReservationStatus::Released,
        "release",
    )
    .set(R::ClosedAt, now)
    .apply(db, now)
    .await?;
    let r = get(db, id).await?;
    balances::release(db, r.key(), r.quantity, now).await?;
    Ok(r)
}
