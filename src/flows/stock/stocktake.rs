//! Stocktakes (process 4.2.3): count a warehouse while stock keeps moving,
//! review the variances, and post one adjustment document on approval.
//!
//! # The baseline of a variance
//! Opening a count snapshots on-hand per (part, condition). Stock may keep
//! moving while people count, so recording a count also records the
//! balance's on-hand *at that moment* (`system_qty_at_count`), and the
//! variance is `counted - system_qty_at_count`: a receipt or issue posted
//! between opening and counting moves both sides and never shows up as a
//! variance. The snapshot stays for the review (`moved_since_snapshot`).
//!
//! Approval posts each non-zero variance as a *delta* to the current
//! balance (what the count proved wrong at counting time is still wrong
//! now); a shortfall goes through the guarded decrease, so if the units
//! have since left the whole approval is refused with `insufficient_stock`.
//!
//! # Concurrency
//! Every change of an open count starts with a conditional
//! `UPDATE stocktakes ... WHERE status = 'open'` and checks the rows
//! affected: approving and cancelling change the status that way, and
//! recording counts "touches" the row the same way. On PostgreSQL the row
//! lock this takes serialises counting, approving and cancelling of one
//! count, and a second approval re-reads the status after the first commits
//! and finds it approved: a count is approved, and adjusted, at most once.
//! On SQLite write transactions are `BEGIN IMMEDIATE`, serialised anyway.
//! Opening locks the warehouse row (`FOR NO KEY UPDATE`, which does not
//! block the foreign-key checks of postings) so two overlapping opens of one
//! warehouse cannot both pass the overlap check.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::stocktake::{self, Column as S};
use entities::stocktake_line::{self, Column as L};
use entities::vocabulary::{Condition, DocumentType, LocationKind, MovementType, StocktakeStatus};
use entities::{part, stock_balance, warehouse};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::validate::{MAX_LINE_QUANTITY, MAX_LINES, MAX_TEXT};
use crate::core::{Money, Validator};
use crate::flows::allocation;
use crate::store::error::{AppError, AppResult, FieldError};
use crate::store::ledger::{Location, NewDocument, NewMovement};
use crate::store::lookups::{active_warehouse, parts_by_id};
use crate::store::paging::{Page, PageParams};
use crate::store::serials;
use crate::store::transition::{StateMachine, Transition};

/// Rows per multi-row insert, well inside both backends' bind-parameter limits.
const INSERT_CHUNK: usize = 500;
/// Decimal places of an accuracy share.
const ACCURACY_DP: u32 = 4;

fn good() -> Condition {
    Condition::Good
}

/// Body of `POST /api/v1/stocktakes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    pub warehouse_id: i64,
    /// Count only these parts. Absent: every part with a balance row in the
    /// warehouse. A listed part without stock gets a `good` line with
    /// snapshot 0.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 500)]
    pub part_ids: Option<Vec<i64>>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// One counted (part, condition).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountLine {
    pub part_id: i64,
    /// `good` unless said.
    #[serde(default = "good")]
    pub condition: Condition,
    /// Whole units found, 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1000000)]
    pub counted_qty: i32,
    /// For a serialized part: the serial of every unit found.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/stocktakes/{id}/counts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRequest {
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<CountLine>,
}

/// Variance value of a set of lines in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VarianceValue {
    pub currency: String,
    /// Sum of variance values: gains minus losses.
    #[schema(value_type = String)]
    pub net_variance_value: Decimal,
    /// Sum of the absolute variance values: what the count got wrong,
    /// whichever way.
    #[schema(value_type = String)]
    pub absolute_variance_value: Decimal,
}

