//! Marginal analysis for one part over a depot and its bases (Sherbrooke,
//! *Optimal Inventory Modeling of Systems*, ch. 2-4).
//!
//! Starting from no stock anywhere, repeatedly add the one unit (at the depot
//! or at a base) that lowers the total base EBO the most per unit cost. Each
//! step is a point of the cost-versus-backorders *efficient frontier*; the walk
//! stops at a target (total base EBO, fill rate or availability) or a budget.
//!
//! The depot's marginal value is not convex in METRIC (a depot unit helps every
//! base a little), so marginal analysis is a heuristic there; it is the
//! standard one and the frontier points it yields are what planners compare.
//!
//! Ties go to the lowest location index, the depot (index 0) first, so the
//! frontier is reproducible.
//!
//! Each step only re-evaluates what changed: adding a base unit changes that
//! base alone; adding a depot unit changes every base's pipeline, and the
//! base tails "with one more depot unit" computed for the previous step become
//! the current ones. [`MarginalState`] keeps these two sets of tails so that a
//! step costs two tail evaluations for a base move and `N` for a depot move.
use serde::Serialize;

use super::demand::{LeadTimeDemand, Tail};
use super::metric::{DepotState, MetricSystem, PipelineModel};
use super::{PolicyError, non_negative, open_unit_interval};

/// Default cap on the number of units a search may add before it gives up.
pub const DEFAULT_MAX_UNITS: u64 = 100_000;

/// When the marginal analysis stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopRule {
    /// Total base EBO at or below this value (> 0).
    TotalBaseEbo(f64),
    /// Demand-weighted base fill rate `Σ λ_i P(X_i <= s_i - 1) / Σ λ_i` at or
    /// above this value (in (0, 1)).
    FillRate(f64),
    /// Demand-weighted base availability `Σ λ_i P(X_i <= s_i) / Σ λ_i` at or
    /// above this value (in (0, 1)).
    Availability(f64),
    /// Spend at most this much: stop before the unit that would exceed it.
    Budget(f64),
}

impl StopRule {
    /// Checks the rule's number.
    pub fn validate(&self) -> Result<(), PolicyError> {
        match *self {
            Self::TotalBaseEbo(target) => {
                if target.is_finite() && target > 0.0 {
                    Ok(())
                } else {
                    Err(PolicyError::InvalidInput(format!(
                        "target total base EBO must be a finite number > 0 (backorders only approach zero), got {target}"
                    )))
                }
            }
            Self::FillRate(target) => open_unit_interval("target fill rate", target).map(|_| ()),
            Self::Availability(target) => {
                open_unit_interval("target availability", target).map(|_| ())
            }
            Self::Budget(budget) => non_negative("budget", budget).map(|_| ()),
        }
    }

    /// Whether a state with these measures meets the target (never for a
    /// budget, which stops on cost instead).
    pub(super) fn is_met(&self, total_base_ebo: f64, fill_rate: f64, availability: f64) -> bool {
        match *self {
            Self::TotalBaseEbo(target) => total_base_ebo <= target,
            Self::FillRate(target) => fill_rate >= target,
            Self::Availability(target) => availability >= target,
            Self::Budget(_) => false,
        }
    }
}

/// Options of the single-part marginal analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GreedyOptions {
    /// METRIC or VARI-METRIC base pipelines.
    pub model: PipelineModel,
    /// Cost of one unit (the same at the depot and at the bases), > 0.
    pub unit_cost: f64,
    /// When to stop.
    pub stop: StopRule,
    /// Give up with [`PolicyError::Unreachable`] after adding this many units.
    pub max_units: u64,
    /// Keep every frontier point (true) or only the starting point (false,
    /// for callers that only want the recommendation).
    pub record_frontier: bool,
}

impl GreedyOptions {
    /// METRIC, unit cost 1, [`DEFAULT_MAX_UNITS`].
    pub fn new(stop: StopRule) -> Self {
        Self {
            model: PipelineModel::Metric,
            unit_cost: 1.0,
            stop,
            max_units: DEFAULT_MAX_UNITS,
            record_frontier: true,
        }
    }
}

/// One point of the efficient frontier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// Stock per location, depot first.
    pub stock: Vec<u64>,
    /// Investment: units × unit cost.
    pub cost: f64,
    /// Total base EBO at this stock.
    pub total_base_ebo: f64,
}

