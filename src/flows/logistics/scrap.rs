//! Scrapping (process 4.2.6): a request with a reason and a value, decided
//! by a planner or admin who is not the requester; approval moves the stock
//! to scrap and issues a scrap certificate, retrievable by its number.
//!
//! A request is `requested` until approved or rejected, once: the decision
//! is a conditional `UPDATE scrap_requests ... WHERE status = 'requested'`
//! in the same transaction as the posting, so a request is approved, and
//! its stock scrapped, at most once even when two approvers race.
//!
//! The value is `quantity x unit cost` of the part when requested, kept
//! with the request so the certificate shows what was written off then.
//! The certificate number is `SC-<year of approval>-<request id, 6 digits>`:
//! unique because the id is, and stored under a unique index.
use chrono::{DateTime, Datelike, Utc};
use entities::part;
use entities::scrap_request::{self, Column as S};
use entities::vocabulary::{Condition, DocumentType, LocationKind, MovementType, ScrapStatus};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::validate::{MAX_LINE_QUANTITY, MAX_TEXT};
use crate::core::{Money, Validator};
use crate::flows::allocation;
use crate::store::balances::{self, BalanceKey};
use crate::store::error::{AppError, AppResult};
use crate::store::ledger::{Location, NewDocument, NewMovement};
use crate::store::lookups::active_warehouse;
use crate::store::paging::{Page, PageParams};
use crate::store::serials;
use crate::store::transition::{StateMachine, Transition, refusal};

/// The actions allowed on a scrap request in `status`, as named in the API.
fn allowed(status: ScrapStatus) -> Vec<&'static str> {
    match status {
        ScrapStatus::Requested => vec!["approve", "reject"],
        ScrapStatus::Approved | ScrapStatus::Rejected => vec![],
    }
}

impl StateMachine for scrap_request::Entity {
    const WHAT: &'static str = "scrap request";
    type Status = ScrapStatus;
    const ID: S = S::Id;
    const STATUS: S = S::Status;
    const UPDATED_AT: Option<S> = None;

    fn state(r: &scrap_request::Model) -> (String, Vec<&'static str>) {
        (r.status.to_string(), allowed(r.status))
    }
}

fn default_defective() -> Condition {
    Condition::Defective
}

/// Body of `POST /api/v1/scrap-requests`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScrapRequestBody {
    pub warehouse_id: i64,
    pub part_id: i64,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    /// The condition of the stock to scrap; `defective` unless said.
    #[serde(default = "default_defective")]
    pub condition: Condition,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// For a serialized part: the units to scrap, one serial each.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// Body of `POST /api/v1/scrap-requests/{id}/approve` and `/reject`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// A scrap request and its decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScrapRequest {
    pub id: i64,
    pub warehouse_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub condition: Condition,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serials: Vec<String>,
    /// `quantity x unit cost` when requested.
    #[schema(value_type = String)]
    pub value: Decimal,
    pub currency: String,
    pub status: ScrapStatus,
    pub allowed_next: Vec<&'static str>,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: String,
    pub certificate_number: Option<String>,
    /// The `scrap` document approval posted.
    pub document_id: Option<i64>,
}

/// A scrap certificate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScrapCertificate {
    pub number: String,
    pub scrap_request_id: i64,
    pub warehouse_id: i64,
    pub part_id: i64,
    pub part_number: String,
    pub quantity: i32,
    pub condition: Condition,
    /// Serial numbers of the scrapped units (serialized parts).
    pub serials: Vec<String>,
    #[schema(value_type = String)]
    pub value: Decimal,
    pub currency: String,
    pub reason: String,
    pub requested_by: i64,
    pub approved_by: i64,
    pub approved_at: DateTime<Utc>,
    pub document_id: i64,
}

