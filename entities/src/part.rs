//! Part master data: the planning inputs of one part number.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{Criticality, Lifecycle, PartKind};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "parts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub part_number: String,
    pub description: String,
    pub unit_of_measure: String,
    /// Decimal string, see the crate doc.
    pub unit_cost: String,
    pub currency: String,
    pub kind: PartKind,
    pub criticality: Criticality,
    /// Failures per installed unit per year.
    pub annual_failure_rate: f64,
    pub lead_time_days: i32,
    pub repair_turnaround_days: i32,
    pub serialized: bool,
    pub lifecycle: Lifecycle,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
