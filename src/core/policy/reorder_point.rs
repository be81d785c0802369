//! The continuous-review `(R, Q)` policy for consumables: when the inventory
//! position (on hand + on order - backorders) drops to the reorder point `R`,
//! order `Q` units.
//!
//! # Model
//! Unit-sized Poisson demands, a fixed lead time `L`, full backordering. Under
//! these assumptions the inventory position is uniform on `{R+1, ..., R+Q}`
//! and independent of the lead-time demand `D ~ Poisson(λL)` (Hadley & Whitin
//! 1963; Zipkin, *Foundations of Inventory Management*, §6.2; Axsäter,
//! *Inventory Control*, §5.3), so with `EBO(y) = E[(D - y)+]`:
//!
//! - fill rate `= (1/Q) Σ_{y=R+1}^{R+Q} P(D <= y-1) = 1 - (EBO(R) - EBO(R+Q)) / Q`,
//!   the same measure as the base-stock fill rate, which it equals for `Q = 1`
//!   with `S = R + 1`;
//! - availability `= (1/Q) Σ P(D <= y) = 1 - (EBO(R+1) - EBO(R+Q+1)) / Q`;
//! - expected backorders `= (1/Q) Σ_{y=R+1}^{R+Q} EBO(y)`, evaluated with the
//!   second-order loss `B2(y) = Σ_{j>=y} EBO(j) = (E[((D-y)+)²] + EBO(y)) / 2`;
//! - expected on hand `= R + (Q+1)/2 - λL + expected backorders`.
//!
//! `Q` is chosen first by the economic order quantity `sqrt(2Kλ/h)` (ordering
//! cost `K`, holding cost `h` per unit per day), then the smallest `R >= -1`
//! meeting the fill-rate target: the usual sequential heuristic (Silver, Pyke
//! & Peterson), within a few percent of the joint optimum when `Q` is large
//! against lead-time demand and exact in `R` for the chosen `Q`.
use serde::Serialize;

use super::base_stock::smallest_base_stock;
use super::demand::LeadTimeDemand;
use super::{PolicyError, non_negative, open_unit_interval};

/// Largest order quantity accepted (bounds the work and rules out nonsense).
pub const MAX_ORDER_QUANTITY: u64 = 10_000_000;

/// An `(R, Q)` policy with its service measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RqPolicy {
    /// Reorder point `R` (`-1` means: order only when a demand is backordered).
    pub reorder_point: i64,
    /// Order quantity `Q >= 1`.
    pub order_quantity: u64,
    /// Share of demand filled from the shelf.
    pub fill_rate: f64,
    /// Share of time without backorders.
    pub availability: f64,
    /// Time-average backorders.
    pub ebo: f64,
    /// Time-average units on hand.
    pub expected_on_hand: f64,
    /// Mean lead-time demand.
    pub pipeline_mean: f64,
}

/// Economic order quantity `sqrt(2 K λ / h)` rounded to the nearest integer,
/// at least 1 (`order_cost` per order, `holding_cost` per unit per day,
/// `demand_rate` per day).
pub fn economic_order_quantity(
    demand_rate: f64,
    order_cost: f64,
    holding_cost: f64,
) -> Result<u64, PolicyError> {
    non_negative("demand rate", demand_rate)?;
    non_negative("order cost", order_cost)?;
    non_negative("holding cost", holding_cost)?;
    if holding_cost == 0.0 {
        return Err(PolicyError::InvalidInput(
            "holding cost must be > 0 for an economic order quantity".into(),
        ));
    }
    let eoq = (2.0 * order_cost * demand_rate / holding_cost)
        .sqrt()
        .round();
    if eoq > MAX_ORDER_QUANTITY as f64 {
        return Err(PolicyError::InvalidInput(format!(
            "economic order quantity {eoq} exceeds the supported {MAX_ORDER_QUANTITY}"
        )));
    }
    Ok((eoq as u64).max(1))
}

/// `EBO(y)` extended to `y < 0`, where every unit of demand is a backorder.
fn ebo_at(demand: &LeadTimeDemand, level: i64) -> f64 {
    if level < 0 {
        demand.mean() - level as f64
    } else {
        demand.expected_backorders(level as u64)
    }
}

