//! SLA-aware sourcing: which warehouse's stock goes to a request, reserved
//! in the caller's transaction.
//!
//! # The rule
//! Candidates are active warehouses holding at least the whole quantity in
//! available `good` stock (on hand minus reserved; a request is never split
//! across warehouses). Each candidate's arrival at the site is:
//! - the site's serving warehouse: now + the site's `transit_hours`;
//! - any other warehouse: now + the transit hours of its cheapest active
//!   lane *to the serving warehouse* + the site's `transit_hours` (lateral
//!   supply goes through the serving warehouse, which is the only one with a
//!   known transit to the site). A warehouse without such a lane cannot
//!   reach the site and is no candidate.
//!
//! Candidates are tried in this order, and the first whose stock can still
//! be reserved wins:
//! 1. the serving warehouse, if it arrives by the deadline (`serving`);
//! 2. other warehouses arriving by the deadline, cheapest lane cost first,
//!    then earliest arrival (`lateral`);
//! 3. every remaining candidate, earliest arrival first, then cheapest:
//!    the request is `sla_at_risk` with the reason (`earliest`).
//!
//! With no candidate at all the request is backordered (also
//! `sla_at_risk`), and [`super::backorders`] sources it again when good
//! stock arrives anywhere.
//!
//! # Concurrency
//! The reservation is the guarded `UPDATE stock_balances SET reserved =
//! reserved + n WHERE on_hand - reserved >= n` of
//! [`crate::inventory::balances`]: two requests that both saw the last
//! unit cannot both hold it. On SQLite the write transaction is
//! `IMMEDIATE`, so the availability read is already exclusive; on
//! PostgreSQL the loser's update waits for the winner's row lock, then
//! finds the guard false and moves on to the next candidate, or backorders.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::{lane, stock_balance, warehouse};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Money;
use crate::domain::stock::Condition;
use crate::error::{AppError, AppResult};
use crate::inventory::reservations::{self, ReserveRequest};

/// How a request was sourced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The site's serving warehouse, in time.
    Serving,
    /// Another warehouse through its lane to the serving warehouse, in time.
    Lateral,
    /// Nobody could make the deadline: the earliest arrival, at risk.
    Earliest,
    /// Nothing available anywhere: waiting for stock.
    Backorder,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Serving => "serving",
            Self::Lateral => "lateral",
            Self::Earliest => "earliest",
            Self::Backorder => "backorder",
        }
    }

    pub fn from_db(s: &str) -> AppResult<Self> {
        match s {
            "serving" => Ok(Self::Serving),
            "lateral" => Ok(Self::Lateral),
            "earliest" => Ok(Self::Earliest),
            "backorder" => Ok(Self::Backorder),
            other => Err(AppError::Internal(format!("stored source kind `{other}`"))),
        }
    }
}

/// What is to be sourced.
#[derive(Debug, Clone)]
pub struct Need {
    pub request_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub serving_warehouse_id: i64,
    pub site_transit_hours: f64,
    pub deadline: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Who the reservation is recorded for (the requesting engineer).
    pub actor_id: i64,
}

