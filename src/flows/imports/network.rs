//! The warehouse network from files: warehouses (named by `code`, with
//! their replenishment parent by `parent_code`) and lanes (named by their
//! two ends, `from_warehouse_code` and `to_warehouse_code`).
use std::collections::HashMap;

use entities::vocabulary::WarehouseKind;
use entities::{lane, warehouse};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::lookup::{self, Codes};
use super::master::{Context, MasterImport, Planned, rows_by_key};
use crate::core::fields::{Code, Currency, Name};
use crate::core::import::cells::{decimal, named, number, text};
use crate::core::import::{BATCH_ROWS, CellError, Cells, Column};
use crate::flows::master::lanes::{Lane, LaneFields};
use crate::flows::master::warehouses::{Warehouse, WarehouseFields};
use crate::store::error::AppResult;

pub(crate) const WAREHOUSE_COLUMNS: &[Column] = &[
    Column::key("code"),
    Column::create("name"),
    Column::create("kind"),
    Column::create("region"),
    Column::optional("parent_code").or(&["parent"]),
];

impl MasterImport for Warehouse {
    const KEY_COLUMN: &'static str = "code";
    const RENAMED: &'static [(&'static str, &'static str)] = &[("parent_id", "parent_code")];
    type Refs = Codes;

    fn conflict_columns() -> Vec<warehouse::Column> {
        vec![warehouse::Column::Code]
    }

    async fn references(db: &DatabaseTransaction, rows: &[Cells<'_>]) -> AppResult<Codes> {
        lookup::warehouses(db, rows, &["parent_code"]).await
    }

    async fn existing(
        db: &DatabaseTransaction,
        keys: &[String],
        _refs: &Codes,
    ) -> AppResult<HashMap<String, warehouse::Model>> {
        rows_by_key::<Warehouse>(db, warehouse::Column::Code, keys, |w| w.code.clone()).await
    }

    fn read(c: &mut Cells, ctx: &Context<'_, Warehouse>) -> WarehouseFields {
        let new = ctx.creating();
        let b = ctx.base.cloned().unwrap_or_else(|| WarehouseFields {
            code: Code::from(ctx.key),
            name: Name::default(),
            kind: WarehouseKind::Regional,
            region: Name::default(),
            parent_id: None,
        });
        WarehouseFields {
            code: Code::from(ctx.key),
            name: c.required("name", b.name, new, text),
            kind: c.required("kind", b.kind, new, named),
            region: c.required("region", b.region, new, text),
            parent_id: parent(c, ctx, b.parent_id),
        }
    }

    /// A changed parent must not close a loop in the replenishment tree.
    async fn check_rows(
        db: &DatabaseTransaction,
        rows: &[Planned<Warehouse>],
    ) -> AppResult<Vec<CellError>> {
        let moved: Vec<&Planned<Warehouse>> = rows
            .iter()
            .filter(|p| {
                p.id.is_some()
                    && p.fields.parent_id.is_some()
                    && p.before.as_ref().map(|b| b.parent_id) != Some(p.fields.parent_id)
            })
            .collect();
        if moved.is_empty() {
            return Ok(Vec::new());
        }
        let tree: Vec<(i64, Option<i64>, String)> = warehouse::Entity::find()
            .select_only()
            .columns([
                warehouse::Column::Id,
                warehouse::Column::ParentId,
                warehouse::Column::Code,
            ])
            .into_tuple()
            .all(db)
            .await?;
        let mut parents: HashMap<i64, Option<i64>> =
            tree.iter().map(|(id, p, _)| (*id, *p)).collect();
        let codes: HashMap<i64, String> =
            tree.into_iter().map(|(id, _, code)| (id, code)).collect();
        for p in rows {
            if let Some(id) = p.id {
                parents.insert(id, p.fields.parent_id);
            }
        }
        Ok(moved
            .into_iter()
            .filter_map(|p| {
                let (id, parent) = (p.id?, p.fields.parent_id?);
                closes_loop(&parents, id, parent).then(|| {
                    CellError::new(
                        p.line,
                        "parent_code",
                        format!(
                            "would make a cycle: warehouse {} is replenished, directly or \
                             through others, from this warehouse",
                            codes.get(&parent).map_or("?", String::as_str)
                        ),
                    )
                })
            })
            .collect())
    }

    fn depends_on<'c>(cells: &'c Cells<'c>) -> Option<&'c str> {
        cells.raw("parent_code").filter(|code| !code.is_empty())
    }
}

/// The parent a warehouse row names: the stored one (`kept`) when the file
/// has no `parent_code` column, none when the cell is empty, else the
/// warehouse of that code, in the database or written by an earlier row.
fn parent(c: &mut Cells, ctx: &Context<'_, Warehouse>, kept: Option<i64>) -> Option<i64> {
    let code = match c.raw("parent_code") {
        None => return kept,
        Some("") => return None,
        Some(code) => code,
    };
    if code == ctx.key {
        c.fail("parent_code", "a warehouse cannot be its own parent");
        return kept;
    }
    if ctx.refs.get(code).is_none() {
        let message = match ctx.file.earlier(code) {
            Some(seen) if seen.refused => {
                format!(
                    "warehouse `{code}` (line {}) was refused, so it cannot be a parent",
                    seen.line
                )
            }
            _ => format!(
                "no warehouse `{code}` in the database or earlier in this file \
                 (list a parent before the warehouses it replenishes)"
            ),
        };
        c.fail("parent_code", message);
        return kept;
    }
    ctx.refs
        .resolve(c, "parent_code", code, "warehouse", kept)
        .or(kept)
}

/// Whether making `parent` the parent of `id` closes a loop in `parents`.
fn closes_loop(parents: &HashMap<i64, Option<i64>>, id: i64, parent: i64) -> bool {
    let mut next = Some(parent);
    for _ in 0..=parents.len() {
        match next {
            Some(at) if at == id => return true,
            Some(at) => next = parents.get(&at).copied().flatten(),
            None => return false,
        }
    }
    false
}

pub(crate) const LANE_COLUMNS: &[Column] = &[
    Column::key("from_warehouse_code").or(&["from_code"]),
    Column::key("to_warehouse_code").or(&["to_code"]),
    Column::create("transit_hours"),
    Column::create("cost"),
    Column::optional("currency"),
];

/// A lane's key in messages and lookups: its two ends.
fn lane_key(from: &str, to: &str) -> String {
    format!("{from}>{to}")
}

impl MasterImport for Lane {
    const KEY_COLUMN: &'static str = "from_warehouse_code";
    const RENAMED: &'static [(&'static str, &'static str)] = &[
        ("from_warehouse_id", "from_warehouse_code"),
        ("to_warehouse_id", "to_warehouse_code"),
    ];
    type Refs = Codes;

