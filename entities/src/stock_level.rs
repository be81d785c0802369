//! The reorder point and maximum level of a part in a warehouse: the
//! spare-part plan replenishment works from.
use sea_orm::entity::prelude::*;

use crate::vocabulary::ReorderLevelSource;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_levels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub reorder_point: i32,
    pub max_level: i32,
    /// `manual` (set by a planner) or `plan` (accepted from a stock plan).
    pub source: ReorderLevelSource,
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
