//! Replenishment (process 4.2.2): the reorder point and maximum level of
//! each part in each warehouse, the suggestions they give against the
//! inventory position, and turning suggestions into purchase orders.
//!
//! # Inventory position
//! `on_hand + on_order + in_transit - reserved - backorders`, in `good`
//! units of one part at one warehouse:
//! - `on_hand`, `reserved`: the warehouse's `good` balance row;
//! - `on_order`: units still outstanding on `open` and `partially_received`
//!   purchase orders delivering to the warehouse;
//! - `in_transit`: the ledger's net quantity in `in_transit` of the
//!   transfers whose destination is the warehouse
//!   ([`super::transfers::in_transit`]), whatever condition they will
//!   arrive in;
//! - `backorders`: units of backordered replacement requests from sites
//!   this warehouse serves ([`crate::flows::allocation::backorders::units_at`]).
//!
//! A part is suggested when its position is at or below its reorder point,
//! for `max_level - position` units (an (s, S) policy). Deactivated parts
//! are not suggested.
//!
//! # Source
//! The warehouse's parent (its replenishment source in the network) when it
//! has one, active, with `good` units available (on hand minus reserved) of
//! the part: a transfer, which the planner raises with the transfers API.
//! Otherwise a purchase from a supplier. Parts do not name a preferred
//! supplier, so the suggested vendor is the first active vendor of kind
//! `supplier` or `both` (lowest id); the planner may order from another.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::stock_level::{self, Column as S};
use entities::vocabulary::{Condition, ReorderLevelSource, VendorKind};
use entities::{part, stock_balance, vendor, warehouse};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::purchasing::{self, NewPurchaseOrder, NewPurchaseOrderLine, PurchaseOrder};
use super::transfers::{self, InTransitFilter};
use crate::core::Validator;
use crate::core::validate::{MAX_LINE_QUANTITY, MAX_NAME};
use crate::store::error::{AppError, AppResult, FieldError};
use crate::store::lookups::{active_parts, active_warehouse};
use crate::store::paging::{Page, PageParams};

/// Body of `PUT /api/v1/stock-levels/{warehouse_id}/{part_id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderLevelRequest {
    /// Replenish when the inventory position is at or below this.
    #[schema(minimum = 0, maximum = 1000000)]
    pub reorder_point: i32,
    /// Replenish up to this; at least the reorder point.
    #[schema(minimum = 0, maximum = 1000000)]
    pub max_level: i32,
    /// `manual` unless said.
    #[serde(default)]
    pub source: ReorderLevelSource,
}

impl ReorderLevelRequest {
    /// Both levels 0 to [`MAX_LINE_QUANTITY`], the maximum at least the
    /// reorder point.
    pub fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        let max = i64::from(MAX_LINE_QUANTITY);
        v.range_i64("reorder_point", self.reorder_point.into(), 0, max)
            .range_i64("max_level", self.max_level.into(), 0, max)
            .check(
                self.max_level >= self.reorder_point,
                "max_level",
                "must be at least reorder_point",
            );
        Ok(v.finish()?)
    }
}

/// A part's reorder point and maximum level in a warehouse.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReorderLevel {
    pub id: i64,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub reorder_point: i32,
    pub max_level: i32,
    pub source: ReorderLevelSource,
    pub updated_by: i64,
    pub updated_at: chrono::DateTime<Utc>,
}

