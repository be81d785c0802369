//! Time-based service: the probability that a request is served inside its
//! SLA window `w` (e.g. 4 hours = 1/6 day), counting the serving warehouse's
//! own stock and pipeline and what lateral supply from other warehouses can
//! bring in time.
//!
//! # Model
//! Every warehouse runs an `(S-1, S)` policy with Poisson demand `λ`, a fixed
//! replenishment time `L` and first-come-first-served allocation. A demand
//! arriving at time `t` is then served by `t + u` exactly when fewer than `S`
//! of the orders placed in `(t + u - L, t]` are still outstanding at `t + u`,
//! so its waiting time `W` satisfies (Kruse 1981; Sherbrooke, *Optimal
//! Inventory Modeling of Systems*, waiting-time distribution)
//!
//! ```text
//! P(W <= u) = P(Poisson(λ (L - u)) <= S - 1)   for 0 <= u < L,   1 for u >= L.
//! ```
//!
//! At `u = 0` this is the fill rate `P(X <= S - 1)`.
//!
//! A lateral source `k` at transit time `τ_k <= w` is treated as if the
//! request joined its own queue: it helps with probability
//! `a_k = P(Poisson(λ_k (L_k - (w - τ_k))+) <= S_k - 1)` (a unit on its shelf
//! now, or one that arrives there in time to be shipped); a source with no
//! stock (`S_k = 0`) lends nothing. The request is served in time unless
//! every source fails:
//!
//! ```text
//! P(served within w) = 1 - (1 - P(W_own <= w)) · Π_k (1 - a_k).
//! ```
//!
//! # Approximation
//! - Warehouses are taken as independent. Without lateral shipments and with
//!   ample upstream supply this is exact; lateral shipments couple them.
//! - The extra load that lateral requests put on a source is ignored, so the
//!   result is slightly optimistic when laterals are frequent (a source's own
//!   fill rate is lower than computed). It is a planning estimate; the
//!   simulation checks it.
//! - Without lateral sources and with a window too short for any replenishment
//!   to help (`w = 0`), the result is exactly the single-location fill rate
//!   `P(X <= S - 1)`, the probability that a request finds a unit on the shelf.
use serde::Serialize;

use super::demand::LeadTimeDemand;
use super::{PolicyError, non_negative};

/// The warehouse that receives the request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServingWarehouse {
    /// Demand rate per day.
    pub demand_rate: f64,
    /// Replenishment (resupply) time in days.
    pub replenishment_time: f64,
    /// Base stock.
    pub base_stock: u64,
}

/// Another warehouse that can ship a unit to the requesting site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LateralSource {
    /// Its own demand rate per day.
    pub demand_rate: f64,
    /// Its replenishment time in days.
    pub replenishment_time: f64,
    /// Its base stock.
    pub base_stock: u64,
    /// Transit time to the requesting site in days.
    pub transit_time: f64,
}

/// Probability of service within the window, with its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeBasedService {
    /// `P(served within the window)`.
    pub probability: f64,
    /// `P(served within the window by the serving warehouse alone)`.
    pub own: f64,
    /// For each lateral source (in input order), the probability it could
    /// serve the request in time; 0 when its transit time exceeds the window.
    pub lateral: Vec<f64>,
}

/// Probability that a demand at a warehouse with Poisson demand `rate`,
/// replenishment time `lead`, base stock `stock` waits at most `u` days.
fn waiting_time_cdf(rate: f64, lead: f64, stock: u64, u: f64) -> Result<f64, PolicyError> {
    if u >= lead {
        return Ok(1.0);
    }
    if stock == 0 {
        return Ok(0.0);
    }
    let outstanding = LeadTimeDemand::poisson(rate * (lead - u))?;
    Ok(outstanding.cdf(stock - 1))
}

/// Probability that a request at `serving` is served within `window` days,
/// counting lateral supply from `laterals` (see the module documentation).
pub fn service_within_window(
    serving: &ServingWarehouse,
    laterals: &[LateralSource],
    window: f64,
) -> Result<TimeBasedService, PolicyError> {
    non_negative("SLA window", window)?;
    non_negative("demand rate", serving.demand_rate)?;
    non_negative("replenishment time", serving.replenishment_time)?;
    let own = waiting_time_cdf(
        serving.demand_rate,
        serving.replenishment_time,
        serving.base_stock,
        window,
    )?;
    let mut miss = 1.0 - own;
    let mut lateral = Vec::with_capacity(laterals.len());
    for source in laterals {
        non_negative("lateral demand rate", source.demand_rate)?;
        non_negative("lateral replenishment time", source.replenishment_time)?;
        non_negative("lateral transit time", source.transit_time)?;
        let helps = if source.transit_time > window || source.base_stock == 0 {
            0.0
        } else {
            waiting_time_cdf(
                source.demand_rate,
                source.replenishment_time,
                source.base_stock,
                window - source.transit_time,
            )?
        };
        miss *= 1.0 - helps;
        lateral.push(helps);
    }
    Ok(TimeBasedService {
        probability: 1.0 - miss,
        own,
        lateral,
    })
}
