//! Reads of the ledger: on-hand by part, warehouse and condition, and
//! movement history with keyset pagination.
use std::collections::HashMap;

use entities::vocabulary::{Condition, LocationKind};
use entities::{part, stock_balance, stock_movement, warehouse};
use rust_decimal::Decimal;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Money;
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
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn movements(db: &impl ConnectionTrait, f: MovementFilter) -> AppResult<Page<Movement>> {
    use stock_movement::Column as M;
    let page = PageParams::checked(f.after, f.limit)?;
    let mut q = stock_movement::Entity::find()
        .apply_if(f.part_id, |q, p| q.filter(M::PartId.eq(p)))
        .apply_if(f.document_id, |q, d| q.filter(M::DocumentId.eq(d)));
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
