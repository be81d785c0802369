//! Stock recommendations for a simulation model, from the analytic policy
//! library, with the service the analytics expect of them (what `spares
//! plan` shows next to the simulated service).
//!
//! # Method
//! Every part is a two-echelon system: the depot and the warehouses that
//! serve sites (the *bases*).
//! - A base's order-and-ship time is the sum of lane transits on its path
//!   from the depot. Sites served by the depot itself form a base with no
//!   transit whose stock is added to the depot's (its row shows the sum;
//!   the simulation then pools the two, which only helps). Intermediate warehouses that serve no site of their own
//!   get no stock: in the plan they are cross-docks on the way.
//! - The depot's resupply time is the repair cycle (return + turnaround)
//!   plus the beyond-repair share times the supplier lead time for a
//!   repairable, the supplier lead time for a consumable (a one-for-one
//!   depot buying from its supplier has the same Poisson pipeline as one
//!   repairing: Palm's theorem).
//! - One marginal analysis over all parts (METRIC or VARI-METRIC,
//!   [`optimise_parts`]) adds the unit with the largest backorder reduction
//!   per unit cost until the demand-weighted fill rate meets the target:
//!   the least investment for that target, up to the greedy's usual
//!   near-optimality.
//! - Consumables with an order quantity `Q > 1` then get, at each base, an
//!   `(s, S)` level: the smallest reorder point `R` whose `(R, Q)` fill rate
//!   reaches the fill rate the one-for-one stock had there (same pipeline),
//!   `S = R + Q`. Batches save orders at the price of a larger average stock.
//!
//! Safety stock is `reorder point + 1 − mean lead-time demand`: the stock
//! expected on the shelf when a replenishment arrives (for `(S−1, S)`,
//! `S − λT`).
//!
//! The analytic SLA attainment comes from [`service_within_window`]: the
//! serving warehouse's waiting-time distribution, lateral sources whose lane
//! fits the window, and the depot by emergency courier. Business-hours
//! windows are averaged over the 168 hours of a week (start on each hour's
//! middle), because the wall-clock length of "9 business hours" depends on
//! when the failure happens.
use std::collections::BTreeMap;

use serde::Serialize;

use super::policy::metric::{DepotState, MetricSystem, PipelineModel};
use super::policy::multi_part::{MultiPartOptions, PartSpec, optimise_parts};
use super::policy::optimise::StopRule;
use super::policy::reorder_point::{RqPolicy, evaluate_rq, smallest_reorder_point};
use super::policy::time_based::{LateralSource, ServingWarehouse, service_within_window};
use super::policy::{LeadTimeDemand, PolicyError};
use super::sim::time::deadline;
use super::sim::{Level, Part, SimModel};

/// What the analytics expect at one part × warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Analytic {
    /// Share of requests filled at once from the shelf (bases only).
    pub fill_rate: Option<f64>,
    /// Share of time without backorders.
    pub availability: f64,
    /// Expected backorders (field requests at a base; base orders at the
    /// depot).
    pub expected_backorders: f64,
    /// Expected units on the shelf.
    pub expected_on_hand: f64,
}

/// The recommendation for one part at one warehouse.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocationPlan {
    pub part: String,
    pub warehouse: String,
    /// Flat index as [`SimModel::slot`].
    #[serde(skip)]
    pub slot: usize,
    /// Failures per day this location serves (network total at the depot).
    pub demand_rate: f64,
    /// Mean lead-time demand (pipeline) in units.
    pub pipeline_mean: f64,
    pub safety_stock: f64,
    pub reorder_point: i64,
    pub max: i64,
    pub analytic: Analytic,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub target_fill_rate: f64,
    pub model: String,
    /// Demand-weighted fill rate over all bases (analytic).
    pub fill_rate: f64,
    /// Demand-weighted availability over all bases (analytic).
    pub availability: f64,
    /// Expected field backorders, network total (analytic).
    pub total_backorders: f64,
    /// Units × unit cost.
    pub investment: f64,
    /// Expected value on the shelves (analytic; what the simulation's
    /// inventory investment measures).
    pub expected_shelf_value: f64,
    /// Demand-weighted SLA attainment (analytic approximation).
    pub sla_attainment: f64,
    /// SLA attainment per class (analytic approximation).
    pub sla_by_class: BTreeMap<String, f64>,
    /// Part-major rows: the depot and every warehouse with demand or stock.
    pub locations: Vec<LocationPlan>,
    /// The levels per part × warehouse, flat, ready to simulate.
    #[serde(skip)]
    pub levels: Vec<Level>,
}

