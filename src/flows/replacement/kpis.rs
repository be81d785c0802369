//! Replacement-request KPIs over a window `[from, to)`:
//!
//! - **SLA attainment**: requests delivered in the window; the share
//!   delivered at or before their SLA deadline.
//! - **Hit rate**: demand records (dispatches) in the window; the share
//!   filled by the site's serving warehouse.
//! - **On-time delivery**: requests delivered in the window; the share
//!   delivered at or before the ETA promised when their stock was reserved
//!   (the promise made to the engineer, not the carrier's later estimate).
//! - **Defective returns overdue**: requests of repairable parts delivered
//!   in the window whose defective unit is still not received more than
//!   [`RETURN_WINDOW_DAYS`] days after delivery, as of the window's end (or
//!   now, if earlier); with their ids.
use chrono::{DateTime, Duration, Utc};
use entities::demand_record::{self, Column as D};
use entities::replacement_request::{self, Column as C};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::flows::logistics::kpis::{CountRatio, check_window};
use crate::store::error::AppResult;

/// Days an engineer has to send the defective unit back after delivery.
pub const RETURN_WINDOW_DAYS: i64 = 14;

/// Query of `GET /api/v1/kpis/replacement-requests`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestKpiWindow {
    /// Start of the window (inclusive), RFC 3339.
    #[serde(deserialize_with = "crate::core::input::timestamp")]
    pub from: DateTime<Utc>,
    /// End of the window (exclusive), RFC 3339; after `from`, at most five
    /// years later.
    #[serde(deserialize_with = "crate::core::input::timestamp")]
    pub to: DateTime<Utc>,
    /// Only requests of sites served by this warehouse.
    #[serde(default)]
    pub serving_warehouse_id: Option<i64>,
}

/// Defective units not back in time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueReturns {
    /// Overdue among the delivered requests that expect a return.
    pub ratio: CountRatio,
    /// The overdue requests.
    pub request_ids: Vec<i64>,
}

/// The replacement-request KPIs over one window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestKpis {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The moment overdue returns are judged at: `min(to, now)`.
    pub as_of: DateTime<Utc>,
    pub return_window_days: i64,
    pub sla_attainment: CountRatio,
    pub hit_rate: CountRatio,
    pub on_time_delivery: CountRatio,
    pub defective_returns_overdue: OverdueReturns,
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

pub async fn compute(
    db: &impl ConnectionTrait,
    w: RequestKpiWindow,
    now: DateTime<Utc>,
) -> AppResult<RequestKpis> {
    check_window(w.from, w.to)?;
    let mut delivered = replacement_request::Entity::find()
        .filter(C::DeliveredAt.gte(w.from))
        .filter(C::DeliveredAt.lt(w.to));
    let mut demand = demand_record::Entity::find()
        .filter(D::OccurredAt.gte(w.from))
        .filter(D::OccurredAt.lt(w.to));
    if let Some(s) = w.serving_warehouse_id {
        delivered = delivered.filter(C::ServingWarehouseId.eq(s));
        demand = demand.filter(D::ServingWarehouseId.eq(s));
    }
    let delivered = delivered.all(db).await?;
    let as_of = w.to.min(now);
    let window = Duration::days(RETURN_WINDOW_DAYS);
    let (mut in_sla, mut on_time, mut expecting) = (0, 0, 0);
    let mut overdue = Vec::new();
    for r in &delivered {
        let Some(d) = r.delivered_at else { continue };
        in_sla += i64::from(d <= r.deadline_at);
        on_time += i64::from(r.promised_eta.is_some_and(|eta| d <= eta));
        if r.return_expected {
            expecting += 1;
            let back_by_as_of = r.returned_at.is_some_and(|t| t <= as_of);
            if !back_by_as_of && d + window < as_of {
                overdue.push(r.id);
            }
        }
    }
    overdue.sort_unstable();
    let demand = demand.all(db).await?;
    let hits = demand.iter().filter(|d| d.hit).count() as i64;
    let n = delivered.len() as i64;
    Ok(RequestKpis {
        from: w.from,
        to: w.to,
        as_of,
        return_window_days: RETURN_WINDOW_DAYS,
        sla_attainment: share(in_sla, n),
        hit_rate: share(hits, demand.len() as i64),
        on_time_delivery: share(on_time, n),
        defective_returns_overdue: OverdueReturns {
            ratio: share(overdue.len() as i64, expecting),
            request_ids: overdue,
        },
    })
}
