//! Exactly-once POSTs with the `Idempotency-Key` header: handlers that
//! change stock wrap their service call in [`exactly_once!`].
//!
//! The key is claimed (`running`) in a short transaction of its own, so a
//! concurrent retry sees the claim at once and gets 409 instead of waiting
//! or writing twice. The write and the stored response then commit together
//! in one transaction: if the response is stored, the write happened, and
//! vice versa. A refused request releases its claim (it wrote nothing, so a
//! retry may run it again). A claim left by a crashed process is taken over
//! after [`STALE_AFTER`].
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use entities::idempotency_key::{self, Column as K};
use entities::vocabulary::IdempotencyState;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;

use crate::store::db::{self, BoxFuture};
use crate::store::error::{AppError, AppResult, is_unique_violation};

/// A claim older than this belongs to a request that died with its process
/// (requests time out long before).
pub const STALE_AFTER: Duration = Duration::seconds(120);

/// The outcome of an idempotent request.
pub struct Outcome {
    pub status: StatusCode,
    pub body: serde_json::Value,
    /// True when this is the stored answer of an earlier request.
    pub replayed: bool,
}

enum Claim {
    Mine { id: i64, claimed_at: DateTime<Utc> },
    Replay(Outcome),
}

/// Runs `work` once per (user, key): the first call writes and stores its
/// response; later calls with the same request get that response back.
pub async fn run<F>(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    user_id: i64,
    key: Option<&str>,
    fingerprint: &str,
    status: StatusCode,
    mut work: F,
) -> AppResult<Outcome>
where
    F: for<'c> FnMut(&'c DatabaseTransaction) -> BoxFuture<'c, AppResult<serde_json::Value>>,
{
    let Some(key) = key else {
        let body = db::write(db, |tx| work(tx)).await?;
        return Ok(Outcome {
            status,
            body,
            replayed: false,
        });
    };
    let (claim_id, claimed_at) = match claim(db, now, user_id, key, fingerprint).await? {
        Claim::Replay(outcome) => return Ok(outcome),
        Claim::Mine { id, claimed_at } => (id, claimed_at),
    };
    let result = db::write(db, |tx| {
        let fut = work(tx);
        Box::pin(async move {
            let body = fut.await?;
            let stmt = Query::update()
                .table(idempotency_key::Entity)
                .value(K::State, IdempotencyState::Done)
                .value(K::ResponseStatus, i32::from(status.as_u16()))
                .value(K::ResponseBody, body.to_string())
                .value(K::CompletedAt, now)
                .and_where(Expr::col(K::Id).eq(claim_id))
                .and_where(Expr::col(K::State).eq(IdempotencyState::Running))
                .and_where(Expr::col(K::CreatedAt).eq(claimed_at))
                .to_owned();
            if tx.execute(&stmt).await?.rows_affected() != 1 {
                return Err(AppError::IdempotencyInProgress);
            }
            Ok(body)
        })
    })
    .await;
    match result {
        Ok(body) => Ok(Outcome {
            status,
            body,
            replayed: false,
        }),
        Err(e) => {
            let release = Query::delete()
                .from_table(idempotency_key::Entity)
                .and_where(Expr::col(K::Id).eq(claim_id))
                .and_where(Expr::col(K::State).eq(IdempotencyState::Running))
                .and_where(Expr::col(K::CreatedAt).eq(claimed_at))
                .to_owned();
            let released = match db::write_turn(db).await {
                Ok(_turn) => db
                    .execute(&release)
                    .await
                    .map(|_| ())
                    .map_err(AppError::from),
                Err(e) => Err(e),
            };
            if let Err(release_err) = released {
                tracing::warn!(error = %release_err, "could not release idempotency claim");
            }
            Err(e)
        }
    }
}

