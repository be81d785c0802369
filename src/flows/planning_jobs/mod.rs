//! Plans and simulations as background jobs.
//!
//! A planner posts a scenario (the TOML of `scenarios/README.md`); the job
//! is stored `queued`. Every `spares serve` instance runs a [`worker`] that
//! claims queued jobs, holds a lease on the one it runs, and gives the
//! leases of dead workers back to the queue (see [`worker`]). A job reports
//! progress (replications finished), can be cancelled, and stores the same
//! JSON as `spares plan --json` / `spares simulate --json`. A finished plan
//! can be adopted: its levels become the warehouses' reorder points and
//! maximum levels (`stock_levels`, source `plan`) that replenishment uses.
pub mod live;
pub mod worker;

use chrono::{DateTime, Utc};
use entities::vocabulary::{JobKind, JobStatus, ReorderLevelSource};
use entities::{part, planning_job as job, warehouse};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::scenario::Scenario;
use crate::flows::logistics::replenishment::{ReorderLevel, ReorderLevelRequest, set_level};
use crate::store::error::{AppError, AppResult};
use crate::store::paging::{Page, PageParams};
use crate::store::transition::{StateMachine, Transition};

pub use live::live_scenario;

/// Most replications one job may ask for.
pub const MAX_JOB_REPLICATIONS: usize = 10_000;
/// Longest scenario text accepted.
pub const MAX_SCENARIO_BYTES: usize = 4 * 1024 * 1024;

/// Body of `POST /api/v1/planning/jobs`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    pub kind: JobKind,
    /// The scenario file's text (TOML). Part and warehouse codes must be the
    /// service's part numbers and warehouse codes for a plan to be adopted.
    /// Absent: the scenario is built from the live data ([`live_scenario`]).
    pub scenario: Option<String>,
    /// Default: the scenario's.
    pub replications: Option<usize>,
    /// Default: the scenario's.
    pub seed: Option<u64>,
    /// What-if changes to apply, by name, in order.
    #[serde(default)]
    pub what_if: Vec<String>,
    /// Plans only; default: the scenario's `policy.target_fill_rate`.
    pub target_fill_rate: Option<f64>,
}

/// The resolved options a job runs with (stored as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobOptions {
    pub replications: usize,
    pub seed: u64,
    pub what_if: Vec<String>,
    pub target_fill_rate: f64,
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub status: JobStatus,
    pub options: JobOptions,
    /// Replications finished.
    pub progress_done: i32,
    pub progress_total: i32,
    pub cancel_requested: bool,
    /// The `--json` output of `spares plan` / `spares simulate` once done.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub worker: Option<String>,
    /// While running: until when the worker's claim holds unless renewed.
    pub lease_until: Option<chrono::DateTime<Utc>>,
    /// How often a worker claimed it (more than once when a worker died).
    pub attempts: i32,
    pub created_by: i64,
    pub created_at: chrono::DateTime<Utc>,
    pub started_at: Option<chrono::DateTime<Utc>>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
}

impl Job {
    fn from_row(row: job::Model) -> AppResult<Job> {
        let options = serde_json::from_str(&row.options)
            .map_err(|e| AppError::Internal(format!("stored job options: {e}")))?;
        let result = match &row.result {
            None => None,
            Some(text) => Some(
                serde_json::from_str(text)
                    .map_err(|e| AppError::Internal(format!("stored job result: {e}")))?,
            ),
        };
        Ok(Job {
            id: row.id,
            kind: row.kind,
            status: row.status,
            options,
            progress_done: row.progress_done,
            progress_total: row.progress_total,
            cancel_requested: row.cancel_requested,
            result,
            error: row.error,
            worker: row.worker,
            lease_until: row.lease_until,
            attempts: row.attempts,
            created_by: row.created_by,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        })
    }
}

/// Filters of `GET /api/v1/planning/jobs`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub kind: Option<JobKind>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Jobs, oldest first, keyset-paged; without their results (a plan's can
/// be large), which `get` returns.
pub async fn list(db: &impl ConnectionTrait, f: JobFilter) -> AppResult<Page<Job>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = job::Entity::find()
        .apply_if(f.status, |q, status| {
            q.filter(job::Column::Status.eq(status))
        })
        .apply_if(f.kind, |q, kind| q.filter(job::Column::Kind.eq(kind)));
    page.fetch(db, q, job::Column::Id, |j| j.id)
        .await?
        .try_map(|mut row| {
            row.result = None;
            Job::from_row(row)
        })
}

