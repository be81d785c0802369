//! Forecast throughput: the nine method configurations of
//! `tests/data/oracles/forecast-carparts-0-999.jsonl` over all 2,674 carparts series.
//!
//! The CSV is parsed once, outside the timed loop. Two ways of calling the engine are
//! measured: one `forecast_many` batch per method (what the CLI and service do) and one
//! `forecast_one` call per series and method. After criterion's measurements the bench
//! times both passes itself, runs `benches/statsforecast_bench.py` (the same
//! work in statsforecast 2.1.1) and prints both rates and their ratio. Set
//! `SPARES_BENCH_PYTHON` to choose the interpreter (default `python3`), or
//! `SPARES_BENCH_SKIP_PYTHON=1` to skip the statsforecast run. See `README-forecast.md`.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use spares::core::forecast::Method;
use spares::core::forecast::series::read_wide_csv;

const CARPARTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/carparts.csv");
const PEER_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/statsforecast_bench.py"
);

/// The oracle file's nine configurations, in its order.
fn configurations() -> [Method; 9] {
    [
        Method::Croston,
        Method::Sba,
        Method::CrostonOpt,
        Method::Tsb {
            alpha_d: 0.1,
            alpha_p: 0.1,
        },
        Method::Tsb {
            alpha_d: 0.3,
            alpha_p: 0.05,
        },
        Method::Adida,
        Method::Imapa,
        Method::Ses { alpha: 0.1 },
        Method::SesOpt,
    ]
}

fn carparts() -> Vec<Vec<f64>> {
    let file = std::fs::File::open(CARPARTS).expect("tests/data/carparts.csv is readable");
    read_wide_csv(file)
        .expect("carparts.csv parses")
        .into_iter()
        .map(|series| series.values)
        .collect()
}

/// One pass, one call per series and method: every configuration on every series.
fn forecast_each(methods: &[Method], series: &[Vec<f64>]) -> f64 {
    let mut total = 0.0;
    for method in methods {
        for y in series {
            total += method.forecast_one(black_box(y));
        }
    }
    total
}

/// One pass, one batch call per method (`Method::forecast_many`).
fn forecast_batched(methods: &[Method], series: &[Vec<f64>]) -> f64 {
    let mut total = 0.0;
    for method in methods {
        total += method.forecast_many(black_box(series)).iter().sum::<f64>();
    }
    total
}

type Pass = fn(&[Method], &[Vec<f64>]) -> f64;

fn bench_carparts(c: &mut Criterion) {
    let series = carparts();
    let methods = configurations();
    let mut group = c.benchmark_group("carparts");
    group.throughput(Throughput::Elements((series.len() * methods.len()) as u64));
    group.bench_function("nine_methods_batched", |b| {
        b.iter(|| forecast_batched(&methods, &series))
    });
    group.bench_function("nine_methods_one_call_per_series", |b| {
        b.iter(|| forecast_each(&methods, &series))
    });
    group.finish();

    let mut group = c.benchmark_group("carparts_per_method_batched");
    group.throughput(Throughput::Elements(series.len() as u64));
    for (index, method) in methods.iter().enumerate() {
        let name = format!("{index}_{}", method.name());
        group.bench_function(name, |b| {
            b.iter(|| forecast_batched(std::slice::from_ref(method), &series))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_carparts);

/// CPU time this thread has used so far, from Linux's `/proc/thread-self/schedstat`
/// (`None` elsewhere). On a machine shared with other work, wall-clock rates measure
/// the share of the processor we were given as much as our own speed.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}

/// Forecasts per second of a nine-method `pass` over `passes` timed passes after a
/// warm-up pass.
fn spares_rate(pass: Pass, passes: usize) -> Rate {
    let series = carparts();
    let methods = configurations();
    let forecasts = (series.len() * methods.len()) as f64;
    black_box(pass(&methods, &series));
    let cpu_start = thread_cpu_seconds();
    let mut seconds: Vec<f64> = (0..passes.max(1))
        .map(|_| {
            let start = Instant::now();
            black_box(pass(&methods, &series));
            start.elapsed().as_secs_f64()
        })
        .collect();
    let cpu_per_pass = cpu_start
        .zip(thread_cpu_seconds())
        .map(|(start, end)| (end - start) / seconds.len() as f64);
    seconds.sort_by(f64::total_cmp);
    Rate {
        best: forecasts / seconds[0],
        median: forecasts / seconds[seconds.len() / 2],
        cpu: cpu_per_pass.map(|cpu| forecasts / cpu),
    }
}

/// Forecasts per second: best and median pass by the wall clock, and by CPU time used
/// (mean over the passes) where it can be measured.
struct Rate {
    best: f64,
    median: f64,
    cpu: Option<f64>,
}

/// Runs the statsforecast script and returns its rates.
fn statsforecast_rate() -> Result<Rate, String> {
    let python = std::env::var("SPARES_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = Command::new(&python)
        .arg(Path::new(PEER_SCRIPT))
        .args(["--json", "--reps", "10"])
        .output()
        .map_err(|error| format!("cannot run {python}: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("no message");
        return Err(format!("{python} {PEER_SCRIPT} failed: {last}"));
    }
    let result: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("unexpected statsforecast output: {error}"))?;
    let rate = |key: &str| {
        result[key]
            .as_f64()
            .ok_or_else(|| format!("statsforecast output lacks {key}"))
    };
    Ok(Rate {
        best: rate("best_forecasts_per_second")?,
        median: rate("median_forecasts_per_second")?,
        cpu: rate("cpu_forecasts_per_second").ok(),
    })
}

fn compare_with_statsforecast() {
    let batched = spares_rate(forecast_batched, 30);
    let each = spares_rate(forecast_each, 30);
    println!("\nnine configurations x 2,674 carparts series, forecasts per second");
    println!(
        "{:<30} {:>12} {:>12} {:>12}",
        "", "best", "median", "CPU time"
    );
    let show = |value: Option<f64>, format: fn(f64) -> String| {
        value.map_or_else(|| "-".to_owned(), format)
    };
    let row = |name: &str, rate: &Rate| {
        println!(
            "{name:<30} {:>12.0} {:>12.0} {:>12}",
            rate.best,
            rate.median,
            show(rate.cpu, |rate| format!("{rate:.0}"))
        );
    };
    row("spares, batched (30 passes)", &batched);
    row("spares, one call per series", &each);
    if std::env::var_os("SPARES_BENCH_SKIP_PYTHON").is_some() {
        println!("statsforecast comparison skipped: SPARES_BENCH_SKIP_PYTHON is set");
        return;
    }
    match statsforecast_rate() {
        Ok(peer) => {
            row("statsforecast (10 passes)", &peer);
            let ratio = |name: &str, rate: &Rate| {
                let cpu = rate.cpu.zip(peer.cpu).map(|(ours, theirs)| ours / theirs);
                println!(
                    "{name:<30} {:>11.1}x {:>11.1}x {:>12}",
                    rate.best / peer.best,
                    rate.median / peer.median,
                    show(cpu, |ratio| format!("{ratio:.1}x"))
                );
            };
            ratio("ratio, batched", &batched);
            ratio("ratio, one call per series", &each);
            println!("(target: batched >= 20x)");
        }
        Err(reason) => println!("statsforecast comparison skipped: {reason}"),
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion then
    // only checks that each benchmark runs), and the comparison is skipped.
    if std::env::args().any(|arg| arg == "--bench") {
        compare_with_statsforecast();
    }
}
