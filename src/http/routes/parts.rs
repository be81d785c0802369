//! `/api/v1/parts`: part master data. Everyone reads; planners and admins write.
use utoipa_axum::router::OpenApiRouter;

use super::master::master_data_routes;
use crate::flows::master::parts::{Part, PartFields, PartFilter, PartPatch};
use crate::http::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    part_routes::router()
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