/// `B2(y) = Σ_{j>=y} EBO(j)` for `y >= 0`.
fn second_order_loss(demand: &LeadTimeDemand, level: u64) -> f64 {
    let tail = demand.tail(level);
    0.5 * (tail.backorder_second_moment() + tail.expected_backorders)
}

fn check_policy(reorder_point: i64, order_quantity: u64) -> Result<(), PolicyError> {
    if reorder_point < -1 {
        return Err(PolicyError::InvalidInput(format!(
            "reorder point must be >= -1, got {reorder_point}"
        )));
    }
    if order_quantity == 0 || order_quantity > MAX_ORDER_QUANTITY {
        return Err(PolicyError::InvalidInput(format!(
            "order quantity must be between 1 and {MAX_ORDER_QUANTITY}, got {order_quantity}"
        )));
    }
    Ok(())
}

/// Service measures of the `(R, Q)` policy (see the module documentation).
pub fn evaluate_rq(
    demand: &LeadTimeDemand,
    reorder_point: i64,
    order_quantity: u64,
) -> Result<RqPolicy, PolicyError> {
    check_policy(reorder_point, order_quantity)?;
    let q = order_quantity as f64;
    let r = reorder_point;
    let top = r + order_quantity as i64;
    let (fill_rate, availability) = if demand.mean() == 0.0 {
        (1.0, 1.0)
    } else {
        (
            1.0 - (ebo_at(demand, r) - ebo_at(demand, top)) / q,
            1.0 - (ebo_at(demand, r + 1) - ebo_at(demand, top + 1)) / q,
        )
    };
    // r + 1 >= 0 because r >= -1.
    let ebo = ((second_order_loss(demand, (r + 1) as u64)
        - second_order_loss(demand, (top + 1) as u64))
        / q)
        .max(0.0);
    let mean_inventory_position = r as f64 + (q + 1.0) / 2.0;
    Ok(RqPolicy {
        reorder_point,
        order_quantity,
        fill_rate: fill_rate.clamp(0.0, 1.0),
        availability: availability.clamp(0.0, 1.0),
        ebo,
        expected_on_hand: (mean_inventory_position - demand.mean() + ebo).max(0.0),
        pipeline_mean: demand.mean(),
    })
}

/// Smallest reorder point `R >= -1` whose `(R, Q)` fill rate meets the target.
///
/// The fill rate grows with `R`, and is at least the base-stock fill rate of
/// `S = R + 1` (the inventory position never drops below `R + 1`), so the
/// answer lies in `[-1, S* - 1]` with `S*` the smallest base stock for the
/// target; a bisection finds it.
pub fn smallest_reorder_point(
    demand: &LeadTimeDemand,
    order_quantity: u64,
    target_fill_rate: f64,
) -> Result<RqPolicy, PolicyError> {
    open_unit_interval("target fill rate", target_fill_rate)?;
    check_policy(-1, order_quantity)?;
    let upper = smallest_base_stock(demand, target_fill_rate)?.base_stock as i64 - 1;
    let meets = |r: i64| -> Result<bool, PolicyError> {
        Ok(evaluate_rq(demand, r, order_quantity)?.fill_rate >= target_fill_rate)
    };
    // Invariant: `upper` meets the target; everything below `lower` fails.
    let mut lower = -1_i64;
    let mut upper = upper.max(-1);
    if meets(lower)? {
        return evaluate_rq(demand, lower, order_quantity);
    }
    // The two formulas round differently right at the target: make sure.
    while !meets(upper)? {
        upper += 1;
    }
    while upper - lower > 1 {
        let middle = lower + (upper - lower) / 2;
        if meets(middle)? {
            upper = middle;
        } else {
            lower = middle;
        }
    }
    evaluate_rq(demand, upper, order_quantity)
}

/// `(R, Q)` policy for Poisson demand at `demand_rate` per day with a lead
/// time of `lead_time` days: `Q` from the EOQ, then the smallest `R` meeting
/// `target_fill_rate`.
pub fn rq_policy(
    demand_rate: f64,
    lead_time: f64,
    order_cost: f64,
    holding_cost: f64,
    target_fill_rate: f64,
) -> Result<RqPolicy, PolicyError> {
    non_negative("lead time", lead_time)?;
    let order_quantity = economic_order_quantity(demand_rate, order_cost, holding_cost)?;
    let demand = LeadTimeDemand::poisson(demand_rate * lead_time)?;
    smallest_reorder_point(&demand, order_quantity, target_fill_rate)
}
