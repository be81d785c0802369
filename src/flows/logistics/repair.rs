//! Repair orders (process 4.2.4): defective units sent to a third-party
//! repair vendor or, without a vendor, to the internal repair centre, and
//! the repair record of each line when it comes back.
//!
//! # Stock
//! Sending posts `warehouse (defective) -> repair_vendor` (id = the vendor,
//! none for the internal centre): the units stay owned but off-site. Only
//! defective stock can be sent; a good unit is refused by the ledger's
//! guarded decrease with 409 `insufficient_stock` naming the `defective`
//! condition. A result posts `repair_vendor -> warehouse (good)` when
//! repaired and `repair_vendor -> scrap` when beyond repair.
//!
//! # State
//! An order is `sent` until every line has a result, then `closed`. A line
//! is `pending` until its result is recorded, once. Each result first
//! "touches" the order with `UPDATE repair_orders ... WHERE status = 'sent'`
//! and then claims its line with `UPDATE repair_lines ... WHERE outcome =
//! 'pending'`: on PostgreSQL the order's row lock serialises the results of
//! one order, so the last one always sees every other line decided and
//! closes the order; on SQLite write transactions are serialised anyway.
//!
//! # Repeat repair
//! A line of a serialized part is one unit, flagged `repeat_repair` when
//! that serial came back repaired before. A unit of a part without serials
//! cannot be told from another of its part number, so its line is flagged
//! when a unit of the same part was repaired before and returned to the
//! same warehouse: the best guess per part. Pending and beyond-repair lines
//! do not count: such a unit is still at the vendor or scrapped, so it
//! cannot be the one failing again.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::repair_line::{self, Column as L};
use entities::repair_order::{self, Column as O};
use entities::vocabulary::{
    Condition, DocumentType, LocationKind, MovementType, PartKind, RepairOutcome, RepairStatus,
    VendorKind,
};
use entities::{part, vendor};
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
use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{Document, Location, NewDocument, NewMovement};
use crate::store::lookups::{active_parts, active_warehouse};
use crate::store::paging::{Page, PageParams};
use crate::store::serials;
use crate::store::transition::{StateMachine, Transition};

impl StateMachine for repair_order::Entity {
    const WHAT: &'static str = "repair order";
    type Status = RepairStatus;
    const ID: O = O::Id;
    const STATUS: O = O::Status;
    const UPDATED_AT: Option<O> = None;

    fn state(o: &repair_order::Model) -> (String, Vec<&'static str>) {
        (o.status.to_string(), vec![])
    }
}

/// A repair line's outcome is its state: `pending` until its result is
/// recorded, once.
impl StateMachine for repair_line::Entity {
    const WHAT: &'static str = "repair line";
    type Status = RepairOutcome;
    const ID: L = L::Id;
    const STATUS: L = L::Outcome;
    const UPDATED_AT: Option<L> = None;

    fn state(l: &repair_line::Model) -> (String, Vec<&'static str>) {
        (l.outcome.to_string(), vec![])
    }
}

/// One line to send: defective units of one part.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendLine {
    pub part_id: i64,
    /// Whole defective units, 1 to 1,000,000.
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    /// For a serialized part: the units sent, one serial each. Each unit
    /// becomes its own line with its own repair record.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/repair-orders`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The repair vendor (kind `repair` or `both`); absent for the
    /// internal repair centre.
    #[serde(default)]
    pub vendor_id: Option<i64>,
    /// The warehouse whose defective stock is sent.
    pub warehouse_id: i64,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<SendLine>,
}

/// Body of `POST /api/v1/repair-orders/{id}/lines/{line_id}/result`: the
/// repair record of the line.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultRequest {
    /// `repaired` (back as good stock) or `beyond_repair` (to scrap).
    pub outcome: RepairOutcome,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub fault_cause: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub failed_component: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub conclusion: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub measures: String,
    /// What the repair (or the inspection) cost, a decimal string.
    #[serde(deserialize_with = "crate::core::input::decimal_text")]
    #[schema(value_type = String, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "180.00")]
    pub cost: Decimal,
    /// Where repaired units go; the order's warehouse unless said.
    #[serde(default)]
    pub return_warehouse_id: Option<i64>,
}

