//! Forecast runs in the service (process 4.2.1, demand forecasting):
//! planners forecast over the demand the ledger recorded or over series they
//! upload; every run and its per-series results are stored and listed.
//!
//! The numbers come from the pure engine in [`crate::core::forecast`];
//! this module only builds its inputs (from [`history`] and master data) and
//! keeps its outputs.
pub mod history;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::vocabulary::ForecastSource;
use entities::{forecast_result, forecast_run, installed_base, part, site};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use self::history::Bucket;
use crate::core::Validator;
use crate::core::forecast::backtest::{BacktestConfig, backtest};
use crate::core::forecast::classify::classify;
use crate::core::forecast::installed_base::{
    BlendRule, InstalledSite, Period, installed_base_rate,
};
use crate::core::forecast::{METHOD_NAMES, Method, MethodParams};
use crate::store::error::{AppError, AppResult};
use crate::store::paging::{Page, PageParams};

/// The most series one upload may carry, and the longest series.
pub const MAX_SERIES: usize = 10_000;
pub const MAX_PERIODS: usize = 1_000;

/// One uploaded series.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadedSeries {
    #[schema(min_length = 1, max_length = 200, pattern = r"^\S(.*\S)?$")]
    pub id: String,
    /// Demand per period, oldest first; non-negative.
    #[schema(max_items = 1000)]
    pub values: Vec<f64>,
}

/// Body of `POST /api/v1/forecasts`. `bucket`, `periods`, `warehouse_id`,
/// `part_ids`, `installed_base` and `as_of` belong to ledger runs, `series`
/// to uploads.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastRequest {
    pub source: ForecastSource,
    /// `ses`, `ses-opt`, `croston`, `sba`, `croston-opt`, `tsb`, `adida`,
    /// `imapa`, or `auto` (per-series choice by rolling-origin backtest).
    #[schema(pattern = "^(ses|ses-opt|croston|sba|croston-opt|tsb|adida|imapa|auto)$")]
    pub method: String,
    /// Smoothing constant of `ses` (default 0.1).
    #[schema(exclusive_minimum = 0, maximum = 1)]
    pub alpha: Option<f64>,
    /// Demand-size constant of `tsb` (default 0.1).
    #[schema(exclusive_minimum = 0, maximum = 1)]
    pub alpha_d: Option<f64>,
    /// Demand-probability constant of `tsb` (default 0.1).
    #[schema(exclusive_minimum = 0, maximum = 1)]
    pub alpha_p: Option<f64>,
    /// Periods ahead, 1 to 60 (default 1).
    #[schema(minimum = 1, maximum = 60)]
    pub horizon: Option<i32>,
    /// Ledger runs: monthly (default) or weekly buckets.
    pub bucket: Option<Bucket>,
    /// Ledger runs: complete buckets of history, 3 to 520 (default 24).
    #[schema(minimum = 3, maximum = 520)]
    pub periods: Option<u32>,
    /// Ledger runs: only this warehouse's demand.
    pub warehouse_id: Option<i64>,
    /// Ledger runs: only these parts (a named part gets its zeros).
    #[schema(max_items = 1000)]
    pub part_ids: Option<Vec<i64>>,
    /// Ledger runs: blend in installed base x failure rate of the sites each
    /// warehouse serves, weighted by how much history there is.
    #[serde(default)]
    pub installed_base: bool,
    /// Ledger runs: the history ends where the bucket containing this time
    /// begins (default now: the last complete bucket is the previous one).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub as_of: Option<chrono::DateTime<Utc>>,
    /// Upload runs: the series, 1 to 10,000.
    #[schema(max_items = 10000)]
    pub series: Option<Vec<UploadedSeries>>,
}

/// The forecast of one series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesForecast {
    pub series_key: String,
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    /// The method used: the chosen one for `auto`.
    pub method: String,
    /// `smooth`, `erratic`, `intermittent`, `lumpy` or `no-demand`.
    pub demand_class: Option<String>,
    pub adi: Option<f64>,
    pub cv2: Option<f64>,
    pub history_periods: i32,
    /// Demand per period ahead.
    pub forecast: Vec<f64>,
    /// For `auto`: every candidate's backtest errors.
    #[schema(value_type = Option<Object>)]
    pub backtest: Option<serde_json::Value>,
}

