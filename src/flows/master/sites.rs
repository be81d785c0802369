//! Customer sites: where the equipment runs, which warehouse serves them and
//! how far away it is, the SLA they were sold with, and their installed
//! base (how many units of each part run there) — the service-contract
//! inputs of planning.
use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{installed_base, part, site};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::parts::Part;
use super::resource::{Column, Listing, MasterResource, apply_patch, find, require_active};
use super::sla_classes::SlaClass;
use super::warehouses::Warehouse;
use crate::core::Validator;
use crate::core::fields::{Code, Name};
use crate::core::input::double_option;
use crate::store::error::{AppError, AppResult};
use crate::store::paging::{Page, PageParams};

/// The longest transit from the serving warehouse: one year.
pub const MAX_TRANSIT_HOURS: f64 = 8760.0;
/// The most units of one part installed at one site.
pub const MAX_INSTALLED: i32 = 1_000_000;

/// An IANA time zone name. Documented as the closed list `chrono-tz` knows,
/// which is exactly what the service accepts.
pub struct TimeZoneName;

impl PartialSchema for TimeZoneName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An IANA time zone name, e.g. `Europe/Berlin`."))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .examples(["Europe/Berlin"])
            .into()
    }
}

impl ToSchema for TimeZoneName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TimeZone")
    }
}

/// The editable fields of a site; the body of `POST /api/v1/sites`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteFields {
    /// Unique site code.
    pub code: Code,
    pub name: Name,
    pub customer: Name,
    pub region: Name,
    #[schema(value_type = TimeZoneName)]
    pub time_zone: String,
    /// The warehouse that serves the site; must exist and be active.
    #[schema(minimum = 1)]
    pub serving_warehouse_id: i64,
    /// Transit time in hours from the serving warehouse.
    #[schema(minimum = 0, maximum = 8760, example = 3.5)]
    pub transit_hours: f64,
    /// The SLA the site is sold with; if given it must exist and be active.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub sla_class_id: Option<i64>,
}

/// A partial update: only the fields given change; `"sla_class_id": null`
/// clears the SLA class.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub code: Option<Code>,
    pub name: Option<Name>,
    pub customer: Option<Name>,
    pub region: Option<Name>,
    #[schema(value_type = Option<TimeZoneName>)]
    pub time_zone: Option<String>,
    #[schema(minimum = 1)]
    pub serving_warehouse_id: Option<i64>,
    #[schema(minimum = 0, maximum = 8760)]
    pub transit_hours: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub sla_class_id: Option<Option<i64>>,
}

