//! Shipments (process 4.2.5): a consignment from an origin to a
//! destination with carrier, tracking reference, mode, logistics cost,
//! estimated arrival and proof of delivery (POD).
//!
//! A shipment is created by the flow it carries (a transfer, a dispatch to
//! a site, a return) and then lives its own small
//! state machine: `in_transit -> delivered`. An international shipment has
//! a customs leg: it must be cleared (`customs-cleared`) before it can be
//! delivered. Every change is a conditional `UPDATE ... WHERE status = ..`
//! whose rows affected say whether it won.
use chrono::{DateTime, Utc};
use entities::shipment::{self, Column as C};
use entities::vocabulary::{LocationKind, ShipmentKind, ShipmentMode, ShipmentStatus};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::validate::{MAX_NAME, MAX_TEXT};
use crate::core::{Money, Validator};
use crate::store::error::{AppError, AppResult};
use crate::store::transition::{StateMachine, Transition};

/// One end of a shipment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Endpoint {
    pub kind: LocationKind,
    pub id: Option<i64>,
}

/// Proof of delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pod {
    pub receiver: String,
    pub note: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// A shipment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shipment {
    pub id: i64,
    pub kind: ShipmentKind,
    pub carrier: String,
    pub tracking_ref: String,
    pub mode: ShipmentMode,
    /// International only: when customs released it.
    pub customs_cleared_at: Option<DateTime<Utc>>,
    pub origin: Endpoint,
    pub destination: Endpoint,
    pub dispatched_at: DateTime<Utc>,
    pub estimated_arrival_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub pod: Option<Pod>,
    /// Logistics cost, a decimal string.
    #[schema(value_type = String, example = "180.00")]
    pub cost: Decimal,
    pub currency: String,
    pub status: ShipmentStatus,
    /// Delivered after the estimated arrival (absent while in transit).
    pub late: Option<bool>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    /// When it was called off: what it was to carry never left.
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl Shipment {
    pub fn from_row(s: shipment::Model) -> AppResult<Shipment> {
        let pod = match (s.pod_receiver, s.pod_at) {
            (Some(receiver), Some(recorded_at)) => Some(Pod {
                receiver,
                note: s.pod_note.unwrap_or_default(),
                recorded_at,
            }),
            _ => None,
        };
        Ok(Shipment {
            id: s.id,
            kind: s.kind,
            carrier: s.carrier,
            tracking_ref: s.tracking_ref,
            mode: s.mode,
            customs_cleared_at: s.customs_cleared_at,
            origin: Endpoint {
                kind: s.origin_kind,
                id: s.origin_id,
            },
            destination: Endpoint {
                kind: s.destination_kind,
                id: s.destination_id,
            },
            dispatched_at: s.dispatched_at,
            estimated_arrival_at: s.estimated_arrival_at,
            late: s.delivered_at.map(|d| d > s.estimated_arrival_at),
            delivered_at: s.delivered_at,
            pod,
            cost: Money::from_db(&s.cost)?.amount(),
            currency: s.currency,
            status: s.status,
            created_by: s.created_by,
            created_at: s.created_at,
            cancelled_at: s.cancelled_at,
        })
    }
}

/// The carrier side of a shipment, as a flow's request gives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarrierFields {
    #[schema(max_length = 200, example = "DHL")]
    pub carrier: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub tracking_ref: String,
    #[serde(default = "local")]
    pub mode: ShipmentMode,
    /// Logistics cost, a decimal string with at most 6 decimals.
    #[serde(deserialize_with = "crate::core::input::decimal_text")]
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "180.00")]
    pub cost: Decimal,
    #[serde(default = "eur")]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// Overrides the estimate from the lane or site transit time.
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub estimated_arrival_at: Option<DateTime<Utc>>,
}

fn local() -> ShipmentMode {
    ShipmentMode::Local
}

fn eur() -> String {
    "EUR".into()
}

impl CarrierFields {
    pub fn validate(&self, v: &mut Validator) -> Money {
        v.text("carrier", &self.carrier, MAX_NAME)
            .optional_text("tracking_ref", &self.tracking_ref, MAX_NAME)
            .currency("currency", &self.currency);
        v.money("cost", self.cost)
    }
}

