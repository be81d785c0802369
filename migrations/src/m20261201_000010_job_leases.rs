//! Planning jobs hold a lease while they run: the worker that claimed a job
//! renews `lease_until` as it reports progress, and any worker takes back a
//! running job whose lease has run out (its server died), so no job stays
//! `running` forever. `attempts` counts the claims, so a job that keeps
//! killing its workers fails instead of being retried without end.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

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
        add_column(
            m,
            PlanningJobs::Table,
            timestamp_with_time_zone_null(PlanningJobs::LeaseUntil),
        )
        .await?;
        add_column(
            m,
            PlanningJobs::Table,
            integer(PlanningJobs::Attempts).default(0),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, PlanningJobs::Table, PlanningJobs::Attempts).await?;
        drop_column(m, PlanningJobs::Table, PlanningJobs::LeaseUntil).await?;
        Ok(())
    }
}
