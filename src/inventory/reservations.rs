//! Reservations: units held for a purpose (a replacement request, a
//! transfer, a work order) so nobody else issues them, until released or
//! consumed by an issue.
//!
//! Each status change is a conditional update on `status = 'active'`, so a
//! reservation is released or consumed once, whatever the concurrency.
use chrono::Utc;
use entities::reservation::{self, Column as R};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::balances::{self, BalanceKey};
use super::documents::{IssueDestination, issue_destination};
use super::ledger::{self, Document, NewDocument, NewMovement};
use super::{active_parts, active_warehouse, serials};
use crate::domain::Validator;
use crate::domain::stock::{Condition, DocumentType, Location, MAX_LINE_QUANTITY, MovementType};
use crate::domain::validate::{MAX_NAME, MAX_TEXT};
use crate::error::{AppError, AppResult};
use crate::master::{Page, PageParams};

/// Body of `POST /api/v1/stock/reservations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    pub warehouse_id: i64,
    pub part_id: i64,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i32,
    #[serde(default = "good")]
    pub condition: Condition,
    /// What the units are held for, e.g. `ticket INC-4711`.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
}

fn good() -> Condition {
    Condition::Good
}

/// Body of `POST /api/v1/stock/reservations/{id}/consume`: issue the held
/// units.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumeRequest {
    pub destination: IssueDestination,
    pub site_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: String,
    /// For a serialized part: the units picked, one serial per unit.
    #[serde(default)]
    pub serials: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Active,
    Released,
    Consumed,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Released => "released",
            Self::Consumed => "consumed",
        }
    }

    fn from_db(s: &str) -> AppResult<Self> {
        match s {
            "active" => Ok(Self::Active),
            "released" => Ok(Self::Released),
            "consumed" => Ok(Self::Consumed),
            other => Err(AppError::Internal(format!(
                "stored reservation status `{other}`"
            ))),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reservation {
    pub id: i64,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub condition: Condition,
    pub quantity: i32,
    pub status: ReservationStatus,
    pub reference: String,
    pub consumed_by_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: chrono::DateTime<Utc>,
    pub closed_at: Option<chrono::DateTime<Utc>>,
}

impl Reservation {
    fn from_row(r: reservation::Model) -> AppResult<Reservation> {
        Ok(Reservation {
            condition: Condition::from_db(&r.condition)?,
            status: ReservationStatus::from_db(&r.status)?,
            id: r.id,
            part_id: r.part_id,
            warehouse_id: r.warehouse_id,
            quantity: r.quantity,
            reference: r.reference,
            consumed_by_document_id: r.consumed_by_document_id,
            created_by: r.created_by,
            created_at: r.created_at,
            closed_at: r.closed_at,
        })
    }

    fn key(&self) -> BalanceKey {
        BalanceKey {
            part_id: self.part_id,
            warehouse_id: self.warehouse_id,
            condition: self.condition,
        }
    }
}

pub async fn reserve(
    db: &impl ConnectionTrait,
    actor_id: i64,
    req: ReserveRequest,
) -> AppResult<Reservation> {
    let mut v = Validator::new();
    v.range_i64("quantity", req.quantity.into(), 1, MAX_LINE_QUANTITY.into())
        .optional_text("reference", &req.reference, MAX_NAME);
    v.finish()?;
    active_warehouse(db, req.warehouse_id, "warehouse_id").await?;
    active_parts(db, &[req.part_id]).await.map_err(|_| {
        AppError::field(
            "part_id",
            format!("part {} does not exist or is deactivated", req.part_id),
        )
    })?;
    let key = BalanceKey {
        part_id: req.part_id,
        warehouse_id: req.warehouse_id,
        condition: req.condition,
    };
    balances::reserve(db, key, req.quantity).await?;
    let row = reservation::ActiveModel {
        part_id: Set(req.part_id),
        warehouse_id: Set(req.warehouse_id),
        condition: Set(req.condition.as_str().to_owned()),
        quantity: Set(req.quantity),
        status: Set("active".into()),
        reference: Set(req.reference),
        consumed_by_document_id: Set(None),
        created_by: Set(actor_id),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Reservation::from_row(row)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Reservation> {
    let row = reservation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("reservation"))?;
    Reservation::from_row(row)
}

/// Moves an active reservation to `to`, or explains why it cannot.
async fn close(
    db: &impl ConnectionTrait,
    current: &Reservation,
    to: &'static str,
    action: &'static str,
    document_id: Option<i64>,
) -> AppResult<()> {
    let stmt = Query::update()
        .table(reservation::Entity)
        .value(R::Status, to)
        .value(R::ClosedAt, Utc::now())
        .value(R::ConsumedByDocumentId, document_id)
        .and_where(Expr::col(R::Id).eq(current.id))
        .and_where(Expr::col(R::Status).eq("active"))
        .to_owned();
    if db.execute(&stmt).await?.rows_affected() == 1 {
        Ok(())
    } else {
        let now = get(db, current.id).await?;
        Err(AppError::InvalidTransition {
            what: "reservation",
            action,
            current: now.status.as_str().to_owned(),
            allowed: vec![],
        })
    }
}

fn not_active(r: &Reservation, action: &'static str) -> AppError {
    AppError::InvalidTransition {
        what: "reservation",
        action,
        current: r.status.as_str().to_owned(),
        allowed: vec![],
    }
}

pub async fn release(db: &impl ConnectionTrait, id: i64) -> AppResult<Reservation> {
    let r = get(db, id).await?;
    if r.status != ReservationStatus::Active {
        return Err(not_active(&r, "release"));
    }
    close(db, &r, "released", "release", None).await?;
    balances::release(db, r.key(), r.quantity).await?;
    if r.condition == Condition::Good {
        // Released good units may fill a backordered replacement request.
        crate::requests::backorders::stock_available(db, &[r.part_id]).await?;
    }
    get(db, id).await
}

/// Issues the held units: an issue document whose movements leave from
/// reserved stock.
pub async fn consume(
    db: &impl ConnectionTrait,
    actor_id: i64,
    id: i64,
    req: ConsumeRequest,
) -> AppResult<Document> {
    let mut v = Validator::new();
    v.optional_text("reason", &req.reason, MAX_TEXT)
        .optional_text("reference", &req.reference, MAX_NAME);
    v.finish()?;
    let r = get(db, id).await?;
    if r.status != ReservationStatus::Active {
        return Err(not_active(&r, "consume"));
    }
    let (to, counterparty, counterparty_id) =
        issue_destination(db, req.destination, req.site_id).await?;
    let parts = active_parts(db, &[r.part_id]).await?;
    serials::check_request(&parts, [(r.part_id, r.quantity, req.serials.as_slice())])?;
    let reference = if req.reference.is_empty() {
        r.reference.clone()
    } else {
        req.reference
    };
    let doc = ledger::post(
        db,
        NewDocument {
            doc_type: DocumentType::Issue,
            warehouse_id: Some(r.warehouse_id),
            reference,
            reason: req.reason,
            counterparty: counterparty.to_owned(),
            counterparty_id,
            reverses_document_id: None,
            actor_id,
        },
        vec![NewMovement {
            part_id: r.part_id,
            quantity: r.quantity,
            from: Location::warehouse(r.warehouse_id),
            from_condition: r.condition,
            to,
            to_condition: r.condition,
            movement_type: MovementType::Issue,
            from_reserved: true,
            reverses_movement_id: None,
            serials: req.serials,
        }],
    )
    .await?;
    close(db, &r, "consumed", "consume", Some(doc.id)).await?;
    Ok(doc)
}

/// Filters of `GET /api/v1/stock/reservations`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReservationFilter {
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub status: Option<ReservationStatus>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(db: &impl ConnectionTrait, f: ReservationFilter) -> AppResult<Page<Reservation>> {
    let page = PageParams {
        after: f.after,
        limit: f.limit,
    };
    let mut v = Validator::new();
    page.validate(&mut v);
    v.finish()?;
    let mut q = reservation::Entity::find();
    if let Some(p) = f.part_id {
        q = q.filter(R::PartId.eq(p));
    }
    if let Some(w) = f.warehouse_id {
        q = q.filter(R::WarehouseId.eq(w));
    }
    if let Some(s) = f.status {
        q = q.filter(R::Status.eq(s.as_str()));
    }
    page.fetch(db, q, R::Id, |r| r.id)
        .await?
        .map(Reservation::from_row)
}
