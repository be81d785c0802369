//! Engineers' replacement-part requests (process 4.1.3 "spare-part
//! replacement request", served by 4.2): an engineer asks for a part for a
//! service ticket at a site; the site's SLA class sets the deadline; the
//! service sources and reserves stock, warehouse staff dispatch and
//! deliver it, and the defective unit comes back.
//!
//! # States
//! `backordered | sourced -> dispatched -> delivered -> defective_returned
//! -> closed`, and `cancelled` from `backordered` or `sourced`.
//! - A request is *requested* only for the instant of its creation: the
//!   same transaction sources it, so it is stored `sourced` (stock
//!   reserved, ETA promised) or `backordered` (nothing reachable in stock;
//!   [`backorders`] sources it when good stock arrives).
//! - `dispatch` issues the reserved units to the site (an `issue` document
//!   consuming the reservation), creates the `dispatch` shipment and writes
//!   the demand record ([`demand`]); the ETA becomes the shipment's.
//! - `deliver` records proof of delivery on that shipment.
//! - `return` announces the defective unit on its way back (a field return
//!   to the serving warehouse, see [`crate::flows::logistics::returns`]);
//!   `receive-return` receives it (announcing it first if nobody did).
//!   Consumable parts expect no return: they close from `delivered`.
//! - `cancel` releases the reservation; allowed until dispatch.
//!
//! Every transition is a conditional `UPDATE ... WHERE status IN (..)`
//! checked by rows affected, in the same transaction as its stock effects;
//! a refused one is 409 `invalid_transition` naming the current state and
//! the allowed actions.
//!
//! # Who sees what
//! Engineers see and act on their own requests only (another's is 404, as
//! if it did not exist); warehouse staff, planners and admins see all.
//! Which roles may call which action is decided by the router.
pub mod demand;
pub mod kpis;
mod lifecycle;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entities::replacement_request::{self, Column as C};
use entities::vocabulary::{
    Condition, LocationKind, PartKind, Priority, RequestStatus, Role, ShipmentMode, SourceKind,
};
use entities::{part, site, sla_class};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::validate::{MAX_LINE_QUANTITY, MAX_NAME, MAX_TEXT};
use crate::core::{Money, Validator, calendar as cal};
use crate::flows::allocation;
use crate::flows::logistics::shipments::{self, CarrierFields, Shipment};
use crate::flows::master::holidays;
use crate::store::error::{AppError, AppResult, FieldError};
use crate::store::location::Location;
use crate::store::paging::{Page, PageParams};
use crate::store::serials;

mod units;

pub use lifecycle::{announce_return, cancel, close, deliver, dispatch, receive_return};

fn normal() -> Priority {
    Priority::Normal
}

/// Who is asking: engineers are confined to their own requests.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user_id: i64,
    pub role: Role,
}

impl Viewer {
    fn sees_all(self) -> bool {
        self.role != Role::Engineer
    }
}

/// Body of `POST /api/v1/replacement-requests`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReplacementRequest {
    /// The service ticket this part is for, e.g. `INC-4711`.
    #[schema(min_length = 1, max_length = 200, example = "INC-4711")]
    pub ticket_ref: String,
    pub site_id: i64,
    /// The part wanted; may be left out when `failed_serial` names a unit
    /// the serial register knows, whose part is then replaced.
    #[serde(default)]
    pub part_id: Option<i64>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    #[serde(default = "normal")]
    pub priority: Priority,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    /// The failed unit's serial number. For a serialized part it becomes
    /// the serial of the defective return unless the return names others.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub failed_serial: Option<String>,
}

/// Body of `POST /api/v1/replacement-requests/{id}/dispatch`: the carrier
/// side of the dispatch shipment and, for a serialized part, the units
/// picked. The estimated arrival is dispatch time plus the route's transit
/// (as promised at sourcing) unless given.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    #[schema(max_length = 200, example = "DHL")]
    pub carrier: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub tracking_ref: String,
    #[serde(default)]
    pub mode: Option<ShipmentMode>,
    /// Logistics cost, a decimal string with at most 6 decimals.
    #[serde(deserialize_with = "crate::core::input::decimal_text")]
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "180.00")]
    pub cost: rust_decimal::Decimal,
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Overrides the estimate promised at sourcing.
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub estimated_arrival_at: Option<chrono::DateTime<chrono::Utc>>,
    /// For a serialized part: the units sent, one serial each.
    #[serde(default)]
    pub serials: Vec<String>,
}

