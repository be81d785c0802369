//! On-hand and reserved units of a part in a warehouse and condition,
//! derived from the ledger and kept in step in the same transaction.
use sea_orm::entity::prelude::*;

use crate::vocabulary::Condition;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_balances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub condition: Condition,
    pub on_hand: i32,
    pub reserved: i32,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