fn from_row(r: scrap_request::Model) -> AppResult<ScrapRequest> {
    let status = r.status;
    Ok(ScrapRequest {
        status,
        allowed_next: allowed(status),
        condition: r.condition,
        value: Money::from_db(&r.value)?.amount(),
        serials: serials::decode(&r.serials)?,
        id: r.id,
        warehouse_id: r.warehouse_id,
        part_id: r.part_id,
        quantity: r.quantity,
        reason: r.reason,
        currency: r.currency,
        requested_by: r.requested_by,
        requested_at: r.requested_at,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        decision_note: r.decision_note,
        certificate_number: r.certificate_number,
        document_id: r.document_id,
    })
}

async fn row(db: &impl ConnectionTrait, id: i64) -> AppResult<scrap_request::Model> {
    scrap_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("scrap request"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<ScrapRequest> {
    from_row(row(db, id).await?)
}

/// Records a request to scrap units. Refused with 409 `insufficient_stock`
/// when the warehouse does not hold them now; approval checks again, since
/// a request reserves nothing.
pub async fn request(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ScrapRequestBody,
    now: DateTime<Utc>,
) -> AppResult<ScrapRequest> {
    let mut v = Validator::new();
    v.range_i64("quantity", req.quantity.into(), 1, MAX_LINE_QUANTITY.into())
        .text("reason", &req.reason, MAX_TEXT);
    v.finish()?;
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    let part = match part::Entity::find_by_id(req.part_id).one(db).await? {
        Some(p) if p.active => p,
        Some(_) => {
            return Err(AppError::field(
                "part_id",
                format!("part {} is deactivated", req.part_id),
            ));
        }
        None => {
            return Err(AppError::field(
                "part_id",
                format!("part {} does not exist", req.part_id),
            ));
        }
    };
    let mut v = Validator::new();
    serials::check_line(&mut v, "", &part, req.quantity, &req.serials);
    v.finish()?;
    serials::check_placed(
        db,
        req.part_id,
        &req.serials,
        Location::warehouse(req.warehouse_id),
        req.condition,
        false,
    )
    .await?;
    let key = BalanceKey {
        part_id: req.part_id,
        warehouse_id: req.warehouse_id,
        condition: req.condition,
    };
    let available = balances::available(db, key).await?;
    if available < req.quantity {
        return Err(AppError::short(
            req.part_id,
            req.warehouse_id,
            req.condition,
            req.quantity.into(),
            available.into(),
        ));
    }
    let unit_cost = Money::from_db(&part.unit_cost)?.amount();
    let value = (unit_cost * Decimal::from(req.quantity)).normalize();
    let r = scrap_request::ActiveModel {
        warehouse_id: Set(req.warehouse_id),
        part_id: Set(req.part_id),
        quantity: Set(req.quantity),
        condition: Set(req.condition),
        reason: Set(req.reason),
        value: Set(value.to_string()),
        currency: Set(part.currency.clone()),
        status: Set(ScrapStatus::Requested),
        requested_by: Set(actor_id),
        requested_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_note: Set(String::new()),
        certificate_number: Set(None),
        document_id: Set(None),
        serials: Set(serials::encode(&req.serials)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    from_row(r)
}

/// Deciding a requested scrap: `to`, by `actor_id` with `note`, at `now`.
fn decision(
    r: &scrap_request::Model,
    action: &'static str,
    to: ScrapStatus,
    actor_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Transition<scrap_request::Entity> {
    Transition::new(r.id, &[ScrapStatus::Requested], to, action)
        .set(S::DecidedBy, actor_id)
        .set(S::DecidedAt, now)
        .set(S::DecisionNote, note)
}

fn check_note(note: &str) -> AppResult<()> {
    let mut v = Validator::new();
    v.optional_text("note", note, MAX_TEXT);
    Ok(v.finish()?)
}

/// Approves a request: moves the units to scrap in one `scrap` document
/// and issues the certificate. The requester may not approve their own
/// request (409 `conflict`); a second approval is 409 `invalid_transition`.
pub async fn approve(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    body: DecisionBody,
    now: DateTime<Utc>,
) -> AppResult<ScrapRequest> {
    check_note(&body.note)?;
    let r = row(db, id).await?;
    if r.status != ScrapStatus::Requested {
        return Err(refusal::<scrap_request::Entity>(&r, "approve"));
    }
    if r.requested_by == actor_id {
        return Err(AppError::Conflict(format!(
            "scrap request {id} was requested by you; another planner or admin must approve it"
        )));
    }
    let number = format!("SC-{}-{:06}", now.year(), r.id);
    decision(
        &r,
        "approve",
        ScrapStatus::Approved,
        actor_id,
        &body.note,
        now,
    )
    .set(S::CertificateNumber, number.clone())
    .apply(db, now)
    .await?;
    let condition = r.condition;
    let doc = allocation::post(
        db,
        NewDocument {
            doc_type: DocumentType::Scrap,
            warehouse_id: Some(r.warehouse_id),
            reference: number.clone(),
            reason: r.reason.clone(),
            counterparty: "scrap".to_owned(),
            counterparty_id: Some(r.id),
            reverses_document_id: None,
            actor_id,
        },
        vec![NewMovement {
            part_id: r.part_id,
            quantity: r.quantity,
            from: Location::warehouse(r.warehouse_id),
            from_condition: condition,
            to: Location::virtual_(LocationKind::Scrap, None),
            to_condition: condition,
            movement_type: MovementType::Scrap,
            from_reserved: false,
            reverses_movement_id: None,
            serials: serials::decode(&r.serials)?,
        }],
        now,
    )
    .await?;
    let stmt = Query::update()
        .table(scrap_request::Entity)
        .value(S::DocumentId, doc.id)
        .and_where(Expr::col(S::Id).eq(id))
        .to_owned();
    db.execute(&stmt).await?;
    get(db, id).await
}

/// Rejects a request; nothing moves.
pub async fn reject(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    body: DecisionBody,
    now: DateTime<Utc>,
) -> AppResult<ScrapRequest> {
    check_note(&body.note)?;
    let r = row(db, id).await?;
    decision(
        &r,
        "reject",
        ScrapStatus::Rejected,
        actor_id,
        &body.note,
        now,
    )
    .apply(db, now)
    .await?;
    get(db, id).await
}

/// The certificate with this number.
pub async fn certificate(db: &impl ConnectionTrait, number: &str) -> AppResult<ScrapCertificate> {
    let r = scrap_request::Entity::find()
        .filter(S::CertificateNumber.eq(number))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("scrap certificate"))?;
    let part_number = part::Entity::find_by_id(r.part_id)
        .one(db)
        .await?
        .map(|p| p.part_number)
        .unwrap_or_default();
    let (Some(approved_by), Some(approved_at), Some(document_id), Some(number)) = (
        r.decided_by,
        r.decided_at,
        r.document_id,
        r.certificate_number.clone(),
    ) else {
        return Err(AppError::Internal(format!(
            "scrap request {} has a certificate but no approval",
            r.id
        )));
    };
    Ok(ScrapCertificate {
        number,
        scrap_request_id: r.id,
        warehouse_id: r.warehouse_id,
        part_id: r.part_id,
        part_number,
        quantity: r.quantity,
        condition: r.condition,
        serials: serials::decode(&r.serials)?,
        value: Money::from_db(&r.value)?.amount(),
        currency: r.currency,
        reason: r.reason,
        requested_by: r.requested_by,
        approved_by,
        approved_at,
        document_id,
    })
}

/// Filters of `GET /api/v1/scrap-requests`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScrapFilter {
    pub warehouse_id: Option<i64>,
    pub status: Option<ScrapStatus>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, f: ScrapFilter) -> AppResult<Page<ScrapRequest>> {
    let page = PageParams::checked(f.after, f.limit)?;
    let q = scrap_request::Entity::find()
        .apply_if(f.warehouse_id, |q, w| q.filter(S::WarehouseId.eq(w)))
        .apply_if(f.status, |q, s| q.filter(S::Status.eq(s)));
    page.fetch(db, q, S::Id, |r| r.id).await?.try_map(from_row)
}