impl ReorderLevel {
    fn from_row(r: stock_level::Model) -> ReorderLevel {
        ReorderLevel {
            source: r.source,
            id: r.id,
            part_id: r.part_id,
            warehouse_id: r.warehouse_id,
            reorder_point: r.reorder_point,
            max_level: r.max_level,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

/// Sets (creates or replaces) the level of a part in a warehouse.
pub async fn set_level(
    db: &impl ConnectionTrait,
    actor_id: i64,
    warehouse_id: i64,
    part_id: i64,
    req: ReorderLevelRequest,
    now: DateTime<Utc>,
) -> AppResult<ReorderLevel> {
    req.validate()?;
    active_warehouse(db, warehouse_id, "warehouse_id").await?;
    active_parts(db, &[part_id]).await.map_err(|_| {
        AppError::field(
            "part_id",
            format!("part {part_id} does not exist or is deactivated"),
        )
    })?;
    write_levels(db, [(warehouse_id, part_id, &req)], actor_id, now).await?;
    let row = stock_level::Entity::find()
        .filter(S::PartId.eq(part_id))
        .filter(S::WarehouseId.eq(warehouse_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("stock level vanished after upsert".into()))?;
    Ok(ReorderLevel::from_row(row))
}

/// Sets the level of each `(warehouse_id, part_id, level)`, creating the
/// new ones, in one statement (`INSERT .. ON CONFLICT DO UPDATE`; also a
/// CSV import's batch).
pub async fn write_levels<'r>(
    db: &impl ConnectionTrait,
    levels: impl IntoIterator<Item = (i64, i64, &'r ReorderLevelRequest)>,
    actor_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let rows: Vec<stock_level::ActiveModel> = levels
        .into_iter()
        .map(|(warehouse_id, part_id, level)| stock_level::ActiveModel {
            part_id: Set(part_id),
            warehouse_id: Set(warehouse_id),
            reorder_point: Set(level.reorder_point),
            max_level: Set(level.max_level),
            source: Set(level.source),
            updated_by: Set(actor_id),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    stock_level::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([S::PartId, S::WarehouseId])
                .update_columns([
                    S::ReorderPoint,
                    S::MaxLevel,
                    S::Source,
                    S::UpdatedBy,
                    S::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Filters of `GET /api/v1/stock-levels`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LevelFilter {
    pub warehouse_id: Option<i64>,
    pub part_id: Option<i64>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list_levels(
    db: &impl ConnectionTrait,
    f: LevelFilter,
) -> AppResult<Page<ReorderLevel>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = stock_level::Entity::find()
        .apply_if(f.warehouse_id, |q, w| q.filter(S::WarehouseId.eq(w)))
        .apply_if(f.part_id, |q, p| q.filter(S::PartId.eq(p)));
    Ok(page
        .fetch(db, q, S::Id, |r| r.id)
        .await?
        .map(ReorderLevel::from_row))
}

/// Where a suggested replenishment comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplenishmentSourceKind {
    /// A transfer from the warehouse's parent.
    Transfer,
    /// A purchase order to a supplier.
    Purchase,
}

/// The suggested source of a replenishment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestedSource {
    pub kind: ReplenishmentSourceKind,
    /// For a transfer: the parent warehouse.
    pub warehouse_id: Option<i64>,
    /// For a transfer: `good` units available (on hand minus reserved) at
    /// the parent, which may be fewer than suggested.
    pub available: Option<i32>,
    /// For a purchase: the first active supplier; absent when there is none.
    pub vendor_id: Option<i64>,
}

/// One part to replenish at a warehouse, with the figures behind it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplenishmentSuggestion {
    pub part_id: i64,
    pub part_number: String,
    pub reorder_point: i32,
    pub max_level: i32,
    pub on_hand: i64,
    pub on_order: i64,
    /// Shipped by transfers to this warehouse, not yet received.
    pub in_transit: i64,
    pub reserved: i64,
    /// Units of backordered replacement requests from sites this
    /// warehouse serves.
    pub backorders: i64,
    /// `on_hand + on_order + in_transit - reserved - backorders`.
    pub inventory_position: i64,
    /// `max_level - inventory_position`.
    pub quantity: i64,
    pub source: SuggestedSource,
}

/// The answer of `GET /api/v1/replenishment/suggestions`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplenishmentSuggestions {
    pub warehouse_id: i64,
    /// The parent warehouse transfers would come from, if any.
    pub parent_id: Option<i64>,
    pub suggestions: Vec<ReplenishmentSuggestion>,
}

/// Query of `GET /api/v1/replenishment/suggestions`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionQuery {
    pub warehouse_id: i64,
}

/// `(on_hand, reserved)` of `good` stock per part in a warehouse.
async fn good_stock(
    db: &impl ConnectionTrait,
    warehouse_id: i64,
) -> AppResult<HashMap<i64, (i64, i64)>> {
    Ok(stock_balance::Entity::find()
        .filter(stock_balance::Column::WarehouseId.eq(warehouse_id))
        .filter(stock_balance::Column::Condition.eq(Condition::Good))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.part_id, (i64::from(b.on_hand), i64::from(b.reserved))))
        .collect())
}

/// The first active vendor that sells parts (lowest id).
pub async fn default_supplier(db: &impl ConnectionTrait) -> AppResult<Option<vendor::Model>> {
    Ok(vendor::Entity::find()
        .filter(vendor::Column::Active.eq(true))
        .filter(vendor::Column::Kind.is_in([VendorKind::Supplier, VendorKind::Both]))
        .order_by_asc(vendor::Column::Id)
        .one(db)
        .await?)
}

/// The replenishment suggestions of one warehouse, in part id order.
pub async fn suggestions(
    db: &impl ConnectionTrait,
    warehouse_id: i64,
) -> AppResult<ReplenishmentSuggestions> {
    let Some(wh) = warehouse::Entity::find_by_id(warehouse_id).one(db).await? else {
        return Err(AppError::field(
            "warehouse_id",
            format!("warehouse {warehouse_id} does not exist"),
        ));
    };
    let levels = stock_level::Entity::find()
        .filter(S::WarehouseId.eq(warehouse_id))
        .order_by_asc(S::PartId)
        .all(db)
        .await?;
    let here = good_stock(db, warehouse_id).await?;
    let on_order = purchasing::on_order(db, warehouse_id).await?;
    let mut arriving: HashMap<i64, i64> = HashMap::new();
    let report = transfers::in_transit(
        db,
        InTransitFilter {
            from_warehouse_id: None,
            to_warehouse_id: Some(warehouse_id),
        },
    )
    .await?;
    for t in report.transfers {
        for p in t.parts {
            *arriving.entry(p.part_id).or_default() += p.quantity;
        }
    }
    let parent = match wh.parent_id {
        Some(p) => warehouse::Entity::find_by_id(p)
            .one(db)
            .await?
            .filter(|w| w.active),
        None => None,
    };
    let at_parent = match &parent {
        Some(p) => good_stock(db, p.id).await?,
        None => HashMap::new(),
    };
    let supplier = default_supplier(db).await?.map(|v| v.id);
    let backordered = crate::flows::allocation::backorders::units_at(db, warehouse_id).await?;
    // Deactivated parts are no longer bought or moved: not suggested.
    let part_numbers: HashMap<i64, String> = part::Entity::find()
        .filter(part::Column::Id.is_in(levels.iter().map(|l| l.part_id)))
        .filter(part::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.part_number))
        .collect();

    let mut out = Vec::new();
    for l in levels {
        let Some(part_number) = part_numbers.get(&l.part_id) else {
            continue;
        };
        let (on_hand, reserved) = here.get(&l.part_id).copied().unwrap_or((0, 0));
        let ordered = on_order.get(&l.part_id).copied().unwrap_or(0);
        let in_transit = arriving.get(&l.part_id).copied().unwrap_or(0);
        let backorders = backordered.get(&l.part_id).copied().unwrap_or(0);
        let position = on_hand + ordered + in_transit - reserved - backorders;
        let quantity = i64::from(l.max_level) - position;
        if position > i64::from(l.reorder_point) || quantity <= 0 {
            continue;
        }
        let parent_available = at_parent.get(&l.part_id).map(|(h, r)| h - r).unwrap_or(0);
        let source = match &parent {
            Some(p) if parent_available > 0 => SuggestedSource {
                kind: ReplenishmentSourceKind::Transfer,
                warehouse_id: Some(p.id),
                available: Some(i32::try_from(parent_available).unwrap_or(i32::MAX)),
                vendor_id: None,
            },
            _ => SuggestedSource {
                kind: ReplenishmentSourceKind::Purchase,
                warehouse_id: None,
                available: None,
                vendor_id: supplier,
            },
        };
        out.push(ReplenishmentSuggestion {
            part_number: part_number.clone(),
            part_id: l.part_id,
            reorder_point: l.reorder_point,
            max_level: l.max_level,
            on_hand,
            on_order: ordered,
            in_transit,
            reserved,
            backorders,
            inventory_position: position,
            quantity,
            source,
        });
    }
    Ok(ReplenishmentSuggestions {
        warehouse_id,
        parent_id: parent.map(|p| p.id),
        suggestions: out,
    })
}

/// One line of `POST /api/v1/replenishment/orders`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplenishmentOrderLine {
    pub part_id: i64,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
}