/// A stored forecast run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ForecastRun {
    pub id: i64,
    pub source: ForecastSource,
    pub method: String,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub bucket: Option<Bucket>,
    pub horizon: i32,
    pub warehouse_id: Option<i64>,
    pub history_from: Option<chrono::DateTime<Utc>>,
    pub history_to: Option<chrono::DateTime<Utc>>,
    pub series_count: i32,
    pub created_by: i64,
    pub created_at: chrono::DateTime<Utc>,
    /// Present when one run is fetched, absent in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<SeriesForecast>>,
}

impl ForecastRun {
    fn from_row(r: forecast_run::Model, results: Option<Vec<SeriesForecast>>) -> AppResult<Self> {
        Ok(ForecastRun {
            params: serde_json::from_str(&r.params)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            id: r.id,
            source: r.source,
            method: r.method,
            bucket: r.bucket,
            horizon: r.horizon,
            warehouse_id: r.warehouse_id,
            history_from: r.history_from,
            history_to: r.history_to,
            series_count: r.series_count,
            created_by: r.created_by,
            created_at: r.created_at,
            results,
        })
    }
}

/// The method (or `None` for auto) with validated parameters.
fn method_of(c: &ForecastRequest, v: &mut Validator) -> Option<Method> {
    let params = MethodParams {
        alpha: c.alpha.unwrap_or(0.1),
        alpha_d: c.alpha_d.unwrap_or(0.1),
        alpha_p: c.alpha_p.unwrap_or(0.1),
    };
    for (field, value) in [
        ("alpha", c.alpha),
        ("alpha_d", c.alpha_d),
        ("alpha_p", c.alpha_p),
    ] {
        if let Some(x) = value {
            v.check(
                x.is_finite() && x > 0.0 && x <= 1.0,
                field,
                "must be in (0, 1]",
            );
        }
    }
    if let Some(h) = c.horizon {
        v.range_i64("horizon", h.into(), 1, 60);
    }
    if c.method == "auto" {
        return None;
    }
    let method = Method::from_name(&c.method, params);
    v.check(
        method.is_some(),
        "method",
        format!("must be one of {}, auto", METHOD_NAMES.join(", ")),
    );
    method
}

/// Forecasts one series with `method`, or chooses by backtest when `None`.
fn forecast_series(
    key: &str,
    y: &[f64],
    method: Option<Method>,
    c: &ForecastRequest,
    horizon: usize,
) -> SeriesForecast {
    let class = classify(y);
    let (used, report) = match method {
        Some(m) => (m, None),
        None => {
            let params = MethodParams {
                alpha: c.alpha.unwrap_or(0.1),
                alpha_d: c.alpha_d.unwrap_or(0.1),
                alpha_p: c.alpha_p.unwrap_or(0.1),
            };
            let report = backtest(key, y, &Method::all(params), BacktestConfig::default());
            (report.chosen, serde_json::to_value(&report).ok())
        }
    };
    SeriesForecast {
        series_key: key.to_owned(),
        part_id: None,
        warehouse_id: None,
        method: used.name().to_owned(),
        demand_class: Some(class.class.name().to_owned()),
        adi: class.adi,
        cv2: class.cv2,
        history_periods: y.len() as i32,
        forecast: used.forecast(y, horizon),
        backtest: report,
    }
}

