//! Importing a company's data from spreadsheets (CSV): parts, vendors, the
//! warehouse network and its lanes, SLA classes, sites and their installed
//! base, stock levels, opening stock, demand history and holidays.
//!
//! Every kind takes the same path:
//! - the file is read on a blocking thread ([`crate::core::import::source`])
//!   and handed over in batches of [`BATCH_ROWS`] rows through a channel
//!   that holds two, so memory holds a few batches whatever the file's
//!   length;
//! - the whole file is one write transaction. Each batch is read into the
//!   fields of the JSON API, checked by the same field checks, looked up
//!   with one query per table it names, and written (new rows created,
//!   changed ones updated, identical ones left alone), so a later row sees
//!   an earlier one. The transaction commits only if no cell was refused,
//!   and never on a dry run: all or nothing;
//! - a refused cell does not stop the reading: the rows that pass are
//!   still written (and rolled back at the end) so that later rows which
//!   refer to them are judged as they would be, and the answer lists every
//!   problem of the file up to [`crate::core::import::MAX_ERRORS`];
//! - rows are named by natural key (a part's number, a warehouse's code,
//!   ...); a file that names one twice is refused on the second.
pub mod demand;
mod holidays;
pub mod levels;
mod lookup;
mod master;
mod network;
pub mod opening;
mod parts;
mod sites;
mod vendors;

use std::collections::HashMap;
use std::future::Future;
use std::io::Read;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::core::import::source::{self, Chunk, Record, SourceError};
use crate::core::import::{BATCH_ROWS, CellError, Cells, Column, Header, Rejected};
use crate::flows::master::lanes::Lane;
use crate::flows::master::parts::Part;
use crate::flows::master::sites::Site;
use crate::flows::master::sla_classes::SlaClass;
use crate::flows::master::vendors::Vendor;
use crate::flows::master::warehouses::Warehouse;
use crate::store::db;
use crate::store::error::{AppError, AppResult};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Parts,
    Vendors,
    Warehouses,
    Lanes,
    SlaClasses,
    Sites,
    InstalledBase,
    StockLevels,
    OpeningStock,
    DemandHistory,
    Holidays,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Parts,
        Kind::Vendors,
        Kind::Warehouses,
        Kind::Lanes,
        Kind::SlaClasses,
        Kind::Sites,
        Kind::InstalledBase,
        Kind::StockLevels,
        Kind::OpeningStock,
        Kind::DemandHistory,
        Kind::Holidays,
    ];

    /// The name in the URL and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Parts => "parts",
            Kind::Vendors => "vendors",
            Kind::Warehouses => "warehouses",
            Kind::Lanes => "lanes",
            Kind::SlaClasses => "sla-classes",
            Kind::Sites => "sites",
            Kind::InstalledBase => "installed-base",
            Kind::StockLevels => "stock-levels",
            Kind::OpeningStock => "opening-stock",
            Kind::DemandHistory => "demand-history",
            Kind::Holidays => "holidays",
        }
    }

    /// The columns a file of this kind may have.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Parts => parts::COLUMNS,
            Kind::Vendors => vendors::COLUMNS,
            Kind::Warehouses => network::WAREHOUSE_COLUMNS,
            Kind::Lanes => network::LANE_COLUMNS,
            Kind::SlaClasses => sites::SLA_CLASS_COLUMNS,
            Kind::Sites => sites::SITE_COLUMNS,
            Kind::InstalledBase => sites::INSTALLED_BASE_COLUMNS,
            Kind::StockLevels => levels::COLUMNS,
            Kind::OpeningStock => opening::COLUMNS,
            Kind::DemandHistory => demand::COLUMNS,
            Kind::Holidays => holidays::COLUMNS,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "`{s}` is not a kind of import; the kinds are {}",
                    names.join(", ")
                )
            })
    }
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportSummary {
    pub kind: Kind,
    /// Nothing was kept: the counts say what the import would do.
    pub dry_run: bool,
    /// Rows created (for opening stock: lines posted).
    pub created: u64,
    /// Stored rows the file changed.
    pub updated: u64,
    /// Stored rows the file names exactly as they are.
    pub unchanged: u64,
    /// Opening stock: the opening-balance documents posted, one per
    /// warehouse (reverse one with `POST /api/v1/stock/documents/{id}/reverse`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<i64>,
}

