//! Returns (process 4.2.6): the defective unit coming back from a field
//! site after a replacement, and stock going back to a vendor.
//!
//! # State machines
//! - `field_return`: created `in_transit` (the unit is on its way from the
//!   site) -> `receive` posts `site -> warehouse (defective)` -> `received`;
//!   `cancel` while in transit (the unit never came; nothing was posted).
//! - `return_to_vendor`: created `draft` -> `ship` posts `warehouse ->
//!   supplier` (id = the vendor) -> `in_transit` -> `receive` (the vendor
//!   confirms receipt; nothing more moves) -> `received`: the completed
//!   return order. `cancel` only while draft: once shipped the stock has
//!   left, and bringing it back is a receipt.
//!
//! Every transition is a conditional `UPDATE returns ... WHERE status = ..`
//! checked by rows affected, in the same transaction as its posting, so a
//! return is received or shipped at most once. Refused transitions are 409
//! `invalid_transition` naming the current state and the allowed actions.
//!
//! Both ride on shipments (kind `return`): a field return's shipment is
//! created with the return (the unit is already on its way from the site,
//! estimated arrival from the site's transit time), a return to vendor's
//! when it ships (estimated arrival from the vendor's lead time). Receiving
//! the return records the shipment's delivery if nobody has yet.
use chrono::{DateTime, Duration, Utc};
use entities::return_line::{self, Column as L};
use entities::return_order::{self, Column as R};
use entities::vocabulary::{
    Condition, DocumentType, LocationKind, MovementType, ReturnKind, ReturnStatus, ShipmentKind,
    ShipmentMode, ShipmentStatus,
};
use entities::{site, vendor};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::validate::{MAX_NAME, MAX_TEXT};
use crate::core::{Money, Validator};
use crate::flows::allocation;
use crate::flows::logistics::shipments::{self, CarrierFields, DeliverRequest, NewShipment};
use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{Location, NewDocument, NewMovement};
use crate::store::lookups::{active_parts, active_warehouse};
use crate::store::paging::{Page, PageParams};
use crate::store::serials;
use crate::store::transition::{StateMachine, Transition, refusal};

/// The actions allowed on a return of `kind` in `status`, as named in the
/// API.
fn allowed(status: ReturnStatus, kind: ReturnKind) -> Vec<&'static str> {
    match (kind, status) {
        (ReturnKind::FieldReturn, ReturnStatus::InTransit) => vec!["receive", "cancel"],
        (ReturnKind::ReturnToVendor, ReturnStatus::Draft) => vec!["ship", "cancel"],
        (ReturnKind::ReturnToVendor, ReturnStatus::InTransit) => vec!["receive"],
        _ => vec![],
    }
}

impl StateMachine for return_order::Entity {
    const WHAT: &'static str = "return";
    type Status = ReturnStatus;
    const ID: R = R::Id;
    const STATUS: R = R::Status;
    const UPDATED_AT: Option<R> = None;

    fn state(r: &return_order::Model) -> (String, Vec<&'static str>) {
        (r.status.to_string(), allowed(r.status, r.kind))
    }
}

fn default_defective() -> Condition {
    Condition::Defective
}

/// One line of a return.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineRequest {
    pub part_id: i64,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    /// `defective` unless said. A field return always arrives defective;
    /// a return to vendor may send good stock back (wrong or excess
    /// delivery).
    #[serde(default = "default_defective")]
    pub condition: Condition,
    /// For a serialized part: the units returned, one serial each. A
    /// field return may name a unit the ledger has never seen (installed
    /// before tracking); it is registered when it arrives.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/returns`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    pub kind: ReturnKind,
    /// The site the unit comes from (field returns).
    #[serde(default)]
    pub site_id: Option<i64>,
    /// The vendor the stock goes back to (returns to vendor).
    #[serde(default)]
    pub vendor_id: Option<i64>,
    /// The receiving warehouse (field returns) or the shipping one
    /// (returns to vendor).
    pub warehouse_id: i64,
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<ReturnLineRequest>,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub carrier: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub tracking_ref: String,
    /// Local, or international with a customs leg.
    #[serde(default)]
    pub mode: Option<ShipmentMode>,
    /// The shipment's logistics cost, a decimal string (default 0).
    #[serde(
        default,
        deserialize_with = "crate::core::input::optional_decimal_text"
    )]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "35.00")]
    pub cost: Option<Decimal>,
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Overrides the estimate: the site's transit time for a field return,
    /// the vendor's lead time for a return to vendor.
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub estimated_arrival_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReturnLine {
    pub id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub condition: Condition,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serials: Vec<String>,
}

