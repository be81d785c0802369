//! A client's `Idempotency-Key`, claimed before the write it protects and
//! completed with the stored response in the same transaction as that write.
use sea_orm::entity::prelude::*;

use crate::vocabulary::IdempotencyState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub key: String,
    /// SHA-256 of method, path and body: a reuse with another body is refused.
    pub request_hash: String,
    pub state: IdempotencyState,
    pub response_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

crate::no_relations!();