impl DispatchRequest {
    /// The shipment side of the dispatch.
    pub fn carrier_fields(&self) -> CarrierFields {
        CarrierFields {
            carrier: self.carrier.clone(),
            tracking_ref: self.tracking_ref.clone(),
            mode: self.mode.unwrap_or(ShipmentMode::Local),
            cost: self.cost,
            currency: self.currency.clone().unwrap_or_else(|| "EUR".to_owned()),
            estimated_arrival_at: self.estimated_arrival_at,
        }
    }
}

/// Body of `POST /api/v1/replacement-requests/{id}/return`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceReturn {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub carrier: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub tracking_ref: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    /// For a serialized part: the units coming back (default: the
    /// request's `failed_serial`).
    #[serde(default)]
    pub serials: Vec<String>,
}

/// A replacement request as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplacementRequest {
    pub id: i64,
    pub engineer_id: i64,
    pub ticket_ref: String,
    pub site_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub priority: Priority,
    pub note: String,
    pub failed_serial: Option<String>,
    pub status: RequestStatus,
    /// The actions allowed next.
    pub allowed: Vec<&'static str>,
    pub sla_class_id: i64,
    pub requested_at: DateTime<Utc>,
    /// Request time plus the SLA class's response window (business time
    /// in the site's calendar for business-hour classes).
    pub deadline_at: DateTime<Utc>,
    /// The deadline on the site's clock, e.g. `2026-12-01T17:00:00+01:00`.
    pub deadline_local: String,
    /// The site's time zone, e.g. `Europe/Berlin`.
    pub site_time_zone: String,
    pub serving_warehouse_id: i64,
    pub source_warehouse_id: Option<i64>,
    pub source_kind: SourceKind,
    /// Lane cost of a source other than the serving warehouse.
    #[schema(value_type = Option<String>)]
    pub sourcing_cost: Option<Decimal>,
    /// No source could make the deadline (or nothing is in stock).
    pub sla_at_risk: bool,
    /// Why it is at risk; empty otherwise.
    pub risk_reason: String,
    pub reservation_id: Option<i64>,
    /// The arrival promised when the stock was reserved.
    pub promised_eta: Option<DateTime<Utc>>,
    /// The current estimate: the shipment's once dispatched.
    pub eta: Option<DateTime<Utc>>,
    /// The estimate on the site's clock.
    pub eta_local: Option<String>,
    /// Whether the defective unit must come back (repairable parts).
    pub return_expected: bool,
    pub issue_document_id: Option<i64>,
    pub shipment: Option<Shipment>,
    pub return_id: Option<i64>,
    /// Delivered by the deadline (absent until delivered).
    pub sla_met: Option<bool>,
    pub sourced_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// For a serialized part, the units of this request: while it is
    /// sourced, those set aside for it on the source's shelf (a dispatch
    /// that names no serials sends them); once dispatched, the units sent.
    pub serials: Vec<String>,
}

/// `t` on the clock of `zone`, to the second.
fn local(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(
    r: replacement_request::Model,
    shipment: Option<Shipment>,
    zone: Tz,
    serials: Vec<String>,
) -> AppResult<ReplacementRequest> {
    Ok(ReplacementRequest {
        serials,
        deadline_local: local(r.deadline_at, zone),
        eta_local: r.eta.map(|t| local(t, zone)),
        site_time_zone: zone.name().to_owned(),
        allowed: allocation::allowed(r.status, r.return_expected, r.return_id.is_some()),
        status: r.status,
        priority: r.priority,
        source_kind: r.source_kind,
        sourcing_cost: match &r.sourcing_cost {
            Some(c) => Some(Money::from_db(c)?.amount()),
            None => None,
        },
        sla_met: r.delivered_at.map(|d| d <= r.deadline_at),
        shipment,
        id: r.id,
        engineer_id: r.engineer_id,
        ticket_ref: r.ticket_ref,
        site_id: r.site_id,
        part_id: r.part_id,
        quantity: r.quantity,
        note: r.note,
        failed_serial: r.failed_serial,
        sla_class_id: r.sla_class_id,
        requested_at: r.requested_at,
        deadline_at: r.deadline_at,
        serving_warehouse_id: r.serving_warehouse_id,
        source_warehouse_id: r.source_warehouse_id,
        sla_at_risk: r.sla_at_risk,
        risk_reason: r.risk_reason,
        reservation_id: r.reservation_id,
        promised_eta: r.promised_eta,
        eta: r.eta,
        return_expected: r.return_expected,
        issue_document_id: r.issue_document_id,
        return_id: r.return_id,
        sourced_at: r.sourced_at,
        dispatched_at: r.dispatched_at,
        delivered_at: r.delivered_at,
        returned_at: r.returned_at,
        closed_at: r.closed_at,
        cancelled_at: r.cancelled_at,
    })
}

async fn row(db: &impl ConnectionTrait, id: i64) -> AppResult<replacement_request::Model> {
    replacement_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("replacement request"))
}

