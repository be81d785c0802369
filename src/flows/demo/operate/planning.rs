//! The planner's part: a plan of the live network at the start, adopted so
//! replenishment has levels to work to, and the opening stock those levels
//! call for; at the end, a fresh plan of the network as two years left it.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::vocabulary::{Condition, JobKind, JobStatus};
use sea_orm::DatabaseConnection;

use super::Operation;
use crate::core::clock::Clock;
use crate::flows::logistics::replenishment::ReorderLevel;
use crate::flows::planning_jobs::worker::{self, WorkerConfig};
use crate::flows::planning_jobs::{self, JobRequest};
use crate::flows::stock::documents::{self, ReceiptRequest, ReceiptSource, StockLine};
use crate::store::db;
use crate::store::error::{AppError, AppResult};

/// Replications of the demo's plans: enough for stable levels on 300
/// parts, few enough to plan in seconds.
const REPLICATIONS: usize = 10;
/// Most lines on one stock document.
const LINES_PER_DOCUMENT: usize = 500;

impl Operation<'_> {
    /// Plans the network at `at`, adopts the plan and books the opening
    /// stock: every warehouse filled to its maximum levels.
    pub async fn begin(&mut self, at: DateTime<Utc>) -> AppResult<()> {
        let job = self.plan(at).await?;
        let tx = db::begin_write(self.db).await?;
        let levels = planning_jobs::adopt(&tx, self.cast.planner.id, job, at).await?;
        self.stock_up(&tx, at, levels).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The planner's plan of the live data at `at`, run to its end; its id.
    pub async fn plan(&mut self, at: DateTime<Utc>) -> AppResult<i64> {
        let request = JobRequest {
            kind: JobKind::Plan,
            scenario: None,
            replications: Some(REPLICATIONS),
            seed: Some(self.seed),
            what_if: Vec::new(),
            target_fill_rate: None,
        };
        let tx = db::begin_write(self.db).await?;
        let job = planning_jobs::create(&tx, self.cast.planner.id, request, at).await?;
        tx.commit().await?;
        run_plan(self.db, at).await?;
        let done = planning_jobs::get(self.db, job.id).await?;
        if done.status != JobStatus::Done {
            return Err(AppError::Internal(format!(
                "the demo's plan ended {}: {}",
                done.status,
                done.error.unwrap_or_default()
            )));
        }
        Ok(job.id)
    }

    /// The opening balance: each warehouse's stock at its maximum levels,
    /// one receipt per warehouse (split at the lines a document holds).
    async fn stock_up(
        &mut self,
        tx: &sea_orm::DatabaseTransaction,
        at: DateTime<Utc>,
        levels: Vec<ReorderLevel>,
    ) -> AppResult<()> {
        let mut by_warehouse: BTreeMap<i64, Vec<StockLine>> = BTreeMap::new();
        for level in levels.into_iter().filter(|l| l.max_level > 0) {
            let serials = self.label(level.part_id, level.max_level);
            by_warehouse
                .entry(level.warehouse_id)
                .or_default()
                .push(StockLine {
                    part_id: level.part_id,
                    quantity: level.max_level,
                    condition: Condition::Good,
                    serials,
                });
        }
        for (warehouse, lines) in by_warehouse {
            for chunk in lines.chunks(LINES_PER_DOCUMENT) {
                let receipt = ReceiptRequest {
                    warehouse_id: warehouse,
                    source: ReceiptSource::Other,
                    source_id: None,
                    reference: "opening balance".into(),
                    lines: chunk.to_vec(),
                };
                documents::receive(tx, self.cast.clerk.id, receipt, at).await?;
            }
        }
        Ok(())
    }
}

/// Runs the queued plan in this task, its clock stopped at `at`.
async fn run_plan(db: &DatabaseConnection, at: DateTime<Utc>) -> AppResult<()> {
    let config = WorkerConfig {
        name: "demo".into(),
        lease: std::time::Duration::from_secs(600),
        poll: std::time::Duration::from_secs(1),
        clock: Clock::manual(at),
    };
    worker::run_next(db, &config).await?;
    Ok(())
}
