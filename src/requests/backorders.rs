//! Filling backorders when stock becomes available.
//!
//! [`stock_available`] is called in the transaction of every change that
//! makes good units available: the end of [`crate::inventory::ledger::post`]
//! for any movement *into* a warehouse's `good` stock (receipts, purchase
//! and transfer receipts, repair returns, stocktake gains, reversals,
//! condition changes back to good), and
//! [`crate::inventory::reservations::release`] (a cancelled request or any
//! other released hold). One hook at those two chokepoints covers every
//! present and future flow without each having to remember it.
//!
//! Backordered requests of the parts concerned are sourced again, earliest
//! deadline first (then higher priority, then oldest), each by the full
//! sourcing rule of [`super::sourcing`], so a filled backorder can come
//! from any reachable warehouse and is `sla_at_risk` when its deadline can
//! no longer be met. A request the new stock cannot reach stays
//! backordered and the next one is tried.
use entities::replacement_request::{self, Column as C};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Priority, RequestStatus};
use crate::error::AppResult;

/// Sources the backordered requests of `part_ids` again; see the module
/// doc. Returns how many were sourced.
pub async fn stock_available(db: &impl ConnectionTrait, part_ids: &[i64]) -> AppResult<usize> {
    if part_ids.is_empty() {
        return Ok(0);
    }
    let mut waiting = replacement_request::Entity::find()
        .filter(C::Status.eq(RequestStatus::Backordered.as_str()))
        .filter(C::PartId.is_in(part_ids.iter().copied()))
        .order_by_asc(C::DeadlineAt)
        .order_by_asc(C::Id)
        .all(db)
        .await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let urgency = |p: &str| match Priority::from_db(p) {
        Ok(Priority::Critical) => 0,
        Ok(Priority::High) => 1,
        Ok(Priority::Normal) => 2,
        _ => 3,
    };
    // Stable: equal deadlines keep id order within a priority.
    waiting.sort_by_key(|r| (r.deadline_at, urgency(&r.priority)));
    let mut filled = 0;
    for r in &waiting {
        if super::retry_backorder(db, r).await? {
            filled += 1;
        }
    }
    Ok(filled)
}
