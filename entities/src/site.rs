//! A customer site where equipment runs.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub customer: String,
    pub region: String,
    /// IANA time zone name, used by business-hour SLA classes.
    pub time_zone: String,
    pub serving_warehouse_id: i64,
    pub transit_hours: f64,
    pub sla_class_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
