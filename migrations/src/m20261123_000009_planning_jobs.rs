//! Planning jobs: plans and simulations run in the background. Several
//! `spares serve` instances sharing one database share the work: a worker
//! claims a queued job with a conditional `UPDATE ... WHERE status =
//! 'queued'`, so exactly one of them wins it.
use sea_orm_migration::{prelude::*, schema::*};

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

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PlanningJobs::Table)
                .col(big_pk_auto(PlanningJobs::Id))
                .col(
                    string(PlanningJobs::Kind)
                        .check(Expr::col(PlanningJobs::Kind).is_in(["plan", "simulate"])),
                )
                .col(
                    string(PlanningJobs::Status).check(Expr::col(PlanningJobs::Status).is_in([
                        "queued",
                        "running",
                        "done",
                        "failed",
                        "cancelled",
                    ])),
                )
                .col(text(PlanningJobs::Scenario))
                .col(text(PlanningJobs::Options))
                .col(
                    integer(PlanningJobs::ProgressDone)
                        .check(Expr::col(PlanningJobs::ProgressDone).gte(0)),
                )
                .col(
                    integer(PlanningJobs::ProgressTotal)
                        .check(Expr::col(PlanningJobs::ProgressTotal).gte(0)),
                )
                .col(boolean(PlanningJobs::CancelRequested))
                .col(text_null(PlanningJobs::Result))
                .col(text_null(PlanningJobs::Error))
                .col(string_null(PlanningJobs::Worker))
                .col(big_integer(PlanningJobs::CreatedBy))
                .col(timestamp_with_time_zone(PlanningJobs::CreatedAt))
                .col(timestamp_with_time_zone_null(PlanningJobs::StartedAt))
                .col(timestamp_with_time_zone_null(PlanningJobs::FinishedAt))
                .col(timestamp_with_time_zone(PlanningJobs::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_planning_jobs_user")
                        .from(PlanningJobs::Table, PlanningJobs::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_planning_jobs_status")
                .table(PlanningJobs::Table)
                .col(PlanningJobs::Status)
                .col(PlanningJobs::Id)
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PlanningJobs::Table).take())
            .await?;
        Ok(())
    }
}
