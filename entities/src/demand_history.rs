//! Demand of a part in one month or ISO week, at a warehouse or at a site,
//! from before the ledger began (imported from a spreadsheet).
use sea_orm::entity::prelude::*;

use crate::vocabulary::Bucket;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demand_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub part_id: i64,
    /// The warehouse whose demand this is; none when a site is named.
    pub warehouse_id: Option<i64>,
    /// The site whose demand this is (met by its serving warehouse); none
    /// when a warehouse is named.
    pub site_id: Option<i64>,
    /// `month` or `week`.
    pub bucket: Bucket,
    /// 00:00 UTC of the period's first day (a month's 1st, a week's Monday).
    pub period_start: DateTimeUtc,
    pub quantity: i32,
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