/// A line with its repair record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RepairLine {
    pub id: i64,
    pub part_id: i64,
    pub quantity: i32,
    /// The unit, for a serialized part (such lines hold one unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    pub outcome: RepairOutcome,
    pub fault_cause: String,
    pub failed_component: String,
    pub conclusion: String,
    pub measures: String,
    #[schema(value_type = Option<String>)]
    pub cost: Option<Decimal>,
    /// This unit (its serial) was repaired before; for a part without
    /// serials, a unit of this part was repaired before and returned to
    /// this warehouse (see the module doc).
    pub repeat_repair: bool,
    /// Send-out plus the vendor's repair turnaround (the part's for the
    /// internal centre).
    pub due_at: DateTime<Utc>,
    pub returned_at: Option<DateTime<Utc>>,
    pub returned_to_warehouse_id: Option<i64>,
    /// `returned_at - sent_at` in seconds.
    pub turnaround_seconds: Option<i64>,
    /// `returned_at - sent_at` in days, to two decimals.
    #[schema(value_type = Option<String>)]
    pub turnaround_days: Option<Decimal>,
    /// Returned by `due_at`.
    pub on_time: Option<bool>,
    pub result_document_id: Option<i64>,
    pub recorded_by: Option<i64>,
}

/// A repair order with its lines: the repair report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RepairOrder {
    pub id: i64,
    /// Absent: the internal repair centre.
    pub vendor_id: Option<i64>,
    pub warehouse_id: i64,
    pub status: RepairStatus,
    pub reference: String,
    pub send_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lines: Vec<RepairLine>,
}

pub(crate) fn line_from_row(
    l: repair_line::Model,
    sent_at: DateTime<Utc>,
) -> AppResult<RepairLine> {
    let turnaround = l.returned_at.map(|r| r - sent_at);
    Ok(RepairLine {
        outcome: l.outcome,
        cost: l
            .cost
            .as_deref()
            .map(|c| Money::from_db(c).map(Money::amount))
            .transpose()?,
        turnaround_seconds: turnaround.map(|d| d.num_seconds()),
        turnaround_days: turnaround.map(|d| {
            (Decimal::from(d.num_seconds()) / Decimal::from(86_400))
                .round_dp(2)
                .normalize()
        }),
        on_time: l.returned_at.map(|r| r <= l.due_at),
        id: l.id,
        part_id: l.part_id,
        quantity: l.quantity,
        serial: l.serial,
        fault_cause: l.fault_cause,
        failed_component: l.failed_component,
        conclusion: l.conclusion,
        measures: l.measures,
        repeat_repair: l.repeat_repair,
        due_at: l.due_at,
        returned_at: l.returned_at,
        returned_to_warehouse_id: l.returned_to_warehouse_id,
        result_document_id: l.result_document_id,
        recorded_by: l.recorded_by,
    })
}

async fn header(db: &impl ConnectionTrait, id: i64) -> AppResult<repair_order::Model> {
    repair_order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("repair order"))
}

/// A repair order and its lines.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<RepairOrder> {
    let o = header(db, id).await?;
    let lines = repair_line::Entity::find()
        .filter(L::RepairOrderId.eq(id))
        .order_by_asc(L::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|l| line_from_row(l, o.sent_at))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(RepairOrder {
        status: o.status,
        id: o.id,
        vendor_id: o.vendor_id,
        warehouse_id: o.warehouse_id,
        reference: o.reference,
        send_document_id: o.send_document_id,
        created_by: o.created_by,
        created_at: o.created_at,
        sent_at: o.sent_at,
        closed_at: o.closed_at,
        lines,
    })
}

/// The repair vendor, refused with 422 unless it exists, is active and
/// repairs.
async fn repair_vendor(db: &impl ConnectionTrait, id: i64) -> AppResult<vendor::Model> {
    let field = "vendor_id";
    match vendor::Entity::find_by_id(id).one(db).await? {
        None => Err(AppError::field(
            field,
            format!("vendor {id} does not exist"),
        )),
        Some(v) if !v.active => Err(AppError::field(
            field,
            format!("vendor {id} is deactivated"),
        )),
        Some(v) if v.kind == VendorKind::Supplier => Err(AppError::field(
            field,
            format!("vendor {id} is a supplier, not a repair vendor"),
        )),
        Some(v) => Ok(v),
    }
}

