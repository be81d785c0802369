//! One line of a repair order with its repair record.
use sea_orm::entity::prelude::*;

use crate::vocabulary::RepairOutcome;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repair_order_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub outcome: RepairOutcome,
    pub fault_cause: String,
    pub failed_component: String,
    pub conclusion: String,
    pub measures: String,
    /// Decimal string, see the crate doc; absent while pending.
    pub cost: Option<String>,
    pub repeat_repair: bool,
    pub due_at: DateTimeUtc,
    pub returned_at: Option<DateTimeUtc>,
    pub returned_to_warehouse_id: Option<i64>,
    pub result_document_id: Option<i64>,
    pub recorded_by: Option<i64>,
    /// The unit of a serialized part: such lines hold one unit each.
    pub serial: Option<String>,
}

crate::no_relations!();