/// Runs a forecast and stores it with its results.
pub async fn run(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ForecastRequest,
    now: DateTime<Utc>,
) -> AppResult<ForecastRun> {
    let mut v = Validator::new();
    let method = method_of(&req, &mut v);
    let horizon = req.horizon.unwrap_or(1).clamp(1, 60) as usize;
    let (results, bucket, window) = match req.source {
        ForecastSource::Upload => (upload_forecasts(&req, method, horizon, v)?, None, None),
        ForecastSource::Ledger => {
            let (results, bucket, window) =
                ledger_forecasts(db, &req, method, horizon, v, now).await?;
            (results, Some(bucket), Some(window))
        }
    };
    let (source, warehouse) = match req.source {
        ForecastSource::Ledger => (ForecastSource::Ledger, req.warehouse_id),
        ForecastSource::Upload => (ForecastSource::Upload, None),
    };
    let choice = &req;
    let params = serde_json::json!({
        "alpha": choice.alpha, "alpha_d": choice.alpha_d, "alpha_p": choice.alpha_p,
    });
    let row = forecast_run::ActiveModel {
        source: Set(source),
        method: Set(choice.method.clone()),
        params: Set(params.to_string()),
        bucket: Set(bucket),
        horizon: Set(horizon as i32),
        warehouse_id: Set(warehouse),
        history_from: Set(window.map(|w| w.0)),
        history_to: Set(window.map(|w| w.1)),
        series_count: Set(results.len() as i32),
        created_by: Set(actor_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for chunk in results.chunks(500) {
        let rows = chunk.iter().map(|r| forecast_result::ActiveModel {
            run_id: Set(row.id),
            series_key: Set(r.series_key.clone()),
            part_id: Set(r.part_id),
            warehouse_id: Set(r.warehouse_id),
            method: Set(r.method.clone()),
            demand_class: Set(r.demand_class.clone()),
            adi: Set(r.adi),
            cv2: Set(r.cv2),
            history_periods: Set(r.history_periods),
            forecast: Set(serde_json::to_string(&r.forecast).unwrap_or_else(|_| "[]".into())),
            backtest: Set(r.backtest.as_ref().map(|b| b.to_string())),
            ..Default::default()
        });
        forecast_result::Entity::insert_many(rows).exec(db).await?;
    }
    ForecastRun::from_row(row, Some(results))
}

/// An upload run: the caller's own series, checked (none of the ledger's
/// options, at most [`MAX_SERIES`] series of at most [`MAX_PERIODS`]
/// values `>= 0`) together with the errors already in `v`, then forecast.
fn upload_forecasts(
    req: &ForecastRequest,
    method: Option<Method>,
    horizon: usize,
    mut v: Validator,
) -> AppResult<Vec<SeriesForecast>> {
    let ledger_only = [
        ("bucket", req.bucket.is_some()),
        ("periods", req.periods.is_some()),
        ("warehouse_id", req.warehouse_id.is_some()),
        ("part_ids", req.part_ids.is_some()),
        ("installed_base", req.installed_base),
        ("as_of", req.as_of.is_some()),
    ];
    for (field, given) in ledger_only {
        v.check(!given, field, "applies to ledger runs only");
    }
    let series = req.series.as_deref().unwrap_or_default();
    v.check(
        !series.is_empty(),
        "series",
        "must have at least one series",
    );
    v.check(
        series.len() <= MAX_SERIES,
        "series",
        format!("must have at most {MAX_SERIES} series"),
    );
    for (i, s) in series.iter().enumerate() {
        v.text(&format!("series[{i}].id"), &s.id, 200);
        v.check(
            s.values.len() <= MAX_PERIODS,
            &format!("series[{i}].values"),
            format!("must have at most {MAX_PERIODS} periods"),
        );
        if let Some(j) = s.values.iter().position(|x| !x.is_finite() || *x < 0.0) {
            v.check(
                false,
                &format!("series[{i}].values[{j}]"),
                "must be a number >= 0",
            );
        }
    }
    v.finish()?;
    Ok(series
        .iter()
        .map(|s| forecast_series(&s.id, &s.values, method, req, horizon))
        .collect())
}

/// A ledger run: the recorded demand per part and warehouse over the
/// window before `as_of` (checked together with the errors already in
/// `v`), each series forecast and, with `installed_base`, blended with its
/// installed-base rate. Returns the forecasts, the bucket and the window.
async fn ledger_forecasts(
    db: &impl ConnectionTrait,
    req: &ForecastRequest,
    method: Option<Method>,
    horizon: usize,
    mut v: Validator,
    now: DateTime<Utc>,
) -> AppResult<(Vec<SeriesForecast>, Bucket, (DateTime<Utc>, DateTime<Utc>))> {
    v.check(
        req.series.is_none(),
        "series",
        "applies to upload runs only",
    );
    let bucket = req.bucket.unwrap_or(Bucket::Month);
    let periods = req.periods.unwrap_or(24);
    v.range_i64("periods", periods.into(), 3, 520);
    if let Some(ids) = &req.part_ids {
        v.check(
            ids.len() <= 1000,
            "part_ids",
            "must have at most 1000 parts",
        );
    }
    v.finish()?;
    if let Some(w) = req.warehouse_id {
        crate::store::lookups::active_warehouse(db, w, "warehouse_id").await?;
    }
    let (from, to) = history::window(bucket, periods, req.as_of.unwrap_or(now));
    let series = history::demand_series(
        db,
        bucket,
        from,
        to,
        req.warehouse_id,
        req.part_ids.as_deref(),
    )
    .await?;
    let rates = if req.installed_base {
        installed_rates(db, bucket).await?
    } else {
        HashMap::new()
    };
    let rule = match bucket {
        Bucket::Month => BlendRule::MONTHLY,
        Bucket::Week => BlendRule::WEEKLY,
    };
    let mut results = Vec::with_capacity(series.len());
    for s in series {
        let key = format!("{}:{}", s.part_id, s.warehouse_id);
        let mut f = forecast_series(&key, &s.values, method, req, horizon);
        if let Some(rate) = rates.get(&(s.part_id, s.warehouse_id)) {
            let history_periods = first_demand_age(&s.values);
            for x in &mut f.forecast {
                *x = rule
                    .blend(*x, history_periods, *rate)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
            }
        }
        f.part_id = Some(s.part_id);
        f.warehouse_id = Some(s.warehouse_id);
        results.push(f);
    }
    Ok((results, bucket, (from, to)))
}

/// Periods since the first demand: how much history the service really has
/// of a series (the zeros before a part's first issue say nothing about it).
fn first_demand_age(values: &[f64]) -> usize {
    values
        .iter()
        .position(|x| *x > 0.0)
        .map_or(0, |first| values.len() - first)
}

/// Installed-base demand per period per (part, serving warehouse).
async fn installed_rates(
    db: &impl ConnectionTrait,
    bucket: Bucket,
) -> AppResult<HashMap<(i64, i64), f64>> {
    let sites: HashMap<i64, i64> = site::Entity::find()
        .filter(site::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.serving_warehouse_id))
        .collect();
    let rates: HashMap<i64, f64> = part::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.annual_failure_rate))
        .collect();
    let mut grouped: HashMap<(i64, i64), Vec<InstalledSite>> = HashMap::new();
    for ib in installed_base::Entity::find().all(db).await? {
        let (Some(wh), Some(rate)) = (sites.get(&ib.site_id), rates.get(&ib.part_id)) else {
            continue;
        };
        grouped
            .entry((ib.part_id, *wh))
            .or_default()
            .push(InstalledSite {
                quantity: ib.quantity.max(0) as u32,
                annual_failure_rate: *rate,
            });
    }
    let period = match bucket {
        Bucket::Month => Period::Month,
        Bucket::Week => Period::Week,
    };
    grouped
        .into_iter()
        .map(|(k, sites)| {
            installed_base_rate(&sites, period)
                .map(|r| (k, r))
                .map_err(|e| AppError::Internal(e.to_string()))
        })
        .collect()
}

