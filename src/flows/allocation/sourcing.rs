//! SLA-aware sourcing of a replacement request: the rule of
//! [`crate::core::sourcing`] applied to the network's stock, and the units
//! reserved in the caller's transaction.
//!
//! # The offers
//! Candidates are active warehouses holding at least the whole quantity in
//! available `good` stock (on hand minus reserved; a request is never split
//! across warehouses). Each candidate's arrival at the site is:
//! - the site's serving warehouse: now + the site's `transit_hours`;
//! - any other warehouse: now + the transit hours of its cheapest active
//!   lane *to the serving warehouse* + the site's `transit_hours` (lateral
//!   supply goes through the serving warehouse, which is the only one with a
//!   known transit to the site), at that lane's cost. A warehouse without
//!   such a lane cannot reach the site and is no candidate.
//!
//! They are tried in the rule's order (ties by warehouse id), and the first
//! whose stock can still be reserved wins: `serving` or `lateral` in time,
//! else `earliest` with `sla_at_risk`. With no candidate at all the request
//! is backordered (also at risk), and [`super::backorders`] sources it again
//! when good stock arrives anywhere.
//!
//! # Concurrency
//! The reservation is the guarded `UPDATE stock_balances SET reserved =
//! reserved + n WHERE on_hand - reserved >= n` of
//! [`crate::store::balances`]: two requests that both saw the last unit
//! cannot both hold it. On SQLite the write transaction is `IMMEDIATE`, so
//! the availability read is already exclusive; on PostgreSQL the loser's
//! update waits for the winner's row lock, then finds the guard false and
//! moves on to the next candidate, or backorders.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::replacement_request::{self, Column as C};
use entities::vocabulary::{Condition, RequestStatus, SourceKind};
use entities::{lane, site, stock_balance, warehouse};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::core::Money;
use crate::core::sourcing::{self, Offer};
use crate::store::balances::BalanceKey;
use crate::store::error::{AppError, AppResult};
use crate::store::reservations;
use crate::store::transition::Transition;

/// What is to be sourced.
#[derive(Debug, Clone)]
struct Need {
    request_id: i64,
    part_id: i64,
    quantity: i32,
    serving_warehouse_id: i64,
    site_transit_hours: f64,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
    /// Who the reservation is recorded for (the requesting engineer).
    actor_id: i64,
}

/// The outcome of sourcing.
#[derive(Debug, Clone)]
struct Decision {
    kind: SourceKind,
    warehouse_id: Option<i64>,
    reservation_id: Option<i64>,
    eta: Option<DateTime<Utc>>,
    /// Lane cost of a source other than the serving warehouse.
    cost: Option<Decimal>,
    at_risk: bool,
    reason: String,
}

/// An offer of one warehouse's stock.
type WarehouseOffer = Offer<i64, DateTime<Utc>, Decimal>;

fn hours(h: f64) -> Duration {
    Duration::seconds((h * 3600.0).round() as i64)
}

/// The offers in the order the rule tries them, and the warehouses that
/// hold the stock but have no lane to the serving warehouse.
async fn offers(
    db: &impl ConnectionTrait,
    need: &Need,
) -> AppResult<(Vec<WarehouseOffer>, Vec<i64>)> {
    let holding: Vec<i64> = stock_balance::Entity::find()
        .filter(stock_balance::Column::PartId.eq(need.part_id))
        .filter(stock_balance::Column::Condition.eq(Condition::Good))
        .all(db)
        .await?
        .into_iter()
        .filter(|b| b.on_hand - b.reserved >= need.quantity)
        .map(|b| b.warehouse_id)
        .collect();
    let mut active: Vec<i64> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(holding))
        .filter(warehouse::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    active.sort_unstable();
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
            found.push(Offer {
                source: w,
                serving: true,
                arrival: need.now + site,
                cost: Decimal::ZERO,
            });
        } else if let Some((cost, h)) = lanes.get(&w) {
            found.push(Offer {
                source: w,
                serving: false,
                arrival: need.now + hours(*h) + site,
                cost: *cost,
            });
        } else {
            unreachable.push(w);
        }
    }
    sourcing::rank(&mut found, &need.deadline);
    Ok((found, unreachable))
}

/// Sources `need`: reserves from the first offer whose stock is still
/// there, or decides a backorder. Runs in the caller's transaction.
async fn source(db: &impl ConnectionTrait, need: &Need) -> AppResult<Decision> {
    let (ranked, unreachable) = offers(db, need).await?;
    for offer in ranked {
        let key = BalanceKey {
            part_id: need.part_id,
            warehouse_id: offer.source,
            condition: Condition::Good,
        };
        let reference = format!("replacement request {}", need.request_id);
        let held =
            reservations::hold(db, need.actor_id, key, need.quantity, reference, need.now).await;
        let reservation = match held {
            Ok(r) => r,
            // Taken by a concurrent request since the read: try the next.
            Err(AppError::InsufficientStock { .. }) => continue,
            Err(e) => return Err(e),
        };
        return Ok(decided(need, &offer, reservation.id));
    }
    Ok(backordered(need, &unreachable))
}

