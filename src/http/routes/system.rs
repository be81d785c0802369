//! Liveness and readiness probes; no token needed.
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::http::AppState;
use crate::http::extract::Json;
use crate::store::error::{AppError, AppResult};

#[derive(Serialize, ToSchema)]
pub struct Status {
    pub status: &'static str,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// The process is alive.
#[utoipa::path(get, path = "/health", tag = "system", security(()),
    responses((status = 200, body = Status)))]
async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The database answers; load balancers route traffic only when this is 200.
#[utoipa::path(get, path = "/ready", tag = "system", security(()),
    responses((status = 200, body = Status),
        (status = 503, description = "Database unreachable", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
async fn ready(State(state): State<AppState>) -> AppResult<(StatusCode, Json<Status>)> {
    state
        .db
        .ping()
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok((StatusCode::OK, Json(Status { status: "ready" })))
}
