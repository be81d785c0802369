//! Serial numbers: where each unit of a serialized part is, and which
//! movements carried it.
//!
//! A serialized part's stock is still counted in the balances like any
//! other; on top of that every movement of such a part names its units,
//! one serial per unit, and [`carry`] moves each named unit in the same
//! transaction as the movement. A unit is one row of `serial_units`, so it
//! is in exactly one place; it moves only by a conditional `UPDATE ...
//! WHERE` it is at the movement's origin in the movement's origin
//! condition, so a serial that is elsewhere (or already moved by a
//! concurrent document) refuses the whole document with a 409.
//!
//! Units enter the register where stock enters the network: a receipt or
//! purchase receipt from a supplier, a field return from a site (the failed
//! unit of the installed base, usually never seen by the ledger before), or
//! a stocktake gain. A serial unknown anywhere else is a 422.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::vocabulary::{Condition, DocumentType, LocationKind, MovementType, RepairOutcome};
use entities::{movement_serial, part, serial_unit, stock_document, stock_movement};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Validator;
use crate::store::error::{AppError, AppResult, FieldError};
use crate::store::location::Location;
use crate::store::paging::{Page, PageParams};

/// The longest serial accepted.
pub const MAX_SERIAL: usize = 100;

/// Checks one request line's serials against its part: a serialized part
/// names exactly one distinct serial per unit, any other part names none.
/// `field` is the line's path, e.g. `lines[2]`.
pub fn check_line(
    v: &mut Validator,
    field: &str,
    part: &part::Model,
    quantity: i32,
    serials: &[String],
) {
    if let Err(message) = serial_problem(&part.part_number, part.serialized, quantity, serials) {
        let name = if field.is_empty() {
            "serials".to_owned()
        } else {
            format!("{field}.serials")
        };
        v.push(FieldError::new(name, message));
    }
}

/// The active parts of request lines `(part_id, quantity, serials)` (422
/// for an unknown or inactive part), each line's serials checked against
/// its part as [`check_request`] does.
pub async fn active_parts_of<'a>(
    db: &impl ConnectionTrait,
    lines: impl IntoIterator<Item = (i64, i32, &'a [String])>,
) -> AppResult<HashMap<i64, part::Model>> {
    let lines: Vec<_> = lines.into_iter().collect();
    let part_ids: Vec<i64> = lines.iter().map(|(part_id, _, _)| *part_id).collect();
    let parts = crate::store::lookups::active_parts(db, &part_ids).await?;
    check_request(&parts, lines)?;
    Ok(parts)
}

/// Checks every line `(part_id, quantity, serials)` of a request whose
/// parts `parts` are loaded, naming fields `lines[i].serials`.
pub fn check_request<'a>(
    parts: &HashMap<i64, part::Model>,
    lines: impl IntoIterator<Item = (i64, i32, &'a [String])>,
) -> AppResult<()> {
    let mut v = Validator::new();
    for (i, (part_id, quantity, serials)) in lines.into_iter().enumerate() {
        if let Some(part) = parts.get(&part_id) {
            check_line(&mut v, &format!("lines[{i}]"), part, quantity, serials);
        }
    }
    Ok(v.finish()?)
}

fn serial_problem(
    part_number: &str,
    serialized: bool,
    quantity: i32,
    serials: &[String],
) -> Result<(), String> {
    if !serialized {
        if serials.is_empty() {
            return Ok(());
        }
        return Err(format!(
            "part {} is not serialized: name no serials",
            part_number
        ));
    }
    if usize::try_from(quantity).ok() != Some(serials.len()) {
        return Err(format!(
            "part {} is serialized: name exactly one serial per unit ({} units, {} serials)",
            part_number,
            quantity,
            serials.len()
        ));
    }
    let mut seen = HashSet::new();
    for s in serials {
        if s.trim().is_empty() || s.trim() != s || s.chars().count() > MAX_SERIAL {
            return Err(format!(
                "serial `{s}` must be 1 to {MAX_SERIAL} characters without surrounding spaces"
            ));
        }
        if !seen.insert(s.as_str()) {
            return Err(format!("serial `{s}` is named twice"));
        }
    }
    Ok(())
}

/// What the ledger needs to know of a part it posts: whether it is
/// serialized.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub(crate) struct PartFacts {
    pub id: i64,
    pub part_number: String,
    pub serialized: bool,
}

/// [`PartFacts`] of `part_ids`, in one statement (a posting's hot path).
pub(crate) async fn part_facts(
    db: &impl ConnectionTrait,
    part_ids: &[i64],
) -> AppResult<HashMap<i64, PartFacts>> {
    use sea_orm::QuerySelect;
    let ids: HashSet<i64> = part_ids.iter().copied().collect();
    Ok(part::Entity::find()
        .select_only()
        .column(part::Column::Id)
        .column(part::Column::PartNumber)
        .column(part::Column::Serialized)
        .filter(part::Column::Id.is_in(ids))
        .into_model::<PartFacts>()
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect())
}

