//! A return: a defective unit coming back from a field site, or stock
//! going back to a vendor.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{ReturnKind, ReturnStatus, ShipmentMode};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: ReturnKind,
    pub site_id: Option<i64>,
    pub vendor_id: Option<i64>,
    pub warehouse_id: i64,
    pub status: ReturnStatus,
    pub reason: String,
    pub reference: String,
    pub carrier: String,
    pub tracking_ref: String,
    /// The stock document that moved the units.
    pub document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub shipped_at: Option<DateTimeUtc>,
    pub received_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// The shipment carrying the return (absent for rows made before shipments carried returns).
    pub shipment_id: Option<i64>,
    /// The carrying shipment's mode.
    pub shipment_mode: ShipmentMode,
    /// Its logistics cost, a decimal string.
    pub shipment_cost: String,
    pub shipment_currency: String,
}

crate::no_relations!();