/// Accuracy figures of a set of lines.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct VarianceTotals {
    pub lines: u64,
    pub lines_counted: u64,
    /// Counted lines whose count equals the system quantity at counting.
    pub lines_without_variance: u64,
    /// `lines_without_variance / lines_counted`, to four decimals; absent
    /// when nothing is counted.
    #[schema(value_type = Option<String>)]
    pub accuracy: Option<Decimal>,
    /// Units found above the system quantity.
    pub units_over: i64,
    /// Units missing against the system quantity.
    pub units_short: i64,
    /// Variance values at each part's current unit cost, per currency.
    pub values: Vec<VarianceValue>,
}

/// One (part, condition) of a count, with its variance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StocktakeLine {
    pub id: i64,
    pub part_id: i64,
    pub part_number: String,
    pub condition: Condition,
    /// On-hand when the count was opened (0 for a part listed without
    /// stock and for a condition found during counting).
    pub snapshot_qty: i32,
    /// On-hand when the count was recorded: the variance baseline.
    pub system_qty_at_count: Option<i32>,
    pub counted_qty: Option<i32>,
    /// Net movements between opening and counting; not a variance.
    pub moved_since_snapshot: Option<i32>,
    /// `counted_qty - system_qty_at_count`.
    pub variance_qty: Option<i32>,
    #[schema(value_type = String)]
    pub unit_cost: Decimal,
    pub currency: String,
    /// `variance_qty * unit_cost`.
    #[schema(value_type = Option<String>)]
    pub variance_value: Option<Decimal>,
    pub counted_by: Option<i64>,
    pub counted_at: Option<DateTime<Utc>>,
}

/// A stocktake with its lines: the stocktake result report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stocktake {
    pub id: i64,
    pub warehouse_id: i64,
    pub status: StocktakeStatus,
    pub note: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub approved_by: Option<i64>,
    pub approved_at: Option<DateTime<Utc>>,
    /// The `stocktake_adjustment` document approval posted; absent when
    /// not approved or when no line had a variance.
    pub adjustment_document_id: Option<i64>,
    pub lines: Vec<StocktakeLine>,
    pub totals: VarianceTotals,
}

/// A stocktake without its lines, as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StocktakeSummary {
    pub id: i64,
    pub warehouse_id: i64,
    pub status: StocktakeStatus,
    pub note: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub approved_by: Option<i64>,
    pub approved_at: Option<DateTime<Utc>>,
    pub adjustment_document_id: Option<i64>,
}

impl StocktakeSummary {
    fn from_row(s: stocktake::Model) -> StocktakeSummary {
        StocktakeSummary {
            status: s.status,
            id: s.id,
            warehouse_id: s.warehouse_id,
            note: s.note,
            created_by: s.created_by,
            created_at: s.created_at,
            approved_by: s.approved_by,
            approved_at: s.approved_at,
            adjustment_document_id: s.adjustment_document_id,
        }
    }
}

/// Adds up lines into [`VarianceTotals`].
#[derive(Debug, Default)]
struct Tally {
    totals: VarianceTotals,
    /// currency -> (net, absolute)
    values: BTreeMap<String, (Decimal, Decimal)>,
}

impl Tally {
    fn add(&mut self, line: &StocktakeLine) {
        self.totals.lines += 1;
        let Some(variance) = line.variance_qty else {
            return;
        };
        self.totals.lines_counted += 1;
        match variance {
            0 => self.totals.lines_without_variance += 1,
            v if v > 0 => self.totals.units_over += i64::from(v),
            v => self.totals.units_short += -i64::from(v),
        }
        let value = line.variance_value.unwrap_or_default();
        let entry = self.values.entry(line.currency.clone()).or_default();
        entry.0 += value;
        entry.1 += value.abs();
    }

    fn finish(mut self) -> VarianceTotals {
        let t = &mut self.totals;
        t.accuracy = (t.lines_counted > 0).then(|| {
            (Decimal::from(t.lines_without_variance) / Decimal::from(t.lines_counted))
                .round_dp(ACCURACY_DP)
        });
        t.values = self
            .values
            .into_iter()
            .map(|(currency, (net, abs))| VarianceValue {
                currency,
                net_variance_value: net.normalize(),
                absolute_variance_value: abs.normalize(),
            })
            .collect();
        self.totals
    }
}

