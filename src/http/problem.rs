//! Errors as RFC 9457 `application/problem+json`: the HTTP status of each
//! [`AppError`], its title, the detail shown (never an internal cause), and
//! the fields a client branches on.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use entities::vocabulary::Role;

use crate::store::error::{AppError, CellError, FieldError};

impl AppError {
    /// The HTTP status answering this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::BadParameter { .. } => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::Validation(_) | Self::ConstraintViolation(_) | Self::ImportRejected(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::AlreadyExists { .. }
            | Self::Conflict(_)
            | Self::InsufficientStock { .. }
            | Self::BalanceLimit { .. }
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

    fn title(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "Malformed JSON",
            Self::BadParameter { .. } => "Bad parameter",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::PayloadTooLarge => "Payload too large",
            Self::UriTooLong => "URI too long",
            Self::Validation(_) => "Validation failed",
            Self::ImportRejected(_) => "Import rejected",
            Self::ConstraintViolation(_) => "Constraint violation",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden { .. } => "Forbidden",
            Self::NotFound(_) | Self::RouteNotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::NotAcceptable(_) => "Not acceptable",
            Self::AlreadyExists { .. } => "Already exists",
            Self::Conflict(_) => "Conflict",
            Self::InsufficientStock { .. } => "Insufficient stock",
            Self::BalanceLimit { .. } => "Balance limit",
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
            Self::ImportRejected(rejected) => format!(
                "nothing was imported: {}{} problem(s) in the file, each named by row and column in `errors`",
                rejected.errors.len(),
                if rejected.truncated { "+" } else { "" }
            ),
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
            errors: self.problem_items(),
            errors_truncated: match self {
                Self::ImportRejected(rejected) => Some(rejected.truncated),
                _ => None,
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
                Self::InsufficientStock { shortages } => shortages.first().map(|s| s.available),
                _ => None,
            },
            allowed_roles: match self {
                Self::Forbidden { allowed, .. } => Some(allowed.clone()),
                _ => None,
            },
        }
    }
}

impl AppError {
    /// The entries of a problem's `errors`: the fields or cells it is about.
    fn problem_items(&self) -> Vec<ProblemItem> {
        let fields = match self {
            Self::ImportRejected(rejected) => {
                return rejected
                    .errors
                    .iter()
                    .cloned()
                    .map(ProblemItem::Cell)
                    .collect();
            }
            Self::Validation(errors) => errors.clone(),
            Self::AlreadyExists { field, .. } => {
                vec![FieldError::new(*field, "already exists")]
            }
            Self::BadParameter { what, detail } => vec![FieldError::new(*what, detail.clone())],
            Self::InsufficientStock { shortages } => shortages
                .iter()
                .filter_map(|s| {
                    s.line
                        .map(|l| FieldError::new(format!("lines[{l}].quantity"), s.to_string()))
                })
                .collect(),
            _ => Vec::new(),
        };
        fields.into_iter().map(ProblemItem::Field).collect()
    }
}

/// One entry of a problem's `errors`: a field of the request, or (for
/// `import_rejected`) a cell of the imported file by row and column.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ProblemItem {
    Field(FieldError),
    Cell(CellError),
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
    /// The invalid fields, when the problem is about specific fields; for
    /// `import_rejected`, the refused cells (`row`, `column`, `message`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
    /// For `import_rejected`: more problems were found than `errors` lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_truncated: Option<bool>,
    /// For `invalid_transition`: the document's current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
    /// For `invalid_transition`: the actions allowed from the current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_next: Option<Vec<String>>,
    /// For `insufficient_stock`: the units available to the request (of
    /// the first short line; `errors` names every short line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    /// For `forbidden`: the roles that may call the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_roles: Option<Vec<Role>>,
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
