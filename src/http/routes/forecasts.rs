//! `/api/v1/forecasts`: planners forecast recorded or uploaded demand; every
//! run is stored and listed.
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::forecast_runs::{self, ForecastRequest, ForecastRun, RunFilter, SeriesForecast};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::db;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_run, list_runs))
        .routes(routes!(get_run))
        .routes(routes!(run_results))
}

/// Run a forecast over the ledger's demand history (per part and warehouse,
/// monthly or weekly) or over uploaded series, and store it. Roles: planner, admin.
#[utoipa::path(post, path = "/api/v1/forecasts", tag = "forecasts", request_body = ForecastRequest,
    responses((status = 201, body = ForecastRun), ApiErrors))]
async fn create_run(
    State(s): State<AppState>,
    caller: Authorized<roles::Planning>,
    Json(body): Json<ForecastRequest>,
) -> AppResult<(StatusCode, Json<ForecastRun>)> {
    let now = s.clock.now();
    let actor = caller.user_id;
    let run = db::write(&s.db, |tx| {
        Box::pin(forecast_runs::run(tx, actor, body.clone(), now))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(run)))
}

/// List forecast runs, newest last, without their results. Roles: any.
#[utoipa::path(get, path = "/api/v1/forecasts", tag = "forecasts", params(RunFilter),
    responses((status = 200, body = Page<ForecastRun>), ApiErrors))]
async fn list_runs(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<RunFilter>,
) -> AppResult<Json<Page<ForecastRun>>> {
    Ok(Json(forecast_runs::list(&s.db, f).await?))
}

/// One forecast run with every series' forecast. Roles: any.
#[utoipa::path(get, path = "/api/v1/forecasts/{id}", tag = "forecasts", params(("id" = i64, Path)),
    responses((status = 200, body = ForecastRun), ApiErrors))]
async fn get_run(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<ForecastRun>> {
    Ok(Json(forecast_runs::get(&s.db, id).await?))
}

/// The forecasts of a run, one row per series (the forecast per period
/// ahead as an array); `Accept: text/csv` gives them as CSV. Roles: any.
#[utoipa::path(get, path = "/api/v1/forecasts/{id}/results", tag = "forecasts", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SeriesForecast>), ApiErrors))]
async fn run_results(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<SeriesForecast>>> {
    Ok(Json(forecast_runs::results(&s.db, id).await?))
}