/// A shipment about to be created by a flow.
#[derive(Debug, Clone)]
pub struct NewShipment {
    pub kind: ShipmentKind,
    pub carrier: CarrierFields,
    pub cost: Money,
    pub origin: (LocationKind, Option<i64>),
    pub destination: (LocationKind, Option<i64>),
    pub dispatched_at: DateTime<Utc>,
    pub estimated_arrival_at: DateTime<Utc>,
    pub actor_id: i64,
}

/// Creates a shipment in transit (validated by the caller).
pub async fn create(
    db: &impl ConnectionTrait,
    s: NewShipment,
    now: DateTime<Utc>,
) -> AppResult<shipment::Model> {
    Ok(shipment::ActiveModel {
        kind: Set(s.kind),
        carrier: Set(s.carrier.carrier.trim().to_owned()),
        tracking_ref: Set(s.carrier.tracking_ref.trim().to_owned()),
        mode: Set(s.carrier.mode),
        customs_cleared_at: Set(None),
        origin_kind: Set(s.origin.0),
        origin_id: Set(s.origin.1),
        destination_kind: Set(s.destination.0),
        destination_id: Set(s.destination.1),
        dispatched_at: Set(s.dispatched_at),
        estimated_arrival_at: Set(s.estimated_arrival_at),
        delivered_at: Set(None),
        pod_receiver: Set(None),
        pod_note: Set(None),
        pod_at: Set(None),
        cost: Set(s.cost.to_db()),
        currency: Set(s.carrier.currency.clone()),
        status: Set(ShipmentStatus::InTransit),
        created_by: Set(s.actor_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn row(db: &impl ConnectionTrait, id: i64) -> AppResult<shipment::Model> {
    shipment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("shipment"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Shipment> {
    Shipment::from_row(row(db, id).await?)
}

/// What may happen next to a shipment as it stands, and its state as
/// problems name it.
fn state(s: &shipment::Model) -> (String, Vec<&'static str>) {
    match (s.status, s.mode, s.customs_cleared_at) {
        (ShipmentStatus::InTransit, ShipmentMode::International, None) => (
            "in_transit, awaiting customs".to_owned(),
            vec!["customs-cleared"],
        ),
        (ShipmentStatus::InTransit, _, _) => (s.status.to_string(), vec!["deliver"]),
        (ShipmentStatus::Delivered | ShipmentStatus::Cancelled, _, _) => {
            (s.status.to_string(), vec![])
        }
    }
}

impl StateMachine for shipment::Entity {
    const WHAT: &'static str = "shipment";
    type Status = ShipmentStatus;
    const ID: C = C::Id;
    const STATUS: C = C::Status;
    const UPDATED_AT: Option<C> = None;

    fn state(s: &shipment::Model) -> (String, Vec<&'static str>) {
        state(s)
    }
}

/// Body of `POST /api/v1/shipments/{id}/deliver`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverRequest {
    /// Who signed for it.
    #[schema(max_length = 200)]
    pub receiver: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    /// When it was handed over (default: now); not before dispatch, not in
    /// the future.
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Records proof of delivery. International shipments must have cleared
/// customs first.
pub async fn deliver(
    db: &impl ConnectionTrait,
    id: i64,
    req: DeliverRequest,
    now: DateTime<Utc>,
) -> AppResult<Shipment> {
    let s = row(db, id).await?;
    let delivered_at = req.delivered_at.unwrap_or(now);
    let mut v = Validator::new();
    v.text("receiver", &req.receiver, MAX_NAME)
        .optional_text("note", &req.note, MAX_TEXT)
        .check(
            delivered_at >= s.dispatched_at,
            "delivered_at",
            "must not be before the shipment was dispatched",
        )
        .check(
            delivered_at <= now + chrono::Duration::minutes(5),
            "delivered_at",
            "must not be in the future",
        );
    v.finish()?;
    delivery(id, delivered_at, req.receiver.trim(), req.note, now)
        .guard(
            Expr::col(C::Mode)
                .eq(ShipmentMode::Local)
                .or(Expr::col(C::CustomsClearedAt).is_not_null()),
        )
        .apply(db, now)
        .await?;
    get(db, id).await
}

/// Records that a shipment arrived because the goods it carries were
/// received at the other end: a warehouse receipt is the proof of delivery.
/// A shipment already delivered keeps its own proof.
pub async fn delivered_by_receipt(
    db: &impl ConnectionTrait,
    id: i64,
    receiver: &str,
    note: String,
    delivered_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if row(db, id).await?.status != ShipmentStatus::InTransit {
        return Ok(());
    }
    delivery(id, delivered_at, receiver, note, now)
        .apply(db, now)
        .await
}

/// The step from in transit to delivered, with its proof of delivery.
fn delivery(
    id: i64,
    delivered_at: DateTime<Utc>,
    receiver: &str,
    note: String,
    now: DateTime<Utc>,
) -> Transition<shipment::Entity> {
    Transition::<shipment::Entity>::new(
        id,
        &[ShipmentStatus::InTransit],
        ShipmentStatus::Delivered,
        "deliver",
    )
    .set(C::DeliveredAt, delivered_at)
    .set(C::PodReceiver, receiver)
    .set(C::PodNote, note)
    .set(C::PodAt, now)
}

/// Calls off a shipment in transit whose goods never left (the flow it
/// carries was cancelled); it no longer counts as on its way.
pub async fn cancel(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> AppResult<()> {
    Transition::<shipment::Entity>::new(
        id,
        &[ShipmentStatus::InTransit],
        ShipmentStatus::Cancelled,
        "cancel",
    )
    .set(C::CancelledAt, now)
    .apply(db, now)
    .await
}

/// Body of `POST /api/v1/shipments/{id}/customs-cleared`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomsRequest {
    /// When customs released it (default: now).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub cleared_at: Option<DateTime<Utc>>,
}

/// Records that an international shipment cleared customs.
pub async fn clear_customs(
    db: &impl ConnectionTrait,
    id: i64,
    req: CustomsRequest,
    now: DateTime<Utc>,
) -> AppResult<Shipment> {
    let s = row(db, id).await?;
    let cleared_at = req.cleared_at.unwrap_or(now);
    let mut v = Validator::new();
    v.check(
        cleared_at >= s.dispatched_at,
        "cleared_at",
        "must not be before the shipment was dispatched",
    )
    .check(
        cleared_at <= now + chrono::Duration::minutes(5),
        "cleared_at",
        "must not be in the future",
    );
    v.finish()?;
    Transition::<shipment::Entity>::lock(id, &[ShipmentStatus::InTransit], "clear customs for")
        .set(C::CustomsClearedAt, cleared_at)
        .guard(
            Expr::col(C::Mode)
                .eq(ShipmentMode::International)
                .and(Expr::col(C::CustomsClearedAt).is_null()),
        )
        .apply(db, now)
        .await?;
    get(db, id).await
}

/// Filters of `GET /api/v1/shipments`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShipmentFilter {
    pub kind: Option<ShipmentKind>,
    pub status: Option<ShipmentStatus>,
    pub mode: Option<ShipmentMode>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Shipments in id order, keyset-paged.
pub async fn list(
    db: &impl ConnectionTrait,
    f: ShipmentFilter,
) -> AppResult<crate::store::paging::Page<Shipment>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let page = crate::store::paging::PageParams {
        after: f.after,
        limit: f.limit,
    };
    let mut v = Validator::new();
    page.validate(&mut v);
    v.finish()?;
    let q = shipment::Entity::find()
        .apply_if(f.kind, |q, k| q.filter(C::Kind.eq(k)))
        .apply_if(f.status, |q, s| q.filter(C::Status.eq(s)))
        .apply_if(f.mode, |q, m| q.filter(C::Mode.eq(m)));
    page.fetch(db, q, C::Id, |s| s.id)
        .await?
        .try_map(Shipment::from_row)
}
