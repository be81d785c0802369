//! Vendors: the suppliers parts are bought from and the repair shops
//! defective units are sent to, with their lead times.
use chrono::Utc;
use entities::vendor;
use entities::vocabulary::VendorKind;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource::{Column, Listing, MasterResource, apply_patch};
use crate::core::Validator;
use crate::core::fields::{Code, Name};
use crate::core::input::double_option;
use crate::store::error::AppResult;

/// The longest lead time or repair turnaround: ten years.
pub const MAX_DAYS: i32 = 3650;

/// The editable fields of a vendor; the body of `POST /api/v1/vendors`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorFields {
    /// Unique vendor code.
    pub code: Code,
    pub name: Name,
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
    pub code: Option<Code>,
    pub name: Option<Name>,
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

impl MasterResource for Vendor {
    type Entity = vendor::Entity;
    type Fields = VendorFields;
    type Patch = VendorPatch;
    type Checked = ();
    type Filter = VendorFilter;

    const RESOURCE: &'static str = "vendor";
    const KEY_FIELD: &'static str = "code";
    const SEARCH: &'static [Column<Self>] = &[vendor::Column::Code, vendor::Column::Name];

    fn key(fields: &VendorFields) -> Condition {
        Condition::all().add(vendor::Column::Code.eq(fields.code.as_str()))
    }

    fn view(row: vendor::Model) -> AppResult<Vendor> {
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

    fn fields(row: &vendor::Model) -> AppResult<VendorFields> {
        Ok(VendorFields {
            code: row.code.as_str().into(),
            name: row.name.as_str().into(),
            kind: row.kind,
            lead_time_days: row.lead_time_days,
            repair_turnaround_days: row.repair_turnaround_days,
        })
    }

    fn apply(patch: VendorPatch, fields: &mut VendorFields) {
        apply_patch!(patch, VendorPatch {
            code, name, kind, lead_time_days, repair_turnaround_days,
        } => fields);
    }

    fn validate(f: &VendorFields) -> AppResult<()> {
        let mut v = Validator::new();
        v.rule("code", &f.code).rule("name", &f.name).range_i64(
            "lead_time_days",
            f.lead_time_days.into(),
            0,
            MAX_DAYS.into(),
        );
        match f.repair_turnaround_days {
            Some(days) => {
                v.range_i64("repair_turnaround_days", days.into(), 0, MAX_DAYS.into());
            }
            None => {
                v.check(
                    f.kind == VendorKind::Supplier,
                    "repair_turnaround_days",
                    "is required when kind is repair or both",
                );
            }
        }
        Ok(v.finish()?)
    }

    fn write(f: VendorFields, (): (), row: &mut vendor::ActiveModel) {
        row.code = Set(f.code.into());
        row.name = Set(f.name.into());
        row.kind = Set(f.kind);
        row.lead_time_days = Set(f.lead_time_days);
        row.repair_turnaround_days = Set(f.repair_turnaround_days);
    }

    fn listing(f: VendorFilter) -> Listing {
        Listing::page(f.after, f.limit)
            .search(f.q)
            .when(vendor::Column::Kind, f.kind.map(|k| k.as_str()))
            .when(vendor::Column::Active, f.active)
    }
}