/// Sends defective units to repair: one order, one `repair_send_out`
/// document, whole or not at all.
pub async fn send(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: SendRequest,
    now: DateTime<Utc>,
) -> AppResult<RepairOrder> {
    check_send(&req)?;
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    let vendor = match req.vendor_id {
        Some(id) => Some(repair_vendor(db, id).await?),
        None => None,
    };
    let parts = check_send_lines(db, &req).await?;
    let doc = post_send_out(db, actor_id, &req, now).await?;
    let order = repair_order::ActiveModel {
        vendor_id: Set(req.vendor_id),
        warehouse_id: Set(req.warehouse_id),
        status: Set(RepairStatus::Sent),
        reference: Set(req.reference),
        send_document_id: Set(Some(doc.id)),
        created_by: Set(actor_id),
        created_at: Set(now),
        sent_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    insert_lines(db, &order, vendor.as_ref(), &parts, &req.lines).await?;
    get(db, order.id).await
}

/// The order on its own, before anything is read: line count, quantities
/// and reference.
fn check_send(req: &SendRequest) -> AppResult<()> {
    let mut v = Validator::new();
    let n = req.lines.len();
    v.line_count(n);
    for (i, l) in req.lines.iter().enumerate() {
        v.line_quantity(i, l.quantity);
    }
    v.optional_text("reference", &req.reference, MAX_NAME);
    Ok(v.finish()?)
}

/// Every line's part is active and repairable (a consumable is scrapped,
/// not repaired), its serials fit the part and name defective units at the
/// sending warehouse. Returns the parts by id.
async fn check_send_lines(
    db: &impl ConnectionTrait,
    req: &SendRequest,
) -> AppResult<HashMap<i64, part::Model>> {
    let part_ids: Vec<i64> = req.lines.iter().map(|l| l.part_id).collect();
    let parts = active_parts(db, &part_ids).await?;
    let mut v = Validator::new();
    for (i, l) in req.lines.iter().enumerate() {
        v.check(
            parts
                .get(&l.part_id)
                .is_none_or(|p| p.kind != PartKind::Consumable),
            &format!("lines[{i}].part_id"),
            format!("part {} is consumable; scrap it instead", l.part_id),
        );
        if let Some(part) = parts.get(&l.part_id) {
            serials::check_line(&mut v, &format!("lines[{i}]"), part, l.quantity, &l.serials);
        }
    }
    v.finish()?;
    for l in &req.lines {
        serials::check_placed(
            db,
            l.part_id,
            &l.serials,
            Location::warehouse(req.warehouse_id),
            Condition::Defective,
            false,
        )
        .await?;
    }
    Ok(parts)
}

/// The document's counterparty: the repair vendor, or the internal repair
/// centre when there is none.
fn counterparty(vendor_id: Option<i64>) -> String {
    if vendor_id.is_some() {
        "repair_vendor"
    } else {
        "internal_repair"
    }
    .to_owned()
}

/// Posts the `repair_send_out` document: every line's defective units
/// from the warehouse to the vendor, still owned but off-site.
async fn post_send_out(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: &SendRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let to = Location::virtual_(LocationKind::RepairVendor, req.vendor_id);
    let moves = req
        .lines
        .iter()
        .map(|l| NewMovement {
            part_id: l.part_id,
            quantity: l.quantity,
            from: Location::warehouse(req.warehouse_id),
            from_condition: Condition::Defective,
            to,
            to_condition: Condition::Defective,
            movement_type: MovementType::RepairSend,
            from_reserved: false,
            reverses_movement_id: None,
            serials: l.serials.clone(),
        })
        .collect();
    allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::RepairSendOut,
            warehouse_id: Some(req.warehouse_id),
            reference: req.reference.clone(),
            reason: String::new(),
            counterparty: counterparty(req.vendor_id),
            counterparty_id: req.vendor_id,
            reverses_document_id: None,
            actor_id,
        },
        moves,
        now,
    )
    .await
}

