//! CSV import of a large part master, as `spares import parts FILE` runs
//! it: the first import (every row created), the same file again (every
//! row unchanged) and a file with every row changed, each in a process of
//! its own so its peak memory (VmHWM) is its own.
//!
//! ```sh
//! cargo bench --bench import                     # 25k, 100k and 200k parts on SQLite
//! SPARES_IMPORT_ROWS=100000 cargo bench --bench import
//! SPARES_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench import
//! ```
//!
//! PostgreSQL runs when `SPARES_BENCH_POSTGRES_URL` is set, on a database
//! of its own that is dropped afterwards.
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use sea_orm::{ConnectionTrait, Database};
use spares::core::clock::Clock;
use spares::flows::imports::{self, Kind, Options};
use spares::flows::users;
use spares::store::db;

/// The part master sizes measured unless `SPARES_IMPORT_ROWS` names others.
const DEFAULT_ROWS: [usize; 3] = [25_000, 100_000, 200_000];

/// The three passes over one database, in this order.
const PASSES: [(&str, &str); 3] = [
    ("first", "every row created"),
    ("again", "the same file: every row unchanged"),
    ("changed", "every row's cost and description changed"),
];

fn rows_to_measure() -> Vec<usize> {
    match std::env::var("SPARES_IMPORT_ROWS") {
        Ok(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("SPARES_IMPORT_ROWS: comma-separated counts")
            })
            .collect(),
        Err(_) => DEFAULT_ROWS.to_vec(),
    }
}

/// A part master of `rows` parts, as a planner's spreadsheet would hold it.
fn write_parts(path: &Path, rows: usize, changed: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("csv file"));
    writeln!(
        out,
        "part_number,description,unit_cost,kind,criticality,annual_failure_rate,lead_time_days,serialized"
    )
    .expect("write");
    let kinds = ["repairable", "consumable"];
    let criticality = ["low", "medium", "high", "critical"];
    for i in 0..rows {
        let cost = 10 + (i * 37) % 5000 + usize::from(changed);
        let described = if changed { "revised" } else { "spare" };
        writeln!(
            out,
            "BENCH-{i:07},\"Bench {described} part {i}, rev A\",{cost}.50,{},{},0.{:02},{},{}",
            kinds[i % 2],
            criticality[i % 4],
            i % 90 + 1,
            14 + i % 100,
            i % 7 == 0
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

/// The peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// One pass, in this (child) process: imports `file` into `url` and prints
/// `seconds peak_mib created updated unchanged`.
fn child(url: &str, file: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let conn = db::connect(url, 2).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        let now = Clock::system().now();
        let actor_id = users::service_user(
            &conn,
            "bench-import",
            entities::vocabulary::Role::Admin,
            now,
        )
        .await
        .expect("user");
        let options = Options {
            kind: Kind::Parts,
            dry_run: false,
            actor_id,
            now,
        };
        let source = std::fs::File::open(file).expect("csv");
        let started = Instant::now();
        let summary = imports::run(&conn, options, source).await.expect("import");
        let seconds = started.elapsed().as_secs_f64();
        let counts = serde_json::to_value(&summary).expect("summary");
        println!(
            "{seconds:.3} {:.1} {} {} {}",
            peak_rss_mib(),
            counts["created"],
            counts["updated"],
            counts["unchanged"]
        );
    });
}

/// Runs one pass in a child process and reads its line.
fn pass(url: &str, file: &Path) -> (f64, f64, String) {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .args(["--child", url, file.to_str().expect("path")])
        .output()
        .expect("child runs");
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let seconds = fields[0].parse().expect("seconds");
    let peak = fields[1].parse().expect("peak");
    let counts = format!("{}/{}/{}", fields[2], fields[3], fields[4]);
    (seconds, peak, counts)
}

fn measure(backend: &str, url: &str, rows: usize, dir: &Path) {
    let first = dir.join(format!("parts-{rows}.csv"));
    let changed = dir.join(format!("parts-{rows}-changed.csv"));
    write_parts(&first, rows, false);
    write_parts(&changed, rows, true);
    let megabytes = std::fs::metadata(&first).map_or(0, |m| m.len()) as f64 / 1e6;
    for ((name, what), file) in PASSES.iter().zip([&first, &first, &changed]) {
        let (seconds, peak, counts) = pass(url, file);
        println!(
            "{backend:<9} {rows:>8} {megabytes:>6.1} MB  {name:<8} {seconds:>7.2} s {:>9.0} rows/s  peak {peak:>6.1} MiB  created/updated/unchanged {counts}  ({what})",
            rows as f64 / seconds
        );
    }
}

async fn postgres_database(admin_url: &str, name: &str) -> Result<String, sea_orm::DbErr> {
    let admin = Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

async fn drop_postgres_database(admin_url: &str, name: &str) {
    if let Ok(admin) = Database::connect(admin_url).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2], Path::new(&args[3]));
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let postgres = std::env::var("SPARES_BENCH_POSTGRES_URL").ok();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("backend       rows   file       pass        time        speed            memory");
    for rows in rows_to_measure() {
        let sqlite = dir.path().join(format!("import-{rows}.db"));
        measure(
            "sqlite",
            &format!("sqlite://{}?mode=rwc", sqlite.display()),
            rows,
            dir.path(),
        );
        if let Some(admin_url) = &postgres {
            let name = format!("spares_bench_import_{}_{rows}", std::process::id());
            match runtime.block_on(postgres_database(admin_url, &name)) {
                Ok(url) => measure("postgres", &url, rows, dir.path()),
                Err(e) => println!("PostgreSQL at {admin_url} unreachable ({e}): skipped"),
            }
            runtime.block_on(drop_postgres_database(admin_url, &name));
        }
    }
}
