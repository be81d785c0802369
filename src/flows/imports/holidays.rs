//! Holidays from a file: one row per day off, named by its `day` and
//! `region` (empty: every site), with its `name` — the business calendar
//! that SLA deadlines skip, as `POST /api/v1/holidays` adds it.
use std::collections::HashMap;

use chrono::NaiveDate;
use entities::holiday::{self, Column as H};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::{Change, File, Importer};
use crate::core::Validator;
use crate::core::fields::Name;
use crate::core::import::cells::text;
use crate::core::import::source::Record;
use crate::core::import::{Cells, Column, Header};
use crate::core::validate::MAX_NAME;
use crate::store::error::AppResult;

pub(crate) const COLUMNS: &[Column] = &[
    Column::key("day"),
    Column::optional("region"),
    Column::required("name"),
];

/// Holidays from a file.
pub(crate) struct Holidays;

/// One row that passed its checks.
struct DayOff {
    day: String,
    region: String,
    name: String,
}

impl Importer for Holidays {
    async fn batch(
        &mut self,
        db: &DatabaseTransaction,
        header: &Header,
        file: &mut File,
        rows: &[Record],
    ) -> AppResult<()> {
        let mut cells = Cells::all(header, rows);
        let mut accepted = Vec::new();
        for c in &mut cells {
            if let Some(day_off) = read_day_off(c, file) {
                accepted.push(day_off);
            }
        }
        let errors = cells.into_iter().flat_map(Cells::finish).collect();
        file.reject(errors);
        let stored = stored_days_off(db, &accepted).await?;
        let mut changed = Vec::new();
        for d in accepted {
            let change = match stored.get(&(d.day.clone(), d.region.clone())) {
                None => Change::Created,
                Some(name) if *name == d.name => Change::Unchanged,
                Some(_) => Change::Updated,
            };
            file.count(change);
            if change != Change::Unchanged {
                changed.push(d);
            }
        }
        write_days_off(db, changed, file.now()).await
    }
}

/// One row's day, region and name, checked as `POST /api/v1/holidays`
/// checks them.
fn read_day_off(c: &mut Cells, file: &mut File) -> Option<DayOff> {
    let day = c.value("day", date);
    let region = c.raw("region").unwrap_or("").trim().to_owned();
    let name: Option<Name> = c.value("name", text);
    let day = day?;
    let key = format!("{day}\u{1f}{region}");
    let what = if region.is_empty() {
        format!("{day} for every region")
    } else {
        format!("{day} in region `{region}`")
    };
    if !file.claim(c, "day", &key, &what) {
        return None;
    }
    let name = name?;
    let mut v = Validator::new();
    v.rule("name", &name)
        .optional_text("region", &region, MAX_NAME);
    if let Err(invalid) = v.finish() {
        c.invalid(invalid.0, &[]);
    }
    if c.has_errors() {
        file.refuse(&key);
        return None;
    }
    Some(DayOff {
        day: day.format("%Y-%m-%d").to_string(),
        region,
        name: name.as_str().trim().to_owned(),
    })
}

/// A `YYYY-MM-DD` date.
fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; write it as YYYY-MM-DD"))
}

/// The stored names of the batch's days off, by day and region.
async fn stored_days_off(
    db: &DatabaseTransaction,
    rows: &[DayOff],
) -> AppResult<HashMap<(String, String), String>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let days: Vec<&str> = rows.iter().map(|r| r.day.as_str()).collect();
    Ok(holiday::Entity::find()
        .filter(H::Day.is_in(days))
        .all(db)
        .await?
        .into_iter()
        .map(|h| ((h.day, h.region), h.name))
        .collect())
}

/// Creates the new days off and renames the changed ones, in one statement.
async fn write_days_off(
    db: &DatabaseTransaction,
    rows: Vec<DayOff>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let models = rows.into_iter().map(|d| holiday::ActiveModel {
        day: Set(d.day),
        region: Set(d.region),
        name: Set(d.name),
        created_at: Set(now),
        ..Default::default()
    });
    holiday::Entity::insert_many(models)
        .on_conflict(
            OnConflict::columns([H::Day, H::Region])
                .update_column(H::Name)
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
