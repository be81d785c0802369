//! Logistics KPIs of process group 4.2 over a window `[from, to)`,
//! computed from the stored documents and the ledger:
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
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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
const SECONDS_PER_DAY: i64 = 86_400;

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

/// A KPI window `[from, to)`: `to` after `from`, at most five years later
/// (422 naming `to`).
pub fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<()> {
    if to <= from {
        return Err(AppError::field("to", "must be after `from`"));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::field("to", "the window is at most five years"));
    }
    Ok(())
}

/// Computes every KPI over the window.
pub async fn logistics(db: &impl ConnectionTrait, w: KpiWindow) -> AppResult<LogisticsKpis> {
    check_window(w.from, w.to)?;
    let shipping = shipping(db, &w).await?;
    let repairs = repairs(db, &w).await?;
    let unit_cost = unit_costs(db).await?;
    let outflow = outflow(db, &w, &unit_cost).await?;
    let on_hand = on_hand_value(db, w.warehouse_id, &unit_cost).await?;
    let inventory_turnover_days = turnover(&w, &on_hand, &outflow.issued);
    Ok(LogisticsKpis {
        from: w.from,
        to: w.to,
        warehouse_id: w.warehouse_id,
        on_time_delivery: share(shipping.on_time, shipping.delivered),
        repair_success_rate: share(repairs.repaired, repairs.returned),
        repair_on_time_rate: share(repairs.on_time, repairs.returned),
        average_repair_cycle_days: repairs.average_cycle(),
        logistics_cost_rate: AmountRatio {
            numerator: shipping.cost.normalize(),
            denominator: outflow.moved_out.normalize(),
            value: (!outflow.moved_out.is_zero())
                .then(|| (shipping.cost / outflow.moved_out).round_dp(4).normalize()),
        },
        inventory_turnover_days,
    })
}

/// Whether a location of `kind` and `id` is a warehouse the window counts:
/// any warehouse, or only the window's own.
fn counted_warehouse(w: &KpiWindow, kind: LocationKind, id: Option<i64>) -> bool {
    kind == LocationKind::Warehouse && w.warehouse_id.is_none_or(|x| id == Some(x))
}

/// Shipments delivered in the window, those delivered on time, and the
/// cost of those dispatched in it.
struct Shipping {
    delivered: i64,
    on_time: i64,
    cost: Decimal,
}

/// On-time delivery and the numerator of the logistics cost rate.
async fn shipping(db: &impl ConnectionTrait, w: &KpiWindow) -> AppResult<Shipping> {
    let shipments = shipment::Entity::find()
        .filter(
            shipment::Column::DeliveredAt
                .gte(w.from)
                .or(shipment::Column::DispatchedAt.gte(w.from)),
        )
        .all(db)
        .await?;
    let mut totals = Shipping {
        delivered: 0,
        on_time: 0,
        cost: Decimal::ZERO,
    };
    for s in &shipments {
        if w.warehouse_id.is_some() && !counted_warehouse(w, s.origin_kind, s.origin_id) {
            continue;
        }
        if let Some(d) = s.delivered_at.filter(|d| in_window(*d, w)) {
            totals.delivered += 1;
            totals.on_time += i64::from(d <= s.estimated_arrival_at);
        }
        if in_window(s.dispatched_at, w) {
            totals.cost += Money::from_db(&s.cost)?.amount();
        }
    }
    Ok(totals)
}

/// Repair lines returned in the window: how many, how many repaired, how
/// many on time, and their summed turnaround.
struct Repairs {
    returned: i64,
    repaired: i64,
    on_time: i64,
    cycle_seconds: i64,
}

impl Repairs {
    fn average_cycle(&self) -> CycleDays {
        let cycle_days = Decimal::from(self.cycle_seconds) / Decimal::from(SECONDS_PER_DAY);
        CycleDays {
            numerator: cycle_days.round_dp(2).normalize(),
            denominator: self.returned,
            value: (self.returned != 0).then(|| {
                (cycle_days / Decimal::from(self.returned))
                    .round_dp(2)
                    .normalize()
            }),
        }
    }
}

/// The repair KPIs, read through the repair report's own line view so
/// `on_time` and the turnaround mean what the report says.
async fn repairs(db: &impl ConnectionTrait, w: &KpiWindow) -> AppResult<Repairs> {
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
    let mut totals = Repairs {
        returned: 0,
        repaired: 0,
        on_time: 0,
        cycle_seconds: 0,
    };
    for l in lines {
        let Some(order) = orders.get(&l.repair_order_id) else {
            continue;
        };
        if w.warehouse_id.is_some_and(|x| x != order.warehouse_id) {
            continue;
        }
        let line = line_from_row(l, order.sent_at)?;
        if line.outcome == RepairOutcome::Pending {
            continue;
        }
        totals.returned += 1;
        totals.repaired += i64::from(line.outcome == RepairOutcome::Repaired);
        totals.on_time += i64::from(line.on_time == Some(true));
        totals.cycle_seconds += line.turnaround_seconds.unwrap_or(0);
    }
    Ok(totals)
}

