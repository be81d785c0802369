//! Schema migrations of `spares`, one module per migration.
//!
//! The service runs these through [`Migrator`] at start-up (unless
//! `--no-migrate`) and `spares migrate`; this crate's own binary is the
//! standard sea-orm migration CLI (`up`, `down`, `status`, `fresh`, ...).
pub use sea_orm_migration::prelude::*;

mod shared;

mod m20261123_000001_foundation;
mod m20261123_000002_ledger;
mod m20261123_000003_forecasts;
mod m20261123_000004_transfers;
mod m20261123_000005_purchasing;
mod m20261123_000006_repair_returns_scrap;
mod m20261123_000007_serials;
mod m20261123_000008_replacement_requests;
mod m20261123_000009_planning_jobs;
mod m20261201_000010_job_leases;
mod m20261201_000012_cancelled_shipments;
mod m20261210_000011_demand_history;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_ledger::Migration),
            Box::new(m20261123_000003_forecasts::Migration),
            Box::new(m20261123_000004_transfers::Migration),
            Box::new(m20261123_000005_purchasing::Migration),
            Box::new(m20261123_000006_repair_returns_scrap::Migration),
            Box::new(m20261123_000007_serials::Migration),
            Box::new(m20261123_000008_replacement_requests::Migration),
            Box::new(m20261123_000009_planning_jobs::Migration),
            Box::new(m20261201_000010_job_leases::Migration),
            Box::new(m20261201_000012_cancelled_shipments::Migration),
            Box::new(m20261210_000011_demand_history::Migration),
        ]
    }
}
