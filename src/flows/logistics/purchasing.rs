//! Purchase orders (process 4.2.2, purchasing): parts ordered from a
//! supplier for delivery into one warehouse, received against in one or
//! more deliveries.
//!
//! # States
//! `open` -> `partially_received` -> `received`, and `open` -> `cancelled`.
//! An order is cancelled only while nothing has been received (after a
//! receipt the received units are on the books; reverse the receipt
//! document instead). `received` and `cancelled` are final.
//!
//! # Receiving
//! A receipt posts one `purchase_receipt` document through
//! [`ledger::post`]: supplier -> warehouse, one movement per line, in the
//! condition given (default `good`; a unit damaged on arrival is still
//! received against the order). Each line's `received_qty` grows by a
//! guarded `UPDATE ... WHERE received_qty + n <= quantity`, so an order is
//! never received beyond what was ordered, whatever the concurrency.
//!
//! # Concurrency
//! Every change starts with a conditional `UPDATE purchase_orders ... WHERE
//! status IN (...)` and checks the rows affected, as stocktakes do: on
//! PostgreSQL the row lock serialises receipts and cancellation of one
//! order, and a cancellation waiting behind a receipt re-reads the status
//! and finds it no longer `open`. On SQLite write transactions are
//! `BEGIN IMMEDIATE`, serialised anyway.
//!
//! Unit prices are money in the part's currency, stored as decimal text.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::purchase_order::{self, Column as P};
use entities::purchase_order_line::{self, Column as L};
use entities::vocabulary::{
    Condition, DocumentType, LocationKind, MovementType, PurchaseOrderStatus, VendorKind,
};
use entities::{stock_document, vendor};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::validate::{MAX_LINES, MAX_NAME};
use crate::core::{Money, Validator};
use crate::flows::allocation;
use crate::store::error::{AppError, AppResult, FieldError};
use crate::store::ledger::{Document, Location, NewDocument, NewMovement};
use crate::store::lookups::{active_parts, active_warehouse};
use crate::store::paging::{Page, PageParams};
use crate::store::transition::{StateMachine, Transition};

/// The `counterparty` of the ledger documents a purchase order posts.
pub const COUNTERPARTY: &str = "purchase_order";

fn good() -> Condition {
    Condition::Good
}

/// The actions allowed on an order in `status`, as named in the API.
pub fn allowed(status: PurchaseOrderStatus) -> Vec<&'static str> {
    match status {
        PurchaseOrderStatus::Open => vec!["receive", "cancel"],
        PurchaseOrderStatus::PartiallyReceived => vec!["receive"],
        PurchaseOrderStatus::Received | PurchaseOrderStatus::Cancelled => vec![],
    }
}

/// The states whose orders still expect deliveries (count as on order).
pub const OUTSTANDING: [PurchaseOrderStatus; 2] = [
    PurchaseOrderStatus::Open,
    PurchaseOrderStatus::PartiallyReceived,
];

impl StateMachine for purchase_order::Entity {
    const WHAT: &'static str = "purchase order";
    type Status = PurchaseOrderStatus;
    const ID: P = P::Id;
    const STATUS: P = P::Status;
    const UPDATED_AT: Option<P> = None;

    fn state(o: &purchase_order::Model) -> (String, Vec<&'static str>) {
        (o.status.to_string(), allowed(o.status))
    }
}

/// One line of a new purchase order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurchaseOrderLine {
    pub part_id: i64,
    /// Whole units, 1 to 1,000,000.
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    /// Price of one unit in the part's currency, a decimal string with at
    /// most 6 decimals; the part's unit cost when absent.
    #[serde(
        default,
        deserialize_with = "crate::core::input::optional_decimal_text"
    )]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "10.50")]
    pub unit_price: Option<Decimal>,
}

/// Body of `POST /api/v1/purchase-orders`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurchaseOrder {
    /// An active vendor of kind `supplier` or `both`.
    pub vendor_id: i64,
    /// The active warehouse the parts are delivered to.
    pub warehouse_id: i64,
    /// The supplier's order number, a contract, ...
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    /// When the delivery is expected (RFC 3339).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub expected_at: Option<DateTime<Utc>>,
    /// One line per part.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<NewPurchaseOrderLine>,
}

