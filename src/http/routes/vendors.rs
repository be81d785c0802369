//! `/api/v1/vendors`: suppliers and repair vendors. Everyone reads; admins
//! and planners write.
use utoipa_axum::router::OpenApiRouter;

use super::master::master_data_routes;
use crate::flows::master::vendors::{Vendor, VendorFields, VendorFilter, VendorPatch};
use crate::http::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    vendor_routes::router()
}

master_data_routes! {
    mod vendor_routes: Vendor, VendorFields, VendorPatch, VendorFilter;
    tag = "vendors", writers = Planning;
    /// Create a vendor. Roles: admin, planner.
    create create_vendor at "/api/v1/vendors";
    /// List vendors, filtered, in pages. Roles: any.
    list list_vendors at "/api/v1/vendors";
    /// Get one vendor. Roles: any.
    get get_vendor at "/api/v1/vendors/{id}";
    /// Change some fields of a vendor. Roles: admin, planner.
    update update_vendor at "/api/v1/vendors/{id}";
    /// Deactivate a vendor: it stays readable but is no longer ordered from. Roles: admin, planner.
    deactivate deactivate_vendor at "/api/v1/vendors/{id}/deactivate";
    /// Reactivate a vendor. Roles: admin, planner.
    activate activate_vendor at "/api/v1/vendors/{id}/activate";
}