/// Per part: its METRIC system and which warehouse each base is.
struct PartNetwork {
    part: usize,
    bases: Vec<usize>,
    system: MetricSystem,
}

/// Recommends stock for `model` meeting `target_fill_rate`.
pub fn recommend(
    model: &SimModel,
    target_fill_rate: f64,
    pipeline_model: PipelineModel,
    order_quantities: &[u64],
) -> Result<Recommendation, PolicyError> {
    if order_quantities.len() != model.parts.len() {
        return Err(PolicyError::InvalidInput(
            "one order quantity per part needed".into(),
        ));
    }
    let (rates, networks) = part_networks(model)?;
    let stock = optimise_stock(model, &networks, target_fill_rate, pipeline_model)?;
    let mut levels = vec![Level::base_stock(0); model.levels.len()];
    let mut tally = Tally::new(model);
    for (network, stock) in networks.iter().zip(&stock) {
        let at = PartAt {
            model,
            network,
            pipeline_model,
        };
        let depot_stock = stock[0];
        let depot = at.plan_depot(depot_stock, &mut levels, &mut tally)?;
        for (b, &warehouse) in network.bases.iter().enumerate() {
            if warehouse == model.depot {
                at.merge_depot_base(b, stock[b + 1], &depot, &mut levels, &mut tally)?;
            } else {
                let q = order_quantities[network.part];
                at.plan_base(b, stock[b + 1], q, &depot, &mut levels, &mut tally)?;
            }
        }
    }
    let summary = tally.summarise(model, &rates, pipeline_model)?;
    Ok(Recommendation {
        target_fill_rate,
        model: summary.model,
        fill_rate: summary.fill_rate,
        availability: summary.availability,
        total_backorders: summary.total_backorders,
        investment: summary.investment,
        expected_shelf_value: summary.shelf_value,
        sla_attainment: summary.sla_attainment,
        sla_by_class: summary.sla_by_class,
        locations: summary.locations,
        levels,
    })
}

/// The one-for-one stock per part (depot first, then its bases) that one
/// marginal analysis over every part finds for the target; nothing to
/// optimise when no part has demand.
fn optimise_stock(
    model: &SimModel,
    networks: &[PartNetwork],
    target_fill_rate: f64,
    pipeline_model: PipelineModel,
) -> Result<Vec<Vec<u64>>, PolicyError> {
    let specs: Vec<PartSpec> = networks
        .iter()
        .map(|n| PartSpec {
            system: n.system.clone(),
            unit_cost: model.parts[n.part].unit_cost,
        })
        .collect();
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let result = optimise_parts(
        &specs,
        &MultiPartOptions {
            model: pipeline_model,
            ..MultiPartOptions::new(StopRule::FillRate(target_fill_rate))
        },
    )?;
    Ok(result.stock)
}

/// What planning or evaluating builds up over the parts: the rows, the
/// inputs of the SLA estimate and the running network sums.
struct Tally {
    locations: Vec<LocationPlan>,
    /// Per slot: (replenishment time incl. depot delay, stock used by the
    /// time-based formula), for the SLA estimate.
    service_inputs: Vec<(f64, u64)>,
    /// Per part: (depot pipeline rate, depot time, depot stock).
    depot_inputs: Vec<(f64, f64, u64)>,
    fill_weighted: f64,
    availability_weighted: f64,
    total_rate: f64,
    total_backorders: f64,
    investment: f64,
    shelf_value: f64,
}

/// The network figures of a plan or an assessment.
struct Summary {
    model: String,
    fill_rate: f64,
    availability: f64,
    total_backorders: f64,
    investment: f64,
    shelf_value: f64,
    sla_attainment: f64,
    sla_by_class: BTreeMap<String, f64>,
    locations: Vec<LocationPlan>,
}

