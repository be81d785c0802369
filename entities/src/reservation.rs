//! A quantity held for a purpose until it is released or consumed.
use sea_orm::entity::prelude::*;

use crate::vocabulary::{Condition, ReservationStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub condition: Condition,
    pub quantity: i32,
    pub status: ReservationStatus,
    pub reference: String,
    pub consumed_by_document_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

crate::no_relations!();
