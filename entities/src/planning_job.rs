//! A plan or simulation run in the background, claimed by one worker.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{JobKind, JobStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "planning_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: JobKind,
    pub status: JobStatus,
    /// The scenario file (TOML) the job runs.
    #[sea_orm(column_type = "Text")]
    pub scenario: String,
    /// Replications, seed, what-if changes, target, as JSON.
    #[sea_orm(column_type = "Text")]
    pub options: String,
    /// Replications finished.
    pub progress_done: i32,
    pub progress_total: i32,
    pub cancel_requested: bool,
    /// The `--json` output of `spares plan` / `spares simulate`.
    #[sea_orm(column_type = "Text", nullable)]
    pub result: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Which server instance claimed it.
    pub worker: Option<String>,
    /// While running: until when the claim holds unless renewed.
    pub lease_until: Option<DateTimeUtc>,
    /// How often a worker claimed it.
    pub attempts: i32,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
