//! Shipments (process 4.2.5): a consignment from an origin to a
//! destination with carrier, tracking reference, mode, logistics cost,
//! estimated arrival and proof of delivery (POD).
//!
//! A shipment is created by the flow it carries (a transfer today;
//! dispatches to sites and returns later) and then lives its own small
//! state machine: `in_transit -> delivered`. An international shipment has
//! a customs leg: it must be cleared (`customs-cleared`) before it can be
//! delivered. Every change is a conditional `UPDATE ... WHERE status = ..`
//! whose rows affected say whether it won.
use chrono::{DateTime, Utc};
use entities::shipment::{self, Column as C};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Money;
use crate::domain::Validator;
use crate::domain::stock::LocationKind;
use crate::domain::validate::{MAX_NAME, MAX_TEXT};
use crate::error::{AppError, AppResult};

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn from_db(text: &str) -> AppResult<Self> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(AppError::Internal(format!(
                        concat!("stored ", stringify!($name), " `{}` is unknown"), other
                    ))),
                }
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// What a shipment carries.
    ShipmentKind { Transfer = "transfer", Dispatch = "dispatch", Return = "return" }
);
text_enum!(
    /// Local delivery, or an international leg that clears customs.
    ShipmentMode { Local = "local", International = "international" }
);
text_enum!(
    ShipmentStatus { InTransit = "in_transit", Delivered = "delivered" }
);

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
            kind: ShipmentKind::from_db(&s.kind)?,
            carrier: s.carrier,
            tracking_ref: s.tracking_ref,
            mode: ShipmentMode::from_db(&s.mode)?,
            customs_cleared_at: s.customs_cleared_at,
            origin: Endpoint {
                kind: LocationKind::from_db(&s.origin_kind)?,
                id: s.origin_id,
            },
            destination: Endpoint {
                kind: LocationKind::from_db(&s.destination_kind)?,
                id: s.destination_id,
            },
            dispatched_at: s.dispatched_at,
            estimated_arrival_at: s.estimated_arrival_at,
            late: s.delivered_at.map(|d| d > s.estimated_arrival_at),
            delivered_at: s.delivered_at,
            pod,
            cost: Money::from_db(&s.cost)?.amount(),
            currency: s.currency,
            status: ShipmentStatus::from_db(&s.status)?,
            created_by: s.created_by,
            created_at: s.created_at,
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
    #[serde(deserialize_with = "crate::master::support::decimal_text")]
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "180.00")]
    pub cost: Decimal,
    #[serde(default = "eur")]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// Overrides the estimate from the lane or site transit time.
    #[serde(default)]
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
pub async fn create(db: &impl ConnectionTrait, s: NewShipment) -> AppResult<shipment::Model> {
    Ok(shipment::ActiveModel {
        kind: Set(s.kind.as_str().to_owned()),
        carrier: Set(s.carrier.carrier.trim().to_owned()),
        tracking_ref: Set(s.carrier.tracking_ref.trim().to_owned()),
        mode: Set(s.carrier.mode.as_str().to_owned()),
        customs_cleared_at: Set(None),
        origin_kind: Set(s.origin.0.as_str().to_owned()),
        origin_id: Set(s.origin.1),
        destination_kind: Set(s.destination.0.as_str().to_owned()),
        destination_id: Set(s.destination.1),
        dispatched_at: Set(s.dispatched_at),
        estimated_arrival_at: Set(s.estimated_arrival_at),
        delivered_at: Set(None),
        pod_receiver: Set(None),
        pod_note: Set(None),
        pod_at: Set(None),
        cost: Set(s.cost.to_db()),
        currency: Set(s.carrier.currency.clone()),
        status: Set(ShipmentStatus::InTransit.as_str().to_owned()),
        created_by: Set(s.actor_id),
        created_at: Set(Utc::now()),
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

/// What may happen next to a shipment as it stands.
fn allowed(s: &shipment::Model) -> Vec<&'static str> {
    match (s.status.as_str(), s.mode.as_str(), s.customs_cleared_at) {
        ("in_transit", "international", None) => vec!["customs-cleared"],
        ("in_transit", _, _) => vec!["deliver"],
        _ => vec![],
    }
}

fn refused(s: &shipment::Model, action: &'static str) -> AppError {
    let current = match (s.status.as_str(), s.mode.as_str(), s.customs_cleared_at) {
        ("in_transit", "international", None) => "in_transit, awaiting customs".to_owned(),
        (status, _, _) => status.to_owned(),
    };
    AppError::InvalidTransition {
        what: "shipment",
        action,
        current,
        allowed: allowed(s),
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
    #[serde(default)]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Records proof of delivery. International shipments must have cleared
/// customs first.
pub async fn deliver(
    db: &impl ConnectionTrait,
    id: i64,
    req: DeliverRequest,
) -> AppResult<Shipment> {
    let s = row(db, id).await?;
    let now = Utc::now();
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
    let stmt = Query::update()
        .table(shipment::Entity)
        .value(C::Status, ShipmentStatus::Delivered.as_str())
        .value(C::DeliveredAt, delivered_at)
        .value(C::PodReceiver, req.receiver.trim())
        .value(C::PodNote, req.note)
        .value(C::PodAt, now)
        .and_where(Expr::col(C::Id).eq(id))
        .and_where(Expr::col(C::Status).eq(ShipmentStatus::InTransit.as_str()))
        .and_where(
            Expr::col(C::Mode)
                .eq(ShipmentMode::Local.as_str())
                .or(Expr::col(C::CustomsClearedAt).is_not_null()),
        )
        .to_owned();
    if db.execute(&stmt).await?.rows_affected() != 1 {
        return Err(refused(&row(db, id).await?, "deliver"));
    }
    get(db, id).await
}

/// Body of `POST /api/v1/shipments/{id}/customs-cleared`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomsRequest {
    /// When customs released it (default: now).
    #[serde(default)]
    pub cleared_at: Option<DateTime<Utc>>,
}

/// Records that an international shipment cleared customs.
pub async fn clear_customs(
    db: &impl ConnectionTrait,
    id: i64,
    req: CustomsRequest,
) -> AppResult<Shipment> {
    let s = row(db, id).await?;
    let now = Utc::now();
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
    let stmt = Query::update()
        .table(shipment::Entity)
        .value(C::CustomsClearedAt, cleared_at)
        .and_where(Expr::col(C::Id).eq(id))
        .and_where(Expr::col(C::Status).eq(ShipmentStatus::InTransit.as_str()))
        .and_where(Expr::col(C::Mode).eq(ShipmentMode::International.as_str()))
        .and_where(Expr::col(C::CustomsClearedAt).is_null())
        .to_owned();
    if db.execute(&stmt).await?.rows_affected() != 1 {
        return Err(refused(&row(db, id).await?, "clear customs for"));
    }
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
) -> AppResult<crate::master::Page<Shipment>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let page = crate::master::PageParams {
        after: f.after,
        limit: f.limit,
    };
    let mut v = Validator::new();
    page.validate(&mut v);
    v.finish()?;
    let mut q = shipment::Entity::find();
    if let Some(k) = f.kind {
        q = q.filter(C::Kind.eq(k.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(C::Status.eq(s.as_str()));
    }
    if let Some(m) = f.mode {
        q = q.filter(C::Mode.eq(m.as_str()));
    }
    page.fetch(db, q, C::Id, |s| s.id)
        .await?
        .map(Shipment::from_row)
}
