//! `spares`: spare-part inventory, logistics and stock planning for the
//! "manage spare-part service delivery" process group (ITR 4.2).
//!
//! # Layout
//! Five rooms, stacked; a room may use the rooms below it and never one
//! above it. `tests/architecture.rs` reads every `crate::` path in `src/`
//! and fails on an import that points upward or that closes a cycle between
//! the modules inside a room.
//!
//! | room | what lives there | may use |
//! |---|---|---|
//! | [`core`] | pure rules and the planning engine: money, field checks, the business calendar, the sourcing rule, forecasting, stock policy, simulation, scenarios, recommendations. No database, HTTP or async runtime (no `sea_orm`, `axum`, `tokio`, `entities`). | — |
//! | [`store`] | the database: connecting and write transactions, the error type, the stock ledger and its balances, serial units, reservations, idempotency keys, document transitions, lookups and paging, verify, the pool and row counts `/metrics` reports (`gauges`). Knows tables, not flows. | core |
//! | [`flows`] | the processes: master data, stock documents and stocktakes, allocation of stock to replacement requests (sourcing, backorders), logistics (transfers, shipments, purchasing, replenishment, repair, returns, scrap), replacement requests, imports, KPIs by month, forecast runs, planning jobs, users and tokens, the demo. | store, core |
//! | [`http`] | the HTTP edge: configuration, server, routes, authentication, idempotent calls, problem+json, the OpenAPI document, natural keys, CSV export of lists, request ids, `/metrics`. | flows, store, core |
//! | [`cli`] | the `spares` command line and its logging (`--log-format`). | http, flows, store, core |
//!
//! Inside `flows` the modules stack too: `master`, `users` and
//! `allocation` at the bottom; `stock` on them; `logistics` on `stock`;
//! `replacement` and `imports` on `logistics`; `kpi_periods` (the KPIs of
//! both by month), `forecast_runs`, `planning_jobs` and `demo` on top. Time is an input: services take `now` from the caller, who reads
//! the [`core::clock::Clock`] of the application.
pub mod cli;
pub mod core;
pub mod flows;
pub mod http;
pub mod store;

/// The OpenAPI document as pretty JSON.
pub fn openapi_json() -> String {
    http::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
