//! `/api/v1/parts`: part master data. Everyone reads; planners and admins write.
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::master::master_data_routes;
use crate::flows::master::parts::{self, Part, PartFields, PartFilter, PartPatch};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path};
use crate::store::error::AppResult;

pub fn router() -> OpenApiRouter<AppState> {
    part_routes::router().routes(routes!(part_by_number))
}

master_data_routes! {
    mod part_routes: Part, PartFields, PartPatch, PartFilter;
    tag = "parts", writers = Planning;
    /// Create a part. Roles: admin, planner.
    create create_part at "/api/v1/parts";
    /// List parts, filtered, in pages. Roles: any.
    list list_parts at "/api/v1/parts";
    /// Get one part. Roles: any.
    get get_part at "/api/v1/parts/{id}";
    /// Change some fields of a part. Roles: admin, planner.
    update update_part at "/api/v1/parts/{id}";
    /// Deactivate a part: it stays readable but no longer planned. Roles: admin, planner.
    deactivate deactivate_part at "/api/v1/parts/{id}/deactivate";
    /// Reactivate a part. Roles: admin, planner.
    activate activate_part at "/api/v1/parts/{id}/activate";
}

/// Get one part by its part number (404 when no part has it). Roles: any.
#[utoipa::path(get, path = "/api/v1/parts/by-number/{part_number}", tag = "parts",
    params(("part_number" = String, Path, description = "The part number, e.g. `RRU-4402`")),
    responses((status = 200, body = Part), ApiErrors))]
async fn part_by_number(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(part_number): Path<String>,
) -> AppResult<Json<Part>> {
    Ok(Json(parts::by_number(&s.db, &part_number).await?))
}
