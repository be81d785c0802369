//! Building and running the HTTP server.
//!
//! [`Application::build`] connects, migrates, seeds and binds, then returns
//! with the bound address, so tests can ask for port 0 and learn the real
//! port before serving.
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the planning worker looks for work and renews its lease.
const JOB_POLL: Duration = Duration::from_millis(250);

use crate::flows::planning_jobs::worker::{self, WorkerConfig};
use crate::http::metrics::Metrics;
use crate::http::{self, AppState};

use crate::core::clock::Clock;
use crate::flows::demo;
use crate::http::config::ServeArgs;
use crate::http::listener::ProblemListener;
use crate::store::db;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(sea_orm::DbErr),
    #[error("cannot migrate the database: {0}")]
    Migrate(sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot build the demo: {0}")]
    Demo(String),
    #[error("cannot set up the metrics: {0}")]
    Metrics(prometheus::Error),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    db: DatabaseConnection,
    /// The planning worker, and the switch that stops it.
    worker: JoinHandle<()>,
    stop_worker: watch::Sender<bool>,
    /// How long stopping may take.
    shutdown_timeout: Duration,
    demo_members: Vec<demo::Member>,
}

impl Application {
    pub async fn build(args: &ServeArgs) -> Result<Application, StartError> {
        Self::build_with_clock(args, Clock::system()).await
    }

    /// [`Application::build`] reading the time from `clock` (tests move it).
    pub async fn build_with_clock(
        args: &ServeArgs,
        clock: Clock,
    ) -> Result<Application, StartError> {
        let metrics = Arc::new(Metrics::new().map_err(StartError::Metrics)?);
        let db = db::connect(&args.database.database_url, args.db_pool_size)
            .await
            .map_err(StartError::Database)?;
        if !args.no_migrate {
            db::migrate(&db).await.map_err(StartError::Migrate)?;
        }
        let demo_members = if args.demo {
            let opened = demo::open(&db, args.demo_seed, clock.now())
                .await
                .map_err(|e| StartError::Demo(e.to_string()))?;
            announce(&opened);
            match opened {
                demo::Opened::Built { members, .. } => members,
                demo::Opened::AlreadyThere => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let listener = TcpListener::bind(args.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: args.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: args.bind,
            source,
        })?;
        // Every instance works on the shared queue of planning jobs.
        let (stop_worker, stopped) = watch::channel(false);
        let worker = tokio::spawn(worker::worker(
            db.clone(),
            WorkerConfig {
                name: format!("pid{}-{}", std::process::id(), addr),
                lease: args.job_lease(),
                poll: JOB_POLL,
                clock: clock.clone(),
            },
            stopped,
        ));
        let state = AppState {
            db: db.clone(),
            clock,
            metrics,
            import_max_bytes: args.import_max_bytes,
        };
        let router = http::app(state, args.request_timeout(), args.max_body_bytes);
        Ok(Application {
            listener,
            router,
            addr,
            db,
            worker,
            stop_worker,
            shutdown_timeout: args.request_timeout(),
            demo_members,
        })
    }

    /// The demo's users with their tokens, when this start built the demo.
    pub fn demo_members(&self) -> &[demo::Member] {
        &self.demo_members
    }

    /// The address actually bound (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until SIGINT or SIGTERM; see [`Application::run_until`].
    pub async fn run_until_stopped(self) -> Result<(), StartError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then stops within the request timeout:
    /// it stops accepting, lets in-flight requests finish (each bounded by
    /// that timeout) and, at the same time, stops the planning worker,
    /// whose running job goes back to the queue.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        tracing::info!(addr = %self.addr, "spares listening");
        let stop_worker = self.stop_worker;
        let stopping = async move {
            stop.await;
            let _ = stop_worker.send(true);
        };
        axum::serve(ProblemListener(self.listener), self.router)
            .with_graceful_shutdown(stopping)
            .await
            .map_err(StartError::Serve)?;
        if tokio::time::timeout(self.shutdown_timeout, self.worker)
            .await
            .is_err()
        {
            tracing::warn!("the planning worker did not stop in time");
        }
        tracing::info!("spares stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining");
}

/// Tells the person starting the demo what they got: on a fresh build the
/// users' tokens, on stderr and only this once (only their hashes are
/// stored).
fn announce(opened: &demo::Opened) {
    match opened {
        demo::Opened::Built {
            members,
            tally,
            seconds,
        } => {
            tracing::info!(
                seconds = format!("{seconds:.1}"),
                requests = tally.requests,
                backordered = tally.backordered,
                transfers = tally.transfers,
                purchase_orders = tally.purchase_orders,
                repair_orders = tally.repair_orders,
                scrap_requests = tally.scrap_requests,
                stocktakes = tally.stocktakes,
                returns_to_vendor = tally.returns_to_vendor,
                "demo built: two years of operation up to now"
            );
            eprintln!("demo users (these tokens are shown only now):");
            for m in members {
                eprintln!("  {:<14} {:<9} {}", m.name, m.role.as_str(), m.token);
            }
            let exports: Vec<String> = members
                .iter()
                .map(|m| format!("{}={}", m.shell_variable(), m.token))
                .collect();
            eprintln!("for the README's examples, paste into your shell:");
            eprintln!("  export {}", exports.join(" "));
        }
        demo::Opened::AlreadyThere => tracing::info!(
            "demo: the database already holds the demo; starting it as it is \
             (its tokens were shown when it was built; `spares token create` makes new ones)"
        ),
    }
}
