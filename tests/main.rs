//! One integration-test binary (one link step), a module per area.
mod common;

mod api;
mod auth;
mod crash;
mod parts;
mod forecast;
mod forecast_runs;
mod policy;
mod ledger_model;
mod stock;
mod stocktake;
mod network;
mod sites;
mod vendors;
