//! What the database says about the service right now, read when
//! `/metrics` is scraped: the connection pool of this process, and row
//! counts grouped by a column. Counts come from the shared database rather
//! than from in-process counters, so every instance over one database
//! reports the same numbers and a restart loses nothing.
use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseConnectionType, EntityTrait, QuerySelect,
};

use crate::store::error::AppResult;

/// The connections of this process's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolGauge {
    /// Checked out by a request, a transaction or the planning worker.
    pub in_use: u64,
    /// Open and waiting to be checked out.
    pub idle: u64,
    /// The most the pool will open (`--db-pool-size`).
    pub max: u64,
}

/// The pool's connections, or `None` for a connection that has no pool.
///
/// Matches on the connection's kind instead of calling
/// `get_sqlite_connection_pool()` / `get_postgres_connection_pool()`
/// blindly: those panic on the other kind.
pub fn pool(db: &DatabaseConnection) -> Option<PoolGauge> {
    // `size()` and `num_idle()` are read one after the other, so a
    // connection checked out in between could make idle exceed size.
    let gauge = |size: u32, idle: usize, max: u32| PoolGauge {
        in_use: u64::from(size).saturating_sub(idle as u64),
        idle: idle as u64,
        max: u64::from(max),
    };
    match &db.inner {
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let p = db.get_sqlite_connection_pool();
            Some(gauge(
                p.size(),
                p.num_idle(),
                p.options().get_max_connections(),
            ))
        }
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let p = db.get_postgres_connection_pool();
            Some(gauge(
                p.size(),
                p.num_idle(),
                p.options().get_max_connections(),
            ))
        }
        _ => None,
    }
}

/// The number of rows of `E` per stored value of `column` (one
/// `GROUP BY`); values without rows are absent.
pub async fn count_by<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
) -> AppResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = E::find()
        .select_only()
        .column_as(column, "value")
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