impl Tally {
    fn new(model: &SimModel) -> Self {
        Self {
            locations: Vec::new(),
            service_inputs: vec![(0.0, 0); model.levels.len()],
            depot_inputs: vec![(0.0, 0.0, 0); model.parts.len()],
            fill_weighted: 0.0,
            availability_weighted: 0.0,
            total_rate: 0.0,
            total_backorders: 0.0,
            investment: 0.0,
            shelf_value: 0.0,
        }
    }

    /// Counts one base's demand `rate` towards the demand-weighted fill
    /// rate and availability.
    fn weigh(&mut self, rate: f64, fill: f64, availability: f64) {
        self.fill_weighted += rate * fill;
        self.availability_weighted += rate * availability;
        self.total_rate += rate;
    }

    /// Counts a base holding stock: its weighted service and its
    /// backorders.
    fn count_base(&mut self, rate: f64, analytic: &Analytic) {
        self.weigh(
            rate,
            analytic.fill_rate.unwrap_or(1.0),
            analytic.availability,
        );
        self.total_backorders += analytic.expected_backorders;
    }

    /// The demand-weighted ratios (1 without demand), the SLA estimate and
    /// the rows.
    fn summarise(
        self,
        model: &SimModel,
        rates: &[f64],
        pipeline_model: PipelineModel,
    ) -> Result<Summary, PolicyError> {
        let (sla_attainment, sla_by_class) =
            sla_estimate(model, rates, &self.service_inputs, &self.depot_inputs)?;
        let ratio = |x: f64| {
            if self.total_rate > 0.0 {
                x / self.total_rate
            } else {
                1.0
            }
        };
        Ok(Summary {
            model: match pipeline_model {
                PipelineModel::Metric => "metric".into(),
                PipelineModel::VariMetric => "vari-metric".into(),
            },
            fill_rate: ratio(self.fill_weighted),
            availability: ratio(self.availability_weighted),
            total_backorders: self.total_backorders,
            investment: self.investment,
            shelf_value: self.shelf_value,
            sla_attainment,
            sla_by_class,
            locations: self.locations,
        })
    }
}

/// One part's network while its stock is planned or evaluated.
struct PartAt<'a> {
    model: &'a SimModel,
    network: &'a PartNetwork,
    pipeline_model: PipelineModel,
}