/// Checks the request (the scenario must compile) and stores the job.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: i64,
    req: JobRequest,
    now: DateTime<Utc>,
) -> AppResult<Job> {
    let text = match &req.scenario {
        Some(text) => text.clone(),
        None => live_scenario(db, now).await?,
    };
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(AppError::field(
            "scenario",
            format!("at most {MAX_SCENARIO_BYTES} bytes"),
        ));
    }
    let scenario = Scenario::parse(&text, "scenario")
        .map_err(|e| AppError::field("scenario", e.to_string()))?;
    let compiled = scenario
        .compile(&req.what_if, "scenario")
        .map_err(|e| AppError::field("scenario", e.to_string()))?;
    let replications = req.replications.unwrap_or(compiled.replications);
    if replications == 0 || replications > MAX_JOB_REPLICATIONS {
        return Err(AppError::field(
            "replications",
            format!("must be between 1 and {MAX_JOB_REPLICATIONS}"),
        ));
    }
    let target = req.target_fill_rate.unwrap_or(compiled.target_fill_rate);
    if !(target > 0.0 && target < 1.0) {
        return Err(AppError::field(
            "target_fill_rate",
            "must be strictly between 0 and 1",
        ));
    }
    if req.kind == JobKind::Simulate && req.target_fill_rate.is_some() {
        return Err(AppError::field(
            "target_fill_rate",
            "only applies to plan jobs",
        ));
    }
    let options = JobOptions {
        replications,
        seed: req.seed.unwrap_or(compiled.seed),
        what_if: req.what_if.clone(),
        target_fill_rate: target,
    };
    let row = job::ActiveModel {
        kind: Set(req.kind),
        status: Set(JobStatus::Queued),
        scenario: Set(text),
        options: Set(serde_json::to_string(&options)
            .map_err(|e| AppError::Internal(format!("job options: {e}")))?),
        progress_done: Set(0),
        progress_total: Set(replications as i32),
        cancel_requested: Set(false),
        attempts: Set(0),
        created_by: Set(actor),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Job::from_row(row)
}

async fn row(db: &impl ConnectionTrait, id: i64) -> AppResult<job::Model> {
    job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("planning job"))
}

/// One job.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Job> {
    Job::from_row(row(db, id).await?)
}

/// The actions allowed on a job in `status`, as named in the API.
fn allowed(status: JobStatus, kind: JobKind) -> Vec<&'static str> {
    match (status, kind) {
        (JobStatus::Queued | JobStatus::Running, _) => vec!["cancel"],
        (JobStatus::Done, JobKind::Plan) => vec!["adopt"],
        _ => vec![],
    }
}

impl StateMachine for job::Entity {
    const WHAT: &'static str = "planning job";
    type Status = JobStatus;
    const ID: job::Column = job::Column::Id;
    const STATUS: job::Column = job::Column::Status;
    const UPDATED_AT: Option<job::Column> = Some(job::Column::UpdatedAt);

    fn state(j: &job::Model) -> (String, Vec<&'static str>) {
        (j.status.to_string(), allowed(j.status, j.kind))
    }
}

