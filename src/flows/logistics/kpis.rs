//! Logistics KPIs of process group 4.2 (issue 5, item 8) over a window
//! `[from, to)`, computed from the stored documents and the ledger:
//!
//! - **On-time delivery (OTS)**: shipments delivered in the window; the
//!   share delivered at or before their estimated arrival.
//! - **Repair success rate**: repair lines whose result was returned in the
//!   window; the share `repaired` (the rest went beyond repair).
//! - **Repair on-time rate**: the same lines; the share returned by their
//!   due date (`on_time` of [`super::repair`]'s repair report).
//! - **Average repair cycle**: the same lines; mean `returned_at - sent_at`
//!   in days (the repair report's turnaround).
//! - **Logistics cost rate**: the summed cost of shipments dispatched in the
//!   window divided by the value of stock moved out of warehouses in the
//!   window (issue and transfer-shipment movements, quantity times the
//!   part's current unit cost; movements later reversed are left out).
//! - **Inventory turnover in days (ITO)**, per warehouse and per part in a
//!   warehouse: average on-hand value over the window divided by the daily
//!   value issued to the field (issue movements to a site or an external
//!   destination, not reversed) in the window. The average on-hand value is
//!   approximated by the *current* on-hand value (all conditions, at the
//!   part's current unit cost): the ledger could replay history, but the
//!   approximation is what planners read today and is exact for a window
//!   ending now with steady stock.
//!
//! With `warehouse_id`, shipments count when they leave that warehouse,
//! repair lines when their order was sent from it, movements when they
//! leave it, and ITO rows are that warehouse's. Ratios are decimal strings;
//! a ratio whose denominator is zero is `null`.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::vocabulary::{LocationKind, MovementType, RepairOutcome};
use entities::{part, repair_line, repair_order, shipment, stock_balance, stock_movement};
use rust_decimal::Decimal;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repair::line_from_row;
use crate::core::Money;
use crate::store::error::{AppError, AppResult};

/// The longest window: five years.
pub const MAX_WINDOW_DAYS: i64 = 5 * 366;

/// Query of `GET /api/v1/kpis/logistics`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KpiWindow {
    /// Start of the window (inclusive), RFC 3339.
    #[serde(deserialize_with = "crate::core::input::timestamp")]
    pub from: DateTime<Utc>,
    /// End of the window (exclusive), RFC 3339; after `from`, at most five
    /// years later.
    #[serde(deserialize_with = "crate::core::input::timestamp")]
    pub to: DateTime<Utc>,
    /// Only this warehouse.
    #[serde(default)]
    pub warehouse_id: Option<i64>,
}

/// A share of counted things.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountRatio {
    pub numerator: i64,
    pub denominator: i64,
    /// `numerator / denominator` to four decimals; null when nothing was counted.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
}

/// A ratio of decimal amounts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AmountRatio {
    #[schema(value_type = String)]
    pub numerator: Decimal,
    #[schema(value_type = String)]
    pub denominator: Decimal,
    /// `numerator / denominator`; null when the denominator is zero.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
}

/// Average repair cycle: total days over returned lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CycleDays {
    /// Summed `returned_at - sent_at` in days, to two decimals.
    #[schema(value_type = String)]
    pub numerator: Decimal,
    /// Lines returned in the window.
    pub denominator: i64,
    /// Mean cycle in days, to two decimals; null when none returned.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
}

/// ITO of one warehouse (`part_id` null) or one part in one warehouse.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TurnoverRow {
    pub warehouse_id: i64,
    pub part_id: Option<i64>,
    /// Current on-hand value (the approximation of the average).
    #[schema(value_type = String)]
    pub numerator: Decimal,
    /// Value issued to the field per day of the window, to six decimals.
    #[schema(value_type = String)]
    pub denominator: Decimal,
    /// Days of stock, to two decimals; null when nothing was issued.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
}

