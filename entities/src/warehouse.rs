//! A stocking location in the supply network.
use sea_orm::entity::prelude::*;

use crate::vocabulary::WarehouseKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "warehouses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub kind: WarehouseKind,
    pub region: String,
    /// The warehouse this one is replenished from (none for a central depot).
    pub parent_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