/// The frontier walked by the marginal analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GreedyResult {
    /// The stopping point: the recommendation.
    #[serde(rename = "final")]
    pub final_point: FrontierPoint,
    /// Every point from all zeros to the stopping point, one unit apart (only
    /// the starting point without [`GreedyOptions::record_frontier`]).
    pub frontier: Vec<FrontierPoint>,
    /// Demand-weighted base fill rate at the final point.
    pub fill_rate: f64,
    /// Demand-weighted base availability at the final point.
    pub availability: f64,
}

/// Where the next unit goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The depot (index 0 of stock vectors).
    Depot,
    /// Base `i` (index `i + 1` of stock vectors).
    Base(usize),
}

impl Location {
    /// Index in a depot-first stock vector.
    pub fn index(&self) -> usize {
        match self {
            Self::Depot => 0,
            Self::Base(i) => i + 1,
        }
    }
}

/// Incremental METRIC state of one part during marginal analysis.
#[derive(Debug, Clone)]
pub struct MarginalState<'a> {
    system: &'a MetricSystem,
    model: PipelineModel,
    depot: DepotState,
    depot_next: DepotState,
    base_stock: Vec<u64>,
    pipelines: Vec<LeadTimeDemand>,
    pipelines_next: Vec<LeadTimeDemand>,
    /// Base tails at the current stock.
    current: Vec<Tail>,
    /// Base tails at the current base stock with one more depot unit.
    with_depot_unit: Vec<Tail>,
    total_base_ebo: f64,
}

impl<'a> MarginalState<'a> {
    /// All stock at zero.
    pub fn new(system: &'a MetricSystem, model: PipelineModel) -> Result<Self, PolicyError> {
        let depot = system.depot_state(0)?;
        let depot_next = system.depot_state(1)?;
        let bases = system.bases();
        let mut state = Self {
            system,
            model,
            depot,
            depot_next,
            base_stock: vec![0; bases],
            pipelines: Vec::with_capacity(bases),
            pipelines_next: Vec::with_capacity(bases),
            current: Vec::with_capacity(bases),
            with_depot_unit: Vec::with_capacity(bases),
            total_base_ebo: 0.0,
        };
        for base in 0..bases {
            let now = system.base_pipeline(base, &state.depot, model)?;
            let next = system.base_pipeline(base, &state.depot_next, model)?;
            state.current.push(now.tail(0));
            state.with_depot_unit.push(next.tail(0));
            state.pipelines.push(now);
            state.pipelines_next.push(next);
        }
        state.total_base_ebo = state.sum_base_ebo();
        Ok(state)
    }

    fn sum_base_ebo(&self) -> f64 {
        self.current.iter().map(|t| t.expected_backorders).sum()
    }

    /// Total base EBO now.
    pub fn total_base_ebo(&self) -> f64 {
        self.total_base_ebo
    }

    /// Units placed so far.
    pub fn units(&self) -> u64 {
        self.depot.stock + self.base_stock.iter().sum::<u64>()
    }

    /// Stock per location, depot first.
    pub fn stock_vector(&self) -> Vec<u64> {
        let mut stock = Vec::with_capacity(self.base_stock.len() + 1);
        stock.push(self.depot.stock);
        stock.extend_from_slice(&self.base_stock);
        stock
    }

    /// `Σ λ_i P(X_i <= s_i - 1)`: the demand-weighted sum of base fill rates.
    pub fn weighted_fill(&self) -> f64 {
        self.weighted(|pipeline, tail| {
            if pipeline.mean() == 0.0 {
                1.0
            } else {
                tail.cdf_below()
            }
        })
    }

    /// `Σ λ_i P(X_i <= s_i)`: the demand-weighted sum of base availabilities.
    pub fn weighted_availability(&self) -> f64 {
        self.weighted(|_, tail| tail.cdf)
    }

    fn weighted(&self, measure: impl Fn(&LeadTimeDemand, &Tail) -> f64) -> f64 {
        self.system
            .demand_rates()
            .iter()
            .zip(self.pipelines.iter().zip(&self.current))
            .map(|(rate, (pipeline, tail))| rate * measure(pipeline, tail))
            .sum()
    }

    /// Demand-weighted base fill rate (1 when there is no demand).
    pub fn fill_rate(&self) -> f64 {
        ratio_or_one(self.weighted_fill(), self.system.total_rate())
    }

    /// Demand-weighted base availability (1 when there is no demand).
    pub fn availability(&self) -> f64 {
        ratio_or_one(self.weighted_availability(), self.system.total_rate())
    }