/// One line of a receipt against a purchase order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseReceiveLine {
    /// A part on the order.
    pub part_id: i64,
    /// Whole units, at most what is still outstanding on the line.
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    /// `good` unless said (e.g. `quarantined` for units to inspect).
    #[serde(default = "good")]
    pub condition: Condition,
    /// For a serialized part: one serial per unit received.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/purchase-orders/{id}/receive`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseReceiveRequest {
    /// The supplier's delivery note.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<PurchaseReceiveLine>,
}

/// A line of a purchase order as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurchaseOrderLine {
    pub id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub received_qty: i32,
    /// `quantity - received_qty`. A cancelled order expects nothing more,
    /// whatever its lines say.
    pub outstanding_qty: i32,
    #[schema(value_type = String, example = "10.50")]
    pub unit_price: Decimal,
    /// `quantity * unit_price`.
    #[schema(value_type = String)]
    pub line_value: Decimal,
}

/// A purchase order with its lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurchaseOrder {
    pub id: i64,
    pub vendor_id: i64,
    pub warehouse_id: i64,
    pub status: PurchaseOrderStatus,
    /// What may be done next: `receive`, `cancel`.
    pub allowed_next: Vec<&'static str>,
    pub reference: String,
    pub expected_at: Option<DateTime<Utc>>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lines: Vec<PurchaseOrderLine>,
    /// The `purchase_receipt` ledger documents posted against the order.
    pub receipt_document_ids: Vec<i64>,
}

/// The answer of a receipt: the order as it is now and the posted document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurchaseReceipt {
    pub purchase_order: PurchaseOrder,
    pub document: Document,
}

fn order_line(l: purchase_order_line::Model) -> AppResult<PurchaseOrderLine> {
    let unit_price = Money::from_db(&l.unit_price)?.amount();
    Ok(PurchaseOrderLine {
        id: l.id,
        part_id: l.part_id,
        quantity: l.quantity,
        received_qty: l.received_qty,
        outstanding_qty: l.quantity - l.received_qty,
        line_value: (unit_price * Decimal::from(l.quantity)).normalize(),
        unit_price,
    })
}

fn assemble(
    o: purchase_order::Model,
    lines: Vec<purchase_order_line::Model>,
    receipt_document_ids: Vec<i64>,
) -> AppResult<PurchaseOrder> {
    let status = o.status;
    Ok(PurchaseOrder {
        id: o.id,
        vendor_id: o.vendor_id,
        warehouse_id: o.warehouse_id,
        status,
        allowed_next: allowed(status),
        reference: o.reference,
        expected_at: o.expected_at,
        created_by: o.created_by,
        created_at: o.created_at,
        closed_at: o.closed_at,
        lines: lines
            .into_iter()
            .map(order_line)
            .collect::<AppResult<_>>()?,
        receipt_document_ids,
    })
}

async fn header(db: &impl ConnectionTrait, id: i64) -> AppResult<purchase_order::Model> {
    purchase_order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("purchase order"))
}

async fn line_rows(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<purchase_order_line::Model>>> {
    let mut by_order: HashMap<i64, Vec<purchase_order_line::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_order);
    }
    for l in purchase_order_line::Entity::find()
        .filter(L::PurchaseOrderId.is_in(ids.iter().copied()))
        .order_by_asc(L::Id)
        .all(db)
        .await?
    {
        by_order.entry(l.purchase_order_id).or_default().push(l);
    }
    Ok(by_order)
}

async fn receipt_ids(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut by_order: HashMap<i64, Vec<i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_order);
    }
    for d in stock_document::Entity::find()
        .filter(stock_document::Column::DocType.eq(DocumentType::PurchaseReceipt))
        .filter(stock_document::Column::Counterparty.eq(COUNTERPARTY))
        .filter(stock_document::Column::CounterpartyId.is_in(ids.iter().copied()))
        .order_by_asc(stock_document::Column::Id)
        .all(db)
        .await?
    {
        if let Some(order) = d.counterparty_id {
            by_order.entry(order).or_default().push(d.id);
        }
    }
    Ok(by_order)
}

