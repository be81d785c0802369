//! The planning engine (process 4.2.1): pure and fast, no database or HTTP
//! inside, so the service, the CLI, the simulator and the benchmarks share it.
//!
//! - [`forecast`] — intermittent-demand forecasting (SES, Croston family,
//!   TSB, ADIDA, IMAPA), classification, installed base, backtest.
//! - [`policy`] — lead-time demand, EBO, base stock, (R,Q), time-based
//!   service, METRIC / VARI-METRIC and marginal-analysis optimisation.
//! - [`sim`] — seeded discrete-event simulation of a network, in parallel
//!   replications with confidence intervals.
//! - [`scenario`] — the TOML scenario file format, compiled to a simulation
//!   model.
//! - [`recommend`] — stock recommendations per part × warehouse from the
//!   policy library, with their analytic service measures.
pub mod forecast;
pub mod policy;
pub mod recommend;
pub mod scenario;
pub mod sim;
