//! The stock ledger and warehouse operations (process 4.2.3).
//!
//! Every change of stock is a document posting immutable movements
//! ([`ledger::post`]); balances change only in the same transaction and only
//! through the guarded updates of [`balances`]. [`verify`] proves the
//! balances from the ledger at any time.
pub mod balances;
pub mod documents;
pub mod idempotency;
pub mod ledger;
pub mod queries;
pub mod reservations;
pub mod serials;
pub mod stocktake;
pub mod verify;

use std::collections::HashMap;

use entities::{part, warehouse};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::{AppError, AppResult};

pub(crate) use stocktake::parts_by_id;

/// Loads an active warehouse, or a 422 naming `field`.
pub async fn active_warehouse(
    db: &impl ConnectionTrait,
    id: i64,
    field: &str,
) -> AppResult<warehouse::Model> {
    match warehouse::Entity::find_by_id(id).one(db).await? {
        Some(w) if w.active => Ok(w),
        Some(_) => Err(AppError::field(
            field,
            format!("warehouse {id} is deactivated"),
        )),
        None => Err(AppError::field(
            field,
            format!("warehouse {id} does not exist"),
        )),
    }
}

/// Loads the active parts named by `lines` (field path `lines[i].part_id`),
/// refusing unknown or deactivated ones with a 422 naming each line.
pub async fn active_parts(
    db: &impl ConnectionTrait,
    part_ids: &[i64],
) -> AppResult<HashMap<i64, part::Model>> {
    let rows = part::Entity::find()
        .filter(part::Column::Id.is_in(part_ids.iter().copied()))
        .all(db)
        .await?;
    let parts: HashMap<i64, part::Model> = rows.into_iter().map(|p| (p.id, p)).collect();
    let mut errors = Vec::new();
    for (i, id) in part_ids.iter().enumerate() {
        match parts.get(id) {
            Some(p) if p.active => {}
            Some(_) => errors.push(crate::error::FieldError::new(
                format!("lines[{i}].part_id"),
                format!("part {id} is deactivated"),
            )),
            None => errors.push(crate::error::FieldError::new(
                format!("lines[{i}].part_id"),
                format!("part {id} does not exist"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(parts)
    } else {
        Err(AppError::Validation(errors))
    }
}
