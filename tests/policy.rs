//! The analytic stock-policy library and the `spares policy` calculators,
//! checked against tests/data/oracles/policy-*.jsonl (stockpyl and scipy) and
//! against values computed independently (statrs, mpmath at 50 digits).
use std::process::{Command, Output};

use serde_json::Value;
use spares::core::policy::base_stock::{evaluate, smallest_poisson_base_stock};
use spares::core::policy::demand::LeadTimeDemand;
use spares::core::policy::metric::{MetricSystem, PipelineModel};
use spares::core::policy::multi_part::{MultiPartOptions, PartSpec, optimise_parts};
use spares::core::policy::optimise::{GreedyOptions, StopRule, optimise_part};
use spares::core::policy::reorder_point::{
    economic_order_quantity, evaluate_rq, rq_policy, smallest_reorder_point,
};
use spares::core::policy::time_based::{LateralSource, ServingWarehouse, service_within_window};
use spares::core::policy::{PolicyError, fill_rate, smallest_base_stock};

const EBO_ORACLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/oracles/policy-ebo.jsonl"
));
const BASE_STOCK_ORACLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/oracles/policy-base-stock.jsonl"
));
const METRIC_ORACLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/oracles/policy-metric.jsonl"
));

fn rows(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("oracle rows are JSON"))
        .collect()
}

fn f(value: &Value) -> f64 {
    value.as_f64().expect("a number")
}

fn u(value: &Value) -> u64 {
    value.as_u64().expect("a non-negative integer")
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().expect("an array").iter().map(f).collect()
}

fn ints(value: &Value) -> Vec<u64> {
    value.as_array().expect("an array").iter().map(u).collect()
}

/// The oracle contract: within 1e-9 relative or 1e-12 absolute.
fn close(got: f64, want: f64) -> bool {
    let diff = (got - want).abs();
    diff <= 1e-12 || diff <= 1e-9 * want.abs()
}

#[track_caller]
fn assert_close(got: f64, want: f64, what: &str) {
    assert!(close(got, want), "{what}: got {got}, want {want}");
}

fn metric_system(row: &Value) -> MetricSystem {
    MetricSystem::new(
        floats(&row["demand_rates"]),
        floats(&row["base_resupply_times"]),
        f(&row["depot_repair_time"]),
    )
    .expect("oracle networks are valid")
}

// ---------------------------------------------------------------- EBO

#[test]
fn ebo_matches_every_oracle_row() {
    let rows = rows(EBO_ORACLE);
    assert_eq!(rows.len(), 60);
    for row in rows {
        let (mu, s) = (f(&row["mu"]), u(&row["s"]));
        let got = LeadTimeDemand::poisson(mu).unwrap().expected_backorders(s);
        assert_close(got, f(&row["ebo"]), &format!("EBO mu={mu} s={s}"));
    }
}

/// Exact values (mpmath, 50 digits). In the far tail stockpyl's
/// `(mu - s) sf + mu pmf` form loses digits (its 5.0168e-14 for mu=0.0057,
/// s=4 is 0.4 % off, its 3.86e-16 for mu=129.5874, s=233 is 56 % off); the
/// direct tail sum keeps full relative precision.
#[test]
fn ebo_keeps_relative_precision_in_the_far_tail() {
    let exact = [
        (0.0057, 4, 4.995_085_625_632_479_5e-14),
        (0.0096, 5, 1.079_735_531_450_304e-15),
        (0.006, 4, 6.454_135_459_639_964e-14),
        (129.5874, 233, 2.474_770_428_755_825e-16),
        (165.0165, 229, 3.413_866_329_229_604e-6),
        (41.3836, 78, 2.637_137_232_420_096e-7),
        (1000.0, 1100, 0.008_225_346_078_638_867),
        (1000.0, 900, 100.005_392_810_741_63),
        (5000.0, 5000, 28.209_009_023_320_113),
        (0.5, 0, 0.5),
    ];
    for (mu, s, want) in exact {
        let got = LeadTimeDemand::poisson(mu).unwrap().expected_backorders(s);
        assert!(
            ((got - want) / want).abs() < 1e-12,
            "EBO mu={mu} s={s}: got {got}, want {want}"
        );
    }
}