impl PartAt<'_> {
    fn part(&self) -> &Part {
        &self.model.parts[self.network.part]
    }

    fn slot(&self, warehouse: usize) -> usize {
        self.network.part * self.model.warehouses.len() + warehouse
    }

    /// The depot's row at `level`, whose stock the depot's state is taken
    /// at (no fill rate: the depot fills base orders, not requests).
    fn depot_row(
        &self,
        level: Level,
        depot_stock: u64,
        depot: &DepotState,
        depot_pipeline: &LeadTimeDemand,
    ) -> LocationPlan {
        LocationPlan {
            part: self.part().code.clone(),
            warehouse: self.model.warehouses[self.model.depot].code.clone(),
            slot: self.slot(self.model.depot),
            demand_rate: self.network.system.total_rate(),
            pipeline_mean: depot_pipeline.mean(),
            safety_stock: depot_stock as f64 - depot_pipeline.mean(),
            reorder_point: level.reorder_point,
            max: level.max,
            analytic: Analytic {
                fill_rate: None,
                availability: depot.tail.cdf,
                expected_backorders: depot.tail.expected_backorders,
                expected_on_hand: depot_stock as f64 - depot_pipeline.mean()
                    + depot.tail.expected_backorders,
            },
        }
    }

    /// The row of base `b` at `warehouse` holding `level`.
    fn base_row(
        &self,
        b: usize,
        warehouse: usize,
        pipeline: &LeadTimeDemand,
        level: Level,
        analytic: Analytic,
    ) -> LocationPlan {
        LocationPlan {
            part: self.part().code.clone(),
            warehouse: self.model.warehouses[warehouse].code.clone(),
            slot: self.slot(warehouse),
            demand_rate: rate_of(&self.network.system, b),
            pipeline_mean: pipeline.mean(),
            safety_stock: (level.reorder_point + 1) as f64 - pipeline.mean(),
            reorder_point: level.reorder_point,
            max: level.max,
            analytic,
        }
    }

    /// Gives the depot its one-for-one stock and row; returns the depot's
    /// state, which every base's pipeline depends on.
    fn plan_depot(
        &self,
        depot_stock: u64,
        levels: &mut [Level],
        tally: &mut Tally,
    ) -> Result<DepotState, PolicyError> {
        let system = &self.network.system;
        let depot = system.depot_state(depot_stock)?;
        let depot_pipeline = system.depot_pipeline()?;
        let level = Level::base_stock(depot_stock as i64);
        levels[self.slot(self.model.depot)] = level;
        tally.depot_inputs[self.network.part] =
            (system.total_rate(), system.depot_repair_time(), depot_stock);
        let row = self.depot_row(level, depot_stock, &depot, &depot_pipeline);
        let unit_cost = self.part().unit_cost;
        tally.investment += depot_stock as f64 * unit_cost;
        tally.shelf_value += row.analytic.expected_on_hand * unit_cost;
        tally.locations.push(row);
        Ok(depot)
    }

    /// Sites served by the depot itself: a base with no transit whose stock
    /// sits on the depot's shelf, so it is added to the depot's level and
    /// row.
    fn merge_depot_base(
        &self,
        b: usize,
        base_stock: u64,
        depot: &DepotState,
        levels: &mut [Level],
        tally: &mut Tally,
    ) -> Result<(), PolicyError> {
        let slot = self.slot(self.model.depot);
        let system = &self.network.system;
        let pipeline = system.base_pipeline(b, depot, self.pipeline_model)?;
        let analytic = base_stock_analytic(&pipeline, base_stock);
        let merged = levels[slot].max + base_stock as i64;
        levels[slot] = Level::base_stock(merged);
        tally.service_inputs[slot] = (depot.delay, base_stock);
        let rate = rate_of(system, b);
        tally.count_base(rate, &analytic);
        let unit_cost = self.part().unit_cost;
        tally.investment += base_stock as f64 * unit_cost;
        tally.shelf_value += analytic.expected_on_hand * unit_cost;
        if let Some(row) = tally.locations.iter_mut().rev().find(|r| r.slot == slot) {
            row.demand_rate = rate;
            row.max = merged;
            row.reorder_point = merged - 1;
            row.pipeline_mean = pipeline.mean();
            row.safety_stock = base_stock as f64 - pipeline.mean();
            row.analytic = Analytic {
                expected_on_hand: row.analytic.expected_on_hand + analytic.expected_on_hand,
                ..analytic
            };
        }
        Ok(())
    }

    /// Base `b`'s level: its one-for-one stock, or for a consumable ordered
    /// in batches of `q > 1` the `(s, S)` with the same fill rate.
    fn plan_base(
        &self,
        b: usize,
        base_stock: u64,
        q: u64,
        depot: &DepotState,
        levels: &mut [Level],
        tally: &mut Tally,
    ) -> Result<(), PolicyError> {
        let warehouse = self.network.bases[b];
        let slot = self.slot(warehouse);
        let system = &self.network.system;
        let pipeline = system.base_pipeline(b, depot, self.pipeline_model)?;
        let (level, analytic) = if q > 1 && !self.part().repairable && base_stock > 0 {
            rq_level(&pipeline, base_stock, q)?
        } else {
            (
                Level::base_stock(base_stock as i64),
                base_stock_analytic(&pipeline, base_stock),
            )
        };
        levels[slot] = level;
        tally.service_inputs[slot] = (
            system.base_resupply_times()[b] + depot.delay,
            (level.reorder_point + 1).max(0) as u64,
        );
        let rate = system.demand_rates()[b];
        tally.count_base(rate, &analytic);
        let unit_cost = self.part().unit_cost;
        tally.investment += level.max as f64 * unit_cost;
        tally.shelf_value += analytic.expected_on_hand * unit_cost;
        tally
            .locations
            .push(self.base_row(b, warehouse, &pipeline, level, analytic));
        Ok(())
    }

    /// Base `b` at the scenario's own level; returns its row.
    fn evaluate_base(
        &self,
        b: usize,
        depot: &DepotState,
        tally: &mut Tally,
    ) -> Result<LocationPlan, PolicyError> {
        let warehouse = self.network.bases[b];
        let slot = self.slot(warehouse);
        let system = &self.network.system;
        let level = self.model.levels[slot];
        let pipeline = system.base_pipeline(b, depot, self.pipeline_model)?;
        let q = (level.max - level.reorder_point).max(1) as u64;
        // The stock the time-based SLA formula counts: for a batch
        // level, the base stock with the same fill rate (its position
        // spreads over s+1..S, so s+1 alone would be far too low).
        let mut service_stock = (level.reorder_point + 1).max(0) as u64;
        let analytic = if q > 1 {
            let rq = evaluate_rq(&pipeline, level.reorder_point, q)?;
            while service_stock < level.max.max(0) as u64
                && super::policy::fill_rate(&pipeline, service_stock) < rq.fill_rate
            {
                service_stock += 1;
            }
            rq_analytic(&rq)
        } else {
            base_stock_analytic(&pipeline, level.max.max(0) as u64)
        };
        tally.service_inputs[slot] = (system.base_resupply_times()[b] + depot.delay, service_stock);
        let rate = rate_of(system, b);
        tally.count_base(rate, &analytic);
        tally.investment += level.max.max(0) as f64 * self.part().unit_cost;
        Ok(self.base_row(b, warehouse, &pipeline, level, analytic))
    }
}

