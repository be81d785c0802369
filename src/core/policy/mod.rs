//! Analytic stock policies for spare parts: pure functions, no I/O.
//!
//! The planning questions a service organisation asks of one part are all
//! answered from the distribution of *lead-time demand* (the number of units
//! in the replenishment or repair pipeline at a random moment):
//!
//! - [`demand`]: Poisson and negative-binomial lead-time demand with a stable
//!   tail computation giving expected backorders `EBO(s) = E[(X - s)+]`, their
//!   variance, `P(X <= s)` and `P(X > s)` to near machine precision;
//! - [`base_stock`]: the one-for-one `(S-1, S)` policy of repairables and
//!   expensive slow movers (fill rate, availability, smallest `S` for a target);
//! - [`reorder_point`]: the `(R, Q)` policy of consumables (EOQ-style `Q`,
//!   smallest `R` meeting the same fill-rate target);
//! - [`time_based`]: the probability that a request is served inside its SLA
//!   window from the serving warehouse or by lateral supply;
//! - [`metric`]: Sherbrooke's METRIC and Graves' VARI-METRIC for a depot that
//!   repairs for N bases;
//! - [`optimise`]: marginal analysis over one part's depot and bases, giving
//!   the cost-versus-backorders efficient frontier;
//! - [`multi_part`]: the same marginal analysis over many parts at once with a
//!   priority queue, for one system-wide target or budget.
//!
//! Units: times in days, rates per day, costs in any one currency.
pub mod base_stock;
pub mod demand;
pub mod metric;
pub mod multi_part;
pub mod optimise;
pub mod reorder_point;
pub mod time_based;

pub use base_stock::{BaseStockLevel, availability, fill_rate, smallest_base_stock};
pub use demand::{LeadTimeDemand, Tail};
pub use metric::{MetricEvaluation, MetricSystem, PipelineModel};
pub use multi_part::{MultiPartOptions, MultiPartResult, PartSpec, optimise_parts};
pub use optimise::{FrontierPoint, GreedyOptions, GreedyResult, StopRule, optimise_part};
pub use reorder_point::{RqPolicy, economic_order_quantity, evaluate_rq, rq_policy};
pub use time_based::{LateralSource, ServingWarehouse, TimeBasedService, service_within_window};

/// Why a policy calculation could not be done. Every variant is a problem
/// with the input, reported as one line a planner can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    /// A parameter is out of its domain (negative rate, NaN, target outside
    /// (0, 1), lists of different lengths, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The target cannot be met within the search limits.
    #[error("target cannot be reached: {0}")]
    Unreachable(String),
}

/// Checks that `value` is finite and `>= 0`; the name is used in the message.
pub(crate) fn non_negative(name: &str, value: f64) -> Result<f64, PolicyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(PolicyError::InvalidInput(format!(
            "{name} must be a finite number >= 0, got {value}"
        )))
    }
}

/// Checks that `value` is strictly between 0 and 1 (a service target).
pub(crate) fn open_unit_interval(name: &str, value: f64) -> Result<f64, PolicyError> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(PolicyError::InvalidInput(format!(
            "{name} must be strictly between 0 and 1, got {value}"
        )))
    }
}