/// A site as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub customer: String,
    pub region: String,
    pub time_zone: String,
    pub serving_warehouse_id: i64,
    pub transit_hours: f64,
    pub sla_class_id: Option<i64>,
    /// False once deactivated; a deactivated site stays readable.
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// Filters of `GET /api/v1/sites`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SiteFilter {
    /// Case-insensitive text in the code, name or customer.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Exact region.
    pub region: Option<String>,
    /// Exact customer.
    pub customer: Option<String>,
    pub serving_warehouse_id: Option<i64>,
    pub sla_class_id: Option<i64>,
    pub active: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl MasterResource for Site {
    type Entity = site::Entity;
    type Fields = SiteFields;
    type Patch = SitePatch;
    type Checked = ();
    type Filter = SiteFilter;

    const RESOURCE: &'static str = "site";
    const KEY_FIELD: &'static str = "code";
    const SEARCH: &'static [Column<Self>] = &[
        site::Column::Code,
        site::Column::Name,
        site::Column::Customer,
    ];

    fn key(fields: &SiteFields) -> Condition {
        Condition::all().add(site::Column::Code.eq(fields.code.as_str()))
    }

    fn view(row: site::Model) -> AppResult<Site> {
        Ok(Site {
            id: row.id,
            code: row.code,
            name: row.name,
            customer: row.customer,
            region: row.region,
            time_zone: row.time_zone,
            serving_warehouse_id: row.serving_warehouse_id,
            transit_hours: row.transit_hours,
            sla_class_id: row.sla_class_id,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    fn fields(row: &site::Model) -> AppResult<SiteFields> {
        Ok(SiteFields {
            code: row.code.as_str().into(),
            name: row.name.as_str().into(),
            customer: row.customer.as_str().into(),
            region: row.region.as_str().into(),
            time_zone: row.time_zone.clone(),
            serving_warehouse_id: row.serving_warehouse_id,
            transit_hours: row.transit_hours,
            sla_class_id: row.sla_class_id,
        })
    }

    fn apply(patch: SitePatch, fields: &mut SiteFields) {
        apply_patch!(patch, SitePatch {
            code, name, customer, region, time_zone, serving_warehouse_id, transit_hours,
            sla_class_id,
        } => fields);
    }

    fn validate(f: &SiteFields) -> AppResult<()> {
        let mut v = Validator::new();
        v.rule("code", &f.code)
            .rule("name", &f.name)
            .rule("customer", &f.customer)
            .rule("region", &f.region)
            .check(
                f.time_zone.parse::<chrono_tz::Tz>().is_ok(),
                "time_zone",
                "must be an IANA time zone name such as Europe/Berlin",
            )
            .range_f64("transit_hours", f.transit_hours, 0.0, MAX_TRANSIT_HOURS);
        Ok(v.finish()?)
    }

    fn write(f: SiteFields, (): (), row: &mut site::ActiveModel) {
        row.code = Set(f.code.into());
        row.name = Set(f.name.into());
        row.customer = Set(f.customer.into());
        row.region = Set(f.region.into());
        row.time_zone = Set(f.time_zone);
        row.serving_warehouse_id = Set(f.serving_warehouse_id);
        row.transit_hours = Set(f.transit_hours);
        row.sla_class_id = Set(f.sla_class_id);
    }

    fn listing(f: SiteFilter) -> Listing {
        Listing::page(f.after, f.limit)
            .search(f.q)
            .when(site::Column::Region, f.region)
            .when(site::Column::Customer, f.customer)
            .when(site::Column::ServingWarehouseId, f.serving_warehouse_id)
            .when(site::Column::SlaClassId, f.sla_class_id)
            .when(site::Column::Active, f.active)
    }

    /// Checks the references that changed (all of them on create): a site
    /// keeps working after its warehouse or SLA class is deactivated, but
    /// cannot be newly pointed at one.
    async fn check<C: ConnectionTrait>(
        db: &C,
        current: Option<(i64, &SiteFields)>,
        after: &SiteFields,
    ) -> AppResult<()> {
        let before = current.map(|(_, before)| before);
        if before.is_none_or(|b| b.serving_warehouse_id != after.serving_warehouse_id) {
            require_active::<Warehouse>(db, "serving_warehouse_id", after.serving_warehouse_id)
                .await?;
        }
        if let Some(class) = after.sla_class_id
            && before.is_none_or(|b| b.sla_class_id != after.sla_class_id)
        {
            require_active::<SlaClass>(db, "sla_class_id", class).await?;
        }
        Ok(())
    }
}

// --- installed base ---------------------------------------------------------

/// The body of `PUT /api/v1/sites/{id}/installed-base/{part_id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalledQuantity {
    /// Units of the part installed at the site; 0 records that none are.
    #[schema(minimum = 0, maximum = 1000000, example = 12)]
    pub quantity: i32,
}

impl InstalledQuantity {
    /// 0 to [`MAX_INSTALLED`] units.
    pub fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        v.range_i64("quantity", self.quantity.into(), 0, MAX_INSTALLED.into());
        Ok(v.finish()?)
    }
}

/// One part installed at a site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteInstalledPart {
    pub part_id: i64,
    pub part_number: String,
    pub quantity: i32,
    pub updated_at: chrono::DateTime<Utc>,
}

/// One site where a part is installed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartInstallation {
    pub site_id: i64,
    pub site_code: String,
    pub quantity: i32,
    pub updated_at: chrono::DateTime<Utc>,
}

/// One line of the installed base: units of a part running at a site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstalledLine {
    pub id: i64,
    pub site_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub updated_at: chrono::DateTime<Utc>,
}

/// Filters of `GET /api/v1/installed-base`.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstalledBaseFilter {
    pub site_id: Option<i64>,
    pub part_id: Option<i64>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The whole installed base (or a site's, or a part's), by line id.
pub async fn installed_base(
    db: &impl ConnectionTrait,
    f: InstalledBaseFilter,
) -> AppResult<Page<InstalledLine>> {
    use installed_base::Column as I;
    let page = PageParams::checked(f.after, f.limit)?;
    let q = installed_base::Entity::find()
        .apply_if(f.site_id, |q, s| q.filter(I::SiteId.eq(s)))
        .apply_if(f.part_id, |q, p| q.filter(I::PartId.eq(p)));
    let rows = page.fetch(db, q, I::Id, |m| m.id).await?;
    Ok(rows.map(|r| InstalledLine {
        id: r.id,
        site_id: r.site_id,
        part_id: r.part_id,
        quantity: r.quantity,
        updated_at: r.updated_at,
    }))
}

