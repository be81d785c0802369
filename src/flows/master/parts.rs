//! Part master data.
use chrono::Utc;
use entities::part;
use entities::vocabulary::{Criticality, Lifecycle, PartKind};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::validate::{MAX_NAME, MAX_TEXT};
use crate::core::{Money, Validator};
use crate::store::error::{AppError, AppResult};
use crate::store::paging::{Page, PageParams, like_pattern};

/// The editable fields of a part; the body of `POST /api/v1/parts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartFields {
    /// Unique part number.
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$", example = "RRU-2208-B")]
    pub part_number: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Unit of measure, `EA` by default.
    #[serde(default = "default_uom")]
    #[schema(min_length = 1, max_length = 20, pattern = r"^\S+$")]
    pub unit_of_measure: String,
    /// Cost of one unit, a decimal string with at most 6 decimals.
    #[serde(deserialize_with = "crate::core::input::decimal_text")]
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "1250.00")]
    pub unit_cost: Decimal,
    #[serde(default = "default_currency")]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
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

fn default_uom() -> String {
    "EA".into()
}
fn default_currency() -> String {
    "EUR".into()
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
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$")]
    pub part_number: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(min_length = 1, max_length = 20, pattern = r"^\S+$")]
    pub unit_of_measure: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::core::input::optional_decimal_text"
    )]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$")]
    pub unit_cost: Option<Decimal>,
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
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

impl Part {
    pub fn from_row(row: part::Model) -> AppResult<Part> {
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

    fn fields(&self) -> PartFields {
        PartFields {
            part_number: self.part_number.clone(),
            description: self.description.clone(),
            unit_of_measure: self.unit_of_measure.clone(),
            unit_cost: self.unit_cost,
            currency: self.currency.clone(),
            kind: self.kind,
            criticality: self.criticality,
            annual_failure_rate: self.annual_failure_rate,
            lead_time_days: self.lead_time_days,
            repair_turnaround_days: self.repair_turnaround_days,
            serialized: self.serialized,
            lifecycle: self.lifecycle,
        }
    }
}

impl PartPatch {
    fn apply(self, f: &mut PartFields) {
        let p = self;
        if let Some(v) = p.part_number {
            f.part_number = v;
        }
        if let Some(v) = p.description {
            f.description = v;
        }
        if let Some(v) = p.unit_of_measure {
            f.unit_of_measure = v;
        }
        if let Some(v) = p.unit_cost {
            f.unit_cost = v;
        }
        if let Some(v) = p.currency {
            f.currency = v;
        }
        if let Some(v) = p.kind {
            f.kind = v;
        }
        if let Some(v) = p.criticality {
            f.criticality = v;
        }
        if let Some(v) = p.annual_failure_rate {
            f.annual_failure_rate = v;
        }
        if let Some(v) = p.lead_time_days {
            f.lead_time_days = v;
        }
        if let Some(v) = p.repair_turnaround_days {
            f.repair_turnaround_days = v;
        }
        if let Some(v) = p.serialized {
            f.serialized = v;
        }
        if let Some(v) = p.lifecycle {
            f.lifecycle = v;
        }
    }
}

impl PartFields {
    /// Checks every field and returns the validated unit cost.
    fn validate(&self) -> AppResult<Money> {
        let mut v = Validator::new();
        v.code("part_number", &self.part_number)
            .optional_text("description", &self.description, MAX_TEXT)
            .text("unit_of_measure", &self.unit_of_measure, 20)
            .currency("currency", &self.currency)
            .range_f64("annual_failure_rate", self.annual_failure_rate, 0.0, 1000.0)
            .range_i64("lead_time_days", self.lead_time_days.into(), 0, 3650)
            .range_i64(
                "repair_turnaround_days",
                self.repair_turnaround_days.into(),
                0,
                3650,
            )
            .check(
                self.unit_of_measure.len() <= MAX_NAME && !self.unit_of_measure.contains(' '),
                "unit_of_measure",
                "must not contain spaces",
            );
        let cost = v.money("unit_cost", self.unit_cost);
        v.finish()?;
        Ok(cost)
    }

