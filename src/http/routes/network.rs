//! `/api/v1/warehouses` and `/api/v1/lanes`: the supply network. Everyone
//! reads; only admins change it.
use utoipa_axum::router::OpenApiRouter;

use super::master::master_data_routes;
use crate::flows::master::lanes::{Lane, LaneFields, LaneFilter, LanePatch};
use crate::flows::master::warehouses::{
    Warehouse, WarehouseFields, WarehouseFilter, WarehousePatch,
};
use crate::http::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    warehouse_routes::router().merge(lane_routes::router())
}

master_data_routes! {
    mod warehouse_routes: Warehouse, WarehouseFields, WarehousePatch, WarehouseFilter;
    tag = "network", writers = Administrators;
    /// Create a warehouse. Roles: admin.
    create create_warehouse at "/api/v1/warehouses";
    /// List warehouses, filtered, in pages. Roles: any.
    list list_warehouses at "/api/v1/warehouses";
    /// Get one warehouse. Roles: any.
    get get_warehouse at "/api/v1/warehouses/{id}";
    /// Change some fields of a warehouse. Roles: admin.
    update update_warehouse at "/api/v1/warehouses/{id}";
    /// Deactivate a warehouse: it stays readable and keeps its stock history, but can no longer be chosen as a parent, lane end or serving warehouse. Roles: admin.
    deactivate deactivate_warehouse at "/api/v1/warehouses/{id}/deactivate";
    /// Reactivate a warehouse. Roles: admin.
    activate activate_warehouse at "/api/v1/warehouses/{id}/activate";
}

master_data_routes! {
    mod lane_routes: Lane, LaneFields, LanePatch, LaneFilter;
    tag = "network", writers = Administrators;
    /// Create a lane. Roles: admin.
    create create_lane at "/api/v1/lanes";
    /// List lanes, filtered, in pages. Roles: any.
    list list_lanes at "/api/v1/lanes";
    /// Get one lane. Roles: any.
    get get_lane at "/api/v1/lanes/{id}";
    /// Change some fields of a lane. Roles: admin.
    update update_lane at "/api/v1/lanes/{id}";
    /// Deactivate a lane: it stays readable but is no longer used for routing. Roles: admin.
    deactivate deactivate_lane at "/api/v1/lanes/{id}/deactivate";
    /// Reactivate a lane. Roles: admin.
    activate activate_lane at "/api/v1/lanes/{id}/activate";
}
