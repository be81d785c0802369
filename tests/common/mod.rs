//! The integration-test harness: the real application on a random port
//! against a fresh database migrated by the real migrator.
//!
//! Every test runs on SQLite; with `SPARES_TEST_POSTGRES_URL` set it also
//! runs on PostgreSQL, in a database of its own that is dropped afterwards.
//! Write a test as `async fn name(app: TestApp)` and list it in
//! `both_backends!(name, ...)`.
#![allow(dead_code)]

pub mod check;
pub mod fixtures;
pub mod master;
pub mod process;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use entities::vocabulary::Role;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;
use spares::core::clock::Clock;
use spares::http::config::ServeArgs;
use spares::http::server::Application;

pub const PG_ENV: &str = "SPARES_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique name for this test's database.
fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let r: u32 = rand::random();
    format!("spares_t_{}_{}_{:08x}", std::process::id(), n, r)
}

/// Removes the test database when the test ends, pass or fail.
enum DbGuard {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        match self {
            DbGuard::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            DbGuard::Postgres { admin_url, name } => {
                let admin_url = admin_url.clone();
                let name = name.clone();
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(db) = sea_orm::Database::connect(admin_url.as_str()).await {
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Replaces the database name at the end of a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap_or(0) + 2 => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A fresh, empty database URL for `backend`, or `None` when PostgreSQL
/// is not configured.
async fn fresh_database(backend: Backend) -> Option<(String, DbGuard)> {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
            let url = format!("sqlite://{}", path.display());
            Some((url, DbGuard::Sqlite(path)))
        }
        Backend::Postgres => {
            let admin_url = std::env::var(PG_ENV).ok()?;
            let name = unique_name();
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let _ = admin.close().await;
            Some((
                with_database(&admin_url, &name),
                DbGuard::Postgres { admin_url, name },
            ))
        }
    }
}

/// A running application with one token per role.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub client: reqwest::Client,
    pub tokens: HashMap<Role, String>,
    pub db: DatabaseConnection,
    pub database_url: String,
    /// The server's clock: real time that [`TestApp::advance`] moves ahead.
    pub clock: Clock,
    server: Option<tokio::task::JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _guard: DbGuard,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

/// A response: status and JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Resp {
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        self.body
    }

    /// The fields named by a 422's `errors`.
    pub fn fields(body: &Value) -> Vec<String> {
        body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::launch(backend, false, |_| {}).await
    }

    /// [`TestApp::start`] with settings of its own (e.g. a small import limit).
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> Option<TestApp> {
        Self::launch(backend, false, configure).await
    }

    /// `serve --demo` on a fresh database: the demo is built, and the
    /// tokens are those of the demo's users.
    pub async fn start_demo(backend: Backend) -> Option<TestApp> {
        Self::launch(backend, true, |_| {}).await
    }

    async fn launch(
        backend: Backend,
        demo: bool,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> Option<TestApp> {
        let (database_url, guard) = fresh_database(backend).await?;
        let mut args = ServeArgs::new(&database_url, "127.0.0.1:0".parse().expect("addr"));
        args.db_pool_size = 8;
        args.demo = demo;
        configure(&mut args);
        let clock = Clock::shifted();
        let app = Application::build_with_clock(&args, clock.clone())
            .await
            .expect("build application");
        let base = format!("http://{}", app.addr());
        let db = app.db().clone();
        let mut tokens: HashMap<Role, String> = app
            .demo_members()
            .iter()
            .map(|m| (m.role, m.token.clone()))
            .collect();
        for &role in Role::ALL.iter().filter(|_| !demo) {
            let t =
                spares::flows::users::create_token(&db, &format!("test-{role}"), role, clock.now())
                    .await
                    .expect("create token");
            tokens.insert(role, t.token);
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = app
                .run_until(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("http client");
        Some(TestApp {
            backend,
            base,
            client,
            tokens,
            db,
            database_url,
            clock,
            server: Some(server),
            stop: Some(stop),
            _guard: guard,
        })
    }

    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    /// Stops the in-process server as a SIGTERM would (its planning worker
    /// too), keeping the database for another server to open.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("the server stops");
        }
    }

    /// Moves the server's clock ahead, instead of waiting for real time.
    pub fn advance(&self, by: chrono::Duration) {
        assert!(self.clock.advance(by), "the test clock can be moved");
    }

    /// The server's time now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request sent");
        Self::read(resp).await
    }

    /// POSTs with an `Idempotency-Key` and an optional JSON body: the status,
    /// the JSON answer (`Null` when empty or not JSON) and whether it was
    /// replayed from the stored answer of an earlier request.
    pub async fn post_keyed(
        &self,
        role: Role,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> (u16, Value, bool) {
        let mut req = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(self.token(role))
            .header("idempotency-key", key);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request sent");
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let read = Self::read(resp).await;
        (read.status.as_u16(), read.body, replayed)
    }

    /// Sends raw bytes with a content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        role: Role,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let resp = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.token(role))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        Self::read(resp).await
    }

    fn content_type(resp: &reqwest::Response) -> String {
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }

    async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let content_type = Self::content_type(&resp);
        let bytes = resp.bytes().await.expect("response body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            body,
        }
    }

    /// GETs `path` asking for `accept`: the status, the content type and
    /// the body as text.
    pub async fn get_text(&self, role: Role, path: &str, accept: &str) -> (u16, String, String) {
        let resp = self
            .client
            .get(format!("{}{}", self.base, path))
            .bearer_auth(self.token(role))
            .header("accept", accept)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let content_type = Self::content_type(&resp);
        (
            status,
            content_type,
            resp.text().await.expect("response text"),
        )
    }

    pub async fn get(&self, role: Role, path: &str) -> Resp {
        self.send(Method::GET, path, Some(self.token(role)), None)
            .await
    }

    pub async fn post(&self, role: Role, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(self.token(role)), Some(&body))
            .await
    }

    /// POST without a body (state transitions such as `/deactivate`).
    pub async fn post_empty(&self, role: Role, path: &str) -> Resp {
        self.send(Method::POST, path, Some(self.token(role)), None)
            .await
    }

    pub async fn patch(&self, role: Role, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(self.token(role)), Some(&body))
            .await
    }

    pub async fn put(&self, role: Role, path: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(self.token(role)), Some(&body))
            .await
    }

    /// Asserts that `verify` proves every balance from the ledger.
    pub async fn assert_verified(&self) {
        let report = self
            .get(Role::Admin, "/api/v1/admin/verify")
            .await
            .expect(200);
        assert_eq!(report["ok"], true, "ledger drift: {report}");
    }

    /// The number of rows in `table`, to prove a refused request changed nothing.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("count row");
        row.try_get::<i64>("", "n").expect("count value")
    }
}

/// Runs each listed `async fn name(app: TestApp)` as two tests,
/// `name::sqlite` and `name::postgres` (the latter passes without running
/// when `SPARES_TEST_POSTGRES_URL` is unset; CI always sets it).
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use $crate::common::{Backend, TestApp};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(app) = TestApp::start(Backend::Postgres).await else {
                        eprintln!("{} not set: PostgreSQL variant skipped", $crate::common::PG_ENV);
                        return;
                    };
                    super::$name(app).await;
                }
            }
        )+
    };
}

/// Sends `n` POSTs with JSON bodies at once; the statuses and bodies.
pub async fn race(app: &TestApp, calls: Vec<(String, String, Value)>) -> Vec<(u16, Value)> {
    let mut tasks = Vec::new();
    for (path, token, body) in calls {
        let client = app.client.clone();
        let url = format!("{}{}", app.base, path);
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
