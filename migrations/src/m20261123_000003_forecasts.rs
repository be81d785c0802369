//! Forecast runs and their per-series results, kept so planners can list
//! and compare what was forecast when, from which history, by which method.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ForecastRuns {
    Table,
    Id,
    Source,
    Method,
    Params,
    Bucket,
    Horizon,
    WarehouseId,
    HistoryFrom,
    HistoryTo,
    SeriesCount,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ForecastResults {
    Table,
    Id,
    RunId,
    SeriesKey,
    PartId,
    WarehouseId,
    Method,
    DemandClass,
    Adi,
    Cv2,
    HistoryPeriods,
    Forecast,
    Backtest,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ForecastRuns::Table)
                .col(big_pk_auto(ForecastRuns::Id))
                .col(one_of(string(ForecastRuns::Source), ["ledger", "upload"]))
                .col(string(ForecastRuns::Method))
                .col(text(ForecastRuns::Params))
                .col(string_null(ForecastRuns::Bucket))
                .col(positive(integer(ForecastRuns::Horizon)))
                .col(big_integer_null(ForecastRuns::WarehouseId))
                .col(timestamp_with_time_zone_null(ForecastRuns::HistoryFrom))
                .col(timestamp_with_time_zone_null(ForecastRuns::HistoryTo))
                .col(integer(ForecastRuns::SeriesCount))
                .col(big_integer(ForecastRuns::CreatedBy))
                .col(timestamp_with_time_zone(ForecastRuns::CreatedAt))
                .foreign_key(&mut reference(
                    "fk_forecast_runs_user",
                    ForecastRuns::CreatedBy,
                    Users::Table,
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ForecastResults::Table)
                .col(big_pk_auto(ForecastResults::Id))
                .col(big_integer(ForecastResults::RunId))
                .col(string(ForecastResults::SeriesKey))
                .col(big_integer_null(ForecastResults::PartId))
                .col(big_integer_null(ForecastResults::WarehouseId))
                .col(string(ForecastResults::Method))
                .col(string_null(ForecastResults::DemandClass))
                .col(double_null(ForecastResults::Adi))
                .col(double_null(ForecastResults::Cv2))
                .col(integer(ForecastResults::HistoryPeriods))
                .col(text(ForecastResults::Forecast))
                .col(text_null(ForecastResults::Backtest))
                .foreign_key(&mut reference(
                    "fk_forecast_results_run",
                    ForecastResults::RunId,
                    ForecastRuns::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_forecast_results_run",
            ForecastResults::Table,
            [ForecastResults::RunId, ForecastResults::Id],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ForecastResults::Table).take())
            .await?;
        m.drop_table(Table::drop().table(ForecastRuns::Table).take())
            .await?;
        Ok(())
    }
}
