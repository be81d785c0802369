//! A non-working day of the business calendar.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "holidays")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// ISO date `YYYY-MM-DD` in the site's local calendar.
    pub day: String,
    /// The site region it applies to; empty for every site.
    pub region: String,
    pub name: String,
    pub created_at: DateTimeUtc,
}

crate::no_relations!();