/// statrs computes `exp(k ln mu - mu - ln k!)`, which cancels for large
/// means (relative error ~1e-11 at mu = 900), so its pmf is compared at 1e-9
/// and exact values (mpmath, 40 digits) pin the precision down.
#[test]
fn poisson_probabilities_match_statrs_and_exact_values() {
    let exact = [
        (900.0, 1060, 1.770_854_665_897_907e-8),
        (900.0, 900, 0.013_296_844_767_100_208),
        (900.0, 700, 5.254_622_982_465_274e-13),
        (5000.0, 5200, 1.067_661_202_174_840_4e-4),
        (0.0057, 6, 4.736_321_331_721_67e-17),
        (37.25, 3, 5.724_771_146_158_915e-13),
        (1234.5, 1300, 0.002_005_689_331_244_481),
    ];
    for (mu, k, want) in exact {
        let got = LeadTimeDemand::poisson(mu).unwrap().pmf(k);
        assert!(
            ((got - want) / want).abs() < 1e-13,
            "pmf mu={mu} k={k}: {got} vs {want}"
        );
    }
    use statrs::distribution::{Discrete, DiscreteCDF, Poisson};
    for mu in [0.01, 0.7, 3.0, 25.5, 140.0, 900.0] {
        let reference = Poisson::new(mu).unwrap();
        let demand = LeadTimeDemand::poisson(mu).unwrap();
        let top = (mu + 10.0 * mu.sqrt() + 10.0) as u64;
        for k in (0..top).step_by(((top / 60) as usize).max(1)) {
            let (p, want_p) = (demand.pmf(k), reference.pmf(k));
            assert!((p - want_p).abs() <= 1e-9 * want_p + 1e-300, "pmf {mu} {k}");
            let (c, want_c) = (demand.cdf(k), reference.cdf(k));
            assert!((c - want_c).abs() <= 1e-12, "cdf {mu} {k}: {c} vs {want_c}");
        }
    }
}

// ---------------------------------------------------------------- negative binomial

#[test]
fn negative_binomial_matches_statrs() {
    use statrs::distribution::{Discrete, DiscreteCDF, NegativeBinomial};
    for (mean, variance) in [(0.4, 0.9), (2.0, 3.0), (7.5, 30.0), (60.0, 150.0)] {
        let demand = LeadTimeDemand::negative_binomial(mean, variance).unwrap();
        let LeadTimeDemand::NegativeBinomial(nb) = demand else {
            panic!("variance > mean gives a negative binomial")
        };
        let reference = NegativeBinomial::new(nb.r(), nb.p()).unwrap();
        assert!((demand.mean() - mean).abs() < 1e-12 * mean);
        assert!((demand.variance() - variance).abs() < 1e-12 * variance);
        for k in 0..(mean + 12.0 * variance.sqrt()) as u64 {
            let (p, want_p) = (demand.pmf(k), reference.pmf(k));
            assert!(
                (p - want_p).abs() <= 1e-11 * want_p + 1e-300,
                "pmf {mean} {k}"
            );
            let (c, want_c) = (demand.cdf(k), reference.cdf(k));
            assert!(
                (c - want_c).abs() <= 1e-11,
                "cdf {mean} {k}: {c} vs {want_c}"
            );
        }
    }
}

/// r = 2.5, p = 0.3 (mean 35/6, variance 35/1.8); exact EBOs from mpmath.
#[test]
fn negative_binomial_ebo_matches_known_values() {
    let (r, p) = (2.5_f64, 0.3_f64);
    let mean = r * (1.0 - p) / p;
    let variance = mean / p;
    let demand = LeadTimeDemand::negative_binomial(mean, variance).unwrap();
    for (s, want) in [
        (0, 5.833_333_333_333_333),
        (3, 3.259_427_250_412_508_5),
        (10, 0.577_783_710_314_646_8),
        (40, 5.916_274_943_209_823e-5),
    ] {
        let got = demand.expected_backorders(s);
        assert!(
            ((got - want) / want).abs() < 1e-11,
            "NB EBO s={s}: {got} vs {want}"
        );
    }
}

#[test]
fn backorder_variance_matches_a_brute_force_sum() {
    for demand in [
        LeadTimeDemand::poisson(6.3).unwrap(),
        LeadTimeDemand::negative_binomial(6.3, 14.0).unwrap(),
    ] {
        for s in [0, 2, 6, 7, 15] {
            let (mut first, mut second) = (0.0, 0.0);
            for k in s + 1..400 {
                let b = (k - s) as f64;
                first += b * demand.pmf(k);
                second += b * b * demand.pmf(k);
            }
            let tail = demand.tail(s);
            assert!((tail.expected_backorders - first).abs() < 1e-12);
            assert!((tail.backorder_variance - (second - first * first)).abs() < 1e-10);
        }
    }
}

#[test]
fn fit_chooses_the_distribution_by_dispersion() {
    assert!(matches!(
        LeadTimeDemand::fit(3.0, 3.0).unwrap(),
        LeadTimeDemand::Poisson(_)
    ));
    assert!(matches!(
        LeadTimeDemand::fit(3.0, 2.0).unwrap(),
        LeadTimeDemand::Poisson(_)
    ));
    assert!(matches!(
        LeadTimeDemand::fit(3.0, 4.5).unwrap(),
        LeadTimeDemand::NegativeBinomial(_)
    ));
    assert!(LeadTimeDemand::poisson(-1.0).is_err());
    assert!(LeadTimeDemand::poisson(f64::NAN).is_err());
    assert!(LeadTimeDemand::negative_binomial(2.0, 1.0).is_err());
}

// ---------------------------------------------------------------- base stock

