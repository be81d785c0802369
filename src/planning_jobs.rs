//! Plans and simulations as background jobs (issue 7, item 6).
//!
//! A planner posts a scenario (the TOML of `scenarios/README.md`); the job
//! is stored `queued`. Every `spares serve` instance runs a [`worker`] that
//! claims the oldest queued job with a conditional `UPDATE ... WHERE id = ?
//! AND status = 'queued'`: on one database shared by several instances only
//! one update can match, so each job runs exactly once, wherever. The worker
//! runs the same code as `spares plan --json` / `spares simulate --json` on a
//! blocking thread, writes the replications finished as progress, watches
//! for a cancel request, and stores the JSON result. A finished plan can be
//! adopted: its levels become the warehouses' reorder points and maximum
//! levels (`stock_levels`, source `plan`) that replenishment uses.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use entities::{
    installed_base, lane, part, planning_job as job, repair_line, repair_order, site, sla_class,
    stock_level, warehouse,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::cli::plan::{PlanCliError, compute_plan, plan_json, simulate_json};
use crate::error::{AppError, AppResult};
use crate::logistics::replenishment::{
    ReorderLevel, ReorderLevelRequest, ReorderLevelSource, set_level,
};
use crate::master::{Page, PageParams};
use crate::planning::scenario::{
    CostsSection, HistorySection, LaneSection, ModelChoice, PartSection, PolicySection, Scenario,
    SimulationSection, SiteSection, SlaClassSection, StockSection, WarehouseSection,
};
use crate::planning::sim::{self, RunOptions, SimError};
use std::collections::{BTreeMap, HashMap};

/// Most replications one job may ask for.
pub const MAX_JOB_REPLICATIONS: usize = 10_000;
/// Longest scenario text accepted.
pub const MAX_SCENARIO_BYTES: usize = 4 * 1024 * 1024;
/// How often an idle worker looks for work, and a busy one reports progress
/// and checks for a cancel request.
pub const POLL: Duration = Duration::from_millis(200);

/// What a job computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Recommend stock and check it by simulation (`spares plan`).
    Plan,
    /// Simulate the scenario's policy as given (`spares simulate`).
    Simulate,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Simulate => "simulate",
        }
    }
}

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
    pub kind: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub status: String,
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
            created_by: row.created_by,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        })
    }
}

/// A job's state, as `GET /api/v1/planning/jobs?status=` filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
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
    let page = PageParams {
        after: f.after,
        limit: f.limit,
    };
    let mut v = crate::domain::Validator::new();
    page.validate(&mut v);
    v.finish()?;
    let mut q = job::Entity::find();
    if let Some(status) = f.status {
        q = q.filter(job::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = f.kind {
        q = q.filter(job::Column::Kind.eq(kind.as_str()));
    }
    page.fetch(db, q, job::Column::Id, |j| j.id)
        .await?
        .map(|mut row| {
            row.result = None;
            Job::from_row(row)
        })
}

/// Checks the request (the scenario must compile) and stores the job.
pub async fn create(db: &impl ConnectionTrait, actor: i64, req: JobRequest) -> AppResult<Job> {
    let text = match &req.scenario {
        Some(text) => text.clone(),
        None => live_scenario(db).await?,
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
    let now = Utc::now();
    let row = job::ActiveModel {
        kind: Set(req.kind.as_str().into()),
        status: Set("queued".into()),
        scenario: Set(text),
        options: Set(serde_json::to_string(&options)
            .map_err(|e| AppError::Internal(format!("job options: {e}")))?),
        progress_done: Set(0),
        progress_total: Set(replications as i32),
        cancel_requested: Set(false),
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

/// Cancels a job: a queued one at once, a running one as soon as its
/// worker sees the request (between replications). A finished job cannot
/// be cancelled (409).
pub async fn cancel(db: &impl ConnectionTrait, id: i64) -> AppResult<Job> {
    let now = Utc::now();
    let queued = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("cancelled"))
        .col_expr(job::Column::CancelRequested, Expr::value(true))
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.eq("queued"))
        .exec(db)
        .await?;
    if queued.rows_affected == 0 {
        let running = job::Entity::update_many()
            .col_expr(job::Column::CancelRequested, Expr::value(true))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::Status.eq("running"))
            .exec(db)
            .await?;
        if running.rows_affected == 0 {
            let current = row(db, id).await?;
            return Err(AppError::Conflict(format!(
                "job {id} is already {}",
                current.status
            )));
        }
    }
    get(db, id).await
}

/// Adopts a finished plan: every recommended level becomes the stock level
/// of its part and warehouse (source `plan`). Part and warehouse codes of
/// the scenario are matched to the service's part numbers and warehouse
/// codes; an unknown one refuses the whole adoption (409), so a plan is
/// adopted entirely or not at all (the caller runs this in a transaction).
pub async fn adopt(db: &impl ConnectionTrait, actor: i64, id: i64) -> AppResult<Vec<ReorderLevel>> {
    let job = row(db, id).await?;
    if job.kind != "plan" {
        return Err(AppError::Conflict(format!(
            "job {id} is a {}, only plans can be adopted",
            job.kind
        )));
    }
    if job.status != "done" {
        return Err(AppError::Conflict(format!(
            "job {id} is {}, only a finished plan can be adopted",
            job.status
        )));
    }
    let result: serde_json::Value =
        serde_json::from_str(job.result.as_deref().unwrap_or("null"))
            .map_err(|e| AppError::Internal(format!("stored job result: {e}")))?;
    let rows = result["recommendation"]["locations"]
        .as_array()
        .ok_or_else(|| AppError::Internal("stored plan has no locations".into()))?;
    let mut levels = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(part_code), Some(warehouse_code), Some(reorder_point), Some(max)) = (
            r["part"].as_str(),
            r["warehouse"].as_str(),
            r["reorder_point"].as_i64(),
            r["max"].as_i64(),
        ) else {
            return Err(AppError::Internal("stored plan row is malformed".into()));
        };
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
        )
        .await?;
        levels.push(level);
    }
    Ok(levels)
}

