//! Transfers between warehouses (process 4.2.2, allocation between
//! warehouses): `draft -> shipped -> received -> closed`, cancel only from
//! `draft`.
//!
//! # Stock
//! Shipping posts one `transfer_shipment` document moving every line from
//! the source warehouse to `in_transit:{transfer id}` through the guarded
//! ledger: a short line refuses the whole ship. Each receipt posts one
//! `transfer_receipt` document out of in-transit: good units to the
//! destination's good stock, damaged units to its quarantine, short units
//! to the `adjustment` location (a loss in transit, named in the
//! document's reason), and excess units from `adjustment` into the
//! destination's good stock. In-transit stock is therefore never stored:
//! it is the ledger's net quantity into `in_transit:{id}`, and
//! [`in_transit`] reads it from there.
//!
//! # Receipts
//! Partial receipts are allowed until every shipped unit is accounted for
//! (`good + damaged + short = shipped` per line); then the transfer is
//! `received`. Accounting for more units than are outstanding is refused;
//! a surplus must be declared as `excess`.
//!
//! # Concurrency
//! Every transition is a conditional `UPDATE transfers ... WHERE status =
//! 'x'` checked by rows affected (a receipt "touches" a shipped transfer
//! the same way, taking its row lock on PostgreSQL), and the line counters
//! are raised by a guarded `UPDATE ... WHERE good + damaged + short + n <=
//! quantity`, so two concurrent receipts can never account for a unit
//! twice.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::transfer::{self, Column as T};
use entities::transfer_line::{self, Column as L};
use entities::vocabulary::{
    Condition, DocumentType, LocationKind, MovementType, ShipmentKind, TransferStatus,
};
use entities::{lane, shipment, stock_document, warehouse};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QueryTrait, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::shipments::{self, CarrierFields, NewShipment, Shipment};
use crate::core::Validator;
use crate::core::validate::{MAX_LINE_QUANTITY, MAX_NAME, MAX_TEXT};
use crate::flows::allocation;
use crate::store::error::{AppError, AppResult, FieldError};
use crate::store::ledger::{Location, NewDocument, NewMovement};
use crate::store::lookups::{active_parts, active_warehouse};
use crate::store::paging::{Page, PageParams};
use crate::store::serials;
use crate::store::transition::{StateMachine, Transition};

/// The actions allowed on a transfer in `status`, as named in the API paths.
pub fn allowed(status: TransferStatus) -> Vec<&'static str> {
    match status {
        TransferStatus::Draft => vec!["ship", "cancel"],
        TransferStatus::Shipped => vec!["receive"],
        TransferStatus::Received => vec!["close"],
        TransferStatus::Closed | TransferStatus::Cancelled => vec![],
    }
}

impl StateMachine for transfer::Entity {
    const WHAT: &'static str = "transfer";
    type Status = TransferStatus;
    const ID: T = T::Id;
    const STATUS: T = T::Status;
    const UPDATED_AT: Option<T> = Some(T::UpdatedAt);

    fn state(t: &transfer::Model) -> (String, Vec<&'static str>) {
        (t.status.to_string(), allowed(t.status))
    }
}

/// One line of `POST /api/v1/transfers`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferLineRequest {
    pub part_id: i64,
    /// Whole units of good stock, 1 to 1,000,000.
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    /// For a serialized part: the units to ship, one serial each.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/transfers`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    /// One line per part.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<TransferLineRequest>,
}

/// Body of `POST /api/v1/transfers/{id}/ship`: the carrier side of the
/// shipment. The estimated arrival is dispatch time plus the active lane's
/// transit hours unless `estimated_arrival_at` is given.
pub type ShipRequest = CarrierFields;

/// What arrived of one part, in one receipt.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveLine {
    pub part_id: i64,
    /// Units arrived in good condition (to the destination's good stock).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub good: i32,
    /// Units arrived damaged (to the destination's quarantine).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub damaged: i32,
    /// Units that will not arrive (written off as lost in transit).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub short: i32,
    /// Units arrived beyond what was shipped (booked as good stock).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub excess: i32,
    /// For a serialized part: the serials of the units counted as `good`.
    #[serde(default)]
    pub good_serials: Vec<String>,
    /// ... of the units counted as `damaged`.
    #[serde(default)]
    pub damaged_serials: Vec<String>,
    /// ... of the units counted as `short`.
    #[serde(default)]
    pub short_serials: Vec<String>,
    /// ... of the units counted as `excess`.
    #[serde(default)]
    pub excess_serials: Vec<String>,
}

