//! A named user of the API with exactly one role.
use sea_orm::entity::prelude::*;

use crate::vocabulary::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

crate::no_relations!();