/// How to run an import.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub kind: Kind,
    /// Check and count everything, then roll back.
    pub dry_run: bool,
    /// The user the rows and documents are recorded as changed by.
    pub actor_id: i64,
    pub now: DateTime<Utc>,
}

/// Imports the CSV file `source` as `options` say, in one transaction.
pub async fn run(
    db: &DatabaseConnection,
    options: Options,
    source: impl Read + Send + 'static,
) -> AppResult<ImportSummary> {
    let (sender, mut chunks) = mpsc::channel(2);
    let reader = tokio::task::spawn_blocking(move || {
        source::read(source, BATCH_ROWS, |chunk| {
            sender.blocking_send(chunk).is_ok()
        })
    });
    let outcome = match options.kind {
        Kind::Parts => drive(master::Master::<Part>::new(), db, options, &mut chunks).await,
        Kind::Vendors => drive(master::Master::<Vendor>::new(), db, options, &mut chunks).await,
        Kind::Warehouses => {
            drive(master::Master::<Warehouse>::new(), db, options, &mut chunks).await
        }
        Kind::Lanes => drive(master::Master::<Lane>::new(), db, options, &mut chunks).await,
        Kind::SlaClasses => {
            drive(master::Master::<SlaClass>::new(), db, options, &mut chunks).await
        }
        Kind::Sites => drive(master::Master::<Site>::new(), db, options, &mut chunks).await,
        Kind::InstalledBase => drive(sites::InstalledBase, db, options, &mut chunks).await,
        Kind::StockLevels => drive(levels::StockLevels, db, options, &mut chunks).await,
        Kind::OpeningStock => {
            drive(opening::OpeningStock::default(), db, options, &mut chunks).await
        }
        Kind::DemandHistory => {
            drive(demand::DemandHistory::default(), db, options, &mut chunks).await
        }
        Kind::Holidays => drive(holidays::Holidays, db, options, &mut chunks).await,
    };
    // Whatever is left unread is not wanted: the reader stops at its next
    // batch once the channel is gone.
    drop(chunks);
    if reader.await.is_err() {
        tracing::error!("the CSV reader thread panicked");
    }
    outcome
}

/// One kind's way with a batch of rows.
pub(crate) trait Importer: Send {
    /// Checks and writes `rows`, recording problems and counts in `file`.
    fn batch(
        &mut self,
        db: &DatabaseTransaction,
        header: &Header,
        file: &mut File,
        rows: &[Record],
    ) -> impl Future<Output = AppResult<()>> + Send;

    /// Checks that need the whole file, after its last row.
    fn finish(
        &mut self,
        _db: &DatabaseTransaction,
        _file: &mut File,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }
}

/// Reads the header, then every batch in one transaction; commits when no
/// cell was refused and this is no dry run.
async fn drive<I: Importer>(
    mut importer: I,
    db: &DatabaseConnection,
    options: Options,
    chunks: &mut mpsc::Receiver<Result<Chunk, SourceError>>,
) -> AppResult<ImportSummary> {
    let header = match chunks.recv().await {
        Some(Ok(Chunk::Header(header))) => header,
        other => return Err(unread(other)),
    };
    let header = Header::read(&header, options.kind.columns()).map_err(refused)?;
    let _turn = db::write_turn(db).await?;
    let txn = db::begin_write(db).await?;
    let mut file = File::new(options);
    loop {
        match chunks.recv().await {
            Some(Ok(Chunk::Rows(rows))) => importer.batch(&txn, &header, &mut file, &rows).await?,
            Some(Ok(Chunk::End)) => break,
            other => return Err(unread(other)),
        }
        if file.rejected.is_full() {
            break;
        }
    }
    if !file.rejected.is_full() {
        importer.finish(&txn, &mut file).await?;
    }
    file.conclude(txn).await
}

