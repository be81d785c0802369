//! `/api/v1/serials`: where each serialized unit is and everything that
//! happened to it. Read-only: units move only through the flows' documents.
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::error::AppResult;
use crate::store::paging::Page;
use crate::store::serials::{self, SerialFilter, SerialHistory, SerialUnit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_serials))
        .routes(routes!(get_serial))
}

/// List serialized units with their current location and condition,
/// filtered by part, serial, location or condition, keyset-paged. Roles: any.
#[utoipa::path(get, path = "/api/v1/serials", tag = "stock", params(SerialFilter),
    responses((status = 200, body = Page<SerialUnit>), ApiErrors))]
async fn list_serials(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(f): Query<SerialFilter>,
) -> AppResult<Json<Page<SerialUnit>>> {
    Ok(Json(serials::list(&s.db, f).await?))
}

/// One unit: where it is now and its full history, oldest first: every
/// movement (receipt, transfers, dispatches, returns, repairs, scrap) with
/// its document, its repair records and its scrap certificate. Roles: any.
#[utoipa::path(get, path = "/api/v1/serials/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = SerialHistory), ApiErrors))]
async fn get_serial(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<SerialHistory>> {
    Ok(Json(serials::history(&s.db, id).await?))
}
