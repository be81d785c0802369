//! `/api/v1/kpis`: the logistics KPIs of process group 4.2 over a window
//! (everyone reads), and all KPIs month by month (the office reads).
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::kpi_periods::{self, KpiPeriod, PeriodWindow};
use crate::flows::logistics::kpis::{self, KpiWindow, LogisticsKpis};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Query};
use crate::store::error::AppResult;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logistics_kpis))
        .routes(routes!(kpis_by_month))
}

/// On-time delivery, repair success and on-time rates, average repair
/// cycle, logistics cost rate and inventory turnover in days per warehouse
/// and part over `[from, to)` (see `logistics::kpis` for each definition).
/// `to` must be after `from` and at most five years later (422 naming
/// `to`). Roles: any.
#[utoipa::path(get, path = "/api/v1/kpis/logistics", tag = "logistics", params(KpiWindow),
    responses((status = 200, body = LogisticsKpis), ApiErrors))]
async fn logistics_kpis(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(w): Query<KpiWindow>,
) -> AppResult<Json<LogisticsKpis>> {
    Ok(Json(kpis::logistics(&s.db, w).await?))
}

/// The KPIs of every calendar month (UTC) the window `[from, to)` touches,
/// one flat row per month, oldest first: SLA attainment and hit rate of the
/// requests, on-time delivery of the shipments, repair success, on-time and
/// cycle, and the logistics cost rate, each computed as for that month
/// alone. `from`/`to` take RFC 3339 or plain dates; at most five years.
/// `Accept: text/csv` gives the same rows as CSV. Roles: admin, planner,
/// warehouse.
#[utoipa::path(get, path = "/api/v1/kpis/periods", tag = "logistics", params(PeriodWindow),
    responses((status = 200, body = Vec<KpiPeriod>), ApiErrors))]
async fn kpis_by_month(
    State(s): State<AppState>,
    _caller: Authorized<roles::Office>,
    Query(w): Query<PeriodWindow>,
) -> AppResult<Json<Vec<KpiPeriod>>> {
    Ok(Json(kpi_periods::monthly(&s.db, w, s.clock.now()).await?))
}
