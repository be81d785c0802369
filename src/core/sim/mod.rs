//! Seeded, reproducible discrete-event simulation of a spare-parts network:
//! failures at sites, requests with SLA deadlines, sourcing (serving
//! warehouse, lateral, emergency, backorder), `(s, S)` replenishment up the
//! warehouse tree, the repair loop with a beyond-repair share, and transit
//! times. Pure code: no database, no HTTP.
//!
//! - [`model`] — the input ([`SimModel`]), built from a scenario file or in
//!   code;
//! - [`time`] — simulated time and SLA deadlines on the business calendar;
//! - `engine` — one replication (event loop and state; see its docs for the
//!   sourcing rules and why it is fast).
//!
//! [`simulate`] runs R replications on several threads. Replication `r`
//! draws from its own generator seeded with `mix(seed, r)` and results are
//! combined in replication order, so the output depends on the seed alone,
//! never on the thread count or on which thread ran which replication.
//!
//! Each KPI is reported as the mean over replications with a 95 % confidence
//! interval from Student's t with R − 1 degrees of freedom (replications are
//! independent and identically distributed, so their means are a textbook
//! sample).
mod engine;
pub mod model;
pub mod time;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

pub use model::{
    DemandHistory, Emergency, LateralLane, Level, Part, SimModel, SlaClass, Stream, Warehouse,
};

/// Why a simulation could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The model breaks an invariant (a bug in the code that built it, or a
    /// scenario that slipped past validation).
    #[error("invalid simulation model: {0}")]
    InvalidModel(String),
    /// Replications or threads out of range.
    #[error("{0}")]
    InvalidRun(String),
    /// Stopped on request before every replication ran.
    #[error("simulation cancelled")]
    Cancelled,
}

/// Most replications one run accepts.
pub const MAX_REPLICATIONS: usize = 100_000;

/// Counters of one part at one warehouse in one replication.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SlotCounters {
    /// Field requests raised at sites this warehouse serves (after warm-up).
    pub requests: u64,
    /// Of those, served from this warehouse's shelf at once.
    pub filled: u64,
    /// Of those, delivered by their deadline (any source).
    pub on_time: u64,
    /// Time-average number of field requests waiting here.
    pub average_backorders: f64,
    /// Share of time with at least one field request waiting here.
    pub short_share: f64,
}

/// The raw outcome of one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationResult {
    /// Per part × warehouse, flat as [`SimModel::slot`].
    pub counters: Vec<SlotCounters>,
    pub class_requests: Vec<u64>,
    pub class_on_time: Vec<u64>,
    pub emergencies: u64,
    pub emergency_cost: f64,
    pub laterals: u64,
    pub lateral_cost: f64,
    /// Time-average value of the stock on warehouse shelves.
    pub average_shelf_value: f64,
    /// Events processed (failures, arrivals, repair completions, history
    /// periods), warm-up included.
    pub events: u64,
}

/// How to run the replications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Independent replications, at least 1.
    pub replications: usize,
    /// Base seed.
    pub seed: u64,
    /// Worker threads, at least 1 (the result does not depend on it).
    pub threads: usize,
}

