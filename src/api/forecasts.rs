//! `/api/v1/forecasts`: planners forecast recorded or uploaded demand; every
//! run is stored and listed.
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use super::docs::ApiErrors;
use super::extract::{Json, Path, Query};
use crate::auth::{Authorized, roles};
use crate::db;
use crate::error::AppResult;
use crate::forecasting::{self, ForecastRequest, ForecastRun, RunFilter};
use crate::master::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_run, list_runs))
        .routes(routes!(get_run))
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
    let actor = caller.user_id;
    let run = db::write(&s.db, |tx| {
        Box::pin(forecasting::run(tx, actor, body.clone()))
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
    Ok(Json(forecasting::list(&s.db, f).await?))
}

/// One forecast run with every series' forecast. Roles: any.
#[utoipa::path(get, path = "/api/v1/forecasts/{id}", tag = "forecasts", params(("id" = i64, Path)),
    responses((status = 200, body = ForecastRun), ApiErrors))]
async fn get_run(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<ForecastRun>> {
    Ok(Json(forecasting::get(&s.db, id).await?))
}
