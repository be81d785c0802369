//! Lanes: one-way transport links between two warehouses with their transit
//! time and cost, the inputs of transfer sourcing and emergency shipments.
//!
//! A lane is identified by its two ends: at most one lane per ordered pair,
//! and the ends never change (a different route is a different lane; retire
//! the old one by deactivating it).
use chrono::Utc;
use entities::lane;
use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource::{Listing, MasterResource, apply_patch, require_active};
use super::warehouses::Warehouse;
use crate::core::fields::Currency;
use crate::core::input::{decimal_text, optional_decimal_text};
use crate::core::{Money, Validator};
use crate::store::error::AppResult;

/// The longest transit a lane may take: one year.
pub const MAX_TRANSIT_HOURS: f64 = 8760.0;

/// The body of `POST /api/v1/lanes`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
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
    #[serde(default = "Currency::eur")]
    pub currency: Currency,
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
    pub currency: Option<Currency>,
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

impl MasterResource for Lane {
    type Entity = lane::Entity;
    type Fields = LaneFields;
    type Patch = LanePatch;
    /// The cost.
    type Checked = Money;
    type Filter = LaneFilter;

    const RESOURCE: &'static str = "lane";
    const KEY_FIELD: &'static str = "to_warehouse_id";

    fn key(fields: &LaneFields) -> Condition {
        Condition::all()
            .add(lane::Column::FromWarehouseId.eq(fields.from_warehouse_id))
            .add(lane::Column::ToWarehouseId.eq(fields.to_warehouse_id))
    }

    fn view(row: lane::Model) -> AppResult<Lane> {
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

    fn fields(row: &lane::Model) -> AppResult<LaneFields> {
        Ok(LaneFields {
            from_warehouse_id: row.from_warehouse_id,
            to_warehouse_id: row.to_warehouse_id,
            transit_hours: row.transit_hours,
            cost: Money::from_db(&row.cost)?.amount(),
            currency: row.currency.as_str().into(),
        })
    }

    fn apply(patch: LanePatch, fields: &mut LaneFields) {
        apply_patch!(patch, LanePatch { transit_hours, cost, currency } => fields);
    }

    fn validate(f: &LaneFields) -> AppResult<Money> {
        let mut v = Validator::new();
        v.range_f64("transit_hours", f.transit_hours, 0.0, MAX_TRANSIT_HOURS)
            .rule("currency", &f.currency);
        let cost = v.money("cost", f.cost);
        v.check(
            f.from_warehouse_id != f.to_warehouse_id,
            "to_warehouse_id",
            "must differ from from_warehouse_id",
        );
        v.finish()?;
        Ok(cost)
    }

    fn write(f: LaneFields, cost: Money, row: &mut lane::ActiveModel) {
        row.from_warehouse_id = Set(f.from_warehouse_id);
        row.to_warehouse_id = Set(f.to_warehouse_id);
        row.transit_hours = Set(f.transit_hours);
        row.cost = Set(cost.to_db());
        row.currency = Set(f.currency.into());
    }

    fn listing(f: LaneFilter) -> Listing {
        Listing::page(f.after, f.limit)
            .when(lane::Column::FromWarehouseId, f.from_warehouse_id)
            .when(lane::Column::ToWarehouseId, f.to_warehouse_id)
            .when(lane::Column::Active, f.active)
    }

    /// Both ends of a new lane must be active warehouses; the ends of an
    /// existing lane never change.
    async fn check<C: ConnectionTrait>(
        db: &C,
        current: Option<(i64, &LaneFields)>,
        after: &LaneFields,
    ) -> AppResult<()> {
        if current.is_none() {
            require_active::<Warehouse>(db, "from_warehouse_id", after.from_warehouse_id).await?;
            require_active::<Warehouse>(db, "to_warehouse_id", after.to_warehouse_id).await?;
        }
        Ok(())
    }
}