/// Inventory turnover in days.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InventoryTurnover {
    pub by_warehouse: Vec<TurnoverRow>,
    pub by_part: Vec<TurnoverRow>,
}

/// The logistics KPIs over one window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogisticsKpis {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub warehouse_id: Option<i64>,
    pub on_time_delivery: CountRatio,
    pub repair_success_rate: CountRatio,
    pub repair_on_time_rate: CountRatio,
    pub average_repair_cycle_days: CycleDays,
    pub logistics_cost_rate: AmountRatio,
    pub inventory_turnover_days: InventoryTurnover,
}

fn share(num: i64, den: i64) -> CountRatio {
    CountRatio {
        numerator: num,
        denominator: den,
        value: (den != 0).then(|| {
            (Decimal::from(num) / Decimal::from(den))
                .round_dp(4)
                .normalize()
        }),
    }
}

fn in_window(t: DateTime<Utc>, w: &KpiWindow) -> bool {
    t >= w.from && t < w.to
}

fn validate(w: &KpiWindow) -> AppResult<()> {
    if w.to <= w.from {
        return Err(AppError::field("to", "must be after `from`"));
    }
    if w.to - w.from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::field("to", "the window is at most five years"));
    }
    Ok(())
}

/// Computes every KPI over the window.
pub async fn logistics(db: &impl ConnectionTrait, w: KpiWindow) -> AppResult<LogisticsKpis> {
    validate(&w)?;
    let wh = w.warehouse_id;
    let from_wh = |kind: LocationKind, id: Option<i64>| {
        kind == LocationKind::Warehouse && wh.is_none_or(|x| id == Some(x))
    };

    // On-time delivery and shipment cost.
    let shipments = shipment::Entity::find()
        .filter(
            shipment::Column::DeliveredAt
                .gte(w.from)
                .or(shipment::Column::DispatchedAt.gte(w.from)),
        )
        .all(db)
        .await?;
    let (mut delivered, mut on_time, mut cost) = (0i64, 0i64, Decimal::ZERO);
    for s in &shipments {
        if wh.is_some() && !from_wh(s.origin_kind, s.origin_id) {
            continue;
        }
        if let Some(d) = s.delivered_at.filter(|d| in_window(*d, &w)) {
            delivered += 1;
            on_time += i64::from(d <= s.estimated_arrival_at);
        }
        if in_window(s.dispatched_at, &w) {
            cost += Money::from_db(&s.cost)?.amount();
        }
    }

    // Repair lines returned in the window, through the repair report.
    let lines = repair_line::Entity::find()
        .filter(repair_line::Column::ReturnedAt.gte(w.from))
        .filter(repair_line::Column::ReturnedAt.lt(w.to))
        .all(db)
        .await?;
    let order_ids: HashSet<i64> = lines.iter().map(|l| l.repair_order_id).collect();
    let orders: HashMap<i64, repair_order::Model> = repair_order::Entity::find()
        .filter(repair_order::Column::Id.is_in(order_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let (mut returned, mut repaired, mut repair_on_time, mut cycle_seconds) = (0i64, 0, 0, 0i64);
    for l in lines {
        let Some(order) = orders.get(&l.repair_order_id) else {
            continue;
        };
        if wh.is_some_and(|x| x != order.warehouse_id) {
            continue;
        }
        let line = line_from_row(l, order.sent_at)?;
        if line.outcome == RepairOutcome::Pending {
            continue;
        }
        returned += 1;
        repaired += i64::from(line.outcome == RepairOutcome::Repaired);
        repair_on_time += i64::from(line.on_time == Some(true));
        cycle_seconds += line.turnaround_seconds.unwrap_or(0);
    }
    let day = Decimal::from(86_400);
    let cycle_days = Decimal::from(cycle_seconds) / day;

    // Stock moved out of warehouses and issued to the field.
    let unit_cost: HashMap<i64, Decimal> = part::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| Ok((p.id, Money::from_db(&p.unit_cost)?.amount())))
        .collect::<AppResult<_>>()?;
    let cost_of = |part: i64, qty: i32| {
        unit_cost.get(&part).copied().unwrap_or_default() * Decimal::from(qty)
    };
    let reversed: HashSet<i64> = stock_movement::Entity::find()
        .filter(stock_movement::Column::ReversesMovementId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.reverses_movement_id)
        .collect();
    let moves = stock_movement::Entity::find()
        .filter(stock_movement::Column::CreatedAt.gte(w.from))
        .filter(stock_movement::Column::CreatedAt.lt(w.to))
        .filter(
            stock_movement::Column::MovementType
                .is_in([MovementType::Issue, MovementType::TransferShip]),
        )
        .all(db)
        .await?;
    let mut moved_out = Decimal::ZERO;
    // (warehouse, part) -> value issued to the field.
    let mut issued: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
    for m in moves {
        if reversed.contains(&m.id) || !from_wh(m.from_kind, m.from_id) {
            continue;
        }
        let value = cost_of(m.part_id, m.quantity);
        moved_out += value;
        let to_field = m.to_kind == LocationKind::Site || m.to_kind == LocationKind::External;
        if m.movement_type == MovementType::Issue
            && to_field
            && let Some(from) = m.from_id
        {
            *issued.entry((from, m.part_id)).or_default() += value;
        }
    }

    // On-hand value now, per warehouse and part.
    let mut on_hand: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
    let mut balances = stock_balance::Entity::find();
    if let Some(x) = wh {
        balances = balances.filter(stock_balance::Column::WarehouseId.eq(x));
    }
    for b in balances.all(db).await? {
        if b.on_hand != 0 {
            *on_hand.entry((b.warehouse_id, b.part_id)).or_default() +=
                cost_of(b.part_id, b.on_hand);
        }
    }

    let days = Decimal::from((w.to - w.from).num_seconds()) / day;
    let turnover = |warehouse_id: i64, part_id: Option<i64>, value: Decimal, out: Decimal| {
        let daily = out / days;
        TurnoverRow {
            warehouse_id,
            part_id,
            numerator: value.normalize(),
            denominator: daily.round_dp(6).normalize(),
            value: (!out.is_zero()).then(|| (value * days / out).round_dp(2).normalize()),
        }
    };
    let keys: std::collections::BTreeSet<(i64, i64)> =
        on_hand.keys().chain(issued.keys()).copied().collect();
    let mut per_warehouse: BTreeMap<i64, (Decimal, Decimal)> = BTreeMap::new();
    let mut by_part = Vec::new();
    for (wid, pid) in keys {
        let v = on_hand.get(&(wid, pid)).copied().unwrap_or_default();
        let o = issued.get(&(wid, pid)).copied().unwrap_or_default();
        let e = per_warehouse.entry(wid).or_default();
        e.0 += v;
        e.1 += o;
        by_part.push(turnover(wid, Some(pid), v, o));
    }
    let by_warehouse = per_warehouse
        .into_iter()
        .map(|(wid, (v, o))| turnover(wid, None, v, o))
        .collect();

    Ok(LogisticsKpis {
        from: w.from,
        to: w.to,
        warehouse_id: wh,
        on_time_delivery: share(on_time, delivered),
        repair_success_rate: share(repaired, returned),
        repair_on_time_rate: share(repair_on_time, returned),
        average_repair_cycle_days: CycleDays {
            numerator: cycle_days.round_dp(2).normalize(),
            denominator: returned,
            value: (returned != 0).then(|| {
                (cycle_days / Decimal::from(returned))
                    .round_dp(2)
                    .normalize()
            }),
        },
        logistics_cost_rate: AmountRatio {
            numerator: cost.normalize(),
            denominator: moved_out.normalize(),
            value: (!moved_out.is_zero()).then(|| (cost / moved_out).round_dp(4).normalize()),
        },
        inventory_turnover_days: InventoryTurnover {
            by_warehouse,
            by_part,
        },
    })
}
