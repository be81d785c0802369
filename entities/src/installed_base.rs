//! How many units of a part are installed at a site.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "installed_base")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
