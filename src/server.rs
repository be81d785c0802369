//! Building and running the HTTP server.
//!
//! [`Application::build`] connects, migrates, seeds and binds, then returns
//! with the bound address, so tests can ask for port 0 and learn the real
//! port before serving.
use std::net::SocketAddr;

use axum::Router;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::config::ServeArgs;
use crate::{db, demo};

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
    #[error("cannot seed the demo data: {0}")]
    Demo(String),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    db: DatabaseConnection,
}

impl Application {
    pub async fn build(args: &ServeArgs) -> Result<Application, StartError> {
        let db = db::connect(&args.database.database_url, args.db_pool_size)
            .await
            .map_err(StartError::Database)?;
        if !args.no_migrate {
            db::migrate(&db).await.map_err(StartError::Migrate)?;
        }
        if args.demo {
            demo::seed_once(&db)
                .await
                .map_err(|e| StartError::Demo(e.to_string()))?;
        }
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
        tokio::spawn(crate::planning_jobs::worker(
            db.clone(),
            format!("pid{}-{}", std::process::id(), addr),
        ));
        let state = AppState { db: db.clone() };
        let router = api::app(state, args.request_timeout(), args.max_body_bytes);
        Ok(Application {
            listener,
            router,
            addr,
            db,
        })
    }

    /// The address actually bound (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish
    /// (each is bounded by the request timeout, so draining cannot hang).
    pub async fn run_until_stopped(self) -> Result<(), StartError> {
        tracing::info!(addr = %self.addr, "spares listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(StartError::Serve)?;
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
