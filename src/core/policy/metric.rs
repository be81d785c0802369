//! Two-echelon models for repairables: one depot that repairs for N bases.
//!
//! # METRIC (Sherbrooke 1968)
//! Failures at base `i` arrive as Poisson with rate `λ_i`; each failed unit
//! goes to the depot for repair and the base orders a replacement one for one.
//! - The depot sees `λ_0 = Σ λ_i`; its repair pipeline is Poisson with mean
//!   `λ_0 · D` (Palm's theorem, `D` the depot repair time), so with depot stock
//!   `s_0` it has `EBO_0(s_0)` backorders on average.
//! - By Little's law a base order waits on average `δ = EBO_0(s_0) / λ_0` days
//!   at the depot (the depot delay).
//! - Base `i`'s pipeline is then taken as Poisson with mean
//!   `λ_i · (T_i + δ)`, `T_i` the order-and-ship time, and its backorders are
//!   `EBO_i(s_i)`. The system measure is the total base EBO.
//!
//! # VARI-METRIC (Graves 1985; Sherbrooke 1986)
//! METRIC understates the variance of base pipelines because depot delays are
//! correlated. Each depot backorder belongs to base `i` with probability
//! `f_i = λ_i / λ_0`, so the base's share of depot backorders is a binomial
//! thinning of them, and the base pipeline has
//!
//! ```text
//! mean     = λ_i T_i + f_i EBO_0(s_0)
//! variance = λ_i T_i + f_i² VBO_0(s_0) + f_i (1 - f_i) EBO_0(s_0)
//! ```
//!
//! with `VBO_0` the variance of depot backorders. A negative binomial with
//! these two moments is used when the variance exceeds the mean, a Poisson
//! otherwise.
use serde::Serialize;

use super::demand::{LeadTimeDemand, Tail};
use super::{PolicyError, non_negative};

/// How base pipelines are modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum PipelineModel {
    /// Sherbrooke's METRIC: Poisson base pipelines.
    #[default]
    Metric,
    /// Graves' VARI-METRIC: two-moment (negative-binomial) base pipelines.
    VariMetric,
}

/// One part's depot-and-bases network: rates per day, times in days.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSystem {
    demand_rates: Vec<f64>,
    base_resupply_times: Vec<f64>,
    depot_repair_time: f64,
    total_rate: f64,
}

/// The depot's state at a given depot stock: what the bases see of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepotState {
    /// Depot stock `s_0`.
    pub stock: u64,
    /// Backorder statistics of the depot repair pipeline at `s_0`.
    pub tail: Tail,
    /// Mean delay `EBO_0 / λ_0` a base order waits at the depot, in days.
    pub delay: f64,
}

/// METRIC measures of one stock vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricEvaluation {
    /// Depot expected backorders `EBO_0(s_0)`.
    pub depot_ebo: f64,
    /// Depot delay `EBO_0 / λ_0` in days.
    pub depot_delay: f64,
    /// Each base's expected backorders.
    pub base_ebo: Vec<f64>,
    /// Sum of the base EBOs.
    pub total_base_ebo: f64,
    /// Each base's fill rate `P(X_i <= s_i - 1)`.
    pub base_fill_rate: Vec<f64>,
    /// Each base's availability `P(X_i <= s_i)`.
    pub base_availability: Vec<f64>,
}

impl MetricSystem {
    /// A depot repairing for `demand_rates.len()` bases. Rates and times must
    /// be finite and non-negative, the two lists non-empty and equally long.
    pub fn new(
        demand_rates: Vec<f64>,
        base_resupply_times: Vec<f64>,
        depot_repair_time: f64,
    ) -> Result<Self, PolicyError> {
        if demand_rates.is_empty() {
            return Err(PolicyError::InvalidInput(
                "at least one base is needed (demand rates list is empty)".into(),
            ));
        }
        if demand_rates.len() != base_resupply_times.len() {
            return Err(PolicyError::InvalidInput(format!(
                "{} demand rates but {} resupply times: give one of each per base",
                demand_rates.len(),
                base_resupply_times.len()
            )));
        }
        for (i, (&rate, &time)) in demand_rates.iter().zip(&base_resupply_times).enumerate() {
            non_negative(&format!("demand rate of base {}", i + 1), rate)?;
            non_negative(&format!("resupply time of base {}", i + 1), time)?;
        }
        non_negative("depot repair time", depot_repair_time)?;
        let total_rate = demand_rates.iter().sum();
        Ok(Self {
            demand_rates,
            base_resupply_times,
            depot_repair_time,
            total_rate,
        })
    }

