//! A purchase order to a supplier for delivery into one warehouse.
use sea_orm::entity::prelude::*;

use crate::vocabulary::PurchaseOrderStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub vendor_id: i64,
    pub warehouse_id: i64,
    pub status: PurchaseOrderStatus,
    pub reference: String,
    pub expected_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    /// When the order became `received` or `cancelled`.
    pub closed_at: Option<DateTimeUtc>,
}

crate::no_relations!();
