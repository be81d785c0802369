//! Reads of the ledger: on-hand by part, warehouse and condition, and
//! movement history with keyset pagination.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::vocabulary::{Condition, DocumentType, LocationKind};
use entities::{part, stock_balance, stock_document, stock_movement, warehouse};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::{Money, Validator};
use crate::store::error::AppResult;
use crate::store::ledger::Movement;
use crate::store::paging::{Page, PageParams};

/// Stock of one part in one warehouse and condition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockLevel {
    pub part_id: i64,
    pub part_number: String,
    pub warehouse_id: i64,
    pub warehouse_code: String,
    pub condition: Condition,
    pub on_hand: i32,
    pub reserved: i32,
    /// On hand minus reserved: what an issue or reservation may take.
    pub available: i32,
    /// On hand at unit cost.
    #[schema(value_type = String)]
    pub value: Decimal,
    pub currency: String,
}

/// Filters of `GET /api/v1/stock`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StockFilter {
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub condition: Option<Condition>,
    /// Include rows whose on-hand is zero (default false).
    pub include_empty: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn stock(db: &impl ConnectionTrait, f: StockFilter) -> AppResult<Page<StockLevel>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let mut q = stock_balance::Entity::find()
        .apply_if(f.part_id, |q, p| {
            q.filter(stock_balance::Column::PartId.eq(p))
        })
        .apply_if(f.warehouse_id, |q, w| {
            q.filter(stock_balance::Column::WarehouseId.eq(w))
        })
        .apply_if(f.condition, |q, c| {
            q.filter(stock_balance::Column::Condition.eq(c.as_str()))
        });
    if !f.include_empty.unwrap_or(false) {
        q = q.filter(stock_balance::Column::OnHand.gt(0));
    }
    let rows = page
        .fetch(db, q, stock_balance::Column::Id, |b| b.id)
        .await?;
    let part_ids: Vec<i64> = rows.items.iter().map(|b| b.part_id).collect();
    let warehouse_ids: Vec<i64> = rows.items.iter().map(|b| b.warehouse_id).collect();
    let parts: HashMap<i64, part::Model> = part::Entity::find()
        .filter(part::Column::Id.is_in(part_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let warehouses: HashMap<i64, String> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(warehouse_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect();
    let next_after = rows.next_after;
    let items = rows
        .items
        .into_iter()
        .map(|b| {
            let part = parts.get(&b.part_id);
            let unit_cost = match part {
                Some(p) => Money::from_db(&p.unit_cost)?.amount(),
                None => Decimal::ZERO,
            };
            Ok(StockLevel {
                part_number: part.map(|p| p.part_number.clone()).unwrap_or_default(),
                currency: part.map(|p| p.currency.clone()).unwrap_or_default(),
                warehouse_code: warehouses.get(&b.warehouse_id).cloned().unwrap_or_default(),
                condition: b.condition,
                available: b.on_hand - b.reserved,
                value: unit_cost * Decimal::from(b.on_hand),
                part_id: b.part_id,
                warehouse_id: b.warehouse_id,
                on_hand: b.on_hand,
                reserved: b.reserved,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page { items, next_after })
}

/// Filters of `GET /api/v1/stock/movements`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MovementFilter {
    pub part_id: Option<i64>,
    /// Movements into or out of this warehouse.
    pub warehouse_id: Option<i64>,
    pub document_id: Option<i64>,
    /// Posted at or after (RFC 3339, or a plain date for 00:00 UTC that day).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    #[param(value_type = Option<String>)]
    pub from: Option<DateTime<Utc>>,
    /// Posted before (RFC 3339, or a plain date).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    #[param(value_type = Option<String>)]
    pub to: Option<DateTime<Utc>>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn movements(db: &impl ConnectionTrait, f: MovementFilter) -> AppResult<Page<Movement>> {
    use stock_movement::Column as M;
    let page = PageParams::checked(f.after, f.limit)?;
    let (from, to) = ordered_window(f.from, f.to)?;
    let mut q = stock_movement::Entity::find()
        .apply_if(f.part_id, |q, p| q.filter(M::PartId.eq(p)))
        .apply_if(f.document_id, |q, d| q.filter(M::DocumentId.eq(d)))
        .apply_if(from, |q, t| q.filter(M::CreatedAt.gte(t)))
        .apply_if(to, |q, t| q.filter(M::CreatedAt.lt(t)));
    if let Some(w) = f.warehouse_id {
        let wh = LocationKind::Warehouse;
        q = q.filter(
            sea_orm::Condition::any()
                .add(M::FromKind.eq(wh).and(M::FromId.eq(w)))
                .add(M::ToKind.eq(wh).and(M::ToId.eq(w))),
        );
    }
    let rows = page.fetch(db, q, M::Id, |m| m.id).await?;
    let ids: Vec<i64> = rows.items.iter().map(|m| m.id).collect();
    let mut carried = crate::store::serials::of_movements(db, &ids).await?;
    Ok(rows.map(|m| Movement {
        serials: carried.remove(&m.id).unwrap_or_default(),
        ..Movement::from_row(m)
    }))
}

/// Filters of `GET /api/v1/stock/documents`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentFilter {
    /// Documents posted on this day (UTC), `YYYY-MM-DD`; not with `from`/`to`.
    #[serde(default, deserialize_with = "crate::core::input::optional_date")]
    #[param(value_type = Option<String>, example = "2026-12-01")]
    pub date: Option<NaiveDate>,
    /// Posted at or after (RFC 3339, or a plain date for 00:00 UTC that day).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    #[param(value_type = Option<String>)]
    pub from: Option<DateTime<Utc>>,
    /// Posted before (RFC 3339, or a plain date).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    #[param(value_type = Option<String>)]
    pub to: Option<DateTime<Utc>>,
    /// The document's kind: `receipt`, `issue`, `transfer_out`, ...
    pub kind: Option<DocumentType>,
    /// The warehouse the document was posted at.
    pub warehouse_id: Option<i64>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A posted document without its movements (those are at
/// `GET /api/v1/stock/documents/{id}`), with how much it moved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: i64,
    pub doc_type: DocumentType,
    pub warehouse_id: Option<i64>,
    pub reference: String,
    pub reason: String,
    pub counterparty: String,
    pub reverses_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    /// Movements (lines) the document posted.
    pub movements: i64,
    /// Units it moved, all lines together.
    pub units: i64,
}

/// The documents posted in a window, at a warehouse, of a kind: the day's
/// work of a warehouse at a glance.
pub async fn documents(
    db: &impl ConnectionTrait,
    f: DocumentFilter,
) -> AppResult<Page<DocumentSummary>> {
    use stock_document::Column as D;
    let page = PageParams::checked(f.after, f.limit)?;
    let (from, to) = document_window(&f)?;
    let q = stock_document::Entity::find()
        .apply_if(from, |q, t| q.filter(D::CreatedAt.gte(t)))
        .apply_if(to, |q, t| q.filter(D::CreatedAt.lt(t)))
        .apply_if(f.kind, |q, k| q.filter(D::DocType.eq(k)))
        .apply_if(f.warehouse_id, |q, w| q.filter(D::WarehouseId.eq(w)));
    let rows = page.fetch(db, q, D::Id, |d| d.id).await?;
    let ids: Vec<i64> = rows.items.iter().map(|d| d.id).collect();
    let moved = moved_by_document(db, &ids).await?;
    Ok(rows.map(|d| {
        let (movements, units) = moved.get(&d.id).copied().unwrap_or_default();
        DocumentSummary {
            id: d.id,
            doc_type: d.doc_type,
            warehouse_id: d.warehouse_id,
            reference: d.reference,
            reason: d.reason,
            counterparty: d.counterparty,
            reverses_document_id: d.reverses_document_id,
            created_by: d.created_by,
            created_at: d.created_at,
            movements,
            units,
        }
    }))
}

/// Optional `[from, to)` bounds of a time window.
type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `[from, to)` of a document list: a whole UTC day, or the bounds given.
fn document_window(f: &DocumentFilter) -> AppResult<Window> {
    let mut v = Validator::new();
    match f.date {
        Some(day) => {
            v.check(
                f.from.is_none() && f.to.is_none(),
                "date",
                "give a `date` or a `from`/`to` window, not both",
            );
            v.finish()?;
            let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
            Ok((Some(start), Some(start + chrono::Duration::days(1))))
        }
        None => ordered_window(f.from, f.to),
    }
}

/// `[from, to)` as given, refused (422) when `to` is not after `from`.
fn ordered_window(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> AppResult<Window> {
    let mut v = Validator::new();
    let ordered = match (from, to) {
        (Some(from), Some(to)) => to > from,
        _ => true,
    };
    v.check(ordered, "to", "must be after `from`");
    v.finish()?;
    Ok((from, to))
}

/// Movements and units per document.
async fn moved_by_document(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, (i64, i64)>> {
    use stock_movement::Column as M;
    let rows: Vec<(i64, i64, Option<i64>)> = stock_movement::Entity::find()
        .select_only()
        .column(M::DocumentId)
        .column_as(M::Id.count(), "movements")
        .column_as(M::Quantity.sum().cast_as("bigint"), "units")
        .filter(M::DocumentId.is_in(ids.iter().copied()))
        .group_by(M::DocumentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, movements, units)| (id, (movements, units.unwrap_or(0))))
        .collect())
}

/// Filters of `GET /api/v1/stock/totals`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TotalsFilter {
    pub part_id: Option<i64>,
    /// The condition counted (default `good`: what can serve a request).
    pub condition: Option<Condition>,
    /// Include parts with nothing on hand anywhere (default false).
    pub include_empty: Option<bool>,
    /// Return parts with an id greater than this (the previous page's `next_after`).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// One part's stock in one condition across every warehouse.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartTotal {
    pub part_id: i64,
    pub condition: Condition,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// Warehouses holding some of it.
    pub warehouses: i64,
}

/// Stock per part summed across warehouses, in one condition, paged by
/// part id.
pub async fn totals(db: &impl ConnectionTrait, f: TotalsFilter) -> AppResult<Page<PartTotal>> {
    use stock_balance::Column as B;
    let page = PageParams::checked(f.after, f.limit)?;
    let condition = f.condition.unwrap_or(Condition::Good);
    let limit = page
        .limit
        .unwrap_or(crate::store::paging::DEFAULT_PAGE_SIZE as i64) as u64;
    let on_hand = B::OnHand.sum().cast_as("bigint");
    let mut q = stock_balance::Entity::find()
        .select_only()
        .column(B::PartId)
        .column_as(on_hand.clone(), "on_hand")
        .column_as(B::Reserved.sum().cast_as("bigint"), "reserved")
        .column_as(
            Expr::case(B::OnHand.gt(0), Expr::val(1))
                .finally(Expr::val(0))
                .sum()
                .cast_as("bigint"),
            "warehouses",
        )
        .filter(B::Condition.eq(condition.as_str()))
        .filter(B::PartId.gt(page.after.unwrap_or(0)))
        .apply_if(f.part_id, |q, p| q.filter(B::PartId.eq(p)))
        .group_by(B::PartId)
        .order_by_asc(B::PartId)
        .limit(limit + 1);
    if !f.include_empty.unwrap_or(false) {
        q = q.having(on_hand.gt(0));
    }
    // (part_id, on_hand, reserved, warehouses holding some); sums are NULL-able.
    type TotalRow = (i64, Option<i64>, Option<i64>, Option<i64>);
    let mut rows: Vec<TotalRow> = q.into_tuple().all(db).await?;
    let next_after = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.0)
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|(part_id, on_hand, reserved, warehouses)| {
            let (on_hand, reserved) = (on_hand.unwrap_or(0), reserved.unwrap_or(0));
            PartTotal {
                part_id,
                condition,
                on_hand,
                reserved,
                available: on_hand - reserved,
                warehouses: warehouses.unwrap_or(0),
            }
        })
        .collect();
    Ok(Page { items, next_after })
}
