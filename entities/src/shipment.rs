//! A shipment: one consignment on its way from an origin to a destination
//! (a transfer between warehouses, a dispatch to a site, a return), with
//! its carrier, costs and proof of delivery.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `transfer`, `dispatch` or `return`.
    pub kind: String,
    pub carrier: String,
    pub tracking_ref: String,
    /// `local` or `international` (with a customs leg).
    pub mode: String,
    pub customs_cleared_at: Option<DateTimeUtc>,
    /// A location kind (`warehouse`, `site`, `supplier`, ...).
    pub origin_kind: String,
    pub origin_id: Option<i64>,
    pub destination_kind: String,
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
    /// `in_transit` or `delivered`.
    pub status: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