/// Filters of `GET /api/v1/forecasts`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunFilter {
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, f: RunFilter) -> AppResult<Page<ForecastRun>> {
    let page = PageParams::checked(f.after, f.limit)?;
    page.fetch(
        db,
        forecast_run::Entity::find(),
        forecast_run::Column::Id,
        |r| r.id,
    )
    .await?
    .try_map(|r| ForecastRun::from_row(r, None))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<ForecastRun> {
    let row = forecast_run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("forecast run"))?;
    let results = series_of(db, id).await?;
    ForecastRun::from_row(row, Some(results))
}

/// The forecasts of one run, a series per row, in the order computed.
pub async fn results(db: &impl ConnectionTrait, id: i64) -> AppResult<Vec<SeriesForecast>> {
    forecast_run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("forecast run"))?;
    series_of(db, id).await
}

async fn series_of(db: &impl ConnectionTrait, id: i64) -> AppResult<Vec<SeriesForecast>> {
    forecast_result::Entity::find()
        .filter(forecast_result::Column::RunId.eq(id))
        .order_by_asc(forecast_result::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            Ok(SeriesForecast {
                forecast: serde_json::from_str(&r.forecast)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                backtest: r
                    .backtest
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                series_key: r.series_key,
                part_id: r.part_id,
                warehouse_id: r.warehouse_id,
                method: r.method,
                demand_class: r.demand_class,
                adi: r.adi,
                cv2: r.cv2,
                history_periods: r.history_periods,
            })
        })
        .collect()
}
