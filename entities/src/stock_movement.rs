//! One immutable ledger entry: `quantity` units of a part moved from one
//! (location, condition) to another. Never updated, never deleted.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{Condition, LocationKind, MovementType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub document_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub from_kind: LocationKind,
    pub from_id: Option<i64>,
    pub from_condition: Condition,
    pub to_kind: LocationKind,
    pub to_id: Option<i64>,
    pub to_condition: Condition,
    pub movement_type: MovementType,
    pub actor_id: i64,
    pub reverses_movement_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

crate::no_relations!();