async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    user_id: i64,
    key: &str,
    fingerprint: &str,
) -> AppResult<Claim> {
    for _ in 0..3 {
        let _turn = db::write_turn(db).await?;
        let tx = db::begin_write(db).await?;
        let existing = idempotency_key::Entity::find()
            .filter(K::UserId.eq(user_id))
            .filter(K::Key.eq(key))
            .one(&tx)
            .await?;
        match existing {
            Some(row) if row.request_hash != fingerprint => {
                return Err(AppError::IdempotencyKeyReused);
            }
            Some(row) if row.state == IdempotencyState::Done => {
                let status = row
                    .response_status
                    .and_then(|s| u16::try_from(s).ok())
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::OK);
                let body = row
                    .response_body
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| AppError::Internal(format!("stored response: {e}")))?
                    .unwrap_or(serde_json::Value::Null);
                return Ok(Claim::Replay(Outcome {
                    status,
                    body,
                    replayed: true,
                }));
            }
            Some(row) if now - row.created_at < STALE_AFTER => {
                return Err(AppError::IdempotencyInProgress);
            }
            Some(row) => {
                // A claim abandoned by a crashed request: take it over.
                let id = row.id;
                let mut model: idempotency_key::ActiveModel = row.into();
                model.created_at = Set(now);
                model.update(&tx).await?;
                tx.commit().await?;
                return Ok(Claim::Mine {
                    id,
                    claimed_at: now,
                });
            }
            None => {
                let inserted = idempotency_key::ActiveModel {
                    user_id: Set(user_id),
                    key: Set(key.to_owned()),
                    request_hash: Set(fingerprint.to_owned()),
                    state: Set(IdempotencyState::Running),
                    response_status: Set(None),
                    response_body: Set(None),
                    created_at: Set(now),
                    completed_at: Set(None),
                    ..Default::default()
                }
                .insert(&tx)
                .await;
                match inserted {
                    Ok(row) => {
                        tx.commit().await?;
                        // `row` is what the database stored (RETURNING), so
                        // the completion's `created_at = claimed_at` matches
                        // without reading the claim back.
                        return Ok(Claim::Mine {
                            id: row.id,
                            claimed_at: row.created_at,
                        });
                    }
                    Err(e) if is_unique_violation(&e) => {
                        let _ = tx.rollback().await;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Err(AppError::IdempotencyInProgress)
}

/// Checks the header's value: 1 to 200 visible ASCII characters.
pub fn validate_key(key: &str) -> AppResult<()> {
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::BadParameter {
            what: "Idempotency-Key",
            detail: "must be 1 to 200 visible ASCII characters".into(),
        });
    }
    Ok(())
}

/// The JSON answer of an idempotent POST; a replay says so in a header.
pub fn respond(outcome: Outcome) -> Response {
    let mut response = (outcome.status, axum::Json(outcome.body)).into_response();
    if outcome.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

pub fn to_json<T: Serialize>(value: T) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(e.to_string()))
}

/// Runs a stock-changing service call exactly once per idempotency key and
/// answers with its (possibly stored) response:
/// `exactly_once!(state, caller, key, fingerprint, status, |tx| service(tx, ..))`.
macro_rules! exactly_once {
    ($state:expr, $caller:expr, $key:expr, $fingerprint:expr, $status:expr, |$tx:ident| $call:expr) => {{
        let outcome = $crate::http::idempotency::run(
            &$state.db,
            $state.clock.now(),
            $caller.user_id,
            $key.as_deref(),
            &$fingerprint,
            $status,
            |$tx| {
                let fut = $call;
                Box::pin(async move { $crate::http::idempotency::to_json(fut.await?) })
            },
        )
        .await?;
        Ok($crate::http::idempotency::respond(outcome))
    }};
}
pub(crate) use exactly_once;

/// Defines a POST handler that changes stock exactly once per
/// `Idempotency-Key`: the caller must hold `$role`, `$now` is the clock's
/// time, the optional path parameter and JSON body are bound as named, and
/// `$call` (the service call, on the write transaction `$tx`) is answered
/// with `$status`:
///
/// ```ignore
/// post_once! {
///     /// Ship a draft.
///     #[utoipa::path(post, path = "/api/v1/transfers/{id}/ship", ...)]
///     ship_transfer(caller: Stock, Path(id): i64, Json(req): ShipRequest) -> OK,
///     |tx, now| transfers::ship(tx, caller.user_id, id, req.clone(), now)
/// }
/// ```
///
/// The extractors are those a hand-written handler takes, in the same
/// order (state, caller, path, body), so refusals keep their precedence.
macro_rules! post_once {
    (
        $(#[$attr:meta])*
        $name:ident($caller:ident: $role:ident $(, Path($path:pat): $path_ty:ty)?,
            Json($req:ident): $body:ty $(,)?) -> $status:ident,
        |$tx:ident, $now:ident| $call:expr
    ) => {
        $crate::http::idempotency::post_once!(@handler $(#[$attr])* $name, $caller, $role,
            [$($path, $path_ty)?], IdempotentJson<$body>, [$req], $status, |$tx, $now| $call);
    };
    (
        $(#[$attr:meta])*
        $name:ident($caller:ident: $role:ident $(, Path($path:pat): $path_ty:ty)? $(,)?)
            -> $status:ident,
        |$tx:ident, $now:ident| $call:expr
    ) => {
        $crate::http::idempotency::post_once!(@handler $(#[$attr])* $name, $caller, $role,
            [$($path, $path_ty)?], IdempotentCall, [], $status, |$tx, $now| $call);
    };
    (
        @handler $(#[$attr:meta])* $name:ident, $caller:ident, $role:ident,
        [$($path:pat, $path_ty:ty)?], $extractor:ty, [$($req:ident)?], $status:ident,
        |$tx:ident, $now:ident| $call:expr
    ) => {
        $(#[$attr])*
        async fn $name(
            State(state): State<AppState>,
            $caller: Authorized<roles::$role>,
            $(Path($path): Path<$path_ty>,)?
            call: $extractor,
        ) -> AppResult<Response> {
            let $now = state.clock.now();
            $(let $req = call.value;)?
            $crate::http::idempotency::exactly_once!(
                state,
                $caller,
                call.key,
                call.fingerprint,
                StatusCode::$status,
                |$tx| $call
            )
        }
    };
}
pub(crate) use post_once;
