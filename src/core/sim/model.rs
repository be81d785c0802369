//! The simulation's input: a network, parts, demand streams and a stock
//! policy, all resolved to dense indices so the engine works on flat vectors.
//!
//! A [`SimModel`] is built from a scenario file (`crate::core::scenario`)
//! or directly in code (tests, benchmarks); [`SimModel::validate`] checks the
//! invariants the engine relies on, so a model that passes never panics it.
use super::SimError;

/// Hours in a day: lanes and SLA windows are given in hours, everything else
/// in days.
pub const HOURS_PER_DAY: f64 = 24.0;

/// A stocking location.
#[derive(Debug, Clone, PartialEq)]
pub struct Warehouse {
    /// Code shown in reports.
    pub code: String,
    /// The warehouse it replenishes from; `None` for the depot, which buys
    /// from suppliers and receives repaired units.
    pub parent: Option<usize>,
    /// Transit time from the parent in days (0 for the depot).
    pub transit_from_parent: f64,
}

/// A lane another warehouse can ship a lateral unit on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LateralLane {
    /// The shipping warehouse.
    pub from: usize,
    /// Transit from `from` to the receiving warehouse in days. The network
    /// only knows warehouse-to-warehouse lanes, so a lateral unit is taken to
    /// travel this lane and then the site's own last leg.
    pub transit: f64,
    /// Cost of one shipment.
    pub cost: f64,
}

/// The emergency courier from the depot straight to a site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Emergency {
    /// Door-to-door transit in days.
    pub transit: f64,
    /// Cost of one emergency shipment.
    pub cost: f64,
}

/// A part as the simulation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Code shown in reports.
    pub code: String,
    /// Value of one unit.
    pub unit_cost: f64,
    /// Repairable parts return their defective unit to the depot for repair;
    /// consumables are bought again.
    pub repairable: bool,
    /// Defective return transit plus repair turnaround, in days: the time from
    /// a failure until the repaired unit is back on the depot's shelf.
    pub repair_cycle: f64,
    /// Share of repairs found beyond repair (scrapped and bought new).
    pub beyond_repair_share: f64,
    /// Supplier lead time to the depot in days.
    pub lead_time: f64,
    /// Resample failures from this history instead of installed base ×
    /// failure rate.
    pub history: Option<DemandHistory>,
}

/// Recorded demand of one part over the whole network, one count per period.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandHistory {
    /// Length of one period in days.
    pub period: f64,
    /// Demand in each period; each simulated period draws one of them.
    pub counts: Vec<u32>,
}

/// An SLA class: the response window a site was sold.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaClass {
    /// Code shown in reports.
    pub code: String,
    /// Window in hours.
    pub window_hours: f64,
    /// Whether the window only counts business hours (see
    /// [`super::time`]).
    pub business_hours: bool,
}

/// Failures of one part at one site: a Poisson stream (or a share of a
/// part's resampled history).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stream {
    /// Part index.
    pub part: usize,
    /// Site index (only for reports).
    pub site: usize,
    /// The warehouse that serves the site.
    pub warehouse: usize,
    /// Transit from the serving warehouse to the site in days.
    pub site_transit: f64,
    /// SLA class index.
    pub class: usize,
    /// Failures per day (installed units × failure rate); for history parts
    /// the weight of this site in the part's demand.
    pub rate: f64,
}

/// An `(s, S)` level: order up to `max` when the inventory position falls to
/// `reorder_point` or below. `reorder_point = max - 1` is the one-for-one
/// `(S-1, S)` base-stock policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Level {
    /// `s`, at least -1.
    pub reorder_point: i64,
    /// `S`, at least 0 and above `s`.
    pub max: i64,
}

impl Level {
    /// The base-stock level `(S-1, S)`.
    pub fn base_stock(max: i64) -> Self {
        Self {
            reorder_point: max - 1,
            max,
        }
    }
}