#[test]
fn base_stock_matches_every_oracle_row() {
    let rows = rows(BASE_STOCK_ORACLE);
    assert_eq!(rows.len(), 60);
    for row in rows {
        let (rate, lead, target) = (
            f(&row["demand_rate"]),
            f(&row["lead_time"]),
            f(&row["target_fill_rate"]),
        );
        let what = format!("rate={rate} lead={lead} target={target}");
        let level = smallest_poisson_base_stock(rate, lead, target).unwrap();
        assert_eq!(level.base_stock, u(&row["base_stock"]), "{what}");
        assert_close(level.fill_rate, f(&row["fill_rate"]), &what);
        assert_close(level.availability, f(&row["availability"]), &what);
        assert_close(level.ebo, f(&row["ebo"]), &what);
        assert_close(level.pipeline_mean, f(&row["pipeline_mean"]), &what);
        // Minimal: one unit less misses the target.
        let demand = LeadTimeDemand::poisson(rate * lead).unwrap();
        assert!(level.base_stock == 0 || fill_rate(&demand, level.base_stock - 1) < target);
    }
}

#[test]
fn base_stock_search_agrees_with_a_linear_scan() {
    for mean in [0.001, 0.2, 0.99, 1.0, 4.5, 30.0, 250.0, 2000.0] {
        let demand = LeadTimeDemand::poisson(mean).unwrap();
        for target in [0.01, 0.3, 0.5, 0.9, 0.99, 0.999_999] {
            let scan = (0..).find(|&s| fill_rate(&demand, s) >= target).unwrap();
            let found = smallest_base_stock(&demand, target).unwrap();
            assert_eq!(found.base_stock, scan, "mean {mean} target {target}");
        }
    }
}

#[test]
fn base_stock_rejects_targets_outside_the_open_unit_interval() {
    let demand = LeadTimeDemand::poisson(2.0).unwrap();
    for target in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        assert!(matches!(
            smallest_base_stock(&demand, target),
            Err(PolicyError::InvalidInput(_))
        ));
    }
    let none = LeadTimeDemand::poisson(0.0).unwrap();
    assert_eq!(smallest_base_stock(&none, 0.99).unwrap().base_stock, 0);
}

// ---------------------------------------------------------------- (R, Q)

#[test]
fn rq_with_unit_order_quantity_is_base_stock() {
    for mean in [0.05, 1.3, 8.0, 55.0] {
        let demand = LeadTimeDemand::poisson(mean).unwrap();
        for s in 0..(mean as u64 + 12) {
            let rq = evaluate_rq(&demand, s as i64 - 1, 1).unwrap();
            let base = evaluate(&demand, s);
            assert!(
                (rq.fill_rate - base.fill_rate).abs() < 1e-12,
                "fill {mean} {s}"
            );
            assert!(
                (rq.availability - base.availability).abs() < 1e-12,
                "avail {mean} {s}"
            );
            assert!((rq.ebo - base.ebo).abs() < 1e-12, "ebo {mean} {s}");
        }
        for target in [0.8, 0.95, 0.999] {
            let rq = smallest_reorder_point(&demand, 1, target).unwrap();
            let base = smallest_base_stock(&demand, target).unwrap();
            assert_eq!(
                rq.reorder_point,
                base.base_stock as i64 - 1,
                "{mean} {target}"
            );
        }
    }
}

#[test]
fn rq_meets_the_target_with_the_smallest_reorder_point() {
    let demand = LeadTimeDemand::poisson(12.0).unwrap();
    for q in [1, 5, 20, 200] {
        for target in [0.9, 0.99] {
            let policy = smallest_reorder_point(&demand, q, target).unwrap();
            assert!(policy.fill_rate >= target);
            if policy.reorder_point > -1 {
                let below = evaluate_rq(&demand, policy.reorder_point - 1, q).unwrap();
                assert!(below.fill_rate < target, "q={q} target={target}");
            }
        }
    }
    // A larger batch covers more demand, so it needs a lower reorder point.
    let small = smallest_reorder_point(&demand, 1, 0.95).unwrap();
    let large = smallest_reorder_point(&demand, 30, 0.95).unwrap();
    assert!(large.reorder_point < small.reorder_point);
}

#[test]
fn rq_policy_uses_the_economic_order_quantity() {
    // sqrt(2 · 50 · 2 / 0.25) = 28.28 -> 28
    assert_eq!(economic_order_quantity(2.0, 50.0, 0.25).unwrap(), 28);
    assert_eq!(economic_order_quantity(0.0, 50.0, 0.25).unwrap(), 1);
    assert!(economic_order_quantity(2.0, 50.0, 0.0).is_err());
    let policy = rq_policy(2.0, 10.0, 50.0, 0.25, 0.95).unwrap();
    assert_eq!(policy.order_quantity, 28);
    assert!(policy.fill_rate >= 0.95);
    assert!(policy.expected_on_hand > 0.0);
}

// ---------------------------------------------------------------- time-based service

fn serving(stock: u64) -> ServingWarehouse {
    ServingWarehouse {
        demand_rate: 0.4,
        replenishment_time: 3.0,
        base_stock: stock,
    }
}

