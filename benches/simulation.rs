//! Simulation throughput in simulated events per second, on one core and on
//! all cores (the target: at least 10 million events per second per core).
//!
//! The workloads are the shipped scenarios with their own stock policy, the
//! horizon stretched to 100 years so one replication is a long steady run
//! (warm-up and start-up cost nothing): about 1 M events per replication for
//! the data-centre fleet, 170 k for the telecom network, 40 k for the
//! long-tail fleet. An event is anything the loop processes: a failure, a
//! unit arriving at a warehouse, a repair completing, a history period.
//!
//! - `one_core/<scenario>`: one replication on one thread;
//! - `all_cores/<scenario>`: `2 × cores` replications on `cores` threads.
//!
//! Criterion prints the throughput as `elem/s` (elements = events).
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spares::core::scenario::Scenario;
use spares::core::sim::{self, RunOptions, SimModel};

const SCENARIOS: [&str; 3] = [
    "datacentre-fleet",
    "telecom-national",
    "repairable-longtail",
];

fn model(name: &str) -> SimModel {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let scenario = Scenario::from_path(std::path::Path::new(&path)).expect("scenario parses");
    let mut model = scenario.compile(&[], &path).expect("compiles").model;
    model.horizon = 36_500.0;
    model.warmup = 365.0;
    model
}

fn events(model: &SimModel, options: RunOptions) -> u64 {
    sim::run_replications(model, options, &|| {})
        .expect("runs")
        .iter()
        .map(|r| r.events)
        .sum()
}

fn bench(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("simulation");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    for name in SCENARIOS {
        let model = model(name);
        let one = RunOptions {
            replications: 1,
            seed: 1,
            threads: 1,
        };
        group.throughput(Throughput::Elements(events(&model, one)));
        group.bench_with_input(BenchmarkId::new("one_core", name), &model, |b, model| {
            b.iter(|| black_box(sim::run_replications(model, one, &|| {}).expect("runs")))
        });
        let all = RunOptions {
            replications: 2 * cores,
            seed: 1,
            threads: cores,
        };
        group.throughput(Throughput::Elements(events(&model, all)));
        group.bench_with_input(BenchmarkId::new("all_cores", name), &model, |b, model| {
            b.iter(|| black_box(sim::run_replications(model, all, &|| {}).expect("runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