/// The decision for the offer whose units were reserved.
fn decided(need: &Need, offer: &WarehouseOffer, reservation_id: i64) -> Decision {
    let in_time = offer.in_time(&need.deadline);
    let (kind, reason) = match (in_time, offer.serving) {
        (true, true) => (SourceKind::Serving, String::new()),
        (true, false) => (SourceKind::Lateral, String::new()),
        (false, serving) => (
            SourceKind::Earliest,
            format!(
                "no warehouse with stock can reach the site by the deadline {}; \
                 the earliest arrival is {} from warehouse {}{}",
                need.deadline.to_rfc3339(),
                offer.arrival.to_rfc3339(),
                offer.source,
                if serving {
                    " (the serving warehouse)".to_owned()
                } else {
                    format!(" via serving warehouse {}", need.serving_warehouse_id)
                }
            ),
        ),
    };
    Decision {
        kind,
        warehouse_id: Some(offer.source),
        reservation_id: Some(reservation_id),
        eta: Some(offer.arrival),
        cost: (!offer.serving).then_some(offer.cost),
        at_risk: !in_time,
        reason,
    }
}

/// The decision when no reachable warehouse has the units.
fn backordered(need: &Need, unreachable: &[i64]) -> Decision {
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
    Decision {
        kind: SourceKind::Backorder,
        warehouse_id: None,
        reservation_id: None,
        eta: None,
        cost: None,
        at_risk: true,
        reason,
    }
}

/// Writes a sourcing decision onto a backordered request: sourced, or
/// still backordered with the reason.
async fn apply(
    db: &impl ConnectionTrait,
    id: i64,
    d: &Decision,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let status = if d.kind == SourceKind::Backorder {
        RequestStatus::Backordered
    } else {
        RequestStatus::Sourced
    };
    let cost: Option<String> = match d.cost {
        Some(c) => Some(
            Money::new(c, "sourcing_cost")
                .map_err(|e| AppError::Internal(e.message))?
                .to_db(),
        ),
        None => None,
    };
    Transition::<replacement_request::Entity>::new(
        id,
        &[RequestStatus::Backordered],
        status,
        "source",
    )
    .set(C::SourceKind, d.kind)
    .set(C::SourceWarehouseId, d.warehouse_id)
    .set(C::SourcingCost, cost)
    .set(C::SlaAtRisk, d.at_risk)
    .set(C::RiskReason, d.reason.clone())
    .set(C::ReservationId, d.reservation_id)
    .set(C::PromisedEta, d.eta)
    .set(C::Eta, d.eta)
    .set(
        C::SourcedAt,
        Expr::val((status == RequestStatus::Sourced).then_some(now)),
    )
    .apply(db, now)
    .await
}

/// The sourcing input of a stored request, at `now`.
async fn need(
    db: &impl ConnectionTrait,
    r: &replacement_request::Model,
    now: DateTime<Utc>,
) -> AppResult<Need> {
    let s = site::Entity::find_by_id(r.site_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("site"))?;
    Ok(Need {
        request_id: r.id,
        part_id: r.part_id,
        quantity: r.quantity,
        serving_warehouse_id: r.serving_warehouse_id,
        site_transit_hours: s.transit_hours,
        deadline: r.deadline_at,
        now,
        actor_id: r.engineer_id,
    })
}

/// Sources a request just stored `backordered`, in its transaction: it is
/// `sourced` with units reserved, or stays backordered with the reason.
pub async fn source_new(
    db: &impl ConnectionTrait,
    r: &replacement_request::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let decision = source(db, &need(db, r, now).await?).await?;
    apply(db, r.id, &decision, now).await
}

/// Sources a backordered request again, if it is still backordered and
/// stock is now reachable. Returns whether it was sourced.
pub(super) async fn retry(
    db: &impl ConnectionTrait,
    r: &replacement_request::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    // Take the row (its lock on PostgreSQL): a concurrent fill of the same
    // request waits here, then finds it no longer backordered.
    let taken = Transition::<replacement_request::Entity>::lock(
        r.id,
        &[RequestStatus::Backordered],
        "source",
    )
    .apply(db, now)
    .await;
    match taken {
        Ok(()) => {}
        Err(AppError::InvalidTransition { .. }) => return Ok(false),
        Err(e) => return Err(e),
    }
    let decision = source(db, &need(db, r, now).await?).await?;
    if decision.kind == SourceKind::Backorder {
        return Ok(false);
    }
    apply(db, r.id, &decision, now).await?;
    Ok(true)
}
