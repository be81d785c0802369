//! `spares`: spare-part inventory, logistics and stock planning for the
//! "manage spare-part service delivery" process group (ITR 4.2).
//!
//! # Layout
//! - [`cli`] — the `spares` command line (serve, migrate, token, ...).
//! - [`config`] — flags > `SPARES_*` environment > defaults.
//! - [`server`] — binds the listener, serves until SIGINT/SIGTERM.
//! - [`api`] — axum routers per area, extractors, the OpenAPI document.
//! - [`auth`] — users, roles, API tokens and the `Caller` extractor.
//! - [`error`] — one error enum rendered as problem+json with stable codes.
//! - [`db`] — connecting, migrating, retrying write transactions.
//! - [`domain`] — pure validated types: money, vocabularies, field checks.
//! - [`inventory`] — the stock ledger: posting, balances, reservations,
//!   idempotency, verify.
//! - [`logistics`] — logistics flows (transfers, shipments, purchasing,
//!   replenishment, repair, returns, scrap, KPIs): documents with state
//!   machines whose stock effects go through the ledger.
//! - [`forecasting`] — forecast runs over recorded or uploaded demand.
//! - [`master`] — master data services: parts, network, sites, vendors.
//! - [`planning`] — the pure planning engine: forecasting, stock policy,
//!   simulation, scenarios, recommendations.
//! - [`planning_jobs`] — plans and simulations as background jobs claimed
//!   through the database, and adopting a plan into stock levels.
//! - [`requests`] — engineers' replacement-part requests: SLA deadlines,
//!   sourcing, backorders, lifecycle, demand records and their KPIs.
//! - [`demo`] — the demo network seeded by `serve --demo`.
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod forecasting;
pub mod inventory;
pub mod logistics;
pub mod master;
pub mod planning;
pub mod planning_jobs;
pub mod requests;
pub mod server;

/// The OpenAPI document as pretty JSON.
pub fn openapi_json() -> String {
    api::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
