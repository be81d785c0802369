//! Load test of the stock ledger over HTTP.
//!
//! Starts the real application in-process on a random loopback port, once
//! against a fresh SQLite file and once against a fresh PostgreSQL database,
//! seeds two warehouses, a supplier, 200 parts and opening stock through the
//! API, then for each client count runs that many concurrent clients for a
//! fixed time posting random receipts, issues and condition changes (each
//! with its own `Idempotency-Key`, one to three lines of distinct parts).
//! After each step it runs `verify` and prints one row per step.
//!
//! ```text
//! cargo bench --bench loadtest
//! SPARES_LOADTEST_SECS=5 SPARES_LOADTEST_CLIENTS=1,8,32 cargo bench --bench loadtest
//! SPARES_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench loadtest
//! SPARES_BENCH_BACKENDS=sqlite cargo bench --bench loadtest
//! ```
//!
//! A 409 `insufficient_stock` is a correct refusal, counted apart and not as
//! a posted movement. Any other non-2xx answer or transport error is an
//! error; errors and drift must both be zero.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use entities::vocabulary::Role;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use spares::core::clock::Clock;
use spares::http::config::ServeArgs;
use spares::http::server::Application;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PARTS: usize = 200;
const OPENING_STOCK: i64 = 1_000;
const MAX_LINES: usize = 3;
/// How many error bodies to print per step, so a failure explains itself.
const SHOW_ERRORS: u64 = 5;

