//! One forecast run: what was forecast, from which history, by which method.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{Bucket, ForecastSource};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forecast_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source: ForecastSource,
    pub method: String,
    /// The method parameters as JSON.
    #[sea_orm(column_type = "Text")]
    pub params: String,
    /// For ledger runs.
    pub bucket: Option<Bucket>,
    pub horizon: i32,
    pub warehouse_id: Option<i64>,
    pub history_from: Option<DateTimeUtc>,
    pub history_to: Option<DateTimeUtc>,
    pub series_count: i32,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

crate::no_relations!();
