//! One part ordered on a purchase order, and how much of it has arrived.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub purchase_order_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub received_qty: i32,
    /// Decimal string in the part's currency, see the crate doc.
    pub unit_price: String,
}

crate::no_relations!();