fn env_secs() -> u64 {
    std::env::var("SPARES_LOADTEST_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s > 0)
        .unwrap_or(10)
}

fn env_clients() -> Vec<usize> {
    std::env::var("SPARES_LOADTEST_CLIENTS")
        .ok()
        .map(|s| {
            s.split(',')
                .filter_map(|c| c.trim().parse().ok())
                .filter(|c| *c > 0 && *c <= 1024)
                .collect::<Vec<usize>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| vec![1, 8, 32])
}

fn env_backends() -> (bool, bool) {
    match std::env::var("SPARES_BENCH_BACKENDS") {
        Ok(s) => (s.contains("sqlite"), s.contains("postgres")),
        Err(_) => (true, true),
    }
}

/// One row of the result table.
struct StepResult {
    backend: &'static str,
    clients: usize,
    secs: f64,
    requests: u64,
    documents: u64,
    movements: u64,
    refused: u64,
    errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    drift: usize,
    /// Movements the ledger gained during the step, to cross-check what
    /// the clients saw acknowledged.
    ledger_movements: u64,
}

/// What the clients share during a step.
struct Shared {
    client: reqwest::Client,
    base: String,
    token: String,
    warehouses: Vec<i64>,
    supplier: i64,
    parts: Vec<i64>,
    seq: AtomicU64,
    shown_errors: AtomicU64,
}

#[derive(Default)]
struct ClientTally {
    latencies_us: Vec<u64>,
    requests: u64,
    documents: u64,
    movements: u64,
    refused: u64,
    errors: u64,
}

fn distinct_parts(parts: &[i64], n: usize) -> Vec<i64> {
    let mut chosen: Vec<i64> = Vec::with_capacity(n);
    while chosen.len() < n {
        let p = parts[rand::random_range(0..parts.len())];
        if !chosen.contains(&p) {
            chosen.push(p);
        }
    }
    chosen
}

const CONDITIONS: [&str; 3] = ["good", "defective", "quarantined"];

/// A random document: (path, body).
fn random_document(s: &Shared) -> (&'static str, Value) {
    let warehouse = s.warehouses[rand::random_range(0..s.warehouses.len())];
    let n = rand::random_range(1..=MAX_LINES);
    let parts = distinct_parts(&s.parts, n);
    match rand::random_range(0..10u8) {
        // 40 %: receipts, mostly good stock.
        0..=3 => {
            let lines: Vec<Value> = parts
                .iter()
                .map(|p| {
                    let condition = if rand::random_range(0..5u8) == 0 {
                        "defective"
                    } else {
                        "good"
                    };
                    json!({"part_id": p, "quantity": rand::random_range(1..=5), "condition": condition})
                })
                .collect();
            (
                "/api/v1/stock/receipts",
                json!({"warehouse_id": warehouse, "source": "supplier", "source_id": s.supplier,
                       "reference": "LOAD", "lines": lines}),
            )
        }
        // 40 %: issues of good stock.
        4..=7 => {
            let lines: Vec<Value> = parts
                .iter()
                .map(|p| json!({"part_id": p, "quantity": rand::random_range(1..=5)}))
                .collect();
            (
                "/api/v1/stock/issues",
                json!({"warehouse_id": warehouse, "destination": "other", "reason": "load test",
                       "reference": "LOAD", "lines": lines}),
            )
        }
        // 20 %: condition changes between any two conditions.
        _ => {
            let lines: Vec<Value> = parts
                .iter()
                .map(|p| {
                    let from = rand::random_range(0..3usize);
                    let to = (from + rand::random_range(1..3usize)) % 3;
                    json!({"part_id": p, "quantity": rand::random_range(1..=3),
                           "from_condition": CONDITIONS[from], "to_condition": CONDITIONS[to]})
                })
                .collect();
            (
                "/api/v1/stock/condition-changes",
                json!({"warehouse_id": warehouse, "reason": "load test", "lines": lines}),
            )
        }
    }
}

async fn client_loop(s: Arc<Shared>, deadline: Instant) -> ClientTally {
    let mut t = ClientTally {
        latencies_us: Vec::with_capacity(16_384),
        ..Default::default()
    };
    while Instant::now() < deadline {
        let (path, body) = random_document(&s);
        let key = format!("load-{}", s.seq.fetch_add(1, Ordering::Relaxed));
        let started = Instant::now();
        let sent = s
            .client
            .post(format!("{}{}", s.base, path))
            .bearer_auth(&s.token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await;
        let outcome = match sent {
            Ok(resp) => {
                let status = resp.status();
                let bytes = resp.bytes().await;
                Ok((status, bytes))
            }
            Err(e) => Err(e),
        };
        t.latencies_us.push(started.elapsed().as_micros() as u64);
        t.requests += 1;
        match outcome {
            Ok((status, Ok(bytes))) if status.is_success() => {
                let doc: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                match doc["movements"].as_array() {
                    Some(m) => {
                        t.documents += 1;
                        t.movements += m.len() as u64;
                    }
                    None => {
                        t.errors += 1;
                        show_error(&s, &format!("{status} without movements: {doc}"));
                    }
                }
            }
            Ok((status, Ok(bytes))) => {
                let problem: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if status.as_u16() == 409 && problem["code"] == "insufficient_stock" {
                    t.refused += 1;
                } else {
                    t.errors += 1;
                    show_error(&s, &format!("{status}: {problem}"));
                }
            }
            Ok((status, Err(e))) => {
                t.errors += 1;
                show_error(&s, &format!("{status}, body unreadable: {e}"));
            }
            Err(e) => {
                t.errors += 1;
                show_error(&s, &format!("transport: {e}"));
            }
        }
    }
    t
}

fn show_error(s: &Shared, what: &str) {
    if s.shown_errors.fetch_add(1, Ordering::Relaxed) < SHOW_ERRORS {
        eprintln!("  error: {what}");
    }
}

fn percentile(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    // Nearest-rank percentile.
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1000.0
}

/// A running in-process server and what the load needs to reach it.
struct Running {
    db: DatabaseConnection,
    base: String,
    server: tokio::task::JoinHandle<()>,
}

async fn start(database_url: &str) -> Result<Running, String> {
    let mut args = ServeArgs::new(database_url, "127.0.0.1:0".parse().expect("loopback addr"));
    // The server's own knob, so the pool can be tried at other sizes.
    if let Some(n) = std::env::var("SPARES_DB_POOL_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        args.db_pool_size = n;
    }
    let app = Application::build(&args)
        .await
        .map_err(|e| format!("cannot start the app: {e}"))?;
    let base = format!("http://{}", app.addr());
    let db = app.db().clone();
    let server = tokio::spawn(async move {
        if let Err(e) = app.run_until_stopped().await {
            eprintln!("server stopped: {e}");
        }
    });
    Ok(Running { db, base, server })
}

async fn post(client: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let resp = client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {body}");
    body
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// Master data and opening stock, through the API like a real client.
async fn seed(run: &Running, client: &reqwest::Client) -> Shared {
    let admin = spares::flows::users::create_token(
        &run.db,
        "bench-admin",
        Role::Admin,
        Clock::system().now(),
    )
    .await
    .expect("admin token")
    .token;
    let clerk = spares::flows::users::create_token(
        &run.db,
        "bench-warehouse",
        Role::Warehouse,
        Clock::system().now(),
    )
    .await
    .expect("warehouse token")
    .token;
    let base = run.base.as_str();
    let depot = id(&post(
        client,
        base,
        &admin,
        "/api/v1/warehouses",
        json!({"code": "BDEP", "name": "Bench depot", "kind": "central_depot", "region": "central"}),
    )
    .await);
    let regional = id(&post(
        client,
        base,
        &admin,
        "/api/v1/warehouses",
        json!({"code": "BREG", "name": "Bench regional", "kind": "regional", "region": "north",
               "parent_id": depot}),
    )
    .await);
    let supplier = id(&post(
        client,
        base,
        &admin,
        "/api/v1/vendors",
        json!({"code": "BSUP", "name": "Bench supplier", "kind": "supplier", "lead_time_days": 30}),
    )
    .await);
    let mut parts = Vec::with_capacity(PARTS);
    for i in 0..PARTS {
        parts.push(id(&post(
            client,
            base,
            &admin,
            "/api/v1/parts",
            json!({"part_number": format!("BENCH-{i:04}"), "unit_cost": "12.50", "kind": "repairable"}),
        )
        .await));
    }
    for warehouse in [depot, regional] {
        let lines: Vec<Value> = parts
            .iter()
            .map(|p| json!({"part_id": p, "quantity": OPENING_STOCK}))
            .collect();
        post(
            client,
            base,
            &clerk,
            "/api/v1/stock/receipts",
            json!({"warehouse_id": warehouse, "source": "supplier", "source_id": supplier,
                   "reference": "OPENING", "lines": lines}),
        )
        .await;
    }
    Shared {
        client: client.clone(),
        base: run.base.clone(),
        token: clerk,
        warehouses: vec![depot, regional],
        supplier,
        parts,
        seq: AtomicU64::new(0),
        shown_errors: AtomicU64::new(0),
    }
}

async fn run_backend(
    backend: &'static str,
    database_url: &str,
    steps: &[usize],
    secs: u64,
) -> Vec<StepResult> {
    let run = match start(database_url).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{backend}: {e}; skipped");
            return Vec::new();
        }
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    let shared = Arc::new(seed(&run, &client).await);
    let mut before = spares::store::verify::verify(&run.db)
        .await
        .expect("verify after seeding");
    assert!(before.ok, "drift after seeding: {:?}", before.drift);

    let mut results = Vec::new();
    for &clients in steps {
        eprintln!("{backend}: {clients} client(s) for {secs} s ...");
        shared.shown_errors.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let deadline = started + Duration::from_secs(secs);
        let tasks: Vec<_> = (0..clients)
            .map(|_| tokio::spawn(client_loop(shared.clone(), deadline)))
            .collect();
        let mut all = ClientTally::default();
        for task in tasks {
            let t = task.await.expect("client task");
            all.latencies_us.extend(t.latencies_us);
            all.requests += t.requests;
            all.documents += t.documents;
            all.movements += t.movements;
            all.refused += t.refused;
            all.errors += t.errors;
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.latencies_us.sort_unstable();
        let report = spares::store::verify::verify(&run.db)
            .await
            .expect("verify after the step");
        let ledger_movements = report.movements - before.movements;
        results.push(StepResult {
            backend,
            clients,
            secs: elapsed,
            requests: all.requests,
            documents: all.documents,
            movements: all.movements,
            refused: all.refused,
            errors: all.errors,
            p50_ms: percentile(&all.latencies_us, 50.0),
            p99_ms: percentile(&all.latencies_us, 99.0),
            max_ms: all.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0,
            drift: report.drift.len(),
            ledger_movements,
        });
        if !report.ok {
            for d in report.drift.iter().take(10) {
                eprintln!("  DRIFT {d:?}");
            }
        }
        before = report;
    }
    run.server.abort();
    let _ = run.server.await;
    let _ = run.db.close().await;
    results
}

async fn postgres_database(
    admin_url: &str,
) -> Result<(DatabaseConnection, String, String), String> {
    let admin = tokio::time::timeout(
        Duration::from_secs(5),
        sea_orm::Database::connect(admin_url),
    )
    .await
    .map_err(|_| "timed out connecting".to_owned())?
    .map_err(|e| e.to_string())?;
    let name = format!(
        "spares_bench_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .map_err(|e| e.to_string())?;
    let url = with_database(admin_url, &name);
    Ok((admin, name, url))
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base.rfind('/') {
        Some(i) if i >= scheme_end => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

fn print_table(results: &[StepResult], secs: u64) {
    println!();
    println!(
        "Stock ledger load test: {secs} s per step, 1-{MAX_LINES} lines per document \
         (40 % receipts, 40 % issues, 20 % condition changes), Idempotency-Key on every POST"
    );
    println!();
    println!(
        "| backend | clients | requests/s | documents/s | movements/s | p50 ms | p99 ms | max ms | refused (409) | errors | drift |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            r.backend,
            r.clients,
            r.requests as f64 / r.secs,
            r.documents as f64 / r.secs,
            r.movements as f64 / r.secs,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.refused,
            r.errors,
            r.drift
        );
    }
    println!();
    for r in results {
        if r.ledger_movements != r.movements {
            println!(
                "WARNING {} {} clients: clients saw {} movements acknowledged, the ledger gained {}",
                r.backend, r.clients, r.movements, r.ledger_movements
            );
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let secs = env_secs();
    let steps = env_clients();
    let (sqlite, postgres) = env_backends();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let results = runtime.block_on(async {
        let mut results = Vec::new();
        if sqlite {
            let path = std::env::temp_dir().join(format!(
                "spares_bench_{}_{:08x}.db",
                std::process::id(),
                rand::random::<u32>()
            ));
            let url = format!("sqlite://{}", path.display());
            results.extend(run_backend("sqlite", &url, &steps, secs).await);
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if postgres {
            let admin_url = std::env::var("SPARES_BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
            match postgres_database(&admin_url).await {
                Ok((admin, name, url)) => {
                    results.extend(run_backend("postgres", &url, &steps, secs).await);
                    if let Err(e) = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                    {
                        eprintln!("could not drop bench database {name}: {e}");
                    }
                    let _ = admin.close().await;
                }
                Err(e) => {
                    println!("PostgreSQL at {admin_url} unreachable ({e}): PostgreSQL skipped")
                }
            }
        }
        results
    });
    print_table(&results, secs);
    let failed = results
        .iter()
        .any(|r| r.errors > 0 || r.drift > 0 || r.ledger_movements != r.movements);
    if failed {
        eprintln!("FAILED: errors, drift or lost acknowledged movements (see above)");
        std::process::exit(1);
    }
}
