//! One integration-test binary (one link step), a module per area.
mod common;

mod api;
mod auth;
mod crash;
mod parts;
mod ledger_model;
mod stock;
mod stocktake;
mod network;
mod sites;
mod vendors;
