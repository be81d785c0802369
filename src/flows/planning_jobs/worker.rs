//! The queue of planning jobs, worked by every `spares serve` instance.
//!
//! # Claims and leases
//! A worker claims the oldest queued job with a conditional `UPDATE ...
//! WHERE id = ? AND status = 'queued'`: on one database shared by several
//! instances only one update can match, so each claim is won once. The
//! claim carries a lease (`lease_until`) that the worker renews at every
//! [`WorkerConfig::poll`] while it reports progress. Before claiming, every
//! worker looks for running jobs whose lease ran out — their server died or
//! lost the database — and takes them back: cancelled if a cancel was asked
//! for, failed after [`MAX_ATTEMPTS`] claims (a job that keeps killing its
//! workers), else queued again for anyone to run from the start. A worker
//! that finds its own lease gone stops computing and records nothing.
//!
//! # Cancel and shutdown
//! The computation runs on a blocking thread and checks a stop flag inside
//! every replication, so it ends within moments of the flag being set. The
//! flag is set when the job's `cancel_requested` is seen (the job ends
//! `cancelled`) and when the server shuts down (the job goes back to the
//! queue, so another instance or the next start runs it).
//!
//! No database error inside the progress loop ends it: a failed heartbeat
//! is logged and tried again at the next poll, and if the database stays
//! away past the lease, another worker takes the job back.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entities::planning_job::{self as job, Column as J};
use entities::vocabulary::{JobKind, JobStatus};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use tokio::sync::watch;

use super::JobOptions;
use crate::core::clock::Clock;
use crate::core::plan::{PlanError, compute_plan, plan_json, simulate_json};
use crate::core::scenario::Scenario;
use crate::core::sim::{self, RunOptions, SimError};
use crate::store::error::{AppError, AppResult};
use crate::store::transition::Transition;

/// Claims of one job before it is failed instead of queued again.
pub const MAX_ATTEMPTS: i32 = 3;

/// How one worker works.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names the worker in the job rows it claims.
    pub name: String,
    /// How long a claim holds without renewal.
    pub lease: Duration,
    /// How often an idle worker looks for work, and a busy one renews its
    /// lease, reports progress and looks for a cancel request.
    pub poll: Duration,
    pub clock: Clock,
}

impl WorkerConfig {
    fn lease_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(30))
    }
}

/// The condition of a running job whose lease has run out at `now` (a
/// missing lease counts as run out: a job claimed before leases existed).
pub fn lease_expired(now: DateTime<Utc>) -> SimpleExpr {
    Expr::col(J::LeaseUntil)
        .is_null()
        .or(Expr::col(J::LeaseUntil).lt(now))
}

