//! The warehouse documents of process 4.2.3: receipts (inbound orders),
//! issues (outbound orders), condition changes, and reversals.
//!
//! A document is validated whole before anything is written, and posted in
//! one transaction: it is either fully posted or not at all.
use chrono::{DateTime, Utc};
use entities::vocabulary::{Condition, DocumentType, LocationKind, MovementType};
use entities::{site, stock_document, vendor};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::core::Validator;
use crate::core::validate::{MAX_NAME, MAX_TEXT};
use crate::flows::allocation;
use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{self, Document, Location, NewDocument, NewMovement};
use crate::store::lookups::active_warehouse;
use crate::store::serials;

fn default_good() -> Condition {
    Condition::Good
}

/// Where received stock comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptSource {
    Supplier,
    RepairVendor,
    FieldReturn,
    Other,
}

/// One line of a receipt or issue.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockLine {
    pub part_id: i64,
    /// Whole units, 1 to 1,000,000.
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    /// `good` unless said.
    #[serde(default = "default_good")]
    pub condition: Condition,
    /// For a serialized part: one serial per unit.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/stock/receipts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    pub warehouse_id: i64,
    pub source: ReceiptSource,
    /// The vendor (supplier, repair vendor) or site (field return) it came from.
    pub source_id: Option<i64>,
    /// The supplier's delivery note, purchase order, ...
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<StockLine>,
}

/// Where issued stock goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueDestination {
    Site,
    Other,
}

/// Body of `POST /api/v1/stock/issues`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    pub warehouse_id: i64,
    pub destination: IssueDestination,
    /// The site, when the destination is a site.
    pub site_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<StockLine>,
}

/// One line of a condition change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionLine {
    pub part_id: i64,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    pub from_condition: Condition,
    pub to_condition: Condition,
    /// For a serialized part: one serial per unit.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/stock/condition-changes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionChangeRequest {
    pub warehouse_id: i64,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<ConditionLine>,
}

/// Body of `POST /api/v1/stock/documents/{id}/reverse`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseRequest {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// Checks the quantities and count of lines.
fn check_lines(v: &mut Validator, quantities: impl ExactSizeIterator<Item = i32>) {
    let n = quantities.len();
    v.line_count(n);
    for (i, q) in quantities.enumerate() {
        v.line_quantity(i, q);
    }
}

async fn vendor_exists(db: &impl ConnectionTrait, id: Option<i64>, field: &str) -> AppResult<()> {
    let Some(id) = id else {
        return Err(AppError::field(field, "is required for this source"));
    };
    match vendor::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(AppError::field(
            field,
            format!("vendor {id} does not exist"),
        )),
    }
}

async fn site_exists(db: &impl ConnectionTrait, id: Option<i64>, field: &str) -> AppResult<()> {
    let Some(id) = id else {
        return Err(AppError::field(field, "is required for this destination"));
    };
    match site::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(AppError::field(field, format!("site {id} does not exist"))),
    }
}

/// The warehouse is active, and so is every line's part, with serials
/// that fit it.
async fn check_stock_lines(
    db: &impl ConnectionTrait,
    warehouse_id: i64,
    lines: &[StockLine],
) -> AppResult<()> {
    active_warehouse(db, warehouse_id, "warehouse_id").await?;
    serials::active_parts_of(
        db,
        lines
            .iter()
            .map(|l| (l.part_id, l.quantity, l.serials.as_slice())),
    )
    .await?;
    Ok(())
}

/// One movement per line from `from` to `to`, each keeping its condition.
fn line_moves(
    lines: &[StockLine],
    from: Location,
    to: Location,
    movement_type: MovementType,
) -> Vec<NewMovement> {
    lines
        .iter()
        .map(|l| NewMovement {
            part_id: l.part_id,
            quantity: l.quantity,
            from,
            from_condition: l.condition,
            to,
            to_condition: l.condition,
            movement_type,
            from_reserved: false,
            reverses_movement_id: None,
            serials: l.serials.clone(),
        })
        .collect()
}

pub async fn receive(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ReceiptRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let mut v = Validator::new();
    check_lines(&mut v, req.lines.iter().map(|l| l.quantity));
    v.optional_text("reference", &req.reference, MAX_NAME);
    v.finish()?;
    check_stock_lines(db, req.warehouse_id, &req.lines).await?;
    let (from_kind, counterparty) = match req.source {
        ReceiptSource::Supplier => {
            vendor_exists(db, req.source_id, "source_id").await?;
            (LocationKind::Supplier, "supplier")
        }
        ReceiptSource::RepairVendor => {
            vendor_exists(db, req.source_id, "source_id").await?;
            (LocationKind::RepairVendor, "repair_vendor")
        }
        ReceiptSource::FieldReturn => {
            site_exists(db, req.source_id, "source_id").await?;
            (LocationKind::Site, "field_return")
        }
        ReceiptSource::Other => (LocationKind::External, "other"),
    };
    let source_id = if req.source == ReceiptSource::Other {
        None
    } else {
        req.source_id
    };
    let moves = line_moves(
        &req.lines,
        Location::virtual_(from_kind, source_id),
        Location::warehouse(req.warehouse_id),
        MovementType::Receipt,
    );
    allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::Receipt,
            warehouse_id: Some(req.warehouse_id),
            reference: req.reference,
            reason: String::new(),
            counterparty: counterparty.to_owned(),
            counterparty_id: source_id,
            reverses_document_id: None,
            actor_id,
        },
        moves,
        now,
    )
    .await
}

