//! `/api/v1/sla-classes`, `/api/v1/sites` and the installed base of sites
//! and parts. Everyone reads; admins keep SLA classes, admins and planners
//! keep sites and their installed base.
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::flows::master::sites::{
    self, InstalledBaseParams, InstalledQuantity, PartInstallation, Site, SiteFields, SiteFilter,
    SiteInstalledPart, SitePatch,
};
use crate::flows::master::sla_classes::{
    self, SlaClass, SlaClassFields, SlaClassFilter, SlaClassPatch,
};
use crate::http::AppState;
use crate::http::auth::{Authorized, roles};
use crate::http::docs::ApiErrors;
use crate::http::extract::{Json, Path, Query};
use crate::store::db;
use crate::store::error::AppResult;
use crate::store::paging::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_sla_class, list_sla_classes))
        .routes(routes!(get_sla_class, update_sla_class))
        .routes(routes!(deactivate_sla_class))
        .routes(routes!(activate_sla_class))
        .routes(routes!(create_site, list_sites))
        .routes(routes!(get_site, update_site))
        .routes(routes!(deactivate_site))
        .routes(routes!(activate_site))
        .routes(routes!(site_installed_base))
        .routes(routes!(set_installed))
        .routes(routes!(part_installed_base))
}

/// Create an SLA class. Roles: admin.
#[utoipa::path(post, path = "/api/v1/sla-classes", tag = "sites", request_body = SlaClassFields,
    responses((status = 201, body = SlaClass), ApiErrors))]
async fn create_sla_class(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Json(body): Json<SlaClassFields>,
) -> AppResult<(StatusCode, Json<SlaClass>)> {
    let row = db::write(&s.db, |tx| Box::pin(sla_classes::create(tx, body.clone()))).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// List sla_classes, filtered, in pages. Roles: any.
#[utoipa::path(get, path = "/api/v1/sla-classes", tag = "sites", params(SlaClassFilter),
    responses((status = 200, body = Page<SlaClass>), ApiErrors))]
async fn list_sla_classes(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(filter): Query<SlaClassFilter>,
) -> AppResult<Json<Page<SlaClass>>> {
    Ok(Json(sla_classes::list(&s.db, filter).await?))
}

/// Get one SLA class. Roles: any.
#[utoipa::path(get, path = "/api/v1/sla-classes/{id}", tag = "sites", params(("id" = i64, Path)),
    responses((status = 200, body = SlaClass), ApiErrors))]
async fn get_sla_class(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<SlaClass>> {
    Ok(Json(sla_classes::get(&s.db, id).await?))
}

/// Change some fields of an SLA class. Roles: admin.
#[utoipa::path(patch, path = "/api/v1/sla-classes/{id}", tag = "sites", params(("id" = i64, Path)),
    request_body = SlaClassPatch, responses((status = 200, body = SlaClass), ApiErrors))]
async fn update_sla_class(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
    Json(body): Json<SlaClassPatch>,
) -> AppResult<Json<SlaClass>> {
    Ok(Json(
        db::write(&s.db, |tx| {
            Box::pin(sla_classes::update(tx, id, body.clone()))
        })
        .await?,
    ))
}

/// Deactivate an SLA class: it stays readable and sites keep it, but it can no longer be given to a site. Roles: admin.
#[utoipa::path(post, path = "/api/v1/sla-classes/{id}/deactivate", tag = "sites",
    params(("id" = i64, Path)), responses((status = 200, body = SlaClass), ApiErrors))]
async fn deactivate_sla_class(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<SlaClass>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(sla_classes::set_active(tx, id, false))).await?,
    ))
}

/// Reactivate an SLA class. Roles: admin.
#[utoipa::path(post, path = "/api/v1/sla-classes/{id}/activate", tag = "sites",
    params(("id" = i64, Path)), responses((status = 200, body = SlaClass), ApiErrors))]
async fn activate_sla_class(
    State(s): State<AppState>,
    _caller: Authorized<roles::Administrators>,
    Path(id): Path<i64>,
) -> AppResult<Json<SlaClass>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(sla_classes::set_active(tx, id, true))).await?,
    ))
}

/// Create a site. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = SiteFields,
    responses((status = 201, body = Site), ApiErrors))]
async fn create_site(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Json(body): Json<SiteFields>,
) -> AppResult<(StatusCode, Json<Site>)> {
    let row = db::write(&s.db, |tx| Box::pin(sites::create(tx, body.clone()))).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// List sites, filtered, in pages. Roles: any.
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites", params(SiteFilter),
    responses((status = 200, body = Page<Site>), ApiErrors))]
async fn list_sites(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Query(filter): Query<SiteFilter>,
) -> AppResult<Json<Page<Site>>> {
    Ok(Json(sites::list(&s.db, filter).await?))
}

/// Get one site. Roles: any.
#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = i64, Path)),
    responses((status = 200, body = Site), ApiErrors))]
async fn get_site(
    State(s): State<AppState>,
    _caller: Authorized<roles::Any>,
    Path(id): Path<i64>,
) -> AppResult<Json<Site>> {
    Ok(Json(sites::get(&s.db, id).await?))
}

/// Change some fields of a site. Roles: admin, planner.
#[utoipa::path(patch, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = i64, Path)),
    request_body = SitePatch, responses((status = 200, body = Site), ApiErrors))]
async fn update_site(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
    Json(body): Json<SitePatch>,
) -> AppResult<Json<Site>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(sites::update(tx, id, body.clone()))).await?,
    ))
}

/// Deactivate a site: it stays readable with its installed base. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/sites/{id}/deactivate", tag = "sites",
    params(("id" = i64, Path)), responses((status = 200, body = Site), ApiErrors))]
async fn deactivate_site(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Site>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(sites::set_active(tx, id, false))).await?,
    ))
}

/// Reactivate a site. Roles: admin, planner.
#[utoipa::path(post, path = "/api/v1/sites/{id}/activate", tag = "sites",
    params(("id" = i64, Path)), responses((status = 200, body = Site), ApiErrors))]
async fn activate_site(
    State(s): State<AppState>,
    _caller: Authorized<roles::Planning>,
    Path(id): Path<i64>,
) -> AppResult<Json<Site>> {
    Ok(Json(
        db::write(&s.db, |tx| Box::pin(sites::set_active(tx, id, true))).await?,
    ))
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
    Ok(Json(
        db::write(&s.db, |tx| {
            Box::pin(sites::set_installed(tx, id, part_id, body.clone()))
        })
        .await?,
    ))
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