/// Body of `POST /api/v1/transfers/{id}/receive`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<ReceiveLine>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// A line of a transfer with what became of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferLine {
    pub id: i64,
    pub part_id: i64,
    pub condition: Condition,
    /// Units on the transfer.
    pub quantity: i32,
    /// Units that left the source (0 until shipped).
    pub shipped: i32,
    pub received_good: i32,
    pub received_damaged: i32,
    pub short: i32,
    pub excess: i32,
    /// `received_good + received_damaged`.
    pub received: i32,
    /// Shipped units not yet accounted for: `shipped - good - damaged - short`.
    pub outstanding: i32,
    /// What the ledger holds in `in_transit:{transfer id}` for this part;
    /// equals `outstanding`.
    pub in_transit: i64,
}

/// A transfer with its lines and shipment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub status: TransferStatus,
    /// The actions allowed next.
    pub allowed: Vec<&'static str>,
    pub reference: String,
    pub note: String,
    pub ship_document_id: Option<i64>,
    pub shipment: Option<Shipment>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub lines: Vec<TransferLine>,
}

/// A transfer without lines, as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferSummary {
    pub id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub status: TransferStatus,
    pub reference: String,
    pub shipment_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

impl TransferSummary {
    fn from_row(t: transfer::Model) -> AppResult<TransferSummary> {
        Ok(TransferSummary {
            status: t.status,
            id: t.id,
            from_warehouse_id: t.from_warehouse_id,
            to_warehouse_id: t.to_warehouse_id,
            reference: t.reference,
            shipment_id: t.shipment_id,
            created_at: t.created_at,
            shipped_at: t.shipped_at,
            received_at: t.received_at,
        })
    }
}

fn in_transit_location(id: i64) -> Location {
    Location::virtual_(LocationKind::InTransit, Some(id))
}

async fn header(db: &impl ConnectionTrait, id: i64) -> AppResult<transfer::Model> {
    transfer::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("transfer"))
}

async fn line_rows(db: &impl ConnectionTrait, id: i64) -> AppResult<Vec<transfer_line::Model>> {
    Ok(transfer_line::Entity::find()
        .filter(L::TransferId.eq(id))
        .order_by_asc(L::Id)
        .all(db)
        .await?)
}

#[derive(Debug, FromQueryResult)]
struct NetRow {
    transfer_id: i64,
    part_id: i64,
    quantity: i64,
}

/// Net units in `in_transit:{transfer}` per (transfer, part) by the ledger,
/// non-zero only; for one transfer when `only` is given.
async fn ledger_in_transit(db: &impl ConnectionTrait, only: Option<i64>) -> AppResult<Vec<NetRow>> {
    let backend = db.get_database_backend();
    let (filter_to, filter_from, values) = match only {
        Some(id) => (
            " AND to_id = $1",
            " AND from_id = $2",
            vec![id.into(), id.into()],
        ),
        None => ("", "", vec![]),
    };
    let sql = format!(
        "SELECT transfer_id, part_id, CAST(SUM(q) AS BIGINT) AS quantity FROM ( \
           SELECT to_id AS transfer_id, part_id, quantity AS q FROM stock_movements \
             WHERE to_kind = 'in_transit'{filter_to} \
           UNION ALL \
           SELECT from_id AS transfer_id, part_id, -quantity AS q FROM stock_movements \
             WHERE from_kind = 'in_transit'{filter_from} \
         ) x GROUP BY transfer_id, part_id HAVING SUM(q) <> 0 \
         ORDER BY transfer_id, part_id"
    );
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql,
        _ => sql.replace("$1", "?").replace("$2", "?"),
    };
    Ok(
        NetRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(db)
            .await?,
    )
}

