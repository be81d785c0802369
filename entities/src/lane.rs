//! A transport lane from one warehouse to another, one direction.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lanes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub transit_hours: f64,
    /// Decimal string per shipment, see the crate doc.
    pub cost: String,
    pub currency: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