/// Lines with their variance and value, in line order.
fn review_lines(
    rows: Vec<stocktake_line::Model>,
    parts: &HashMap<i64, part::Model>,
) -> AppResult<Vec<StocktakeLine>> {
    rows.into_iter()
        .map(|l| {
            let part = parts.get(&l.part_id);
            let unit_cost = match part {
                Some(p) => Money::from_db(&p.unit_cost)?.amount(),
                None => Decimal::ZERO,
            };
            let variance_qty = match (l.counted_qty, l.system_qty_at_count) {
                (Some(c), Some(s)) => Some(c - s),
                _ => None,
            };
            Ok(StocktakeLine {
                part_number: part.map(|p| p.part_number.clone()).unwrap_or_default(),
                currency: part.map(|p| p.currency.clone()).unwrap_or_default(),
                condition: l.condition,
                moved_since_snapshot: l.system_qty_at_count.map(|s| s - l.snapshot_qty),
                variance_value: variance_qty.map(|v| (unit_cost * Decimal::from(v)).normalize()),
                variance_qty,
                unit_cost,
                id: l.id,
                part_id: l.part_id,
                snapshot_qty: l.snapshot_qty,
                system_qty_at_count: l.system_qty_at_count,
                counted_qty: l.counted_qty,
                counted_by: l.counted_by,
                counted_at: l.counted_at,
            })
        })
        .collect()
}

async fn line_rows(db: &impl ConnectionTrait, id: i64) -> AppResult<Vec<stocktake_line::Model>> {
    Ok(stocktake_line::Entity::find()
        .filter(L::StocktakeId.eq(id))
        .order_by_asc(L::Id)
        .all(db)
        .await?)
}

async fn header(db: &impl ConnectionTrait, id: i64) -> AppResult<stocktake::Model> {
    stocktake::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("stocktake"))
}

/// The review of a count: every line with its variance, and the totals.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Stocktake> {
    let s = header(db, id).await?;
    let rows = line_rows(db, id).await?;
    let parts = parts_by_id(db, rows.iter().map(|l| l.part_id)).await?;
    let lines = review_lines(rows, &parts)?;
    let mut tally = Tally::default();
    for l in &lines {
        tally.add(l);
    }
    let summary = StocktakeSummary::from_row(s);
    Ok(Stocktake {
        id: summary.id,
        warehouse_id: summary.warehouse_id,
        status: summary.status,
        note: summary.note,
        created_by: summary.created_by,
        created_at: summary.created_at,
        approved_by: summary.approved_by,
        approved_at: summary.approved_at,
        adjustment_document_id: summary.adjustment_document_id,
        lines,
        totals: tally.finish(),
    })
}

/// The actions allowed on a count in `status`, as named in the API.
fn allowed(status: StocktakeStatus) -> Vec<&'static str> {
    match status {
        StocktakeStatus::Open => vec!["count", "approve", "cancel"],
        StocktakeStatus::Approved | StocktakeStatus::Cancelled => vec![],
    }
}

impl StateMachine for stocktake::Entity {
    const WHAT: &'static str = "stocktake";
    type Status = StocktakeStatus;
    const ID: S = S::Id;
    const STATUS: S = S::Status;
    const UPDATED_AT: Option<S> = None;

    fn state(s: &stocktake::Model) -> (String, Vec<&'static str>) {
        (s.status.to_string(), allowed(s.status))
    }
}

/// `action` on an open count, moving it to `to`.
fn from_open(id: i64, to: StocktakeStatus, action: &'static str) -> Transition<stocktake::Entity> {
    Transition::new(id, &[StocktakeStatus::Open], to, action)
}

