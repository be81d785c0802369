//! Planning jobs: plans and simulations run in the background. Several
//! `spares serve` instances sharing one database share the work: a worker
//! claims a queued job with a conditional `UPDATE ... WHERE status =
//! 'queued'`, so exactly one of them wins it.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlanningJobs {
    Table,
    Id,
    Kind,
    Status,
    Scenario,
    Options,
    ProgressDone,
    ProgressTotal,
    CancelRequested,
    Result,
    Error,
    Worker,
    CreatedBy,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PlanningJobs::Table)
                .col(big_pk_auto(PlanningJobs::Id))
                .col(one_of(string(PlanningJobs::Kind), ["plan", "simulate"]))
                .col(one_of(
                    string(PlanningJobs::Status),
                    ["queued", "running", "done", "failed", "cancelled"],
                ))
                .col(text(PlanningJobs::Scenario))
                .col(text(PlanningJobs::Options))
                .col(non_negative(integer(PlanningJobs::ProgressDone)))
                .col(non_negative(integer(PlanningJobs::ProgressTotal)))
                .col(boolean(PlanningJobs::CancelRequested))
                .col(text_null(PlanningJobs::Result))
                .col(text_null(PlanningJobs::Error))
                .col(string_null(PlanningJobs::Worker))
                .col(big_integer(PlanningJobs::CreatedBy))
                .col(timestamp_with_time_zone(PlanningJobs::CreatedAt))
                .col(timestamp_with_time_zone_null(PlanningJobs::StartedAt))
                .col(timestamp_with_time_zone_null(PlanningJobs::FinishedAt))
                .col(timestamp_with_time_zone(PlanningJobs::UpdatedAt))
                .foreign_key(&mut reference(
                    "fk_planning_jobs_user",
                    PlanningJobs::CreatedBy,
                    Users::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_planning_jobs_status",
            PlanningJobs::Table,
            [PlanningJobs::Status, PlanningJobs::Id],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PlanningJobs::Table).take())
            .await?;
        Ok(())
    }
}
