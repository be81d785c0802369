//! One error type for the whole service, with a stable machine-readable
//! `code` per kind ([`crate::http::problem`] renders it as RFC 9457
//! `application/problem+json`).
//!
//! Services return [`AppError`]; `?` converts database errors through
//! [`From<DbErr>`], which is the single place where constraint violations
//! become conflicts or validation failures instead of internal errors, and
//! invalid input collected by a [`crate::core::Validator`] through
//! [`From<Invalid>`].

use entities::vocabulary::{Condition, Role};
use sea_orm::DbErr;

pub use crate::core::import::{CellError, Rejected};
pub use crate::core::validate::{Corrupt, FieldError, Invalid};

/// One line of a document that asks for more than a warehouse has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}insufficient stock of part {part_id} ({condition}) in warehouse {warehouse_id}: {requested} requested, {available} available",
    line.map(|l| format!("lines[{l}]: ")).unwrap_or_default()
)]
pub struct Shortage {
    /// The document line (its index), when the shortage is a document's.
    pub line: Option<usize>,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub condition: Condition,
    /// Units asked of this balance (by every line naming it).
    pub requested: i64,
    pub available: i64,
}

impl AppError {
    /// A shortage of one balance, outside any document.
    pub fn short(
        part_id: i64,
        warehouse_id: i64,
        condition: Condition,
        requested: i64,
        available: i64,
    ) -> AppError {
        AppError::InsufficientStock {
            shortages: vec![Shortage {
                line: None,
                part_id,
                warehouse_id,
                condition,
                requested,
                available,
            }],
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
    #[error("the request URI is longer than the limit")]
    UriTooLong,
    #[error("invalid request: {}", field_list(.0))]
    Validation(Vec<FieldError>),
    #[error("invalid {what}: {detail}")]
    BadParameter { what: &'static str, detail: String },
    /// A CSV import refused: every bad cell by row and column.
    #[error("the file was not imported: {}", cell_list(&.0.errors))]
    ImportRejected(Rejected),
    #[error("authentication required")]
    Unauthorized,
    #[error(
        "this operation is for {}; you are signed in as {role}",
        allowed.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
    )]
    Forbidden { role: Role, allowed: Vec<Role> },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no route for this path")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The answer cannot be given in the format asked for (CSV of
    /// something that is not a list).
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{resource} with this {field} already exists")]
    AlreadyExists {
        resource: &'static str,
        field: &'static str,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{}", shortages.iter().map(Shortage::to_string).collect::<Vec<_>>().join("; "))]
    InsufficientStock { shortages: Vec<Shortage> },
    #[error(
        "warehouse {warehouse_id} would hold more than {limit} units of part {part_id}, the most one balance holds"
    )]
    BalanceLimit {
        part_id: i64,
        warehouse_id: i64,
        limit: i64,
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

    /// The stable code clients branch on; never change one once published.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::BadParameter { .. } => "bad_parameter",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UriTooLong => "uri_too_long",
            Self::Validation(_) => "validation_failed",
            Self::ImportRejected(_) => "import_rejected",
            Self::ConstraintViolation(_) => "constraint_violation",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotAcceptable(_) => "not_acceptable",
            Self::AlreadyExists { .. } => "already_exists",
            Self::Conflict(_) => "conflict",
            Self::InsufficientStock { .. } => "insufficient_stock",
            Self::BalanceLimit { .. } => "balance_limit",
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

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        AppError::Validation(invalid.0)
    }
}

impl From<Corrupt> for AppError {
    fn from(corrupt: Corrupt) -> Self {
        AppError::Internal(corrupt.0)
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A write's database error, with a unique violation reported as
/// `already_exists` on `field`: the pre-check catches the usual duplicate,
/// this catches two writers racing past it (PostgreSQL, read committed).
pub fn unique_as(err: DbErr, resource: &'static str, field: &'static str) -> AppError {
    if is_unique_violation(&err) {
        AppError::AlreadyExists { resource, field }
    } else {
        AppError::from(err)
    }
}

/// `line 3, unit_cost: message; ...`, for logs and the CLI.
fn cell_list(errors: &[CellError]) -> String {
    errors
        .iter()
        .map(|e| format!("line {}, {}: {}", e.row, e.column, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `field: message; field: message`, for logs and the CLI.
fn field_list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}