/// A return with its lines: once received, the completed return order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Return {
    pub id: i64,
    pub kind: ReturnKind,
    pub site_id: Option<i64>,
    pub vendor_id: Option<i64>,
    pub warehouse_id: i64,
    pub status: ReturnStatus,
    /// What may happen next.
    pub allowed_next: Vec<&'static str>,
    pub reason: String,
    pub reference: String,
    pub carrier: String,
    pub tracking_ref: String,
    /// The stock document that moved the units.
    pub document_id: Option<i64>,
    /// The shipment carrying it: from creation for a field return, from
    /// shipping for a return to vendor.
    pub shipment_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub lines: Vec<ReturnLine>,
}

async fn header(db: &impl ConnectionTrait, id: i64) -> AppResult<return_order::Model> {
    return_order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("return"))
}

async fn line_rows(db: &impl ConnectionTrait, id: i64) -> AppResult<Vec<return_line::Model>> {
    Ok(return_line::Entity::find()
        .filter(L::ReturnId.eq(id))
        .order_by_asc(L::Id)
        .all(db)
        .await?)
}

fn from_rows(r: return_order::Model, lines: Vec<return_line::Model>) -> AppResult<Return> {
    let kind = r.kind;
    let status = r.status;
    Ok(Return {
        allowed_next: allowed(status, kind),
        kind,
        status,
        lines: lines
            .into_iter()
            .map(|l| {
                Ok(ReturnLine {
                    condition: l.condition,
                    serials: serials::decode(&l.serials)?,
                    id: l.id,
                    part_id: l.part_id,
                    quantity: l.quantity,
                })
            })
            .collect::<AppResult<_>>()?,
        id: r.id,
        site_id: r.site_id,
        vendor_id: r.vendor_id,
        warehouse_id: r.warehouse_id,
        reason: r.reason,
        reference: r.reference,
        carrier: r.carrier,
        tracking_ref: r.tracking_ref,
        document_id: r.document_id,
        shipment_id: r.shipment_id,
        created_by: r.created_by,
        created_at: r.created_at,
        shipped_at: r.shipped_at,
        received_at: r.received_at,
        cancelled_at: r.cancelled_at,
    })
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Return> {
    let r = header(db, id).await?;
    let lines = line_rows(db, id).await?;
    from_rows(r, lines)
}

/// Records a return: a field return in transit from its site, or a
/// return to vendor as a draft. Nothing moves yet.
pub async fn create(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ReturnRequest,
    now: DateTime<Utc>,
) -> AppResult<Return> {
    let cost = check_return(&req)?;
    let site = check_parties(db, &req).await?;
    check_return_lines(db, &req).await?;
    let shipment_id = match &site {
        Some(site) => Some(inbound_shipment(db, actor_id, &req, site, cost, now).await?),
        None => None,
    };
    let status = match req.kind {
        ReturnKind::FieldReturn => ReturnStatus::InTransit,
        ReturnKind::ReturnToVendor => ReturnStatus::Draft,
    };
    let (mode, currency) = (req.shipment_mode(), req.shipment_currency());
    let r = return_order::ActiveModel {
        kind: Set(req.kind),
        site_id: Set(req.site_id),
        vendor_id: Set(req.vendor_id),
        warehouse_id: Set(req.warehouse_id),
        status: Set(status),
        reason: Set(req.reason),
        reference: Set(req.reference),
        carrier: Set(req.carrier),
        tracking_ref: Set(req.tracking_ref),
        document_id: Set(None),
        shipment_id: Set(shipment_id),
        shipment_mode: Set(mode),
        shipment_cost: Set(cost.to_db()),
        shipment_currency: Set(currency),
        created_by: Set(actor_id),
        created_at: Set(now),
        shipped_at: Set(None),
        received_at: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let rows = req.lines.iter().map(|l| return_line::ActiveModel {
        return_id: Set(r.id),
        part_id: Set(l.part_id),
        quantity: Set(l.quantity),
        condition: Set(l.condition),
        serials: Set(serials::encode(&l.serials)),
        ..Default::default()
    });
    return_line::Entity::insert_many(rows).exec(db).await?;
    get(db, r.id).await
}

impl ReturnRequest {
    /// The shipment's mode: local unless given.
    fn shipment_mode(&self) -> ShipmentMode {
        self.mode.unwrap_or(ShipmentMode::Local)
    }

    /// The shipment cost's currency: EUR unless given.
    fn shipment_currency(&self) -> String {
        self.currency.clone().unwrap_or_else(|| "EUR".to_owned())
    }
}

/// The return on its own, before anything is read: lines (a field return
/// arrives defective), texts, the shipment's cost and currency, and the
/// party its kind needs (a site or a vendor, not both). Returns the cost.
fn check_return(req: &ReturnRequest) -> AppResult<Money> {
    let mut v = Validator::new();
    let n = req.lines.len();
    v.line_count(n);
    for (i, l) in req.lines.iter().enumerate() {
        v.line_quantity(i, l.quantity);
        if req.kind == ReturnKind::FieldReturn {
            v.check(
                l.condition == Condition::Defective,
                &format!("lines[{i}].condition"),
                "a field return arrives defective",
            );
        }
    }
    v.text("reason", &req.reason, MAX_TEXT)
        .optional_text("reference", &req.reference, MAX_NAME)
        .optional_text("carrier", &req.carrier, MAX_NAME)
        .optional_text("tracking_ref", &req.tracking_ref, MAX_NAME);
    if let Some(c) = &req.currency {
        v.currency("currency", c);
    }
    let cost = v.money("cost", req.cost.unwrap_or_default());
    match req.kind {
        ReturnKind::FieldReturn => {
            v.check(
                req.site_id.is_some(),
                "site_id",
                "is required for a field return",
            )
            .check(
                req.vendor_id.is_none(),
                "vendor_id",
                "is only for a return to vendor",
            );
        }
        ReturnKind::ReturnToVendor => {
            v.check(
                req.vendor_id.is_some(),
                "vendor_id",
                "is required for a return to vendor",
            )
            .check(
                req.site_id.is_none(),
                "site_id",
                "is only for a field return",
            );
        }
    }
    v.finish()?;
    Ok(cost)
}

/// The receiving warehouse is active and the site or vendor exists;
/// returns the site of a field return.
async fn check_parties(
    db: &impl ConnectionTrait,
    req: &ReturnRequest,
) -> AppResult<Option<site::Model>> {
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    let site = match req.site_id {
        Some(id) => Some(
            site::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::field("site_id", format!("site {id} does not exist")))?,
        ),
        None => None,
    };
    if let Some(id) = req.vendor_id
        && vendor::Entity::find_by_id(id).one(db).await?.is_none()
    {
        return Err(AppError::field(
            "vendor_id",
            format!("vendor {id} does not exist"),
        ));
    }
    Ok(site)
}

/// Every line's part is active and its serials fit it and are where the
/// return starts: at the site for a field return (where a unit never seen
/// before may turn up), on the warehouse's shelf for a return to vendor.
async fn check_return_lines(db: &impl ConnectionTrait, req: &ReturnRequest) -> AppResult<()> {
    let part_ids: Vec<i64> = req.lines.iter().map(|l| l.part_id).collect();
    let parts = active_parts(db, &part_ids).await?;
    serials::check_request(
        &parts,
        req.lines
            .iter()
            .map(|l| (l.part_id, l.quantity, l.serials.as_slice())),
    )?;
    for l in &req.lines {
        let (at, may_be_new) = match req.kind {
            ReturnKind::FieldReturn => (Location::virtual_(LocationKind::Site, req.site_id), true),
            ReturnKind::ReturnToVendor => (Location::warehouse(req.warehouse_id), false),
        };
        serials::check_placed(db, l.part_id, &l.serials, at, l.condition, may_be_new).await?;
    }
    Ok(())
}

/// A field return's shipment from its site to the warehouse, dispatched
/// now and expected after the site's transit unless the caller says when;
/// returns its id.
async fn inbound_shipment(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: &ReturnRequest,
    site: &site::Model,
    cost: Money,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let shipment = shipments::create(
        db,
        NewShipment {
            kind: ShipmentKind::Return,
            carrier: CarrierFields {
                carrier: req.carrier.clone(),
                tracking_ref: req.tracking_ref.clone(),
                mode: req.shipment_mode(),
                cost: cost.amount(),
                currency: req.shipment_currency(),
                estimated_arrival_at: req.estimated_arrival_at,
            },
            cost,
            origin: (LocationKind::Site, Some(site.id)),
            destination: (LocationKind::Warehouse, Some(req.warehouse_id)),
            dispatched_at: now,
            estimated_arrival_at: req
                .estimated_arrival_at
                .unwrap_or(now + Duration::seconds((site.transit_hours * 3600.0).round() as i64)),
            actor_id,
        },
        now,
    )
    .await?;
    Ok(shipment.id)
}

/// `action` moving return `r` from `from` to `to` at `now`, stamping
/// `stamp`; refused with 409 unless the action is allowed for its kind and
/// state, as read and as the conditional update finds it.
async fn step(
    db: &impl ConnectionTrait,
    r: &return_order::Model,
    action: &'static str,
    from: ReturnStatus,
    to: ReturnStatus,
    stamp: R,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if !allowed(r.status, r.kind).contains(&action) {
        return Err(refusal::<return_order::Entity>(r, action));
    }
    Transition::<return_order::Entity>::new(r.id, &[from], to, action)
        .set(stamp, now)
        .apply(db, now)
        .await
}

async fn post_lines(
    db: &impl ConnectionTrait,
    actor_id: i64,
    r: &return_order::Model,
    kind: ReturnKind,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let lines = line_rows(db, r.id).await?;
    let (doc_type, movement, counterparty, counterparty_id) = match kind {
        ReturnKind::FieldReturn => (
            DocumentType::FieldReturn,
            MovementType::FieldReturn,
            "field_return",
            r.site_id,
        ),
        ReturnKind::ReturnToVendor => (
            DocumentType::ReturnToVendor,
            MovementType::ReturnToVendor,
            "supplier",
            r.vendor_id,
        ),
    };
    let here = Location::warehouse(r.warehouse_id);
    let moves = lines
        .iter()
        .map(|l| {
            let condition = l.condition;
            let (from, to) = match kind {
                ReturnKind::FieldReturn => {
                    (Location::virtual_(LocationKind::Site, r.site_id), here)
                }
                ReturnKind::ReturnToVendor => (
                    here,
                    Location::virtual_(LocationKind::Supplier, r.vendor_id),
                ),
            };
            Ok(NewMovement {
                part_id: l.part_id,
                quantity: l.quantity,
                from,
                from_condition: condition,
                to,
                to_condition: condition,
                movement_type: movement,
                from_reserved: false,
                reverses_movement_id: None,
                serials: serials::decode(&l.serials)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let doc = allocation::post(
        db,
        NewDocument {
            doc_type,
            warehouse_id: Some(r.warehouse_id),
            reference: format!("return {}", r.id),
            reason: r.reason.clone(),
            counterparty: counterparty.to_owned(),
            counterparty_id,
            reverses_document_id: None,
            actor_id,
        },
        moves,
        now,
    )
    .await?;
    let stmt = Query::update()
        .table(return_order::Entity)
        .value(R::DocumentId, doc.id)
        .and_where(Expr::col(R::Id).eq(r.id))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(doc.id)
}

/// Ships a draft return to vendor: its stock leaves the warehouse for the
/// vendor, whole or not at all (409 `insufficient_stock`).
pub async fn ship(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Return> {
    let r = header(db, id).await?;
    let kind = r.kind;
    if kind != ReturnKind::ReturnToVendor {
        return Err(AppError::InvalidTransition {
            what: "field return",
            action: "ship",
            current: r.status.to_string(),
            allowed: allowed(r.status, kind),
        });
    }
    step(
        db,
        &r,
        "ship",
        ReturnStatus::Draft,
        ReturnStatus::InTransit,
        R::ShippedAt,
        now,
    )
    .await?;
    post_lines(db, actor_id, &r, kind, now).await?;
    let vendor_id = r
        .vendor_id
        .ok_or_else(|| AppError::Internal(format!("return to vendor {id} has no vendor")))?;
    let lead_days = vendor::Entity::find_by_id(vendor_id)
        .one(db)
        .await?
        .map_or(0, |v| v.lead_time_days);
    let cost = Money::from_db(&r.shipment_cost)?;
    let s = shipments::create(
        db,
        NewShipment {
            kind: ShipmentKind::Return,
            carrier: CarrierFields {
                carrier: r.carrier.clone(),
                tracking_ref: r.tracking_ref.clone(),
                mode: r.shipment_mode,
                cost: cost.amount(),
                currency: r.shipment_currency.clone(),
                estimated_arrival_at: None,
            },
            cost,
            origin: (LocationKind::Warehouse, Some(r.warehouse_id)),
            destination: (LocationKind::Supplier, Some(vendor_id)),
            dispatched_at: now,
            estimated_arrival_at: now + Duration::days(lead_days.into()),
            actor_id,
        },
        now,
    )
    .await?;
    let link = Query::update()
        .table(return_order::Entity)
        .value(R::ShipmentId, s.id)
        .and_where(Expr::col(R::Id).eq(id))
        .to_owned();
    db.execute(&link).await?;
    get(db, id).await
}

/// Receives a return in transit: a field return's units enter the
/// warehouse as defective; a return to vendor is confirmed by the vendor.
pub async fn receive(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Return> {
    let r = header(db, id).await?;
    let kind = r.kind;
    step(
        db,
        &r,
        "receive",
        ReturnStatus::InTransit,
        ReturnStatus::Received,
        R::ReceivedAt,
        now,
    )
    .await?;
    if kind == ReturnKind::FieldReturn {
        post_lines(db, actor_id, &r, kind, now).await?;
    }
    if let Some(shipment_id) = r.shipment_id {
        deliver_on_receipt(db, actor_id, shipment_id, now).await?;
    }
    get(db, id).await
}

/// Records the carrying shipment's delivery, unless its proof of delivery
/// was already recorded through the shipments API. An international
/// shipment must have cleared customs first (409 otherwise).
async fn deliver_on_receipt(
    db: &impl ConnectionTrait,
    actor_id: i64,
    shipment_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let s = shipments::get(db, shipment_id).await?;
    if s.status != ShipmentStatus::InTransit {
        return Ok(());
    }
    let receiver = entities::user::Entity::find_by_id(actor_id)
        .one(db)
        .await?
        .map_or_else(|| format!("user {actor_id}"), |u| u.name);
    shipments::deliver(
        db,
        shipment_id,
        DeliverRequest {
            receiver,
            note: "received into stock".to_owned(),
            delivered_at: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Cancels a field return in transit or a draft return to vendor; nothing
/// had been posted.
pub async fn cancel(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> AppResult<Return> {
    let r = header(db, id).await?;
    let from = match r.kind {
        ReturnKind::FieldReturn => ReturnStatus::InTransit,
        ReturnKind::ReturnToVendor => ReturnStatus::Draft,
    };
    step(
        db,
        &r,
        "cancel",
        from,
        ReturnStatus::Cancelled,
        R::CancelledAt,
        now,
    )
    .await?;
    if let Some(shipment) = r.shipment_id {
        shipments::cancel(db, shipment, now).await?;
    }
    get(db, id).await
}

/// Filters of `GET /api/v1/returns`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReturnFilter {
    pub kind: Option<ReturnKind>,
    pub status: Option<ReturnStatus>,
    pub warehouse_id: Option<i64>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Returns with their lines, oldest first, keyset-paged.
pub async fn list(db: &impl ConnectionTrait, f: ReturnFilter) -> AppResult<Page<Return>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = return_order::Entity::find()
        .apply_if(f.kind, |q, k| q.filter(R::Kind.eq(k)))
        .apply_if(f.status, |q, s| q.filter(R::Status.eq(s)))
        .apply_if(f.warehouse_id, |q, w| q.filter(R::WarehouseId.eq(w)));
    let headers = page.fetch(db, q, R::Id, |r| r.id).await?;
    let ids: Vec<i64> = headers.items.iter().map(|r| r.id).collect();
    let mut lines: std::collections::HashMap<i64, Vec<return_line::Model>> = Default::default();
    if !ids.is_empty() {
        for l in return_line::Entity::find()
            .filter(L::ReturnId.is_in(ids))
            .order_by_asc(L::Id)
            .all(db)
            .await?
        {
            lines.entry(l.return_id).or_default().push(l);
        }
    }
    headers.try_map(|r| {
        let ls = lines.remove(&r.id).unwrap_or_default();
        from_rows(r, ls)
    })
}
