//! Marginal analysis over many parts at once: one system-wide target or
//! budget, each part with its own unit cost (Sherbrooke's system approach).
//!
//! Total base EBO is a sum over parts, so the unit with the best EBO drop per
//! unit cost across the whole system is the best next unit of *some* part's
//! own marginal analysis. A max-priority queue holds one entry per part, its
//! next unit's drop divided by its unit cost; each step pops the best part,
//! adds that unit, and pushes the part back with its following unit. Only the
//! popped part is re-evaluated, so the work is the sum of the single-part
//! walks, plus `O(log parts)` per unit.
//!
//! Ties go to the lowest part index, then (inside a part) to the lowest
//! location, so results are reproducible.
use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::Serialize;

use super::PolicyError;
use super::metric::{MetricSystem, PipelineModel};
use super::optimise::{
    Location, MarginalState, StopRule, check_unit_cost, lower_bound_on_units, ratio_or_one,
};

/// Default cap on the number of units the system search may add.
pub const DEFAULT_MAX_SYSTEM_UNITS: u64 = 50_000_000;

/// One part to stock: its network and the cost of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct PartSpec {
    /// Depot and bases for this part.
    pub system: MetricSystem,
    /// Cost of one unit of this part, > 0.
    pub unit_cost: f64,
}

/// Options of the multi-part marginal analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultiPartOptions {
    /// METRIC or VARI-METRIC base pipelines.
    pub model: PipelineModel,
    /// System-wide stopping rule. Fill rate and availability are weighted by
    /// demand over every part and base. With a budget, a part whose next unit
    /// no longer fits drops out and cheaper parts may still use the rest.
    pub stop: StopRule,
    /// Give up after adding this many units in total.
    pub max_units: u64,
}

impl MultiPartOptions {
    /// METRIC and [`DEFAULT_MAX_SYSTEM_UNITS`].
    pub fn new(stop: StopRule) -> Self {
        Self {
            model: PipelineModel::Metric,
            stop,
            max_units: DEFAULT_MAX_SYSTEM_UNITS,
        }
    }
}

/// One step of the system frontier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SystemStep {
    /// Part (index into the input) that received the unit.
    pub part: usize,
    /// Location index in that part's stock vector (0 = depot).
    pub location: usize,
    /// Investment after the step.
    pub cost: f64,
    /// System total base EBO after the step.
    pub total_base_ebo: f64,
}

/// Result of the multi-part marginal analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiPartResult {
    /// Stock per part, each depot first.
    pub stock: Vec<Vec<u64>>,
    /// Investment.
    pub cost: f64,
    /// System total base EBO.
    pub total_base_ebo: f64,
    /// Demand-weighted fill rate over every part and base.
    pub fill_rate: f64,
    /// Demand-weighted availability over every part and base.
    pub availability: f64,
    /// System total base EBO with no stock at all.
    pub initial_total_base_ebo: f64,
    /// Every step, in order: the cost-versus-EBO efficient frontier.
    pub frontier: Vec<SystemStep>,
}

/// A part's next unit in the priority queue.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    /// EBO drop per unit cost.
    gain: f64,
    part: usize,
    location: Location,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    /// Larger gain first; on equal gain the lower part index first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.part.cmp(&self.part))
    }
}

fn candidate(part: usize, state: &MarginalState, unit_cost: f64) -> Option<Candidate> {
    let (location, drop) = state.best_move();
    (drop > 0.0).then(|| Candidate {
        gain: drop / unit_cost,
        part,
        location,
    })
}

/// Running system totals, updated per step from the one part that changed.
struct Totals {
    ebo: f64,
    weighted_fill: f64,
    weighted_availability: f64,
    rate: f64,
    cost: f64,
    units: u64,
}

impl Totals {
    fn fill_rate(&self) -> f64 {
        ratio_or_one(self.weighted_fill, self.rate)
    }
    fn availability(&self) -> f64 {
        ratio_or_one(self.weighted_availability, self.rate)
    }
    fn is_met(&self, stop: &StopRule) -> bool {
        stop.is_met(self.ebo, self.fill_rate(), self.availability())
    }

    /// Adds one unit at `location` of the part `state` plans, moving the
    /// totals by that part's change alone.
    fn add_unit(
        &mut self,
        state: &mut MarginalState,
        location: Location,
        unit_cost: f64,
    ) -> Result<(), PolicyError> {
        let (ebo, fill, availability) = (
            state.total_base_ebo(),
            state.weighted_fill(),
            state.weighted_availability(),
        );
        state.add_unit(location)?;
        self.ebo += state.total_base_ebo() - ebo;
        self.weighted_fill += state.weighted_fill() - fill;
        self.weighted_availability += state.weighted_availability() - availability;
        self.cost += unit_cost;
        self.units += 1;
        Ok(())
    }
}

