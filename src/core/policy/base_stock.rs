//! The one-for-one `(S-1, S)` base-stock policy: every demand triggers a
//! replenishment order, so the inventory position is always `S` and the
//! on-hand stock is `(S - X)+` with `X` the lead-time demand.
//!
//! - Fill rate: a demand is filled from the shelf when it finds at least one
//!   unit, i.e. `X <= S - 1` among the units already in the pipeline; by
//!   PASTA (Poisson arrivals see time averages) this is `P(X <= S - 1)`.
//! - Availability: the share of time with no backorder, `P(X <= S)`.
//! - Expected backorders: `EBO(S) = E[(X - S)+]`.
use serde::Serialize;

use super::demand::LeadTimeDemand;
use super::{PolicyError, non_negative, open_unit_interval};

/// A base stock level with its service measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BaseStockLevel {
    /// Base stock `S`.
    pub base_stock: u64,
    /// `P(X <= S - 1)`.
    pub fill_rate: f64,
    /// `P(X <= S)`.
    pub availability: f64,
    /// `E[(X - S)+]`.
    pub ebo: f64,
    /// Mean lead-time demand `λ · L`.
    pub pipeline_mean: f64,
}

/// Fill rate `P(X <= S - 1)` of base stock `base_stock`.
///
/// With no demand at all (mean 0) no demand is ever short, so the fill rate is
/// taken as 1 whatever the stock; this keeps "smallest stock meeting a target"
/// at 0 for a part nobody asks for.
pub fn fill_rate(demand: &LeadTimeDemand, base_stock: u64) -> f64 {
    if demand.mean() == 0.0 {
        return 1.0;
    }
    if base_stock == 0 {
        return 0.0;
    }
    demand.cdf(base_stock - 1)
}

/// Availability `P(X <= S)` of base stock `base_stock`.
pub fn availability(demand: &LeadTimeDemand, base_stock: u64) -> f64 {
    demand.cdf(base_stock)
}

/// Service measures of base stock `base_stock`.
pub fn evaluate(demand: &LeadTimeDemand, base_stock: u64) -> BaseStockLevel {
    let tail = demand.tail(base_stock);
    BaseStockLevel {
        base_stock,
        fill_rate: if demand.mean() == 0.0 {
            1.0
        } else {
            tail.cdf_below()
        },
        availability: tail.cdf,
        ebo: tail.expected_backorders,
        pipeline_mean: demand.mean(),
    }
}

/// Smallest base stock whose fill rate `P(X <= S - 1)` meets
/// `target_fill_rate` (strictly between 0 and 1).
///
/// The search starts at the mode and walks the cumulative distribution one
/// probability at a time, then confirms the answer with the accurate tail
/// evaluation so the result is minimal for [`fill_rate`] exactly.
pub fn smallest_base_stock(
    demand: &LeadTimeDemand,
    target_fill_rate: f64,
) -> Result<BaseStockLevel, PolicyError> {
    open_unit_interval("target fill rate", target_fill_rate)?;
    if demand.mean() == 0.0 {
        return Ok(evaluate(demand, 0));
    }
    // Find the smallest k >= -1 with P(X <= k) >= target; then S = k + 1.
    let start = demand.mean().floor() as u64;
    let mut k = start;
    let mut cdf = demand.cdf(k);
    let mut s = if cdf >= target_fill_rate {
        loop {
            if k == 0 {
                // P(X <= -1) = 0 never meets a positive target.
                break 1;
            }
            let below = cdf - demand.pmf(k);
            if below < target_fill_rate {
                break k + 1;
            }
            cdf = below;
            k -= 1;
        }
    } else {
        loop {
            k += 1;
            let p = demand.pmf(k);
            cdf += p;
            // p == 0 only far in the tail, where the confirmation below
            // finishes the walk with the accurate tail.
            if cdf >= target_fill_rate || p == 0.0 {
                break k + 1;
            }
        }
    };
    // Confirm with the accurate evaluation (rounding in the running sum can
    // differ from it in the last bits right at the target).
    while fill_rate(demand, s) < target_fill_rate {
        s += 1;
    }
    while s > 0 && fill_rate(demand, s - 1) >= target_fill_rate {
        s -= 1;
    }
    Ok(evaluate(demand, s))
}

/// Smallest base stock for Poisson demand at `demand_rate` per day over a
/// resupply time of `lead_time` days (Palm's theorem: the pipeline is Poisson
/// with mean `demand_rate · lead_time` whatever the resupply distribution).
pub fn smallest_poisson_base_stock(
    demand_rate: f64,
    lead_time: f64,
    target_fill_rate: f64,
) -> Result<BaseStockLevel, PolicyError> {
    non_negative("demand rate", demand_rate)?;
    non_negative("lead time", lead_time)?;
    let demand = LeadTimeDemand::poisson(demand_rate * lead_time)?;
    smallest_base_stock(&demand, target_fill_rate)
}
