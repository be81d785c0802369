//! One forecast run: what was forecast, from which history, by which method.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forecast_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `ledger` (demand recorded by the service) or `upload`.
    pub source: String,
    pub method: String,
    /// The method parameters as JSON.
    #[sea_orm(column_type = "Text")]
    pub params: String,
    /// `month` or `week` for ledger runs.
    pub bucket: Option<String>,
    pub horizon: i32,
    pub warehouse_id: Option<i64>,
    pub history_from: Option<DateTimeUtc>,
    pub history_to: Option<DateTimeUtc>,
    pub series_count: i32,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
