//! One line of a return.
use sea_orm::entity::prelude::*;

use crate::vocabulary::Condition;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub return_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub condition: Condition,
    /// The serials of a serialized part, a JSON array of strings.
    pub serials: String,
}

crate::no_relations!();
