//! Demand history from the ledger: what each warehouse issued to the field,
//! per part, in calendar buckets.
//!
//! Demand is the net outflow to customers: issue movements from a warehouse
//! to a site or an external destination, less reversals of such issues. A
//! transfer between warehouses is not demand. Buckets are UTC calendar
//! months or ISO weeks (Monday to Sunday); only complete buckets are used,
//! so the history ends where the current bucket begins.
//!
//! Before the ledger began, demand comes from the history a company
//! imported (`demand_history`, in the run's own bucket: months for monthly
//! runs, weeks for weekly ones): a period counts for a part and warehouse
//! if it ends before the bucket of the part's first movement at that
//! warehouse, from which on the ledger speaks. A site's history counts for
//! the warehouse serving the site now.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use entities::stock_movement::{self, Column as M};
use entities::vocabulary::{LocationKind, MovementType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait};

use crate::store::error::AppResult;

pub use entities::vocabulary::Bucket;

/// Calendar arithmetic on demand buckets.
pub trait BucketTime: Copy {
    /// The start of the bucket containing `t`.
    fn start_of(self, t: DateTime<Utc>) -> DateTime<Utc>;
    /// The start of the bucket `n` buckets before the one starting at `start`.
    fn back(self, start: DateTime<Utc>, n: u32) -> DateTime<Utc>;
    fn index(self, origin: DateTime<Utc>, t: DateTime<Utc>) -> usize;
}

impl BucketTime for Bucket {
    fn start_of(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let d = t.date_naive();
        let first = match self {
            Bucket::Month => NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d),
            Bucket::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        };
        Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
    }

    fn back(self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        match self {
            Bucket::Month => start
                .checked_sub_months(chrono::Months::new(n))
                .unwrap_or(start),
            Bucket::Week => start - Duration::weeks(i64::from(n)),
        }
    }

    fn index(self, origin: DateTime<Utc>, t: DateTime<Utc>) -> usize {
        match self {
            Bucket::Month => {
                let months =
                    (t.year() - origin.year()) * 12 + t.month() as i32 - origin.month() as i32;
                months.max(0) as usize
            }
            Bucket::Week => ((t - origin).num_days() / 7).max(0) as usize,
        }
    }
}

/// The demand of one part at one warehouse, oldest bucket first.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandSeries {
    pub part_id: i64,
    pub warehouse_id: i64,
    pub values: Vec<f64>,
}

/// The window of complete buckets ending before `now`: `periods` of them.
pub fn window(bucket: Bucket, periods: u32, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = bucket.start_of(now);
    (bucket.back(end, periods), end)
}

/// Demand per (part, warehouse) in `[from, to)`, one value per bucket.
/// Series with no demand at all in the window are left out unless a part is
/// named in `part_ids` (a planner asking for a part gets its zeros).
pub async fn demand_series(
    db: &impl ConnectionTrait,
    bucket: Bucket,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    warehouse_id: Option<i64>,
    part_ids: Option<&[i64]>,
) -> AppResult<Vec<DemandSeries>> {
    let periods = bucket.index(from, to);
    let field = [LocationKind::Site, LocationKind::External];
    let mut q = stock_movement::Entity::find()
        .filter(M::CreatedAt.gte(from))
        .filter(M::CreatedAt.lt(to))
        .filter(M::MovementType.is_in([MovementType::Issue, MovementType::Reversal]));
    q = q.apply_if(part_ids, |q, ids| {
        q.filter(M::PartId.is_in(ids.iter().copied()))
    });
    let mut by_key: BTreeMap<(i64, i64), Vec<f64>> = BTreeMap::new();
    for m in q.all(db).await? {
        let warehouse = LocationKind::Warehouse;
        // Issue: warehouse -> field is demand; its reversal field -> warehouse undoes it.
        let (wh, sign) = if m.from_kind == warehouse && field.contains(&m.to_kind) {
            (m.from_id, 1.0)
        } else if m.to_kind == warehouse && field.contains(&m.from_kind) {
            (m.to_id, -1.0)
        } else {
            continue;
        };
        let Some(wh) = wh else { continue };
        if warehouse_id.is_some_and(|w| w != wh) {
            continue;
        }
        let i = bucket.index(from, m.created_at);
        if i < periods {
            by_key
                .entry((m.part_id, wh))
                .or_insert_with(|| vec![0.0; periods])[i] += sign * f64::from(m.quantity);
        }
    }
    for (key, i, units) in imported(db, bucket, from, to, warehouse_id, part_ids).await? {
        by_key.entry(key).or_insert_with(|| vec![0.0; periods])[i] += units;
    }
    if let (Some(ids), Some(wh)) = (part_ids, warehouse_id) {
        for id in ids {
            by_key
                .entry((*id, wh))
                .or_insert_with(|| vec![0.0; periods]);
        }
    }
    Ok(by_key
        .into_iter()
        .map(|((part_id, warehouse_id), values)| DemandSeries {
            part_id,
            warehouse_id,
            // A reversal in a later bucket than its issue could push a bucket
            // below zero; demand is never negative.
            values: values.into_iter().map(|v| v.max(0.0)).collect(),
        })
        .collect())
}