/// Claims the oldest queued job for `worker`, if any.
async fn claim(db: &DatabaseConnection, worker: &str) -> AppResult<Option<job::Model>> {
    loop {
        let Some(candidate) = job::Entity::find()
            .filter(job::Column::Status.eq("queued"))
            .order_by_asc(job::Column::Id)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let now = Utc::now();
        let claimed = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value("running"))
            .col_expr(job::Column::Worker, Expr::value(worker))
            .col_expr(job::Column::StartedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(candidate.id))
            .filter(job::Column::Status.eq("queued"))
            .exec(db)
            .await?;
        if claimed.rows_affected == 1 {
            return Ok(Some(row(db, candidate.id).await?));
        }
        // Another worker won this one (or it was cancelled): try the next.
    }
}

/// How a job ended.
enum Outcome {
    Done(String),
    Cancelled,
    Failed(String),
}

/// The computation itself, on a blocking thread.
fn compute(
    kind: &str,
    scenario: &str,
    options: &JobOptions,
    progress: &AtomicUsize,
    cancel: &AtomicBool,
) -> Outcome {
    let run = || -> Result<String, PlanCliError> {
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
        if kind == "plan" {
            let (recommendation, report) = compute_plan(
                &compiled,
                run_options,
                options.target_fill_rate,
                &tick,
                cancel,
            )?;
            plan_json(&compiled, &recommendation, &report)
        } else {
            let report = sim::simulate_cancellable(&compiled.model, run_options, &tick, cancel)?;
            simulate_json(&compiled, &report)
        }
    };
    match run() {
        Ok(json) => Outcome::Done(json),
        Err(PlanCliError::Sim(SimError::Cancelled)) => Outcome::Cancelled,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Runs one claimed job to its end.
async fn execute(db: &DatabaseConnection, claimed: job::Model) -> AppResult<()> {
    let options: JobOptions = serde_json::from_str(&claimed.options)
        .map_err(|e| AppError::Internal(format!("stored job options: {e}")))?;
    let progress = Arc::new(AtomicUsize::new(0));
    let cancel = Arc::new(AtomicBool::new(claimed.cancel_requested));
    let mut task = {
        let (progress, cancel) = (progress.clone(), cancel.clone());
        let (kind, scenario) = (claimed.kind.clone(), claimed.scenario.clone());
        tokio::task::spawn_blocking(move || compute(&kind, &scenario, &options, &progress, &cancel))
    };
    let outcome = loop {
        tokio::select! {
            finished = &mut task => {
                break finished.unwrap_or_else(|e| Outcome::Failed(format!("job worker stopped: {e}")));
            }
            _ = tokio::time::sleep(POLL) => {
                let done = progress.load(Ordering::Relaxed) as i32;
                job::Entity::update_many()
                    .col_expr(job::Column::ProgressDone, Expr::value(done))
                    .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(job::Column::Id.eq(claimed.id))
                    .exec(db)
                    .await?;
                if row(db, claimed.id).await?.cancel_requested {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        }
    };
    let now = Utc::now();
    let done = progress.load(Ordering::Relaxed) as i32;
    let (status, result, error) = match outcome {
        Outcome::Done(json) => ("done", Some(json), None),
        Outcome::Cancelled => ("cancelled", None, None),
        Outcome::Failed(message) => ("failed", None, Some(message)),
    };
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(status))
        .col_expr(job::Column::Result, Expr::value(result))
        .col_expr(job::Column::Error, Expr::value(error))
        .col_expr(job::Column::ProgressDone, Expr::value(done))
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(claimed.id))
        .filter(job::Column::Status.eq("running"))
        .exec(db)
        .await?;
    Ok(())
}

/// The worker loop every `spares serve` runs: claim, run, repeat; sleep
/// [`POLL`] when there is nothing to do. Errors (a database hiccup) are
/// logged and retried, never fatal.
pub async fn worker(db: DatabaseConnection, name: String) {
    loop {
        match claim(&db, &name).await {
            Ok(Some(claimed)) => {
                let id = claimed.id;
                tracing::info!(job = id, worker = %name, "planning job claimed");
                if let Err(e) = execute(&db, claimed).await {
                    tracing::warn!(job = id, error = %e, "planning job could not be recorded");
                }
            }
            Ok(None) => tokio::time::sleep(POLL).await,
            Err(e) => {
                tracing::warn!(error = %e, "planning worker cannot claim jobs");
                tokio::time::sleep(POLL * 5).await;
            }
        }
    }
}

/// SLA class given to active sites that have none: the longest window.
pub const NO_SLA_CLASS: &str = "NO-SLA";

/// Builds a scenario (TOML) from the live data: active warehouses with
/// their parents, lanes, SLA classes, parts (unit cost, repairable, annual
/// failure rate, lead time, repair turnaround), sites with their serving
/// warehouse, transit and SLA class, the installed base, and the current
/// stock levels as the policy. The repair loop is measured where repairs
/// were recorded: a repairable part's turnaround is the mean time from
/// send-out to return of its repaired units and its beyond-repair share the
/// share of its closed repair lines found beyond repair (master data's
/// turnaround where nothing was repaired yet). Simulation settings are
/// defaults (two years, 90 days warm-up, 10 replications, seed 1) a planner
/// can edit. Demand is the ledger's own history where there is enough of it:
/// a part with installed units whose issues to the field span at least
/// [`MIN_HISTORY_MONTHS`] complete months gets its monthly network-wide
/// counts as `demand_history` (the simulation resamples them); any other
/// part keeps installed base × failure rate.
pub async fn live_scenario(db: &impl ConnectionTrait) -> AppResult<String> {
    let warehouses = warehouse::Entity::find()
        .filter(warehouse::Column::Active.eq(true))
        .order_by_asc(warehouse::Column::Id)
        .all(db)
        .await?;
    let code_of: HashMap<i64, String> = warehouses.iter().map(|w| (w.id, w.code.clone())).collect();
    let parts = part::Entity::find()
        .filter(part::Column::Active.eq(true))
        .order_by_asc(part::Column::Id)
        .all(db)
        .await?;
    let part_of: HashMap<i64, String> = parts
        .iter()
        .map(|p| (p.id, p.part_number.clone()))
        .collect();
    let classes = sla_class::Entity::find()
        .filter(sla_class::Column::Active.eq(true))
        .order_by_asc(sla_class::Column::Id)
        .all(db)
        .await?;
    let class_of: HashMap<i64, String> = classes.iter().map(|c| (c.id, c.code.clone())).collect();
    let mut sla_classes: Vec<SlaClassSection> = classes
        .iter()
        .map(|c| SlaClassSection {
            code: c.code.clone(),
            window_hours: f64::from(c.response_minutes) / 60.0,
            business_hours: c.business_hours_only,
        })
        .collect();
    let sites = site::Entity::find()
        .filter(site::Column::Active.eq(true))
        .order_by_asc(site::Column::Id)
        .all(db)
        .await?;
    let mut installed: HashMap<i64, BTreeMap<String, u32>> = HashMap::new();
    for row in installed_base::Entity::find()
        .order_by_asc(installed_base::Column::Id)
        .all(db)
        .await?
    {
        if let Some(code) = part_of.get(&row.part_id)
            && row.quantity > 0
        {
            installed
                .entry(row.site_id)
                .or_default()
                .insert(code.clone(), row.quantity as u32);
        }
    }
    let mut site_sections = Vec::new();
    for s in &sites {
        let Some(serving) = code_of.get(&s.serving_warehouse_id) else {
            continue;
        };
        let class = match s.sla_class_id.and_then(|id| class_of.get(&id)) {
            Some(code) => code.clone(),
            None => {
                if !sla_classes.iter().any(|c| c.code == NO_SLA_CLASS) {
                    sla_classes.push(SlaClassSection {
                        code: NO_SLA_CLASS.into(),
                        window_hours: crate::planning::scenario::MAX_WINDOW_HOURS,
                        business_hours: false,
                    });
                }
                NO_SLA_CLASS.into()
            }
        };
        site_sections.push(SiteSection {
            code: s.code.clone(),
            warehouse: serving.clone(),
            transit_hours: s.transit_hours,
            sla_class: class,
            installed: installed.remove(&s.id).unwrap_or_default(),
        });
    }
    let lanes = lane::Entity::find()
        .filter(lane::Column::Active.eq(true))
        .order_by_asc(lane::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| {
            Some(LaneSection {
                from: code_of.get(&l.from_warehouse_id)?.clone(),
                to: code_of.get(&l.to_warehouse_id)?.clone(),
                transit_hours: l.transit_hours,
                cost: l.cost.parse().unwrap_or(0.0),
                both_ways: false,
            })
        })
        .collect();
    let measured = measured_repairs(db).await?;
    let installed_parts: std::collections::HashSet<&String> = site_sections
        .iter()
        .flat_map(|s| s.installed.keys())
        .collect();
    let history = monthly_demand(db).await?;
    let part_sections = parts
        .iter()
        .map(|p| {
            let repairable = p.kind == "repairable";
            let loop_of = measured.get(&p.id).copied().unwrap_or_default();
            let demand_history = history
                .get(&p.id)
                .filter(|_| installed_parts.contains(&p.part_number))
                .map(|counts| HistorySection {
                    period_days: DAYS_PER_MONTH,
                    counts: counts.clone(),
                });
            PartSection {
                code: p.part_number.clone(),
                description: p.description.clone(),
                // The simulation values stock; a part without a cost gets
                // the smallest one so it still plans (cheapest to stock).
                unit_cost: p.unit_cost.parse::<f64>().unwrap_or(0.0).max(0.01),
                repairable,
                repair_turnaround_days: match (repairable, loop_of.turnaround()) {
                    (false, _) => 0.0,
                    (true, Some(days)) => days,
                    (true, None) => f64::from(p.repair_turnaround_days.max(0)),
                },
                return_days: 0.0,
                beyond_repair_share: if repairable {
                    loop_of.beyond_repair_share()
                } else {
                    0.0
                },
                lead_time_days: f64::from(p.lead_time_days.max(0)),
                failure_rate_per_year: if demand_history.is_some() {
                    0.0
                } else {
                    p.annual_failure_rate.max(0.0)
                },
                order_quantity: 1,
                demand_history,
            }
        })
        .collect();
    let mut stock = Vec::new();
    for l in stock_level::Entity::find()
        .order_by_asc(stock_level::Column::Id)
        .all(db)
        .await?
    {
        let (Some(part), Some(warehouse)) = (part_of.get(&l.part_id), code_of.get(&l.warehouse_id))
        else {
            continue;
        };
        if l.max_level <= 0 {
            continue;
        }
        stock.push(StockSection {
            part: part.clone(),
            warehouse: warehouse.clone(),
            max: i64::from(l.max_level),
            // The scenario's s is strictly below S.
            reorder_point: Some(i64::from(l.reorder_point.min(l.max_level - 1))),
        });
    }
    let scenario = Scenario {
        name: "live".into(),
        description: format!("built from the live data at {}", Utc::now().to_rfc3339()),
        simulation: SimulationSection {
            horizon_days: 730.0,
            warmup_days: 90.0,
            replications: 10,
            seed: 1,
        },
        costs: CostsSection::default(),
        sla_classes,
        warehouses: warehouses
            .iter()
            .map(|w| WarehouseSection {
                code: w.code.clone(),
                name: w.name.clone(),
                parent: w.parent_id.and_then(|p| code_of.get(&p).cloned()),
            })
            .collect(),
        lanes,
        emergency: None,
        parts: part_sections,
        sites: site_sections,
        policy: PolicySection {
            target_fill_rate: 0.95,
            model: ModelChoice::VariMetric,
            stock,
        },
        what_if: Vec::new(),
    };
    toml::to_string(&scenario).map_err(|e| AppError::Internal(format!("live scenario: {e}")))
}

/// The fewest complete months of recorded demand a part needs before the
/// live scenario resamples its history instead of its failure rate.
pub const MIN_HISTORY_MONTHS: usize = 6;
/// The average length of a calendar month.
const DAYS_PER_MONTH: f64 = 30.4375;

/// Network-wide demand per part over the last two years of complete
/// months, from the part's first month with demand on, for parts with at
/// least [`MIN_HISTORY_MONTHS`] such months.
async fn monthly_demand(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, Vec<u32>>> {
    use crate::forecasting::history::{Bucket, demand_series, window};
    let (from, to) = window(Bucket::Month, 24, Utc::now());
    let mut by_part: HashMap<i64, Vec<f64>> = HashMap::new();
    for series in demand_series(db, Bucket::Month, from, to, None, None).await? {
        let total = by_part
            .entry(series.part_id)
            .or_insert_with(|| vec![0.0; series.values.len()]);
        for (t, v) in total.iter_mut().zip(&series.values) {
            *t += v;
        }
    }
    Ok(by_part
        .into_iter()
        .filter_map(|(part, values)| Some((part, history_counts(&values)?)))
        .collect())
}

/// The monthly counts from the first month with demand on, if they span at
/// least [`MIN_HISTORY_MONTHS`]; a month netted below zero by reversals
/// counts as zero.
fn history_counts(values: &[f64]) -> Option<Vec<u32>> {
    let first = values.iter().position(|v| *v > 0.0)?;
    let months = &values[first..];
    (months.len() >= MIN_HISTORY_MONTHS)
        .then(|| months.iter().map(|v| v.max(0.0).round() as u32).collect())
}

/// Closed repair lines of one part, summed.
#[derive(Debug, Clone, Copy, Default)]
struct MeasuredRepairs {
    /// Units repaired and returned, and their days in repair summed.
    repaired: f64,
    repaired_days: f64,
    /// Units found beyond repair.
    beyond: f64,
}

impl MeasuredRepairs {
    /// Mean days from send-out to return, if anything came back repaired.
    fn turnaround(&self) -> Option<f64> {
        (self.repaired > 0.0).then(|| self.repaired_days / self.repaired)
    }

    fn beyond_repair_share(&self) -> f64 {
        let total = self.repaired + self.beyond;
        if total > 0.0 {
            self.beyond / total
        } else {
            0.0
        }
    }
}

/// The repair loop as recorded, per part id.
async fn measured_repairs(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, MeasuredRepairs>> {
    let sent: HashMap<i64, chrono::DateTime<Utc>> = repair_order::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.sent_at))
        .collect();
    let mut by_part: HashMap<i64, MeasuredRepairs> = HashMap::new();
    for line in repair_line::Entity::find()
        .filter(repair_line::Column::Outcome.is_in(["repaired", "beyond_repair"]))
        .order_by_asc(repair_line::Column::Id)
        .all(db)
        .await?
    {
        let units = f64::from(line.quantity.max(0));
        let entry = by_part.entry(line.part_id).or_default();
        if line.outcome == "beyond_repair" {
            entry.beyond += units;
        } else if let (Some(returned), Some(sent)) =
            (line.returned_at, sent.get(&line.repair_order_id))
        {
            let days = (returned - *sent).num_seconds().max(0) as f64 / 86_400.0;
            entry.repaired += units;
            entry.repaired_days += units * days;
        }
    }
    Ok(by_part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_starts_at_the_first_demand_and_needs_six_months() {
        assert_eq!(history_counts(&[0.0; 24]), None);
        assert_eq!(history_counts(&[0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0]), None);
        assert_eq!(
            history_counts(&[0.0, 2.0, 0.0, 1.0, -1.0, 4.0, 0.0]),
            Some(vec![2, 0, 1, 0, 4, 0])
        );
    }
}
