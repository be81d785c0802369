//! Demand records: every dispatch against a replacement request is one,
//! for planning (process 4.2.1): part, site, issuing warehouse, time,
//! quantity, and whether the site's serving warehouse filled it (a *hit*,
//! the numerator of the stock hit rate).
//!
//! The same dispatch also posts an `issue` movement from the warehouse to
//! the site, which is what [`crate::flows::forecast_runs::history`] already reads
//! as demand; these records add what the ledger cannot say (the serving
//! warehouse and the hit) without a second source of quantities.
use chrono::{DateTime, Utc};
use entities::demand_record::{self, Column as D};
use entities::replacement_request;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Validator;
use crate::store::error::AppResult;
use crate::store::paging::{Page, PageParams};

/// A demand record as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemandRecord {
    pub id: i64,
    pub request_id: i64,
    pub part_id: i64,
    pub site_id: i64,
    /// The warehouse that issued the units.
    pub warehouse_id: i64,
    pub serving_warehouse_id: i64,
    pub quantity: i32,
    /// Filled by the site's serving warehouse.
    pub hit: bool,
    pub occurred_at: DateTime<Utc>,
}

fn from_row(d: demand_record::Model) -> DemandRecord {
    DemandRecord {
        id: d.id,
        request_id: d.request_id,
        part_id: d.part_id,
        site_id: d.site_id,
        warehouse_id: d.warehouse_id,
        serving_warehouse_id: d.serving_warehouse_id,
        quantity: d.quantity,
        hit: d.hit,
        occurred_at: d.occurred_at,
    }
}

/// Writes the demand record of request `r` dispatched from `warehouse_id`.
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    r: &replacement_request::Model,
    warehouse_id: i64,
    at: DateTime<Utc>,
) -> AppResult<()> {
    demand_record::ActiveModel {
        request_id: Set(r.id),
        part_id: Set(r.part_id),
        site_id: Set(r.site_id),
        warehouse_id: Set(warehouse_id),
        serving_warehouse_id: Set(r.serving_warehouse_id),
        quantity: Set(r.quantity),
        hit: Set(warehouse_id == r.serving_warehouse_id),
        occurred_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filters of `GET /api/v1/demand-records`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DemandFilter {
    pub part_id: Option<i64>,
    pub site_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub hit: Option<bool>,
    /// Dispatched at or after (RFC 3339).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub from: Option<DateTime<Utc>>,
    /// Dispatched before (RFC 3339).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub to: Option<DateTime<Utc>>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, f: DemandFilter) -> AppResult<Page<DemandRecord>> {
    let page = PageParams {
        after: f.after,
        limit: f.limit,
    };
    let mut v = Validator::new();
    page.validate(&mut v);
    if let (Some(from), Some(to)) = (f.from, f.to) {
        v.check(to > from, "to", "must be after `from`");
    }
    v.finish()?;
    let q = demand_record::Entity::find()
        .apply_if(f.part_id, |q, p| q.filter(D::PartId.eq(p)))
        .apply_if(f.site_id, |q, s| q.filter(D::SiteId.eq(s)))
        .apply_if(f.warehouse_id, |q, w| q.filter(D::WarehouseId.eq(w)))
        .apply_if(f.hit, |q, h| q.filter(D::Hit.eq(h)))
        .apply_if(f.from, |q, t| q.filter(D::OccurredAt.gte(t)))
        .apply_if(f.to, |q, t| q.filter(D::OccurredAt.lt(t)));
    page.fetch(db, q, D::Id, |d| d.id)
        .await?
        .try_map(|d| Ok(from_row(d)))
}
