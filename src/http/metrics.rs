//! `GET /metrics`: the service's numbers in the Prometheus text exposition
//! format (0.0.4), for a scraper on the internal network. Like `/health` it
//! needs no token; keep it off the public edge.
//!
//! Two kinds of numbers, kept apart on purpose:
//! - what *this process* served: requests and their latency by route
//!   template, method and status ([`record`], counted in memory since the
//!   process started, as Prometheus counters expect), and its connection
//!   pool;
//! - what the *shared database* holds: planning jobs by status and stock
//!   documents by type, counted at scrape time, so every instance over one
//!   database reports the same truth and no instance has to be the one that
//!   saw the change.
//!
//! The route label is axum's [`MatchedPath`] (`/api/v1/parts/{id}`), never
//! the raw URI, and methods outside the standard set count as `other`: a
//! client cannot grow the number of series by making up paths or methods.
//! `/metrics` is not in the OpenAPI document: it is not part of the API and
//! speaks no JSON.
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use entities::vocabulary::{DocumentType, JobStatus};
use entities::{planning_job, stock_document};
use prometheus::proto::MetricFamily;
use prometheus::{
    HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use sea_orm::DatabaseConnection;

use crate::http::AppState;
use crate::store::error::{AppError, AppResult};
use crate::store::gauges;

/// Where the scraper looks.
pub const PATH: &str = "/metrics";
/// The route label of requests no route matched (404s of made-up paths).
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: the usual 5 ms to 10 s, plus 30 s, the
/// default request timeout, so timed-out requests land in a bucket of
/// their own instead of only in `+Inf`.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The labels of every request metric.
const REQUEST_LABELS: [&str; 3] = ["route", "method", "status"];

/// This process's request metrics. One per application (not a global
/// registry), so applications in one process — the tests start many —
/// count only their own requests.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    /// Registers the request metrics; fails only on an invalid metric
    /// definition, that is, on a bug here.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "spares_http_requests_total",
                "HTTP requests answered, by route template, method and status.",
            ),
            &REQUEST_LABELS,
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "spares_http_request_duration_seconds",
                "Time from routing a request to its response head, in seconds.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &REQUEST_LABELS,
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
        })
    }

    /// Counts one answered request.
    fn observe(&self, route: &str, method: &Method, status: StatusCode, elapsed: Duration) {
        let labels = [route, method_label(method), status.as_str()];
        // The label count is fixed above, so these cannot fail; a metric is
        // never worth failing a request for anyway.
        if let Ok(c) = self.requests.get_metric_with_label_values(&labels) {
            c.inc();
        }
        if let Ok(h) = self.latency.get_metric_with_label_values(&labels) {
            h.observe(elapsed.as_secs_f64());
        }
    }
}

/// The method as a label: the standard methods by name, any other as
/// `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Middleware: counts every request but the scrapes themselves (which
/// would only measure the scraper), with its latency.
pub async fn record(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    if route == PATH {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(&route, &method, response.status(), started.elapsed());
    response
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>) -> Response {
    match render(&state).await {
        Ok(body) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], body).into_response(),
        Err(e) => AppError::Internal(format!("cannot render metrics: {e}")).into_response(),
    }
}

async fn render(state: &AppState) -> Result<String, prometheus::Error> {
    let mut families = state.metrics.registry.gather();
    families.extend(database_families(&state.db).await?);
    TextEncoder::new().encode_to_string(&families)
}

/// The pool, planning jobs and stock documents, built afresh for each
/// scrape in a registry of its own: two scrapes at once cannot see each
/// other's half-set values, and a value that cannot be read now is absent
/// rather than stale. `spares_database_up` says whether the counts could
/// be read; the request metrics are served either way.
async fn database_families(
    db: &DatabaseConnection,
) -> Result<Vec<MetricFamily>, prometheus::Error> {
    let registry = Registry::new();
    if let Some(pool) = gauges::pool(db) {
        let connections = IntGaugeVec::new(
            Opts::new(
                "spares_db_pool_connections",
                "Database connections of this process, by state (in_use, idle).",
            ),
            &["state"],
        )?;
        connections
            .get_metric_with_label_values(&["in_use"])?
            .set(saturating(pool.in_use));
        connections
            .get_metric_with_label_values(&["idle"])?
            .set(saturating(pool.idle));
        registry.register(Box::new(connections))?;
        let max = IntGauge::new(
            "spares_db_pool_max_connections",
            "The most connections this process's pool opens (--db-pool-size).",
        )?;
        max.set(saturating(pool.max));
        registry.register(Box::new(max))?;
    }
    let up = IntGauge::new(
        "spares_database_up",
        "1 when the counts of this scrape were read from the database, else 0.",
    )?;
    registry.register(Box::new(up.clone()))?;
    match counts(db).await {
        Ok((jobs, documents)) => {
            up.set(1);
            registry.register(Box::new(jobs))?;
            registry.register(Box::new(documents))?;
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count jobs and documents"),
    }
    Ok(registry.gather())
}

/// Planning jobs per status and stock documents per type, every status
/// and type present (zero when there are none), so a series never
/// vanishes while its count is zero.
async fn counts(db: &DatabaseConnection) -> AppResult<(IntGaugeVec, IntGaugeVec)> {
    let metric = |e: prometheus::Error| AppError::Internal(e.to_string());
    let jobs = IntGaugeVec::new(
        Opts::new(
            "spares_planning_jobs",
            "Planning jobs in the shared database, by status.",
        ),
        &["status"],
    )
    .map_err(metric)?;
    let by_status =
        gauges::count_by::<planning_job::Entity>(db, planning_job::Column::Status).await?;
    for status in JobStatus::ALL {
        jobs.get_metric_with_label_values(&[status.as_str()])
            .map_err(metric)?
            .set(by_status.get(status.as_str()).copied().unwrap_or(0));
    }
    let documents = IntGaugeVec::new(
        Opts::new(
            "spares_stock_documents_posted",
            "Stock documents posted to the ledger (shared database), by type.",
        ),
        &["doc_type"],
    )
    .map_err(metric)?;
    let by_type =
        gauges::count_by::<stock_document::Entity>(db, stock_document::Column::DocType).await?;
    for doc_type in DocumentType::ALL {
        documents
            .get_metric_with_label_values(&[doc_type.as_str()])
            .map_err(metric)?
            .set(by_type.get(doc_type.as_str()).copied().unwrap_or(0));
    }
    Ok((jobs, documents))
}

fn saturating(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
    }

    #[test]
    fn observed_requests_are_encoded_with_their_labels() {
        let m = Metrics::new().unwrap();
        m.observe(
            "/api/v1/parts/{id}",
            &Method::GET,
            StatusCode::NOT_FOUND,
            Duration::from_millis(3),
        );
        let text = TextEncoder::new()
            .encode_to_string(&m.registry.gather())
            .unwrap();
        assert!(
            text.contains(
                r#"spares_http_requests_total{method="GET",route="/api/v1/parts/{id}",status="404"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains("spares_http_request_duration_seconds_bucket"));
    }
}
