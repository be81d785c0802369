//! A request to scrap stock, its decision and, once approved, its
//! certificate.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{Condition, ScrapStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scrap_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub warehouse_id: i64,
    pub part_id: i64,
    pub quantity: i32,
    pub condition: Condition,
    pub reason: String,
    /// Decimal string, see the crate doc: quantity x unit cost at request.
    pub value: String,
    pub currency: String,
    pub status: ScrapStatus,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: String,
    #[sea_orm(unique)]
    pub certificate_number: Option<String>,
    pub document_id: Option<i64>,
    /// The serials of a serialized part, a JSON array of strings.
    pub serials: String,
}

crate::no_relations!();
