//! The KPIs month by month: one row per calendar month (UTC) of a window,
//! each computed exactly as the single-window KPIs compute it
//! ([`crate::flows::logistics::kpis`] and
//! [`crate::flows::replacement::kpis`]), so a month's row equals the KPIs
//! asked for that month alone. Rows are flat (numerator, denominator and
//! value side by side) so they read as a table and export as CSV.
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::flows::logistics::kpis::{self as logistics, KpiWindow};
use crate::flows::replacement::kpis::{self as requests, RequestKpiWindow};
use crate::store::error::AppResult;

/// Query of `GET /api/v1/kpis/periods`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodWindow {
    /// Start (inclusive), RFC 3339 or a plain date; the first row is the
    /// month holding it, starting here.
    #[serde(deserialize_with = "crate::core::input::timestamp")]
    #[param(value_type = String, example = "2026-01-01")]
    pub from: DateTime<Utc>,
    /// End (exclusive), RFC 3339 or a plain date; after `from`, at most five
    /// years later.
    #[serde(deserialize_with = "crate::core::input::timestamp")]
    #[param(value_type = String, example = "2027-01-01")]
    pub to: DateTime<Utc>,
    /// Only this warehouse: its shipments, repairs and movements, and the
    /// requests of the sites it serves.
    #[serde(default)]
    pub warehouse_id: Option<i64>,
}

/// The KPIs of one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiPeriod {
    /// The month, `YYYY-MM`.
    pub period: String,
    /// Start of the month's share of the window (inclusive).
    pub from: DateTime<Utc>,
    /// End of the month's share of the window (exclusive).
    pub to: DateTime<Utc>,
    pub warehouse_id: Option<i64>,
    /// Requests delivered in the month.
    pub requests_delivered: i64,
    /// Of those, delivered by their SLA deadline.
    pub requests_in_sla: i64,
    #[schema(value_type = Option<String>)]
    pub sla_attainment: Option<Decimal>,
    /// Dispatches recorded as demand in the month.
    pub dispatches: i64,
    /// Of those, filled by the site's serving warehouse.
    pub hits: i64,
    #[schema(value_type = Option<String>)]
    pub hit_rate: Option<Decimal>,
    /// Shipments delivered in the month.
    pub shipments_delivered: i64,
    /// Of those, by their estimated arrival.
    pub shipments_on_time: i64,
    #[schema(value_type = Option<String>)]
    pub on_time_delivery: Option<Decimal>,
    /// Repair lines returned in the month.
    pub repairs_returned: i64,
    /// Of those, repaired (the rest beyond repair).
    pub repairs_repaired: i64,
    #[schema(value_type = Option<String>)]
    pub repair_success_rate: Option<Decimal>,
    /// Repair lines returned by their due date.
    pub repairs_on_time: i64,
    #[schema(value_type = Option<String>)]
    pub repair_on_time_rate: Option<Decimal>,
    /// Mean days from sending to return of the returned lines.
    #[schema(value_type = Option<String>)]
    pub average_repair_cycle_days: Option<Decimal>,
    /// Cost of the shipments dispatched in the month.
    #[schema(value_type = String)]
    pub logistics_cost: Decimal,
    /// Value of the stock moved out of warehouses in the month.
    #[schema(value_type = String)]
    pub value_moved_out: Decimal,
    #[schema(value_type = Option<String>)]
    pub logistics_cost_rate: Option<Decimal>,
}

/// The KPIs of every calendar month the window touches, oldest first.
pub async fn monthly(
    db: &impl ConnectionTrait,
    w: PeriodWindow,
    now: DateTime<Utc>,
) -> AppResult<Vec<KpiPeriod>> {
    logistics::check_window(w.from, w.to)?;
    let mut rows = Vec::new();
    for (from, to) in months(w.from, w.to) {
        rows.push(period(db, from, to, w.warehouse_id, now).await?);
    }
    Ok(rows)
}

async fn period(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    warehouse_id: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<KpiPeriod> {
    let l = logistics::logistics(
        db,
        KpiWindow {
            from,
            to,
            warehouse_id,
        },
    )
    .await?;
    let r = requests::compute(
        db,
        RequestKpiWindow {
            from,
            to,
            serving_warehouse_id: warehouse_id,
        },
        now,
    )
    .await?;
    Ok(KpiPeriod {
        period: format!("{:04}-{:02}", from.year(), from.month()),
        from,
        to,
        warehouse_id,
        requests_delivered: r.sla_attainment.denominator,
        requests_in_sla: r.sla_attainment.numerator,
        sla_attainment: r.sla_attainment.value,
        dispatches: r.hit_rate.denominator,
        hits: r.hit_rate.numerator,
        hit_rate: r.hit_rate.value,
        shipments_delivered: l.on_time_delivery.denominator,
        shipments_on_time: l.on_time_delivery.numerator,
        on_time_delivery: l.on_time_delivery.value,
        repairs_returned: l.repair_success_rate.denominator,
        repairs_repaired: l.repair_success_rate.numerator,
        repair_success_rate: l.repair_success_rate.value,
        repairs_on_time: l.repair_on_time_rate.numerator,
        repair_on_time_rate: l.repair_on_time_rate.value,
        average_repair_cycle_days: l.average_repair_cycle_days.value,
        logistics_cost: l.logistics_cost_rate.numerator,
        value_moved_out: l.logistics_cost_rate.denominator,
        logistics_cost_rate: l.logistics_cost_rate.value,
    })
}

/// `[from, to)` cut at the first instant of every calendar month (UTC).
fn months(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut cuts = Vec::new();
    let mut start = from;
    while start < to {
        let end = next_month_start(start).min(to);
        cuts.push((start, end));
        start = end;
    }
    cuts
}

fn next_month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let (year, month) = if t.month() == 12 {
        (t.year() + 1, 1)
    } else {
        (t.year(), t.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .expect("the first of a month exists")
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_window_is_cut_at_month_starts_keeping_its_own_ends() {
        let cuts = months(at("2025-11-15T06:00:00Z"), at("2026-02-10T00:00:00Z"));
        let shown: Vec<(String, String)> = cuts
            .iter()
            .map(|(a, b)| (a.to_rfc3339(), b.to_rfc3339()))
            .collect();
        assert_eq!(
            shown,
            [
                ("2025-11-15T06:00:00+00:00", "2025-12-01T00:00:00+00:00"),
                ("2025-12-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"),
                ("2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"),
                ("2026-02-01T00:00:00+00:00", "2026-02-10T00:00:00+00:00"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }
}