    fn conflict_columns() -> Vec<lane::Column> {
        vec![lane::Column::FromWarehouseId, lane::Column::ToWarehouseId]
    }

    fn row_key(cells: &mut Cells) -> Option<String> {
        let from = cells.value("from_warehouse_code", text::<String>);
        let to = cells.value("to_warehouse_code", text::<String>);
        Some(lane_key(&from?, &to?))
    }

    async fn references(db: &DatabaseTransaction, rows: &[Cells<'_>]) -> AppResult<Codes> {
        lookup::warehouses(db, rows, &["from_warehouse_code", "to_warehouse_code"]).await
    }

    /// The stored lanes between the warehouses the keys name.
    async fn existing(
        db: &DatabaseTransaction,
        keys: &[String],
        refs: &Codes,
    ) -> AppResult<HashMap<String, lane::Model>> {
        let mut wanted = HashMap::new();
        for key in keys {
            let Some((from, to)) = key.split_once('>') else {
                continue;
            };
            if let (Some(f), Some(t)) = (refs.get(from), refs.get(to)) {
                wanted.insert((f.id, t.id), key.clone());
            }
        }
        let from_ids: Vec<i64> = wanted.keys().map(|(f, _)| *f).collect();
        let mut found = HashMap::new();
        for chunk in from_ids.chunks(BATCH_ROWS) {
            for l in lane::Entity::find()
                .filter(lane::Column::FromWarehouseId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                if let Some(key) = wanted.get(&(l.from_warehouse_id, l.to_warehouse_id)) {
                    found.insert(key.clone(), l);
                }
            }
        }
        Ok(found)
    }

    /// A new lane's ends must be active warehouses; a stored lane's ends
    /// are its key and never change.
    fn read(c: &mut Cells, ctx: &Context<'_, Lane>) -> LaneFields {
        let new = ctx.creating();
        let (from, to) = ctx.key.split_once('>').unwrap_or((ctx.key, ""));
        let kept = |id: fn(&LaneFields) -> i64| ctx.base.map(id);
        let from_id = ctx.refs.resolve(
            c,
            "from_warehouse_code",
            from,
            "warehouse",
            kept(|b| b.from_warehouse_id),
        );
        let to_id = ctx.refs.resolve(
            c,
            "to_warehouse_code",
            to,
            "warehouse",
            kept(|b| b.to_warehouse_id),
        );
        let b = ctx.base.cloned().unwrap_or_else(|| LaneFields {
            from_warehouse_id: 0,
            to_warehouse_id: 0,
            transit_hours: 0.0,
            cost: rust_decimal::Decimal::ZERO,
            currency: Currency::eur(),
        });
        LaneFields {
            from_warehouse_id: from_id.unwrap_or(b.from_warehouse_id),
            to_warehouse_id: to_id.unwrap_or(b.to_warehouse_id),
            transit_hours: c.required("transit_hours", b.transit_hours, new, number),
            cost: c.required("cost", b.cost, new, decimal),
            currency: c.optional("currency", b.currency, Currency::eur, text),
        }
    }

    fn describe_key(key: &str) -> String {
        let (from, to) = key.split_once('>').unwrap_or((key, ""));
        format!("the lane from `{from}` to `{to}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_is_found_through_any_number_of_warehouses() {
        // 1 <- 2 <- 3; making 3 the parent of 1 closes a loop, 2 of 4 does not.
        let parents = HashMap::from([(1, None), (2, Some(1)), (3, Some(2)), (4, None)]);
        assert!(closes_loop(&parents, 1, 3));
        assert!(!closes_loop(&parents, 4, 2));
        let looped = HashMap::from([(5, Some(6)), (6, Some(5))]);
        assert!(!closes_loop(&looped, 7, 5), "an old loop elsewhere ends");
    }
}