/// The worker loop every `spares serve` runs until `shutdown` turns true:
/// take back expired leases, claim, run, repeat. Errors (a database
/// hiccup) are logged and retried, never fatal.
pub async fn worker(
    db: DatabaseConnection,
    config: WorkerConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    while !*shutdown.borrow() {
        if let Err(e) = reclaim(&db, config.clock.now()).await {
            tracing::warn!(error = %e, "planning worker cannot take back expired jobs");
        }
        let claimed = match claim(&db, &config).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "planning worker cannot claim jobs");
                None
            }
        };
        match claimed {
            Some(job) => {
                tracing::info!(job = job.id, worker = %config.name, "planning job claimed");
                run(&db, &config, job, &mut shutdown).await;
            }
            None => {
                tokio::select! {
                    _ = tokio::time::sleep(config.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
    tracing::info!(worker = %config.name, "planning worker stopped");
}

/// Claims the oldest queued job and runs it to its end in this task, for
/// callers that need the result now (the demo builder); the job id, or
/// `None` when nothing was queued.
pub async fn run_next(db: &DatabaseConnection, config: &WorkerConfig) -> AppResult<Option<i64>> {
    let Some(job) = claim(db, config).await? else {
        return Ok(None);
    };
    let id = job.id;
    let (_keep, mut never) = watch::channel(false);
    run(db, config, job, &mut never).await;
    Ok(Some(id))
}

/// Takes back every running job whose lease ran out by `now`; see the
/// module doc.
pub async fn reclaim(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    let expired = || {
        job::Entity::update_many()
            .filter(J::Status.eq(JobStatus::Running))
            .filter(lease_expired(now))
            .col_expr(J::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(J::UpdatedAt, Expr::value(now))
    };
    let cancelled = expired()
        .filter(J::CancelRequested.eq(true))
        .col_expr(J::Status, Expr::value(JobStatus::Cancelled))
        .col_expr(J::FinishedAt, Expr::value(now))
        .exec(db)
        .await?;
    let failed = expired()
        .filter(J::Attempts.gte(MAX_ATTEMPTS))
        .col_expr(J::Status, Expr::value(JobStatus::Failed))
        .col_expr(
            J::Error,
            Expr::value(format!(
                "its worker stopped responding {MAX_ATTEMPTS} times; the job is not tried again"
            )),
        )
        .col_expr(J::FinishedAt, Expr::value(now))
        .exec(db)
        .await?;
    let queued = expired()
        .col_expr(J::Status, Expr::value(JobStatus::Queued))
        .col_expr(J::Worker, Expr::value(Option::<String>::None))
        .col_expr(J::ProgressDone, Expr::value(0))
        .col_expr(J::StartedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .exec(db)
        .await?;
    let total = cancelled.rows_affected + failed.rows_affected + queued.rows_affected;
    if total > 0 {
        tracing::warn!(
            cancelled = cancelled.rows_affected,
            failed = failed.rows_affected,
            queued = queued.rows_affected,
            "took back planning jobs whose worker stopped renewing its lease"
        );
    }
    Ok(total)
}

/// Claims the oldest queued job for this worker, if any.
async fn claim(db: &DatabaseConnection, config: &WorkerConfig) -> AppResult<Option<job::Model>> {
    loop {
        let Some(candidate) = job::Entity::find()
            .filter(J::Status.eq(JobStatus::Queued))
            .order_by_asc(J::Id)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let now = config.clock.now();
        let claimed = Transition::<job::Entity>::new(
            candidate.id,
            &[JobStatus::Queued],
            JobStatus::Running,
            "claim",
        )
        .set(J::Worker, config.name.clone())
        .set(J::StartedAt, now)
        .set(J::LeaseUntil, config.lease_until(now))
        .set(J::Attempts, Expr::col(J::Attempts).add(1))
        .apply(db, now)
        .await;
        match claimed {
            Ok(()) => {
                return job::Entity::find_by_id(candidate.id)
                    .one(db)
                    .await?
                    .map(Some)
                    .ok_or(AppError::NotFound("planning job"));
            }
            // Another worker won this one (or it was cancelled): try the next.
            Err(AppError::InvalidTransition { .. } | AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
}

/// How a computation ended.
enum Outcome {
    Done(String),
    /// Stopped by the stop flag: by a cancel, a shutdown or a lost lease.
    Stopped,
    Failed(String),
}

/// Why the stop flag was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Cancel,
    Shutdown,
    LeaseLost,
}

/// The computation itself, on a blocking thread.
fn compute(
    kind: JobKind,
    scenario: &str,
    options: &JobOptions,
    progress: &AtomicUsize,
    stop: &AtomicBool,
) -> Outcome {
    let run = || -> Result<String, PlanError> {
        let compiled =
            Scenario::parse(scenario, "scenario")?.compile(&options.what_if, "scenario")?;
        let run_options = RunOptions {
            replications: options.replications,
            seed: options.seed,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let tick = || {
            progress.fetch_add(1, Ordering::Relaxed);
        };
        match kind {
            JobKind::Plan => {
                let (recommendation, report) = compute_plan(
                    &compiled,
                    run_options,
                    options.target_fill_rate,
                    &tick,
                    stop,
                )?;
                plan_json(&compiled, &recommendation, &report)
            }
            JobKind::Simulate => {
                let report = sim::simulate_cancellable(&compiled.model, run_options, &tick, stop)?;
                simulate_json(&compiled, &report)
            }
        }
    };
    match run() {
        Ok(json) => Outcome::Done(json),
        Err(PlanError::Sim(SimError::Cancelled)) => Outcome::Stopped,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Runs one claimed job to its end, renewing the lease as it goes, and
/// records how it ended.
async fn run(
    db: &DatabaseConnection,
    config: &WorkerConfig,
    claimed: job::Model,
    shutdown: &mut watch::Receiver<bool>,
) {
    let options: JobOptions = match serde_json::from_str(&claimed.options) {
        Ok(o) => o,
        Err(e) => {
            let outcome = Outcome::Failed(format!("stored job options: {e}"));
            record(db, config, &claimed, outcome, None, 0).await;
            return;
        }
    };
    let progress = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(claimed.cancel_requested));
    let mut why = claimed.cancel_requested.then_some(Stop::Cancel);
    let mut task = {
        let (progress, stop) = (progress.clone(), stop.clone());
        let (kind, scenario) = (claimed.kind, claimed.scenario.clone());
        tokio::task::spawn_blocking(move || compute(kind, &scenario, &options, &progress, &stop))
    };
    let outcome = loop {
        tokio::select! {
            finished = &mut task => {
                break finished.unwrap_or_else(|e| Outcome::Failed(format!("job worker stopped: {e}")));
            }
            _ = tokio::time::sleep(config.poll) => {
                let done = progress.load(Ordering::Relaxed) as i32;
                match heartbeat(db, config, claimed.id, done).await {
                    Ok(Some(false)) => {}
                    Ok(Some(true)) => {
                        why.get_or_insert(Stop::Cancel);
                        stop.store(true, Ordering::Relaxed);
                    }
                    Ok(None) => {
                        why = Some(Stop::LeaseLost);
                        stop.store(true, Ordering::Relaxed);
                    }
                    Err(e) => tracing::warn!(job = claimed.id, error = %e, "cannot renew the planning job's lease"),
                }
            }
            _ = shutdown.changed() => {
                why.get_or_insert(Stop::Shutdown);
                stop.store(true, Ordering::Relaxed);
            }
        }
    };
    let done = progress.load(Ordering::Relaxed) as i32;
    record(db, config, &claimed, outcome, why, done).await;
}

/// Renews the lease of job `id` and reports progress. Returns whether a
/// cancel was asked for, or `None` when this worker no longer holds the job.
async fn heartbeat(
    db: &DatabaseConnection,
    config: &WorkerConfig,
    id: i64,
    done: i32,
) -> AppResult<Option<bool>> {
    let now = config.clock.now();
    let renewed = job::Entity::update_many()
        .col_expr(J::ProgressDone, Expr::value(done))
        .col_expr(J::UpdatedAt, Expr::value(now))
        .col_expr(J::LeaseUntil, Expr::value(config.lease_until(now)))
        .filter(J::Id.eq(id))
        .filter(J::Status.eq(JobStatus::Running))
        .filter(J::Worker.eq(config.name.clone()))
        .exec(db)
        .await?;
    if renewed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(job::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|j| j.cancel_requested))
}

/// Writes how the job ended, if this worker still holds it.
async fn record(
    db: &DatabaseConnection,
    config: &WorkerConfig,
    claimed: &job::Model,
    outcome: Outcome,
    why: Option<Stop>,
    done: i32,
) {
    let now = config.clock.now();
    let mine = |to: JobStatus| {
        Transition::<job::Entity>::new(claimed.id, &[JobStatus::Running], to, "finish")
            .set(J::LeaseUntil, Expr::val(Option::<DateTime<Utc>>::None))
            .guard(Expr::col(J::Worker).eq(config.name.clone()))
    };
    let ending = match (outcome, why) {
        (_, Some(Stop::LeaseLost)) => {
            tracing::warn!(
                job = claimed.id,
                "planning job was taken back from this worker; its result is dropped"
            );
            return;
        }
        (Outcome::Done(json), _) => mine(JobStatus::Done)
            .set(J::Result, json)
            .set(J::ProgressDone, done)
            .set(J::FinishedAt, now),
        (Outcome::Failed(message), _) => mine(JobStatus::Failed)
            .set(J::Error, message)
            .set(J::ProgressDone, done)
            .set(J::FinishedAt, now),
        (Outcome::Stopped, Some(Stop::Shutdown)) => mine(JobStatus::Queued)
            .set(J::Worker, Expr::val(Option::<String>::None))
            .set(J::ProgressDone, 0)
            .set(J::StartedAt, Expr::val(Option::<DateTime<Utc>>::None)),
        (Outcome::Stopped, _) => mine(JobStatus::Cancelled)
            .set(J::ProgressDone, done)
            .set(J::FinishedAt, now),
    };
    match ending.apply(db, now).await {
        Ok(()) => tracing::info!(job = claimed.id, "planning job recorded"),
        Err(AppError::InvalidTransition { .. }) => {
            tracing::warn!(job = claimed.id, "planning job was no longer this worker's")
        }
        Err(e) => tracing::warn!(
            job = claimed.id,
            error = %e,
            "cannot record the planning job; its lease will run out and it will run again"
        ),
    }
}