    fn write_to(&self, row: &mut part::ActiveModel, cost: Money) {
        row.part_number = Set(self.part_number.clone());
        row.description = Set(self.description.clone());
        row.unit_of_measure = Set(self.unit_of_measure.clone());
        row.unit_cost = Set(cost.to_db());
        row.currency = Set(self.currency.clone());
        row.kind = Set(self.kind);
        row.criticality = Set(self.criticality);
        row.annual_failure_rate = Set(self.annual_failure_rate);
        row.lead_time_days = Set(self.lead_time_days);
        row.repair_turnaround_days = Set(self.repair_turnaround_days);
        row.serialized = Set(self.serialized);
        row.lifecycle = Set(self.lifecycle);
        row.updated_at = Set(Utc::now());
    }
}

async fn ensure_unique_number(
    db: &impl ConnectionTrait,
    number: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let mut q = part::Entity::find().filter(part::Column::PartNumber.eq(number));
    if let Some(id) = except {
        q = q.filter(part::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(AppError::AlreadyExists {
            resource: "part",
            field: "part_number",
        });
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, fields: PartFields) -> AppResult<Part> {
    let cost = fields.validate()?;
    ensure_unique_number(db, &fields.part_number, None).await?;
    let now = Utc::now();
    let mut row = part::ActiveModel {
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    };
    fields.write_to(&mut row, cost);
    Part::from_row(row.insert(db).await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<part::Model> {
    part::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("part"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Part> {
    Part::from_row(find(db, id).await?)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, patch: PartPatch) -> AppResult<Part> {
    let row = find(db, id).await?;
    let mut fields = Part::from_row(row.clone())?.fields();
    patch.apply(&mut fields);
    let cost = fields.validate()?;
    ensure_unique_number(db, &fields.part_number, Some(id)).await?;
    // Serial tracking holds only if every movement of the part named its
    // units; switching it once stock has moved would break that.
    if fields.serialized != row.serialized
        && entities::stock_movement::Entity::find()
            .filter(entities::stock_movement::Column::PartId.eq(id))
            .one(db)
            .await?
            .is_some()
    {
        return Err(AppError::Conflict(format!(
            "part {} has stock movements; whether it is serialized can no longer change",
            row.part_number
        )));
    }
    let mut active: part::ActiveModel = row.into();
    fields.write_to(&mut active, cost);
    Part::from_row(active.update(db).await?)
}

pub async fn set_active(db: &impl ConnectionTrait, id: i64, active: bool) -> AppResult<Part> {
    let row = find(db, id).await?;
    let mut model: part::ActiveModel = row.into();
    model.active = Set(active);
    model.updated_at = Set(Utc::now());
    Part::from_row(model.update(db).await?)
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

pub async fn list(db: &impl ConnectionTrait, filter: PartFilter) -> AppResult<Page<Part>> {
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
    let mut select = part::Entity::find();
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        let pattern = like_pattern(q);
        select = select.filter(
            Expr::expr(Func::lower(Expr::col(part::Column::PartNumber)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
                .or(
                    Expr::expr(Func::lower(Expr::col(part::Column::Description)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    if let Some(kind) = filter.kind {
        select = select.filter(part::Column::Kind.eq(kind.as_str()));
    }
    if let Some(c) = filter.criticality {
        select = select.filter(part::Column::Criticality.eq(c.as_str()));
    }
    if let Some(l) = filter.lifecycle {
        select = select.filter(part::Column::Lifecycle.eq(l.as_str()));
    }
    if let Some(a) = filter.active {
        select = select.filter(part::Column::Active.eq(a));
    }
    page.fetch(db, select, part::Column::Id, |m| m.id)
        .await?
        .try_map(Part::from_row)
}