/// One purchase order with its lines and receipts.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<PurchaseOrder> {
    let o = header(db, id).await?;
    let lines = line_rows(db, &[id]).await?.remove(&id).unwrap_or_default();
    let receipts = receipt_ids(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    assemble(o, lines, receipts)
}

/// An active vendor that sells parts, or a 422 naming `field`.
pub async fn active_supplier(
    db: &impl ConnectionTrait,
    id: i64,
    field: &str,
) -> AppResult<vendor::Model> {
    let Some(v) = vendor::Entity::find_by_id(id).one(db).await? else {
        return Err(AppError::field(
            field,
            format!("vendor {id} does not exist"),
        ));
    };
    if !v.active {
        return Err(AppError::field(
            field,
            format!("vendor {id} is deactivated"),
        ));
    }
    match v.kind {
        VendorKind::Supplier | VendorKind::Both => Ok(v),
        VendorKind::Repair => Err(AppError::field(
            field,
            format!("vendor {id} is a repair vendor, not a supplier"),
        )),
    }
}

/// Checks line count, quantities and repeated parts.
fn check_lines(v: &mut Validator, parts_and_quantities: &[(i64, i32)]) {
    let n = parts_and_quantities.len();
    v.line_count(n);
    let mut seen = HashMap::new();
    for (i, (part, q)) in parts_and_quantities.iter().enumerate() {
        v.line_quantity(i, *q);
        v.first_mention(&mut seen, i, *part, "the part");
    }
}

/// Creates an open purchase order, validated whole before anything is
/// written.
pub async fn create(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: NewPurchaseOrder,
    now: DateTime<Utc>,
) -> AppResult<PurchaseOrder> {
    let mut v = Validator::new();
    let pq: Vec<(i64, i32)> = req.lines.iter().map(|l| (l.part_id, l.quantity)).collect();
    check_lines(&mut v, &pq);
    v.optional_text("reference", &req.reference, MAX_NAME);
    let prices: Vec<Option<Money>> = req
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            l.unit_price
                .map(|p| v.money(&format!("lines[{i}].unit_price"), p))
        })
        .collect();
    v.finish()?;
    active_supplier(db, req.vendor_id, "vendor_id").await?;
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    let part_ids: Vec<i64> = pq.iter().map(|(p, _)| *p).collect();
    let parts = active_parts(db, &part_ids).await?;

    let order = purchase_order::ActiveModel {
        vendor_id: Set(req.vendor_id),
        warehouse_id: Set(req.warehouse_id),
        status: Set(PurchaseOrderStatus::Open),
        reference: Set(req.reference),
        expected_at: Set(req.expected_at),
        created_by: Set(actor_id),
        created_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut rows = Vec::with_capacity(req.lines.len());
    for (l, price) in req.lines.iter().zip(prices) {
        let price = match price {
            Some(p) => p,
            None => match parts.get(&l.part_id) {
                Some(p) => Money::from_db(&p.unit_cost)?,
                None => Money::ZERO,
            },
        };
        rows.push(purchase_order_line::ActiveModel {
            purchase_order_id: Set(order.id),
            part_id: Set(l.part_id),
            quantity: Set(l.quantity),
            received_qty: Set(0),
            unit_price: Set(price.to_db()),
            ..Default::default()
        });
    }
    purchase_order_line::Entity::insert_many(rows)
        .exec(db)
        .await?;
    get(db, order.id).await
}

