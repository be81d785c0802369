//! Part master data.
use std::collections::HashSet;

use chrono::Utc;
use entities::part;
use entities::stock_movement;
use entities::vocabulary::{Criticality, Lifecycle, PartKind};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource::{Column, Listing, MasterResource, apply_patch};
use crate::core::fields::{Code, Currency, FreeText};
use crate::core::validate::MAX_NAME;
use crate::core::{Money, Validator};
use crate::store::error::{AppError, AppResult};

/// The editable fields of a part; the body of `POST /api/v1/parts`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartFields {
    /// Unique part number.
    pub part_number: Code,
    #[serde(default)]
    pub description: FreeText,
    /// Unit of measure, `EA` by default.
    #[serde(default = "default_uom")]
    #[schema(min_length = 1, max_length = 20, pattern = r"^\S+$")]
    pub unit_of_measure: String,
    /// Cost of one unit, a decimal string with at most 6 decimals.
    #[serde(deserialize_with = "crate::core::input::decimal_text")]
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "1250.00")]
    pub unit_cost: Decimal,
    #[serde(default = "Currency::eur")]
    pub currency: Currency,
    pub kind: PartKind,
    #[serde(default = "default_criticality")]
    pub criticality: Criticality,
    /// Failures per installed unit per year.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    pub annual_failure_rate: f64,
    /// Purchase lead time in days.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub lead_time_days: i32,
    /// Repair turnaround in days (0 for consumables).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub repair_turnaround_days: i32,
    #[serde(default)]
    pub serialized: bool,
    #[serde(default = "default_lifecycle")]
    pub lifecycle: Lifecycle,
}

impl PartFields {
    /// A part with the fields a create body must give, and every other at
    /// the default it gets when the body leaves it out.
    pub fn new(part_number: Code, unit_cost: Decimal, kind: PartKind) -> PartFields {
        PartFields {
            part_number,
            description: FreeText::default(),
            unit_of_measure: default_uom(),
            unit_cost,
            currency: Currency::eur(),
            kind,
            criticality: default_criticality(),
            annual_failure_rate: 0.0,
            lead_time_days: 0,
            repair_turnaround_days: 0,
            serialized: false,
            lifecycle: default_lifecycle(),
        }
    }
}

fn default_uom() -> String {
    "EA".into()
}
fn default_criticality() -> Criticality {
    Criticality::Medium
}
fn default_lifecycle() -> Lifecycle {
    Lifecycle::Active
}

/// A partial update: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartPatch {
    pub part_number: Option<Code>,
    pub description: Option<FreeText>,
    #[schema(min_length = 1, max_length = 20, pattern = r"^\S+$")]
    pub unit_of_measure: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::core::input::optional_decimal_text"
    )]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$")]
    pub unit_cost: Option<Decimal>,
    pub currency: Option<Currency>,
    pub kind: Option<PartKind>,
    pub criticality: Option<Criticality>,
    #[schema(minimum = 0, maximum = 1000)]
    pub annual_failure_rate: Option<f64>,
    #[schema(minimum = 0, maximum = 3650)]
    pub lead_time_days: Option<i32>,
    #[schema(minimum = 0, maximum = 3650)]
    pub repair_turnaround_days: Option<i32>,
    pub serialized: Option<bool>,
    pub lifecycle: Option<Lifecycle>,
}

