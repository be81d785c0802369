//! One serialized unit and where it is now (location and condition).
use sea_orm::entity::prelude::*;

use crate::vocabulary::{Condition, LocationKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "serial_units")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub part_id: i64,
    /// Unique per part.
    pub serial: String,
    pub location_kind: LocationKind,
    pub location_id: Option<i64>,
    pub condition: Condition,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::no_relations!();
