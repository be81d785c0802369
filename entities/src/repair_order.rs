//! A repair order: defective units sent to a repair vendor or, without a
//! vendor, to the internal repair centre.
use sea_orm::entity::prelude::*;

use crate::vocabulary::RepairStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Absent: the internal repair centre.
    pub vendor_id: Option<i64>,
    pub warehouse_id: i64,
    pub status: RepairStatus,
    pub reference: String,
    pub send_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub sent_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

crate::no_relations!();
