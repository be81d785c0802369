//! `spares export KIND [FILTER=VALUE ...]`: a list of the API as CSV on
//! stdout, exactly as `GET` of the list with `Accept: text/csv` gives it
//! (the same handler, filters and columns), called in-process as the admin
//! service user [`CLI_USER`] (created on first use).
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use entities::vocabulary::Role;
use futures_util::StreamExt;
use tower::ServiceExt;
use tracing::instrument::WithSubscriber;

use super::CliError;
use crate::core::clock::Clock;
use crate::flows::users::{self, Caller};
use crate::http::config::DatabaseArgs;
use crate::http::csv_export::TEXT_CSV;
use crate::http::{self, AppState, metrics};
use crate::store::db;

/// The user the command line exports as.
pub const CLI_USER: &str = "spares-export";

/// The lists by the names the command takes, with their API paths.
pub const KINDS: &[(&str, &str)] = &[
    ("parts", "/api/v1/parts"),
    ("vendors", "/api/v1/vendors"),
    ("warehouses", "/api/v1/warehouses"),
    ("lanes", "/api/v1/lanes"),
    ("sla-classes", "/api/v1/sla-classes"),
    ("sites", "/api/v1/sites"),
    ("holidays", "/api/v1/holidays"),
    ("installed-base", "/api/v1/installed-base"),
    ("stock", "/api/v1/stock"),
    ("stock-totals", "/api/v1/stock/totals"),
    ("movements", "/api/v1/stock/movements"),
    ("documents", "/api/v1/stock/documents"),
    ("stock-levels", "/api/v1/stock-levels"),
    ("demand-records", "/api/v1/demand-records"),
    ("replacement-requests", "/api/v1/replacement-requests"),
    ("purchase-orders", "/api/v1/purchase-orders"),
    ("transfers", "/api/v1/transfers"),
    ("shipments", "/api/v1/shipments"),
    ("serials", "/api/v1/serials"),
    ("forecasts", "/api/v1/forecasts"),
    ("planning-jobs", "/api/v1/planning/jobs"),
    ("kpis", "/api/v1/kpis/periods"),
];

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// What to export: parts, vendors, warehouses, lanes, sla-classes,
    /// sites, holidays, installed-base, stock, stock-totals, movements, documents,
    /// stock-levels, demand-records, replacement-requests, purchase-orders,
    /// transfers, shipments, serials, forecasts, planning-jobs, kpis — or any
    /// list's API path, such as `/api/v1/forecasts/3/results`.
    pub kind: String,
    /// The list's filters, as its query parameters: `from=2026-01-01`,
    /// `warehouse_id=2`, ...
    #[arg(value_name = "FILTER=VALUE")]
    pub filters: Vec<String>,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Writes the CSV to `out`; a refused export (an unknown kind, a bad
/// filter) is an error naming the problem, and writes nothing.
pub async fn run(args: &ExportArgs, out: &mut impl Write) -> Result<(), CliError> {
    let uri = address(args)?;
    let conn = db::connect_existing(&args.database.database_url, 2).await?;
    db::migrate(&conn).await?;
    let clock = Clock::system();
    let user_id = users::service_user(&conn, CLI_USER, Role::Admin, clock.now()).await?;
    let state = AppState {
        db: conn,
        clock,
        metrics: Arc::new(
            metrics::Metrics::new().map_err(|e| CliError::App(format!("metrics: {e}")))?,
        ),
        import_max_bytes: 0,
    };
    let mut request = Request::get(&uri)
        .header(header::ACCEPT, TEXT_CSV)
        .body(Body::empty())
        .map_err(|e| CliError::App(format!("`{uri}` is not a usable address: {e}")))?;
    request.extensions_mut().insert(Caller {
        user_id,
        name: CLI_USER.to_owned(),
        role: Role::Admin,
    });
    let app = http::app(state, Duration::from_secs(3600), 0);
    // The request log is the server's; a command's output is its CSV.
    let answer = app
        .oneshot(request)
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
        .map_err(|e| CliError::App(format!("export: {e}")))?;
    let status = answer.status();
    let mut body = answer.into_body().into_data_stream();
    if !status.is_success() {
        let mut text = Vec::new();
        while let Some(chunk) = body.next().await {
            text.extend_from_slice(&chunk.map_err(|e| CliError::App(e.to_string()))?);
        }
        return Err(CliError::App(refusal(&uri, &text)));
    }
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| CliError::App(format!("export interrupted: {e}")))?;
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(())
}

/// The list's path and query: a kind's path, or a path given as it is.
fn address(args: &ExportArgs) -> Result<String, CliError> {
    let path = if args.kind.starts_with("/api/v1/") {
        args.kind.clone()
    } else {
        KINDS
            .iter()
            .find(|(name, _)| *name == args.kind)
            .map(|(_, path)| (*path).to_owned())
            .ok_or_else(|| {
                let names: Vec<&str> = KINDS.iter().map(|(name, _)| *name).collect();
                CliError::App(format!(
                    "cannot export `{}`; the kinds are {}, or a list's API path",
                    args.kind,
                    names.join(", ")
                ))
            })?
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for filter in &args.filters {
        let (name, value) = filter
            .split_once('=')
            .ok_or_else(|| CliError::App(format!("filter `{filter}` must be NAME=VALUE")))?;
        query.append_pair(name, value);
    }
    let query = query.finish();
    Ok(if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    })
}

/// The problem+json `detail` (and every field error) of a refused export.
fn refusal(uri: &str, body: &[u8]) -> String {
    let Ok(problem) = serde_json::from_slice::<serde_json::Value>(body) else {
        return format!("{uri}: {}", String::from_utf8_lossy(body));
    };
    let mut message = format!("{uri}: {}", problem["detail"].as_str().unwrap_or("refused"));
    for e in problem["errors"].as_array().into_iter().flatten() {
        message.push_str(&format!(
            "\n  {}: {}",
            e["field"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ));
    }
    message
}
