//! METRIC marginal analysis at fleet scale: 1,000 parts × 50 warehouses (one
//! depot + 49 bases), one system-wide target. The budget is under 2
//! seconds for the whole optimisation.
//!
//! Rates are random but seeded (splitmix64, no `rand`), shaped like a spare
//! parts catalogue: network failure rates log-uniform over 0.01-2 per day,
//! bases of uneven size, order-and-ship times of 0.5-5 days, depot repair of
//! 5-30 days, unit costs log-uniform over 20-20,000.
//!
//! Measured on the 2-core dev machine (`cargo bench --bench metric`), seed 7:
//! fill rate 0.95 (60,421 units) 81 ms, total base EBO 10 (73,342 units)
//! 97 ms with the machine otherwise quiet; 184 / 228 ms, and VARI-METRIC at
//! fill rate 0.95 275 ms, while another engineer's build held both cores.
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use spares::core::policy::metric::{MetricSystem, PipelineModel};
use spares::core::policy::multi_part::{MultiPartOptions, PartSpec, optimise_parts};
use spares::core::policy::optimise::StopRule;

const PARTS: usize = 1_000;
const BASES: usize = 49;

/// splitmix64 (Steele, Lea & Flood 2014): tiny, seeded, good enough here.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }
    fn log_uniform(&mut self, low: f64, high: f64) -> f64 {
        (low.ln() + (high.ln() - low.ln()) * self.unit()).exp()
    }
}

fn catalogue(seed: u64) -> Vec<PartSpec> {
    let mut rng = SplitMix(seed);
    let base_size: Vec<f64> = (0..BASES).map(|_| rng.uniform(0.2, 1.8)).collect();
    let size_total: f64 = base_size.iter().sum();
    let ship_time: Vec<f64> = (0..BASES).map(|_| rng.uniform(0.5, 5.0)).collect();
    (0..PARTS)
        .map(|_| {
            let network_rate = rng.log_uniform(0.01, 2.0);
            let rates = base_size
                .iter()
                .map(|size| network_rate * size / size_total * rng.uniform(0.5, 1.5))
                .collect();
            let system =
                MetricSystem::new(rates, ship_time.clone(), rng.uniform(5.0, 30.0)).unwrap();
            PartSpec {
                system,
                unit_cost: rng.log_uniform(20.0, 20_000.0),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let parts = catalogue(7);
    let targets = [
        (
            "fill_rate_0.95",
            PipelineModel::Metric,
            StopRule::FillRate(0.95),
        ),
        (
            "total_base_ebo_10",
            PipelineModel::Metric,
            StopRule::TotalBaseEbo(10.0),
        ),
        (
            "vari_metric_fill_rate_0.95",
            PipelineModel::VariMetric,
            StopRule::FillRate(0.95),
        ),
    ];
    for (name, model, stop) in targets {
        let options = MultiPartOptions {
            model,
            ..MultiPartOptions::new(stop)
        };
        let result = optimise_parts(&parts, &options).unwrap();
        eprintln!(
            "{name}: {} units, cost {:.0}, total base EBO {:.3} (from {:.1}), fill rate {:.4}",
            result.frontier.len(),
            result.cost,
            result.total_base_ebo,
            result.initial_total_base_ebo,
            result.fill_rate
        );
        c.bench_function(&format!("metric_1000x50_{name}"), |b| {
            b.iter(|| optimise_parts(black_box(&parts), black_box(&options)).unwrap())
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    targets = bench
}
criterion_main!(benches);
