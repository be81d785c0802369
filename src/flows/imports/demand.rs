//! Demand history from a file: the units of a part (`part_number`)
//! demanded per month (`2025-03`) or ISO week (`2025-W10`) at a warehouse
//! (`warehouse_code`) or at a site (`site_code`, met by its serving
//! warehouse), from before the service's ledger began. Ledger forecasts
//! read it for the periods before a part's first movement at a warehouse
//! ([`crate::flows::forecast_runs::history`]).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::demand_history::{self, Column as D};
use entities::vocabulary::Bucket;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::lookup::{self, Codes};
use super::{Change, File, Importer};
use crate::core::Validator;
use crate::core::import::cells::{text, whole};
use crate::core::import::period::{self, Period, PeriodKind};
use crate::core::import::source::Record;
use crate::core::import::{CellError, Cells, Column, Header};
use crate::core::validate::MAX_LINE_QUANTITY;
use crate::store::error::AppResult;

pub(crate) const COLUMNS: &[Column] = &[
    Column::key("part_number"),
    Column::optional("warehouse_code"),
    Column::optional("site_code"),
    Column::key("period"),
    Column::required("quantity"),
];

/// The demand-history importer.
#[derive(Default)]
pub(crate) struct DemandHistory {
    /// The header names neither a warehouse nor a site column: every row
    /// would be refused for it, so it is said once.
    placeless: bool,
}

/// One period of history that passed its checks.
struct History {
    part_id: i64,
    warehouse_id: Option<i64>,
    site_id: Option<i64>,
    bucket: Bucket,
    start: DateTime<Utc>,
    quantity: i32,
}

impl History {
    fn key(&self) -> (i64, Option<i64>, Option<i64>, Bucket, DateTime<Utc>) {
        (
            self.part_id,
            self.warehouse_id,
            self.site_id,
            self.bucket,
            self.start,
        )
    }
}

/// What the rows of a batch name.
struct Names {
    parts: Codes,
    warehouses: Codes,
    sites: Codes,
}

impl Importer for DemandHistory {
    async fn batch(
        &mut self,
        db: &DatabaseTransaction,
        header: &Header,
        file: &mut File,
        rows: &[Record],
    ) -> AppResult<()> {
        if self.placeless || self.refuse_placeless_header(header, file) {
            return Ok(());
        }
        let mut cells = Cells::all(header, rows);
        let names = Names {
            parts: lookup::parts(db, &cells).await?,
            warehouses: lookup::warehouses(db, &cells, &["warehouse_code"]).await?,
            sites: lookup::sites(db, &cells).await?,
        };
        let mut accepted = Vec::new();
        for c in &mut cells {
            accepted.extend(read_history(c, file, &names));
        }
        file.reject(cells.into_iter().flat_map(Cells::finish).collect());
        write_history(db, file, accepted).await
    }
}

impl DemandHistory {
    /// Refuses a header with neither `warehouse_code` nor `site_code`.
    fn refuse_placeless_header(&mut self, header: &Header, file: &mut File) -> bool {
        if header.position("warehouse_code").is_some() || header.position("site_code").is_some() {
            return false;
        }
        self.placeless = true;
        file.reject(vec![CellError::new(
            1,
            "warehouse_code",
            "the header needs a `warehouse_code` or a `site_code` column: where the demand was",
        )]);
        true
    }
}

/// One row read and checked: a known part, exactly one known warehouse or
/// site, a complete period, 0 to 1,000,000 units (a document line's bound).
fn read_history(c: &mut Cells, file: &mut File, names: &Names) -> Option<History> {
    let number: Option<String> = c.value("part_number", text);
    let period = c.value("period", period::parse);
    let quantity = c.value("quantity", whole);
    let place = place(c);
    let (number, period, (place_column, place_code)) = (number?, period?, place?);
    let key = format!(
        "{number}\u{1f}{place_column}:{place_code}\u{1f}{}",
        period::label(period)
    );
    let what = format!(
        "part `{number}` at `{place_code}` in {}",
        period::label(period)
    );
    if !file.claim(c, "period", &key, &what) {
        return None;
    }
    let part_id = names.parts.existing(c, "part_number", &number, "part");
    let (warehouse_id, site_id) = match place_column {
        "site_code" => (
            None,
            names.sites.existing(c, "site_code", &place_code, "site"),
        ),
        _ => (
            names
                .warehouses
                .existing(c, "warehouse_code", &place_code, "warehouse"),
            None,
        ),
    };
    check_period(c, period, file.now());
    if let Some(q) = quantity {
        let mut v = Validator::new();
        v.range_i64("quantity", q.into(), 0, MAX_LINE_QUANTITY.into());
        if let Err(invalid) = v.finish() {
            c.invalid(invalid.0, &[]);
        }
    }
    if c.has_errors() {
        file.refuse(&key);
        return None;
    }
    Some(History {
        part_id: part_id?,
        warehouse_id,
        site_id,
        bucket: match period.kind {
            PeriodKind::Month => Bucket::Month,
            PeriodKind::Week => Bucket::Week,
        },
        start: period.start.and_time(chrono::NaiveTime::MIN).and_utc(),
        quantity: quantity?,
    })
}

