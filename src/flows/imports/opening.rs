//! Opening stock from a file: what each warehouse holds when it starts on
//! the ledger, one row per part and condition.
//!
//! Each warehouse gets one stock document of type `opening_balance`,
//! posted through the ledger like any other ([`crate::flows::allocation`]:
//! balances by guarded update, serialized units registered, backorders
//! served), with movements from the `adjustment` counterparty; a long file
//! adds its movements to the document batch by batch. A warehouse that
//! already has an opening balance that was not reversed is refused whole
//! (409): reverse that document (`POST /api/v1/stock/documents/{id}/reverse`,
//! possible while its stock is still there) and import again.
use std::collections::{HashMap, HashSet};

use entities::vocabulary::{Condition, DocumentType, LocationKind, MovementType};
use entities::{part, serial_unit, stock_document, warehouse};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::lookup::{self, Codes, codes_in};
use super::{Change, File, Importer};
use crate::core::Validator;
use crate::core::import::cells::{list, named, text, whole};
use crate::core::import::source::Record;
use crate::core::import::{BATCH_ROWS, CellError, Cells, Column, Header};
use crate::flows::allocation;
use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{self, Location, NewDocument, NewMovement};
use crate::store::serials;

pub(crate) const COLUMNS: &[Column] = &[
    Column::key("warehouse_code"),
    Column::key("part_number"),
    Column::optional("condition"),
    Column::required("quantity"),
    Column::optional("serials"),
];

/// The opening-stock importer.
#[derive(Default)]
pub(crate) struct OpeningStock {
    /// The opening-balance document of each warehouse, opened at its first
    /// row.
    documents: HashMap<i64, stock_document::Model>,
    /// Warehouses already checked for an earlier opening balance.
    checked: HashSet<i64>,
}

/// One line of opening stock that passed its checks.
struct Line {
    row: u64,
    warehouse_id: i64,
    part_id: i64,
    condition: Condition,
    quantity: i32,
    serials: Vec<String>,
}

impl Importer for OpeningStock {
    async fn batch(
        &mut self,
        db: &DatabaseTransaction,
        header: &Header,
        file: &mut File,
        rows: &[Record],
    ) -> AppResult<()> {
        let mut cells = Cells::all(header, rows);
        let warehouses = lookup::warehouses(db, &cells, &["warehouse_code"]).await?;
        self.refuse_reopening(db, &cells, &warehouses).await?;
        let parts = parts_by_number(db, codes_in(&cells, "part_number")).await?;
        let mut lines = Vec::new();
        for c in &mut cells {
            lines.extend(read_line(c, file, &warehouses, &parts));
        }
        let mut errors: Vec<CellError> = cells.into_iter().flat_map(Cells::finish).collect();
        let refused = serials_taken(db, &lines).await?;
        lines.retain(|l| !refused.iter().any(|e| e.row == l.row));
        errors.extend(refused);
        file.reject(errors);
        self.post(db, file, lines).await
    }
}