/// The seed of replication `replication`: splitmix64 of the pair, so that
/// neighbouring seeds and replications give unrelated streams.
pub fn replication_seed(seed: u64, replication: u64) -> u64 {
    let mut z = seed
        .wrapping_add(replication.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs `options.replications` replications of `model` on
/// `options.threads` threads, calling `progress` after each one (from the
/// worker that finished it). Results come back in replication order.
pub fn run_replications(
    model: &SimModel,
    options: RunOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<ReplicationResult>, SimError> {
    run_replications_cancellable(model, options, progress, &AtomicBool::new(false))
}

/// [`run_replications`] that stops, within a few milliseconds, once
/// `cancel` is set (a background job being cancelled or its server
/// stopping) and then returns [`SimError::Cancelled`].
pub fn run_replications_cancellable(
    model: &SimModel,
    options: RunOptions,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Vec<ReplicationResult>, SimError> {
    model.validate()?;
    if options.replications == 0 || options.replications > MAX_REPLICATIONS {
        return Err(SimError::InvalidRun(format!(
            "replications must be between 1 and {MAX_REPLICATIONS}, got {}",
            options.replications
        )));
    }
    if options.threads == 0 {
        return Err(SimError::InvalidRun("threads must be at least 1".into()));
    }
    let prepared = engine::Prepared::new(model);
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<ReplicationResult>>> = Mutex::new(vec![None; options.replications]);
    let threads = options.threads.min(options.replications);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    if r >= options.replications {
                        break;
                    }
                    let Some(result) = engine::replicate(
                        model,
                        &prepared,
                        replication_seed(options.seed, r as u64),
                        cancel,
                    ) else {
                        break;
                    };
                    if let Ok(mut slots) = slots.lock() {
                        slots[r] = Some(result);
                    }
                    progress();
                }
            });
        }
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(SimError::Cancelled);
    }
    let slots = slots
        .into_inner()
        .map_err(|_| SimError::InvalidRun("a simulation worker panicked".into()))?;
    slots
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| SimError::InvalidRun("a replication did not finish".into()))
}

/// A KPI over replications: mean and 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    /// Lower end of the 95 % interval (`null` with fewer than two values).
    pub ci_low: Option<f64>,
    /// Upper end of the 95 % interval.
    pub ci_high: Option<f64>,
    /// Replications that had a value (a ratio needs a non-zero denominator).
    pub n: usize,
}

impl Estimate {
    /// Mean and Student-t 95 % interval of `values` (NaNs are skipped: a
    /// replication without requests has no fill rate).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        let n = values.len();
        if n == 0 {
            return Self {
                mean: f64::NAN,
                ci_low: None,
                ci_high: None,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Self {
                mean,
                ci_low: None,
                ci_high: None,
                n,
            };
        }
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(f64::NAN);
        let half = t * (variance / n as f64).sqrt();
        Self {
            mean,
            ci_low: Some(mean - half),
            ci_high: Some(mean + half),
            n,
        }
    }

    /// Whether `value` lies inside the interval.
    pub fn contains(&self, value: f64) -> bool {
        match (self.ci_low, self.ci_high) {
            (Some(low), Some(high)) => low <= value && value <= high,
            _ => false,
        }
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        f64::NAN
    } else {
        numerator as f64 / denominator as f64
    }
}

/// System-wide KPIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// Share of requests delivered by their SLA deadline.
    pub sla_attainment: Estimate,
    /// Share of requests served at once from the serving warehouse's shelf.
    pub fill_rate: Estimate,
    /// Time-average number of field requests waiting for stock, network
    /// total.
    pub average_backorders: Estimate,
    /// Demand-weighted share of time a part × warehouse has no request
    /// waiting.
    pub availability: Estimate,
    /// Emergency shipments per year.
    pub emergency_shipments_per_year: Estimate,
    /// Emergency shipment cost per year.
    pub emergency_cost_per_year: Estimate,
    /// Lateral shipments per year.
    pub lateral_shipments_per_year: Estimate,
    /// Time-average value of the stock on the shelves.
    pub inventory_investment: Estimate,
    /// Holding cost per year of that stock.
    pub holding_cost_per_year: Estimate,
}

/// One part at one warehouse over all replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotReport {
    pub part: String,
    pub warehouse: String,
    /// Requests per replication after warm-up (mean).
    pub requests: f64,
    pub fill_rate: Estimate,
    pub sla_attainment: Estimate,
    pub average_backorders: Estimate,
    pub availability: Estimate,
}

/// SLA attainment of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassReport {
    pub class: String,
    pub requests: f64,
    pub sla_attainment: Estimate,
}

/// Everything a run reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    pub replications: usize,
    pub seed: u64,
    pub horizon_days: f64,
    pub warmup_days: f64,
    pub kpis: Kpis,
    pub classes: Vec<ClassReport>,
    /// Part × warehouse rows with demand or stock, part-major.
    pub locations: Vec<SlotReport>,
    /// Events processed over all replications.
    pub events: u64,
}