/// Every part's current unit cost, which values both the movements and
/// the stock on hand.
async fn unit_costs(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, Decimal>> {
    part::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| Ok((p.id, Money::from_db(&p.unit_cost)?.amount())))
        .collect()
}

/// `qty` units of `part` at its current unit cost (zero for an unknown
/// part).
fn value_of(unit_cost: &HashMap<i64, Decimal>, part: i64, qty: i32) -> Decimal {
    unit_cost.get(&part).copied().unwrap_or_default() * Decimal::from(qty)
}

/// Stock moved out of the counted warehouses in the window, and the part
/// of it issued to the field per (warehouse, part).
struct Outflow {
    moved_out: Decimal,
    issued: BTreeMap<(i64, i64), Decimal>,
}

/// The denominators of the logistics cost rate and of ITO: issue and
/// transfer-shipment movements in the window, valued, leaving out those
/// reversed since.
async fn outflow(
    db: &impl ConnectionTrait,
    w: &KpiWindow,
    unit_cost: &HashMap<i64, Decimal>,
) -> AppResult<Outflow> {
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
    let mut outflow = Outflow {
        moved_out: Decimal::ZERO,
        issued: BTreeMap::new(),
    };
    for m in moves {
        if reversed.contains(&m.id) || !counted_warehouse(w, m.from_kind, m.from_id) {
            continue;
        }
        let value = value_of(unit_cost, m.part_id, m.quantity);
        outflow.moved_out += value;
        let to_field = m.to_kind == LocationKind::Site || m.to_kind == LocationKind::External;
        if m.movement_type == MovementType::Issue
            && to_field
            && let Some(from) = m.from_id
        {
            *outflow.issued.entry((from, m.part_id)).or_default() += value;
        }
    }
    Ok(outflow)
}

/// On-hand value now (all conditions) per (warehouse, part): ITO's
/// approximation of the average over the window.
async fn on_hand_value(
    db: &impl ConnectionTrait,
    warehouse_id: Option<i64>,
    unit_cost: &HashMap<i64, Decimal>,
) -> AppResult<BTreeMap<(i64, i64), Decimal>> {
    let mut on_hand: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
    let mut balances = stock_balance::Entity::find();
    if let Some(x) = warehouse_id {
        balances = balances.filter(stock_balance::Column::WarehouseId.eq(x));
    }
    for b in balances.all(db).await? {
        if b.on_hand != 0 {
            *on_hand.entry((b.warehouse_id, b.part_id)).or_default() +=
                value_of(unit_cost, b.part_id, b.on_hand);
        }
    }
    Ok(on_hand)
}

/// ITO per part in a warehouse and per warehouse (the sums of its parts):
/// on-hand value over the value issued per day of the window.
fn turnover(
    w: &KpiWindow,
    on_hand: &BTreeMap<(i64, i64), Decimal>,
    issued: &BTreeMap<(i64, i64), Decimal>,
) -> InventoryTurnover {
    let days = Decimal::from((w.to - w.from).num_seconds()) / Decimal::from(SECONDS_PER_DAY);
    let row = |warehouse_id: i64, part_id: Option<i64>, value: Decimal, out: Decimal| {
        let daily = out / days;
        TurnoverRow {
            warehouse_id,
            part_id,
            numerator: value.normalize(),
            denominator: daily.round_dp(6).normalize(),
            value: (!out.is_zero()).then(|| (value * days / out).round_dp(2).normalize()),
        }
    };
    let keys: BTreeSet<(i64, i64)> = on_hand.keys().chain(issued.keys()).copied().collect();
    let mut per_warehouse: BTreeMap<i64, (Decimal, Decimal)> = BTreeMap::new();
    let mut by_part = Vec::new();
    for (wid, pid) in keys {
        let v = on_hand.get(&(wid, pid)).copied().unwrap_or_default();
        let o = issued.get(&(wid, pid)).copied().unwrap_or_default();
        let e = per_warehouse.entry(wid).or_default();
        e.0 += v;
        e.1 += o;
        by_part.push(row(wid, Some(pid), v, o));
    }
    let by_warehouse = per_warehouse
        .into_iter()
        .map(|(wid, (v, o))| row(wid, None, v, o))
        .collect();
    InventoryTurnover {
        by_warehouse,
        by_part,
    }
}
