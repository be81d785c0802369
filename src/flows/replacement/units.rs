//! Which serialized units belong to a request. Stock is reserved by
//! quantity, so the units set aside for a sourced request are derived, the
//! same way every time: the source's good units in serial order, shared out
//! among the active reservations of that part there in the order they were
//! made. Two requests are never shown the same unit, and a dispatch that
//! names no serials sends the ones shown. Once dispatched, the units are
//! those the issue movement carried.
use entities::vocabulary::{Condition, RequestStatus, ReservationStatus};
use entities::{part, replacement_request, reservation, stock_movement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::store::error::AppResult;
use crate::store::location::Location;
use crate::store::serials;

/// The units of `r`: set aside while sourced, sent once dispatched; none
/// for an unserialized part or a request with no stock yet.
pub async fn of_request(
    db: &impl ConnectionTrait,
    r: &replacement_request::Model,
) -> AppResult<Vec<String>> {
    match (r.status, r.issue_document_id) {
        (RequestStatus::Sourced, _) => set_aside(db, r).await,
        (_, Some(document)) => sent(db, document).await,
        _ => Ok(Vec::new()),
    }
}

/// The units on the source's shelf that fall to `r`'s reservation.
pub async fn set_aside(
    db: &impl ConnectionTrait,
    r: &replacement_request::Model,
) -> AppResult<Vec<String>> {
    let (Some(source), Some(reservation_id)) = (r.source_warehouse_id, r.reservation_id) else {
        return Ok(Vec::new());
    };
    let serialized = part::Entity::find_by_id(r.part_id)
        .one(db)
        .await?
        .is_some_and(|p| p.serialized);
    if !serialized {
        return Ok(Vec::new());
    }
    let ahead: i64 = reservation::Entity::find()
        .filter(reservation::Column::PartId.eq(r.part_id))
        .filter(reservation::Column::WarehouseId.eq(source))
        .filter(reservation::Column::Condition.eq(Condition::Good))
        .filter(reservation::Column::Status.eq(ReservationStatus::Active))
        .filter(reservation::Column::Id.lt(reservation_id))
        .all(db)
        .await?
        .iter()
        .map(|h| i64::from(h.quantity))
        .sum();
    let on_shelf = serials::at(db, r.part_id, Location::warehouse(source), Condition::Good).await?;
    Ok(on_shelf
        .into_iter()
        .skip(usize::try_from(ahead).unwrap_or(usize::MAX))
        .take(usize::try_from(r.quantity).unwrap_or(0))
        .collect())
}

/// The units the issue document carried.
async fn sent(db: &impl ConnectionTrait, document: i64) -> AppResult<Vec<String>> {
    let movements: Vec<i64> = stock_movement::Entity::find()
        .filter(stock_movement::Column::DocumentId.eq(document))
        .order_by_asc(stock_movement::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let by_movement = serials::of_movements(db, &movements).await?;
    let mut units: Vec<String> = by_movement.into_values().flatten().collect();
    units.sort();
    Ok(units)
}
