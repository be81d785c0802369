//! Planning jobs hold a lease while they run: the worker that claimed a job
//! renews `lease_until` as it reports progress, and any worker takes back a
//! running job whose lease has run out (its server died), so no job stays
//! `running` forever. `attempts` counts the claims, so a job that keeps
//! killing its workers fails instead of being retried without end.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlanningJobs {
    Table,
    LeaseUntil,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column at a time.
        m.alter_table(
            Table::alter()
                .table(PlanningJobs::Table)
                .add_column(timestamp_with_time_zone_null(PlanningJobs::LeaseUntil))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PlanningJobs::Table)
                .add_column(integer(PlanningJobs::Attempts).default(0))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(PlanningJobs::Table)
                .drop_column(PlanningJobs::Attempts)
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PlanningJobs::Table)
                .drop_column(PlanningJobs::LeaseUntil)
                .take(),
        )
        .await?;
        Ok(())
    }
}
