//! Part master data: the planning inputs of one part number.
use sea_orm::entity::prelude::*;

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
    /// `repairable` or `consumable`.
    pub kind: String,
    /// `low`, `medium`, `high` or `critical`.
    pub criticality: String,
    /// Failures per installed unit per year.
    pub annual_failure_rate: f64,
    pub lead_time_days: i32,
    pub repair_turnaround_days: i32,
    pub serialized: bool,
    /// `active` or `end_of_life`.
    pub lifecycle: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
