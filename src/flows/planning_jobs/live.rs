//! The live data as a scenario: what the service knows of the network,
//! the parts and their demand, in the scenario format a planning job runs.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::vocabulary::{Bucket, PartKind, RepairOutcome};
use entities::{
    installed_base, lane, part, repair_line, repair_order, site, sla_class, stock_level, warehouse,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::core::scenario::{
    CostsSection, HistorySection, LaneSection, MAX_WINDOW_HOURS, ModelChoice, PartSection,
    PolicySection, Scenario, SimulationSection, SiteSection, SlaClassSection, StockSection,
    WarehouseSection,
};
use crate::flows::forecast_runs::history::{demand_series, window};
use crate::store::error::{AppError, AppResult};

/// SLA class given to active sites that have none: the longest window.
pub const NO_SLA_CLASS: &str = "NO-SLA";

/// Builds a scenario (TOML) from the live data: active warehouses with
/// their parents, lanes, SLA classes, parts (unit cost, repairable, annual
/// failure rate, lead time, repair turnaround), sites with their serving
/// warehouse, transit and SLA class, the installed base, and the current
/// stock levels as the policy. The repair loop is measured where repairs
/// were recorded: a repairable part's turnaround is the mean time from
/// send-out to return of its repaired units and its beyond-repair share the
/// share of its closed repair lines found beyond repair (master data's
/// turnaround where nothing was repaired yet). Simulation settings are
/// defaults (two years, 90 days warm-up, 10 replications, seed 1) a planner
/// can edit. Demand is the ledger's own history where there is enough of it:
/// a part with installed units whose issues to the field span at least
/// [`MIN_HISTORY_MONTHS`] complete months gets its monthly network-wide
/// counts as `demand_history` (the simulation resamples them); any other
/// part keeps installed base × failure rate.
pub async fn live_scenario(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<String> {
    let warehouses = warehouse::Entity::find()
        .filter(warehouse::Column::Active.eq(true))
        .order_by_asc(warehouse::Column::Id)
        .all(db)
        .await?;
    let parts = part::Entity::find()
        .filter(part::Column::Active.eq(true))
        .order_by_asc(part::Column::Id)
        .all(db)
        .await?;
    let classes = sla_class::Entity::find()
        .filter(sla_class::Column::Active.eq(true))
        .order_by_asc(sla_class::Column::Id)
        .all(db)
        .await?;
    let codes = Codes {
        warehouse: warehouses.iter().map(|w| (w.id, w.code.clone())).collect(),
        part: parts
            .iter()
            .map(|p| (p.id, p.part_number.clone()))
            .collect(),
        class: classes.iter().map(|c| (c.id, c.code.clone())).collect(),
    };
    let mut sla_classes: Vec<SlaClassSection> = classes
        .iter()
        .map(|c| SlaClassSection {
            code: c.code.clone(),
            window_hours: f64::from(c.response_minutes) / 60.0,
            business_hours: c.business_hours_only,
        })
        .collect();
    let sites = site_sections(db, &codes, &mut sla_classes).await?;
    let lanes = lane_sections(db, &codes).await?;
    let parts = part_sections(db, &parts, &sites, now).await?;
    let stock = stock_sections(db, &codes).await?;
    let scenario = Scenario {
        name: "live".into(),
        description: format!("built from the live data at {}", now.to_rfc3339()),
        simulation: SimulationSection {
            horizon_days: 730.0,
            warmup_days: 90.0,
            replications: 10,
            seed: 1,
        },
        costs: CostsSection::default(),
        sla_classes,
        warehouses: warehouses
            .iter()
            .map(|w| WarehouseSection {
                code: w.code.clone(),
                name: w.name.clone(),
                parent: w.parent_id.and_then(|p| codes.warehouse.get(&p).cloned()),
            })
            .collect(),
        lanes,
        emergency: None,
        parts,
        sites,
        policy: PolicySection {
            target_fill_rate: 0.95,
            model: ModelChoice::VariMetric,
            stock,
        },
        what_if: Vec::new(),
    };
    toml::to_string(&scenario).map_err(|e| AppError::Internal(format!("live scenario: {e}")))
}

/// The codes of the active warehouses, parts and SLA classes by id: the
/// scenario names everything by code, and an inactive row's id has none,
/// which drops what refers to it.
struct Codes {
    warehouse: HashMap<i64, String>,
    part: HashMap<i64, String>,
    class: HashMap<i64, String>,
}

/// Active sites served by an active warehouse, with their installed base
/// of active parts. A site without an (active) SLA class gets
/// [`NO_SLA_CLASS`], which is added to `sla_classes` the first time.
async fn site_sections(
    db: &impl ConnectionTrait,
    codes: &Codes,
    sla_classes: &mut Vec<SlaClassSection>,
) -> AppResult<Vec<SiteSection>> {
    let sites = site::Entity::find()
        .filter(site::Column::Active.eq(true))
        .order_by_asc(site::Column::Id)
        .all(db)
        .await?;
    let mut installed: HashMap<i64, BTreeMap<String, u32>> = HashMap::new();
    for row in installed_base::Entity::find()
        .order_by_asc(installed_base::Column::Id)
        .all(db)
        .await?
    {
        if let Some(code) = codes.part.get(&row.part_id)
            && row.quantity > 0
        {
            installed
                .entry(row.site_id)
                .or_default()
                .insert(code.clone(), row.quantity as u32);
        }
    }
    let mut sections = Vec::new();
    for s in &sites {
        let Some(serving) = codes.warehouse.get(&s.serving_warehouse_id) else {
            continue;
        };
        let class = match s.sla_class_id.and_then(|id| codes.class.get(&id)) {
            Some(code) => code.clone(),
            None => {
                if !sla_classes.iter().any(|c| c.code == NO_SLA_CLASS) {
                    sla_classes.push(SlaClassSection {
                        code: NO_SLA_CLASS.into(),
                        window_hours: MAX_WINDOW_HOURS,
                        business_hours: false,
                    });
                }
                NO_SLA_CLASS.into()
            }
        };
        sections.push(SiteSection {
            code: s.code.clone(),
            warehouse: serving.clone(),
            transit_hours: s.transit_hours,
            sla_class: class,
            installed: installed.remove(&s.id).unwrap_or_default(),
        });
    }
    Ok(sections)
}

/// Active lanes between active warehouses, one way each as stored.
async fn lane_sections(db: &impl ConnectionTrait, codes: &Codes) -> AppResult<Vec<LaneSection>> {
    Ok(lane::Entity::find()
        .filter(lane::Column::Active.eq(true))
        .order_by_asc(lane::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| {
            Some(LaneSection {
                from: codes.warehouse.get(&l.from_warehouse_id)?.clone(),
                to: codes.warehouse.get(&l.to_warehouse_id)?.clone(),
                transit_hours: l.transit_hours,
                cost: l.cost.parse().unwrap_or(0.0),
                both_ways: false,
            })
        })
        .collect())
}

/// The active parts: master data, with the repair loop as measured and
/// the recorded monthly demand of installed parts that have enough of it.
async fn part_sections(
    db: &impl ConnectionTrait,
    parts: &[part::Model],
    sites: &[SiteSection],
    now: DateTime<Utc>,
) -> AppResult<Vec<PartSection>> {
    let measured = measured_repairs(db).await?;
    let installed_parts: HashSet<&String> = sites.iter().flat_map(|s| s.installed.keys()).collect();
    let history = monthly_demand(db, now).await?;
    Ok(parts
        .iter()
        .map(|p| {
            let demand_history = history
                .get(&p.id)
                .filter(|_| installed_parts.contains(&p.part_number))
                .map(|counts| HistorySection {
                    period_days: DAYS_PER_MONTH,
                    counts: counts.clone(),
                });
            part_section(
                p,
                measured.get(&p.id).copied().unwrap_or_default(),
                demand_history,
            )
        })
        .collect())
}

/// One part: a repairable's turnaround and beyond-repair share as
/// measured (master data's turnaround when nothing came back repaired
/// yet), and its failure rate only when no history stands in for it.
fn part_section(
    p: &part::Model,
    loop_of: MeasuredRepairs,
    demand_history: Option<HistorySection>,
) -> PartSection {
    let repairable = p.kind == PartKind::Repairable;
    PartSection {
        code: p.part_number.clone(),
        description: p.description.clone(),
        // The simulation values stock; a part without a cost gets
        // the smallest one so it still plans (cheapest to stock).
        unit_cost: p.unit_cost.parse::<f64>().unwrap_or(0.0).max(0.01),
        repairable,
        repair_turnaround_days: match (repairable, loop_of.turnaround()) {
            (false, _) => 0.0,
            (true, Some(days)) => days,
            (true, None) => f64::from(p.repair_turnaround_days.max(0)),
        },
        return_days: 0.0,
        beyond_repair_share: if repairable {
            loop_of.beyond_repair_share()
        } else {
            0.0
        },
        lead_time_days: f64::from(p.lead_time_days.max(0)),
        failure_rate_per_year: if demand_history.is_some() {
            0.0
        } else {
            p.annual_failure_rate.max(0.0)
        },
        order_quantity: 1,
        demand_history,
    }
}

/// The current stock levels of active parts at active warehouses as the
/// policy; a level with no maximum holds nothing and is left out.
async fn stock_sections(db: &impl ConnectionTrait, codes: &Codes) -> AppResult<Vec<StockSection>> {
    let mut stock = Vec::new();
    for l in stock_level::Entity::find()
        .order_by_asc(stock_level::Column::Id)
        .all(db)
        .await?
    {
        let (Some(part), Some(warehouse)) = (
            codes.part.get(&l.part_id),
            codes.warehouse.get(&l.warehouse_id),
        ) else {
            continue;
        };
        if l.max_level <= 0 {
            continue;
        }
        stock.push(StockSection {
            part: part.clone(),
            warehouse: warehouse.clone(),
            max: i64::from(l.max_level),
            // The scenario's s is strictly below S.
            reorder_point: Some(i64::from(l.reorder_point.min(l.max_level - 1))),
        });
    }
    Ok(stock)
}

/// The fewest complete months of recorded demand a part needs before the
/// live scenario resamples its history instead of its failure rate.
pub const MIN_HISTORY_MONTHS: usize = 6;
/// The average length of a calendar month.
const DAYS_PER_MONTH: f64 = 30.4375;

/// Network-wide demand per part over the last two years of complete
/// months, from the part's first month with demand on, for parts with at
/// least [`MIN_HISTORY_MONTHS`] such months.
async fn monthly_demand(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> AppResult<HashMap<i64, Vec<u32>>> {
    let (from, to) = window(Bucket::Month, 24, now);
    let mut by_part: HashMap<i64, Vec<f64>> = HashMap::new();
    for series in demand_series(db, Bucket::Month, from, to, None, None).await? {
        let total = by_part
            .entry(series.part_id)
            .or_insert_with(|| vec![0.0; series.values.len()]);
        for (t, v) in total.iter_mut().zip(&series.values) {
            *t += v;
        }
    }
    Ok(by_part
        .into_iter()
        .filter_map(|(part, values)| Some((part, history_counts(&values)?)))
        .collect())
}

/// The monthly counts from the first month with demand on, if they span at
/// least [`MIN_HISTORY_MONTHS`]; a month netted below zero by reversals
/// counts as zero.
fn history_counts(values: &[f64]) -> Option<Vec<u32>> {
    let first = values.iter().position(|v| *v > 0.0)?;
    let months = &values[first..];
    (months.len() >= MIN_HISTORY_MONTHS)
        .then(|| months.iter().map(|v| v.max(0.0).round() as u32).collect())
}

/// Closed repair lines of one part, summed.
#[derive(Debug, Clone, Copy, Default)]
struct MeasuredRepairs {
    /// Units repaired and returned, and their days in repair summed.
    repaired: f64,
    repaired_days: f64,
    /// Units found beyond repair.
    beyond: f64,
}

impl MeasuredRepairs {
    /// Mean days from send-out to return, if anything came back repaired.
    fn turnaround(&self) -> Option<f64> {
        (self.repaired > 0.0).then(|| self.repaired_days / self.repaired)
    }

    fn beyond_repair_share(&self) -> f64 {
        let total = self.repaired + self.beyond;
        if total > 0.0 {
            self.beyond / total
        } else {
            0.0
        }
    }
}

/// The repair loop as recorded, per part id.
async fn measured_repairs(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, MeasuredRepairs>> {
    let sent: HashMap<i64, chrono::DateTime<Utc>> = repair_order::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.sent_at))
        .collect();
    let mut by_part: HashMap<i64, MeasuredRepairs> = HashMap::new();
    for line in repair_line::Entity::find()
        .filter(
            repair_line::Column::Outcome
                .is_in([RepairOutcome::Repaired, RepairOutcome::BeyondRepair]),
        )
        .order_by_asc(repair_line::Column::Id)
        .all(db)
        .await?
    {
        let units = f64::from(line.quantity.max(0));
        let entry = by_part.entry(line.part_id).or_default();
        if line.outcome == RepairOutcome::BeyondRepair {
            entry.beyond += units;
        } else if let (Some(returned), Some(sent)) =
            (line.returned_at, sent.get(&line.repair_order_id))
        {
            let days = (returned - *sent).num_seconds().max(0) as f64 / 86_400.0;
            entry.repaired += units;
            entry.repaired_days += units * days;
        }
    }
    Ok(by_part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_starts_at_the_first_demand_and_needs_six_months() {
        assert_eq!(history_counts(&[0.0; 24]), None);
        assert_eq!(history_counts(&[0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0]), None);
        assert_eq!(
            history_counts(&[0.0, 2.0, 0.0, 1.0, -1.0, 4.0, 0.0]),
            Some(vec![2, 0, 1, 0, 4, 0])
        );
    }
}
