//! Upkeep: repairs, scrapping and cycle counts.
use chrono::{DateTime, Duration, Utc};
use entities::vocabulary::{Condition, RepairOutcome};
use rand::RngExt;
use rust_decimal::Decimal;
use sea_orm::DatabaseTransaction;

use super::{Event, Operation, balances};
use crate::flows::logistics::repair::{self, ResultRequest, SendLine, SendRequest};
use crate::flows::logistics::scrap::{self, DecisionBody, ScrapRequestBody};
use crate::flows::stock::stocktake::{self, CountLine, CountRequest, OpenRequest};
use crate::store::error::AppResult;
use crate::store::location::Location;
use crate::store::serials;

/// Share of defective units judged beyond repair on inspection, before
/// any are sent out.
const SCRAP_ON_INSPECTION: f64 = 0.03;
/// Share of units the repairer finds beyond repair.
const BEYOND_REPAIR: f64 = 0.07;
/// Share of counted lines found one unit off.
const COUNT_VARIANCE: f64 = 0.03;

/// (fault cause, failed component, measures) a repair record names.
const FAULTS: [(&str, &str, &str); 4] = [
    (
        "power surge",
        "DC/DC converter",
        "converter replaced, burn-in 24 h",
    ),
    (
        "thermal stress",
        "PA module",
        "PA module replaced, recalibrated",
    ),
    (
        "moisture ingress",
        "connector block",
        "connector replaced, resealed",
    ),
    (
        "firmware corruption",
        "flash memory",
        "flash replaced, firmware reloaded",
    ),
];

/// Where a repairable family is repaired: the manufacturer (the supplier,
/// which repairs too), the outside repair shop, or the internal centre.
enum Repairer {
    Manufacturer,
    Shop,
    Internal,
}

fn repairer(family: &str) -> Repairer {
    match family {
        "BBU" => Repairer::Manufacturer,
        "RRU" | "MW" => Repairer::Shop,
        _ => Repairer::Internal,
    }
}