/// Cancels a job: a queued one at once, a running one as soon as its
/// worker sees the request (within a second), and a running one whose
/// worker died (its lease ran out) at once. A finished job cannot be
/// cancelled (409 `invalid_transition`).
pub async fn cancel(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> AppResult<Job> {
    let stopped =
        Transition::<job::Entity>::new(id, &[JobStatus::Queued], JobStatus::Cancelled, "cancel")
            .set(job::Column::CancelRequested, true)
            .set(job::Column::FinishedAt, now)
            .apply(db, now)
            .await;
    let orphaned = || {
        Transition::<job::Entity>::new(id, &[JobStatus::Running], JobStatus::Cancelled, "cancel")
            .set(job::Column::CancelRequested, true)
            .set(job::Column::FinishedAt, now)
            .set(
                job::Column::LeaseUntil,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .guard(worker::lease_expired(now))
    };
    match stopped {
        Ok(()) => {}
        Err(AppError::InvalidTransition { .. }) if orphaned().apply(db, now).await.is_ok() => {}
        Err(AppError::InvalidTransition { .. }) => {
            Transition::<job::Entity>::lock(id, &[JobStatus::Running], "cancel")
                .set(job::Column::CancelRequested, true)
                .apply(db, now)
                .await?;
        }
        Err(e) => return Err(e),
    }
    get(db, id).await
}

/// One recommended level of a finished plan: a part at a warehouse (the
/// scenario's part and warehouse codes, which adoption matches to the
/// service's part numbers and warehouse codes), with what the analytic
/// model expects of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedLevel {
    pub part_number: String,
    pub warehouse_code: String,
    /// Failures per day this location serves (network total at the depot).
    pub demand_rate: f64,
    /// Mean lead-time demand (pipeline) in units.
    pub pipeline_mean: f64,
    pub safety_stock: f64,
    /// Reorder point; -1 means hold no stock.
    pub reorder_point: i64,
    pub max: i64,
    /// Share of requests filled at once from the shelf (bases only).
    pub fill_rate: Option<f64>,
    /// Share of time without backorders.
    pub availability: f64,
    pub expected_backorders: f64,
    /// Expected units on the shelf.
    pub expected_on_hand: f64,
}

/// A location row as a plan job stores it (`spares plan --json`).
#[derive(Deserialize)]
struct StoredLocation {
    part: String,
    warehouse: String,
    demand_rate: f64,
    pipeline_mean: f64,
    safety_stock: f64,
    reorder_point: i64,
    max: i64,
    analytic: StoredAnalytic,
}

#[derive(Deserialize)]
struct StoredAnalytic {
    fill_rate: Option<f64>,
    availability: f64,
    expected_backorders: f64,
    expected_on_hand: f64,
}

impl From<StoredLocation> for PlannedLevel {
    fn from(l: StoredLocation) -> PlannedLevel {
        PlannedLevel {
            part_number: l.part,
            warehouse_code: l.warehouse,
            demand_rate: l.demand_rate,
            pipeline_mean: l.pipeline_mean,
            safety_stock: l.safety_stock,
            reorder_point: l.reorder_point,
            max: l.max,
            fill_rate: l.analytic.fill_rate,
            availability: l.analytic.availability,
            expected_backorders: l.analytic.expected_backorders,
            expected_on_hand: l.analytic.expected_on_hand,
        }
    }
}

/// The recommended levels of a finished plan, part-major, as adoption
/// would set them. A job that is not a finished plan has none (409).
pub async fn recommendations(db: &impl ConnectionTrait, id: i64) -> AppResult<Vec<PlannedLevel>> {
    let job = row(db, id).await?;
    if job.kind != JobKind::Plan {
        return Err(AppError::Conflict(format!(
            "job {id} is a {}; only plans recommend stock levels",
            job.kind
        )));
    }
    if job.status != JobStatus::Done {
        return Err(AppError::Conflict(format!(
            "job {id} is {}; a plan recommends stock levels once it is done",
            job.status
        )));
    }
    let result: serde_json::Value =
        serde_json::from_str(job.result.as_deref().unwrap_or("null"))
            .map_err(|e| AppError::Internal(format!("stored job result: {e}")))?;
    let stored: Vec<StoredLocation> =
        serde_json::from_value(result["recommendation"]["locations"].clone())
            .map_err(|e| AppError::Internal(format!("stored plan locations: {e}")))?;
    Ok(stored.into_iter().map(PlannedLevel::from).collect())
}

/// Adopts a finished plan: every recommended level becomes the stock level
/// of its part and warehouse (source `plan`). Part and warehouse codes of
/// the scenario are matched to the service's part numbers and warehouse
/// codes; an unknown one refuses the whole adoption (409), so a plan is
/// adopted entirely or not at all (the caller runs this in a transaction).
pub async fn adopt(
    db: &impl ConnectionTrait,
    actor: i64,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<ReorderLevel>> {
    let planned = recommendations(db, id).await?;
    let mut levels = Vec::with_capacity(planned.len());
    for r in planned {
        let (part_code, warehouse_code) = (r.part_number.as_str(), r.warehouse_code.as_str());
        let (reorder_point, max) = (r.reorder_point, r.max);
        let part = part::Entity::find()
            .filter(part::Column::PartNumber.eq(part_code))
            .one(db)
            .await?
            .ok_or_else(|| {
                AppError::Conflict(format!("the plan's part {part_code} is not in the service"))
            })?;
        let warehouse = warehouse::Entity::find()
            .filter(warehouse::Column::Code.eq(warehouse_code))
            .one(db)
            .await?
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "the plan's warehouse {warehouse_code} is not in the service"
                ))
            })?;
        let to_i32 = |v: i64| i32::try_from(v.max(0)).unwrap_or(i32::MAX);
        // A reorder point of -1 (no stock) is stored as 0/0.
        let level = set_level(
            db,
            actor,
            warehouse.id,
            part.id,
            ReorderLevelRequest {
                reorder_point: to_i32(reorder_point).min(to_i32(max)),
                max_level: to_i32(max),
                source: ReorderLevelSource::Plan,
            },
            now,
        )
        .await?;
        levels.push(level);
    }
    Ok(levels)
}
