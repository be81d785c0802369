//! Customer sites: where the equipment runs, which warehouse serves them and
//! how far away it is, the SLA they were sold with, and their installed
//! base (how many units of each part run there) — the service-contract
//! inputs of planning.
use std::borrow::Cow;
use std::collections::HashMap;

use chrono::Utc;
use entities::{installed_base, part, site};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{parts, sla_classes, warehouses};
use crate::core::Validator;
use crate::core::input::double_option;
use crate::core::validate::MAX_NAME;
use crate::store::error::{AppError, AppResult, unique_as};
use crate::store::paging::{Page, PageParams, text_search};

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
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteFields {
    /// Unique site code.
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$", example = "BER-017")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        example = "Berlin Mitte core site"
    )]
    pub name: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        example = "Nordtel"
    )]
    pub customer: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        example = "EMEA"
    )]
    pub region: String,
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
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$")]
    pub code: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub customer: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub region: Option<String>,
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

impl Site {
    pub fn from_row(row: site::Model) -> Site {
        Site {
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
        }
    }

    fn fields(&self) -> SiteFields {
        SiteFields {
            code: self.code.clone(),
            name: self.name.clone(),
            customer: self.customer.clone(),
            region: self.region.clone(),
            time_zone: self.time_zone.clone(),
            serving_warehouse_id: self.serving_warehouse_id,
            transit_hours: self.transit_hours,
            sla_class_id: self.sla_class_id,
        }
    }
}

impl SitePatch {
    fn apply(self, f: &mut SiteFields) {
        if let Some(v) = self.code {
            f.code = v;
        }
        if let Some(v) = self.name {
            f.name = v;
        }
        if let Some(v) = self.customer {
            f.customer = v;
        }
        if let Some(v) = self.region {
            f.region = v;
        }
        if let Some(v) = self.time_zone {
            f.time_zone = v;
        }
        if let Some(v) = self.serving_warehouse_id {
            f.serving_warehouse_id = v;
        }
        if let Some(v) = self.transit_hours {
            f.transit_hours = v;
        }
        if let Some(v) = self.sla_class_id {
            f.sla_class_id = v;
        }
    }
}

impl SiteFields {
    fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        v.code("code", &self.code)
            .text("name", &self.name, MAX_NAME)
            .text("customer", &self.customer, MAX_NAME)
            .text("region", &self.region, MAX_NAME)
            .check(
                self.time_zone.parse::<chrono_tz::Tz>().is_ok(),
                "time_zone",
                "must be an IANA time zone name such as Europe/Berlin",
            )
            .range_f64("transit_hours", self.transit_hours, 0.0, MAX_TRANSIT_HOURS);
        Ok(v.finish()?)
    }

    /// Checks the references that changed from `before` (all of them on
    /// create): a site keeps working after its warehouse or SLA class is
    /// deactivated, but cannot be newly pointed at one.
    async fn check_references(
        &self,
        db: &impl ConnectionTrait,
        before: Option<&SiteFields>,
    ) -> AppResult<()> {
        if before.is_none_or(|b| b.serving_warehouse_id != self.serving_warehouse_id) {
            warehouses::require_active(db, "serving_warehouse_id", self.serving_warehouse_id)
                .await?;
        }
        if let Some(class) = self.sla_class_id
            && before.is_none_or(|b| b.sla_class_id != self.sla_class_id)
        {
            sla_classes::require_active(db, "sla_class_id", class).await?;
        }
        Ok(())
    }

    fn write_to(&self, row: &mut site::ActiveModel) {
        row.code = Set(self.code.clone());
        row.name = Set(self.name.clone());
        row.customer = Set(self.customer.clone());
        row.region = Set(self.region.clone());
        row.time_zone = Set(self.time_zone.clone());
        row.serving_warehouse_id = Set(self.serving_warehouse_id);
        row.transit_hours = Set(self.transit_hours);
        row.sla_class_id = Set(self.sla_class_id);
        row.updated_at = Set(Utc::now());
    }
}

