//! One immutable ledger entry: `quantity` units of a part moved from one
//! (location, condition) to another. Never updated, never deleted.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub document_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    /// `warehouse` or a virtual location: `supplier`, `repair_vendor`,
    /// `site`, `external`, `in_transit`, `scrap`, `adjustment`.
    pub from_kind: String,
    pub from_id: Option<i64>,
    pub from_condition: String,
    pub to_kind: String,
    pub to_id: Option<i64>,
    pub to_condition: String,
    pub movement_type: String,
    pub actor_id: i64,
    pub reverses_movement_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