/// Marginal analysis over `parts` with one system-wide stopping rule.
pub fn optimise_parts(
    parts: &[PartSpec],
    options: &MultiPartOptions,
) -> Result<MultiPartResult, PolicyError> {
    check_inputs(parts, options)?;
    let mut states = parts
        .iter()
        .map(|part| MarginalState::new(&part.system, options.model))
        .collect::<Result<Vec<_>, _>>()?;
    let mut totals = Totals {
        ebo: states.iter().map(MarginalState::total_base_ebo).sum(),
        weighted_fill: states.iter().map(MarginalState::weighted_fill).sum(),
        weighted_availability: states
            .iter()
            .map(MarginalState::weighted_availability)
            .sum(),
        rate: parts.iter().map(|part| part.system.total_rate()).sum(),
        cost: 0.0,
        units: 0,
    };
    let initial_total_base_ebo = totals.ebo;
    let mut queue: BinaryHeap<Candidate> = states
        .iter()
        .enumerate()
        .filter_map(|(part, state)| candidate(part, state, parts[part].unit_cost))
        .collect();
    let mut frontier = Vec::new();
    while !totals.is_met(&options.stop) {
        let Some(best) = queue.pop() else {
            if matches!(options.stop, StopRule::Budget(_)) {
                break;
            }
            return Err(PolicyError::Unreachable(format!(
                "no further unit lowers backorders (system total base EBO {})",
                totals.ebo
            )));
        };
        let unit_cost = parts[best.part].unit_cost;
        if let StopRule::Budget(budget) = options.stop
            && totals.cost + unit_cost > budget
        {
            // This part no longer fits; cheaper parts may.
            continue;
        }
        if totals.units >= options.max_units {
            return Err(PolicyError::Unreachable(format!(
                "not met within {} units (system total base EBO {} at that point)",
                options.max_units, totals.ebo
            )));
        }
        let state = &mut states[best.part];
        totals.add_unit(state, best.location, unit_cost)?;
        frontier.push(SystemStep {
            part: best.part,
            location: best.location.index(),
            cost: totals.cost,
            total_base_ebo: totals.ebo,
        });
        if let Some(next) = candidate(best.part, state, unit_cost) {
            queue.push(next);
        }
    }
    Ok(exact_result(
        parts,
        &states,
        totals.rate,
        initial_total_base_ebo,
        frontier,
    ))
}

/// The stopping rule is valid, every unit cost is (named by part), and a
/// total-EBO target is not beyond `max_units` by the lower bound alone.
fn check_inputs(parts: &[PartSpec], options: &MultiPartOptions) -> Result<(), PolicyError> {
    options.stop.validate()?;
    for (index, part) in parts.iter().enumerate() {
        check_unit_cost(part.unit_cost).map_err(|error| match error {
            PolicyError::InvalidInput(message) => {
                PolicyError::InvalidInput(format!("part {index}: {message}"))
            }
            other => other,
        })?;
    }
    if let StopRule::TotalBaseEbo(target) = options.stop {
        let bound: f64 = parts
            .iter()
            .map(|part| lower_bound_on_units(&part.system, 0.0))
            .sum::<f64>()
            - target;
        if bound > options.max_units as f64 {
            return Err(PolicyError::Unreachable(format!(
                "system total base EBO {target} needs more than {} units",
                options.max_units
            )));
        }
    }
    Ok(())
}

/// The result with exact totals recomputed from the final states (the
/// running ones drift in the last bits).
fn exact_result(
    parts: &[PartSpec],
    states: &[MarginalState],
    rate: f64,
    initial_total_base_ebo: f64,
    frontier: Vec<SystemStep>,
) -> MultiPartResult {
    let stock: Vec<Vec<u64>> = states.iter().map(MarginalState::stock_vector).collect();
    let cost = parts
        .iter()
        .zip(states)
        .map(|(part, state)| part.unit_cost * state.units() as f64)
        .sum();
    let fill_rate = ratio_or_one(states.iter().map(MarginalState::weighted_fill).sum(), rate);
    let availability = ratio_or_one(
        states
            .iter()
            .map(MarginalState::weighted_availability)
            .sum(),
        rate,
    );
    MultiPartResult {
        stock,
        cost,
        total_base_ebo: states.iter().map(MarginalState::total_base_ebo).sum(),
        fill_rate,
        availability,
        initial_total_base_ebo,
        frontier,
    }
}