/// The row, if `viewer` may see it; another engineer's request is 404.
async fn visible(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
) -> AppResult<replacement_request::Model> {
    let r = row(db, id).await?;
    if viewer.sees_all() || r.engineer_id == viewer.user_id {
        Ok(r)
    } else {
        Err(AppError::NotFound("replacement request"))
    }
}

async fn full(
    db: &impl ConnectionTrait,
    r: replacement_request::Model,
) -> AppResult<ReplacementRequest> {
    let shipment = match r.shipment_id {
        Some(s) => Some(shipments::get(db, s).await?),
        None => None,
    };
    let site = site::Entity::find_by_id(r.site_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("site"))?;
    let zone = site.time_zone.parse::<Tz>().map_err(|_| {
        AppError::Internal(format!(
            "site {} has the unknown time zone `{}`",
            site.id, site.time_zone
        ))
    })?;
    let serials = units::of_request(db, &r).await?;
    view(r, shipment, zone, serials)
}

pub async fn get(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
) -> AppResult<ReplacementRequest> {
    let r = visible(db, viewer, id).await?;
    full(db, r).await
}

/// The part of the one registered unit with this serial.
async fn part_of_serial(db: &impl ConnectionTrait, serial: &str) -> AppResult<i64> {
    let units = entities::serial_unit::Entity::find()
        .filter(entities::serial_unit::Column::Serial.eq(serial))
        .limit(2u64)
        .all(db)
        .await?;
    match units.as_slice() {
        [unit] => Ok(unit.part_id),
        [] => Err(AppError::field(
            "failed_serial",
            format!("no unit `{serial}` is registered; give part_id"),
        )),
        _ => Err(AppError::field(
            "failed_serial",
            format!("units of several parts carry serial `{serial}`; give part_id"),
        )),
    }
}

/// Refuses a `failed_serial` of a serialized part whose unit the register
/// knows somewhere else than at the request's site: the defective unit is
/// expected back from there, and a unit on a warehouse shelf cannot have
/// failed in the field. A serial the register has never seen (installed
/// before tracking) is accepted.
async fn failed_unit_is_at(
    db: &impl ConnectionTrait,
    part: &part::Model,
    serial: &str,
    site_id: i64,
) -> AppResult<()> {
    if !part.serialized {
        return Ok(());
    }
    let at_site = Location::virtual_(LocationKind::Site, Some(site_id));
    let placed = serials::check_placed(
        db,
        part.id,
        &[serial.to_owned()],
        at_site,
        Condition::Good,
        true,
    )
    .await;
    match placed {
        Err(AppError::SerialElsewhere { detail, .. }) => Err(AppError::field(
            "failed_serial",
            format!("{detail}: the failed unit must be the one installed at the site"),
        )),
        other => other,
    }
}