/// The ledger's own check of every movement, whatever flow built it: the
/// last line of defence if a flow forgot [`check_line`].
pub(crate) fn check_movements(
    parts: &HashMap<i64, PartFacts>,
    moves: &[(i64, i32, &[String])],
) -> AppResult<()> {
    let mut errors = Vec::new();
    for (i, (part_id, quantity, serials)) in moves.iter().enumerate() {
        let Some(part) = parts.get(part_id) else {
            errors.push(FieldError::new(
                format!("movements[{i}].part_id"),
                format!("part {part_id} does not exist"),
            ));
            continue;
        };
        if let Err(message) = serial_problem(&part.part_number, part.serialized, *quantity, serials)
        {
            errors.push(FieldError::new(format!("movements[{i}].serials"), message));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Refuses early, before a flow stores anything (a send-out, or a scrap
/// request or return whose units move later), serials that are not at
/// `location` in `condition` (or, with `may_be_new`, that are known but
/// elsewhere). The ledger checks again when the units actually move.
pub async fn check_placed(
    db: &impl ConnectionTrait,
    part_id: i64,
    serials: &[String],
    location: Location,
    condition: Condition,
    may_be_new: bool,
) -> AppResult<()> {
    if serials.is_empty() {
        return Ok(());
    }
    let units: HashMap<String, serial_unit::Model> = serial_unit::Entity::find()
        .filter(serial_unit::Column::PartId.eq(part_id))
        .filter(serial_unit::Column::Serial.is_in(serials.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.serial.clone(), u))
        .collect();
    for serial in serials {
        match units.get(serial) {
            None if may_be_new => {}
            None => {
                return Err(AppError::UnknownSerial {
                    serial: serial.clone(),
                    part_id,
                });
            }
            Some(u) => {
                let here = u.location_kind == location.kind
                    && u.location_id == location.id
                    && (location.kind == LocationKind::Site || u.condition == condition);
                if !here {
                    return Err(AppError::SerialElsewhere {
                        serial: serial.clone(),
                        detail: format!(
                            "serial `{serial}` is at {}, not at {}",
                            describe(u.location_kind, u.location_id, u.condition),
                            describe(location.kind, location.id, condition),
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Where new serials may appear: stock entering the network.
fn registers_new_units(from: LocationKind) -> bool {
    matches!(
        from,
        LocationKind::Supplier
            | LocationKind::Site
            | LocationKind::External
            | LocationKind::Adjustment
    )
}

fn describe(kind: LocationKind, id: Option<i64>, condition: Condition) -> String {
    match id {
        Some(id) => format!("{kind} {id} ({condition})"),
        None => format!("{kind} ({condition})"),
    }
}

/// Moves the units `serials` of `movement`'s part from its origin to its
/// destination and records that the movement carried them.
pub(crate) async fn carry(
    db: &impl ConnectionTrait,
    movement: &stock_movement::Model,
    serials: &[String],
) -> AppResult<()> {
    let from = movement.from_kind;
    let now = movement.created_at;
    for serial in serials {
        let existing = serial_unit::Entity::find()
            .filter(serial_unit::Column::PartId.eq(movement.part_id))
            .filter(serial_unit::Column::Serial.eq(serial.as_str()))
            .one(db)
            .await?;
        let unit_id = match existing {
            None if registers_new_units(from) => serial_unit::ActiveModel {
                part_id: Set(movement.part_id),
                serial: Set(serial.clone()),
                location_kind: Set(movement.to_kind),
                location_id: Set(movement.to_id),
                condition: Set(movement.to_condition),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await
            .map_err(|e| {
                if crate::store::error::is_unique_violation(&e) {
                    AppError::SerialElsewhere {
                        serial: serial.clone(),
                        detail: format!(
                            "serial `{serial}` was registered by another document at the same time"
                        ),
                    }
                } else {
                    e.into()
                }
            })?
            .id,
            None => {
                return Err(AppError::UnknownSerial {
                    serial: serial.clone(),
                    part_id: movement.part_id,
                });
            }
            Some(unit) => {
                let mut update = Query::update();
                update
                    .table(serial_unit::Entity)
                    .value(serial_unit::Column::LocationKind, movement.to_kind)
                    .value(serial_unit::Column::LocationId, movement.to_id)
                    .value(serial_unit::Column::Condition, movement.to_condition)
                    .value(serial_unit::Column::UpdatedAt, now)
                    .and_where(Expr::col(serial_unit::Column::Id).eq(unit.id))
                    .and_where(Expr::col(serial_unit::Column::LocationKind).eq(movement.from_kind));
                // A unit at a site fails there, outside the ledger: it
                // leaves the site in whatever condition the return says.
                if from != LocationKind::Site {
                    update.and_where(
                        Expr::col(serial_unit::Column::Condition).eq(movement.from_condition),
                    );
                }
                match movement.from_id {
                    Some(id) => update.and_where(Expr::col(serial_unit::Column::LocationId).eq(id)),
                    None => update.and_where(Expr::col(serial_unit::Column::LocationId).is_null()),
                };
                let moved = db.execute(&update).await?.rows_affected();
                if moved != 1 {
                    return Err(AppError::SerialElsewhere {
                        serial: serial.clone(),
                        detail: format!(
                            "serial `{serial}` is at {}, not at {}",
                            describe(unit.location_kind, unit.location_id, unit.condition),
                            describe(
                                movement.from_kind,
                                movement.from_id,
                                movement.from_condition
                            ),
                        ),
                    });
                }
                unit.id
            }
        };
        movement_serial::ActiveModel {
            movement_id: Set(movement.id),
            serial_unit_id: Set(unit_id),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The serials each of `movement_ids` carried, in serial order.
pub async fn of_movements(
    db: &impl ConnectionTrait,
    movement_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<String>>> {
    if movement_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links = movement_serial::Entity::find()
        .filter(movement_serial::Column::MovementId.is_in(movement_ids.iter().copied()))
        .all(db)
        .await?;
    let unit_ids: HashSet<i64> = links.iter().map(|l| l.serial_unit_id).collect();
    let serial_of: HashMap<i64, String> = serial_unit::Entity::find()
        .filter(serial_unit::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.serial))
        .collect();
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for l in links {
        if let Some(s) = serial_of.get(&l.serial_unit_id) {
            out.entry(l.movement_id).or_default().push(s.clone());
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

/// The serials of `part_id` now at `location` in `condition`, in serial
/// order: what a flow may pick from, or what is left in transit.
pub async fn at(
    db: &impl ConnectionTrait,
    part_id: i64,
    location: Location,
    condition: Condition,
) -> AppResult<Vec<String>> {
    let mut q = serial_unit::Entity::find()
        .filter(serial_unit::Column::PartId.eq(part_id))
        .filter(serial_unit::Column::LocationKind.eq(location.kind.as_str()))
        .filter(serial_unit::Column::Condition.eq(condition.as_str()));
    q = match location.id {
        Some(id) => q.filter(serial_unit::Column::LocationId.eq(id)),
        None => q.filter(serial_unit::Column::LocationId.is_null()),
    };
    Ok(q.order_by_asc(serial_unit::Column::Serial)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.serial)
        .collect())
}

/// A serialized unit and where it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SerialUnit {
    pub id: i64,
    pub part_id: i64,
    pub serial: String,
    pub location: Location,
    pub condition: Condition,
    /// When it was first seen by the ledger.
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SerialUnit {
    fn from_row(u: serial_unit::Model) -> AppResult<SerialUnit> {
        Ok(SerialUnit {
            location: Location {
                kind: u.location_kind,
                id: u.location_id,
            },
            condition: u.condition,
            id: u.id,
            part_id: u.part_id,
            serial: u.serial,
            registered_at: u.created_at,
            updated_at: u.updated_at,
        })
    }
}

/// One step of a unit's life: a movement that carried it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub movement_id: i64,
    pub document_id: i64,
    pub document_type: DocumentType,
    pub movement_type: MovementType,
    pub reference: String,
    pub from: Location,
    pub from_condition: Condition,
    pub to: Location,
    pub to_condition: Condition,
    pub actor_id: i64,
    pub at: DateTime<Utc>,
}

/// A repair record of the unit (a per-unit repair line).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RepairRecord {
    pub repair_order_id: i64,
    pub line_id: i64,
    pub outcome: RepairOutcome,
    pub fault_cause: String,
    pub failed_component: String,
    pub conclusion: String,
    pub measures: String,
    #[schema(value_type = Option<String>)]
    pub cost: Option<String>,
    pub repeat_repair: bool,
    pub due_at: DateTime<Utc>,
    pub returned_at: Option<DateTime<Utc>>,
}

/// The scrap certificate that ended the unit's life.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScrapRecord {
    pub scrap_request_id: i64,
    pub certificate_number: Option<String>,
    pub reason: String,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A unit with its full history, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SerialHistory {
    pub unit: SerialUnit,
    pub movements: Vec<HistoryEntry>,
    pub repairs: Vec<RepairRecord>,
    pub scrap: Option<ScrapRecord>,
}

/// Filters of `GET /api/v1/serials`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SerialFilter {
    pub part_id: Option<i64>,
    /// Exact serial.
    pub serial: Option<String>,
    pub location_kind: Option<LocationKind>,
    pub location_id: Option<i64>,
    pub condition: Option<Condition>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Serialized units matching `f`, by id, keyset-paged.
pub async fn list(db: &impl ConnectionTrait, f: SerialFilter) -> AppResult<Page<SerialUnit>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = serial_unit::Entity::find()
        .apply_if(f.part_id, |q, p| {
            q.filter(serial_unit::Column::PartId.eq(p))
        })
        .apply_if(f.serial.as_ref(), |q, s| {
            q.filter(serial_unit::Column::Serial.eq(s.as_str()))
        })
        .apply_if(f.location_kind, |q, k| {
            q.filter(serial_unit::Column::LocationKind.eq(k.as_str()))
        })
        .apply_if(f.location_id, |q, id| {
            q.filter(serial_unit::Column::LocationId.eq(id))
        })
        .apply_if(f.condition, |q, c| {
            q.filter(serial_unit::Column::Condition.eq(c.as_str()))
        });
    page.fetch(db, q, serial_unit::Column::Id, |u| u.id)
        .await?
        .try_map(SerialUnit::from_row)
}

/// One unit and its history.
pub async fn history(db: &impl ConnectionTrait, id: i64) -> AppResult<SerialHistory> {
    let unit = serial_unit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("serial unit"))?;
    let links = movement_serial::Entity::find()
        .filter(movement_serial::Column::SerialUnitId.eq(id))
        .all(db)
        .await?;
    let moves = stock_movement::Entity::find()
        .filter(stock_movement::Column::Id.is_in(links.iter().map(|l| l.movement_id)))
        .order_by_asc(stock_movement::Column::Id)
        .all(db)
        .await?;
    let docs: HashMap<i64, stock_document::Model> = stock_document::Entity::find()
        .filter(stock_document::Column::Id.is_in(moves.iter().map(|m| m.document_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let mut movements = Vec::with_capacity(moves.len());
    for m in moves {
        let doc = docs
            .get(&m.document_id)
            .ok_or_else(|| AppError::Internal(format!("movement {} has no document", m.id)))?;
        movements.push(HistoryEntry {
            movement_id: m.id,
            document_id: m.document_id,
            document_type: doc.doc_type,
            movement_type: m.movement_type,
            reference: doc.reference.clone(),
            from: Location {
                kind: m.from_kind,
                id: m.from_id,
            },
            from_condition: m.from_condition,
            to: Location {
                kind: m.to_kind,
                id: m.to_id,
            },
            to_condition: m.to_condition,
            actor_id: m.actor_id,
            at: m.created_at,
        });
    }
    let repairs = entities::repair_line::Entity::find()
        .filter(entities::repair_line::Column::PartId.eq(unit.part_id))
        .filter(entities::repair_line::Column::Serial.eq(unit.serial.as_str()))
        .order_by_asc(entities::repair_line::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|l| RepairRecord {
            repair_order_id: l.repair_order_id,
            line_id: l.id,
            outcome: l.outcome,
            fault_cause: l.fault_cause,
            failed_component: l.failed_component,
            conclusion: l.conclusion,
            measures: l.measures,
            cost: l.cost,
            repeat_repair: l.repeat_repair,
            due_at: l.due_at,
            returned_at: l.returned_at,
        })
        .collect();
    let scrap = scrap_of(db, &unit).await?;
    Ok(SerialHistory {
        unit: SerialUnit::from_row(unit)?,
        movements,
        repairs,
        scrap,
    })
}

/// The approved scrap request whose certificate names the unit, if any.
async fn scrap_of(
    db: &impl ConnectionTrait,
    unit: &serial_unit::Model,
) -> AppResult<Option<ScrapRecord>> {
    if unit.location_kind != LocationKind::Scrap {
        return Ok(None);
    }
    let requests = entities::scrap_request::Entity::find()
        .filter(entities::scrap_request::Column::PartId.eq(unit.part_id))
        .filter(entities::scrap_request::Column::CertificateNumber.is_not_null())
        .order_by_desc(entities::scrap_request::Column::Id)
        .all(db)
        .await?;
    for r in requests {
        if decode(&r.serials)?.iter().any(|s| s == &unit.serial) {
            return Ok(Some(ScrapRecord {
                scrap_request_id: r.id,
                certificate_number: r.certificate_number,
                reason: r.reason,
                decided_at: r.decided_at,
            }));
        }
    }
    Ok(None)
}

/// Serials as stored in a flow's TEXT column: a JSON array.
pub fn encode(serials: &[String]) -> String {
    serde_json::to_string(serials).unwrap_or_else(|_| "[]".to_owned())
}

/// The inverse of [`encode`].
pub fn decode(text: &str) -> AppResult<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|e| AppError::Internal(format!("stored serial list `{text}` is invalid: {e}")))
}