/// A part as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Part {
    pub id: i64,
    pub part_number: String,
    pub description: String,
    pub unit_of_measure: String,
    #[schema(value_type = String, example = "1250.00")]
    pub unit_cost: Decimal,
    pub currency: String,
    pub kind: PartKind,
    pub criticality: Criticality,
    pub annual_failure_rate: f64,
    pub lead_time_days: i32,
    pub repair_turnaround_days: i32,
    pub serialized: bool,
    pub lifecycle: Lifecycle,
    /// False once deactivated; a deactivated part stays readable.
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// Filters of `GET /api/v1/parts`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartFilter {
    /// Case-insensitive text in the part number or description.
    pub q: Option<String>,
    pub kind: Option<PartKind>,
    pub criticality: Option<Criticality>,
    pub lifecycle: Option<Lifecycle>,
    pub active: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl MasterResource for Part {
    type Entity = part::Entity;
    type Fields = PartFields;
    type Patch = PartPatch;
    /// The unit cost.
    type Checked = Money;
    type Filter = PartFilter;

    const RESOURCE: &'static str = "part";
    const KEY_FIELD: &'static str = "part_number";
    const SEARCH: &'static [Column<Self>] = &[part::Column::PartNumber, part::Column::Description];

    fn key(fields: &PartFields) -> Condition {
        Condition::all().add(part::Column::PartNumber.eq(fields.part_number.as_str()))
    }

    fn view(row: part::Model) -> AppResult<Part> {
        Ok(Part {
            id: row.id,
            unit_cost: Money::from_db(&row.unit_cost)?.amount(),
            kind: row.kind,
            criticality: row.criticality,
            lifecycle: row.lifecycle,
            part_number: row.part_number,
            description: row.description,
            unit_of_measure: row.unit_of_measure,
            currency: row.currency,
            annual_failure_rate: row.annual_failure_rate,
            lead_time_days: row.lead_time_days,
            repair_turnaround_days: row.repair_turnaround_days,
            serialized: row.serialized,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    fn fields(row: &part::Model) -> AppResult<PartFields> {
        Ok(PartFields {
            part_number: row.part_number.as_str().into(),
            description: row.description.as_str().into(),
            unit_of_measure: row.unit_of_measure.clone(),
            unit_cost: Money::from_db(&row.unit_cost)?.amount(),
            currency: row.currency.as_str().into(),
            kind: row.kind,
            criticality: row.criticality,
            annual_failure_rate: row.annual_failure_rate,
            lead_time_days: row.lead_time_days,
            repair_turnaround_days: row.repair_turnaround_days,
            serialized: row.serialized,
            lifecycle: row.lifecycle,
        })
    }

    fn apply(patch: PartPatch, fields: &mut PartFields) {
        apply_patch!(patch, PartPatch {
            part_number, description, unit_of_measure, unit_cost, currency, kind, criticality,
            annual_failure_rate, lead_time_days, repair_turnaround_days, serialized, lifecycle,
        } => fields);
    }

    fn validate(f: &PartFields) -> AppResult<Money> {
        let mut v = Validator::new();
        v.rule("part_number", &f.part_number)
            .rule("description", &f.description)
            .text("unit_of_measure", &f.unit_of_measure, 20)
            .rule("currency", &f.currency)
            .range_f64("annual_failure_rate", f.annual_failure_rate, 0.0, 1000.0)
            .range_i64("lead_time_days", f.lead_time_days.into(), 0, 3650)
            .range_i64(
                "repair_turnaround_days",
                f.repair_turnaround_days.into(),
                0,
                3650,
            )
            .check(
                f.unit_of_measure.len() <= MAX_NAME && !f.unit_of_measure.contains(' '),
                "unit_of_measure",
                "must not contain spaces",
            );
        let cost = v.money("unit_cost", f.unit_cost);
        v.finish()?;
        Ok(cost)
    }

    fn write(f: PartFields, cost: Money, row: &mut part::ActiveModel) {
        row.part_number = Set(f.part_number.into());
        row.description = Set(f.description.into());
        row.unit_of_measure = Set(f.unit_of_measure);
        row.unit_cost = Set(cost.to_db());
        row.currency = Set(f.currency.into());
        row.kind = Set(f.kind);
        row.criticality = Set(f.criticality);
        row.annual_failure_rate = Set(f.annual_failure_rate);
        row.lead_time_days = Set(f.lead_time_days);
        row.repair_turnaround_days = Set(f.repair_turnaround_days);
        row.serialized = Set(f.serialized);
        row.lifecycle = Set(f.lifecycle);
    }

    fn listing(f: PartFilter) -> Listing {
        Listing::page(f.after, f.limit)
            .search(f.q)
            .when(part::Column::Kind, f.kind.map(|k| k.as_str()))
            .when(part::Column::Criticality, f.criticality.map(|c| c.as_str()))
            .when(part::Column::Lifecycle, f.lifecycle.map(|l| l.as_str()))
            .when(part::Column::Active, f.active)
    }

    /// Serial tracking holds only if every movement of the part named its
    /// units; switching it once stock has moved would break that.
    async fn check<C: ConnectionTrait>(
        db: &C,
        current: Option<(i64, &PartFields)>,
        after: &PartFields,
    ) -> AppResult<()> {
        let Some((id, before)) = current else {
            return Ok(());
        };
        if after.serialized == before.serialized {
            return Ok(());
        }
        if !moved_parts(db, &[id]).await?.is_empty() {
            return Err(AppError::Conflict(serialized_is_fixed(
                before.part_number.as_str(),
            )));
        }
        Ok(())
    }
}

/// The part with this part number (404 when none has it), so people can
/// look a part up by the number on its label.
pub async fn by_number(db: &impl ConnectionTrait, part_number: &str) -> AppResult<Part> {
    let row = part::Entity::find()
        .filter(part::Column::PartNumber.eq(part_number))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("part"))?;
    Part::view(row)
}

/// Which of `ids` have stock movements, in one query: whether such a part
/// is serialized can no longer change.
pub async fn moved_parts(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<HashSet<i64>> {
    use sea_orm::QuerySelect;
    let moved: Vec<i64> = stock_movement::Entity::find()
        .select_only()
        .column(stock_movement::Column::PartId)
        .distinct()
        .filter(stock_movement::Column::PartId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(moved.into_iter().collect())
}

/// Why a moved part's serial tracking stays as it is.
pub fn serialized_is_fixed(part_number: &str) -> String {
    format!("part {part_number} has stock movements; whether it is serialized can no longer change")
}
