//! Connecting, migrating, and running write transactions the same way on
//! SQLite and PostgreSQL.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::store::error::{AppError, AppResult};

/// The future a unit of transactional work returns; boxed so that it can
/// borrow the transaction and still be `Send` across the retry loop.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// How long SQLite waits for a competing writer before reporting busy.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a write transaction that lost a race is tried again.
const MAX_WRITE_ATTEMPTS: u32 = 8;

/// Opens a pool. SQLite files are created if missing and run in WAL mode
/// with a busy timeout, so readers never block the single writer and
/// writers queue instead of failing.
pub async fn connect(url: &str, pool_size: u32) -> Result<DatabaseConnection, DbErr> {
    open(url, pool_size, true).await
}

/// Opens a pool on a database that must exist already: a SQLite file that
/// is missing is an error naming the path, not a new empty database (a
/// command run in the wrong directory must not quietly work on nothing).
pub async fn connect_existing(url: &str, pool_size: u32) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_path(url)
        && !path.exists()
    {
        let here = std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string());
        return Err(DbErr::Custom(format!(
            "the database {url} does not exist (looked for {} from {here}); \
             give the server's database with --database-url, or --create to make a new one",
            path.display()
        )));
    }
    open(url, pool_size, false).await
}

/// The file of a SQLite URL (`sqlite://FILE`, `sqlite:FILE`), if it is
/// one and not in memory.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or("");
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

async fn open(url: &str, pool_size: u32, create: bool) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .max_connections(pool_size.max(1))
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    opts.map_sqlx_sqlite_opts(move |o| {
        o.create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true)
    });
    Database::connect(opts).await
}

/// Brings the schema up to date with the real migrator.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// One queue of writers per SQLite file in this process.
static SQLITE_WRITERS: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

/// This process's turn to write to a SQLite file; empty on PostgreSQL.
/// Hold it from before `BEGIN` until after `COMMIT`.
pub struct WriteTurn {
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Waits for this process's turn to write to `db`.
///
/// SQLite has one writer at a time, and while the lock is taken its busy
/// handler makes every other writer sleep and poll (1 ms, growing to
/// 100 ms). Under concurrent load the lock then sits idle while the waiters
/// sleep, and newcomers overtake writers that have waited longest:
/// throughput falls and the slowest requests wait for seconds. Writers of
/// one file in this process therefore queue on a fair (FIFO) async mutex
/// first, so the lock passes straight to the next in line; the busy timeout
/// still covers writers in other processes. PostgreSQL locks rows and needs
/// no turn.
pub async fn write_turn(db: &DatabaseConnection) -> AppResult<WriteTurn> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTurn { _guard: None });
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let queue = SQLITE_WRITERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(file)
        .or_default()
        .clone();
    // Bounded like the busy timeout it stands in for, so a writer that
    // somehow waits on itself fails as before instead of hanging.
    match tokio::time::timeout(SQLITE_BUSY_TIMEOUT, queue.lock_owned()).await {
        Ok(guard) => Ok(WriteTurn {
            _guard: Some(guard),
        }),
        Err(_) => Err(AppError::Contention(
            "timed out waiting for the SQLite write lock".into(),
        )),
    }
}

/// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: a deferred
/// transaction that later upgrades to a write gets SQLITE_BUSY at once
/// instead of waiting on the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = if db.get_database_backend() == DbBackend::Sqlite {
        TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        }
    } else {
        TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// Runs `work` in a write transaction and commits it, retrying the whole
/// transaction a bounded number of times when it lost a race
/// ([`AppError::Contention`]: serialization failure or deadlock on
/// PostgreSQL, busy on SQLite). `work` must therefore be safe to re-run: it
/// sees a fresh transaction each time.
pub async fn write<T, F>(db: &DatabaseConnection, mut work: F) -> AppResult<T>
where
    F: for<'c> FnMut(&'c DatabaseTransaction) -> BoxFuture<'c, AppResult<T>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = async {
            let _turn = write_turn(db).await?;
            let tx = begin_write(db).await?;
            let value = work(&tx).await?;
            tx.commit().await?;
            Ok(value)
        }
        .await;
        match result {
            Err(AppError::Contention(cause)) if attempt < MAX_WRITE_ATTEMPTS => {
                tracing::debug!(attempt, %cause, "write transaction lost a race; retrying");
                let backoff = 2u64.pow(attempt.min(6)) + u64::from(rand::random::<u8>() % 8);
                tokio::time::sleep(Duration::from_millis(backoff)).await;
            }
            other => return other,
        }
    }
}
