//! Scenario files: a network, its parts, installed base, SLA classes, a stock
//! policy, horizon, replications, seed and what-if changes, in TOML. The
//! format is documented field by field in `scenarios/README.md`.
//!
//! Reading is strict (unknown keys are errors, so a misspelt field never
//! silently falls back to a default) and every semantic error names the
//! field, e.g. `sites[3] (SITE-004).installed: unknown part "PSU-9"`.
//! [`Scenario::compile`] applies the chosen what-if changes and resolves
//! codes to indices, giving the simulation's [`SimModel`].
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::core::policy::PipelineModel;
use crate::core::sim::model::HOURS_PER_DAY;
use crate::core::sim::{
    DemandHistory, Emergency, LateralLane, Level, Part, SimModel, SlaClass, Stream, Warehouse,
};

/// Longest SLA window accepted: thirty days, as in the service.
pub const MAX_WINDOW_HOURS: f64 = 720.0;
/// Longest horizon accepted: one hundred years.
pub const MAX_HORIZON_DAYS: f64 = 36_500.0;
/// Largest order quantity accepted.
pub const MAX_ORDER_QUANTITY: u64 = 100_000;

/// Why a scenario cannot be used; `Display` is one line naming the file
/// and the field.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("scenario {path}: {message}")]
    Parse { path: String, message: String },
    #[error("scenario {path}: {message}")]
    Invalid { path: String, message: String },
}

/// A scenario file as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub simulation: SimulationSection,
    #[serde(default)]
    pub costs: CostsSection,
    pub sla_classes: Vec<SlaClassSection>,
    pub warehouses: Vec<WarehouseSection>,
    #[serde(default)]
    pub lanes: Vec<LaneSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<EmergencySection>,
    pub parts: Vec<PartSection>,
    pub sites: Vec<SiteSection>,
    #[serde(default)]
    pub policy: PolicySection,
    #[serde(default)]
    pub what_if: Vec<WhatIfSection>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// Simulated days, warm-up included.
    pub horizon_days: f64,
    /// Days discarded before statistics start.
    #[serde(default)]
    pub warmup_days: f64,
    #[serde(default = "default_replications")]
    pub replications: usize,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_replications() -> usize {
    10
}
fn default_seed() -> u64 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostsSection {
    /// Holding cost per year as a share of unit cost.
    #[serde(default = "default_holding_rate")]
    pub holding_rate_per_year: f64,
    #[serde(default = "default_currency")]
    pub currency: String,
}

impl Default for CostsSection {
    fn default() -> Self {
        Self {
            holding_rate_per_year: default_holding_rate(),
            currency: default_currency(),
        }
    }
}

