//! The pure core: the vocabulary of planning, money, the one business
//! calendar, the one sourcing rule, and the planning engine (process
//! 4.2.1). Nothing here touches a database, HTTP or an async runtime, so the
//! service, the CLI, the simulator and the benchmarks share every rule and
//! each is unit-tested on its own.
//!
//! - [`money`], [`validate`], [`input`], [`fields`] — amounts, field checks
//!   that collect every error, request deserializers that accept exactly
//!   what the API documents, and the text fields (codes, names, free text,
//!   currencies) that carry their rule and schema.
//! - [`import`] — CSV imports: cells named by row and column, read into
//!   the same values and checks as JSON bodies, streamed in batches.
//! - [`clock`] — the time services are given: the system's, or one a test
//!   or the demo generator moves.
//! - [`calendar`] — business hours, time zones and holidays, in which SLA
//!   deadlines are counted.
//! - [`sourcing`] — which warehouse, lane or courier serves a request.
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
pub mod calendar;
pub mod clock;
pub mod fields;
pub mod forecast;
pub mod import;
pub mod input;
pub mod money;
pub mod plan;
pub mod policy;
pub mod recommend;
pub mod scenario;
pub mod sim;
pub mod sourcing;
pub mod validate;

pub use money::Money;
pub use validate::Validator;
