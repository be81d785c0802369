//! One part of a transfer and what the receiving side accounted for.
use sea_orm::entity::prelude::*;

use crate::vocabulary::Condition;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transfer_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub transfer_id: i64,
    pub part_id: i64,
    /// Units to ship (and, once shipped, shipped).
    pub quantity: i32,
    /// The condition the units leave in.
    pub condition: Condition,
    pub received_good: i32,
    /// Received damaged, booked to quarantine.
    pub received_damaged: i32,
    /// Lost in transit, written off.
    pub short: i32,
    /// Received beyond what was shipped, booked as good.
    pub excess: i32,
    /// The units to ship of a serialized part, a JSON array of strings.
    pub serials: String,
}

crate::no_relations!();