/// The service of base stock `stock` against `pipeline` (full fill rate
/// when nothing is in the pipeline).
fn base_stock_analytic(pipeline: &LeadTimeDemand, stock: u64) -> Analytic {
    let tail = pipeline.tail(stock);
    Analytic {
        fill_rate: Some(if pipeline.mean() == 0.0 {
            1.0
        } else {
            tail.cdf_below()
        }),
        availability: tail.cdf,
        expected_backorders: tail.expected_backorders,
        expected_on_hand: stock as f64 - pipeline.mean() + tail.expected_backorders,
    }
}

/// The service of an `(R, Q)` policy.
fn rq_analytic(rq: &RqPolicy) -> Analytic {
    Analytic {
        fill_rate: Some(rq.fill_rate),
        availability: rq.availability,
        expected_backorders: rq.ebo,
        expected_on_hand: rq.expected_on_hand,
    }
}

/// The analytic service of a policy as given: what `spares simulate`
/// shows beside its simulated KPIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub model: String,
    pub fill_rate: f64,
    pub availability: f64,
    pub total_backorders: f64,
    pub investment: f64,
    pub sla_attainment: f64,
    pub sla_by_class: BTreeMap<String, f64>,
    pub locations: Vec<LocationPlan>,
}

/// Evaluates the scenario's own stock levels with the same METRIC /
/// VARI-METRIC approximation [`recommend`] optimises with. A base-stock
/// level `(S-1, S)` is evaluated as base stock `S`; a batch level `(s, S)`
/// as `(R, Q) = (s, S - s)`. Demand of sites served by the depot itself is
/// filled from the depot's shelf, so its fill rate is the depot's
/// `P(pipeline < S0)` and its backorders its share of the depot's.
pub fn evaluate(
    model: &SimModel,
    pipeline_model: PipelineModel,
) -> Result<Assessment, PolicyError> {
    let (rates, networks) = part_networks(model)?;
    let mut tally = Tally::new(model);
    for network in &networks {
        let at = PartAt {
            model,
            network,
            pipeline_model,
        };
        let system = &network.system;
        let depot_slot = at.slot(model.depot);
        let depot_stock = model.levels[depot_slot].max.max(0) as u64;
        let depot = system.depot_state(depot_stock)?;
        let depot_pipeline = system.depot_pipeline()?;
        tally.depot_inputs[network.part] =
            (system.total_rate(), system.depot_repair_time(), depot_stock);
        tally.investment += depot_stock as f64 * at.part().unit_cost;
        let depot_fill = if depot_pipeline.mean() == 0.0 {
            1.0
        } else {
            depot.tail.cdf_below()
        };
        let mut depot_row = at.depot_row(
            model.levels[depot_slot],
            depot_stock,
            &depot,
            &depot_pipeline,
        );
        let mut rows = Vec::new();
        for (b, &warehouse) in network.bases.iter().enumerate() {
            if warehouse == model.depot {
                depot_row.analytic.fill_rate = Some(depot_fill);
                tally.service_inputs[depot_slot] = (depot.delay, depot_stock);
                tally.weigh(rate_of(system, b), depot_fill, depot.tail.cdf);
            } else {
                rows.push(at.evaluate_base(b, &depot, &mut tally)?);
            }
        }
        tally.locations.push(depot_row);
        tally.locations.extend(rows);
    }
    let summary = tally.summarise(model, &rates, pipeline_model)?;
    Ok(Assessment {
        model: summary.model,
        fill_rate: summary.fill_rate,
        availability: summary.availability,
        total_backorders: summary.total_backorders,
        investment: summary.investment,
        sla_attainment: summary.sla_attainment,
        sla_by_class: summary.sla_by_class,
        locations: summary.locations,
    })
}

