//! Looking up what a batch's rows name by code: one query per table per
//! batch (in chunks below every backend's bind-parameter limit), never
//! one per row.
use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, QuerySelect};

use entities::{part, site, warehouse};

use crate::core::import::{BATCH_ROWS, Cells};
use crate::flows::master::resource::MasterTable;
use crate::store::error::AppResult;

/// A stored row a code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub id: i64,
    pub active: bool,
}

/// The rows of one master table that some codes name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Codes {
    rows: HashMap<String, Found>,
}

impl Codes {
    /// The rows of `E` whose `column` (a code, or a part's number) is one
    /// of `codes`.
    pub async fn load<E: MasterTable>(
        db: &impl ConnectionTrait,
        column: E::Column,
        codes: HashSet<String>,
    ) -> AppResult<Codes> {
        let codes: Vec<String> = codes.into_iter().collect();
        let mut rows = HashMap::new();
        for chunk in codes.chunks(BATCH_ROWS) {
            let found: Vec<(i64, String, bool)> = E::find()
                .select_only()
                .column(E::ID)
                .column(column)
                .column(E::ACTIVE)
                .filter(column.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            for (id, code, active) in found {
                rows.insert(code, Found { id, active });
            }
        }
        Ok(Codes { rows })
    }

    pub fn get(&self, code: &str) -> Option<Found> {
        self.rows.get(code).copied()
    }

    /// The id the cell of `column` names by `code`, for a row that refers
    /// to a `what` (a warehouse, an SLA class, ...). An unknown code is
    /// refused; so is a deactivated row, unless the stored row already
    /// refers to it (`kept`): a record keeps working after what it refers
    /// to is deactivated, but cannot newly point at it.
    pub fn resolve(
        &self,
        cells: &mut Cells,
        column: &str,
        code: &str,
        what: &str,
        kept: Option<i64>,
    ) -> Option<i64> {
        match self.get(code) {
            None => {
                cells.fail(
                    column,
                    format!("no {what} `{code}` in the database; import or create it first"),
                );
                None
            }
            Some(found) if !found.active && kept != Some(found.id) => {
                cells.fail(column, format!("{what} `{code}` is deactivated"));
                None
            }
            Some(found) => Some(found.id),
        }
    }
}

impl Codes {
    /// A reference a new row must make (`serving_warehouse_code`): the
    /// stored row's (`kept`) when the file has no such column.
    pub fn required(
        &self,
        cells: &mut Cells,
        column: &str,
        what: &str,
        kept: Option<i64>,
    ) -> Option<i64> {
        let code: Option<String> =
            cells.required(column, None, kept.is_none(), |s| Ok(Some(s.to_owned())));
        match code {
            None => kept,
            Some(code) => self.resolve(cells, column, &code, what, kept).or(kept),
        }
    }

    /// A reference that may be empty (`sla_class_code`): kept when the
    /// file has no such column, none when the cell is empty.
    pub fn optional(
        &self,
        cells: &mut Cells,
        column: &str,
        what: &str,
        kept: Option<i64>,
    ) -> Option<i64> {
        match cells.raw(column) {
            None => kept,
            Some("") => None,
            Some(code) => self.resolve(cells, column, code, what, kept).or(kept),
        }
    }

    /// The id of the row `code` names in `column`, active or not (what an
    /// installed base or a history row counts for need only exist).
    pub fn existing(&self, cells: &mut Cells, column: &str, code: &str, what: &str) -> Option<i64> {
        let found = self.get(code);
        if found.is_none() {
            cells.fail(
                column,
                format!("no {what} `{code}` in the database; import or create it first"),
            );
        }
        found.map(|f| f.id)
    }
}

/// The rows whose `(a, b)` is one of `pairs`: exact, where `a IN (..) AND
/// b IN (..)` would also match every other combination.
pub(crate) fn pairs_in(
    a: impl ColumnTrait,
    b: impl ColumnTrait,
    pairs: impl IntoIterator<Item = (i64, i64)>,
) -> Condition {
    pairs.into_iter().fold(Condition::any(), |any, (x, y)| {
        any.add(Condition::all().add(a.eq(x)).add(b.eq(y)))
    })
}

/// The warehouses the rows name in `columns` (`warehouse_code`, a lane's
/// two ends, ...).
pub(crate) async fn warehouses(
    db: &impl ConnectionTrait,
    rows: &[Cells<'_>],
    columns: &[&str],
) -> AppResult<Codes> {
    let codes = columns.iter().flat_map(|c| codes_in(rows, c)).collect();
    Codes::load::<warehouse::Entity>(db, warehouse::Column::Code, codes).await
}

/// The parts the rows name in `part_number`.
pub(crate) async fn parts(db: &impl ConnectionTrait, rows: &[Cells<'_>]) -> AppResult<Codes> {
    let numbers = codes_in(rows, "part_number");
    Codes::load::<part::Entity>(db, part::Column::PartNumber, numbers).await
}

/// The sites the rows name in `site_code`.
pub(crate) async fn sites(db: &impl ConnectionTrait, rows: &[Cells<'_>]) -> AppResult<Codes> {
    Codes::load::<site::Entity>(db, site::Column::Code, codes_in(rows, "site_code")).await
}

/// The distinct non-empty texts `cells` hold in `column`.
pub(crate) fn codes_in<'a>(
    cells: impl IntoIterator<Item = &'a Cells<'a>>,
    column: &str,
) -> HashSet<String> {
    cells
        .into_iter()
        .filter_map(|c| c.raw(column))
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect()
}
