//! `spares import KIND FILE [--dry-run]`: a CSV file into the database,
//! all or nothing, as `POST /api/v1/imports/{kind}` does it, acting as the
//! admin service user [`CLI_USER`] (created on first use), who is recorded
//! as having made the changes.
use std::io::Write;
use std::path::PathBuf;

use entities::vocabulary::Role;

use super::CliError;
use crate::core::clock::Clock;
use crate::flows::imports::{self, Kind, Options};
use crate::flows::users;
use crate::http::config::{DEFAULT_IMPORT_MAX_BYTES, DatabaseArgs};
use crate::store::db;
use crate::store::error::AppError;

/// The user the command line imports as.
pub const CLI_USER: &str = "spares-import";

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// What the file holds: parts, vendors, warehouses, lanes, sla-classes,
    /// sites, installed-base, stock-levels, opening-stock, demand-history,
    /// holidays.
    #[arg(value_parser = |s: &str| s.parse::<Kind>())]
    pub kind: Kind,
    /// The CSV file: UTF-8, comma-separated, a header row naming the columns.
    pub file: PathBuf,
    /// Check every row and print what would change, then change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Create (and migrate) the database if it does not exist yet; without
    /// this a missing database is an error.
    #[arg(long)]
    pub create: bool,
    /// The largest file taken, in bytes.
    #[arg(long, env = "SPARES_IMPORT_MAX_BYTES", default_value_t = DEFAULT_IMPORT_MAX_BYTES)]
    pub import_max_bytes: u64,
}

/// Imports the file and prints the counts as JSON; every refused cell goes
/// to stderr as `line N, column: message`, and the exit code is 1.
pub async fn run(args: &ImportArgs, out: &mut impl Write) -> Result<(), CliError> {
    let file = open(args)?;
    let url = &args.database.database_url;
    let conn = if args.create {
        db::connect(url, 2).await?
    } else {
        db::connect_existing(url, 2).await?
    };
    db::migrate(&conn).await?;
    let now = Clock::system().now();
    let actor_id = users::service_user(&conn, CLI_USER, Role::Admin, now).await?;
    let options = Options {
        kind: args.kind,
        dry_run: args.dry_run,
        actor_id,
        now,
    };
    match imports::run(&conn, options, file).await {
        Ok(summary) => {
            writeln!(
                out,
                "{}",
                serde_json::to_string(&summary).unwrap_or_default()
            )?;
            Ok(())
        }
        Err(AppError::ImportRejected(rejected)) => {
            for e in &rejected.errors {
                eprintln!("line {}, {}: {}", e.row, e.column, e.message);
            }
            if rejected.truncated {
                eprintln!(
                    "(more problems; the first {} are shown)",
                    rejected.errors.len()
                );
            }
            Err(CliError::App(format!(
                "nothing was imported: {} problem(s) in {}",
                rejected.errors.len(),
                args.file.display()
            )))
        }
        Err(other) => Err(other.into()),
    }
}

/// The file, refused by its size before a byte is parsed.
fn open(args: &ImportArgs) -> Result<std::fs::File, CliError> {
    let cannot =
        |e: std::io::Error| CliError::App(format!("cannot read {}: {e}", args.file.display()));
    let size = std::fs::metadata(&args.file).map_err(cannot)?.len();
    if size > args.import_max_bytes {
        return Err(CliError::App(format!(
            "{} is {size} bytes; an import takes at most {} (--import-max-bytes)",
            args.file.display(),
            args.import_max_bytes
        )));
    }
    std::fs::File::open(&args.file).map_err(cannot)
}
