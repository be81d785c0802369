//! Posting: one document, its movements, and the balance changes they
//! imply, all in the caller's transaction.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::vocabulary::{Condition, DocumentType, LocationKind, MovementType};
use entities::{stock_document, stock_movement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::balances::{self, BalanceKey};
pub use super::location::Location;
use super::serials;
use crate::store::error::{AppError, AppResult, Shortage};

/// The header of a document about to be posted.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub doc_type: DocumentType,
    pub warehouse_id: Option<i64>,
    pub reference: String,
    pub reason: String,
    pub counterparty: String,
    pub counterparty_id: Option<i64>,
    pub reverses_document_id: Option<i64>,
    pub actor_id: i64,
}

/// One movement about to be posted.
#[derive(Debug, Clone)]
pub struct NewMovement {
    pub part_id: i64,
    pub quantity: i32,
    pub from: Location,
    pub from_condition: Condition,
    pub to: Location,
    pub to_condition: Condition,
    pub movement_type: MovementType,
    /// The units leave a warehouse from its reserved stock (consuming a
    /// reservation) rather than from available stock.
    pub from_reserved: bool,
    pub reverses_movement_id: Option<i64>,
    /// The units carried, one serial each, for a serialized part (see
    /// [`super::serials`]); empty for any other part.
    pub serials: Vec<String>,
}

/// One side of a movement as shown by the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Place {
    pub kind: LocationKind,
    pub id: Option<i64>,
    pub condition: Condition,
}

/// A posted movement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Movement {
    pub id: i64,
    pub document_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub from: Place,
    pub to: Place,
    pub movement_type: MovementType,
    pub actor_id: i64,
    pub reverses_movement_id: Option<i64>,
    pub created_at: chrono::DateTime<Utc>,
    /// The units carried, for a serialized part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serials: Vec<String>,
}

impl Movement {
    pub fn from_row(m: stock_movement::Model) -> Movement {
        Movement {
            from: Place {
                kind: m.from_kind,
                id: m.from_id,
                condition: m.from_condition,
            },
            to: Place {
                kind: m.to_kind,
                id: m.to_id,
                condition: m.to_condition,
            },
            movement_type: m.movement_type,
            id: m.id,
            document_id: m.document_id,
            part_id: m.part_id,
            quantity: m.quantity,
            actor_id: m.actor_id,
            reverses_movement_id: m.reverses_movement_id,
            created_at: m.created_at,
            serials: Vec::new(),
        }
    }
}

/// A posted document with its movements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    pub id: i64,
    pub doc_type: DocumentType,
    pub warehouse_id: Option<i64>,
    pub reference: String,
    pub reason: String,
    pub counterparty: String,
    pub counterparty_id: Option<i64>,
    pub reverses_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: chrono::DateTime<Utc>,
    pub movements: Vec<Movement>,
}

