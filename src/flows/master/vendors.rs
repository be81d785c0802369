//! Vendors: the suppliers parts are bought from and the repair shops
//! defective units are sent to, with their lead times.
use chrono::Utc;
use entities::vendor;
use entities::vocabulary::VendorKind;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Validator;
use crate::core::input::double_option;
use crate::core::validate::MAX_NAME;
use crate::store::error::{AppError, AppResult, unique_as};
use crate::store::paging::{Page, PageParams, text_search};

/// The longest lead time or repair turnaround: ten years.
pub const MAX_DAYS: i32 = 3650;

/// The editable fields of a vendor; the body of `POST /api/v1/vendors`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorFields {
    /// Unique vendor code.
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$", example = "ACME-RF")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        example = "ACME RF Components"
    )]
    pub name: String,
    pub kind: VendorKind,
    /// Purchase lead time in days.
    #[schema(minimum = 0, maximum = 3650, example = 30)]
    pub lead_time_days: i32,
    /// Repair turnaround in days; required when `kind` is `repair` or `both`.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650, example = 14)]
    pub repair_turnaround_days: Option<i32>,
}

/// A partial update: only the fields given change;
/// `"repair_turnaround_days": null` clears it (suppliers only).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorPatch {
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$")]
    pub code: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    pub kind: Option<VendorKind>,
    #[schema(minimum = 0, maximum = 3650)]
    pub lead_time_days: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 3650)]
    pub repair_turnaround_days: Option<Option<i32>>,
}

/// A vendor as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Vendor {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: VendorKind,
    pub lead_time_days: i32,
    pub repair_turnaround_days: Option<i32>,
    /// False once deactivated; a deactivated vendor stays readable.
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl Vendor {
    pub fn from_row(row: vendor::Model) -> AppResult<Vendor> {
        Ok(Vendor {
            id: row.id,
            kind: row.kind,
            code: row.code,
            name: row.name,
            lead_time_days: row.lead_time_days,
            repair_turnaround_days: row.repair_turnaround_days,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    fn fields(&self) -> VendorFields {
        VendorFields {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind,
            lead_time_days: self.lead_time_days,
            repair_turnaround_days: self.repair_turnaround_days,
        }
    }
}

impl VendorPatch {
    fn apply(self, f: &mut VendorFields) {
        if let Some(v) = self.code {
            f.code = v;
        }
        if let Some(v) = self.name {
            f.name = v;
        }
        if let Some(v) = self.kind {
            f.kind = v;
        }
        if let Some(v) = self.lead_time_days {
            f.lead_time_days = v;
        }
        if let Some(v) = self.repair_turnaround_days {
            f.repair_turnaround_days = v;
        }
    }
}

impl VendorFields {
    fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        v.code("code", &self.code)
            .text("name", &self.name, MAX_NAME)
            .range_i64(
                "lead_time_days",
                self.lead_time_days.into(),
                0,
                MAX_DAYS.into(),
            );
        match self.repair_turnaround_days {
            Some(days) => {
                v.range_i64("repair_turnaround_days", days.into(), 0, MAX_DAYS.into());
            }
            None => {
                v.check(
                    self.kind == VendorKind::Supplier,
                    "repair_turnaround_days",
                    "is required when kind is repair or both",
                );
            }
        }
        Ok(v.finish()?)
    }

    fn write_to(&self, row: &mut vendor::ActiveModel) {
        row.code = Set(self.code.clone());
        row.name = Set(self.name.clone());
        row.kind = Set(self.kind);
        row.lead_time_days = Set(self.lead_time_days);
        row.repair_turnaround_days = Set(self.repair_turnaround_days);
        row.updated_at = Set(Utc::now());
    }
}

async fn ensure_unique_code(
    db: &impl ConnectionTrait,
    code: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let mut q = vendor::Entity::find().filter(vendor::Column::Code.eq(code));
    if let Some(id) = except {
        q = q.filter(vendor::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(AppError::AlreadyExists {
            resource: "vendor",
            field: "code",
        });
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, fields: VendorFields) -> AppResult<Vendor> {
    fields.validate()?;
    ensure_unique_code(db, &fields.code, None).await?;
    let mut row = vendor::ActiveModel {
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    fields.write_to(&mut row);
    let row = row
        .insert(db)
        .await
        .map_err(|e| unique_as(e, "vendor", "code"))?;
    Vendor::from_row(row)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<vendor::Model> {
    vendor::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("vendor"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Vendor> {
    Vendor::from_row(find(db, id).await?)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, patch: VendorPatch) -> AppResult<Vendor> {
    let row = find(db, id).await?;
    let mut fields = Vendor::from_row(row.clone())?.fields();
    patch.apply(&mut fields);
    fields.validate()?;
    ensure_unique_code(db, &fields.code, Some(id)).await?;
    let mut model: vendor::ActiveModel = row.into();
    fields.write_to(&mut model);
    let row = model
        .update(db)
        .await
        .map_err(|e| unique_as(e, "vendor", "code"))?;
    Vendor::from_row(row)
}

pub async fn set_active(db: &impl ConnectionTrait, id: i64, active: bool) -> AppResult<Vendor> {
    let row = find(db, id).await?;
    let mut model: vendor::ActiveModel = row.into();
    model.active = Set(active);
    model.updated_at = Set(Utc::now());
    Vendor::from_row(model.update(db).await?)
}

/// Filters of `GET /api/v1/vendors`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VendorFilter {
    /// Case-insensitive text in the code or name.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub kind: Option<VendorKind>,
    pub active: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, filter: VendorFilter) -> AppResult<Page<Vendor>> {
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
    let mut select = vendor::Entity::find();
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        select = select.filter(text_search(
            &[vendor::Column::Code, vendor::Column::Name],
            q,
        ));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(vendor::Column::Kind.eq(kind.as_str()));
    }
    if let Some(a) = filter.active {
        select = select.filter(vendor::Column::Active.eq(a));
    }
    page.fetch(db, select, vendor::Column::Id, |m| m.id)
        .await?
        .try_map(Vendor::from_row)
}
