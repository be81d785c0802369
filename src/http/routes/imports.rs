//! `POST /api/v1/imports/{kind}`: a company's spreadsheets (CSV) into the
//! service, all or nothing ([`crate::flows::imports`]). Each kind admits
//! the roles that may make the same writes through the JSON API.
//!
//! The upload is first written to a temporary file, counting bytes against
//! `--import-max-bytes` (a `Content-Length` over it is refused before a
//! byte is read): a refusal by size comes before any parsing, the database
//! is not held while a slow client uploads, and memory does not grow with
//! the file. The JSON body limit does not apply to this route.
use std::path::{Path as FsPath, PathBuf};
use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use entities::vocabulary::Role;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::imports::{self, ImportSummary, Kind, Options};
use crate::http::AppState;
use crate::http::auth::{Caller, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import))
}

/// Query parameters of an import.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check every row and count what would change, then change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// The roles that may import `kind`: those of the matching API writes.
pub fn writers(kind: Kind) -> &'static [Role] {
    match kind {
        Kind::Parts
        | Kind::Vendors
        | Kind::Sites
        | Kind::InstalledBase
        | Kind::StockLevels
        | Kind::DemandHistory
        | Kind::Holidays => roles::PLANNING,
        Kind::Warehouses | Kind::Lanes | Kind::SlaClasses => roles::ADMIN,
        Kind::OpeningStock => roles::STOCK,
    }
}

/// Import a CSV file of one kind, all rows or none. Roles: by kind (below).
///
/// The file is `Content-Type: text/csv`, UTF-8, comma-separated, with a
/// header row naming the columns. Kinds: `parts`, `vendors`,
/// `sla-classes`, `sites`, `installed-base`, `stock-levels` and
/// `demand-history`, `holidays` (roles: admin, planner), `warehouses` and `lanes`
/// (admin), `opening-stock` (admin, warehouse). Rows are matched by natural
/// key: new ones created, changed ones updated, identical ones left alone;
/// the whole file in one transaction. Every refused cell is named in a 422
/// `import_rejected` by `row` (line of the file) and `column`, and nothing
/// changes. The columns of each kind are in the README.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "imports",
    params(("kind" = Kind, Path, description = "What the file holds"), ImportParams),
    request_body(content = String, content_type = "text/csv",
        description = "The CSV file, at most `--import-max-bytes` (50 MiB by default)"),
    responses((status = 200, body = ImportSummary), ApiErrors))]
async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Json<ImportSummary>> {
    let kind: Kind = kind.parse().map_err(|detail| AppError::BadParameter {
        what: "kind",
        detail,
    })?;
    caller.require(writers(kind))?;
    check_csv(&headers)?;
    let limit = s.import_max_bytes;
    if declared_length(&headers).is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge);
    }
    let file = spool(body, limit).await?;
    let options = Options {
        kind,
        dry_run: params.dry_run,
        actor_id: caller.user_id,
        now: s.clock.now(),
    };
    Ok(Json(imports::run(&s.db, options, file).await?))
}

/// Refuses (415) a body that does not say it is CSV, or says it is in
/// another encoding than UTF-8.
fn check_csv(headers: &HeaderMap) -> AppResult<()> {
    let given = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = given.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    if mime != "text/csv" {
        return Err(AppError::UnsupportedMediaType(format!(
            "expected `Content-Type: text/csv`, got `{given}`"
        )));
    }
    let charset = parts
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim().trim_matches('"').to_ascii_lowercase());
    match charset.as_deref() {
        None | Some("utf-8") | Some("utf8") => Ok(()),
        Some(other) => Err(AppError::UnsupportedMediaType(format!(
            "the file must be UTF-8 (`text/csv; charset=utf-8`), not {other}"
        ))),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The body written to a fresh temporary file, at most `limit` bytes (413
/// beyond), and opened for reading. The file's name is removed at once:
/// the open file is all that is left, and it goes when it is closed.
async fn spool(mut body: Body, limit: u64) -> AppResult<std::fs::File> {
    let path = spool_path();
    let written = write_spool(&mut body, &path, limit).await;
    let opened = written.and_then(|()| {
        std::fs::File::open(&path).map_err(|e| AppError::Internal(format!("spool: {e}")))
    });
    let _ = tokio::fs::remove_file(&path).await;
    opened
}

fn spool_path() -> PathBuf {
    std::env::temp_dir().join(format!(
        "spares-import-{}-{:016x}.csv",
        std::process::id(),
        rand::random::<u64>()
    ))
}

async fn write_spool(body: &mut Body, path: &FsPath, limit: u64) -> AppResult<()> {
    let internal = |e: std::io::Error| AppError::Internal(format!("spool {}: {e}", path.display()));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(internal)?;
    let mut total: u64 = 0;
    while let Some(chunk) = next_chunk(body).await? {
        total += chunk.len() as u64;
        if total > limit {
            return Err(AppError::PayloadTooLarge);
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)
}

/// The next piece of the body's data; `None` at its end.
async fn next_chunk(body: &mut Body) -> AppResult<Option<Bytes>> {
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await;
        match frame {
            None => return Ok(None),
            Some(Err(e)) => {
                return Err(AppError::BadParameter {
                    what: "body",
                    detail: format!("the upload broke off: {e}"),
                });
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, value.parse().unwrap());
        h
    }

    #[test]
    fn csv_in_utf8_only() {
        assert!(check_csv(&with_type("text/csv")).is_ok());
        assert!(check_csv(&with_type("text/csv; charset=UTF-8")).is_ok());
        assert!(check_csv(&with_type("application/json")).is_err());
        assert!(check_csv(&HeaderMap::new()).is_err());
        let e = check_csv(&with_type("text/csv; charset=latin1")).unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }
}
