//! Runtime configuration: command-line flags win over `SPARES_*` (and
//! `DATABASE_URL`) environment variables, which win over the defaults here.
use std::net::SocketAddr;
use std::time::Duration;

/// The embedded default: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://spares.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The largest CSV file an import takes unless configured: 50 MiB.
pub const DEFAULT_IMPORT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// Where the data lives.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (default `spares.db`, created on first
    /// use) or `postgres://user@host/db`.
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// Settings of `spares serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SPARES_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Do not run migrations at start-up (run `spares migrate` yourself).
    #[arg(long, env = "SPARES_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Build the demo on an empty database: a network with two years of
    /// history up to now (a database holding the demo starts as it is; one
    /// holding other data is refused).
    #[arg(long, env = "SPARES_DEMO")]
    pub demo: bool,
    /// The demo's seed: the same seed builds the same history.
    #[arg(long, env = "SPARES_DEMO_SEED", default_value_t = crate::flows::demo::DEFAULT_SEED)]
    pub demo_seed: u64,
    /// Seconds a request may run before it is answered 408 (also bounds
    /// graceful shutdown).
    #[arg(long, env = "SPARES_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "SPARES_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest CSV file `POST /api/v1/imports/{kind}` takes, in bytes (the
    /// JSON body limit does not apply to imports).
    #[arg(long, env = "SPARES_IMPORT_MAX_BYTES", default_value_t = DEFAULT_IMPORT_MAX_BYTES)]
    pub import_max_bytes: u64,
    /// Database connection pool size.
    #[arg(long, env = "SPARES_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,
    /// Seconds a planning job's claim holds without renewal; a job whose
    /// server stops renewing it for this long is run again elsewhere.
    #[arg(long, env = "SPARES_JOB_LEASE_SECS", default_value_t = 30)]
    pub job_lease_secs: u64,
}

impl ServeArgs {
    /// Settings for a server on `bind` over `database_url`, all else default;
    /// tests and embedders use this instead of parsing flags.
    pub fn new(database_url: impl Into<String>, bind: SocketAddr) -> Self {
        Self {
            database: DatabaseArgs {
                database_url: database_url.into(),
            },
            bind,
            no_migrate: false,
            demo: false,
            demo_seed: crate::flows::demo::DEFAULT_SEED,
            request_timeout_secs: 30,
            max_body_bytes: 1024 * 1024,
            import_max_bytes: DEFAULT_IMPORT_MAX_BYTES,
            db_pool_size: 16,
            job_lease_secs: 30,
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    pub fn job_lease(&self) -> Duration {
        Duration::from_secs(self.job_lease_secs.max(1))
    }
}
