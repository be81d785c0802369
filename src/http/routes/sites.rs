//! `/api/v1/sla-classes`, `/api/v1/sites` and the installed base of sites
//! and parts. Everyone reads; admins keep SLA classes, admins and planners
//! keep sites and their installed base.
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::master::master_data_routes;
use crate::flows::master::sites::{
    self, InstalledBaseFilter, InstalledBaseParams, InstalledLine, InstalledQuantity,
    PartInstallation, Site, SiteFields, SiteFilter, SiteInstalledPart, SitePatch,
};
use crate::flows::master::sla_classes::{SlaClass, SlaClassFields, SlaClassFilter, SlaClassPatch};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::db;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    sla_class_routes::router()
        .merge(site_routes::router())
        .routes(routes!(site_installed_base))
        .routes(routes!(set_installed))
        .routes(routes!(part_installed_base))
        .routes(routes!(installed_base))
}

master_data_routes! {
    mod sla_class_routes: SlaClass, SlaClassFields, SlaClassPatch, SlaClassFilter;
    tag = "sites", writers = Administrators;
    /// Create an SLA class. Roles: admin.
    create create_sla_class at "/api/v1/sla-classes";
    /// List sla_classes, filtered, in pages. Roles: any.
    list list_sla_classes at "/api/v1/sla-classes";
    /// Get one SLA class. Roles: any.
    get get_sla_class at "/api/v1/sla-classes/{id}";
    /// Change some fields of an SLA class. Roles: admin.
    update update_sla_class at "/api/v1/sla-classes/{id}";
    /// Deactivate an SLA class: it stays readable and sites keep it, but it can no longer be given to a site. Roles: admin.
    deactivate deactivate_sla_class at "/api/v1/sla-classes/{id}/deactivate";
    /// Reactivate an SLA class. Roles: admin.
    activate activate_sla_class at "/api/v1/sla-classes/{id}/activate";
}

master_data_routes! {
    mod site_routes: Site, SiteFields, SitePatch, SiteFilter;
    tag = "sites", writers = Planning;
    /// Create a site. Roles: admin, planner.
    create create_site at "/api/v1/sites";
    /// List sites, filtered, in pages. Roles: any.
    list list_sites at "/api/v1/sites";
    /// Get one site. Roles: any.
    get get_site at "/api/v1/sites/{id}";
    /// Change some fields of a site. Roles: admin, planner.
    update update_site at "/api/v1/sites/{id}";
    /// Deactivate a site: it stays readable with its installed base. Roles: admin, planner.
    deactivate deactivate_site at "/api/v1/sites/{id}/deactivate";
    /// Reactivate a site. Roles: admin, planner.
    activate activate_site at "/api/v1/sites/{id}/activate";
}

/// The installed base of a site: units per part, by part id. Roles: any.
#[utoipa::path(get, path = "/api/v1/sites/{id}/installed-base", tag = "sites",
    params(("id" = i64, Path), InstalledBaseParams),
    responses((status = 200, body = Page<SiteInstalledPart>), ApiErrors))]
async fn site_installed_base(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
    Query(params): Query<InstalledBaseParams>,
) -> AppResult<Json<Page<SiteInstalledPart>>> {
    Ok(Json(sites::site_installed_base(&s.db, id, params).await?))
}

/// Set how many units of a part are installed at a site (0 for none).
/// Roles: admin, planner.
#[utoipa::path(put, path = "/api/v1/sites/{id}/installed-base/{part_id}", tag = "sites",
    params(("id" = i64, Path), ("part_id" = i64, Path)), request_body = InstalledQuantity,
    responses((status = 200, body = SiteInstalledPart), ApiErrors))]
async fn set_installed(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path((id, part_id)): Path<(i64, i64)>,
    Json(body): Json<InstalledQuantity>,
) -> AppResult<Json<SiteInstalledPart>> {
    let now = s.clock.now();
    Ok(Json(
        db::write(&s.db, |tx| {
            Box::pin(sites::set_installed(tx, id, part_id, body.clone(), now))
        })
        .await?,
    ))
}

/// The installed base: units of each part running at each site, one
/// line per site and part, by line id; filter by `site_id` or `part_id`.
/// `Accept: text/csv` exports it in the columns the installed-base
/// import reads. Roles: any.
#[utoipa::path(get, path = "/api/v1/installed-base", tag = "sites",
    params(InstalledBaseFilter), responses((status = 200, body = Page<InstalledLine>), ApiErrors))]
async fn installed_base(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(filter): Query<InstalledBaseFilter>,
) -> AppResult<Json<Page<InstalledLine>>> {
    Ok(Json(sites::installed_base(&s.db, filter).await?))
}

/// The sites where a part is installed, by site id. Roles: any.
#[utoipa::path(get, path = "/api/v1/parts/{id}/installed-base", tag = "sites",
    params(("id" = i64, Path), InstalledBaseParams),
    responses((status = 200, body = Page<PartInstallation>), ApiErrors))]
async fn part_installed_base(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
    Query(params): Query<InstalledBaseParams>,
) -> AppResult<Json<Page<PartInstallation>>> {
    Ok(Json(sites::part_installed_base(&s.db, id, params).await?))
}
