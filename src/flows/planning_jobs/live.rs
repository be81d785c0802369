//! The live data as a scenario: what the service knows of the network,
//! the parts and their demand, in the scenario format a planning job runs.
use std::collections::{BTreeMap, HashMap};

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
    let code_of: HashMap<i64, String> = warehouses.iter().map(|w| (w.id, w.code.clone())).collect();
    let parts = part::Entity::find()
        .filter(part::Column::Active.eq(true))
        .order_by_asc(part::Column::Id)
        .all(db)
        .await?;
    let part_of: HashMap<i64, String> = parts
        .iter()
        .map(|p| (p.id, p.part_number.clone()))
        .collect();
    let classes = sla_class::Entity::find()
        .filter(sla_class::Column::Active.eq(true))
        .order_by_asc(sla_class::Column::Id)
        .all(db)
        .await?;
    let class_of: HashMap<i64, String> = classes.iter().map(|c| (c.id, c.code.clone())).collect();
    let mut sla_classes: Vec<SlaClassSection> = classes
        .iter()
        .map(|c| SlaClassSection {
            code: c.code.clone(),
            window_hours: f64::from(c.response_minutes) / 60.0,
            business_hours: c.business_hours_only,
        })
        .collect();
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
        if let Some(code) = part_of.get(&row.part_id)
            && row.quantity > 0
        {
            installed
                .entry(row.site_id)
                .or_default()
                .insert(code.clone(), row.quantity as u32);
        }
    }
    let mut site_sections = Vec::new();
    for s in &sites {
        let Some(serving) = code_of.get(&s.serving_warehouse_id) else {
            continue;
        };
        let class = match s.sla_class_id.and_then(|id| class_of.get(&id)) {
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
        site_sections.push(SiteSection {
            code: s.code.clone(),
            warehouse: serving.clone(),
            transit_hours: s.transit_hours,
            sla_class: class,
            installed: installed.remove(&s.id).unwrap_or_default(),
        });
    }
    let lanes = lane::Entity::find()
        .filter(lane::Column::Active.eq(true))
        .order_by_asc(lane::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| {
            Some(LaneSection {
                from: code_of.get(&l.from_warehouse_id)?.clone(),
                to: code_of.get(&l.to_warehouse_id)?.clone(),
                transit_hours: l.transit_hours,
                cost: l.cost.parse().unwrap_or(0.0),
                both_ways: false,
            })
        })
        .collect();
    let measured = measured_repairs(db).await?;
    let installed_parts: std::collections::HashSet<&String> = site_sections
        .iter()
        .flat_map(|s| s.installed.keys())
        .collect();
    let history = monthly_demand(db, now).await?;
    let part_sections = parts
        .iter()
        .map(|p| {
            let repairable = p.kind == PartKind::Repairable;
            let loop_of = measured.get(&p.id).copied().unwrap_or_default();
            let demand_history = history
                .get(&p.id)
                .filter(|_| installed_parts.contains(&p.part_number))
                .map(|counts| HistorySection {
                    period_days: DAYS_PER_MONTH,
                    counts: counts.clone(),
                });
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
        })
        .collect();
    let mut stock = Vec::new();
    for l in stock_level::Entity::find()
        .order_by_asc(stock_level::Column::Id)
        .all(db)
        .await?
    {
        let (Some(part), Some(warehouse)) = (part_of.get(&l.part_id), code_of.get(&l.warehouse_id))
        else {
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
                parent: w.parent_id.and_then(|p| code_of.get(&p).cloned()),
            })
            .collect(),
        lanes,
        emergency: None,
        parts: part_sections,
        sites: site_sections,
        policy: PolicySection {
            target_fill_rate: 0.95,
            model: ModelChoice::VariMetric,
            stock,
        },
        what_if: Vec::new(),
    };
    toml::to_string(&scenario).map_err(|e| AppError::Internal(format!("live scenario: {e}")))
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