/// Combines replications into the report.
pub fn summarise(model: &SimModel, options: RunOptions, runs: &[ReplicationResult]) -> SimReport {
    let span = model.horizon - model.warmup;
    let per_year = 365.0 / span;
    let rates = model.demand_rates();
    let total_rate: f64 = rates.iter().sum();
    let sum = |run: &ReplicationResult, f: fn(&SlotCounters) -> u64| -> u64 {
        run.counters.iter().map(f).sum()
    };
    let over = |f: &dyn Fn(&ReplicationResult) -> f64| Estimate::of(runs.iter().map(f));
    let availability = |run: &ReplicationResult| {
        if total_rate > 0.0 {
            run.counters
                .iter()
                .zip(&rates)
                .map(|(c, rate)| rate * (1.0 - c.short_share))
                .sum::<f64>()
                / total_rate
        } else {
            1.0
        }
    };
    let kpis = Kpis {
        sla_attainment: over(&|run| ratio(sum(run, |c| c.on_time), sum(run, |c| c.requests))),
        fill_rate: over(&|run| ratio(sum(run, |c| c.filled), sum(run, |c| c.requests))),
        average_backorders: over(&|run| run.counters.iter().map(|c| c.average_backorders).sum()),
        availability: over(&availability),
        emergency_shipments_per_year: over(&|run| run.emergencies as f64 * per_year),
        emergency_cost_per_year: over(&|run| run.emergency_cost * per_year),
        lateral_shipments_per_year: over(&|run| run.laterals as f64 * per_year),
        inventory_investment: over(&|run| run.average_shelf_value),
        holding_cost_per_year: over(&|run| run.average_shelf_value * model.holding_rate),
    };
    let classes = model
        .classes
        .iter()
        .enumerate()
        .map(|(i, class)| ClassReport {
            class: class.code.clone(),
            requests: runs.iter().map(|r| r.class_requests[i] as f64).sum::<f64>()
                / runs.len().max(1) as f64,
            sla_attainment: Estimate::of(
                runs.iter()
                    .map(|r| ratio(r.class_on_time[i], r.class_requests[i])),
            ),
        })
        .collect();
    let w = model.warehouses.len();
    let locations = (0..model.levels.len())
        .filter(|&slot| rates[slot] > 0.0 || model.levels[slot].max > 0)
        .map(|slot| {
            let of = |f: &dyn Fn(&SlotCounters) -> f64| {
                Estimate::of(runs.iter().map(|run| f(&run.counters[slot])))
            };
            SlotReport {
                part: model.parts[slot / w].code.clone(),
                warehouse: model.warehouses[slot % w].code.clone(),
                requests: runs
                    .iter()
                    .map(|r| r.counters[slot].requests as f64)
                    .sum::<f64>()
                    / runs.len().max(1) as f64,
                fill_rate: of(&|c| ratio(c.filled, c.requests)),
                sla_attainment: of(&|c| ratio(c.on_time, c.requests)),
                average_backorders: of(&|c| c.average_backorders),
                availability: of(&|c| 1.0 - c.short_share),
            }
        })
        .collect();
    SimReport {
        replications: runs.len(),
        seed: options.seed,
        horizon_days: model.horizon,
        warmup_days: model.warmup,
        kpis,
        classes,
        locations,
        events: runs.iter().map(|r| r.events).sum(),
    }
}

/// Runs the replications and summarises them.
pub fn simulate(
    model: &SimModel,
    options: RunOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<SimReport, SimError> {
    simulate_cancellable(model, options, progress, &AtomicBool::new(false))
}

/// [`simulate`] that can be cancelled (see [`run_replications_cancellable`]).
pub fn simulate_cancellable(
    model: &SimModel,
    options: RunOptions,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<SimReport, SimError> {
    let runs = run_replications_cancellable(model, options, progress, cancel)?;
    Ok(summarise(model, options, &runs))
}
