//! One error type for the whole service, rendered as RFC 9457
//! `application/problem+json` with a stable machine-readable `code`.
//!
//! Handlers and services return [`AppError`]; `?` converts database errors
//! through [`From<DbErr>`], which is the single place where constraint
//! violations become 409/422 instead of 500. Internal errors are logged with
//! their cause and answered with a generic text, never the cause itself.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request, e.g. `unit_cost` or `lines[2].quantity`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("request body is larger than the limit")]
    PayloadTooLarge,
    #[error("invalid request")]
    Validation(Vec<FieldError>),
    #[error("invalid {what}: {detail}")]
    BadParameter { what: &'static str, detail: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("this role may not do that")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no route for this path")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{resource} with this {field} already exists")]
    AlreadyExists {
        resource: &'static str,
        field: &'static str,
    },
    #[error("{0}")]
    Conflict(String),
    #[error(
        "insufficient stock of part {part_id} ({condition}) in warehouse {warehouse_id}: {requested} requested, {available} available"
    )]
    InsufficientStock {
        part_id: i64,
        warehouse_id: i64,
        condition: String,
        requested: i64,
        available: i64,
    },
    /// A movement names a serial that is known but somewhere else.
    #[error("{detail}")]
    SerialElsewhere { serial: String, detail: String },
    /// A movement out of a place the ledger tracks names a serial it has
    /// never seen.
    #[error("serial `{serial}` of part {part_id} is unknown")]
    UnknownSerial { serial: String, part_id: i64 },
    #[error("cannot {action} a {what} that is {current}; allowed next: {}", if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") })]
    InvalidTransition {
        what: &'static str,
        action: &'static str,
        current: String,
        allowed: Vec<&'static str>,
    },
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry later")]
    IdempotencyInProgress,
    #[error("the database refused the change: {0}")]
    ConstraintViolation(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A write lost a race (serialization failure, deadlock, busy database);
    /// the transaction helper retries these before giving up with 503.
    #[error("write contention: {0}")]
    Contention(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A single-field validation error.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::BadParameter { .. } => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) | Self::ConstraintViolation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::AlreadyExists { .. }
            | Self::Conflict(_)
            | Self::InsufficientStock { .. }
            | Self::SerialElsewhere { .. }
            | Self::InvalidTransition { .. }
            | Self::IdempotencyInProgress => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused | Self::UnknownSerial { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unavailable(_) | Self::Contention(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients branch on; never change one once published.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::BadParameter { .. } => "bad_parameter",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Validation(_) => "validation_failed",
            Self::ConstraintViolation(_) => "constraint_violation",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::AlreadyExists { .. } => "already_exists",
            Self::Conflict(_) => "conflict",
            Self::InsufficientStock { .. } => "insufficient_stock",
            Self::SerialElsewhere { .. } => "serial_elsewhere",
            Self::UnknownSerial { .. } => "unknown_serial",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyInProgress => "idempotency_in_progress",
            Self::Unavailable(_) => "unavailable",
            Self::Contention(_) => "contention",
            Self::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "Malformed JSON",
            Self::BadParameter { .. } => "Bad parameter",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::PayloadTooLarge => "Payload too large",
            Self::Validation(_) => "Validation failed",
            Self::ConstraintViolation(_) => "Constraint violation",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::NotFound(_) | Self::RouteNotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::AlreadyExists { .. } => "Already exists",
            Self::Conflict(_) => "Conflict",
            Self::InsufficientStock { .. } => "Insufficient stock",
            Self::SerialElsewhere { .. } => "Serial is elsewhere",
            Self::UnknownSerial { .. } => "Unknown serial",
            Self::InvalidTransition { .. } => "Invalid transition",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::IdempotencyInProgress => "Idempotent request in progress",
            Self::Unavailable(_) | Self::Contention(_) => "Service unavailable",
            Self::Internal(_) => "Internal server error",
        }
    }

    /// The text shown to the client: the error itself, except for internal
    /// errors whose cause may reveal implementation details.
    fn detail(&self) -> String {
        match self {
            Self::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            Self::Unavailable(_) => "the database is not reachable".to_owned(),
            Self::Contention(_) => "the database is busy; retry the request".to_owned(),
            Self::ConstraintViolation(_) => "the change breaks a rule of the data model".to_owned(),
            Self::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("https://spares.dev/problems/{}", self.code()),
            title: self.title().to_owned(),
            status: self.status().as_u16(),
            detail: self.detail(),
            code: self.code().to_owned(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                Self::AlreadyExists { field, .. } => {
                    vec![FieldError::new(*field, "already exists")]
                }
                Self::BadParameter { what, detail } => vec![FieldError::new(*what, detail.clone())],
                _ => Vec::new(),
            },
            current_state: match self {
                Self::InvalidTransition { current, .. } => Some(current.clone()),
                _ => None,
            },
            allowed_next: match self {
                Self::InvalidTransition { allowed, .. } => {
                    Some(allowed.iter().map(|a| (*a).to_owned()).collect())
                }
                _ => None,
            },
            available: match self {
                Self::InsufficientStock { available, .. } => Some(*available),
                _ => None,
            },
        }
    }
}

/// The body of every error response (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// The invalid fields, when the problem is about specific fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `invalid_transition`: the document's current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
    /// For `invalid_transition`: the actions allowed from the current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_next: Option<Vec<String>>,
    /// For `insufficient_stock`: the units available to the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, Self::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if matches!(self, Self::PayloadTooLarge) {
            // The rest of the oversize body is never read, so the connection
            // cannot carry another request: say so, or a client that pools
            // connections sends its next request into a closing socket.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// SQLSTATE / SQLite extended result codes for the constraint families.
const UNIQUE: [&str; 3] = ["23505", "2067", "1555"];
const FOREIGN_KEY: [&str; 2] = ["23503", "787"];
const CHECK: [&str; 3] = ["23514", "275", "23502"];
/// Serialization failure and deadlock (PostgreSQL), busy/locked (SQLite).
const RETRYABLE: [&str; 6] = ["40001", "40P01", "5", "517", "6", "262"];

/// The database error code of a driver error, if it is one.
pub fn db_error_code(err: &DbErr) -> Option<String> {
    use sea_orm::RuntimeErr;
    let sqlx_err = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    match sqlx_err.as_ref() {
        sea_orm::sqlx::Error::Database(e) => e.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// Whether a write failed on a unique index (a duplicate key).
pub fn is_unique_violation(err: &DbErr) -> bool {
    db_error_code(err).is_some_and(|code| UNIQUE.contains(&code.as_str()))
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if let Some(code) = db_error_code(&err) {
            let code = code.as_str();
            if RETRYABLE.contains(&code) {
                return AppError::Contention(err.to_string());
            }
            if UNIQUE.contains(&code) {
                return AppError::Conflict("a record with the same key already exists".into());
            }
            if FOREIGN_KEY.contains(&code) {
                return AppError::ConstraintViolation(err.to_string());
            }
            if CHECK.contains(&code) {
                return AppError::ConstraintViolation(err.to_string());
            }
        }
        match err {
            DbErr::Conn(e) => AppError::Unavailable(e.to_string()),
            DbErr::ConnectionAcquire(e) => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
