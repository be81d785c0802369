//! One (part, condition) of a stocktake: the system quantity when the count
//! opened, the counted quantity, and the system quantity at the moment the
//! count was recorded (the baseline its variance is measured against).
use sea_orm::entity::prelude::*;

use crate::vocabulary::Condition;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stocktake_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub stocktake_id: i64,
    pub part_id: i64,
    pub condition: Condition,
    pub snapshot_qty: i32,
    pub counted_qty: Option<i32>,
    pub system_qty_at_count: Option<i32>,
    pub counted_by: Option<i64>,
    pub counted_at: Option<DateTimeUtc>,
    /// The units found of a serialized part, a JSON array of strings.
    pub counted_serials: String,
}

crate::no_relations!();
