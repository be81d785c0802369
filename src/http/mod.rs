//! The HTTP edge: configuration, the server, routers per area under
//! `/api/v1` ([`routes`]), authentication, idempotent calls, problem+json
//! errors, the OpenAPI document generated from the handlers, and the
//! middleware every request passes: a request id ([`request_id`]), a trace
//! span, request metrics ([`metrics`]), the timeout and the body limit; the
//! API's answers also pass [`natural_keys`], which writes part numbers and
//! codes beside ids; a list asked for CSV is answered by [`csv_export`].
pub mod auth;
pub mod config;
pub mod csv_export;
pub mod docs;
pub mod docs_ui;
pub mod extract;
pub mod idempotency;
pub mod json;
pub mod listener;
pub mod metrics;
pub mod natural_keys;
pub mod problem;
pub mod request_id;
pub mod routes;
pub mod server;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use routes::*;
use sea_orm::DatabaseConnection;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::core::clock::Clock;
use crate::store::error::AppError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where handlers read `now` from (see [`crate::core::clock`]).
    pub clock: Clock,
    /// This application's request counters, which `/metrics` serves.
    pub metrics: Arc<metrics::Metrics>,
    /// The largest CSV file an import takes (`--import-max-bytes`).
    pub import_max_bytes: u64,
}

/// All routes with their OpenAPI descriptions, before state and middleware.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .merge(system::router())
        .merge(admin::router())
        .merge(parts::router())
        .merge(forecasts::router())
        .merge(stock::router())
        .merge(stocktake::router())
        .merge(network::router())
        .merge(sites::router())
        .merge(vendors::router())
        .merge(repair::router())
        .merge(returns::router())
        .merge(serials::router())
        .merge(scrap::router())
        .merge(transfers::router())
        .merge(purchasing::router())
        .merge(kpis::router())
        .merge(replacement_requests::router())
        .merge(planning::router())
        .merge(imports::router())
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut spec = api_router().into_openapi();
    natural_keys::describe(&mut spec);
    spec
}

/// The complete application: routes, docs, `/metrics`, error fallbacks
/// and middleware.
///
/// The layers, outermost first: an unusable `x-request-id` is dropped, a
/// missing one generated, and the id copied to the response; the trace
/// span carries it (so every log line of the request does); then the
/// request is counted, so timeouts (408) are counted too; then the timeout
/// and the body limit.
pub fn app(state: AppState, request_timeout: Duration, max_body_bytes: usize) -> Router {
    let (router, mut spec) = api_router().split_for_parts();
    natural_keys::describe(&mut spec);
    let counters = state.metrics.clone();
    let exports = csv_export::Exports::new(state.db.clone(), &spec);
    router
        .route_layer(axum::middleware::from_fn_with_state(
            exports,
            csv_export::answer_csv,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.db.clone(),
            natural_keys::name_ids,
        ))
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || async move { axum::Json(spec) }),
        )
        .route(metrics::PATH, axum::routing::get(metrics::scrape))
        .merge(docs_ui::router())
        .fallback(|| async { AppError::RouteNotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            counters,
            metrics::record,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let path = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or(metrics::UNMATCHED);
                    let request_id = request_id::of(req);
                    tracing::info_span!("request", request_id = %request_id, method = %req.method(), path, uri = %req.uri())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(request_id::drop_insane))
}