/// The reader's answer when it did not hand over what comes next.
fn unread(chunk: Option<Result<Chunk, SourceError>>) -> AppError {
    match chunk {
        Some(Err(SourceError::TooLarge)) => AppError::PayloadTooLarge,
        Some(Err(SourceError::Io(cause))) => AppError::BadParameter {
            what: "file",
            detail: format!("the file could not be read to its end: {cause}"),
        },
        _ => AppError::Internal("the CSV reader stopped before the end of the file".into()),
    }
}

/// A file refused outright, with these problems.
fn refused(errors: Vec<CellError>) -> AppError {
    let mut rejected = Rejected::default();
    rejected.extend(errors);
    AppError::ImportRejected(rejected)
}

/// How a row changed the stored data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Created,
    Updated,
    Unchanged,
}

/// An earlier row of the file with a natural key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    pub line: u64,
    /// The row was refused, so nothing was written for it.
    pub refused: bool,
}

/// What one import knows of its file so far.
pub(crate) struct File {
    pub options: Options,
    summary: ImportSummary,
    pub rejected: Rejected,
    /// Every natural key named so far (a file names each row once).
    keys: HashMap<String, Seen>,
}

impl File {
    fn new(options: Options) -> File {
        File {
            options,
            summary: ImportSummary {
                kind: options.kind,
                dry_run: options.dry_run,
                created: 0,
                updated: 0,
                unchanged: 0,
                documents: Vec::new(),
            },
            rejected: Rejected::default(),
            keys: HashMap::new(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.options.now
    }

    pub fn actor_id(&self) -> i64 {
        self.options.actor_id
    }

    /// Claims natural key `key` (described as `what` in messages) for the
    /// row of `cells`; a key an earlier row claimed refuses this row on
    /// `column`.
    pub fn claim(&mut self, cells: &mut Cells, column: &str, key: &str, what: &str) -> bool {
        if let Some(seen) = self.keys.get(key) {
            cells.fail(
                column,
                format!(
                    "{what} is already on line {}; a file names each row once",
                    seen.line
                ),
            );
            return false;
        }
        self.keys.insert(
            key.to_owned(),
            Seen {
                line: cells.line(),
                refused: false,
            },
        );
        true
    }

    /// Marks the row that claimed `key` as refused.
    pub fn refuse(&mut self, key: &str) {
        if let Some(seen) = self.keys.get_mut(key) {
            seen.refused = true;
        }
    }

    /// The earlier row that claimed `key`, if one did.
    pub fn earlier(&self, key: &str) -> Option<Seen> {
        self.keys.get(key).copied()
    }

    pub fn count(&mut self, change: Change) {
        match change {
            Change::Created => self.summary.created += 1,
            Change::Updated => self.summary.updated += 1,
            Change::Unchanged => self.summary.unchanged += 1,
        }
    }

    /// Records the refused cells of a batch.
    pub fn reject(&mut self, errors: Vec<CellError>) {
        self.rejected.extend(errors);
    }

    pub fn document(&mut self, id: i64) {
        self.summary.documents.push(id);
    }

    /// Ends the transaction: refused (rolled back, every problem named),
    /// a dry run (rolled back, the counts), or committed.
    async fn conclude(self, txn: DatabaseTransaction) -> AppResult<ImportSummary> {
        if !self.rejected.is_empty() {
            txn.rollback().await?;
            return Err(AppError::ImportRejected(self.rejected));
        }
        let mut summary = self.summary;
        if self.options.dry_run {
            txn.rollback().await?;
            // Rolled back: there are no documents to name.
            summary.documents.clear();
        } else {
            txn.commit().await?;
        }
        Ok(summary)
    }
}