/// Each part's METRIC system over the warehouses with demand for it, and
/// the demand rate per (part, warehouse) slot.
fn part_networks(model: &SimModel) -> Result<(Vec<f64>, Vec<PartNetwork>), PolicyError> {
    let w = model.warehouses.len();
    let rates = model.demand_rates();
    // Order-and-ship time from the depot to each warehouse.
    let resupply: Vec<f64> = (0..w)
        .map(|mut at| {
            let mut total = 0.0;
            while let Some(parent) = model.warehouses[at].parent {
                total += model.warehouses[at].transit_from_parent;
                at = parent;
            }
            total
        })
        .collect();
    let mut networks = Vec::new();
    for (p, part) in model.parts.iter().enumerate() {
        let bases: Vec<usize> = (0..w).filter(|&i| rates[p * w + i] > 0.0).collect();
        if bases.is_empty() {
            continue;
        }
        let depot_time = if part.repairable {
            part.repair_cycle + part.beyond_repair_share * part.lead_time
        } else {
            part.lead_time
        };
        let system = MetricSystem::new(
            bases.iter().map(|&i| rates[p * w + i]).collect(),
            bases.iter().map(|&i| resupply[i]).collect(),
            depot_time,
        )?;
        networks.push(PartNetwork {
            part: p,
            bases,
            system,
        });
    }
    Ok((rates, networks))
}

fn rate_of(system: &MetricSystem, base: usize) -> f64 {
    system.demand_rates()[base]
}

/// `(s, S)` with batch `q` at a base whose one-for-one stock was
/// `base_stock`: the smallest `R` reaching the same fill rate.
fn rq_level(
    pipeline: &LeadTimeDemand,
    base_stock: u64,
    q: u64,
) -> Result<(Level, Analytic), PolicyError> {
    let target = super::policy::fill_rate(pipeline, base_stock).clamp(1e-9, 1.0 - 1e-12);
    let mut rq = smallest_reorder_point(pipeline, q, target)?;
    // Never below what the target needs: smallest_reorder_point is exact
    // for R, so this only guards rounding at the target.
    if rq.fill_rate < target {
        rq = evaluate_rq(pipeline, rq.reorder_point + 1, q)?;
    }
    Ok((
        Level {
            reorder_point: rq.reorder_point,
            max: rq.reorder_point + q as i64,
        },
        rq_analytic(&rq),
    ))
}

