//! Lanes: one-way transport links between two warehouses with their transit
//! time and cost, the inputs of transfer sourcing and emergency shipments.
//!
//! A lane is identified by its two ends: at most one lane per ordered pair,
//! and the ends never change (a different route is a different lane; retire
//! the old one by deactivating it).
use chrono::Utc;
use entities::lane;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::warehouses::require_active;
use crate::core::input::{decimal_text, optional_decimal_text};
use crate::core::{Money, Validator};
use crate::store::error::{AppError, AppResult, unique_as};
use crate::store::paging::{Page, PageParams};

/// The longest transit a lane may take: one year.
pub const MAX_TRANSIT_HOURS: f64 = 8760.0;

/// The body of `POST /api/v1/lanes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneFields {
    /// The shipping warehouse; must exist and be active.
    #[schema(minimum = 1)]
    pub from_warehouse_id: i64,
    /// The receiving warehouse; must exist, be active and differ from the
    /// shipping one.
    #[schema(minimum = 1)]
    pub to_warehouse_id: i64,
    /// Transit time in hours.
    #[schema(minimum = 0, maximum = 8760, example = 36.0)]
    pub transit_hours: f64,
    /// Cost of one shipment, a decimal string with at most 6 decimals.
    #[serde(deserialize_with = "decimal_text")]
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "180.00")]
    pub cost: Decimal,
    #[serde(default = "default_currency")]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
}

fn default_currency() -> String {
    "EUR".into()
}

/// A partial update. The two ends of a lane cannot be changed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanePatch {
    #[schema(minimum = 0, maximum = 8760)]
    pub transit_hours: Option<f64>,
    #[serde(default, deserialize_with = "optional_decimal_text")]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$")]
    pub cost: Option<Decimal>,
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
}

/// A lane as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Lane {
    pub id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub transit_hours: f64,
    #[schema(value_type = String, example = "180.00")]
    pub cost: Decimal,
    pub currency: String,
    /// False once deactivated; a deactivated lane stays readable.
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl Lane {
    pub fn from_row(row: lane::Model) -> AppResult<Lane> {
        Ok(Lane {
            id: row.id,
            cost: Money::from_db(&row.cost)?.amount(),
            from_warehouse_id: row.from_warehouse_id,
            to_warehouse_id: row.to_warehouse_id,
            transit_hours: row.transit_hours,
            currency: row.currency,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// Checks the numbers every lane has; returns the validated cost.
fn validate_terms(v: &mut Validator, transit_hours: f64, cost: Decimal, currency: &str) -> Money {
    v.range_f64("transit_hours", transit_hours, 0.0, MAX_TRANSIT_HOURS)
        .currency("currency", currency);
    v.money("cost", cost)
}

fn already_exists() -> AppError {
    AppError::AlreadyExists {
        resource: "lane",
        field: "to_warehouse_id",
    }
}

pub async fn create(db: &impl ConnectionTrait, fields: LaneFields) -> AppResult<Lane> {
    let mut v = Validator::new();
    let cost = validate_terms(&mut v, fields.transit_hours, fields.cost, &fields.currency);
    v.check(
        fields.from_warehouse_id != fields.to_warehouse_id,
        "to_warehouse_id",
        "must differ from from_warehouse_id",
    );
    v.finish()?;
    require_active(db, "from_warehouse_id", fields.from_warehouse_id).await?;
    require_active(db, "to_warehouse_id", fields.to_warehouse_id).await?;
    let exists = lane::Entity::find()
        .filter(lane::Column::FromWarehouseId.eq(fields.from_warehouse_id))
        .filter(lane::Column::ToWarehouseId.eq(fields.to_warehouse_id))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(already_exists());
    }
    let now = Utc::now();
    let row = lane::ActiveModel {
        from_warehouse_id: Set(fields.from_warehouse_id),
        to_warehouse_id: Set(fields.to_warehouse_id),
        transit_hours: Set(fields.transit_hours),
        cost: Set(cost.to_db()),
        currency: Set(fields.currency),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| unique_as(e, "lane", "to_warehouse_id"))?;
    Lane::from_row(row)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<lane::Model> {
    lane::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("lane"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Lane> {
    Lane::from_row(find(db, id).await?)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, patch: LanePatch) -> AppResult<Lane> {
    let row = find(db, id).await?;
    let current = Lane::from_row(row.clone())?;
    let transit_hours = patch.transit_hours.unwrap_or(current.transit_hours);
    let cost = patch.cost.unwrap_or(current.cost);
    let currency = patch.currency.unwrap_or(current.currency);
    let mut v = Validator::new();
    let cost = validate_terms(&mut v, transit_hours, cost, &currency);
    v.finish()?;
    let mut model: lane::ActiveModel = row.into();
    model.transit_hours = Set(transit_hours);
    model.cost = Set(cost.to_db());
    model.currency = Set(currency);
    model.updated_at = Set(Utc::now());
    Lane::from_row(model.update(db).await?)
}

pub async fn set_active(db: &impl ConnectionTrait, id: i64, active: bool) -> AppResult<Lane> {
    let row = find(db, id).await?;
    let mut model: lane::ActiveModel = row.into();
    model.active = Set(active);
    model.updated_at = Set(Utc::now());
    Lane::from_row(model.update(db).await?)
}

/// Filters of `GET /api/v1/lanes`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LaneFilter {
    pub from_warehouse_id: Option<i64>,
    pub to_warehouse_id: Option<i64>,
    pub active: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, filter: LaneFilter) -> AppResult<Page<Lane>> {
    let page = PageParams {
        after: filter.after,
        limit: filter.limit,
    };
    let mut v = Validator::new();
    page.validate(&mut v);
    v.finish()?;
    let mut select = lane::Entity::find();
    if let Some(from) = filter.from_warehouse_id {
        select = select.filter(lane::Column::FromWarehouseId.eq(from));
    }
    if let Some(to) = filter.to_warehouse_id {
        select = select.filter(lane::Column::ToWarehouseId.eq(to));
    }
    if let Some(a) = filter.active {
        select = select.filter(lane::Column::Active.eq(a));
    }
    page.fetch(db, select, lane::Column::Id, |m| m.id)
        .await?
        .try_map(Lane::from_row)
}