fn default_holding_rate() -> f64 {
    0.25
}
fn default_currency() -> String {
    "EUR".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaClassSection {
    pub code: String,
    pub window_hours: f64,
    #[serde(default)]
    pub business_hours: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseSection {
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// The warehouse it replenishes from; absent for the depot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneSection {
    pub from: String,
    pub to: String,
    pub transit_hours: f64,
    #[serde(default)]
    pub cost: f64,
    /// Also a lane `to -> from` with the same transit and cost.
    #[serde(default)]
    pub both_ways: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencySection {
    /// Courier transit from the depot to any site.
    pub transit_hours: f64,
    pub cost: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartSection {
    pub code: String,
    #[serde(default)]
    pub description: String,
    pub unit_cost: f64,
    #[serde(default)]
    pub repairable: bool,
    #[serde(default)]
    pub repair_turnaround_days: f64,
    /// Transit of the defective unit from the site back to the depot.
    #[serde(default)]
    pub return_days: f64,
    #[serde(default)]
    pub beyond_repair_share: f64,
    /// Supplier lead time to the depot.
    pub lead_time_days: f64,
    /// Failures per installed unit per year.
    #[serde(default)]
    pub failure_rate_per_year: f64,
    /// Order quantity `Q` of a consumable at the stocking warehouses
    /// (1 = one for one).
    #[serde(default = "default_order_quantity")]
    pub order_quantity: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_history: Option<HistorySection>,
}

fn default_order_quantity() -> u64 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySection {
    pub period_days: f64,
    pub counts: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSection {
    pub code: String,
    pub warehouse: String,
    /// Transit from the serving warehouse to the site.
    pub transit_hours: f64,
    pub sla_class: String,
    /// Installed units per part code.
    #[serde(default)]
    pub installed: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ModelChoice {
    Metric,
    #[default]
    VariMetric,
}

impl From<ModelChoice> for PipelineModel {
    fn from(value: ModelChoice) -> Self {
        match value {
            ModelChoice::Metric => PipelineModel::Metric,
            ModelChoice::VariMetric => PipelineModel::VariMetric,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// `spares plan`'s target: demand-weighted fill rate over every part and
    /// stocking warehouse.
    #[serde(default = "default_target")]
    pub target_fill_rate: f64,
    #[serde(default)]
    pub model: ModelChoice,
    /// The policy `spares simulate` runs.
    #[serde(default)]
    pub stock: Vec<StockSection>,
}

impl Default for PolicySection {
    fn default() -> Self {
        Self {
            target_fill_rate: default_target(),
            model: ModelChoice::default(),
            stock: Vec::new(),
        }
    }
}

fn default_target() -> f64 {
    0.95
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockSection {
    pub part: String,
    pub warehouse: String,
    /// Order-up-to level `S`.
    pub max: i64,
    /// Reorder point `s`; default `max - 1` (one for one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_point: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIfSection {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_base_factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair_turnaround_factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_warehouse: Option<String>,
}

/// A scenario resolved for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub name: String,
    pub model: SimModel,
    pub replications: usize,
    pub seed: u64,
    pub target_fill_rate: f64,
    pub pipeline_model: PipelineModel,
    /// Order quantity per part (1 for repairables).
    pub order_quantities: Vec<u64>,
    /// Names of the what-if changes applied, in order.
    pub what_if: Vec<String>,
    pub currency: String,
}

impl Scenario {
    /// Reads and parses a scenario file.
    pub fn from_path(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses scenario text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ScenarioError> {
        toml::from_str(text).map_err(|e| ScenarioError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }

    /// Applies the named what-if changes (in order) and resolves the
    /// scenario into a simulation model.
    pub fn compile(&self, what_if: &[String], origin: &str) -> Result<Compiled, ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid {
            path: origin.to_string(),
            message,
        };
        let mut scenario = self.clone();
        let mut factor = 1.0;
        for name in what_if {
            let Some(change) = self.what_if.iter().find(|w| &w.name == name).cloned() else {
                let known: Vec<&str> = self.what_if.iter().map(|w| w.name.as_str()).collect();
                return Err(invalid(format!(
                    "no what_if named \"{name}\" (the file defines: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            factor *= scenario.apply(&change).map_err(&invalid)?;
        }
        scenario
            .resolve(factor)
            .map(|mut compiled| {
                compiled.what_if = what_if.to_vec();
                compiled
            })
            .map_err(invalid)
    }

    /// Applies one what-if change in place; returns its installed-base
    /// factor (applied when streams are built).
    fn apply(&mut self, change: &WhatIfSection) -> Result<f64, String> {
        let field = |f: &str| format!("what_if \"{}\".{f}", change.name);
        let mut factor = 1.0;
        if let Some(f) = change.installed_base_factor {
            if !(f.is_finite() && f >= 0.0) {
                return Err(format!(
                    "{} must be >= 0, got {f}",
                    field("installed_base_factor")
                ));
            }
            factor = f;
        }
        if let Some(f) = change.repair_turnaround_factor {
            if !(f.is_finite() && f >= 0.0) {
                return Err(format!(
                    "{} must be >= 0, got {f}",
                    field("repair_turnaround_factor")
                ));
            }
            for part in &mut self.parts {
                part.repair_turnaround_days *= f;
            }
        }
        if let Some(code) = &change.close_warehouse {
            self.close_warehouse(code)
                .map_err(|m| format!("{}: {m}", field("close_warehouse")))?;
        }
        Ok(factor)
    }

    /// Closes warehouse `code`: its sites move to its parent (their transit
    /// grows by the parent's lane to it), its children replenish from its
    /// parent (over both lanes), its lanes and its stock disappear.
    fn close_warehouse(&mut self, code: &str) -> Result<(), String> {
        let Some(closed) = self.warehouses.iter().position(|w| w.code == code) else {
            return Err(format!("unknown warehouse \"{code}\""));
        };
        let Some(parent) = self.warehouses[closed].parent.clone() else {
            return Err(format!("\"{code}\" is the depot, which cannot be closed"));
        };
        let lane_hours = |lanes: &[LaneSection], from: &str, to: &str| {
            lanes.iter().find_map(|l| {
                ((l.from == from && l.to == to) || (l.both_ways && l.from == to && l.to == from))
                    .then_some((l.transit_hours, l.cost))
            })
        };
        let Some((inbound, inbound_cost)) = lane_hours(&self.lanes, &parent, code) else {
            return Err(format!("no lane from {parent} to {code}"));
        };
        for site in &mut self.sites {
            if site.warehouse == code {
                site.warehouse = parent.clone();
                site.transit_hours += inbound;
            }
        }
        let children: Vec<String> = self
            .warehouses
            .iter()
            .filter(|w| w.parent.as_deref() == Some(code))
            .map(|w| w.code.clone())
            .collect();
        for child in &children {
            let (outbound, cost) = lane_hours(&self.lanes, code, child)
                .ok_or_else(|| format!("no lane from {code} to {child}"))?;
            self.lanes.push(LaneSection {
                from: parent.clone(),
                to: child.clone(),
                transit_hours: inbound + outbound,
                cost: inbound_cost + cost,
                both_ways: false,
            });
        }
        for warehouse in &mut self.warehouses {
            if warehouse.parent.as_deref() == Some(code) {
                warehouse.parent = Some(parent.clone());
            }
        }
        self.warehouses.remove(closed);
        self.lanes.retain(|l| l.from != code && l.to != code);
        self.policy.stock.retain(|s| s.warehouse != code);
        Ok(())
    }

    /// Checks every field and builds the model. The sections are read in
    /// file order, each resolving codes against the sections before it, so
    /// the first error reported is the first one in the file.
    fn resolve(&self, installed_factor: f64) -> Result<Compiled, String> {
        check_code("name", &self.name)?;
        self.check_simulation()?;
        let (classes, class_index) = self.resolve_sla_classes()?;
        let (warehouse_index, depot) = self.index_warehouses()?;
        let lanes = self.resolve_lanes(&warehouse_index)?;
        let warehouses = self.resolve_tree(&warehouse_index, &lanes)?;
        let laterals = laterals(&lanes, depot, warehouses.len());
        let emergency = self.resolve_emergency()?;
        let (parts, order_quantities, part_index) = self.resolve_parts(installed_factor)?;
        let codes = Codes {
            class: class_index,
            warehouse: warehouse_index,
            part: part_index,
        };
        let (sites, streams) = self.resolve_sites(&codes, installed_factor)?;
        let target = self.policy.target_fill_rate;
        if !(target > 0.0 && target < 1.0) {
            return Err(format!(
                "policy.target_fill_rate must be strictly between 0 and 1, got {target}"
            ));
        }
        let levels = self.resolve_levels(&codes, depot, &parts)?;

        let sim = &self.simulation;
        let model = SimModel {
            warehouses,
            depot,
            laterals,
            emergency,
            parts,
            classes,
            sites,
            streams,
            levels,
            holding_rate: self.costs.holding_rate_per_year,
            horizon: sim.horizon_days,
            warmup: sim.warmup_days,
        };
        model.validate().map_err(|e| e.to_string())?;
        Ok(Compiled {
            name: self.name.clone(),
            model,
            replications: sim.replications,
            seed: sim.seed,
            target_fill_rate: target,
            pipeline_model: self.policy.model.into(),
            order_quantities,
            what_if: Vec::new(),
            currency: self.costs.currency.clone(),
        })
    }

    /// The run's settings: horizon, warm-up, replications and the holding
    /// rate, which every later number depends on.
    fn check_simulation(&self) -> Result<(), String> {
        let sim = &self.simulation;
        if !(sim.horizon_days.is_finite() && sim.horizon_days > 0.0)
            || sim.horizon_days > MAX_HORIZON_DAYS
        {
            return Err(format!(
                "simulation.horizon_days must be > 0 and at most {MAX_HORIZON_DAYS}, got {}",
                sim.horizon_days
            ));
        }
        if !(sim.warmup_days.is_finite()
            && sim.warmup_days >= 0.0
            && sim.warmup_days < sim.horizon_days)
        {
            return Err(format!(
                "simulation.warmup_days must be >= 0 and below horizon_days ({}), got {}",
                sim.horizon_days, sim.warmup_days
            ));
        }
        if sim.replications == 0 || sim.replications > crate::core::sim::MAX_REPLICATIONS {
            return Err(format!(
                "simulation.replications must be between 1 and {}, got {}",
                crate::core::sim::MAX_REPLICATIONS,
                sim.replications
            ));
        }
        let holding = self.costs.holding_rate_per_year;
        if !(holding.is_finite() && holding >= 0.0) {
            return Err(format!(
                "costs.holding_rate_per_year must be >= 0, got {holding}"
            ));
        }
        Ok(())
    }

    /// The SLA classes, and their index by code for the sites that name
    /// them.
    fn resolve_sla_classes(&self) -> Result<(Vec<SlaClass>, Index), String> {
        let mut class_index = HashMap::new();
        let mut classes = Vec::new();
        for (i, c) in self.sla_classes.iter().enumerate() {
            let at = format!("sla_classes[{i}]");
            check_code(&format!("{at}.code"), &c.code)?;
            if class_index.insert(c.code.clone(), i).is_some() {
                return Err(format!("{at}.code: \"{}\" appears twice", c.code));
            }
            if !(c.window_hours.is_finite()
                && c.window_hours > 0.0
                && c.window_hours <= MAX_WINDOW_HOURS)
            {
                return Err(format!(
                    "{at} ({}).window_hours must be > 0 and at most {MAX_WINDOW_HOURS}, got {}",
                    c.code, c.window_hours
                ));
            }
            classes.push(SlaClass {
                code: c.code.clone(),
                window_hours: c.window_hours,
                business_hours: c.business_hours,
            });
        }
        Ok((classes, class_index))
    }

    /// Warehouse codes to indices, and which one is the depot (the only
    /// one without a parent): lanes, sites and stock levels name
    /// warehouses by code.
    fn index_warehouses(&self) -> Result<(Index, usize), String> {
        if self.warehouses.is_empty() {
            return Err("warehouses: at least one (the depot) is needed".into());
        }
        if self.warehouses.len() > 10_000 {
            return Err("warehouses: at most 10,000 are supported".into());
        }
        let mut warehouse_index = HashMap::new();
        for (i, w) in self.warehouses.iter().enumerate() {
            check_code(&format!("warehouses[{i}].code"), &w.code)?;
            if warehouse_index.insert(w.code.clone(), i).is_some() {
                return Err(format!(
                    "warehouses[{i}].code: \"{}\" appears twice",
                    w.code
                ));
            }
        }
        let roots: Vec<&str> = self
            .warehouses
            .iter()
            .filter(|w| w.parent.is_none())
            .map(|w| w.code.as_str())
            .collect();
        let depot = match roots.as_slice() {
            [one] => warehouse_index[*one],
            [] => {
                return Err(
                    "warehouses: exactly one warehouse (the depot) must have no parent; none has"
                        .into(),
                );
            }
            many => {
                return Err(format!(
                    "warehouses: exactly one warehouse (the depot) must have no parent; {} have none",
                    many.join(", ")
                ));
            }
        };
        Ok((warehouse_index, depot))
    }

    /// Every lane as `(from, to) -> (transit days, cost)`, a `both_ways`
    /// lane in both directions unless the other direction is given too.
    fn resolve_lanes(&self, warehouse_index: &Index) -> Result<Lanes, String> {
        let mut lanes = Lanes::new();
        for (i, lane) in self.lanes.iter().enumerate() {
            let at = format!("lanes[{i}]");
            let from = *warehouse_index
                .get(&lane.from)
                .ok_or_else(|| format!("{at}.from: unknown warehouse \"{}\"", lane.from))?;
            let to = *warehouse_index
                .get(&lane.to)
                .ok_or_else(|| format!("{at}.to: unknown warehouse \"{}\"", lane.to))?;
            if from == to {
                return Err(format!("{at}: from and to are the same warehouse"));
            }
            if !(lane.transit_hours.is_finite()
                && lane.transit_hours >= 0.0
                && lane.transit_hours <= 8760.0)
            {
                return Err(format!(
                    "{at}.transit_hours must be between 0 and 8760, got {}",
                    lane.transit_hours
                ));
            }
            if !(lane.cost.is_finite() && lane.cost >= 0.0) {
                return Err(format!("{at}.cost must be >= 0, got {}", lane.cost));
            }
            let value = (lane.transit_hours / HOURS_PER_DAY, lane.cost);
            lanes.insert((from, to), value);
            if lane.both_ways {
                lanes.entry((to, from)).or_insert(value);
            }
        }
        Ok(lanes)
    }

    /// The replenishment tree: each warehouse's parent and the transit of
    /// the lane from it, which must exist.
    fn resolve_tree(
        &self,
        warehouse_index: &Index,
        lanes: &Lanes,
    ) -> Result<Vec<Warehouse>, String> {
        let mut warehouses = Vec::with_capacity(self.warehouses.len());
        for (i, w) in self.warehouses.iter().enumerate() {
            let (parent, transit) = match &w.parent {
                None => (None, 0.0),
                Some(code) => {
                    let parent = *warehouse_index.get(code).ok_or_else(|| {
                        format!(
                            "warehouses[{i}] ({}).parent: unknown warehouse \"{code}\"",
                            w.code
                        )
                    })?;
                    let (transit, _) = lanes.get(&(parent, i)).ok_or_else(|| {
                        format!(
                            "warehouses[{i}] ({}): no lane from its parent {code}; add [[lanes]] from = \"{code}\", to = \"{}\"",
                            w.code, w.code
                        )
                    })?;
                    (Some(parent), *transit)
                }
            };
            warehouses.push(Warehouse {
                code: w.code.clone(),
                parent,
                transit_from_parent: transit,
            });
        }
        Ok(warehouses)
    }

    /// The courier from the depot, if the scenario has one.
    fn resolve_emergency(&self) -> Result<Option<Emergency>, String> {
        let Some(e) = &self.emergency else {
            return Ok(None);
        };
        if !(finite_non_negative(e.transit_hours) && finite_non_negative(e.cost)) {
            return Err("emergency.transit_hours and emergency.cost must be >= 0".into());
        }
        Ok(Some(Emergency {
            transit: e.transit_hours / HOURS_PER_DAY,
            cost: e.cost,
        }))
    }

    /// The parts, their order quantities, and their index by code for the
    /// installed base and the stock levels.
    fn resolve_parts(&self, installed_factor: f64) -> Result<(Vec<Part>, Vec<u64>, Index), String> {
        if self.parts.is_empty() {
            return Err("parts: at least one part is needed".into());
        }
        let mut part_index = HashMap::new();
        let mut parts = Vec::with_capacity(self.parts.len());
        let mut order_quantities = Vec::with_capacity(self.parts.len());
        for (i, p) in self.parts.iter().enumerate() {
            let at = format!("parts[{i}]");
            check_code(&format!("{at}.code"), &p.code)?;
            if part_index.insert(p.code.clone(), i).is_some() {
                return Err(format!("{at}.code: \"{}\" appears twice", p.code));
            }
            parts.push(resolve_part(
                &format!("parts[{i}] ({})", p.code),
                p,
                installed_factor,
            )?);
            order_quantities.push(p.order_quantity);
        }
        Ok((parts, order_quantities, part_index))
    }

    /// The site codes, and one demand stream per site and installed part:
    /// a failure rate scaled by the installed-base factor, or for a part
    /// with a demand history the site's weight in it.
    fn resolve_sites(
        &self,
        codes: &Codes,
        installed_factor: f64,
    ) -> Result<(Vec<String>, Vec<Stream>), String> {
        let mut streams = Vec::new();
        let mut sites = Vec::with_capacity(self.sites.len());
        let mut site_codes = HashMap::new();
        for (i, s) in self.sites.iter().enumerate() {
            check_code(&format!("sites[{i}].code"), &s.code)?;
            if site_codes.insert(s.code.clone(), i).is_some() {
                return Err(format!("sites[{i}].code: \"{}\" appears twice", s.code));
            }
            let at = format!("sites[{i}] ({})", s.code);
            let warehouse = *codes
                .warehouse
                .get(&s.warehouse)
                .ok_or_else(|| format!("{at}.warehouse: unknown warehouse \"{}\"", s.warehouse))?;
            let class = *codes
                .class
                .get(&s.sla_class)
                .ok_or_else(|| format!("{at}.sla_class: unknown SLA class \"{}\"", s.sla_class))?;
            if !(s.transit_hours.is_finite() && s.transit_hours >= 0.0 && s.transit_hours <= 8760.0)
            {
                return Err(format!(
                    "{at}.transit_hours must be between 0 and 8760, got {}",
                    s.transit_hours
                ));
            }
            for (code, &units) in &s.installed {
                let part = *codes
                    .part
                    .get(code)
                    .ok_or_else(|| format!("{at}.installed: unknown part \"{code}\""))?;
                if units == 0 {
                    continue;
                }
                let spec = &self.parts[part];
                let rate = if spec.demand_history.is_some() {
                    // A weight: the site's share of the part's history.
                    f64::from(units)
                } else {
                    f64::from(units) * spec.failure_rate_per_year / 365.0 * installed_factor
                };
                streams.push(Stream {
                    part,
                    site: i,
                    warehouse,
                    site_transit: s.transit_hours / HOURS_PER_DAY,
                    class,
                    rate,
                });
            }
            sites.push(s.code.clone());
        }
        Ok((sites, streams))
    }

    /// The policy `spares simulate` runs: `(s, S)` per part and warehouse,
    /// flat as [`SimModel::slot`]; a slot not given holds no stock.
    fn resolve_levels(
        &self,
        codes: &Codes,
        depot: usize,
        parts: &[Part],
    ) -> Result<Vec<Level>, String> {
        let w = self.warehouses.len();
        let mut levels = vec![Level::base_stock(0); parts.len() * w];
        let mut seen = vec![false; levels.len()];
        for (i, s) in self.policy.stock.iter().enumerate() {
            let at = format!("policy.stock[{i}]");
            let part = *codes
                .part
                .get(&s.part)
                .ok_or_else(|| format!("{at}.part: unknown part \"{}\"", s.part))?;
            let warehouse = *codes
                .warehouse
                .get(&s.warehouse)
                .ok_or_else(|| format!("{at}.warehouse: unknown warehouse \"{}\"", s.warehouse))?;
            let slot = part * w + warehouse;
            if std::mem::replace(&mut seen[slot], true) {
                return Err(format!(
                    "{at}: {} at {} is given twice",
                    s.part, s.warehouse
                ));
            }
            if !(0..=1_000_000).contains(&s.max) {
                return Err(format!(
                    "{at}.max must be between 0 and 1000000, got {}",
                    s.max
                ));
            }
            let reorder_point = s.reorder_point.unwrap_or(s.max - 1);
            if reorder_point < -1 || (reorder_point >= s.max && s.max > 0) {
                return Err(format!(
                    "{at}.reorder_point must be between -1 and max - 1 ({}), got {reorder_point}",
                    s.max - 1
                ));
            }
            if s.max == 0 && reorder_point != -1 {
                return Err(format!(
                    "{at}.reorder_point must be -1 (or absent) when max is 0"
                ));
            }
            if warehouse == depot && parts[part].repairable && reorder_point != s.max - 1 {
                return Err(format!(
                    "{at}: the depot's stock of a repairable is replenished one for one by repair; give max only"
                ));
            }
            levels[slot] = Level {
                reorder_point,
                max: s.max,
            };
        }
        Ok(levels)
    }
}

/// Codes of one section to their positions in it.
type Index = HashMap<String, usize>;

/// Lanes as `(from, to)` warehouse indices to `(transit days, cost)`.
type Lanes = HashMap<(usize, usize), (f64, f64)>;

/// Codes resolved to indices, for the sections that refer to earlier ones
/// (sites name warehouses, SLA classes and parts; stock levels name parts
/// and warehouses).
struct Codes {
    class: Index,
    warehouse: Index,
    part: Index,
}

/// The lateral lanes into each warehouse (every lane not from the depot,
/// whose lanes are the tree's), nearest first, ties by source, so the
/// simulation tries them in a fixed order.
fn laterals(lanes: &Lanes, depot: usize, warehouses: usize) -> Vec<Vec<LateralLane>> {
    let mut laterals = vec![Vec::new(); warehouses];
    let mut lane_list: Vec<_> = lanes.iter().collect();
    lane_list.sort_by(|a, b| a.0.cmp(b.0));
    for (&(from, to), &(transit, cost)) in lane_list {
        if from != depot {
            laterals[to].push(LateralLane {
                from,
                transit,
                cost,
            });
        }
    }
    for list in &mut laterals {
        list.sort_by(|a, b| a.transit.total_cmp(&b.transit).then(a.from.cmp(&b.from)));
    }
    laterals
}

/// One part, named `at` in errors: its numbers in range, the repair fields
/// only on a repairable, and its demand either a failure rate or a history.
fn resolve_part(at: &str, p: &PartSection, installed_factor: f64) -> Result<Part, String> {
    if !(p.unit_cost.is_finite() && p.unit_cost > 0.0) {
        return Err(format!("{at}.unit_cost must be > 0, got {}", p.unit_cost));
    }
    for (name, value) in [
        ("repair_turnaround_days", p.repair_turnaround_days),
        ("return_days", p.return_days),
        ("lead_time_days", p.lead_time_days),
        ("failure_rate_per_year", p.failure_rate_per_year),
    ] {
        if !(value.is_finite() && (0.0..=MAX_HORIZON_DAYS).contains(&value)) {
            return Err(format!(
                "{at}.{name} must be between 0 and {MAX_HORIZON_DAYS}, got {value}"
            ));
        }
    }
    if !(0.0..=1.0).contains(&p.beyond_repair_share) {
        return Err(format!(
            "{at}.beyond_repair_share must be between 0 and 1, got {}",
            p.beyond_repair_share
        ));
    }
    if !p.repairable
        && (p.repair_turnaround_days > 0.0 || p.return_days > 0.0 || p.beyond_repair_share > 0.0)
    {
        return Err(format!(
            "{at}: repair_turnaround_days, return_days and beyond_repair_share only apply to repairable parts (set repairable = true)"
        ));
    }
    if p.order_quantity == 0 || p.order_quantity > MAX_ORDER_QUANTITY {
        return Err(format!(
            "{at}.order_quantity must be between 1 and {MAX_ORDER_QUANTITY}, got {}",
            p.order_quantity
        ));
    }
    if p.repairable && p.order_quantity != 1 {
        return Err(format!(
            "{at}.order_quantity: repairables move one for one; remove it or set 1"
        ));
    }
    let history = match &p.demand_history {
        None => None,
        Some(h) => Some(resolve_history(at, p, h, installed_factor)?),
    };
    Ok(Part {
        code: p.code.clone(),
        unit_cost: p.unit_cost,
        repairable: p.repairable,
        repair_cycle: p.return_days + p.repair_turnaround_days,
        beyond_repair_share: p.beyond_repair_share,
        lead_time: p.lead_time_days,
        history,
    })
}

/// A part's recorded demand, scaled by the installed-base factor: the
/// same counts over shorter periods (no demand at all at factor 0).
fn resolve_history(
    at: &str,
    p: &PartSection,
    h: &HistorySection,
    installed_factor: f64,
) -> Result<DemandHistory, String> {
    if !(h.period_days.is_finite() && h.period_days > 0.0) {
        return Err(format!(
            "{at}.demand_history.period_days must be > 0, got {}",
            h.period_days
        ));
    }
    if h.counts.is_empty() {
        return Err(format!("{at}.demand_history.counts must not be empty"));
    }
    if p.failure_rate_per_year > 0.0 {
        return Err(format!(
            "{at}: give failure_rate_per_year or demand_history, not both"
        ));
    }
    Ok(if installed_factor == 0.0 {
        // No installed base left: no demand at all.
        DemandHistory {
            period: h.period_days,
            counts: vec![0; h.counts.len()],
        }
    } else {
        // Scaling the installed base scales demand: the same recorded
        // counts arrive over shorter periods.
        DemandHistory {
            period: h.period_days / installed_factor,
            counts: h.counts.clone(),
        }
    })
}

/// Codes are non-empty single-line text (they appear in tables and JSON).
fn check_code(field: &str, code: &str) -> Result<(), String> {
    if code.trim().is_empty() || code.len() > 200 || code.chars().any(char::is_control) {
        return Err(format!(
            "{field} must be 1-200 printable characters, got \"{}\"",
            code.escape_default()
        ));
    }
    Ok(())
}

fn finite_non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}
