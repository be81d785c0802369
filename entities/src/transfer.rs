//! A transfer of stock from one warehouse to another.
use sea_orm::entity::prelude::*;

use crate::vocabulary::TransferStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transfers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub status: TransferStatus,
    pub reference: String,
    pub note: String,
    pub shipment_id: Option<i64>,
    /// The `transfer_shipment` document that moved the stock to in-transit.
    pub ship_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub shipped_at: Option<DateTimeUtc>,
    pub received_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
}

crate::no_relations!();