/// Receives a delivery against an order: posts supplier -> warehouse
/// movements and records the received quantities, whole or not at all.
pub async fn receive(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: PurchaseReceiveRequest,
    now: DateTime<Utc>,
) -> AppResult<PurchaseReceipt> {
    let mut v = Validator::new();
    let pq: Vec<(i64, i32)> = req.lines.iter().map(|l| (l.part_id, l.quantity)).collect();
    check_lines(&mut v, &pq);
    v.optional_text("reference", &req.reference, MAX_NAME);
    v.finish()?;
    let order = header(db, id).await?;
    // Take the row lock: concurrent receipts of one order queue here.
    Transition::<purchase_order::Entity>::lock(id, &OUTSTANDING, "receive")
        .apply(db, now)
        .await?;
    active_warehouse(db, order.warehouse_id, "warehouse_id").await?;
    let lines: HashMap<i64, purchase_order_line::Model> = line_rows(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|l| (l.part_id, l))
        .collect();
    check_outstanding(id, &req, &lines)?;
    crate::store::serials::active_parts_of(
        db,
        req.lines
            .iter()
            .map(|l| (l.part_id, l.quantity, l.serials.as_slice())),
    )
    .await?;
    raise_received(db, &req, &lines).await?;
    let document = post_receipt(db, actor_id, &order, req, now).await?;
    advance_after_receipt(db, id, now).await?;
    Ok(PurchaseReceipt {
        purchase_order: get(db, id).await?,
        document,
    })
}

/// Every received part is on the order and no line receives more than is
/// still outstanding on it.
fn check_outstanding(
    id: i64,
    req: &PurchaseReceiveRequest,
    lines: &HashMap<i64, purchase_order_line::Model>,
) -> AppResult<()> {
    let mut v = Validator::new();
    for (i, l) in req.lines.iter().enumerate() {
        let field = format!("lines[{i}].quantity");
        match lines.get(&l.part_id) {
            None => {
                v.push(FieldError::new(
                    format!("lines[{i}].part_id"),
                    format!("part {} is not on purchase order {id}", l.part_id),
                ));
            }
            Some(line) => {
                let outstanding = line.quantity - line.received_qty;
                v.check(
                    l.quantity <= outstanding,
                    &field,
                    format!(
                        "receives {} of part {} but only {outstanding} of {} ordered are outstanding on line {}",
                        l.quantity, l.part_id, line.quantity, line.id
                    ),
                );
            }
        }
    }
    Ok(v.finish()?)
}

/// Raises each line's received quantity, only while it stays within the
/// ordered quantity.
async fn raise_received(
    db: &impl ConnectionTrait,
    req: &PurchaseReceiveRequest,
    lines: &HashMap<i64, purchase_order_line::Model>,
) -> AppResult<()> {
    for (i, l) in req.lines.iter().enumerate() {
        let Some(line) = lines.get(&l.part_id) else {
            continue;
        };
        // The guard is the authority; the check before only names the line
        // without a round trip per line in the common refusal.
        let stmt = Query::update()
            .table(purchase_order_line::Entity)
            .value(L::ReceivedQty, Expr::col(L::ReceivedQty).add(l.quantity))
            .and_where(Expr::col(L::Id).eq(line.id))
            .and_where(
                Expr::col(L::ReceivedQty)
                    .add(l.quantity)
                    .lte(Expr::col(L::Quantity)),
            )
            .to_owned();
        if db.execute(&stmt).await?.rows_affected() != 1 {
            return Err(AppError::field(
                format!("lines[{i}].quantity"),
                format!("receives more of part {} than is outstanding", l.part_id),
            ));
        }
    }
    Ok(())
}

/// Posts the `purchase_receipt` document: every line from the supplier
/// into the order's warehouse in the condition it arrived in.
async fn post_receipt(
    db: &impl ConnectionTrait,
    actor_id: i64,
    order: &purchase_order::Model,
    req: PurchaseReceiveRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let moves = req
        .lines
        .iter()
        .map(|l| NewMovement {
            part_id: l.part_id,
            quantity: l.quantity,
            from: Location::virtual_(LocationKind::Supplier, Some(order.vendor_id)),
            from_condition: l.condition,
            to: Location::warehouse(order.warehouse_id),
            to_condition: l.condition,
            movement_type: MovementType::PurchaseReceipt,
            from_reserved: false,
            reverses_movement_id: None,
            serials: l.serials.clone(),
        })
        .collect();
    let reference = if req.reference.is_empty() {
        format!("PO {}", order.id)
    } else {
        req.reference
    };
    allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::PurchaseReceipt,
            warehouse_id: Some(order.warehouse_id),
            reference,
            reason: String::new(),
            counterparty: COUNTERPARTY.to_owned(),
            counterparty_id: Some(order.id),
            reverses_document_id: None,
            actor_id,
        },
        moves,
        now,
    )
    .await
}

