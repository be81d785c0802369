//! `/api/v1/planning/jobs`: plans and simulations as background jobs
//! (status, progress, cancel, results) and adopting a finished plan into the
//! warehouses' stock levels. Roles: planner, admin.
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::replenishment::ReorderLevel;
use crate::flows::planning_jobs::{self, Job, JobFilter, JobRequest, PlannedLevel};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::db;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_job, list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(job_recommendations))
        .routes(routes!(cancel_job))
        .routes(routes!(adopt_job))
        .routes(routes!(live_scenario))
}

/// List jobs, oldest first, keyset-paged, by status and kind; without
/// their results (get a job for its result). Roles: planner, admin.
#[utoipa::path(get, path = "/api/v1/planning/jobs", tag = "planning", params(JobFilter),
    responses((status = 200, body = Page<Job>), ApiErrors))]
async fn list_jobs(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Query(f): Query<JobFilter>,
) -> AppResult<Json<Page<Job>>> {
    Ok(Json(planning_jobs::list(&s.db, f).await?))
}

/// The scenario file (TOML) built from the live data: network, SLA classes,
/// parts, sites, installed base and current stock levels. Edit it and post
/// it as a job, or post a job without a scenario to use it as is.
/// Roles: planner, admin.
#[utoipa::path(get, path = "/api/v1/planning/scenario", tag = "planning",
    responses((status = 200, body = LiveScenario), ApiErrors))]
async fn live_scenario(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
) -> AppResult<Json<LiveScenario>> {
    let now = s.clock.now();
    Ok(Json(LiveScenario {
        scenario: planning_jobs::live_scenario(&s.db, now).await?,
    }))
}

/// A scenario file's text.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LiveScenario {
    pub scenario: String,
}

/// Queue a plan or a simulation of a scenario (TOML text, the format of
/// scenarios/README.md); a worker of any `spares serve` on this database
/// runs it. Roles: planner, admin.
#[utoipa::path(post, path = "/api/v1/planning/jobs", tag = "planning", request_body = JobRequest,
    responses((status = 202, body = Job), ApiErrors))]
async fn create_job(
    State(s): State<AppState>,
    caller: Authorized<roles::Planning>,
    Json(body): Json<JobRequest>,
) -> AppResult<(StatusCode, Json<Job>)> {
    let now = s.clock.now();
    let job = planning_jobs::create(&s.db, caller.user_id, body, now).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// A job: status, progress (replications finished), result once done.
/// Roles: planner, admin.
#[utoipa::path(get, path = "/api/v1/planning/jobs/{id}", tag = "planning", params(("id" = i64, Path)),
    responses((status = 200, body = Job), ApiErrors))]
async fn get_job(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Job>> {
    Ok(Json(planning_jobs::get(&s.db, id).await?))
}

/// The stock levels a finished plan recommends, one row per part and
/// warehouse (what adopting it would set); `Accept: text/csv` gives them as
/// CSV. A job that is not a finished plan answers 409. Roles: planner,
/// admin.
#[utoipa::path(get, path = "/api/v1/planning/jobs/{id}/recommendations", tag = "planning",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<PlannedLevel>), ApiErrors))]
async fn job_recommendations(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<PlannedLevel>>> {
    Ok(Json(planning_jobs::recommendations(&s.db, id).await?))
}

/// Cancel a job: a queued one at once, a running one between replications.
/// Roles: planner, admin.
#[utoipa::path(post, path = "/api/v1/planning/jobs/{id}/cancel", tag = "planning", params(("id" = i64, Path)),
    responses((status = 200, body = Job), ApiErrors))]
async fn cancel_job(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Job>> {
    let now = s.clock.now();
    Ok(Json(planning_jobs::cancel(&s.db, id, now).await?))
}

/// Adopt a finished plan: its reorder points and maximum levels become the
/// stock levels replenishment uses (source `plan`), all or none.
/// Roles: planner, admin.
#[utoipa::path(post, path = "/api/v1/planning/jobs/{id}/adopt", tag = "planning", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ReorderLevel>), ApiErrors))]
async fn adopt_job(
    State(s): State<AppState>,
    caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<ReorderLevel>>> {
    let now = s.clock.now();
    let actor = caller.user_id;
    let levels = db::write(&s.db, |tx| {
        Box::pin(planning_jobs::adopt(tx, actor, id, now))
    })
    .await?;
    Ok(Json(levels))
}