/// Raises a request and sources it in the same transaction.
pub async fn create(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    req: NewReplacementRequest,
    now: DateTime<Utc>,
) -> AppResult<ReplacementRequest> {
    let mut v = Validator::new();
    v.text("ticket_ref", &req.ticket_ref, MAX_NAME)
        .range_i64("quantity", req.quantity.into(), 1, MAX_LINE_QUANTITY.into())
        .optional_text("note", &req.note, MAX_TEXT);
    if let Some(s) = &req.failed_serial {
        v.text("failed_serial", s, MAX_NAME);
    }
    v.finish()?;
    let (site_row, part_row) = site_and_part(db, &req).await?;
    if let Some(serial) = &req.failed_serial {
        failed_unit_is_at(db, &part_row, serial.trim(), site_row.id).await?;
    }
    let (sla, deadline) = deadline_of(db, &site_row, now).await?;
    let row = replacement_request::ActiveModel {
        engineer_id: Set(viewer.user_id),
        ticket_ref: Set(req.ticket_ref.trim().to_owned()),
        site_id: Set(site_row.id),
        part_id: Set(part_row.id),
        quantity: Set(req.quantity),
        priority: Set(req.priority),
        note: Set(req.note),
        failed_serial: Set(req.failed_serial.map(|s| s.trim().to_owned())),
        status: Set(RequestStatus::Backordered),
        sla_class_id: Set(sla.id),
        requested_at: Set(now),
        deadline_at: Set(deadline),
        serving_warehouse_id: Set(site_row.serving_warehouse_id),
        source_warehouse_id: Set(None),
        source_kind: Set(SourceKind::Backorder),
        sourcing_cost: Set(None),
        sla_at_risk: Set(false),
        risk_reason: Set(String::new()),
        reservation_id: Set(None),
        promised_eta: Set(None),
        eta: Set(None),
        return_expected: Set(part_row.kind == PartKind::Repairable),
        issue_document_id: Set(None),
        shipment_id: Set(None),
        return_id: Set(None),
        sourced_at: Set(None),
        dispatched_at: Set(None),
        delivered_at: Set(None),
        returned_at: Set(None),
        closed_at: Set(None),
        cancelled_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    allocation::sourcing::source_new(db, &row, now).await?;
    get(db, viewer, row.id).await
}

/// The request's site (active, with an SLA class for the deadline) and
/// part (active; found from the failed unit's serial when not given),
/// with both refusals in one answer.
async fn site_and_part(
    db: &impl ConnectionTrait,
    req: &NewReplacementRequest,
) -> AppResult<(site::Model, part::Model)> {
    let mut errors = Vec::new();
    let site_row = match site::Entity::find_by_id(req.site_id).one(db).await? {
        Some(s) if !s.active => {
            errors.push(FieldError::new(
                "site_id",
                format!("site {} is deactivated", s.id),
            ));
            None
        }
        Some(s) if s.sla_class_id.is_none() => {
            errors.push(FieldError::new(
                "site_id",
                format!(
                    "site {} has no SLA class, so no deadline can be set; give it one first",
                    s.id
                ),
            ));
            None
        }
        Some(s) => Some(s),
        None => {
            errors.push(FieldError::new(
                "site_id",
                format!("site {} does not exist", req.site_id),
            ));
            None
        }
    };
    let part_id = match (req.part_id, &req.failed_serial) {
        (Some(id), _) => id,
        (None, Some(serial)) => part_of_serial(db, serial.trim()).await?,
        (None, None) => {
            return Err(AppError::field(
                "part_id",
                "is required unless failed_serial names a known unit",
            ));
        }
    };
    let part_row = match part::Entity::find_by_id(part_id).one(db).await? {
        Some(p) if p.active => Some(p),
        Some(p) => {
            errors.push(FieldError::new(
                "part_id",
                format!("part {} is deactivated", p.id),
            ));
            None
        }
        None => {
            errors.push(FieldError::new(
                "part_id",
                format!("part {part_id} does not exist"),
            ));
            None
        }
    };
    match (site_row, part_row) {
        (Some(site_row), Some(part_row)) => Ok((site_row, part_row)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// The site's SLA class and the deadline it sets for a request raised
/// `now`, counted in the site's own business calendar.
async fn deadline_of(
    db: &impl ConnectionTrait,
    site_row: &site::Model,
    now: DateTime<Utc>,
) -> AppResult<(sla_class::Model, DateTime<Utc>)> {
    let sla_id = site_row.sla_class_id.unwrap_or_default();
    let sla = sla_class::Entity::find_by_id(sla_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "site {} names missing SLA class {sla_id}",
                site_row.id
            ))
        })?;
    let calendar = holidays::calendar_of(db, site_row).await?;
    let deadline = cal::deadline(
        now,
        sla.response_minutes,
        sla.business_hours_only,
        &calendar,
    );
    Ok((sla, deadline))
}

/// Filters of `GET /api/v1/replacement-requests`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    pub site_id: Option<i64>,
    pub part_id: Option<i64>,
    /// Ignored for engineers, who only ever see their own.
    pub engineer_id: Option<i64>,
    pub sla_at_risk: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Requests in id order, keyset-paged; an engineer's own only.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    f: RequestFilter,
) -> AppResult<Page<ReplacementRequest>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let mut q = replacement_request::Entity::find();
    if !viewer.sees_all() {
        q = q.filter(C::EngineerId.eq(viewer.user_id));
    } else if let Some(e) = f.engineer_id {
        q = q.filter(C::EngineerId.eq(e));
    }
    q = q.apply_if(f.status, |q, s| q.filter(C::Status.eq(s)));
    q = q.apply_if(f.site_id, |q, s| q.filter(C::SiteId.eq(s)));
    q = q.apply_if(f.part_id, |q, p| q.filter(C::PartId.eq(p)));
    q = q.apply_if(f.sla_at_risk, |q, r| q.filter(C::SlaAtRisk.eq(r)));
    let rows = page.fetch(db, q, C::Id, |r| r.id).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for r in rows.items {
        items.push(full(db, r).await?);
    }
    Ok(Page {
        items,
        next_after: rows.next_after,
    })
}