/// The one place a row names: `("warehouse_code", code)` or
/// `("site_code", code)`.
fn place(c: &mut Cells) -> Option<(&'static str, String)> {
    let warehouse = c.raw("warehouse_code").filter(|s| !s.is_empty());
    let site = c.raw("site_code").filter(|s| !s.is_empty());
    match (warehouse, site) {
        (Some(code), None) => Some(("warehouse_code", code.to_owned())),
        (None, Some(code)) => Some(("site_code", code.to_owned())),
        (Some(_), Some(_)) => {
            c.fail(
                "site_code",
                "name a warehouse_code or a site_code, not both",
            );
            None
        }
        (None, None) => {
            let column = if c.has("warehouse_code") {
                "warehouse_code"
            } else {
                "site_code"
            };
            c.fail(
                column,
                "name the warehouse_code or the site_code the demand was at",
            );
            None
        }
    }
}

/// History ends with the last complete period: one still running (or to
/// come) is refused.
fn check_period(c: &mut Cells, p: Period, now: DateTime<Utc>) {
    if p.end() > now.date_naive() {
        c.fail(
            "period",
            format!(
                "{} is not over yet; history ends with the last complete period",
                period::label(p)
            ),
        );
    }
}

/// Counts and writes the batch's periods: new ones in one statement,
/// changed ones by id.
async fn write_history(
    db: &DatabaseTransaction,
    file: &mut File,
    rows: Vec<History>,
) -> AppResult<()> {
    let stored = stored_history(db, &rows).await?;
    let mut new = Vec::new();
    for h in rows {
        match stored.get(&h.key()) {
            None => {
                file.count(Change::Created);
                new.push(h);
            }
            Some(row) if row.quantity == h.quantity => file.count(Change::Unchanged),
            Some(row) => {
                file.count(Change::Updated);
                demand_history::Entity::update_many()
                    .col_expr(D::Quantity, Expr::value(h.quantity))
                    .col_expr(D::UpdatedBy, Expr::value(file.actor_id()))
                    .col_expr(D::UpdatedAt, Expr::value(file.now()))
                    .filter(D::Id.eq(row.id))
                    .exec(db)
                    .await?;
            }
        }
    }
    if new.is_empty() {
        return Ok(());
    }
    let (actor, now) = (file.actor_id(), file.now());
    demand_history::Entity::insert_many(new.into_iter().map(|h| demand_history::ActiveModel {
        part_id: Set(h.part_id),
        warehouse_id: Set(h.warehouse_id),
        site_id: Set(h.site_id),
        bucket: Set(h.bucket),
        period_start: Set(h.start),
        quantity: Set(h.quantity),
        updated_by: Set(actor),
        updated_at: Set(now),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

type HistoryKey = (i64, Option<i64>, Option<i64>, Bucket, DateTime<Utc>);

/// The stored periods of the batch's parts and periods, by their key.
async fn stored_history(
    db: &DatabaseTransaction,
    rows: &[History],
) -> AppResult<HashMap<HistoryKey, demand_history::Model>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let parts: HashSet<i64> = rows.iter().map(|h| h.part_id).collect();
    let starts: HashSet<DateTime<Utc>> = rows.iter().map(|h| h.start).collect();
    Ok(demand_history::Entity::find()
        .filter(D::PartId.is_in(parts))
        .filter(D::PeriodStart.is_in(starts))
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            (
                (
                    r.part_id,
                    r.warehouse_id,
                    r.site_id,
                    r.bucket,
                    r.period_start,
                ),
                r,
            )
        })
        .collect())
}
