//! Backorders: replacement requests waiting for stock.
//!
//! [`fill`] runs in the transaction of every change that makes good units
//! available — [`super::post`] for any movement *into* a warehouse's
//! `good` stock (receipts, purchase and transfer receipts, repair returns,
//! stocktake gains, reversals, condition changes back to good) and
//! [`super::release`] (a cancelled request or any other released hold).
//!
//! Backordered requests of the parts concerned are sourced again, earliest
//! deadline first (then higher priority, then oldest), each by the full
//! sourcing rule, so a filled backorder can come from any reachable
//! warehouse and is `sla_at_risk` when its deadline can no longer be met. A
//! request the new stock cannot reach stays backordered and the next one is
//! tried.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::part;
use entities::replacement_request::{self, Column as C};
use entities::vocabulary::{Priority, RequestStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::sourcing;
use crate::store::error::AppResult;

/// Sources the backordered requests of `part_ids` again; see the module
/// doc. Returns how many were sourced.
pub async fn fill(
    db: &impl ConnectionTrait,
    part_ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<usize> {
    if part_ids.is_empty() {
        return Ok(0);
    }
    let mut waiting = replacement_request::Entity::find()
        .filter(C::Status.eq(RequestStatus::Backordered))
        .filter(C::PartId.is_in(part_ids.iter().copied()))
        .order_by_asc(C::DeadlineAt)
        .order_by_asc(C::Id)
        .all(db)
        .await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    // A part deactivated since the request cannot be reserved; its
    // backorders wait (or are cancelled) instead of failing the receipt or
    // release that made stock available.
    let active: Vec<i64> = part::Entity::find()
        .filter(part::Column::Id.is_in(part_ids.iter().copied()))
        .filter(part::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    waiting.retain(|r| active.contains(&r.part_id));
    // Stable: equal deadlines keep id order within a priority.
    waiting.sort_by_key(|r| (r.deadline_at, urgency(r.priority)));
    let mut filled = 0;
    for r in &waiting {
        if sourcing::retry(db, r, now).await? {
            filled += 1;
        }
    }
    Ok(filled)
}

/// Among equal deadlines, the more urgent request is filled first.
fn urgency(p: Priority) -> u8 {
    match p {
        Priority::Critical => 0,
        Priority::High => 1,
        Priority::Normal => 2,
        Priority::Low => 3,
    }
}

/// Backordered units per part whose site is served by `warehouse_id`: the
/// backorders of that warehouse's inventory position.
pub async fn units_at(
    db: &impl ConnectionTrait,
    warehouse_id: i64,
) -> AppResult<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    for r in replacement_request::Entity::find()
        .filter(C::ServingWarehouseId.eq(warehouse_id))
        .filter(C::Status.eq(RequestStatus::Backordered))
        .all(db)
        .await?
    {
        *out.entry(r.part_id).or_insert(0) += i64::from(r.quantity);
    }
    Ok(out)
}