/// Body of `POST /api/v1/replenishment/orders`: suggestions the planner
/// accepted (possibly with changed quantities), to buy.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplenishmentOrderRequest {
    pub warehouse_id: i64,
    /// The supplier; the first active supplier when absent.
    #[serde(default)]
    pub vendor_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    /// Parts with a stock level at the warehouse.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<ReplenishmentOrderLine>,
}

/// Turns accepted suggestions into one open purchase order at the parts'
/// unit costs, expected after the vendor's lead time. Every part must have
/// a stock level at the warehouse: this buys to plan; anything else is an
/// ordinary purchase order.
pub async fn order(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ReplenishmentOrderRequest,
    now: DateTime<Utc>,
) -> AppResult<PurchaseOrder> {
    let mut v = Validator::new();
    v.optional_text("reference", &req.reference, MAX_NAME);
    v.finish()?;
    let vendor = match req.vendor_id {
        Some(id) => purchasing::active_supplier(db, id, "vendor_id").await?,
        None => default_supplier(db)
            .await?
            .ok_or_else(|| AppError::field("vendor_id", "no active supplier exists; name one"))?,
    };
    let planned: std::collections::HashSet<i64> = stock_level::Entity::find()
        .filter(S::WarehouseId.eq(req.warehouse_id))
        .filter(S::PartId.is_in(req.lines.iter().map(|l| l.part_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.part_id)
        .collect();
    for (i, l) in req.lines.iter().enumerate() {
        if !planned.contains(&l.part_id) {
            v.push(FieldError::new(
                format!("lines[{i}].part_id"),
                format!(
                    "part {} has no stock level at warehouse {}",
                    l.part_id, req.warehouse_id
                ),
            ));
        }
    }
    v.finish()?;
    let reference = if req.reference.is_empty() {
        format!("replenishment of warehouse {}", req.warehouse_id)
    } else {
        req.reference
    };
    purchasing::create(
        db,
        actor_id,
        NewPurchaseOrder {
            vendor_id: vendor.id,
            warehouse_id: req.warehouse_id,
            reference,
            expected_at: Some(now + Duration::days(vendor.lead_time_days.into())),
            lines: req
                .lines
                .into_iter()
                .map(|l| NewPurchaseOrderLine {
                    part_id: l.part_id,
                    quantity: l.quantity,
                    unit_price: None,
                })
                .collect(),
        },
        now,
    )
    .await
}