/// Pages of an installed-base list; `after` is the last part id (for a
/// site's list) or site id (for a part's list) of the previous page.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstalledBaseParams {
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl InstalledBaseParams {
    fn page(self) -> AppResult<PageParams> {
        PageParams::checked(self.after, self.limit)
    }
}

/// The installed base of a site, by part id.
pub async fn site_installed_base(
    db: &impl ConnectionTrait,
    site_id: i64,
    params: InstalledBaseParams,
) -> AppResult<Page<SiteInstalledPart>> {
    let page = params.page()?;
    find::<Site>(db, site_id).await?;
    let rows = page
        .fetch(
            db,
            installed_base::Entity::find().filter(installed_base::Column::SiteId.eq(site_id)),
            installed_base::Column::PartId,
            |m| m.part_id,
        )
        .await?;
    let numbers: HashMap<i64, String> = part::Entity::find()
        .filter(part::Column::Id.is_in(rows.items.iter().map(|r| r.part_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.part_number))
        .collect();
    rows.try_map(|r| {
        Ok(SiteInstalledPart {
            part_number: numbers.get(&r.part_id).cloned().ok_or_else(|| {
                AppError::Internal(format!("installed base {} names no part", r.id))
            })?,
            part_id: r.part_id,
            quantity: r.quantity,
            updated_at: r.updated_at,
        })
    })
}

/// The sites where a part is installed, by site id.
pub async fn part_installed_base(
    db: &impl ConnectionTrait,
    part_id: i64,
    params: InstalledBaseParams,
) -> AppResult<Page<PartInstallation>> {
    let page = params.page()?;
    find::<Part>(db, part_id).await?;
    let rows = page
        .fetch(
            db,
            installed_base::Entity::find().filter(installed_base::Column::PartId.eq(part_id)),
            installed_base::Column::SiteId,
            |m| m.site_id,
        )
        .await?;
    let codes: HashMap<i64, String> = site::Entity::find()
        .filter(site::Column::Id.is_in(rows.items.iter().map(|r| r.site_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.code))
        .collect();
    rows.try_map(|r| {
        Ok(PartInstallation {
            site_code: codes.get(&r.site_id).cloned().ok_or_else(|| {
                AppError::Internal(format!("installed base {} names no site", r.id))
            })?,
            site_id: r.site_id,
            quantity: r.quantity,
            updated_at: r.updated_at,
        })
    })
}

/// Sets how many units of a part are installed at a site, creating the
/// line if it is new. One statement (`INSERT .. ON CONFLICT DO UPDATE`, in
/// [`write_installed`]), so two planners setting the same line at once both
/// succeed, last one wins.
pub async fn set_installed(
    db: &impl ConnectionTrait,
    site_id: i64,
    part_id: i64,
    body: InstalledQuantity,
    now: DateTime<Utc>,
) -> AppResult<SiteInstalledPart> {
    body.validate()?;
    find::<Site>(db, site_id).await?;
    let part = find::<Part>(db, part_id).await?;
    write_installed(db, [(site_id, part_id, body.quantity)], now).await?;
    let line = installed_base::Entity::find()
        .filter(installed_base::Column::SiteId.eq(site_id))
        .filter(installed_base::Column::PartId.eq(part_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("installed base line vanished after upsert".into()))?;
    Ok(SiteInstalledPart {
        part_id,
        part_number: part.part_number,
        quantity: line.quantity,
        updated_at: line.updated_at,
    })
}

/// Sets the quantity of each `(site_id, part_id, quantity)` line, creating
/// the new ones, in one statement (also a CSV import's batch).
pub async fn write_installed(
    db: &impl ConnectionTrait,
    lines: impl IntoIterator<Item = (i64, i64, i32)>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let rows: Vec<installed_base::ActiveModel> = lines
        .into_iter()
        .map(|(site_id, part_id, quantity)| installed_base::ActiveModel {
            site_id: Set(site_id),
            part_id: Set(part_id),
            quantity: Set(quantity),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    installed_base::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                installed_base::Column::SiteId,
                installed_base::Column::PartId,
            ])
            .update_columns([
                installed_base::Column::Quantity,
                installed_base::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