/// Demand-weighted SLA attainment overall and per class (see the module
/// documentation).
fn sla_estimate(
    model: &SimModel,
    rates: &[f64],
    inputs: &[(f64, u64)],
    depot_inputs: &[(f64, f64, u64)],
) -> Result<(f64, BTreeMap<String, f64>), PolicyError> {
    let w = model.warehouses.len();
    // Each class's wall-clock windows over a week, with their weights.
    let windows: Vec<Vec<(f64, f64)>> = model
        .classes
        .iter()
        .map(|class| {
            if !class.business_hours {
                return vec![(class.window_hours / 24.0, 1.0)];
            }
            let mut counts: BTreeMap<u64, f64> = BTreeMap::new();
            for hour in 0..168 {
                let start = (hour as f64 + 0.5) / 24.0;
                let length = deadline(start, class.window_hours, true) - start;
                // Round to the second so equal windows share one evaluation.
                *counts
                    .entry((length * 86_400.0).round() as u64)
                    .or_default() += 1.0 / 168.0;
            }
            counts
                .into_iter()
                .map(|(seconds, share)| (seconds as f64 / 86_400.0, share))
                .collect()
        })
        .collect();
    let mut class_rate = vec![0.0; model.classes.len()];
    let mut class_hit = vec![0.0; model.classes.len()];
    let mut memo: BTreeMap<(usize, usize, u64), f64> = BTreeMap::new();
    // History streams carry weights: their rate is their share of the slot's.
    let mut weights = vec![0.0; rates.len()];
    for stream in &model.streams {
        weights[stream.part * w + stream.warehouse] += stream.rate;
    }
    for stream in &model.streams {
        let slot = stream.part * w + stream.warehouse;
        let stream_rate = if model.parts[stream.part].history.is_some() {
            rates[slot] * stream.rate / weights[slot]
        } else {
            stream.rate
        };
        if stream_rate.is_nan() || stream_rate <= 0.0 {
            continue;
        }
        let key = (slot, stream.class, stream.site_transit.to_bits());
        let probability = match memo.get(&key) {
            Some(&p) => p,
            None => {
                let mut p = 0.0;
                for &(window, share) in &windows[stream.class] {
                    p += share * within(model, rates, inputs, depot_inputs, stream, window)?;
                }
                memo.insert(key, p);
                p
            }
        };
        class_rate[stream.class] += stream_rate;
        class_hit[stream.class] += stream_rate * probability;
    }
    let total: f64 = class_rate.iter().sum();
    let overall = if total > 0.0 {
        class_hit.iter().sum::<f64>() / total
    } else {
        1.0
    };
    let by_class = model
        .classes
        .iter()
        .enumerate()
        .filter(|(i, _)| class_rate[*i] > 0.0)
        .map(|(i, c)| (c.code.clone(), class_hit[i] / class_rate[i]))
        .collect();
    Ok((overall, by_class))
}

/// Probability that one request of `stream` is delivered within `window`
/// wall-clock days.
fn within(
    model: &SimModel,
    rates: &[f64],
    inputs: &[(f64, u64)],
    depot_inputs: &[(f64, f64, u64)],
    stream: &super::sim::Stream,
    window: f64,
) -> Result<f64, PolicyError> {
    let w = model.warehouses.len();
    // Every route ends with the site's last leg except the courier, so the
    // time left for finding a unit is the window minus that leg.
    let left = window - stream.site_transit;
    if left < 0.0 {
        return Ok(0.0);
    }
    let slot = stream.part * w + stream.warehouse;
    let serving = ServingWarehouse {
        demand_rate: rates[slot],
        replenishment_time: inputs[slot].0,
        base_stock: inputs[slot].1,
    };
    let mut laterals: Vec<LateralSource> = model.laterals[stream.warehouse]
        .iter()
        .filter(|lane| lane.transit <= left)
        .map(|lane| {
            let source = stream.part * w + lane.from;
            LateralSource {
                demand_rate: rates[source],
                replenishment_time: inputs[source].0,
                base_stock: inputs[source].1,
                transit_time: lane.transit,
            }
        })
        .collect();
    if let Some(emergency) = model.emergency
        && stream.warehouse != model.depot
    {
        let (rate, time, stock) = depot_inputs[stream.part];
        if emergency.transit <= window {
            laterals.push(LateralSource {
                demand_rate: rate,
                replenishment_time: time,
                base_stock: stock,
                transit_time: (emergency.transit - stream.site_transit).max(0.0),
            });
        }
    }
    Ok(service_within_window(&serving, &laterals, left)?.probability)
}
