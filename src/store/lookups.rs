//! Lookups of master data every flow needs before it writes: the rows a
//! document names, refused with a 422 naming the field when unknown or
//! deactivated.
use std::collections::{HashMap, HashSet};

use entities::{part, warehouse};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::store::error::{AppError, AppResult};

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
            Some(_) => errors.push(crate::store::error::FieldError::new(
                format!("lines[{i}].part_id"),
                format!("part {id} is deactivated"),
            )),
            None => errors.push(crate::store::error::FieldError::new(
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

/// Ids per `IN (...)` list.
const LOOKUP_CHUNK: usize = 500;

/// Parts by id, in chunks that stay below every backend's bind-parameter
/// limit.
pub async fn parts_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, part::Model>> {
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut parts = HashMap::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        for p in part::Entity::find()
            .filter(part::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            parts.insert(p.id, p);
        }
    }
    Ok(parts)
}
