//! SLA classes: the service levels sold with sites (4-hour, same business
//! day, next business day, ...), each a response window in minutes that
//! counts either wall-clock time or business hours only.
use chrono::Utc;
use entities::sla_class;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource::{Column, Listing, MasterResource, apply_patch};
use crate::core::Validator;
use crate::core::fields::{Code, Name};
use crate::store::error::AppResult;

/// The longest response window: thirty days.
pub const MAX_RESPONSE_MINUTES: i32 = 43_200;

/// The editable fields of an SLA class; the body of `POST /api/v1/sla-classes`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaClassFields {
    /// Unique code.
    pub code: Code,
    pub name: Name,
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
    pub code: Option<Code>,
    pub name: Option<Name>,
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

impl MasterResource for SlaClass {
    type Entity = sla_class::Entity;
    type Fields = SlaClassFields;
    type Patch = SlaClassPatch;
    type Checked = ();
    type Filter = SlaClassFilter;

    const RESOURCE: &'static str = "sla_class";
    const LABEL: &'static str = "SLA class";
    const KEY_FIELD: &'static str = "code";
    const SEARCH: &'static [Column<Self>] = &[sla_class::Column::Code, sla_class::Column::Name];

    fn key(fields: &SlaClassFields) -> Condition {
        Condition::all().add(sla_class::Column::Code.eq(fields.code.as_str()))
    }

    fn view(row: sla_class::Model) -> AppResult<SlaClass> {
        Ok(SlaClass {
            id: row.id,
            code: row.code,
            name: row.name,
            response_minutes: row.response_minutes,
            business_hours_only: row.business_hours_only,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    fn fields(row: &sla_class::Model) -> AppResult<SlaClassFields> {
        Ok(SlaClassFields {
            code: row.code.as_str().into(),
            name: row.name.as_str().into(),
            response_minutes: row.response_minutes,
            business_hours_only: row.business_hours_only,
        })
    }

    fn apply(patch: SlaClassPatch, fields: &mut SlaClassFields) {
        apply_patch!(patch, SlaClassPatch {
            code, name, response_minutes, business_hours_only,
        } => fields);
    }

    fn validate(f: &SlaClassFields) -> AppResult<()> {
        let mut v = Validator::new();
        v.rule("code", &f.code).rule("name", &f.name).range_i64(
            "response_minutes",
            f.response_minutes.into(),
            1,
            MAX_RESPONSE_MINUTES.into(),
        );
        Ok(v.finish()?)
    }

    fn write(f: SlaClassFields, (): (), row: &mut sla_class::ActiveModel) {
        row.code = Set(f.code.into());
        row.name = Set(f.name.into());
        row.response_minutes = Set(f.response_minutes);
        row.business_hours_only = Set(f.business_hours_only);
    }

    fn listing(f: SlaClassFilter) -> Listing {
        Listing::page(f.after, f.limit)
            .search(f.q)
            .when(sla_class::Column::BusinessHoursOnly, f.business_hours_only)
            .when(sla_class::Column::Active, f.active)
    }

    fn describe(row: &sla_class::Model) -> String {
        format!("SLA class {}", row.code)
    }
}