/// Imported history in `[from, to)`: `((part, warehouse), bucket index,
/// units)` for each period before the part's first movement at the
/// warehouse.
async fn imported(
    db: &impl ConnectionTrait,
    bucket: Bucket,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    warehouse_id: Option<i64>,
    part_ids: Option<&[i64]>,
) -> AppResult<Vec<((i64, i64), usize, f64)>> {
    use entities::demand_history::{self, Column as H};
    let mut q = demand_history::Entity::find()
        .filter(H::Bucket.eq(bucket))
        .filter(H::PeriodStart.gte(from))
        .filter(H::PeriodStart.lt(to));
    if let Some(ids) = part_ids {
        q = q.filter(H::PartId.is_in(ids.iter().copied()));
    }
    let rows = q.all(db).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let serving = serving_warehouses(db, rows.iter().filter_map(|r| r.site_id)).await?;
    let parts: Vec<i64> = rows.iter().map(|r| r.part_id).collect();
    let firsts = first_movements(db, &parts).await?;
    let periods = bucket.index(from, to);
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let wh = r
                .warehouse_id
                .or_else(|| serving.get(&r.site_id?).copied())?;
            let key = (r.part_id, wh);
            let ledger_began = firsts.get(&key).map(|t| bucket.start_of(*t));
            let i = bucket.index(from, r.period_start);
            let before_ledger = ledger_began.is_none_or(|began| r.period_start < began);
            (warehouse_id.is_none_or(|w| w == wh) && before_ledger && i < periods)
                .then(|| (key, i, f64::from(r.quantity)))
        })
        .collect())
}

/// The warehouse serving each of `sites`.
async fn serving_warehouses(
    db: &impl ConnectionTrait,
    sites: impl Iterator<Item = i64>,
) -> AppResult<HashMap<i64, i64>> {
    use entities::site;
    let ids: BTreeSet<i64> = sites.collect();
    let mut serving = HashMap::new();
    for chunk in ids.iter().copied().collect::<Vec<_>>().chunks(500) {
        for s in site::Entity::find()
            .filter(site::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            serving.insert(s.id, s.serving_warehouse_id);
        }
    }
    Ok(serving)
}

/// When each of `parts` first moved into or out of each warehouse.
async fn first_movements(
    db: &impl ConnectionTrait,
    parts: &[i64],
) -> AppResult<HashMap<(i64, i64), DateTime<Utc>>> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let parts: BTreeSet<i64> = parts.iter().copied().collect();
    let parts: Vec<i64> = parts.into_iter().collect();
    // The first movement is the one with the lowest id: ids grow with time.
    let mut first_ids: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for chunk in parts.chunks(500) {
        for (kind, id) in [(M::FromKind, M::FromId), (M::ToKind, M::ToId)] {
            let rows: Vec<(i64, Option<i64>, Option<i64>)> = stock_movement::Entity::find()
                .select_only()
                .column(M::PartId)
                .column(id)
                .column_as(Expr::col(M::Id).min(), "first_id")
                .filter(kind.eq(LocationKind::Warehouse))
                .filter(M::PartId.is_in(chunk.iter().copied()))
                .group_by(M::PartId)
                .group_by(id)
                .into_tuple()
                .all(db)
                .await?;
            for (part, warehouse, first) in rows {
                if let (Some(wh), Some(first)) = (warehouse, first) {
                    let e = first_ids.entry((part, wh)).or_insert(first);
                    *e = Ord::min(*e, first);
                }
            }
        }
    }
    let ids: Vec<i64> = first_ids.values().copied().collect();
    let mut at = HashMap::new();
    for chunk in ids.chunks(500) {
        for m in stock_movement::Entity::find()
            .filter(M::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            at.insert(m.id, m.created_at);
        }
    }
    Ok(first_ids
        .into_iter()
        .filter_map(|(key, id)| Some((key, *at.get(&id)?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn month_buckets_end_before_the_current_month() {
        let (from, to) = window(Bucket::Month, 3, at(2026, 3, 15));
        assert_eq!(from, Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
        assert_eq!(Bucket::Month.index(from, at(2026, 2, 28)), 2);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-23 is a Monday.
        assert_eq!(
            Bucket::Week.start_of(at(2026, 11, 26)),
            Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
        );
        let (from, to) = window(Bucket::Week, 4, at(2026, 11, 26));
        assert_eq!((to - from).num_days(), 28);
    }
}
