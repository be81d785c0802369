//! One integration-test binary (one link step), a module per area.
mod common;

mod api;
mod architecture;
mod auth;
mod crash;
mod forecast;
mod forecast_runs;
mod kpis;
mod ledger_model;
mod master_data;
mod network;
mod parts;
mod planning_jobs;
mod policy;
mod purchasing;
mod repair;
mod requests;
mod serials;
mod simulation;
mod sites;
mod stock;
mod stocktake;
mod transfers;
mod vendors;
mod whole_loop;