impl Operation<'_> {
    /// Every warehouse sends its defective units to be repaired, one order
    /// per repairer; a few units are put up for scrap instead.
    pub(super) async fn repair_round(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let warehouses: Vec<i64> = self.net.warehouses.iter().map(|w| w.id).collect();
        for warehouse in warehouses {
            let mut by_repairer: [Vec<SendLine>; 3] = [Vec::new(), Vec::new(), Vec::new()];
            for (part_id, on_hand, _) in balances(tx, warehouse, Condition::Defective).await? {
                let Some(part) = self.net.part(part_id).cloned() else {
                    continue;
                };
                if !part.repairable {
                    continue;
                }
                let mut units: Vec<Option<String>> = if part.serialized {
                    let location = Location::warehouse(warehouse);
                    serials::at(tx, part_id, location, Condition::Defective)
                        .await?
                        .into_iter()
                        .map(Some)
                        .collect()
                } else {
                    vec![None; on_hand as usize]
                };
                if !units.is_empty() && self.rng.random_bool(SCRAP_ON_INSPECTION) {
                    let unit = units.pop().flatten();
                    self.put_up_for_scrap(
                        tx,
                        at,
                        warehouse,
                        part_id,
                        Condition::Defective,
                        1,
                        unit,
                    )
                    .await?;
                }
                if units.is_empty() {
                    continue;
                }
                let slot = repairer(part.family) as usize;
                by_repairer[slot].push(SendLine {
                    part_id,
                    quantity: i32::try_from(units.len()).unwrap_or(i32::MAX),
                    serials: units.into_iter().flatten().collect(),
                });
            }
            let vendors = [Some(self.net.supplier), Some(self.net.repair_vendor), None];
            for (lines, vendor) in by_repairer.into_iter().zip(vendors) {
                if !lines.is_empty() {
                    self.send_to_repair(tx, at, warehouse, vendor, lines)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// One repair order; each line's result comes around its due date
    /// (the repairer's turnaround), most of them in time.
    async fn send_to_repair(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        warehouse: i64,
        vendor: Option<i64>,
        lines: Vec<SendLine>,
    ) -> AppResult<()> {
        let order = repair::send(
            tx,
            self.cast.clerk.id,
            SendRequest {
                vendor_id: vendor,
                warehouse_id: warehouse,
                reference: format!("RO-{}", at.format("%G-W%V")),
                lines,
            },
            at,
        )
        .await?;
        self.tally.repair_orders += 1;
        for line in order.lines {
            let due = (line.due_at - at).max(Duration::days(3));
            let back = self.stretch(due, 0.6, 1.15);
            self.at(
                at + back,
                Event::RepairResult {
                    order: order.id,
                    line: line.id,
                    part: line.part_id,
                },
            );
        }
        Ok(())
    }

    /// The repairer's verdict on one line, with its repair record.
    pub(super) async fn repair_result(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        order: i64,
        line: i64,
        part_id: i64,
    ) -> AppResult<()> {
        let unit_cost = self
            .net
            .part(part_id)
            .map_or(Decimal::from(100), |p| p.unit_cost);
        let (cause, component, measures) = FAULTS[self.rng.random_range(0..FAULTS.len())];
        let beyond = self.rng.random_bool(BEYOND_REPAIR);
        let share = Decimal::from(self.rng.random_range(8..=25u32)) / Decimal::from(100);
        let result = ResultRequest {
            outcome: if beyond {
                RepairOutcome::BeyondRepair
            } else {
                RepairOutcome::Repaired
            },
            fault_cause: cause.into(),
            failed_component: component.into(),
            conclusion: if beyond {
                "not economical to repair".into()
            } else {
                "repaired and tested".into()
            },
            measures: if beyond {
                String::new()
            } else {
                measures.into()
            },
            cost: if beyond {
                Decimal::from(45)
            } else {
                (unit_cost * share).round_dp(2)
            },
            return_warehouse_id: None,
        };
        repair::record_result(tx, self.cast.clerk.id, order, line, result, at).await?;
        self.dispatch_filled(tx, at).await
    }

    /// The clerk asks to scrap units; the planner decides a day or three
    /// later.
    #[allow(clippy::too_many_arguments)]
    async fn put_up_for_scrap(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        warehouse: i64,
        part_id: i64,
        condition: Condition,
        quantity: i32,
        serial: Option<String>,
    ) -> AppResult<()> {
        let reason = match condition {
            Condition::Quarantined => "damaged in transit, not repairable",
            _ => "beyond repair on inspection: housing cracked",
        };
        let request = scrap::request(
            tx,
            self.cast.clerk.id,
            ScrapRequestBody {
                warehouse_id: warehouse,
                part_id,
                quantity,
                condition,
                reason: reason.into(),
                serials: serial.into_iter().collect(),
            },
            at,
        )
        .await?;
        self.tally.scrap_requests += 1;
        let decide = Duration::hours(self.rng.random_range(20..=70));
        self.at(
            at + decide,
            Event::ScrapDecision {
                request: request.id,
            },
        );
        Ok(())
    }

    /// Every warehouse puts its quarantined units up for scrap.
    pub(super) async fn scrap_round(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let warehouses: Vec<i64> = self.net.warehouses.iter().map(|w| w.id).collect();
        for warehouse in warehouses {
            for (part_id, on_hand, _) in balances(tx, warehouse, Condition::Quarantined).await? {
                let serialized = self.net.part(part_id).is_some_and(|p| p.serialized);
                if serialized {
                    let location = Location::warehouse(warehouse);
                    for serial in serials::at(tx, part_id, location, Condition::Quarantined).await?
                    {
                        self.put_up_for_scrap(
                            tx,
                            at,
                            warehouse,
                            part_id,
                            Condition::Quarantined,
                            1,
                            Some(serial),
                        )
                        .await?;
                    }
                } else {
                    self.put_up_for_scrap(
                        tx,
                        at,
                        warehouse,
                        part_id,
                        Condition::Quarantined,
                        on_hand,
                        None,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// The planner approves: the stock is scrapped, with a certificate.
    pub(super) async fn scrap_decision(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        request: i64,
    ) -> AppResult<()> {
        let body = DecisionBody {
            note: "approved for disposal".into(),
        };
        scrap::approve(tx, self.cast.planner.id, request, body, at).await?;
        Ok(())
    }

    /// The monthly count of a warehouse's unserialized parts: the clerk
    /// counts, a few lines are one unit off, the planner approves.
    pub(super) async fn cycle_count(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        index: usize,
    ) -> AppResult<()> {
        let warehouse = self.net.warehouses[index].id;
        let good: Vec<(i64, i32, i32)> = balances(tx, warehouse, Condition::Good)
            .await?
            .into_iter()
            .filter(|(part_id, _, _)| self.net.part(*part_id).is_some_and(|p| !p.serialized))
            .collect();
        if good.is_empty() {
            return Ok(());
        }
        let opened = stocktake::open(
            tx,
            self.cast.clerk.id,
            OpenRequest {
                warehouse_id: warehouse,
                part_ids: Some(good.iter().map(|g| g.0).collect()),
                note: format!("cycle count {}", at.format("%B %Y")),
            },
            at,
        )
        .await?;
        let mut lines = Vec::new();
        for line in &opened.lines {
            let mut counted = line.snapshot_qty;
            let free = good
                .iter()
                .find(|g| g.0 == line.part_id)
                .map_or(0, |g| g.1 - g.2);
            if line.condition == Condition::Good && self.rng.random_bool(COUNT_VARIANCE) {
                counted += if free > 0 && self.rng.random_bool(0.5) {
                    -1
                } else {
                    1
                };
            }
            lines.push(CountLine {
                part_id: line.part_id,
                condition: line.condition,
                counted_qty: counted,
                serials: Vec::new(),
            });
        }
        stocktake::count(
            tx,
            self.cast.clerk.id,
            opened.id,
            CountRequest { lines },
            at,
        )
        .await?;
        stocktake::approve(tx, self.cast.planner.id, opened.id, at).await?;
        self.tally.stocktakes += 1;
        self.dispatch_filled(tx, at).await
    }
}
