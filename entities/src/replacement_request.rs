//! An engineer's request for a replacement part against a service ticket,
//! with its SLA deadline, where it was sourced from and how far it got.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{Priority, RequestStatus, SourceKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replacement_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The engineer who raised it (its owner).
    pub engineer_id: i64,
    pub ticket_ref: String,
    pub site_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub priority: Priority,
    pub note: String,
    /// The failed unit's serial as the engineer typed it; not tracked.
    pub failed_serial: Option<String>,
    pub status: RequestStatus,
    pub sla_class_id: i64,
    pub requested_at: DateTimeUtc,
    pub deadline_at: DateTimeUtc,
    /// The site's serving warehouse when the request was raised.
    pub serving_warehouse_id: i64,
    pub source_warehouse_id: Option<i64>,
    pub source_kind: SourceKind,
    /// Lane cost of a lateral source, decimal string.
    pub sourcing_cost: Option<String>,
    pub sla_at_risk: bool,
    pub risk_reason: String,
    pub reservation_id: Option<i64>,
    /// The arrival promised when stock was reserved.
    pub promised_eta: Option<DateTimeUtc>,
    /// The current estimate (the shipment's once dispatched).
    pub eta: Option<DateTimeUtc>,
    /// Whether the defective unit must come back (repairable parts).
    pub return_expected: bool,
    pub issue_document_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub return_id: Option<i64>,
    pub sourced_at: Option<DateTimeUtc>,
    pub dispatched_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub returned_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