async fn ensure_unique_code(
    db: &impl ConnectionTrait,
    code: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let mut q = site::Entity::find().filter(site::Column::Code.eq(code));
    if let Some(id) = except {
        q = q.filter(site::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(AppError::AlreadyExists {
            resource: "site",
            field: "code",
        });
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, fields: SiteFields) -> AppResult<Site> {
    fields.validate()?;
    fields.check_references(db, None).await?;
    ensure_unique_code(db, &fields.code, None).await?;
    let mut row = site::ActiveModel {
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    fields.write_to(&mut row);
    let row = row
        .insert(db)
        .await
        .map_err(|e| unique_as(e, "site", "code"))?;
    Ok(Site::from_row(row))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<site::Model> {
    site::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("site"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Site> {
    Ok(Site::from_row(find(db, id).await?))
}

pub async fn update(db: &impl ConnectionTrait, id: i64, patch: SitePatch) -> AppResult<Site> {
    let row = find(db, id).await?;
    let before = Site::from_row(row.clone()).fields();
    let mut fields = before.clone();
    patch.apply(&mut fields);
    fields.validate()?;
    fields.check_references(db, Some(&before)).await?;
    ensure_unique_code(db, &fields.code, Some(id)).await?;
    let mut model: site::ActiveModel = row.into();
    fields.write_to(&mut model);
    let row = model
        .update(db)
        .await
        .map_err(|e| unique_as(e, "site", "code"))?;
    Ok(Site::from_row(row))
}

pub async fn set_active(db: &impl ConnectionTrait, id: i64, active: bool) -> AppResult<Site> {
    let row = find(db, id).await?;
    let mut model: site::ActiveModel = row.into();
    model.active = Set(active);
    model.updated_at = Set(Utc::now());
    Ok(Site::from_row(model.update(db).await?))
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

pub async fn list(db: &impl ConnectionTrait, filter: SiteFilter) -> AppResult<Page<Site>> {
    let page = PageParams {
        after: filter.after,
        limit: filter.limit,
    };
    let mut v = Validator::new();
    page.validate(&mut v);
    if let Some(q) = &filter.q {
        v.optional_text("q", q, MAX_NAME);
    }
    v.finish()?;
    let mut select = site::Entity::find();
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        select = select.filter(text_search(
            &[
                site::Column::Code,
                site::Column::Name,
                site::Column::Customer,
            ],
            q,
        ));
    }
    if let Some(region) = filter.region {
        select = select.filter(site::Column::Region.eq(region));
    }
    if let Some(customer) = filter.customer {
        select = select.filter(site::Column::Customer.eq(customer));
    }
    if let Some(w) = filter.serving_warehouse_id {
        select = select.filter(site::Column::ServingWarehouseId.eq(w));
    }
    if let Some(c) = filter.sla_class_id {
        select = select.filter(site::Column::SlaClassId.eq(c));
    }
    if let Some(a) = filter.active {
        select = select.filter(site::Column::Active.eq(a));
    }
    page.fetch(db, select, site::Column::Id, |m| m.id)
        .await?
        .try_map(|m| Ok(Site::from_row(m)))
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
        let page = PageParams {
            after: self.after,
            limit: self.limit,
        };
        let mut v = Validator::new();
        page.validate(&mut v);
        v.finish()?;
        Ok(page)
    }
}

/// The installed base of a site, by part id.
pub async fn site_installed_base(
    db: &impl ConnectionTrait,
    site_id: i64,
    params: InstalledBaseParams,
) -> AppResult<Page<SiteInstalledPart>> {
    let page = params.page()?;
    find(db, site_id).await?;
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
    parts::find(db, part_id).await?;
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
/// line if it is new. One statement (`INSERT .. ON CONFLICT DO UPDATE`), so
/// two planners setting the same line at once both succeed, last one wins.
pub async fn set_installed(
    db: &impl ConnectionTrait,
    site_id: i64,
    part_id: i64,
    body: InstalledQuantity,
) -> AppResult<SiteInstalledPart> {
    let mut v = Validator::new();
    v.range_i64("quantity", body.quantity.into(), 0, MAX_INSTALLED.into());
    v.finish()?;
    find(db, site_id).await?;
    let part = parts::find(db, part_id).await?;
    installed_base::Entity::insert(installed_base::ActiveModel {
        site_id: Set(site_id),
        part_id: Set(part_id),
        quantity: Set(body.quantity),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
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
