//! Stock levels from a file: the reorder point and maximum of a part
//! (`part_number`) in a warehouse (`warehouse_code`), as
//! `PUT /api/v1/stock-levels/{warehouse_id}/{part_id}` sets one.
use std::collections::HashMap;

use entities::stock_level::{self, Column as S};
use entities::vocabulary::ReorderLevelSource;
use sea_orm::{DatabaseTransaction, EntityTrait, QueryFilter};

use super::lookup::{self, Codes, pairs_in};
use super::{Change, File, Importer};
use crate::core::import::cells::{named, text, whole};
use crate::core::import::source::Record;
use crate::core::import::{Cells, Column, Header};
use crate::flows::logistics::replenishment::{ReorderLevelRequest, write_levels};
use crate::store::error::{AppError, AppResult};

pub(crate) const COLUMNS: &[Column] = &[
    Column::key("warehouse_code"),
    Column::key("part_number"),
    Column::required("reorder_point"),
    Column::required("max_level"),
    Column::optional("source"),
];

/// The stock-levels importer.
pub(crate) struct StockLevels;

/// One level that passed its checks.
struct Level {
    warehouse_id: i64,
    part_id: i64,
    level: ReorderLevelRequest,
}

impl Importer for StockLevels {
    async fn batch(
        &mut self,
        db: &DatabaseTransaction,
        header: &Header,
        file: &mut File,
        rows: &[Record],
    ) -> AppResult<()> {
        let mut cells = Cells::all(header, rows);
        let warehouses = lookup::warehouses(db, &cells, &["warehouse_code"]).await?;
        let parts = lookup::parts(db, &cells).await?;
        let mut accepted = Vec::new();
        for c in &mut cells {
            accepted.extend(read_level(c, file, &warehouses, &parts));
        }
        file.reject(cells.into_iter().flat_map(Cells::finish).collect());
        let stored = stored_levels(db, &accepted).await?;
        let changed: Vec<&Level> = accepted
            .iter()
            .filter(|l| {
                let change = match stored.get(&(l.warehouse_id, l.part_id)) {
                    None => Change::Created,
                    Some(s) if same_level(s, &l.level) => Change::Unchanged,
                    Some(_) => Change::Updated,
                };
                file.count(change);
                change != Change::Unchanged
            })
            .collect();
        let levels = changed
            .iter()
            .map(|l| (l.warehouse_id, l.part_id, &l.level));
        write_levels(db, levels, file.actor_id(), file.now()).await
    }
}

/// One row read and checked as the API checks a level: an active
/// warehouse and part, and the levels' own rule.
fn read_level(c: &mut Cells, file: &mut File, warehouses: &Codes, parts: &Codes) -> Option<Level> {
    let warehouse: Option<String> = c.value("warehouse_code", text);
    let part: Option<String> = c.value("part_number", text);
    let reorder_point = c.value("reorder_point", whole);
    let max_level = c.value("max_level", whole);
    let source = c.optional(
        "source",
        ReorderLevelSource::Manual,
        ReorderLevelSource::default,
        named,
    );
    let (warehouse, part) = (warehouse?, part?);
    let key = format!("{warehouse}\u{1f}{part}");
    if !file.claim(
        c,
        "part_number",
        &key,
        &format!("part `{part}` in warehouse `{warehouse}`"),
    ) {
        return None;
    }
    let warehouse_id = warehouses.resolve(c, "warehouse_code", &warehouse, "warehouse", None);
    let part_id = parts.resolve(c, "part_number", &part, "part", None);
    let level = ReorderLevelRequest {
        reorder_point: reorder_point.unwrap_or_default(),
        max_level: max_level.unwrap_or_default(),
        source,
    };
    if let Err(AppError::Validation(errors)) = level.validate() {
        c.invalid(errors, &[]);
    }
    if c.has_errors() {
        file.refuse(&key);
        return None;
    }
    Some(Level {
        warehouse_id: warehouse_id?,
        part_id: part_id?,
        level,
    })
}

fn same_level(stored: &stock_level::Model, level: &ReorderLevelRequest) -> bool {
    stored.reorder_point == level.reorder_point
        && stored.max_level == level.max_level
        && stored.source == level.source
}

/// The stored levels of the batch's (warehouse, part) pairs.
async fn stored_levels(
    db: &DatabaseTransaction,
    rows: &[Level],
) -> AppResult<HashMap<(i64, i64), stock_level::Model>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let pairs = rows.iter().map(|r| (r.warehouse_id, r.part_id));
    Ok(stock_level::Entity::find()
        .filter(pairs_in(S::WarehouseId, S::PartId, pairs))
        .all(db)
        .await?
        .into_iter()
        .map(|s| ((s.warehouse_id, s.part_id), s))
        .collect())
}