    /// The unit that lowers total base EBO most, with that drop; ties go to
    /// the lowest index (the depot first).
    pub fn best_move(&self) -> (Location, f64) {
        let depot_drop: f64 = self
            .current
            .iter()
            .zip(&self.with_depot_unit)
            .map(|(now, next)| now.expected_backorders - next.expected_backorders)
            .sum();
        let mut best = (Location::Depot, depot_drop);
        for (base, tail) in self.current.iter().enumerate() {
            // EBO(s) - EBO(s + 1) = P(X > s).
            if tail.sf > best.1 {
                best = (Location::Base(base), tail.sf);
            }
        }
        best
    }

    /// Adds one unit at `location`.
    pub fn add_unit(&mut self, location: Location) -> Result<(), PolicyError> {
        match location {
            Location::Depot => {
                self.depot = self.depot_next;
                self.depot_next = self.system.depot_state(self.depot.stock + 1)?;
                std::mem::swap(&mut self.pipelines, &mut self.pipelines_next);
                std::mem::swap(&mut self.current, &mut self.with_depot_unit);
                for base in 0..self.base_stock.len() {
                    let next = self
                        .system
                        .base_pipeline(base, &self.depot_next, self.model)?;
                    self.with_depot_unit[base] = next.tail(self.base_stock[base]);
                    self.pipelines_next[base] = next;
                }
            }
            Location::Base(base) => {
                let stock = self.base_stock[base] + 1;
                self.base_stock[base] = stock;
                self.current[base] = self.pipelines[base].tail(stock);
                self.with_depot_unit[base] = self.pipelines_next[base].tail(stock);
            }
        }
        self.total_base_ebo = self.sum_base_ebo();
        Ok(())
    }
}

pub(super) fn ratio_or_one(weighted: f64, total_rate: f64) -> f64 {
    if total_rate > 0.0 {
        weighted / total_rate
    } else {
        1.0
    }
}

/// Fewest units that could possibly bring total base EBO down to `target`:
/// every base EBO is at least its pipeline mean minus its stock, and the
/// depot's share of the pipelines is at least `λ_0 D - s_0`.
pub(super) fn lower_bound_on_units(system: &MetricSystem, target: f64) -> f64 {
    let base_pipelines: f64 = system
        .demand_rates()
        .iter()
        .zip(system.base_resupply_times())
        .map(|(rate, time)| rate * time)
        .sum();
    base_pipelines + system.total_rate() * system.depot_repair_time() - target
}

pub(super) fn check_unit_cost(unit_cost: f64) -> Result<(), PolicyError> {
    if unit_cost.is_finite() && unit_cost > 0.0 {
        Ok(())
    } else {
        Err(PolicyError::InvalidInput(format!(
            "unit cost must be a finite number > 0, got {unit_cost}"
        )))
    }
}

/// Marginal analysis for one part (see the module documentation).
pub fn optimise_part(
    system: &MetricSystem,
    options: &GreedyOptions,
) -> Result<GreedyResult, PolicyError> {
    check_unit_cost(options.unit_cost)?;
    options.stop.validate()?;
    if let StopRule::TotalBaseEbo(target) = options.stop
        && lower_bound_on_units(system, target) > options.max_units as f64
    {
        return Err(PolicyError::Unreachable(format!(
            "total base EBO {target} needs more than {} units",
            options.max_units
        )));
    }
    let mut state = MarginalState::new(system, options.model)?;
    let point = |state: &MarginalState| FrontierPoint {
        stock: state.stock_vector(),
        cost: state.units() as f64 * options.unit_cost,
        total_base_ebo: state.total_base_ebo(),
    };
    let mut frontier = vec![point(&state)];
    loop {
        if options.stop.is_met(
            state.total_base_ebo(),
            state.fill_rate(),
            state.availability(),
        ) {
            break;
        }
        let units = state.units();
        if let StopRule::Budget(budget) = options.stop
            && (units + 1) as f64 * options.unit_cost > budget
        {
            break;
        }
        let (location, drop) = state.best_move();
        if drop <= 0.0 {
            if matches!(options.stop, StopRule::Budget(_)) {
                break;
            }
            return Err(PolicyError::Unreachable(format!(
                "no further unit lowers backorders (total base EBO {} after {units} units)",
                state.total_base_ebo()
            )));
        }
        if units >= options.max_units {
            return Err(PolicyError::Unreachable(format!(
                "not met within {} units (total base EBO {} at that point)",
                options.max_units,
                state.total_base_ebo()
            )));
        }
        state.add_unit(location)?;
        if options.record_frontier {
            frontier.push(point(&state));
        }
    }
    Ok(GreedyResult {
        final_point: point(&state),
        frontier,
        fill_rate: state.fill_rate(),
        availability: state.availability(),
    })
}
