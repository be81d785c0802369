//! One dispatch against a replacement request: demand for planning.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demand_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub request_id: i64,
    pub part_id: i64,
    pub site_id: i64,
    /// The warehouse that issued the units.
    pub warehouse_id: i64,
    /// The site's serving warehouse at request time.
    pub serving_warehouse_id: i64,
    pub quantity: i32,
    /// Filled by the serving warehouse.
    pub hit: bool,
    pub occurred_at: DateTimeUtc,
}

crate::no_relations!();
