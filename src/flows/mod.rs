//! The flows of process group 4.2: every document with its state machine,
//! built on the store and the core. A flow posts stock only through
//! [`allocation::post`], which also gives newly available good units to
//! waiting replacement requests, so no flow can forget that.
pub mod allocation;
pub mod demo;
pub mod forecast_runs;
pub mod imports;
pub mod kpi_periods;
pub mod logistics;
pub mod master;
pub mod planning_jobs;
pub mod replacement;
pub mod stock;
pub mod users;