/// Where an issue's units go in the ledger.
pub async fn issue_destination(
    db: &impl ConnectionTrait,
    destination: IssueDestination,
    site_id: Option<i64>,
) -> AppResult<(Location, &'static str, Option<i64>)> {
    match destination {
        IssueDestination::Site => {
            site_exists(db, site_id, "site_id").await?;
            Ok((
                Location::virtual_(LocationKind::Site, site_id),
                "site",
                site_id,
            ))
        }
        IssueDestination::Other => Ok((
            Location::virtual_(LocationKind::External, None),
            "other",
            None,
        )),
    }
}

pub async fn issue(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: IssueRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let mut v = Validator::new();
    check_lines(&mut v, req.lines.iter().map(|l| l.quantity));
    v.optional_text("reference", &req.reference, MAX_NAME)
        .optional_text("reason", &req.reason, MAX_TEXT);
    v.finish()?;
    check_stock_lines(db, req.warehouse_id, &req.lines).await?;
    let (to, counterparty, counterparty_id) =
        issue_destination(db, req.destination, req.site_id).await?;
    let moves = line_moves(
        &req.lines,
        Location::warehouse(req.warehouse_id),
        to,
        MovementType::Issue,
    );
    allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::Issue,
            warehouse_id: Some(req.warehouse_id),
            reference: req.reference,
            reason: req.reason,
            counterparty: counterparty.to_owned(),
            counterparty_id,
            reverses_document_id: None,
            actor_id,
        },
        moves,
        now,
    )
    .await
}

pub async fn change_condition(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ConditionChangeRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let mut v = Validator::new();
    check_lines(&mut v, req.lines.iter().map(|l| l.quantity));
    v.optional_text("reason", &req.reason, MAX_TEXT);
    for (i, l) in req.lines.iter().enumerate() {
        v.check(
            l.from_condition != l.to_condition,
            &format!("lines[{i}].to_condition"),
            "must differ from from_condition",
        );
    }
    v.finish()?;
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    serials::active_parts_of(
        db,
        req.lines
            .iter()
            .map(|l| (l.part_id, l.quantity, l.serials.as_slice())),
    )
    .await?;
    let here = Location::warehouse(req.warehouse_id);
    let moves = req
        .lines
        .iter()
        .map(|l| NewMovement {
            part_id: l.part_id,
            quantity: l.quantity,
            from: here,
            from_condition: l.from_condition,
            to: here,
            to_condition: l.to_condition,
            movement_type: MovementType::ConditionChange,
            from_reserved: false,
            reverses_movement_id: None,
            serials: l.serials.clone(),
        })
        .collect();
    allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::ConditionChange,
            warehouse_id: Some(req.warehouse_id),
            reference: String::new(),
            reason: req.reason,
            counterparty: String::new(),
            counterparty_id: None,
            reverses_document_id: None,
            actor_id,
        },
        moves,
        now,
    )
    .await
}

/// Posts the exact opposite of receipt, issue, condition-change or
/// opening-balance document `id`. A document is reversed at most once. Refused whole when the stock the original brought in has
/// since left.
pub async fn reverse(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: ReverseRequest,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let mut v = Validator::new();
    v.optional_text("reason", &req.reason, MAX_TEXT);
    v.finish()?;
    let original = ledger::load(db, id)
        .await?
        .ok_or(AppError::NotFound("document"))?;
    allocation::refuse_dispatch_document(db, id).await?;
    // Only plain warehouse documents are reversed here (an opening balance
    // too, so a wrong opening-stock import can be undone and imported
    // again). A reversal is not reversed again (post the original again
    // instead), and documents owned by a flow (stocktake, transfer,
    // purchase, repair, return, scrap) are undone through that flow, which
    // keeps its own state in step.
    if !matches!(
        original.doc_type,
        DocumentType::Receipt
            | DocumentType::Issue
            | DocumentType::ConditionChange
            | DocumentType::OpeningBalance
    ) {
        return Err(AppError::InvalidTransition {
            what: "document",
            action: "reverse",
            current: original.doc_type.as_str().to_owned(),
            allowed: vec![],
        });
    }
    let already = stock_document::Entity::find()
        .filter(stock_document::Column::ReversesDocumentId.eq(id))
        .one(db)
        .await?;
    if already.is_some() {
        return Err(AppError::InvalidTransition {
            what: "document",
            action: "reverse",
            current: "reversed".into(),
            allowed: vec![],
        });
    }
    let moves = original
        .movements
        .iter()
        .map(|m| NewMovement {
            part_id: m.part_id,
            quantity: m.quantity,
            from: Location {
                kind: m.to.kind,
                id: m.to.id,
            },
            from_condition: m.to.condition,
            to: Location {
                kind: m.from.kind,
                id: m.from.id,
            },
            to_condition: m.from.condition,
            movement_type: MovementType::Reversal,
            from_reserved: false,
            reverses_movement_id: Some(m.id),
            serials: m.serials.clone(),
        })
        .collect();
    allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::Reversal,
            warehouse_id: original.warehouse_id,
            reference: format!("reverses document {id}"),
            reason: req.reason,
            counterparty: original.counterparty.clone(),
            counterparty_id: original.counterparty_id,
            reverses_document_id: Some(id),
            actor_id,
        },
        moves,
        now,
    )
    .await
}