/// Everything one simulation run needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SimModel {
    pub warehouses: Vec<Warehouse>,
    /// Index of the depot (the one warehouse without a parent).
    pub depot: usize,
    /// For each receiving warehouse, the lanes from other warehouses that can
    /// ship it lateral units, fastest first (the order ties are broken in).
    pub laterals: Vec<Vec<LateralLane>>,
    pub emergency: Option<Emergency>,
    pub parts: Vec<Part>,
    pub classes: Vec<SlaClass>,
    /// Site codes, for reports.
    pub sites: Vec<String>,
    pub streams: Vec<Stream>,
    /// Stock policy per part × warehouse, `part * warehouses + warehouse`.
    pub levels: Vec<Level>,
    /// Holding cost per year as a share of unit cost.
    pub holding_rate: f64,
    /// Simulated days, warm-up included.
    pub horizon: f64,
    /// Days discarded before statistics are collected.
    pub warmup: f64,
}

impl SimModel {
    /// Flat index of part `part` at warehouse `warehouse`.
    #[inline]
    pub fn slot(&self, part: usize, warehouse: usize) -> usize {
        part * self.warehouses.len() + warehouse
    }

    /// Failures per day of each part × warehouse (flat, as [`Self::slot`]):
    /// the demand its sites put on it. History parts count their mean
    /// historical rate split by the streams' weights.
    pub fn demand_rates(&self) -> Vec<f64> {
        let mut rates = vec![0.0; self.parts.len() * self.warehouses.len()];
        let mut weight = vec![0.0; self.parts.len()];
        for stream in &self.streams {
            weight[stream.part] += stream.rate;
        }
        for stream in &self.streams {
            let part = &self.parts[stream.part];
            let rate = match &part.history {
                None => stream.rate,
                Some(history) => {
                    let mean = history.counts.iter().map(|&c| f64::from(c)).sum::<f64>()
                        / history.counts.len() as f64
                        / history.period;
                    mean * stream.rate / weight[stream.part]
                }
            };
            rates[self.slot(stream.part, stream.warehouse)] += rate;
        }
        rates
    }

    /// Checks every invariant the engine relies on, section by section.
    pub fn validate(&self) -> Result<(), SimError> {
        let w = self.warehouses.len();
        if w == 0 || w > usize::from(u16::MAX) {
            return invalid(format!("between 1 and {} warehouses needed", u16::MAX));
        }
        if self.parts.is_empty() || self.parts.len() > (1 << 28) {
            return invalid("between 1 and 2^28 parts needed");
        }
        if self.depot >= w || self.warehouses[self.depot].parent.is_some() {
            return invalid("the depot must be a warehouse without a parent");
        }
        self.check_tree()?;
        self.check_laterals()?;
        if let Some(e) = self.emergency
            && !(e.transit >= 0.0 && e.transit.is_finite() && e.cost >= 0.0)
        {
            return invalid("emergency transit and cost must be >= 0");
        }
        self.check_parts()?;
        for class in &self.classes {
            if !(class.window_hours.is_finite() && class.window_hours >= 0.0) {
                return invalid(format!("SLA class {}: window must be >= 0", class.code));
            }
        }
        self.check_streams()?;
        self.check_levels()?;
        let window_ok = self.horizon.is_finite()
            && self.horizon > 0.0
            && finite_non_negative(self.warmup)
            && self.warmup < self.horizon;
        if !window_ok {
            return invalid("need horizon > warm-up >= 0");
        }
        if !(self.holding_rate.is_finite() && self.holding_rate >= 0.0) {
            return invalid("holding rate must be >= 0");
        }
        Ok(())
    }

    /// The warehouses form one tree under the depot: known parents, transit
    /// times >= 0, no cycles (replenishment walks up to the depot).
    fn check_tree(&self) -> Result<(), SimError> {
        let w = self.warehouses.len();
        for (index, warehouse) in self.warehouses.iter().enumerate() {
            match warehouse.parent {
                None if index != self.depot => {
                    return invalid(format!(
                        "warehouse {} has no parent but is not the depot",
                        warehouse.code
                    ));
                }
                Some(parent) if parent >= w => {
                    return invalid(format!(
                        "warehouse {} has an unknown parent",
                        warehouse.code
                    ));
                }
                _ => {}
            }
            if !(warehouse.transit_from_parent.is_finite() && warehouse.transit_from_parent >= 0.0)
            {
                return invalid(format!(
                    "warehouse {}: transit from parent must be >= 0",
                    warehouse.code
                ));
            }
            // Every warehouse must reach the depot: walk up at most w steps.
            let mut at = index;
            let mut steps = 0;
            while let Some(parent) = self.warehouses[at].parent {
                at = parent;
                steps += 1;
                if steps > w {
                    return invalid(format!(
                        "warehouse {}: its parents form a cycle",
                        warehouse.code
                    ));
                }
            }
        }
        Ok(())
    }