impl OpeningStock {
    /// Refuses the import (409) if a warehouse of the batch has an opening
    /// balance from before that was not reversed.
    async fn refuse_reopening(
        &mut self,
        db: &DatabaseTransaction,
        cells: &[Cells<'_>],
        warehouses: &Codes,
    ) -> AppResult<()> {
        let mut new: Vec<(i64, String)> = Vec::new();
        for code in codes_in(cells, "warehouse_code") {
            if let Some(found) = warehouses.get(&code)
                && self.checked.insert(found.id)
            {
                new.push((found.id, code));
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        // Two imports of one warehouse's opening stock at once: on
        // PostgreSQL the second waits here for the first to end and then
        // sees its document (SQLite writers take turns anyway).
        warehouse::Entity::find()
            .filter(warehouse::Column::Id.is_in(new.iter().map(|(id, _)| *id)))
            .lock_exclusive()
            .all(db)
            .await?;
        let opened = stock_document::Entity::find()
            .filter(stock_document::Column::DocType.eq(DocumentType::OpeningBalance))
            .filter(stock_document::Column::WarehouseId.is_in(new.iter().map(|(id, _)| *id)))
            .all(db)
            .await?;
        let reversed: HashSet<i64> = stock_document::Entity::find()
            .filter(stock_document::Column::ReversesDocumentId.is_in(opened.iter().map(|d| d.id)))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|d| d.reverses_document_id)
            .collect();
        match opened.iter().find(|d| !reversed.contains(&d.id)) {
            None => Ok(()),
            Some(d) => {
                let code = new
                    .iter()
                    .find(|(id, _)| Some(*id) == d.warehouse_id)
                    .map_or("?", |(_, code)| code.as_str());
                Err(AppError::Conflict(format!(
                    "warehouse `{code}` already has an opening balance (document {}); reverse it \
                     with POST /api/v1/stock/documents/{}/reverse to import its opening stock again",
                    d.id, d.id
                )))
            }
        }
    }

    /// Posts the lines into each warehouse's opening balance, opening the
    /// document at the warehouse's first line.
    async fn post(
        &mut self,
        db: &DatabaseTransaction,
        file: &mut File,
        lines: Vec<Line>,
    ) -> AppResult<()> {
        let mut order = Vec::new();
        let mut by_warehouse: HashMap<i64, Vec<NewMovement>> = HashMap::new();
        for line in lines {
            file.count(Change::Created);
            if !by_warehouse.contains_key(&line.warehouse_id) {
                order.push(line.warehouse_id);
            }
            by_warehouse
                .entry(line.warehouse_id)
                .or_default()
                .push(opening_movement(line));
        }
        for warehouse_id in order {
            let moves = by_warehouse.remove(&warehouse_id).unwrap_or_default();
            let document = self.document(db, file, warehouse_id).await?;
            allocation::post_into(db, document, moves, file.now()).await?;
        }
        Ok(())
    }

    /// The warehouse's opening-balance document of this import.
    async fn document(
        &mut self,
        db: &DatabaseTransaction,
        file: &mut File,
        warehouse_id: i64,
    ) -> AppResult<stock_document::Model> {
        if let Some(d) = self.documents.get(&warehouse_id) {
            return Ok(d.clone());
        }
        let d = ledger::open(
            db,
            NewDocument {
                doc_type: DocumentType::OpeningBalance,
                warehouse_id: Some(warehouse_id),
                reference: "opening stock import".into(),
                reason: String::new(),
                counterparty: "adjustment".into(),
                counterparty_id: None,
                reverses_document_id: None,
                actor_id: file.actor_id(),
            },
            file.now(),
        )
        .await?;
        file.document(d.id);
        self.documents.insert(warehouse_id, d.clone());
        Ok(d)
    }
}

/// The units of a line, from the `adjustment` counterparty into the
/// warehouse in the line's condition.
fn opening_movement(line: Line) -> NewMovement {
    NewMovement {
        part_id: line.part_id,
        quantity: line.quantity,
        from: Location::virtual_(LocationKind::Adjustment, None),
        from_condition: line.condition,
        to: Location::warehouse(line.warehouse_id),
        to_condition: line.condition,
        movement_type: MovementType::OpeningBalance,
        from_reserved: false,
        reverses_movement_id: None,
        serials: line.serials,
    }
}

/// Parts by part number, with what the serial check needs.
async fn parts_by_number(
    db: &DatabaseTransaction,
    numbers: HashSet<String>,
) -> AppResult<HashMap<String, part::Model>> {
    let numbers: Vec<String> = numbers.into_iter().collect();
    let mut found = HashMap::new();
    for chunk in numbers.chunks(BATCH_ROWS) {
        for p in part::Entity::find()
            .filter(part::Column::PartNumber.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            found.insert(p.part_number.clone(), p);
        }
    }
    Ok(found)
}

/// One row read and checked as a receipt line is: an active warehouse and
/// part, 1 to 1,000,000 units, one serial per unit of a serialized part.
fn read_line(
    c: &mut Cells,
    file: &mut File,
    warehouses: &Codes,
    parts: &HashMap<String, part::Model>,
) -> Option<Line> {
    let warehouse: Option<String> = c.value("warehouse_code", text);
    let number: Option<String> = c.value("part_number", text);
    let condition = c.optional("condition", Condition::Good, || Condition::Good, named);
    let quantity = c.value("quantity", whole);
    let serials = c.optional("serials", Vec::new(), Vec::new, |s| Ok(list(s)));
    let (warehouse, number) = (warehouse?, number?);
    let key = format!("{warehouse}\u{1f}{number}\u{1f}{condition}");
    let what = format!("part `{number}` ({condition}) in warehouse `{warehouse}`");
    if !file.claim(c, "part_number", &key, &what) {
        return None;
    }
    let warehouse_id = warehouses.resolve(c, "warehouse_code", &warehouse, "warehouse", None);
    let part = active_part(c, parts, &number);
    if let (Some(part), Some(quantity)) = (part, quantity) {
        let mut v = Validator::new();
        v.units("quantity", quantity);
        serials::check_line(&mut v, "", part, quantity, &serials);
        if let Err(invalid) = v.finish() {
            c.invalid(invalid.0, &[]);
        }
    }
    if c.has_errors() {
        file.refuse(&key);
        return None;
    }
    Some(Line {
        row: c.line(),
        warehouse_id: warehouse_id?,
        part_id: part?.id,
        condition,
        quantity: quantity?,
        serials,
    })
}

/// The active part `number` names, or the cell refused.
fn active_part<'p>(
    c: &mut Cells,
    parts: &'p HashMap<String, part::Model>,
    number: &str,
) -> Option<&'p part::Model> {
    match parts.get(number) {
        None => {
            c.fail(
                "part_number",
                format!("no part `{number}` in the database; import or create it first"),
            );
            None
        }
        Some(p) if !p.active => {
            c.fail("part_number", format!("part `{number}` is deactivated"));
            None
        }
        Some(p) => Some(p),
    }
}

