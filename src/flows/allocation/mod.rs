//! Allocation: which good units go to which replacement request.
//!
//! - [`sourcing`] applies the sourcing rule of [`crate::core::sourcing`]
//!   to the network's stock and reserves the units in the caller's
//!   transaction;
//! - [`backorders`] gives newly available good units to the requests that
//!   wait for them, earliest deadline first;
//! - [`post`] and [`release`] are how every flow posts stock and lets go of
//!   a hold: the ledger or the reservation first, then the backorders of
//!   whatever good units became available, in the same transaction. Being
//!   the only way in, no present or future flow can forget that step.
//!
//! A replacement request's states and allowed actions are defined here
//! ([`StateMachine`] for its table), because sourcing is its first
//! transition; [`crate::flows::replacement`] drives the rest of its life.
pub mod backorders;
pub mod sourcing;

use chrono::{DateTime, Utc};
use entities::replacement_request::{self, Column as C};
use entities::vocabulary::{Condition, RequestStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{self, Document, NewDocument, NewMovement};
use crate::store::reservations::{self, Reservation};
use crate::store::transition::StateMachine;

/// Posts a stock document (see [`ledger::post`]) and sources the
/// backordered requests of every part whose good stock it raised.
pub async fn post(
    db: &impl ConnectionTrait,
    doc: NewDocument,
    moves: Vec<NewMovement>,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let posting = ledger::post(db, doc, moves, now).await?;
    backorders::fill(db, &posting.good_arrivals, now).await?;
    Ok(posting.document)
}

/// Posts `moves` into a document opened with [`ledger::open`] (see
/// [`ledger::post_into`]) and sources the backordered requests of every
/// part whose good stock they raised.
pub async fn post_into(
    db: &impl ConnectionTrait,
    document: entities::stock_document::Model,
    moves: Vec<NewMovement>,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let posting = ledger::post_into(db, document, moves, now).await?;
    backorders::fill(db, &posting.good_arrivals, now).await?;
    Ok(posting.document)
}

/// Releases a reservation (see [`reservations::release`]); released good
/// units may fill a backordered request at once.
pub async fn release(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Reservation> {
    let released = reservations::release(db, id, now).await?;
    if released.condition == Condition::Good {
        backorders::fill(db, &[released.part_id], now).await?;
    }
    Ok(released)
}

/// The actions allowed next on a request in `status`, as named in the API
/// paths.
pub fn allowed(
    status: RequestStatus,
    return_expected: bool,
    return_announced: bool,
) -> Vec<&'static str> {
    use RequestStatus as S;
    match status {
        S::Backordered => vec!["cancel"],
        S::Sourced => vec!["dispatch", "cancel"],
        S::Dispatched => vec!["deliver"],
        S::Delivered if !return_expected => vec!["close"],
        S::Delivered if return_announced => vec!["receive-return"],
        S::Delivered => vec!["return", "receive-return"],
        S::DefectiveReturned => vec!["close"],
        S::Closed | S::Cancelled => vec![],
    }
}

impl StateMachine for replacement_request::Entity {
    const WHAT: &'static str = "replacement request";
    type Status = RequestStatus;
    const ID: C = C::Id;
    const STATUS: C = C::Status;
    const UPDATED_AT: Option<C> = Some(C::UpdatedAt);

    fn state(r: &replacement_request::Model) -> (String, Vec<&'static str>) {
        (
            r.status.to_string(),
            allowed(r.status, r.return_expected, r.return_id.is_some()),
        )
    }
}

/// Refuses `action` on a reservation a replacement request holds: the
/// request releases it on cancel and consumes it on dispatch, and doing
/// either behind its back would leave it `sourced` without stock.
pub async fn refuse_held_reservation(
    db: &impl ConnectionTrait,
    reservation_id: i64,
    action: &'static str,
) -> AppResult<()> {
    match replacement_request::Entity::find()
        .filter(C::ReservationId.eq(reservation_id))
        .one(db)
        .await?
    {
        Some(r) => Err(AppError::InvalidTransition {
            what: "reservation",
            action,
            current: format!(
                "held by replacement request {} (act on the request instead)",
                r.id
            ),
            allowed: vec![],
        }),
        None => Ok(()),
    }
}

/// Refuses to reverse the issue a replacement request was dispatched with:
/// the request (and its shipment and demand record) would still say the
/// part left.
pub async fn refuse_dispatch_document(
    db: &impl ConnectionTrait,
    document_id: i64,
) -> AppResult<()> {
    match replacement_request::Entity::find()
        .filter(C::IssueDocumentId.eq(document_id))
        .one(db)
        .await?
    {
        Some(r) => Err(AppError::InvalidTransition {
            what: "document",
            action: "reverse",
            current: format!("the dispatch of replacement request {}", r.id),
            allowed: vec![],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_actions_follow_the_lifecycle() {
        use RequestStatus::*;
        assert_eq!(allowed(Sourced, true, false), vec!["dispatch", "cancel"]);
        assert_eq!(
            allowed(Delivered, true, false),
            vec!["return", "receive-return"]
        );
        assert_eq!(allowed(Delivered, true, true), vec!["receive-return"]);
        assert_eq!(allowed(Delivered, false, false), vec!["close"]);
        assert!(allowed(Cancelled, true, false).is_empty());
    }
}
