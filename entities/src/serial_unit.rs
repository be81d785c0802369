//! One serialized unit and where it is now (location and condition).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "serial_units")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub part_id: i64,
    /// Unique per part.
    pub serial: String,
    /// A location kind as the ledger names it (`warehouse`, `in_transit`, ...).
    pub location_kind: String,
    pub location_id: Option<i64>,
    /// `good`, `defective` or `quarantined`.
    pub condition: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
