//! SLA classes: the service levels sold with sites (4-hour, same business
//! day, next business day, ...), each a response window in minutes that
//! counts either wall-clock time or business hours only.
use chrono::Utc;
use entities::sla_class;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Validator;
use crate::core::validate::MAX_NAME;
use crate::store::error::{AppError, AppResult, unique_as};
use crate::store::paging::{Page, PageParams, text_search};

/// The longest response window: thirty days.
pub const MAX_RESPONSE_MINUTES: i32 = 43_200;

/// The editable fields of an SLA class; the body of `POST /api/v1/sla-classes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaClassFields {
    /// Unique code.
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$", example = "4H")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        example = "4-hour response"
    )]
    pub name: String,
    /// The response window in minutes.
    #[schema(minimum = 1, maximum = 43200, example = 240)]
    pub response_minutes: i32,
    /// Whether the window counts business hours only.
    #[serde(default)]
    pub business_hours_only: bool,
}

/// A partial update: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaClassPatch {
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$")]
    pub code: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(minimum = 1, maximum = 43200)]
    pub response_minutes: Option<i32>,
    pub business_hours_only: Option<bool>,
}

/// An SLA class as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaClass {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub response_minutes: i32,
    pub business_hours_only: bool,
    /// False once deactivated; a deactivated class stays readable.
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl SlaClass {
    pub fn from_row(row: sla_class::Model) -> SlaClass {
        SlaClass {
            id: row.id,
            code: row.code,
            name: row.name,
            response_minutes: row.response_minutes,
            business_hours_only: row.business_hours_only,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }

    fn fields(&self) -> SlaClassFields {
        SlaClassFields {
            code: self.code.clone(),
            name: self.name.clone(),
            response_minutes: self.response_minutes,
            business_hours_only: self.business_hours_only,
        }
    }
}

impl SlaClassPatch {
    fn apply(self, f: &mut SlaClassFields) {
        if let Some(v) = self.code {
            f.code = v;
        }
        if let Some(v) = self.name {
            f.name = v;
        }
        if let Some(v) = self.response_minutes {
            f.response_minutes = v;
        }
        if let Some(v) = self.business_hours_only {
            f.business_hours_only = v;
        }
    }
}

impl SlaClassFields {
    fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        v.code("code", &self.code)
            .text("name", &self.name, MAX_NAME)
            .range_i64(
                "response_minutes",
                self.response_minutes.into(),
                1,
                MAX_RESPONSE_MINUTES.into(),
            );
        Ok(v.finish()?)
    }

    fn write_to(&self, row: &mut sla_class::ActiveModel) {
        row.code = Set(self.code.clone());
        row.name = Set(self.name.clone());
        row.response_minutes = Set(self.response_minutes);
        row.business_hours_only = Set(self.business_hours_only);
        row.updated_at = Set(Utc::now());
    }
}

async fn ensure_unique_code(
    db: &impl ConnectionTrait,
    code: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let mut q = sla_class::Entity::find().filter(sla_class::Column::Code.eq(code));
    if let Some(id) = except {
        q = q.filter(sla_class::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(AppError::AlreadyExists {
            resource: "sla_class",
            field: "code",
        });
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, fields: SlaClassFields) -> AppResult<SlaClass> {
    fields.validate()?;
    ensure_unique_code(db, &fields.code, None).await?;
    let mut row = sla_class::ActiveModel {
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    fields.write_to(&mut row);
    let row = row
        .insert(db)
        .await
        .map_err(|e| unique_as(e, "sla_class", "code"))?;
    Ok(SlaClass::from_row(row))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<sla_class::Model> {
    sla_class::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("sla_class"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<SlaClass> {
    Ok(SlaClass::from_row(find(db, id).await?))
}

/// An SLA class another record is about to refer to through `field`: it
/// must exist and be active, else a 422 naming `field`.
pub async fn require_active(
    db: &impl ConnectionTrait,
    field: &str,
    id: i64,
) -> AppResult<sla_class::Model> {
    match sla_class::Entity::find_by_id(id).one(db).await? {
        None => Err(AppError::field(field, format!("no SLA class with id {id}"))),
        Some(c) if !c.active => Err(AppError::field(
            field,
            format!("SLA class {} is deactivated", c.code),
        )),
        Some(c) => Ok(c),
    }
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    patch: SlaClassPatch,
) -> AppResult<SlaClass> {
    let row = find(db, id).await?;
    let mut fields = SlaClass::from_row(row.clone()).fields();
    patch.apply(&mut fields);
    fields.validate()?;
    ensure_unique_code(db, &fields.code, Some(id)).await?;
    let mut model: sla_class::ActiveModel = row.into();
    fields.write_to(&mut model);
    let row = model
        .update(db)
        .await
        .map_err(|e| unique_as(e, "sla_class", "code"))?;
    Ok(SlaClass::from_row(row))
}

pub async fn set_active(db: &impl ConnectionTrait, id: i64, active: bool) -> AppResult<SlaClass> {
    let row = find(db, id).await?;
    let mut model: sla_class::ActiveModel = row.into();
    model.active = Set(active);
    model.updated_at = Set(Utc::now());
    Ok(SlaClass::from_row(model.update(db).await?))
}

/// Filters of `GET /api/v1/sla-classes`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlaClassFilter {
    /// Case-insensitive text in the code or name.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub business_hours_only: Option<bool>,
    pub active: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, filter: SlaClassFilter) -> AppResult<Page<SlaClass>> {
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
    let mut select = sla_class::Entity::find();
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        select = select.filter(text_search(
            &[sla_class::Column::Code, sla_class::Column::Name],
            q,
        ));
    }
    if let Some(b) = filter.business_hours_only {
        select = select.filter(sla_class::Column::BusinessHoursOnly.eq(b));
    }
    if let Some(a) = filter.active {
        select = select.filter(sla_class::Column::Active.eq(a));
    }
    page.fetch(db, select, sla_class::Column::Id, |m| m.id)
        .await?
        .try_map(|m| Ok(SlaClass::from_row(m)))
}
