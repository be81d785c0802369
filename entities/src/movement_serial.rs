//! Which serialized units one stock movement carried.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movement_serials")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub movement_id: i64,
    pub serial_unit_id: i64,
}

crate::no_relations!();