#[test]
fn time_based_service_without_laterals_at_zero_window_is_the_fill_rate() {
    for stock in 0..6 {
        let service = service_within_window(&serving(stock), &[], 0.0).unwrap();
        let demand = LeadTimeDemand::poisson(0.4 * 3.0).unwrap();
        let want = if stock == 0 {
            0.0
        } else {
            demand.cdf(stock - 1)
        };
        assert!((service.probability - want).abs() < 1e-15, "stock {stock}");
        assert!((service.probability - fill_rate(&demand, stock)).abs() < 1e-15);
    }
}

/// FCFS with a fixed lead time: a request waits at most `u` exactly when
/// fewer than `S` of the orders placed in the last `L - u` days are open.
#[test]
fn time_based_service_follows_the_waiting_time_distribution() {
    for stock in 1..5 {
        for window in [0.5, 1.0, 2.9] {
            let service = service_within_window(&serving(stock), &[], window).unwrap();
            let open = LeadTimeDemand::poisson(0.4 * (3.0 - window)).unwrap();
            assert!((service.probability - open.cdf(stock - 1)).abs() < 1e-15);
        }
    }
    // One lateral source with its own stock, in reach: 1 - (1 - own)(1 - a).
    let lateral = LateralSource {
        demand_rate: 0.3,
        replenishment_time: 5.0,
        base_stock: 2,
        transit_time: 0.2,
    };
    let service = service_within_window(&serving(1), &[lateral], 0.5).unwrap();
    let own = LeadTimeDemand::poisson(0.4 * 2.5).unwrap().cdf(0);
    let source = LeadTimeDemand::poisson(0.3 * 4.7).unwrap().cdf(1);
    assert!((service.own - own).abs() < 1e-15);
    assert!((service.lateral[0] - source).abs() < 1e-15);
    assert!((service.probability - (1.0 - (1.0 - own) * (1.0 - source))).abs() < 1e-15);
}

#[test]
fn time_based_service_is_monotonic() {
    let laterals = [
        LateralSource {
            demand_rate: 0.2,
            replenishment_time: 2.0,
            base_stock: 1,
            transit_time: 0.25,
        },
        LateralSource {
            demand_rate: 0.5,
            replenishment_time: 4.0,
            base_stock: 3,
            transit_time: 1.0,
        },
    ];
    let mut previous = 0.0;
    for step in 0..=40 {
        let window = step as f64 * 0.1;
        let alone = service_within_window(&serving(1), &[], window).unwrap();
        let helped = service_within_window(&serving(1), &laterals, window).unwrap();
        let more_stock = service_within_window(&serving(2), &laterals, window).unwrap();
        assert!(helped.probability >= previous, "window {window}");
        assert!(helped.probability >= alone.probability);
        assert!(more_stock.probability >= helped.probability);
        // A lateral too far away for the window contributes nothing.
        if window < 0.25 {
            assert_eq!(helped.lateral, vec![0.0, 0.0]);
            assert_eq!(helped.probability, alone.probability);
        }
        previous = helped.probability;
    }
    // Once the window covers the replenishment time, every request is served.
    assert_eq!(
        service_within_window(&serving(0), &[], 3.0)
            .unwrap()
            .probability,
        1.0
    );
    assert!(service_within_window(&serving(1), &laterals, -1.0).is_err());
}

// ---------------------------------------------------------------- METRIC

#[test]
fn metric_matches_every_oracle_evaluation() {
    let rows: Vec<Value> = rows(METRIC_ORACLE)
        .into_iter()
        .filter(|row| row["kind"] == "eval")
        .collect();
    assert_eq!(rows.len(), 5);
    for row in rows {
        let system = metric_system(&row);
        let got = system
            .evaluate(
                PipelineModel::Metric,
                u(&row["depot_stock"]),
                &ints(&row["base_stock"]),
            )
            .unwrap();
        let what = format!("{row}");
        assert_close(got.depot_ebo, f(&row["depot_ebo"]), &what);
        assert_close(got.depot_delay, f(&row["depot_delay"]), &what);
        assert_close(got.total_base_ebo, f(&row["total_base_ebo"]), &what);
        let want = floats(&row["base_ebo"]);
        assert_eq!(got.base_ebo.len(), want.len());
        for (g, w) in got.base_ebo.iter().zip(&want) {
            assert_close(*g, *w, &what);
        }
    }
}

