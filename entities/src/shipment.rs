//! A shipment: one consignment on its way from an origin to a destination
//! (a transfer between warehouses, a dispatch to a site, a return), with
//! its carrier, costs and proof of delivery.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{LocationKind, ShipmentKind, ShipmentMode, ShipmentStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: ShipmentKind,
    pub carrier: String,
    pub tracking_ref: String,
    pub mode: ShipmentMode,
    pub customs_cleared_at: Option<DateTimeUtc>,
    pub origin_kind: LocationKind,
    pub origin_id: Option<i64>,
    pub destination_kind: LocationKind,
    pub destination_id: Option<i64>,
    pub dispatched_at: DateTimeUtc,
    pub estimated_arrival_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    pub pod_receiver: Option<String>,
    pub pod_note: Option<String>,
    /// When the proof of delivery was recorded.
    pub pod_at: Option<DateTimeUtc>,
    /// Decimal string, see the crate doc.
    pub cost: String,
    pub currency: String,
    pub status: ShipmentStatus,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    /// When what it was booked to carry turned out never to have left.
    pub cancelled_at: Option<DateTimeUtc>,
}

crate::no_relations!();