/// A transfer with its lines, shipment and ledger in-transit quantities.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Transfer> {
    let t = header(db, id).await?;
    let status = t.status;
    let shipped = !matches!(status, TransferStatus::Draft | TransferStatus::Cancelled);
    let net: HashMap<i64, i64> = ledger_in_transit(db, Some(id))
        .await?
        .into_iter()
        .map(|r| (r.part_id, r.quantity))
        .collect();
    let lines = line_rows(db, id)
        .await?
        .into_iter()
        .map(|l| {
            let shipped_qty = if shipped { l.quantity } else { 0 };
            Ok(TransferLine {
                id: l.id,
                part_id: l.part_id,
                condition: l.condition,
                quantity: l.quantity,
                shipped: shipped_qty,
                received: l.received_good + l.received_damaged,
                outstanding: shipped_qty - l.received_good - l.received_damaged - l.short,
                in_transit: net.get(&l.part_id).copied().unwrap_or(0),
                received_good: l.received_good,
                received_damaged: l.received_damaged,
                short: l.short,
                excess: l.excess,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let shipment = match t.shipment_id {
        Some(s) => Some(shipments::get(db, s).await?),
        None => None,
    };
    Ok(Transfer {
        id: t.id,
        from_warehouse_id: t.from_warehouse_id,
        to_warehouse_id: t.to_warehouse_id,
        allowed: allowed(status),
        status,
        reference: t.reference,
        note: t.note,
        ship_document_id: t.ship_document_id,
        shipment,
        created_by: t.created_by,
        created_at: t.created_at,
        shipped_at: t.shipped_at,
        received_at: t.received_at,
        closed_at: t.closed_at,
        cancelled_at: t.cancelled_at,
        lines,
    })
}

/// Creates a draft transfer.
pub async fn create(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: CreateRequest,
    now: DateTime<Utc>,
) -> AppResult<Transfer> {
    let mut v = Validator::new();
    v.optional_text("reference", &req.reference, MAX_NAME)
        .optional_text("note", &req.note, MAX_TEXT)
        .check(
            req.from_warehouse_id != req.to_warehouse_id,
            "to_warehouse_id",
            "must differ from from_warehouse_id",
        )
        .line_count(req.lines.len());
    let mut seen = HashMap::new();
    for (i, l) in req.lines.iter().enumerate() {
        v.line_quantity(i, l.quantity);
        v.first_mention(&mut seen, i, l.part_id, "the part");
    }
    v.finish()?;
    let mut errors = Vec::new();
    for (field, id) in [
        ("from_warehouse_id", req.from_warehouse_id),
        ("to_warehouse_id", req.to_warehouse_id),
    ] {
        if let Err(AppError::Validation(e)) = active_warehouse(db, id, field).await {
            errors.extend(e);
        }
    }
    let part_ids: Vec<i64> = req.lines.iter().map(|l| l.part_id).collect();
    match active_parts(db, &part_ids).await {
        Err(AppError::Validation(e)) => errors.extend(e),
        Err(e) => return Err(e),
        Ok(parts) => {
            let check = serials::check_request(
                &parts,
                req.lines
                    .iter()
                    .map(|l| (l.part_id, l.quantity, l.serials.as_slice())),
            );
            if let Err(AppError::Validation(e)) = check {
                errors.extend(e);
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let t = transfer::ActiveModel {
        from_warehouse_id: Set(req.from_warehouse_id),
        to_warehouse_id: Set(req.to_warehouse_id),
        status: Set(TransferStatus::Draft),
        reference: Set(req.reference.trim().to_owned()),
        note: Set(req.note),
        shipment_id: Set(None),
        ship_document_id: Set(None),
        created_by: Set(actor_id),
        created_at: Set(now),
        updated_at: Set(now),
        shipped_at: Set(None),
        received_at: Set(None),
        closed_at: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let rows = req.lines.iter().map(|l| transfer_line::ActiveModel {
        transfer_id: Set(t.id),
        part_id: Set(l.part_id),
        quantity: Set(l.quantity),
        condition: Set(Condition::Good),
        serials: Set(serials::encode(&l.serials)),
        received_good: Set(0),
        received_damaged: Set(0),
        short: Set(0),
        excess: Set(0),
        ..Default::default()
    });
    transfer_line::Entity::insert_many(rows).exec(db).await?;
    get(db, t.id).await
}

/// `action` moving transfer `id` from `from` to `to` at `now`, stamping
/// `stamp` with the time.
async fn step(
    db: &impl ConnectionTrait,
    id: i64,
    from: TransferStatus,
    to: TransferStatus,
    action: &'static str,
    stamp: T,
    now: DateTime<Utc>,
) -> AppResult<()> {
    Transition::<transfer::Entity>::new(id, &[from], to, action)
        .set(stamp, now)
        .apply(db, now)
        .await
}

/// The estimated arrival of a shipment leaving now on `from -> to`: the
/// explicit estimate, else now plus the active lane's transit hours. With
/// neither, 422 on `to_warehouse_id`: the network lacks the lane.
async fn estimated_arrival(
    db: &impl ConnectionTrait,
    t: &transfer::Model,
    explicit: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<DateTime<Utc>> {
    if let Some(at) = explicit {
        if at < now - Duration::minutes(5) {
            return Err(AppError::field(
                "estimated_arrival_at",
                "must not be before dispatch",
            ));
        }
        return Ok(at);
    }
    let lane = lane::Entity::find()
        .filter(lane::Column::FromWarehouseId.eq(t.from_warehouse_id))
        .filter(lane::Column::ToWarehouseId.eq(t.to_warehouse_id))
        .filter(lane::Column::Active.eq(true))
        .one(db)
        .await?;
    match lane {
        Some(l) => Ok(now + Duration::seconds((l.transit_hours * 3600.0).round() as i64)),
        None => Err(AppError::field(
            "to_warehouse_id",
            format!(
                "no active lane from warehouse {} to warehouse {}: create the lane or give estimated_arrival_at",
                t.from_warehouse_id, t.to_warehouse_id
            ),
        )),
    }
}

/// Ships a draft: one document moving every line to in-transit, and the
/// shipment that carries it. Whole or nothing.
pub async fn ship(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: ShipRequest,
    now: DateTime<Utc>,
) -> AppResult<Transfer> {
    let mut v = Validator::new();
    let cost = req.validate(&mut v);
    v.finish()?;
    let t = header(db, id).await?;
    // Claim first: a concurrent ship waits on the row, then finds it shipped.
    step(
        db,
        id,
        TransferStatus::Draft,
        TransferStatus::Shipped,
        "ship",
        T::ShippedAt,
        now,
    )
    .await?;
    active_warehouse(db, t.from_warehouse_id, "from_warehouse_id").await?;
    active_warehouse(db, t.to_warehouse_id, "to_warehouse_id").await?;
    let eta = estimated_arrival(db, &t, req.estimated_arrival_at, now).await?;
    let lines = line_rows(db, id).await?;
    let part_ids: Vec<i64> = lines.iter().map(|l| l.part_id).collect();
    active_parts(db, &part_ids).await?;
    let moves = lines
        .iter()
        .map(|l| {
            let condition = l.condition;
            Ok(NewMovement {
                part_id: l.part_id,
                quantity: l.quantity,
                from: Location::warehouse(t.from_warehouse_id),
                from_condition: condition,
                to: in_transit_location(id),
                to_condition: condition,
                movement_type: MovementType::TransferShip,
                from_reserved: false,
                reverses_movement_id: None,
                serials: serials::decode(&l.serials)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let doc = allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::TransferShipment,
            warehouse_id: Some(t.from_warehouse_id),
            reference: format!("transfer {id}"),
            reason: t.reference.clone(),
            counterparty: "transfer".to_owned(),
            counterparty_id: Some(id),
            reverses_document_id: None,
            actor_id,
        },
        moves,
        now,
    )
    .await?;
    let s = shipments::create(
        db,
        NewShipment {
            kind: ShipmentKind::Transfer,
            carrier: req,
            cost,
            origin: (LocationKind::Warehouse, Some(t.from_warehouse_id)),
            destination: (LocationKind::Warehouse, Some(t.to_warehouse_id)),
            dispatched_at: now,
            estimated_arrival_at: eta,
            actor_id,
        },
        now,
    )
    .await?;
    let stmt = Query::update()
        .table(transfer::Entity)
        .value(T::ShipmentId, s.id)
        .value(T::ShipDocumentId, doc.id)
        .and_where(Expr::col(T::Id).eq(id))
        .to_owned();
    db.execute(&stmt).await?;
    get(db, id).await
}

/// Records one receipt against a shipped transfer and posts its movements.
/// The transfer becomes `received` once every shipped unit is accounted for.
pub async fn receive(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: ReceiveRequest,
    now: DateTime<Utc>,
) -> AppResult<Transfer> {
    check_receipt(&req)?;
    let t = header(db, id).await?;
    // Take the row lock of a shipped transfer; anything else is refused.
    Transition::<transfer::Entity>::lock(id, &[TransferStatus::Shipped], "receive")
        .apply(db, now)
        .await?;
    let by_part: HashMap<i64, transfer_line::Model> = line_rows(db, id)
        .await?
        .into_iter()
        .map(|l| (l.part_id, l))
        .collect();
    check_outstanding(&req, &by_part)?;
    check_receipt_serials(db, &req).await?;
    check_held_in_transit(db, id, &req).await?;
    let plan = plan_receipt(id, t.to_warehouse_id, &req, &by_part);
    raise_counters(db, id, &req, &by_part).await?;
    allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::TransferReceipt,
            warehouse_id: Some(t.to_warehouse_id),
            reference: format!("transfer {id}"),
            reason: plan.reason(&req.note),
            counterparty: "transfer".to_owned(),
            counterparty_id: Some(id),
            reverses_document_id: None,
            actor_id,
        },
        plan.moves,
        now,
    )
    .await?;
    let complete = line_rows(db, id)
        .await?
        .iter()
        .all(|l| l.received_good + l.received_damaged + l.short == l.quantity);
    if complete {
        step(
            db,
            id,
            TransferStatus::Shipped,
            TransferStatus::Received,
            "receive",
            T::ReceivedAt,
            now,
        )
        .await?;
        if let Some(shipment) = t.shipment_id {
            shipment_arrived(db, &t, shipment, now).await?;
        }
    }
    get(db, id).await
}

/// The shipment of a fully received transfer is delivered: the goods
/// receipt is its proof, and the truck came with the first receipt.
async fn shipment_arrived(
    db: &impl ConnectionTrait,
    t: &transfer::Model,
    shipment: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let first_receipt = stock_document::Entity::find()
        .filter(stock_document::Column::DocType.eq(DocumentType::TransferReceipt))
        .filter(stock_document::Column::CounterpartyId.eq(t.id))
        .order_by_asc(stock_document::Column::CreatedAt)
        .one(db)
        .await?
        .map_or(now, |d| d.created_at);
    let warehouse = warehouse::Entity::find_by_id(t.to_warehouse_id)
        .one(db)
        .await?
        .map_or_else(|| t.to_warehouse_id.to_string(), |w| w.code);
    shipments::delivered_by_receipt(
        db,
        shipment,
        &format!("goods receipt at {warehouse}"),
        format!("transfer {} received", t.id),
        first_receipt,
        now,
    )
    .await
}

/// The receipt on its own, before anything is read: quantities in range,
/// every line accounting for something, each part once (the counters are
/// per part, so a part twice would be checked against stale counters).
fn check_receipt(req: &ReceiveRequest) -> AppResult<()> {
    let mut v = Validator::new();
    v.optional_text("note", &req.note, MAX_TEXT)
        .line_count(req.lines.len());
    let mut seen = HashMap::new();
    for (i, l) in req.lines.iter().enumerate() {
        for (name, q) in [
            ("good", l.good),
            ("damaged", l.damaged),
            ("short", l.short),
            ("excess", l.excess),
        ] {
            v.range_i64(
                &format!("lines[{i}].{name}"),
                q.into(),
                0,
                MAX_LINE_QUANTITY.into(),
            );
        }
        v.check(
            i64::from(l.good) + i64::from(l.damaged) + i64::from(l.short) + i64::from(l.excess) > 0,
            &format!("lines[{i}]"),
            "must account for at least one unit",
        );
        v.first_mention(&mut seen, i, l.part_id, "the part");
    }
    Ok(v.finish()?)
}

/// Every received part is on the transfer and the receipt accounts for no
/// more of it than is still outstanding (a surplus is `excess`, not good).
fn check_outstanding(
    req: &ReceiveRequest,
    by_part: &HashMap<i64, transfer_line::Model>,
) -> AppResult<()> {
    let mut v = Validator::new();
    for (i, l) in req.lines.iter().enumerate() {
        let Some(row) = by_part.get(&l.part_id) else {
            v.push(FieldError::new(
                format!("lines[{i}].part_id"),
                format!("part {} is not on this transfer", l.part_id),
            ));
            continue;
        };
        let outstanding = row.quantity - row.received_good - row.received_damaged - row.short;
        let accounted = l.good + l.damaged + l.short;
        v.check(
            accounted <= outstanding,
            &format!("lines[{i}]"),
            format!(
                "accounts for {accounted} units of part {} but only {outstanding} are outstanding; \
                 declare units beyond what was shipped as excess",
                l.part_id
            ),
        );
    }
    Ok(v.finish()?)
}

/// Serials name every unit of a serialized part, per outcome, and none of
/// a part that is not serialized.
async fn check_receipt_serials(db: &impl ConnectionTrait, req: &ReceiveRequest) -> AppResult<()> {
    let mut v = Validator::new();
    let part_ids: Vec<i64> = req.lines.iter().map(|l| l.part_id).collect();
    let parts = crate::store::lookups::parts_by_id(db, part_ids.iter().copied()).await?;
    for (i, l) in req.lines.iter().enumerate() {
        if let Some(part) = parts.get(&l.part_id) {
            for (name, quantity, units) in [
                ("good", l.good, &l.good_serials),
                ("damaged", l.damaged, &l.damaged_serials),
                ("short", l.short, &l.short_serials),
                ("excess", l.excess, &l.excess_serials),
            ] {
                if part.serialized || !units.is_empty() {
                    serials::check_line(
                        &mut v,
                        &format!("lines[{i}].{name}"),
                        part,
                        quantity,
                        units,
                    );
                }
            }
        }
    }
    Ok(v.finish()?)
}

/// In-transit is a virtual location without a guarded balance: check the
/// ledger still holds what the counters say is outstanding (a reversed
/// shipment document would otherwise drive it negative).
async fn check_held_in_transit(
    db: &impl ConnectionTrait,
    id: i64,
    req: &ReceiveRequest,
) -> AppResult<()> {
    let net: HashMap<i64, i64> = ledger_in_transit(db, Some(id))
        .await?
        .into_iter()
        .map(|r| (r.part_id, r.quantity))
        .collect();
    for l in &req.lines {
        let leaving = i64::from(l.good + l.damaged + l.short);
        let held = net.get(&l.part_id).copied().unwrap_or(0);
        if leaving > held {
            return Err(AppError::Conflict(format!(
                "the ledger holds {held} units of part {} in transit for transfer {id}, \
                 fewer than this receipt accounts for ({leaving}); was its shipment reversed?",
                l.part_id
            )));
        }
    }
    Ok(())
}

/// What a receipt posts: its movements and the discrepancies its reason
/// names.
struct ReceiptPlan {
    moves: Vec<NewMovement>,
    /// `part N short n` / `part N excess n`, in line order.
    losses: Vec<String>,
}

impl ReceiptPlan {
    /// The receipt document's reason: the discrepancies, then the note.
    fn reason(&self, note: &str) -> String {
        let mut reason = if self.losses.is_empty() {
            String::new()
        } else {
            format!(
                "discrepancy: {} (short units written off as lost in transit; excess booked as found)",
                self.losses.join(", ")
            )
        };
        if !note.is_empty() {
            if !reason.is_empty() {
                reason.push_str("; ");
            }
            reason.push_str(note);
        }
        reason
    }
}

/// Where each counted unit goes: good units from in-transit to the
/// destination's good stock, damaged ones to its quarantine, short ones to
/// `adjustment` (lost in transit), excess ones from `adjustment` into its
/// good stock.
fn plan_receipt(
    id: i64,
    to_warehouse_id: i64,
    req: &ReceiveRequest,
    by_part: &HashMap<i64, transfer_line::Model>,
) -> ReceiptPlan {
    let transit = in_transit_location(id);
    let here = Location::warehouse(to_warehouse_id);
    let adjustment = Location::virtual_(LocationKind::Adjustment, None);
    let mut plan = ReceiptPlan {
        moves: Vec::new(),
        losses: Vec::new(),
    };
    for l in &req.lines {
        let condition = by_part[&l.part_id].condition;
        let mut push =
            |quantity: i32, units: &Vec<String>, from, to, from_condition, to_condition| {
                if quantity > 0 {
                    plan.moves.push(NewMovement {
                        part_id: l.part_id,
                        quantity,
                        from,
                        from_condition,
                        to,
                        to_condition,
                        movement_type: MovementType::TransferReceive,
                        from_reserved: false,
                        reverses_movement_id: None,
                        serials: units.clone(),
                    });
                }
            };
        push(l.good, &l.good_serials, transit, here, condition, condition);
        push(
            l.damaged,
            &l.damaged_serials,
            transit,
            here,
            condition,
            Condition::Quarantined,
        );
        push(
            l.short,
            &l.short_serials,
            transit,
            adjustment,
            condition,
            condition,
        );
        push(
            l.excess,
            &l.excess_serials,
            adjustment,
            here,
            condition,
            condition,
        );
        if l.short > 0 {
            plan.losses
                .push(format!("part {} short {}", l.part_id, l.short));
        }
        if l.excess > 0 {
            plan.losses
                .push(format!("part {} excess {}", l.part_id, l.excess));
        }
    }
    plan
}

/// Raises each line's counters, only if they still fit the shipped
/// quantity: a concurrent receipt that got there first makes this one a
/// conflict instead of accounting for a unit twice.
async fn raise_counters(
    db: &impl ConnectionTrait,
    id: i64,
    req: &ReceiveRequest,
    by_part: &HashMap<i64, transfer_line::Model>,
) -> AppResult<()> {
    for l in &req.lines {
        let row = &by_part[&l.part_id];
        let stmt = Query::update()
            .table(transfer_line::Entity)
            .value(L::ReceivedGood, Expr::col(L::ReceivedGood).add(l.good))
            .value(
                L::ReceivedDamaged,
                Expr::col(L::ReceivedDamaged).add(l.damaged),
            )
            .value(L::Short, Expr::col(L::Short).add(l.short))
            .value(L::Excess, Expr::col(L::Excess).add(l.excess))
            .and_where(Expr::col(L::Id).eq(row.id))
            .and_where(
                Expr::col(L::ReceivedGood)
                    .add(Expr::col(L::ReceivedDamaged))
                    .add(Expr::col(L::Short))
                    .add(l.good + l.damaged + l.short)
                    .lte(Expr::col(L::Quantity)),
            )
            .to_owned();
        if db.execute(&stmt).await?.rows_affected() != 1 {
            return Err(AppError::Conflict(format!(
                "part {} of transfer {id} was received concurrently; reload and retry",
                l.part_id
            )));
        }
    }
    Ok(())
}

/// Closes a fully received transfer.
pub async fn close(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> AppResult<Transfer> {
    header(db, id).await?;
    step(
        db,
        id,
        TransferStatus::Received,
        TransferStatus::Closed,
        "close",
        T::ClosedAt,
        now,
    )
    .await?;
    get(db, id).await
}

/// Cancels a draft; nothing was posted, nothing is.
pub async fn cancel(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> AppResult<Transfer> {
    header(db, id).await?;
    step(
        db,
        id,
        TransferStatus::Draft,
        TransferStatus::Cancelled,
        "cancel",
        T::CancelledAt,
        now,
    )
    .await?;
    get(db, id).await
}

/// Filters of `GET /api/v1/transfers`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TransferFilter {
    pub from_warehouse_id: Option<i64>,
    pub to_warehouse_id: Option<i64>,
    pub status: Option<TransferStatus>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: TransferFilter,
) -> AppResult<Page<TransferSummary>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = transfer::Entity::find()
        .apply_if(f.from_warehouse_id, |q, w| {
            q.filter(T::FromWarehouseId.eq(w))
        })
        .apply_if(f.to_warehouse_id, |q, w| q.filter(T::ToWarehouseId.eq(w)))
        .apply_if(f.status, |q, s| q.filter(T::Status.eq(s)));
    page.fetch(db, q, T::Id, |t| t.id)
        .await?
        .try_map(TransferSummary::from_row)
}

/// Filters of `GET /api/v1/in-transit`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InTransitFilter {
    pub from_warehouse_id: Option<i64>,
    pub to_warehouse_id: Option<i64>,
}

/// Units of one part in transit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartInTransit {
    pub part_id: i64,
    pub quantity: i64,
}

/// What one transfer has in transit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferInTransit {
    pub transfer_id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub status: TransferStatus,
    pub shipment_id: Option<i64>,
    pub estimated_arrival_at: Option<DateTime<Utc>>,
    pub parts: Vec<PartInTransit>,
    pub total: i64,
}

/// What one lane (ordered warehouse pair) has in transit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LaneInTransit {
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub transfers: u64,
    pub parts: Vec<PartInTransit>,
    pub total: i64,
}

/// The answer of `GET /api/v1/in-transit`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InTransitReport {
    pub lanes: Vec<LaneInTransit>,
    pub transfers: Vec<TransferInTransit>,
}

/// Stock in transit per lane and per transfer, from the ledger (net
/// movements into `in_transit:{transfer id}`), not from the line counters.
pub async fn in_transit(
    db: &impl ConnectionTrait,
    f: InTransitFilter,
) -> AppResult<InTransitReport> {
    let rows = ledger_in_transit(db, None).await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.transfer_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut transfers: HashMap<i64, transfer::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for t in transfer::Entity::find()
            .filter(T::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            transfers.insert(t.id, t);
        }
    }
    let shipment_ids: Vec<i64> = transfers.values().filter_map(|t| t.shipment_id).collect();
    let mut etas: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for chunk in shipment_ids.chunks(500) {
        for s in shipment::Entity::find()
            .filter(shipment::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            etas.insert(s.id, s.estimated_arrival_at);
        }
    }
    let mut per_transfer: BTreeMap<i64, TransferInTransit> = BTreeMap::new();
    for r in rows {
        let Some(t) = transfers.get(&r.transfer_id) else {
            continue;
        };
        if f.from_warehouse_id
            .is_some_and(|w| w != t.from_warehouse_id)
            || f.to_warehouse_id.is_some_and(|w| w != t.to_warehouse_id)
        {
            continue;
        }
        let entry = match per_transfer.get_mut(&t.id) {
            Some(e) => e,
            None => {
                let e = TransferInTransit {
                    transfer_id: t.id,
                    from_warehouse_id: t.from_warehouse_id,
                    to_warehouse_id: t.to_warehouse_id,
                    status: t.status,
                    shipment_id: t.shipment_id,
                    estimated_arrival_at: t.shipment_id.and_then(|s| etas.get(&s).copied()),
                    parts: Vec::new(),
                    total: 0,
                };
                per_transfer.entry(t.id).or_insert(e)
            }
        };
        entry.parts.push(PartInTransit {
            part_id: r.part_id,
            quantity: r.quantity,
        });
        entry.total += r.quantity;
    }
    let mut per_lane: BTreeMap<(i64, i64), (u64, BTreeMap<i64, i64>)> = BTreeMap::new();
    for t in per_transfer.values() {
        let lane = per_lane
            .entry((t.from_warehouse_id, t.to_warehouse_id))
            .or_default();
        lane.0 += 1;
        for p in &t.parts {
            *lane.1.entry(p.part_id).or_default() += p.quantity;
        }
    }
    Ok(InTransitReport {
        lanes: per_lane
            .into_iter()
            .map(|((from, to), (n, parts))| LaneInTransit {
                from_warehouse_id: from,
                to_warehouse_id: to,
                transfers: n,
                total: parts.values().sum(),
                parts: parts
                    .into_iter()
                    .map(|(part_id, quantity)| PartInTransit { part_id, quantity })
                    .collect(),
            })
            .collect(),
        transfers: per_transfer.into_values().collect(),
    })
}
