//! A document that posted stock movements: receipt, issue, condition
//! change, stocktake adjustment, reversal, ...
use sea_orm::entity::prelude::*;

use crate::vocabulary::DocumentType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub doc_type: DocumentType,
    pub warehouse_id: Option<i64>,
    pub reference: String,
    pub reason: String,
    /// Who is on the other side: `supplier`, `repair_vendor`, `field_return`,
    /// `site`, `other`, or empty for internal documents.
    pub counterparty: String,
    pub counterparty_id: Option<i64>,
    pub reverses_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

crate::no_relations!();