#[test]
fn vari_metric_adds_the_depot_backorder_variance() {
    let system = MetricSystem::new(vec![0.1, 0.3], vec![2.0, 1.0], 14.0).unwrap();
    let depot = system.depot_state(2).unwrap();
    let share = 0.1 / 0.4;
    let ebo = depot.tail.expected_backorders;
    let pipeline = system
        .base_pipeline(0, &depot, PipelineModel::VariMetric)
        .unwrap();
    assert!((pipeline.mean() - (0.2 + share * ebo)).abs() < 1e-14);
    let variance =
        0.2 + share * share * depot.tail.backorder_variance + share * (1.0 - share) * ebo;
    assert!((pipeline.variance() - variance).abs() < 1e-12);
    assert!(matches!(pipeline, LeadTimeDemand::NegativeBinomial(_)));
    // METRIC has the same mean.
    let metric = system
        .base_pipeline(0, &depot, PipelineModel::Metric)
        .unwrap();
    assert!((metric.mean() - pipeline.mean()).abs() < 1e-14);
    // With ample depot stock there are no depot backorders: both coincide.
    let ample = system.depot_state(60).unwrap();
    let a = system.evaluate(PipelineModel::Metric, 60, &[1, 2]).unwrap();
    let b = system
        .evaluate(PipelineModel::VariMetric, 60, &[1, 2])
        .unwrap();
    assert!(ample.tail.expected_backorders < 1e-20);
    assert!((a.total_base_ebo - b.total_base_ebo).abs() < 1e-12);
    // A more variable pipeline has more backorders above its mean.
    let a = system.evaluate(PipelineModel::Metric, 2, &[3, 4]).unwrap();
    let b = system
        .evaluate(PipelineModel::VariMetric, 2, &[3, 4])
        .unwrap();
    assert!(b.total_base_ebo > a.total_base_ebo);
}

#[test]
fn metric_rejects_bad_networks() {
    assert!(MetricSystem::new(vec![], vec![], 1.0).is_err());
    assert!(MetricSystem::new(vec![0.1], vec![1.0, 2.0], 1.0).is_err());
    assert!(MetricSystem::new(vec![-0.1], vec![1.0], 1.0).is_err());
    assert!(MetricSystem::new(vec![0.1], vec![f64::INFINITY], 1.0).is_err());
    assert!(MetricSystem::new(vec![0.1], vec![1.0], f64::NAN).is_err());
    let system = MetricSystem::new(vec![0.1], vec![1.0], 1.0).unwrap();
    assert!(system.evaluate(PipelineModel::Metric, 0, &[1, 1]).is_err());
}

// ---------------------------------------------------------------- marginal analysis

fn greedy_rows() -> Vec<Value> {
    rows(METRIC_ORACLE)
        .into_iter()
        .filter(|row| row["kind"] == "greedy")
        .collect()
}

#[test]
fn greedy_reproduces_every_oracle_frontier() {
    let rows = greedy_rows();
    assert_eq!(rows.len(), 8);
    for row in rows {
        let system = metric_system(&row);
        let mut options =
            GreedyOptions::new(StopRule::TotalBaseEbo(f(&row["target_total_base_ebo"])));
        options.unit_cost = f(&row["unit_cost"]);
        let result = optimise_part(&system, &options).unwrap();
        let want = row["frontier"].as_array().unwrap();
        assert_eq!(result.frontier.len(), want.len(), "{}", row["demand_rates"]);
        for (got, want) in result.frontier.iter().zip(want) {
            assert_eq!(got.stock, ints(&want["stock"]), "{}", row["demand_rates"]);
            assert_eq!(got.cost, f(&want["cost"]));
            assert_close(
                got.total_base_ebo,
                f(&want["total_base_ebo"]),
                "frontier EBO",
            );
        }
        let last = &result.final_point;
        assert_eq!(last.stock, ints(&row["final"]["stock"]));
        assert_eq!(last.cost, f(&row["final"]["cost"]));
        assert_close(
            last.total_base_ebo,
            f(&row["final"]["total_base_ebo"]),
            "final EBO",
        );
    }
}

#[test]
fn greedy_stops_at_fill_rate_availability_and_budget() {
    let system = MetricSystem::new(vec![0.2, 0.05, 0.4], vec![2.0, 3.0, 1.0], 10.0).unwrap();
    for stop in [StopRule::FillRate(0.95), StopRule::Availability(0.97)] {
        let result = optimise_part(&system, &GreedyOptions::new(stop)).unwrap();
        let frontier = &result.frontier;
        let measure = |point: &spares::core::policy::FrontierPoint| {
            let e = system
                .evaluate(PipelineModel::Metric, point.stock[0], &point.stock[1..])
                .unwrap();
            let rates = system.demand_rates();
            let weighted = |values: &[f64]| {
                values.iter().zip(rates).map(|(v, r)| v * r).sum::<f64>() / system.total_rate()
            };
            match stop {
                StopRule::FillRate(_) => weighted(&e.base_fill_rate),
                _ => weighted(&e.base_availability),
            }
        };
        let target = match stop {
            StopRule::FillRate(t) | StopRule::Availability(t) => t,
            _ => unreachable!(),
        };
        assert!(measure(&result.final_point) >= target);
        assert!(measure(&frontier[frontier.len() - 2]) < target);
        let reported = match stop {
            StopRule::FillRate(_) => result.fill_rate,
            _ => result.availability,
        };
        assert!((reported - measure(&result.final_point)).abs() < 1e-12);
    }
    let mut options = GreedyOptions::new(StopRule::Budget(17.5));
    options.unit_cost = 2.5;
    let result = optimise_part(&system, &options).unwrap();
    assert_eq!(result.final_point.cost, 17.5);
    assert_eq!(result.frontier.len(), 8);
}

