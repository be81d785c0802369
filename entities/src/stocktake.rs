//! A physical count of a warehouse (all parts or a subset).
use sea_orm::entity::prelude::*;

use crate::vocabulary::StocktakeStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stocktakes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub warehouse_id: i64,
    pub status: StocktakeStatus,
    pub note: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub approved_by: Option<i64>,
    pub approved_at: Option<DateTimeUtc>,
    pub adjustment_document_id: Option<i64>,
}

crate::no_relations!();