/// Loads a document and its movements.
pub async fn load(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<Document>> {
    let Some(doc) = stock_document::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let movements = stock_movement::Entity::find()
        .filter(stock_movement::Column::DocumentId.eq(id))
        .order_by_asc(stock_movement::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = movements.iter().map(|m| m.id).collect();
    let carried = serials::of_movements(db, &ids).await?;
    Ok(Some(document_from_rows(doc, movements, carried)))
}

/// A document as the API shows it, from its row and its movement rows.
fn document_from_rows(
    doc: stock_document::Model,
    mut movements: Vec<stock_movement::Model>,
    mut carried: std::collections::HashMap<i64, Vec<String>>,
) -> Document {
    movements.sort_by_key(|m| m.id);
    let movements = movements
        .into_iter()
        .map(|m| Movement {
            serials: carried.remove(&m.id).unwrap_or_default(),
            ..Movement::from_row(m)
        })
        .collect();
    Document {
        id: doc.id,
        doc_type: doc.doc_type,
        warehouse_id: doc.warehouse_id,
        reference: doc.reference,
        reason: doc.reason,
        counterparty: doc.counterparty,
        counterparty_id: doc.counterparty_id,
        reverses_document_id: doc.reverses_document_id,
        created_by: doc.created_by,
        created_at: doc.created_at,
        movements,
    }
}

/// How one balance row changes: units added, units taken from available
/// stock, units taken from reserved stock, and the movements that take.
#[derive(Debug, Default, Clone)]
struct Effect {
    add: i32,
    take: i32,
    take_reserved: i32,
    taken_by: Vec<usize>,
}

/// Changes the balances `moves` imply and returns the parts whose good
/// stock grew, once each in id order. Rows change in key order, so two
/// postings touching the same rows lock them in the same order and cannot
/// deadlock each other on PostgreSQL; within a row, additions land before
/// removals, so a document may move units in and out of one row. Every
/// short balance is found before refusing, so the refusal names each short
/// line (by movement index, which flows keep in line order).
async fn change_balances(
    db: &impl ConnectionTrait,
    moves: &[NewMovement],
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let mut effects: BTreeMap<BalanceKey, Effect> = BTreeMap::new();
    for (i, m) in moves.iter().enumerate() {
        if let Some(warehouse_id) = m.from.warehouse_id() {
            let e = effects
                .entry(BalanceKey {
                    part_id: m.part_id,
                    warehouse_id,
                    condition: m.from_condition,
                })
                .or_default();
            if m.from_reserved {
                e.take_reserved += m.quantity;
            } else {
                e.take += m.quantity;
            }
            e.taken_by.push(i);
        }
        if let Some(warehouse_id) = m.to.warehouse_id() {
            effects
                .entry(BalanceKey {
                    part_id: m.part_id,
                    warehouse_id,
                    condition: m.to_condition,
                })
                .or_default()
                .add += m.quantity;
        }
    }
    let mut good_arrivals: Vec<i64> = effects
        .iter()
        .filter(|(k, e)| e.add > 0 && k.condition == Condition::Good)
        .map(|(k, _)| k.part_id)
        .collect();
    good_arrivals.dedup();
    let mut shortages = Vec::new();
    for (key, e) in effects {
        if e.add > 0 {
            balances::increase(db, key, e.add, now).await?;
        }
        let mut taken = Ok(());
        if e.take_reserved > 0 {
            taken = balances::take_reserved(db, key, e.take_reserved, now).await;
        }
        if e.take > 0 && taken.is_ok() {
            taken = balances::decrease(db, key, e.take, now).await;
        }
        match taken {
            Ok(()) => {}
            // A refused take changed nothing: look at the other rows too,
            // then refuse the whole posting.
            Err(AppError::InsufficientStock { shortages: found }) => {
                for s in found {
                    shortages.extend(e.taken_by.iter().map(|&line| Shortage {
                        line: Some(line),
                        ..s.clone()
                    }));
                }
            }
            Err(other) => return Err(other),
        }
    }
    if shortages.is_empty() {
        Ok(good_arrivals)
    } else {
        shortages.sort_by_key(|s| s.line);
        Err(AppError::InsufficientStock { shortages })
    }
}

/// A posted document, and the parts whose good stock grew in a warehouse:
/// the flow that posted it decides what newly available units are for.
#[derive(Debug, Clone)]
pub struct Posting {
    pub document: Document,
    /// Parts with units that arrived in a warehouse's `good` stock, once
    /// each, in id order.
    pub good_arrivals: Vec<i64>,
}

/// Posts `doc` with `moves` in the caller's transaction and returns it
/// (see [`change_balances`] for the order of the balance updates).
pub async fn post(
    db: &impl ConnectionTrait,
    doc: NewDocument,
    moves: Vec<NewMovement>,
    now: DateTime<Utc>,
) -> AppResult<Posting> {
    let document = open(db, doc, now).await?;
    post_into(db, document, moves, now).await
}

/// Writes the header of document `doc`, which [`post_into`] then gives its
/// movements: a document too long to hold in memory (an opening balance
/// read from a file) is posted batch by batch in one transaction.
pub async fn open(
    db: &impl ConnectionTrait,
    doc: NewDocument,
    now: DateTime<Utc>,
) -> AppResult<stock_document::Model> {
    Ok(stock_document::ActiveModel {
        doc_type: Set(doc.doc_type),
        warehouse_id: Set(doc.warehouse_id),
        reference: Set(doc.reference),
        reason: Set(doc.reason),
        counterparty: Set(doc.counterparty),
        counterparty_id: Set(doc.counterparty_id),
        reverses_document_id: Set(doc.reverses_document_id),
        created_by: Set(doc.actor_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Posts `moves` into `document` (opened by [`open`]) in the caller's
/// transaction: the balances, the movements and the units they carry. The
/// answer shows the document with these movements.
pub async fn post_into(
    db: &impl ConnectionTrait,
    document: stock_document::Model,
    moves: Vec<NewMovement>,
    now: DateTime<Utc>,
) -> AppResult<Posting> {
    let actor_id = document.created_by;
    let good_arrivals = change_balances(db, &moves, now).await?;

    // One statement tells each part's serial tracking; any refusal below
    // rolls the whole posting back.
    let part_ids: Vec<i64> = moves.iter().map(|m| m.part_id).collect();
    let facts = serials::part_facts(db, &part_ids).await?;
    let checks: Vec<(i64, i32, &[String])> = moves
        .iter()
        .map(|m| (m.part_id, m.quantity, m.serials.as_slice()))
        .collect();
    serials::check_movements(&facts, &checks)?;
    let carried: Vec<Vec<String>> = moves.iter().map(|m| m.serials.clone()).collect();
    let rows = moves.into_iter().map(|m| stock_movement::ActiveModel {
        document_id: Set(document.id),
        part_id: Set(m.part_id),
        quantity: Set(m.quantity),
        from_kind: Set(m.from.kind),
        from_id: Set(m.from.id),
        from_condition: Set(m.from_condition),
        to_kind: Set(m.to.kind),
        to_id: Set(m.to.id),
        to_condition: Set(m.to_condition),
        movement_type: Set(m.movement_type),
        actor_id: Set(actor_id),
        reverses_movement_id: Set(m.reverses_movement_id),
        created_at: Set(now),
        ..Default::default()
    });
    // RETURNING gives the rows as stored (ids, timestamps at the database's
    // precision), so the answer equals what a later read returns without
    // reading the document back.
    let mut movements = stock_movement::Entity::insert_many(rows)
        .exec_with_returning(db)
        .await?;
    // One INSERT numbers its rows in the order given.
    movements.sort_by_key(|m| m.id);
    let mut by_movement = std::collections::HashMap::new();
    for (row, units) in movements.iter().zip(carried) {
        if !units.is_empty() {
            serials::carry(db, row, &units).await?;
            let mut units = units;
            units.sort();
            by_movement.insert(row.id, units);
        }
    }
    Ok(Posting {
        document: document_from_rows(document, movements, by_movement),
        good_arrivals,
    })
}