#[test]
fn greedy_reports_unreachable_targets_and_bad_options() {
    let system = MetricSystem::new(vec![1000.0], vec![1000.0], 10.0).unwrap();
    let error = optimise_part(&system, &GreedyOptions::new(StopRule::TotalBaseEbo(0.1)));
    assert!(matches!(error, Err(PolicyError::Unreachable(_))));
    let small = MetricSystem::new(vec![0.1], vec![1.0], 1.0).unwrap();
    for stop in [
        StopRule::TotalBaseEbo(0.0),
        StopRule::TotalBaseEbo(f64::NAN),
        StopRule::FillRate(1.0),
        StopRule::Availability(0.0),
        StopRule::Budget(-1.0),
    ] {
        assert!(matches!(
            optimise_part(&small, &GreedyOptions::new(stop)),
            Err(PolicyError::InvalidInput(_))
        ));
    }
    let mut options = GreedyOptions::new(StopRule::TotalBaseEbo(0.1));
    options.unit_cost = 0.0;
    assert!(optimise_part(&small, &options).is_err());
    options.unit_cost = 1.0;
    options.max_units = 2;
    let error = optimise_part(
        &small,
        &GreedyOptions {
            stop: StopRule::TotalBaseEbo(1e-9),
            ..options
        },
    );
    assert!(matches!(error, Err(PolicyError::Unreachable(_))));
}

#[test]
fn multi_part_interleaves_the_single_part_frontiers() {
    let rows = greedy_rows();
    let costs = [1.0, 2.0, 0.5, 3.0, 1.5, 1.0, 4.0, 2.5];
    let parts: Vec<PartSpec> = rows
        .iter()
        .zip(costs)
        .map(|(row, unit_cost)| PartSpec {
            system: metric_system(row),
            unit_cost,
        })
        .collect();
    let options = MultiPartOptions::new(StopRule::TotalBaseEbo(0.5));
    let result = optimise_parts(&parts, &options).unwrap();
    assert!(result.total_base_ebo <= 0.5);
    // Restricted to one part, the system frontier is a prefix of that part's
    // own marginal-analysis frontier.
    for (index, part) in parts.iter().enumerate() {
        let mut options = GreedyOptions::new(StopRule::Budget(
            part.unit_cost * result.stock[index].iter().sum::<u64>() as f64,
        ));
        options.unit_cost = part.unit_cost;
        let alone = optimise_part(&part.system, &options).unwrap();
        assert_eq!(alone.final_point.stock, result.stock[index], "part {index}");
        let mut stock = vec![0; part.system.bases() + 1];
        let own_steps = result.frontier.iter().filter(|s| s.part == index);
        for (step, system_step) in (1..).zip(own_steps) {
            stock[system_step.location] += 1;
            assert_eq!(stock, alone.frontier[step].stock);
        }
    }
    // The frontier's last step is the answer, and one part alone gives the
    // single-part result.
    let last = result.frontier.last().unwrap();
    assert!((last.cost - result.cost).abs() < 1e-9);
    assert!((last.total_base_ebo - result.total_base_ebo).abs() < 1e-9);
    let single = optimise_parts(
        &parts[..1],
        &MultiPartOptions::new(StopRule::TotalBaseEbo(0.08)),
    )
    .unwrap();
    assert_eq!(single.stock[0], ints(&rows[0]["final"]["stock"]));
}

#[test]
fn multi_part_budget_and_service_targets() {
    let parts: Vec<PartSpec> = greedy_rows()
        .iter()
        .enumerate()
        .map(|(i, row)| PartSpec {
            system: metric_system(row),
            unit_cost: 1.0 + i as f64,
        })
        .collect();
    let budget = optimise_parts(&parts, &MultiPartOptions::new(StopRule::Budget(100.0))).unwrap();
    assert!(budget.cost <= 100.0);
    // Nothing affordable is left: every part's next unit costs more than the rest.
    assert!(100.0 - budget.cost < 1.0);
    let fill = optimise_parts(&parts, &MultiPartOptions::new(StopRule::FillRate(0.9))).unwrap();
    assert!(fill.fill_rate >= 0.9);
    let availability =
        optimise_parts(&parts, &MultiPartOptions::new(StopRule::Availability(0.9))).unwrap();
    assert!(availability.availability >= 0.9);
    let bad = vec![PartSpec {
        system: metric_system(&greedy_rows()[0]),
        unit_cost: -1.0,
    }];
    assert!(optimise_parts(&bad, &MultiPartOptions::new(StopRule::Budget(10.0))).is_err());
}

// ---------------------------------------------------------------- CLI