/// Opens a count and snapshots the system quantities of its lines.
pub async fn open(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: OpenRequest,
    now: DateTime<Utc>,
) -> AppResult<Stocktake> {
    let mut v = Validator::new();
    v.optional_text("note", &req.note, MAX_TEXT);
    if let Some(ids) = &req.part_ids {
        v.check(!ids.is_empty(), "part_ids", "must list at least one part")
            .check(
                ids.len() <= MAX_LINES,
                "part_ids",
                format!("must list at most {MAX_LINES} parts"),
            );
        let mut seen = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            if let Some(first) = seen.insert(*id, i) {
                v.push(FieldError::new(
                    format!("part_ids[{i}]"),
                    format!("repeats part_ids[{first}]"),
                ));
            }
        }
    }
    v.finish()?;
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    // Serialise opens of this warehouse (see the module doc).
    warehouse::Entity::find_by_id(req.warehouse_id)
        .lock(LockType::NoKeyUpdate)
        .one(db)
        .await?;

    let mut balances = stock_balance::Entity::find()
        .filter(stock_balance::Column::WarehouseId.eq(req.warehouse_id))
        .order_by_asc(stock_balance::Column::PartId)
        .order_by_asc(stock_balance::Column::Condition);
    if let Some(ids) = &req.part_ids {
        check_parts(db, ids).await?;
        balances = balances.filter(stock_balance::Column::PartId.is_in(ids.iter().copied()));
    }
    let balances = balances.all(db).await?;
    // (part, condition, snapshot)
    let mut lines: Vec<(i64, Condition, i32)> = balances
        .iter()
        .map(|b| (b.part_id, b.condition, b.on_hand))
        .collect();
    if let Some(ids) = &req.part_ids {
        let stocked: HashSet<i64> = balances.iter().map(|b| b.part_id).collect();
        lines.extend(
            ids.iter()
                .filter(|id| !stocked.contains(id))
                .map(|id| (*id, Condition::Good, 0)),
        );
    }
    if lines.is_empty() {
        return Err(AppError::field(
            "warehouse_id",
            "the warehouse holds no stock to count; list part_ids to count parts it has no record of",
        ));
    }
    refuse_overlap(db, req.warehouse_id, &lines).await?;

    let header = stocktake::ActiveModel {
        warehouse_id: Set(req.warehouse_id),
        status: Set(StocktakeStatus::Open),
        note: Set(req.note),
        created_by: Set(actor_id),
        created_at: Set(now),
        approved_by: Set(None),
        approved_at: Set(None),
        adjustment_document_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for chunk in lines.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(
            |(part_id, condition, snapshot)| stocktake_line::ActiveModel {
                stocktake_id: Set(header.id),
                part_id: Set(*part_id),
                condition: Set(*condition),
                snapshot_qty: Set(*snapshot),
                counted_qty: Set(None),
                system_qty_at_count: Set(None),
                counted_by: Set(None),
                counted_at: Set(None),
                ..Default::default()
            },
        );
        stocktake_line::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    get(db, header.id).await
}

