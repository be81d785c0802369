//! `/api/v1/kpis`: the logistics KPIs of process group 4.2 over a window.
//! Everyone reads.
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::logistics::kpis::{self, KpiWindow, LogisticsKpis};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Query};
use crate::store::error::AppResult;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logistics_kpis))
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
