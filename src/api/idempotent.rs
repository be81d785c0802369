//! The response side of exactly-once POSTs (see
//! [`crate::inventory::idempotency`]): handlers that change stock wrap their
//! service call in [`exactly_once!`].
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::inventory::idempotency::Outcome;

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
        let outcome = $crate::inventory::idempotency::run(
            &$state.db,
            $caller.user_id,
            $key.as_deref(),
            &$fingerprint,
            $status,
            |$tx| {
                let fut = $call;
                Box::pin(async move { $crate::api::idempotent::to_json(fut.await?) })
            },
        )
        .await?;
        Ok($crate::api::idempotent::respond(outcome))
    }};
}
pub(crate) use exactly_once;