    /// One lateral lane list per warehouse, each lane from another known
    /// warehouse with transit and cost >= 0, fastest first (sourcing tries
    /// them in that order).
    fn check_laterals(&self) -> Result<(), SimError> {
        let w = self.warehouses.len();
        if self.laterals.len() != w {
            return invalid("one lateral lane list per warehouse needed");
        }
        for (to, lanes) in self.laterals.iter().enumerate() {
            for lane in lanes {
                if lane.from >= w
                    || lane.from == to
                    || !finite_non_negative(lane.transit)
                    || !finite_non_negative(lane.cost)
                {
                    return invalid(format!(
                        "lateral lane into {} is invalid",
                        self.warehouses[to].code
                    ));
                }
            }
            if lanes.windows(2).any(|p| p[0].transit > p[1].transit) {
                return invalid("lateral lanes must be sorted fastest first");
            }
        }
        Ok(())
    }

    /// Every part's times, cost and beyond-repair share in range, and a
    /// demand history, if any, with counts over a period > 0.
    fn check_parts(&self) -> Result<(), SimError> {
        for part in &self.parts {
            let times_ok = [part.repair_cycle, part.lead_time]
                .iter()
                .all(|t| t.is_finite() && *t >= 0.0);
            let valid = times_ok
                && finite_non_negative(part.unit_cost)
                && (0.0..=1.0).contains(&part.beyond_repair_share);
            if !valid {
                return invalid(format!(
                    "part {} has an invalid time, cost or share",
                    part.code
                ));
            }
            if let Some(h) = &part.history
                && (h.counts.is_empty() || !(h.period.is_finite() && h.period > 0.0))
            {
                return invalid(format!(
                    "part {}: a demand history needs counts and a period > 0",
                    part.code
                ));
            }
        }
        Ok(())
    }

    /// Every demand stream refers to known indices, with rate and transit
    /// >= 0; at most 2^28 of them (the event encoding's limit).
    fn check_streams(&self) -> Result<(), SimError> {
        if self.streams.len() > (1 << 28) {
            return invalid("at most 2^28 demand streams (site × part) are supported");
        }
        for stream in &self.streams {
            if stream.part >= self.parts.len()
                || stream.warehouse >= self.warehouses.len()
                || stream.class >= self.classes.len()
                || stream.site >= self.sites.len()
                || !(stream.rate.is_finite() && stream.rate >= 0.0)
                || !(stream.site_transit.is_finite() && stream.site_transit >= 0.0)
            {
                return invalid("a demand stream refers to an unknown index or has a bad rate");
            }
        }
        Ok(())
    }

    /// One `(s, S)` level per part and warehouse with `-1 <= s < S`, or
    /// `(-1, 0)` for no stock.
    fn check_levels(&self) -> Result<(), SimError> {
        let w = self.warehouses.len();
        if self.levels.len() != self.parts.len() * w {
            return invalid("one stock level per part and warehouse needed");
        }
        for (slot, level) in self.levels.iter().enumerate() {
            // max = 0 with reorder point -1 is "no stock": one for one at 0.
            let valid = level.max >= 0
                && level.reorder_point >= -1
                && (level.reorder_point < level.max || level.max == 0 && level.reorder_point == -1);
            if !valid {
                return invalid(format!(
                    "stock level of {} at {}: need max >= 0 and -1 <= reorder point < max",
                    self.parts[slot / w].code,
                    self.warehouses[slot % w].code
                ));
            }
        }
        Ok(())
    }
}

/// The model is refused with `message`.
fn invalid(message: impl Into<String>) -> Result<(), SimError> {
    Err(SimError::InvalidModel(message.into()))
}

fn finite_non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}
