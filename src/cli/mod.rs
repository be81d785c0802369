//! The `spares` command line: the server, migrations, token bootstrap,
//! CSV imports.
pub mod export;
pub mod forecast;
pub mod import;
pub mod logging;
pub mod plan;
pub mod policy;

use std::io::Write;

use clap::{Parser, Subcommand};
use entities::vocabulary::Role;

use crate::core::clock::Clock;
use crate::flows::users;
use crate::http::config::{DatabaseArgs, ServeArgs};
use crate::http::server::Application;
use crate::openapi_json;
use crate::store::db;

#[derive(Debug, Parser)]
#[command(
    name = "spares",
    version,
    about = "Spare-part inventory, logistics and stock planning"
)]
pub struct Cli {
    /// How log lines on stderr look: `text` for people, `json` (one object
    /// per line) for log shippers. Global, so it may follow any command:
    /// `spares serve --log-format json`.
    #[arg(
        long,
        env = "SPARES_LOG_FORMAT",
        value_enum,
        default_value_t = logging::LogFormat::Text,
        global = true
    )]
    pub log_format: logging::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (migrates first unless --no-migrate).
    Serve(ServeArgs),
    /// Bring the database schema up to date.
    Migrate(DatabaseArgs),
    /// Create, list and revoke API tokens, directly on the database.
    Token {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Create (and migrate) the database if it does not exist yet;
        /// without this a missing database is an error.
        #[arg(long, global = true)]
        create: bool,
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Rebuild every balance from the ledger; print each difference and
    /// exit non-zero on any drift.
    Verify {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Forecast every series of a wide CSV (an id column, then one column per
    /// period); prints one JSON object per line.
    Forecast(forecast::ForecastArgs),
    /// Planner's calculators: EBO, base stock, METRIC (JSON on stdout).
    Policy(policy::PolicyArgs),
    /// Recommend stock per part and warehouse for a scenario's service
    /// target, then check it by simulation (analytic and simulated service
    /// side by side).
    Plan(plan::PlanArgs),
    /// Simulate a scenario's stock policy as given: KPIs with 95 %
    /// confidence intervals.
    Simulate(plan::RunArgs),
    /// Import a CSV file (parts, vendors, warehouses, lanes, sla-classes,
    /// sites, installed-base, stock-levels, opening-stock, demand-history,
    /// holidays)
    /// in one transaction: all rows or none.
    Import(import::ImportArgs),
    /// Export a list as CSV on stdout (parts, sites, stock, movements,
    /// replacement-requests, kpis, ... or a list's API path), with its
    /// filters as NAME=VALUE.
    Export(export::ExportArgs),
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token for user NAME (created with ROLE if new); prints the
    /// token alone on stdout.
    Create {
        #[arg(long)]
        role: Role,
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

/// A failed command: its message goes to stderr and the exit code is 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Start(#[from] crate::http::server::StartError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    App(String),
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Policy(#[from] policy::PolicyCliError),
    #[error("{0}")]
    Forecast(#[from] forecast::ForecastCliError),
    #[error("{0}")]
    Plan(#[from] crate::core::plan::PlanError),
}

impl CliError {
    /// The reader of our output went away (`spares forecast ... | head`):
    /// not a failure of the command.
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            CliError::Io(e) => Some(e),
            CliError::Forecast(forecast::ForecastCliError::Output(e)) => Some(e),
            CliError::Plan(crate::core::plan::PlanError::Output(e)) => Some(e),
            _ => None,
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl From<crate::store::error::AppError> for CliError {
    fn from(e: crate::store::error::AppError) -> Self {
        match e {
            crate::store::error::AppError::Validation(errors) => CliError::App(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => CliError::App(other.to_string()),
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Serve(args) => {
            let app = Application::build(&args).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate(args) => {
            let conn = db::connect(&args.database_url, 1).await?;
            db::migrate(&conn).await?;
            eprintln!("migrations applied");
        }
        Command::Token {
            database,
            create,
            action,
        } => {
            let url = &database.database_url;
            let conn = if create {
                db::connect(url, 1).await?
            } else {
                db::connect_existing(url, 1).await?
            };
            db::migrate(&conn).await?;
            eprintln!("using the database {url}");
            match action {
                TokenAction::Create { role, name } => {
                    let token =
                        users::create_token(&conn, &name, role, Clock::system().now()).await?;
                    writeln!(out, "{}", token.token)?;
                }
                TokenAction::List => {
                    writeln!(
                        out,
                        "{:<6} {:<14} {:<10} {:<24} {:<12} created",
                        "id", "prefix", "role", "user", "state"
                    )?;
                    for t in users::list_tokens(&conn).await? {
                        let state = if t.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        };
                        writeln!(
                            out,
                            "{:<6} {:<14} {:<10} {:<24} {:<12} {}",
                            t.id,
                            t.prefix,
                            t.role,
                            t.user_name,
                            state,
                            t.created_at.to_rfc3339()
                        )?;
                    }
                }
                TokenAction::Revoke { id } => {
                    let t = users::revoke_token(&conn, id, Clock::system().now()).await?;
                    eprintln!("token {} ({}) of {} revoked", t.id, t.prefix, t.user_name);
                }
            }
        }
        Command::Verify { database, json } => {
            let conn = db::connect_existing(&database.database_url, 1).await?;
            db::migrate(&conn).await?;
            let report = crate::store::verify::verify(&conn).await?;
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                )?;
            } else {
                writeln!(
                    out,
                    "checked {} movements, {} balances, {} parts",
                    report.movements, report.balances, report.parts
                )?;
                for d in &report.drift {
                    writeln!(
                        out,
                        "DRIFT {:<12} part {:<8} {:<28} ledger {:>8} balance {:>8}",
                        d.check,
                        d.part_id,
                        d.location.as_deref().unwrap_or("-"),
                        d.expected,
                        d.actual
                    )?;
                }
                writeln!(
                    out,
                    "{}",
                    if report.ok {
                        "ledger and balances agree"
                    } else {
                        "DRIFT FOUND"
                    }
                )?;
            }
            if !report.ok {
                return Err(CliError::App(format!(
                    "{} differences between ledger and balances",
                    report.drift.len()
                )));
            }
        }
        Command::Policy(args) => policy::run(&args, &mut out)?,
        Command::Forecast(args) => forecast::run(&args, &mut out)?,
        Command::Plan(args) => plan::plan(&args, &mut out)?,
        Command::Simulate(args) => plan::simulate(&args, &mut out)?,
        Command::Import(args) => import::run(&args, &mut out).await?,
        Command::Export(args) => export::run(&args, &mut out).await?,
        Command::Openapi => {
            writeln!(out, "{}", openapi_json())?;
        }
    }
    Ok(())
}