/// The order's pending lines, each due after the vendor's turnaround (the
/// part's for the internal centre) and flagged when it is a repeat repair.
async fn insert_lines(
    db: &impl ConnectionTrait,
    order: &repair_order::Model,
    vendor: Option<&vendor::Model>,
    parts: &HashMap<i64, part::Model>,
    lines: &[SendLine],
) -> AppResult<()> {
    let part_ids: Vec<i64> = lines.iter().map(|l| l.part_id).collect();
    let repaired_before = repaired_before(db, order.warehouse_id, &part_ids).await?;
    // A serialized line is split into one line per unit, so each unit has
    // its own repair record, outcome and repeat-repair flag.
    let mut units: Vec<(i64, i32, Option<String>)> = Vec::new();
    for l in lines {
        if l.serials.is_empty() {
            units.push((l.part_id, l.quantity, None));
        } else {
            units.extend(l.serials.iter().map(|s| (l.part_id, 1, Some(s.clone()))));
        }
    }
    for (part_id, quantity, serial) in units {
        let days = vendor
            .and_then(|v| v.repair_turnaround_days)
            .or_else(|| parts.get(&part_id).map(|p| p.repair_turnaround_days))
            .unwrap_or(0);
        let repeat = match &serial {
            Some(s) => unit_repaired_before(db, part_id, s).await?,
            None => repaired_before.contains(&part_id),
        };
        repair_line::ActiveModel {
            repair_order_id: Set(order.id),
            part_id: Set(part_id),
            quantity: Set(quantity),
            serial: Set(serial),
            outcome: Set(RepairOutcome::Pending),
            fault_cause: Set(String::new()),
            failed_component: Set(String::new()),
            conclusion: Set(String::new()),
            measures: Set(String::new()),
            cost: Set(None),
            repeat_repair: Set(repeat),
            due_at: Set(order.sent_at + Duration::days(days.into())),
            returned_at: Set(None),
            returned_to_warehouse_id: Set(None),
            result_document_id: Set(None),
            recorded_by: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Whether this very unit came back repaired before: a repeat repair.
async fn unit_repaired_before(
    db: &impl ConnectionTrait,
    part_id: i64,
    serial: &str,
) -> AppResult<bool> {
    Ok(repair_line::Entity::find()
        .filter(L::PartId.eq(part_id))
        .filter(L::Serial.eq(serial))
        .filter(L::Outcome.eq(RepairOutcome::Repaired))
        .one(db)
        .await?
        .is_some())
}

/// The parts among `part_ids` of which a unit was repaired and returned to
/// `warehouse_id` before (for parts without serials, repeat repair can
/// only be told per part).
async fn repaired_before(
    db: &impl ConnectionTrait,
    warehouse_id: i64,
    part_ids: &[i64],
) -> AppResult<HashSet<i64>> {
    Ok(repair_line::Entity::find()
        .filter(L::PartId.is_in(part_ids.iter().copied()))
        .filter(L::Outcome.eq(RepairOutcome::Repaired))
        .filter(L::ReturnedToWarehouseId.eq(warehouse_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.part_id)
        .collect())
}

/// Records the repair record of a pending line and posts its return:
/// repaired units back to a warehouse as good stock, units beyond repair
/// to scrap. Closes the order when it was the last pending line.
pub async fn record_result(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    line_id: i64,
    req: ResultRequest,
    now: DateTime<Utc>,
) -> AppResult<RepairOrder> {
    let cost = check_result(&req)?;
    let order = header(db, id).await?;
    let line = repair_line::Entity::find_by_id(line_id)
        .one(db)
        .await?
        .filter(|l| l.repair_order_id == id)
        .ok_or(AppError::NotFound("repair line"))?;
    let target = req.return_warehouse_id.unwrap_or(order.warehouse_id);
    if req.outcome == RepairOutcome::Repaired {
        active_warehouse(db, target, "return_warehouse_id").await?;
    }

    // Take the order's row lock; a closed order is refused.
    Transition::<repair_order::Entity>::lock(id, &[RepairStatus::Sent], "record a result of")
        .apply(db, now)
        .await?;
    let repaired = req.outcome == RepairOutcome::Repaired;
    Transition::<repair_line::Entity>::new(
        line_id,
        &[RepairOutcome::Pending],
        req.outcome,
        "record a result of",
    )
    .set(L::FaultCause, req.fault_cause.clone())
    .set(L::FailedComponent, req.failed_component.clone())
    .set(L::Conclusion, req.conclusion.clone())
    .set(L::Measures, req.measures.clone())
    .set(L::Cost, cost.to_db())
    .set(L::ReturnedAt, now)
    .set(L::ReturnedToWarehouseId, repaired.then_some(target))
    .set(L::RecordedBy, actor_id)
    .apply(db, now)
    .await?;

    let doc = post_result(db, actor_id, &order, &line, repaired.then_some(target), now).await?;
    let link = Query::update()
        .table(repair_line::Entity)
        .value(L::ResultDocumentId, doc.id)
        .and_where(Expr::col(L::Id).eq(line_id))
        .to_owned();
    db.execute(&link).await?;
    close_if_decided(db, id, now).await?;
    get(db, id).await
}

/// The repair record on its own: a decided outcome, texts in range and a
/// valid cost, which it returns.
fn check_result(req: &ResultRequest) -> AppResult<Money> {
    let mut v = Validator::new();
    v.check(
        req.outcome != RepairOutcome::Pending,
        "outcome",
        "must be repaired or beyond_repair",
    );
    for (field, text) in [
        ("fault_cause", &req.fault_cause),
        ("failed_component", &req.failed_component),
        ("conclusion", &req.conclusion),
        ("measures", &req.measures),
    ] {
        v.optional_text(field, text, MAX_TEXT);
    }
    let cost = v.money("cost", req.cost);
    v.finish()?;
    Ok(cost)
}

/// Posts a line's return: `repair_return` of good stock into `returned_to`
/// when repaired, `scrap` of the defective unit when beyond repair (`None`).
async fn post_result(
    db: &impl ConnectionTrait,
    actor_id: i64,
    order: &repair_order::Model,
    line: &repair_line::Model,
    returned_to: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let (doc_type, movement, to, to_condition, warehouse, reason) = match returned_to {
        Some(target) => (
            DocumentType::RepairReturn,
            MovementType::RepairReturn,
            Location::warehouse(target),
            Condition::Good,
            target,
            "repaired",
        ),
        None => (
            DocumentType::Scrap,
            MovementType::Scrap,
            Location::virtual_(LocationKind::Scrap, None),
            Condition::Defective,
            order.warehouse_id,
            "beyond repair",
        ),
    };
    allocation::post(
        db,
        NewDocument {
            doc_type,
            warehouse_id: Some(warehouse),
            reference: format!("repair order {} line {}", order.id, line.id),
            reason: reason.to_owned(),
            counterparty: counterparty(order.vendor_id),
            counterparty_id: order.vendor_id,
            reverses_document_id: None,
            actor_id,
        },
        vec![NewMovement {
            part_id: line.part_id,
            quantity: line.quantity,
            from: Location::virtual_(LocationKind::RepairVendor, order.vendor_id),
            from_condition: Condition::Defective,
            to,
            to_condition,
            movement_type: movement,
            from_reserved: false,
            reverses_movement_id: None,
            serials: line.serial.clone().into_iter().collect(),
        }],
        now,
    )
    .await
}

/// Closes the order once no line is pending: the result just recorded
/// holds the order's row lock, so the last result always sees the others.
async fn close_if_decided(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> AppResult<()> {
    let pending = repair_line::Entity::find()
        .filter(L::RepairOrderId.eq(id))
        .filter(L::Outcome.eq(RepairOutcome::Pending))
        .one(db)
        .await?;
    if pending.is_none() {
        Transition::<repair_order::Entity>::new(
            id,
            &[RepairStatus::Sent],
            RepairStatus::Closed,
            "close",
        )
        .set(O::ClosedAt, now)
        .apply(db, now)
        .await?;
    }
    Ok(())
}

/// Filters of `GET /api/v1/repair-orders`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RepairFilter {
    pub warehouse_id: Option<i64>,
    pub vendor_id: Option<i64>,
    pub status: Option<RepairStatus>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Repair orders with their lines, oldest first, keyset-paged.
pub async fn list(db: &impl ConnectionTrait, f: RepairFilter) -> AppResult<Page<RepairOrder>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = repair_order::Entity::find()
        .apply_if(f.warehouse_id, |q, w| q.filter(O::WarehouseId.eq(w)))
        .apply_if(f.vendor_id, |q, vendor| q.filter(O::VendorId.eq(vendor)))
        .apply_if(f.status, |q, s| q.filter(O::Status.eq(s)));
    let headers = page.fetch(db, q, O::Id, |o| o.id).await?;
    let ids: Vec<i64> = headers.items.iter().map(|o| o.id).collect();
    let mut lines: HashMap<i64, Vec<repair_line::Model>> = HashMap::new();
    if !ids.is_empty() {
        for l in repair_line::Entity::find()
            .filter(L::RepairOrderId.is_in(ids))
            .order_by_asc(L::Id)
            .all(db)
            .await?
        {
            lines.entry(l.repair_order_id).or_default().push(l);
        }
    }
    headers.try_map(|o| {
        Ok(RepairOrder {
            status: o.status,
            lines: lines
                .remove(&o.id)
                .unwrap_or_default()
                .into_iter()
                .map(|l| line_from_row(l, o.sent_at))
                .collect::<AppResult<Vec<_>>>()?,
            id: o.id,
            vendor_id: o.vendor_id,
            warehouse_id: o.warehouse_id,
            reference: o.reference,
            send_document_id: o.send_document_id,
            created_by: o.created_by,
            created_at: o.created_at,
            sent_at: o.sent_at,
            closed_at: o.closed_at,
        })
    })
}