    /// Number of bases.
    pub fn bases(&self) -> usize {
        self.demand_rates.len()
    }

    /// Demand rate per day of each base.
    pub fn demand_rates(&self) -> &[f64] {
        &self.demand_rates
    }

    /// Order-and-ship time of each base in days.
    pub fn base_resupply_times(&self) -> &[f64] {
        &self.base_resupply_times
    }

    /// Depot repair time in days.
    pub fn depot_repair_time(&self) -> f64 {
        self.depot_repair_time
    }

    /// `λ_0 = Σ λ_i`.
    pub fn total_rate(&self) -> f64 {
        self.total_rate
    }

    /// The depot repair pipeline, Poisson with mean `λ_0 · D`.
    pub fn depot_pipeline(&self) -> Result<LeadTimeDemand, PolicyError> {
        LeadTimeDemand::poisson(self.total_rate * self.depot_repair_time)
    }

    /// The depot's state at depot stock `stock`.
    pub fn depot_state(&self, stock: u64) -> Result<DepotState, PolicyError> {
        let tail = self.depot_pipeline()?.tail(stock);
        let delay = if self.total_rate > 0.0 {
            tail.expected_backorders / self.total_rate
        } else {
            0.0
        };
        Ok(DepotState { stock, tail, delay })
    }

    /// Base `base`'s pipeline distribution given the depot's state.
    pub fn base_pipeline(
        &self,
        base: usize,
        depot: &DepotState,
        model: PipelineModel,
    ) -> Result<LeadTimeDemand, PolicyError> {
        let (Some(&rate), Some(&resupply_time)) = (
            self.demand_rates.get(base),
            self.base_resupply_times.get(base),
        ) else {
            return Err(PolicyError::InvalidInput(format!(
                "base index {base} is out of range: there are {} bases",
                self.bases()
            )));
        };
        let own = rate * resupply_time;
        match model {
            PipelineModel::Metric => LeadTimeDemand::poisson(rate * (resupply_time + depot.delay)),
            PipelineModel::VariMetric => {
                let share = if self.total_rate > 0.0 {
                    rate / self.total_rate
                } else {
                    0.0
                };
                let ebo = depot.tail.expected_backorders;
                let mean = own + share * ebo;
                let variance = own
                    + share * share * depot.tail.backorder_variance
                    + share * (1.0 - share) * ebo;
                LeadTimeDemand::fit(mean, variance)
            }
        }
    }

    /// METRIC (or VARI-METRIC) measures of depot stock `depot_stock` and base
    /// stocks `base_stock` (one per base).
    pub fn evaluate(
        &self,
        model: PipelineModel,
        depot_stock: u64,
        base_stock: &[u64],
    ) -> Result<MetricEvaluation, PolicyError> {
        if base_stock.len() != self.bases() {
            return Err(PolicyError::InvalidInput(format!(
                "{} base stock levels for {} bases: give one per base",
                base_stock.len(),
                self.bases()
            )));
        }
        let depot = self.depot_state(depot_stock)?;
        let mut base_ebo = Vec::with_capacity(self.bases());
        let mut base_fill_rate = Vec::with_capacity(self.bases());
        let mut base_availability = Vec::with_capacity(self.bases());
        for (base, &stock) in base_stock.iter().enumerate() {
            let pipeline = self.base_pipeline(base, &depot, model)?;
            let tail = pipeline.tail(stock);
            base_ebo.push(tail.expected_backorders);
            base_fill_rate.push(if pipeline.mean() == 0.0 {
                1.0
            } else {
                tail.cdf_below()
            });
            base_availability.push(tail.cdf);
        }
        Ok(MetricEvaluation {
            depot_ebo: depot.tail.expected_backorders,
            depot_delay: depot.delay,
            total_base_ebo: base_ebo.iter().sum(),
            base_ebo,
            base_fill_rate,
            base_availability,
        })
    }
}
