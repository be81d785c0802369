//! The forecast of one series within a run.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "forecast_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    /// The uploaded series id, or `part:warehouse` for ledger runs.
    pub series_key: String,
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    /// The method used (the chosen one for `auto`).
    pub method: String,
    pub demand_class: Option<String>,
    pub adi: Option<f64>,
    pub cv2: Option<f64>,
    pub history_periods: i32,
    /// The forecast per period ahead, a JSON array of numbers.
    #[sea_orm(column_type = "Text")]
    pub forecast: String,
    /// The backtest report as JSON, for `auto`.
    #[sea_orm(column_type = "Text", nullable)]
    pub backtest: Option<String>,
}

crate::no_relations!();
