//! One integration-test binary (one link step), a module per area.
mod common;

mod api;
mod auth;
mod parts;