/// Refuses unknown or deactivated parts of a subset, naming `part_ids[i]`.
async fn check_parts(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<()> {
    let parts = parts_by_id(db, ids.iter().copied()).await?;
    let mut v = Validator::new();
    for (i, id) in ids.iter().enumerate() {
        match parts.get(id) {
            Some(p) if p.active => {}
            Some(_) => {
                v.push(FieldError::new(
                    format!("part_ids[{i}]"),
                    format!("part {id} is deactivated"),
                ));
            }
            None => {
                v.push(FieldError::new(
                    format!("part_ids[{i}]"),
                    format!("part {id} does not exist"),
                ));
            }
        }
    }
    Ok(v.finish()?)
}

/// 409 when another open count of the warehouse counts one of these parts:
/// two counts of one part at once would adjust the same difference twice.
async fn refuse_overlap(
    db: &impl ConnectionTrait,
    warehouse_id: i64,
    lines: &[(i64, Condition, i32)],
) -> AppResult<()> {
    let open_ids: Vec<i64> = stocktake::Entity::find()
        .filter(S::WarehouseId.eq(warehouse_id))
        .filter(S::Status.eq(StocktakeStatus::Open))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    if open_ids.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<i64> = lines.iter().map(|l| l.0).collect();
    let clash = stocktake_line::Entity::find()
        .filter(L::StocktakeId.is_in(open_ids))
        .order_by_asc(L::Id)
        .all(db)
        .await?
        .into_iter()
        .find(|l| wanted.contains(&l.part_id));
    match clash {
        None => Ok(()),
        Some(l) => Err(AppError::Conflict(format!(
            "stocktake {} of this warehouse is open and counts part {}; approve or cancel it first",
            l.stocktake_id, l.part_id
        ))),
    }
}

/// Records counted quantities. Each count also records the on-hand at that
/// moment, the baseline its variance is measured against; counting a line
/// again overwrites it. A part already in the count found in a condition it
/// has no line for gets a new line (snapshot 0); a part not in the count is
/// refused.
pub async fn count(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: CountRequest,
    now: DateTime<Utc>,
) -> AppResult<Stocktake> {
    let mut v = Validator::new();
    let n = req.lines.len();
    v.line_count(n);
    let mut seen = HashMap::new();
    for (i, l) in req.lines.iter().enumerate() {
        v.range_i64(
            &format!("lines[{i}].counted_qty"),
            l.counted_qty.into(),
            0,
            MAX_LINE_QUANTITY.into(),
        );
        v.first_mention(
            &mut seen,
            i,
            (l.part_id, l.condition),
            "the part and condition",
        );
    }
    v.finish()?;
    let s = header(db, id).await?;
    // Take the row lock: counts of one stocktake queue behind each other
    // and behind its approval.
    Transition::<stocktake::Entity>::lock(id, &[StocktakeStatus::Open], "count")
        .apply(db, now)
        .await?;

    let existing: HashMap<(i64, Condition), stocktake_line::Model> = line_rows(db, id)
        .await?
        .into_iter()
        .map(|l| ((l.part_id, l.condition), l))
        .collect();
    let in_count: HashSet<i64> = existing.keys().map(|k| k.0).collect();
    let counted_parts = parts_by_id(db, req.lines.iter().map(|l| l.part_id)).await?;
    for (i, l) in req.lines.iter().enumerate() {
        if let Some(part) = counted_parts.get(&l.part_id) {
            serials::check_line(
                &mut v,
                &format!("lines[{i}]"),
                part,
                l.counted_qty,
                &l.serials,
            );
        }
    }
    for (i, l) in req.lines.iter().enumerate() {
        v.check(
            in_count.contains(&l.part_id),
            &format!("lines[{i}].part_id"),
            format!(
                "part {} is not in this count; open a count of it instead",
                l.part_id
            ),
        );
    }
    v.finish()?;

    let on_hand: HashMap<(i64, Condition), i32> = stock_balance::Entity::find()
        .filter(stock_balance::Column::WarehouseId.eq(s.warehouse_id))
        .filter(stock_balance::Column::PartId.is_in(req.lines.iter().map(|l| l.part_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|b| ((b.part_id, b.condition), b.on_hand))
        .collect();
    for l in &req.lines {
        let system = on_hand.get(&(l.part_id, l.condition)).copied().unwrap_or(0);
        match existing.get(&(l.part_id, l.condition)) {
            Some(row) => {
                stocktake_line::ActiveModel {
                    id: Set(row.id),
                    counted_qty: Set(Some(l.counted_qty)),
                    system_qty_at_count: Set(Some(system)),
                    counted_by: Set(Some(actor_id)),
                    counted_at: Set(Some(now)),
                    counted_serials: Set(serials::encode(&l.serials)),
                    ..Default::default()
                }
                .update(db)
                .await?;
            }
            None => {
                stocktake_line::ActiveModel {
                    stocktake_id: Set(id),
                    part_id: Set(l.part_id),
                    condition: Set(l.condition),
                    snapshot_qty: Set(0),
                    counted_qty: Set(Some(l.counted_qty)),
                    system_qty_at_count: Set(Some(system)),
                    counted_by: Set(Some(actor_id)),
                    counted_at: Set(Some(now)),
                    counted_serials: Set(serials::encode(&l.serials)),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    get(db, id).await
}

/// Approves a fully counted count: one `stocktake_adjustment` document
/// with a movement per non-zero variance, posted whole or not at all.
pub async fn approve(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Stocktake> {
    let s = header(db, id).await?;
    // Claim the transition first: a concurrent approval waits on the row
    // and then finds it approved. A refusal below rolls the claim back.
    from_open(id, StocktakeStatus::Approved, "approve")
        .set(S::ApprovedBy, actor_id)
        .set(S::ApprovedAt, now)
        .apply(db, now)
        .await?;
    let rows = line_rows(db, id).await?;
    let parts = parts_by_id(db, rows.iter().map(|l| l.part_id)).await?;
    let counted_serials: HashMap<i64, Vec<String>> = rows
        .iter()
        .map(|l| Ok((l.id, serials::decode(&l.counted_serials)?)))
        .collect::<AppResult<_>>()?;
    let lines = review_lines(rows, &parts)?;
    let mut v = Validator::new();
    for (i, l) in lines.iter().enumerate() {
        v.check(
            l.counted_qty.is_some(),
            &format!("lines[{i}].counted_qty"),
            format!(
                "part {} ({}) is not counted yet",
                l.part_number, l.condition
            ),
        );
    }
    v.finish()?;
    let here = Location::warehouse(s.warehouse_id);
    let serialized = |l: &&StocktakeLine| parts.get(&l.part_id).is_some_and(|p| p.serialized);
    let mut moves = Vec::new();
    for l in lines.iter().filter(serialized) {
        let found = counted_serials.get(&l.id).cloned().unwrap_or_default();
        moves.extend(serial_adjustments(db, here, l, found).await?);
    }
    moves.extend(
        lines
            .iter()
            .filter(|l| !serialized(l))
            .filter_map(|l| quantity_adjustment(here, l)),
    );
    if !moves.is_empty() {
        let doc = allocation::post(
            db,
            NewDocument {
                doc_type: DocumentType::StocktakeAdjustment,
                warehouse_id: Some(s.warehouse_id),
                reference: format!("stocktake {id}"),
                reason: s.note.clone(),
                counterparty: "stocktake".to_owned(),
                counterparty_id: Some(id),
                reverses_document_id: None,
                actor_id,
            },
            moves,
            now,
        )
        .await?;
        let stmt = Query::update()
            .table(stocktake::Entity)
            .value(S::AdjustmentDocumentId, doc.id)
            .and_where(Expr::col(S::Id).eq(id))
            .to_owned();
        db.execute(&stmt).await?;
    }
    get(db, id).await
}

/// One adjustment movement of `quantity` units of line `l` between the
/// warehouse and `adjustment`, in the line's condition.
fn adjustment_move(
    l: &StocktakeLine,
    quantity: i32,
    from: Location,
    to: Location,
    units: Vec<String>,
) -> NewMovement {
    NewMovement {
        part_id: l.part_id,
        quantity,
        from,
        from_condition: l.condition,
        to,
        to_condition: l.condition,
        movement_type: MovementType::StocktakeAdjustment,
        from_reserved: false,
        reverses_movement_id: None,
        serials: units,
    }
}

/// A serialized part is adjusted by its units: those recorded at `here`
/// but not `found` go out, those found but not recorded here come in.
async fn serial_adjustments(
    db: &impl ConnectionTrait,
    here: Location,
    l: &StocktakeLine,
    found: Vec<String>,
) -> AppResult<Vec<NewMovement>> {
    let adjustment = Location::virtual_(LocationKind::Adjustment, None);
    let found: BTreeSet<String> = found.into_iter().collect();
    let recorded: BTreeSet<String> = serials::at(db, l.part_id, here, l.condition)
        .await?
        .into_iter()
        .collect();
    let missing: Vec<String> = recorded.difference(&found).cloned().collect();
    let extra: Vec<String> = found.difference(&recorded).cloned().collect();
    Ok([(missing, here, adjustment), (extra, adjustment, here)]
        .into_iter()
        .filter(|(units, _, _)| !units.is_empty())
        .map(|(units, from, to)| adjustment_move(l, units.len() as i32, from, to, units))
        .collect())
}

/// A part without serials is adjusted by its variance: a surplus comes in
/// from `adjustment`, a shortfall goes out to it; none without variance.
fn quantity_adjustment(here: Location, l: &StocktakeLine) -> Option<NewMovement> {
    let adjustment = Location::virtual_(LocationKind::Adjustment, None);
    let variance = l.variance_qty?;
    let (from, to) = match variance {
        0 => return None,
        v if v > 0 => (adjustment, here),
        _ => (here, adjustment),
    };
    Some(adjustment_move(l, variance.abs(), from, to, Vec::new()))
}

/// Abandons an open count; nothing is posted.
pub async fn cancel(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Stocktake> {
    header(db, id).await?;
    from_open(id, StocktakeStatus::Cancelled, "cancel")
        .apply(db, now)
        .await?;
    get(db, id).await
}

/// Filters of `GET /api/v1/stocktakes`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StocktakeFilter {
    pub warehouse_id: Option<i64>,
    pub status: Option<StocktakeStatus>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: StocktakeFilter,
) -> AppResult<Page<StocktakeSummary>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = stocktake::Entity::find()
        .apply_if(f.warehouse_id, |q, w| q.filter(S::WarehouseId.eq(w)))
        .apply_if(f.status, |q, s| q.filter(S::Status.eq(s)));
    Ok(page
        .fetch(db, q, S::Id, |s| s.id)
        .await?
        .map(StocktakeSummary::from_row))
}

/// Filters of `GET /api/v1/stocktakes/accuracy`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccuracyFilter {
    /// One warehouse (default: every warehouse with an approved count in
    /// the window).
    pub warehouse_id: Option<i64>,
    /// Counts approved at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub from: Option<DateTime<Utc>>,
    /// Counts approved before this instant (RFC 3339).
    #[serde(default, deserialize_with = "crate::core::input::optional_timestamp")]
    pub to: Option<DateTime<Utc>>,
}

/// Inventory accuracy of one warehouse over its approved counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarehouseAccuracy {
    pub warehouse_id: i64,
    pub warehouse_code: String,
    /// Approved counts in the window.
    pub counts: u64,
    /// Over every line of those counts.
    pub totals: VarianceTotals,
}

/// The answer of `GET /api/v1/stocktakes/accuracy`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccuracyReport {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub warehouses: Vec<WarehouseAccuracy>,
}

/// Inventory accuracy (KPI of 4.2.3) per warehouse: over the lines of the
/// counts approved in `[from, to)`, the share of lines whose count matched
/// the system quantity at counting, the units over and short, and the
/// absolute variance value at current unit cost. Cancelled and open counts
/// do not count.
pub async fn accuracy(db: &impl ConnectionTrait, f: AccuracyFilter) -> AppResult<AccuracyReport> {
    if let (Some(from), Some(to)) = (f.from, f.to) {
        let mut v = Validator::new();
        v.check(to > from, "to", "must be later than from");
        v.finish()?;
    }
    if let Some(w) = f.warehouse_id
        && warehouse::Entity::find_by_id(w).one(db).await?.is_none()
    {
        return Err(AppError::field(
            "warehouse_id",
            format!("warehouse {w} does not exist"),
        ));
    }
    let mut q = stocktake::Entity::find()
        .filter(S::Status.eq(StocktakeStatus::Approved))
        .order_by_asc(S::Id);
    q = q.apply_if(f.warehouse_id, |q, w| q.filter(S::WarehouseId.eq(w)));
    q = q.apply_if(f.from, |q, from| q.filter(S::ApprovedAt.gte(from)));
    q = q.apply_if(f.to, |q, to| q.filter(S::ApprovedAt.lt(to)));
    let counts = q.all(db).await?;
    let warehouse_of: HashMap<i64, i64> = counts.iter().map(|s| (s.id, s.warehouse_id)).collect();
    let ids: Vec<i64> = counts.iter().map(|s| s.id).collect();
    let mut rows = Vec::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        rows.extend(
            stocktake_line::Entity::find()
                .filter(L::StocktakeId.is_in(chunk.iter().copied()))
                .order_by_asc(L::Id)
                .all(db)
                .await?,
        );
    }
    let line_warehouses: Vec<i64> = rows
        .iter()
        .map(|l| {
            warehouse_of
                .get(&l.stocktake_id)
                .copied()
                .unwrap_or_default()
        })
        .collect();
    let parts = parts_by_id(db, rows.iter().map(|l| l.part_id)).await?;
    let lines = review_lines(rows, &parts)?;

    let mut per: BTreeMap<i64, (u64, Tally)> = BTreeMap::new();
    if let Some(w) = f.warehouse_id {
        per.entry(w).or_default();
    }
    for s in &counts {
        per.entry(s.warehouse_id).or_default().0 += 1;
    }
    for (line, w) in lines.iter().zip(line_warehouses) {
        per.entry(w).or_default().1.add(line);
    }
    let codes: HashMap<i64, String> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(per.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect();
    Ok(AccuracyReport {
        from: f.from,
        to: f.to,
        warehouses: per
            .into_iter()
            .map(|(w, (n, tally))| WarehouseAccuracy {
                warehouse_id: w,
                warehouse_code: codes.get(&w).cloned().unwrap_or_default(),
                counts: n,
                totals: tally.finish(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(variance: Option<i32>, cost: i64, currency: &str) -> StocktakeLine {
        StocktakeLine {
            id: 1,
            part_id: 1,
            part_number: "P".into(),
            condition: Condition::Good,
            snapshot_qty: 0,
            system_qty_at_count: variance.map(|_| 0),
            counted_qty: variance,
            moved_since_snapshot: None,
            variance_qty: variance,
            unit_cost: Decimal::from(cost),
            currency: currency.into(),
            variance_value: variance.map(|v| Decimal::from(v * cost as i32)),
            counted_by: None,
            counted_at: None,
        }
    }

    #[test]
    fn totals_count_only_counted_lines_and_keep_currencies_apart() {
        let mut tally = Tally::default();
        for l in [
            line(Some(0), 5, "EUR"),
            line(Some(2), 5, "EUR"),
            line(Some(-1), 7, "USD"),
            line(None, 9, "EUR"),
        ] {
            tally.add(&l);
        }
        let t = tally.finish();
        assert_eq!(
            (t.lines, t.lines_counted, t.lines_without_variance),
            (4, 3, 1)
        );
        assert_eq!(t.accuracy, Some(Decimal::new(3333, 4)));
        assert_eq!((t.units_over, t.units_short), (2, 1));
        let values: Vec<_> = t
            .values
            .iter()
            .map(|v| {
                (
                    v.currency.as_str(),
                    v.net_variance_value,
                    v.absolute_variance_value,
                )
            })
            .collect();
        assert_eq!(
            values,
            [
                ("EUR", Decimal::from(10), Decimal::from(10)),
                ("USD", Decimal::from(-7), Decimal::from(7))
            ]
        );
        assert_eq!(Tally::default().finish().accuracy, None);
    }
}