/// `received` (and closed) once every line is in, else
/// `partially_received`.
async fn advance_after_receipt(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let all_in = purchase_order_line::Entity::find()
        .filter(L::PurchaseOrderId.eq(id))
        .all(db)
        .await?
        .iter()
        .all(|l| l.received_qty >= l.quantity);
    let next = if all_in {
        PurchaseOrderStatus::Received
    } else {
        PurchaseOrderStatus::PartiallyReceived
    };
    let mut step = Transition::<purchase_order::Entity>::new(id, &OUTSTANDING, next, "receive");
    if next == PurchaseOrderStatus::Received {
        step = step.set(P::ClosedAt, now);
    }
    step.apply(db, now).await?;
    Ok(())
}

/// Cancels an order nothing has been received against.
pub async fn cancel(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<PurchaseOrder> {
    header(db, id).await?;
    Transition::<purchase_order::Entity>::new(
        id,
        &[PurchaseOrderStatus::Open],
        PurchaseOrderStatus::Cancelled,
        "cancel",
    )
    .set(P::ClosedAt, now)
    .apply(db, now)
    .await?;
    get(db, id).await
}

/// Filters of `GET /api/v1/purchase-orders`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    pub vendor_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub status: Option<PurchaseOrderStatus>,
    /// Orders with a line of this part.
    pub part_id: Option<i64>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Lists orders with their lines, oldest first, keyset-paged.
pub async fn list(db: &impl ConnectionTrait, f: OrderFilter) -> AppResult<Page<PurchaseOrder>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let mut q = purchase_order::Entity::find()
        .apply_if(f.vendor_id, |q, x| q.filter(P::VendorId.eq(x)))
        .apply_if(f.warehouse_id, |q, x| q.filter(P::WarehouseId.eq(x)))
        .apply_if(f.status, |q, s| q.filter(P::Status.eq(s)));
    if let Some(part) = f.part_id {
        q = q.filter(
            P::Id.in_subquery(
                Query::select()
                    .column(L::PurchaseOrderId)
                    .from(purchase_order_line::Entity)
                    .and_where(Expr::col(L::PartId).eq(part))
                    .to_owned(),
            ),
        );
    }
    let rows = page.fetch(db, q, P::Id, |o| o.id).await?;
    let ids: Vec<i64> = rows.items.iter().map(|o| o.id).collect();
    let mut lines = line_rows(db, &ids).await?;
    let mut receipts = receipt_ids(db, &ids).await?;
    rows.try_map(|o| {
        let id = o.id;
        assemble(
            o,
            lines.remove(&id).unwrap_or_default(),
            receipts.remove(&id).unwrap_or_default(),
        )
    })
}

/// Units still expected per part by the open and partially received orders
/// delivering to `warehouse_id`.
pub async fn on_order(
    db: &impl ConnectionTrait,
    warehouse_id: i64,
) -> AppResult<HashMap<i64, i64>> {
    let orders: Vec<i64> = purchase_order::Entity::find()
        .filter(P::WarehouseId.eq(warehouse_id))
        .filter(P::Status.is_in(OUTSTANDING))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut per_part: HashMap<i64, i64> = HashMap::new();
    let unique: Vec<i64> = orders
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in unique.chunks(MAX_LINES) {
        for l in purchase_order_line::Entity::find()
            .filter(L::PurchaseOrderId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            *per_part.entry(l.part_id).or_default() += i64::from(l.quantity - l.received_qty);
        }
    }
    Ok(per_part)
}
