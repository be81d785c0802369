//! The OpenAPI skeleton: metadata, the bearer security scheme, and the
//! error responses every operation can give.
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::http::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "spares",
        description = "Spare-part inventory, logistics and stock planning. \
            Every call except /health and /ready needs `Authorization: Bearer <token>`; \
            each operation names the roles it admits. Errors are application/problem+json \
            with a stable `code`.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "system", description = "Liveness, readiness"),
        (name = "parts", description = "Part master data (4.2.1 planning inputs)"),
        (name = "network", description = "Warehouses and the lanes between them"),
        (name = "sites", description = "SLA classes, customer sites and their installed base"),
        (name = "vendors", description = "Suppliers and repair vendors"),
        (name = "admin", description = "Users, API tokens, ledger verification"),
        (name = "forecasts", description = "Demand forecasting runs (4.2.1)"),
        (name = "planning", description = "Plans and simulations as background jobs; adopting a plan into stock levels (4.2.1)"),
        (name = "stock", description = "The stock ledger: receipts, issues, reservations, condition changes, reversals (4.2.3)"),
        (name = "logistics", description = "Transfers, shipments with proof of delivery, purchasing, repair, returns, scrap (4.2.2, 4.2.4-4.2.6)"),
        (name = "imports", description = "CSV imports of parts, vendors, the network, sites, installed base, stock levels, opening stock and demand history"),
        (name = "requests", description = "Engineers' replacement-part requests: SLA deadlines, sourcing, backorders, dispatch, returns, demand records, KPIs (4.1.3 into 4.2)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The problem+json answers any authenticated operation may give.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum ApiErrors {
    #[response(
        status = 400,
        description = "Malformed JSON or path parameter",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing, unknown or revoked token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The caller's role may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such resource",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 405,
        description = "Method not allowed",
        content_type = "application/problem+json"
    )]
    MethodNotAllowed(Problem),
    #[response(status = 408, description = "The request took too long")]
    Timeout,
    #[response(
        status = 409,
        description = "Conflicts with the current state, e.g. a duplicate code",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 413,
        description = "Body larger than the limit",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "Body is not JSON",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    #[response(
        status = 422,
        description = "Invalid fields, named in `errors`",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    #[response(
        status = 503,
        description = "Database unreachable or busy; retry",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// The `Idempotency-Key` header of the POSTs that change stock.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes the request exactly-once: a retry with the same key and body
    /// gets the stored response; the same key with another body 422; a retry
    /// while the first is still running 409. Keys are per user.
    #[param(
        rename = "Idempotency-Key",
        pattern = "^[!-~]{1,200}$",
        min_length = 1,
        max_length = 200
    )]
    pub idempotency_key: Option<String>,
}
