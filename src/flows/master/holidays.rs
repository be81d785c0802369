//! The business calendar of a site (its time zone and the holidays that
//! apply to it), and the holiday list planners keep:
//! `GET/POST /api/v1/holidays`, `DELETE /api/v1/holidays/{id}`.
//!
//! A holiday names a local date and either a site region (it applies to
//! the sites of that region) or no region (every site). The rules of
//! counting live in [`crate::core::calendar`].
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use entities::holiday::{self, Column as H};
use entities::site;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Validator;
use crate::core::calendar::BusinessCalendar;
use crate::core::fields::Name;
use crate::core::validate::MAX_NAME;
use crate::store::error::{AppError, AppResult, unique_as};
use crate::store::paging::{Page, PageParams};

/// The calendar SLA deadlines of `site` are counted in.
pub async fn calendar_of(
    db: &impl ConnectionTrait,
    site: &site::Model,
) -> AppResult<BusinessCalendar> {
    let time_zone = site.time_zone.parse::<chrono_tz::Tz>().map_err(|_| {
        AppError::Internal(format!(
            "site {} has the unknown time zone `{}`",
            site.id, site.time_zone
        ))
    })?;
    let holidays: HashSet<NaiveDate> = holiday::Entity::find()
        .filter(H::Region.is_in([String::new(), site.region.clone()]))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|h| NaiveDate::parse_from_str(&h.day, "%Y-%m-%d").ok())
        .collect();
    Ok(BusinessCalendar {
        time_zone,
        holidays,
    })
}

/// Body of `POST /api/v1/holidays`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayRequest {
    /// The local date, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date, example = "2026-12-25")]
    #[serde(deserialize_with = "crate::core::input::date")]
    pub day: NaiveDate,
    /// A site region; absent or empty for every site.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub region: String,
    pub name: Name,
}

/// A holiday of the business calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Holiday {
    pub id: i64,
    #[schema(value_type = String, format = Date)]
    pub day: String,
    /// Empty: every site.
    pub region: String,
    pub name: String,
    pub created_at: chrono::DateTime<Utc>,
}

fn from_row(h: holiday::Model) -> Holiday {
    Holiday {
        id: h.id,
        day: h.day,
        region: h.region,
        name: h.name,
        created_at: h.created_at,
    }
}

/// Adds a holiday; the same date twice for one region is 409
/// `already_exists` on `day`, also when two requests race for it.
pub async fn create(
    db: &impl ConnectionTrait,
    req: HolidayRequest,
    now: DateTime<Utc>,
) -> AppResult<Holiday> {
    let mut v = Validator::new();
    v.rule("name", &req.name)
        .optional_text("region", &req.region, MAX_NAME);
    v.finish()?;
    let day = req.day.format("%Y-%m-%d").to_string();
    let region = req.region.trim().to_owned();
    let exists = holiday::Entity::find()
        .filter(H::Day.eq(day.clone()))
        .filter(H::Region.eq(region.clone()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(AppError::AlreadyExists {
            resource: "holiday",
            field: "day",
        });
    }
    let row = holiday::ActiveModel {
        day: Set(day),
        region: Set(region),
        name: Set(req.name.as_str().trim().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| unique_as(e, "holiday", "day"))?;
    Ok(from_row(row))
}

/// Removes a holiday. Deadlines already computed keep their value.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    let res = holiday::Entity::delete_by_id(id).exec(db).await?;
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound("holiday"))
    }
}

/// Filters of `GET /api/v1/holidays`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HolidayFilter {
    pub region: Option<String>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, f: HolidayFilter) -> AppResult<Page<Holiday>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = holiday::Entity::find().apply_if(f.region, |q, r| q.filter(H::Region.eq(r)));
    page.fetch(db, q, H::Id, |h| h.id)
        .await?
        .try_map(|h| Ok(from_row(h)))
}