/// Serials the register already holds elsewhere, or that two lines of the
/// batch name, each refused on its line. A unit back at the `adjustment`
/// counterparty (its opening balance reversed) in the line's condition may
/// open again.
async fn serials_taken(db: &DatabaseTransaction, lines: &[Line]) -> AppResult<Vec<CellError>> {
    let named: Vec<(&Line, &String)> = lines
        .iter()
        .flat_map(|l| l.serials.iter().map(move |s| (l, s)))
        .collect();
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let part_ids: HashSet<i64> = named.iter().map(|(l, _)| l.part_id).collect();
    let serials: HashSet<&String> = named.iter().map(|(_, s)| *s).collect();
    let units: HashMap<(i64, String), serial_unit::Model> = serial_unit::Entity::find()
        .filter(serial_unit::Column::PartId.is_in(part_ids))
        .filter(serial_unit::Column::Serial.is_in(serials.into_iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| ((u.part_id, u.serial.clone()), u))
        .collect();
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for (line, serial) in named {
        let problem = match units.get(&(line.part_id, serial.clone())) {
            _ if !seen.insert((line.part_id, serial)) => {
                Some(format!("serial `{serial}` is named twice in this file"))
            }
            Some(u)
                if !(u.location_kind == LocationKind::Adjustment
                    && u.location_id.is_none()
                    && u.condition == line.condition) =>
            {
                Some(format!(
                    "serial `{serial}` is already registered, at {} {} ({})",
                    u.location_kind,
                    u.location_id.map(|id| id.to_string()).unwrap_or_default(),
                    u.condition
                ))
            }
            _ => None,
        };
        if let Some(message) = problem
            && !errors.iter().any(|e: &CellError| e.row == line.row)
        {
            errors.push(CellError::new(line.row, "serials", message));
        }
    }
    Ok(errors)
}