/// The outcome of sourcing.
#[derive(Debug, Clone)]
pub struct Decision {
    pub kind: SourceKind,
    pub warehouse_id: Option<i64>,
    pub reservation_id: Option<i64>,
    pub eta: Option<DateTime<Utc>>,
    /// Lane cost of a lateral or earliest source from another warehouse.
    pub cost: Option<Decimal>,
    pub at_risk: bool,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Candidate {
    warehouse_id: i64,
    arrival: DateTime<Utc>,
    /// `None` for the serving warehouse (no lane is used).
    cost: Option<Decimal>,
}

fn hours(h: f64) -> Duration {
    Duration::seconds((h * 3600.0).round() as i64)
}

/// Candidates in the order they are tried, and the warehouses that hold
/// the stock but have no lane to the serving warehouse.
async fn candidates(
    db: &impl ConnectionTrait,
    need: &Need,
) -> AppResult<(Vec<(Candidate, bool)>, Vec<i64>)> {
    let holding: Vec<i64> = stock_balance::Entity::find()
        .filter(stock_balance::Column::PartId.eq(need.part_id))
        .filter(stock_balance::Column::Condition.eq(Condition::Good.as_str()))
        .all(db)
        .await?
        .into_iter()
        .filter(|b| b.on_hand - b.reserved >= need.quantity)
        .map(|b| b.warehouse_id)
        .collect();
    let active: Vec<i64> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(holding))
        .filter(warehouse::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let mut lanes: HashMap<i64, (Decimal, f64)> = HashMap::new();
    for l in lane::Entity::find()
        .filter(lane::Column::ToWarehouseId.eq(need.serving_warehouse_id))
        .filter(lane::Column::FromWarehouseId.is_in(active.iter().copied()))
        .filter(lane::Column::Active.eq(true))
        .all(db)
        .await?
    {
        let cost = Money::from_db(&l.cost)?.amount();
        let best = lanes
            .entry(l.from_warehouse_id)
            .or_insert((cost, l.transit_hours));
        if (cost, l.transit_hours) < *best {
            *best = (cost, l.transit_hours);
        }
    }
    let site = hours(need.site_transit_hours);
    let mut found = Vec::new();
    let mut unreachable = Vec::new();
    for w in active {
        if w == need.serving_warehouse_id {
            found.push(Candidate {
                warehouse_id: w,
                arrival: need.now + site,
                cost: None,
            });
        } else if let Some((cost, h)) = lanes.get(&w) {
            found.push(Candidate {
                warehouse_id: w,
                arrival: need.now + hours(*h) + site,
                cost: Some(*cost),
            });
        } else {
            unreachable.push(w);
        }
    }
    unreachable.sort_unstable();
    Ok((rank(found, need.deadline), unreachable))
}

/// The order of [the rule](self), each with whether it meets the deadline.
fn rank(found: Vec<Candidate>, deadline: DateTime<Utc>) -> Vec<(Candidate, bool)> {
    let zero = Decimal::ZERO;
    let (mut timely, mut late): (Vec<_>, Vec<_>) =
        found.into_iter().partition(|c| c.arrival <= deadline);
    // Serving (no cost) first, then cheapest, then earliest.
    timely.sort_by(|a, b| {
        (
            a.cost.is_some(),
            a.cost.unwrap_or(zero),
            a.arrival,
            a.warehouse_id,
        )
            .cmp(&(
                b.cost.is_some(),
                b.cost.unwrap_or(zero),
                b.arrival,
                b.warehouse_id,
            ))
    });
    late.sort_by(|a, b| {
        (a.arrival, a.cost.unwrap_or(zero), a.warehouse_id).cmp(&(
            b.arrival,
            b.cost.unwrap_or(zero),
            b.warehouse_id,
        ))
    });
    timely
        .into_iter()
        .map(|c| (c, true))
        .chain(late.into_iter().map(|c| (c, false)))
        .collect()
}

/// Sources `need`: reserves from the first candidate whose stock is still
/// there, or decides a backorder. Runs in the caller's transaction.
pub async fn source(db: &impl ConnectionTrait, need: &Need) -> AppResult<Decision> {
    let (ranked, unreachable) = candidates(db, need).await?;
    for (c, in_time) in ranked {
        let reserved = reservations::reserve(
            db,
            need.actor_id,
            ReserveRequest {
                warehouse_id: c.warehouse_id,
                part_id: need.part_id,
                quantity: need.quantity,
                condition: Condition::Good,
                reference: format!("replacement request {}", need.request_id),
            },
        )
        .await;
        let reservation = match reserved {
            Ok(r) => r,
            // Taken by a concurrent request since the read: try the next.
            Err(AppError::InsufficientStock { .. }) => continue,
            Err(e) => return Err(e),
        };
        let serving = c.warehouse_id == need.serving_warehouse_id;
        let (kind, reason) = match (in_time, serving) {
            (true, true) => (SourceKind::Serving, String::new()),
            (true, false) => (SourceKind::Lateral, String::new()),
            (false, _) => (
                SourceKind::Earliest,
                format!(
                    "no warehouse with stock can reach the site by the deadline {}; \
                     the earliest arrival is {} from warehouse {}{}",
                    need.deadline.to_rfc3339(),
                    c.arrival.to_rfc3339(),
                    c.warehouse_id,
                    if serving {
                        " (the serving warehouse)".to_owned()
                    } else {
                        format!(" via serving warehouse {}", need.serving_warehouse_id)
                    }
                ),
            ),
        };
        return Ok(Decision {
            kind,
            warehouse_id: Some(c.warehouse_id),
            reservation_id: Some(reservation.id),
            eta: Some(c.arrival),
            cost: c.cost,
            at_risk: !in_time,
            reason,
        });
    }
    let reason = if unreachable.is_empty() {
        format!(
            "no warehouse has {} available good unit(s) of part {}; backordered until stock arrives",
            need.quantity, need.part_id
        )
    } else {
        format!(
            "no warehouse that can reach the site has {} available good unit(s) of part {}; \
             warehouse(s) {:?} hold them but have no active lane to serving warehouse {}; \
             backordered until stock arrives",
            need.quantity, need.part_id, unreachable, need.serving_warehouse_id
        )
    };
    Ok(Decision {
        kind: SourceKind::Backorder,
        warehouse_id: None,
        reservation_id: None,
        eta: None,
        cost: None,
        at_risk: true,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn c(w: i64, h: i64, cost: Option<i64>) -> Candidate {
        Candidate {
            warehouse_id: w,
            arrival: at(h),
            cost: cost.map(Decimal::from),
        }
    }

    fn order(found: Vec<Candidate>, deadline: i64) -> Vec<(i64, bool)> {
        rank(found, at(deadline))
            .into_iter()
            .map(|(c, ok)| (c.warehouse_id, ok))
            .collect()
    }

    #[test]
    fn serving_first_then_cheapest_in_time_then_earliest() {
        let found = vec![
            c(3, 5, Some(90)),
            c(2, 6, Some(40)),
            c(1, 2, None),
            c(4, 9, Some(1)),
            c(5, 7, Some(5)),
        ];
        assert_eq!(
            order(found, 6),
            vec![(1, true), (2, true), (3, true), (5, false), (4, false)]
        );
    }

    #[test]
    fn a_late_serving_warehouse_competes_on_arrival() {
        let found = vec![c(1, 10, None), c(2, 8, Some(100))];
        assert_eq!(order(found, 4), vec![(2, false), (1, false)]);
    }
}