fn spares(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spares"))
        .args(args)
        .output()
        .expect("the spares binary runs")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn list<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn cli_ebo_matches_the_oracle() {
    for row in rows(EBO_ORACLE).iter().step_by(3) {
        let output = spares(&[
            "policy",
            "ebo",
            "--mean",
            &row["mu"].to_string(),
            "--stock",
            &row["s"].to_string(),
        ]);
        let json = json_of(&output);
        assert_close(f(&json["ebo"]), f(&row["ebo"]), "CLI ebo");
        assert_eq!(json.as_object().unwrap().len(), 1);
    }
}

#[test]
fn cli_base_stock_matches_the_oracle() {
    for row in rows(BASE_STOCK_ORACLE).iter().step_by(3) {
        let output = spares(&[
            "policy",
            "base-stock",
            "--demand-rate",
            &row["demand_rate"].to_string(),
            "--lead-time",
            &row["lead_time"].to_string(),
            "--target-fill-rate",
            &row["target_fill_rate"].to_string(),
        ]);
        let json = json_of(&output);
        assert_eq!(u(&json["base_stock"]), u(&row["base_stock"]));
        for key in ["fill_rate", "availability", "ebo"] {
            assert_close(f(&json[key]), f(&row[key]), key);
        }
    }
}

fn metric_args(row: &Value) -> Vec<String> {
    vec![
        "policy".into(),
        "metric".into(),
        "--demand-rates".into(),
        list(&floats(&row["demand_rates"])),
        "--resupply-times".into(),
        list(&floats(&row["base_resupply_times"])),
        "--depot-repair-time".into(),
        row["depot_repair_time"].to_string(),
    ]
}

fn run_strings(args: &[String]) -> Output {
    spares(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn cli_metric_evaluation_matches_the_oracle() {
    for row in rows(METRIC_ORACLE).iter().filter(|r| r["kind"] == "eval") {
        let mut args = metric_args(row);
        args.extend([
            "--depot-stock".into(),
            row["depot_stock"].to_string(),
            "--base-stock".into(),
            list(&ints(&row["base_stock"])),
        ]);
        let json = json_of(&run_strings(&args));
        for key in ["depot_ebo", "depot_delay", "total_base_ebo"] {
            assert_close(f(&json[key]), f(&row[key]), key);
        }
        for (got, want) in floats(&json["base_ebo"])
            .iter()
            .zip(floats(&row["base_ebo"]))
        {
            assert_close(*got, want, "base_ebo");
        }
    }
}

#[test]
fn cli_metric_greedy_matches_the_oracle() {
    for row in greedy_rows() {
        let mut args = metric_args(&row);
        args.extend([
            "--target-total-base-ebo".into(),
            row["target_total_base_ebo"].to_string(),
            "--unit-cost".into(),
            row["unit_cost"].to_string(),
        ]);
        let json = json_of(&run_strings(&args));
        assert_eq!(ints(&json["stock"]), ints(&row["final"]["stock"]));
        assert_eq!(f(&json["cost"]), f(&row["final"]["cost"]));
        assert_close(
            f(&json["total_base_ebo"]),
            f(&row["final"]["total_base_ebo"]),
            "total_base_ebo",
        );
    }
}

#[test]
fn cli_metric_accepts_the_vari_metric_model() {
    let system = MetricSystem::new(vec![0.1, 0.3], vec![2.0, 1.0], 14.0).unwrap();
    let want = system
        .evaluate(PipelineModel::VariMetric, 2, &[1, 2])
        .unwrap();
    let output = spares(&[
        "policy",
        "metric",
        "--demand-rates",
        "0.1,0.3",
        "--resupply-times",
        "2,1",
        "--depot-repair-time",
        "14",
        "--depot-stock",
        "2",
        "--base-stock",
        "1,2",
        "--model",
        "vari-metric",
    ]);
    let json = json_of(&output);
    assert_close(
        f(&json["total_base_ebo"]),
        want.total_base_ebo,
        "VARI-METRIC",
    );
    let output = spares(&[
        "policy",
        "metric",
        "--demand-rates",
        "0.1,0.3",
        "--resupply-times",
        "2,1",
        "--depot-repair-time",
        "14",
        "--target-total-base-ebo",
        "0.05",
        "--model",
        "vari-metric",
    ]);
    assert!(f(&json_of(&output)["total_base_ebo"]) <= 0.05);
}

#[track_caller]
fn assert_refused(args: &[&str], needle: &str) {
    let output = spares(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} should fail");
    assert!(output.stdout.is_empty(), "{args:?} printed a result");
    assert!(
        stderr.to_lowercase().contains(&needle.to_lowercase()),
        "{args:?}: stderr {stderr:?} lacks {needle:?}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
}

#[test]
fn cli_refuses_bad_arguments_with_a_message() {
    let metric = ["policy", "metric", "--depot-repair-time", "14"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        metric.iter().chain(extra).copied().collect()
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["policy", "ebo", "--mean", "-1", "--stock", "2"],
            "--mean must be a finite number >= 0",
        ),
        (
            vec!["policy", "ebo", "--mean", "NaN", "--stock", "2"],
            "--mean must be a finite number >= 0",
        ),
        (
            vec!["policy", "ebo", "--mean", "inf", "--stock", "2"],
            "--mean must be a finite number >= 0",
        ),
        (
            vec!["policy", "ebo", "--mean", "1e300", "--stock", "2"],
            "exceeds the supported",
        ),
        (
            vec!["policy", "ebo", "--mean", "1", "--stock", "-2"],
            "whole number of units >= 0, got '-2'",
        ),
        (
            vec!["policy", "ebo", "--mean", "1", "--stock", "1.5"],
            "whole number of units >= 0, got '1.5'",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1,0.2",
                "--resupply-times",
                "1,1",
                "--depot-stock",
                "1",
                "--base-stock",
                "1,-1",
            ]),
            "whole number of units >= 0, got '-1'",
        ),
        (vec!["policy", "ebo", "--mean", "1"], "--stock"),
        (
            vec![
                "policy",
                "base-stock",
                "--demand-rate",
                "-0.5",
                "--lead-time",
                "2",
                "--target-fill-rate",
                "0.9",
            ],
            "--demand-rate must be",
        ),
        (
            vec![
                "policy",
                "base-stock",
                "--demand-rate",
                "0.5",
                "--lead-time",
                "-2",
                "--target-fill-rate",
                "0.9",
            ],
            "--lead-time must be",
        ),
        (
            vec![
                "policy",
                "base-stock",
                "--demand-rate",
                "0.5",
                "--lead-time",
                "2",
                "--target-fill-rate",
                "1",
            ],
            "strictly between 0 and 1",
        ),
        (
            vec![
                "policy",
                "base-stock",
                "--demand-rate",
                "0.5",
                "--lead-time",
                "2",
                "--target-fill-rate",
                "0",
            ],
            "strictly between 0 and 1",
        ),
        (
            vec![
                "policy",
                "base-stock",
                "--demand-rate",
                "0.5",
                "--lead-time",
                "2",
                "--target-fill-rate",
                "1.2",
            ],
            "strictly between 0 and 1",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1,-0.2",
                "--resupply-times",
                "1,1",
                "--depot-stock",
                "1",
                "--base-stock",
                "1,1",
            ]),
            "demand rate of base 2 must be",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1,0.2",
                "--resupply-times",
                "1,nan",
                "--depot-stock",
                "1",
                "--base-stock",
                "1,1",
            ]),
            "resupply time of base 2 must be",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1,0.2",
                "--resupply-times",
                "1",
                "--depot-stock",
                "1",
                "--base-stock",
                "1,1",
            ]),
            "--demand-rates has 2 values but --resupply-times has 1",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1,0.2",
                "--resupply-times",
                "1,1",
                "--depot-stock",
                "1",
                "--base-stock",
                "1",
            ]),
            "--base-stock has 1 values but there are 2 bases",
        ),
        (
            with(&[
                "--demand-rates",
                "",
                "--resupply-times",
                "",
                "--depot-stock",
                "1",
                "--base-stock",
                "1",
            ]),
            "demand-rates",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1",
                "--resupply-times",
                "1",
                "--depot-stock",
                "1",
                "--base-stock",
                "1",
                "--target-total-base-ebo",
                "0.1",
            ]),
            "not both",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1",
                "--resupply-times",
                "1",
                "--depot-stock",
                "1",
                "--target-total-base-ebo",
                "0.1",
            ]),
            "not both",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1",
                "--resupply-times",
                "1",
                "--depot-stock",
                "1",
            ]),
            "--depot-stock needs --base-stock",
        ),
        (
            with(&["--demand-rates", "0.1", "--resupply-times", "1"]),
            "give --depot-stock and --base-stock",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1",
                "--resupply-times",
                "1",
                "--depot-stock",
                "1",
                "--base-stock",
                "1",
                "--unit-cost",
                "2",
            ]),
            "--unit-cost only applies",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1",
                "--resupply-times",
                "1",
                "--target-total-base-ebo",
                "0",
            ]),
            "must be a finite number > 0",
        ),
        (
            with(&[
                "--demand-rates",
                "0.1",
                "--resupply-times",
                "1",
                "--target-total-base-ebo",
                "0.1",
                "--unit-cost",
                "-3",
            ]),
            "unit cost must be",
        ),
        (
            with(&[
                "--demand-rates",
                "2000,3000",
                "--resupply-times",
                "100,100",
                "--target-total-base-ebo",
                "0.1",
            ]),
            "target cannot be reached",
        ),
        (
            vec![
                "policy",
                "metric",
                "--demand-rates",
                "0.1",
                "--resupply-times",
                "1",
                "--depot-repair-time",
                "-1",
                "--depot-stock",
                "0",
                "--base-stock",
                "0",
            ],
            "depot repair time must be",
        ),
        (vec!["policy", "nonsense"], "nonsense"),
    ];
    for (args, needle) in cases {
        assert_refused(&args, needle);
    }
}
