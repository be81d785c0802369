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

/// Declares [`ApiErrors`]: one variant a problem+json answer, with its
/// status and description; 408 (the timeout layer's) has no body.
macro_rules! api_errors {
    (
        problem_json { $($variant:ident = $status:literal, $description:literal;)+ }
        no_body { $($plain:ident = $plain_status:literal, $plain_description:literal;)* }
    ) => {
        /// The problem+json answers any authenticated operation may give.
        #[allow(dead_code)]
        #[derive(IntoResponses)]
        pub enum ApiErrors {
            $(
                #[response(
                    status = $status,
                    description = $description,
                    content_type = "application/problem+json"
                )]
                $variant(Problem),
            )+
            $(
                #[response(status = $plain_status, description = $plain_description)]
                $plain,
            )*
        }
    };
}

api_errors! {
    problem_json {
        BadRequest = 400, "Malformed JSON or path parameter";
        Unauthorized = 401, "Missing, unknown or revoked token";
        Forbidden = 403, "The caller's role may not do this";
        NotFound = 404, "No such resource";
        MethodNotAllowed = 405, "Method not allowed";
        Conflict = 409, "Conflicts with the current state, e.g. a duplicate code";
        TooLarge = 413, "Body larger than the limit";
        UnsupportedMediaType = 415, "Body is not JSON";
        Unprocessable = 422, "Invalid fields, named in `errors`";
        Unavailable = 503, "Database unreachable or busy; retry";
    }
    no_body {
        Timeout = 408, "The request took too long";
    }
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
