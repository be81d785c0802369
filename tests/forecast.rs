//! Forecasting engine: the statsforecast oracle, edge cases, the documented library
//! choices, classification, installed base, backtest and the `spares forecast` CLI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use spares::core::forecast::aggregate::{adida, imapa};
use spares::core::forecast::backtest::{
    BacktestConfig, CandidateReport, ErrorMetrics, FALLBACK_METHOD, backtest, choose, evaluate,
};
use spares::core::forecast::classify::{
    ADI_CUTOFF, CV2_CUTOFF, DemandClass, adi, class_of, classify, cv2,
};
use spares::core::forecast::croston::{
    SBA_FACTOR, croston_classic, croston_sba, inter_demand_intervals,
};
use spares::core::forecast::installed_base::{
    BlendRule, InstalledBaseError, InstalledSite, Period, installed_base_rate,
};
use spares::core::forecast::optimise::{
    INTERMITTENT_OPT_BOUNDS, SES_OPT_BOUNDS, golden_section_alpha, golden_section_alphas,
    optimised_ses_forecast, optimised_ses_forecasts,
};
use spares::core::forecast::series::{Series, SeriesError, read_wide_csv};
use spares::core::forecast::ses::ses_forecast;
use spares::core::forecast::{METHOD_NAMES, Method, MethodParams};

const CARPARTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/carparts.csv");
const ORACLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/oracles/forecast-carparts-0-999.jsonl"
);

/// The oracle's tolerance: 1e-9 relative, or 1e-12 absolute near zero.
fn close(actual: f64, expected: f64) -> bool {
    let difference = (actual - expected).abs();
    difference <= 1e-12 || difference <= 1e-9 * expected.abs()
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        close(actual, expected),
        "{what}: got {actual}, expected {expected}"
    );
}

fn carparts() -> Vec<Series> {
    let file = std::fs::File::open(CARPARTS).expect("tests/data/carparts.csv is readable");
    read_wide_csv(file).expect("carparts.csv parses")
}

fn params_f64(params: &serde_json::Value, key: &str) -> Option<f64> {
    params.get(key).and_then(serde_json::Value::as_f64)
}

/// The method of one oracle row, parameters included.
fn oracle_method(name: &str, params: &serde_json::Value) -> Method {
    let defaults = MethodParams::default();
    let params = MethodParams {
        alpha: params_f64(params, "alpha").unwrap_or(defaults.alpha),
        alpha_d: params_f64(params, "alpha_d").unwrap_or(defaults.alpha_d),
        alpha_p: params_f64(params, "alpha_p").unwrap_or(defaults.alpha_p),
    };
    Method::from_name(name, params).unwrap_or_else(|| panic!("unknown oracle method {name}"))
}

// ---------------------------------------------------------------------------------
// statsforecast oracle

#[test]
fn every_oracle_row_matches_statsforecast() {
    let series: HashMap<String, Vec<f64>> = carparts()
        .into_iter()
        .map(|one| (one.id, one.values))
        .collect();
    let text = std::fs::read_to_string(ORACLE).expect("oracle file is readable");
    let mut rows = 0;
    let mut mismatches = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).expect("oracle row is JSON");
        let part = row["part"].as_str().expect("part is a string");
        let name = row["method"].as_str().expect("method is a string");
        let expected = row["forecast"].as_f64().expect("forecast is a number");
        let method = oracle_method(name, &row["params"]);
        let y = series
            .get(part)
            .unwrap_or_else(|| panic!("oracle part {part} not in carparts.csv"));
        let one_step = method.forecast_one(y);
        let flat = method.forecast(y, 3);
        rows += 1;
        if !close(one_step, expected) || flat.iter().any(|value| *value != one_step) {
            mismatches.push(format!(
                "part {part} {name} {}: got {one_step} (h=3 {flat:?}), expected {expected}",
                row["params"]
            ));
        }
    }
    assert_eq!(rows, 9000, "the oracle has 1,000 series × 9 configurations");
    assert!(
        mismatches.is_empty(),
        "{} of {rows} oracle rows differ; first few:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(5)].join("\n")
    );
}

#[test]
fn batched_forecasts_are_bit_identical_to_one_at_a_time() {
    let series: Vec<Vec<f64>> = carparts().into_iter().map(|one| one.values).collect();
    let mut configurations = Method::all(MethodParams::default()).to_vec();
    configurations.push(Method::Tsb {
        alpha_d: 0.3,
        alpha_p: 0.05,
    });
    for method in configurations {
        let batch = method.forecast_many(&series);
        assert_eq!(batch.len(), series.len());
        let differing = series
            .iter()
            .zip(&batch)
            .filter(|(y, forecast)| method.forecast_one(y).to_bits() != forecast.to_bits())
            .count();
        assert_eq!(
            differing,
            0,
            "{} differs on {differing} series",
            method.name()
        );
    }
    let none: [&[f64]; 0] = [];
    assert!(Method::Imapa.forecast_many(&none).is_empty());
}

#[test]
fn golden_section_in_lanes_matches_the_scalar_search() {
    // Lengths 0..=12 in a scrambled order, so that groups mix lengths.
    let mut inputs: Vec<Vec<f64>> = (0..13_u32)
        .map(|length| {
            (0..(length * 5) % 13)
                .map(|i| f64::from((i * 7 + length) % 5))
                .collect()
        })
        .collect();
    // Leading zeros, which the batched search trims, and all-zero inputs.
    inputs.extend([
        vec![0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 1.0],
        vec![0.0, 0.0, 0.0],
        vec![0.0, 3.0],
        vec![0.0],
        vec![0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 2.5, 1.0],
    ]);
    // Enough copies for full groups of lanes as well as the one-at-a-time remainder.
    let inputs: Vec<Vec<f64>> = inputs
        .iter()
        .cycle()
        .take(inputs.len() * 3)
        .cloned()
        .collect();
    let slices: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
    for bounds in [SES_OPT_BOUNDS, INTERMITTENT_OPT_BOUNDS] {
        let alphas = golden_section_alphas(&slices, bounds.0, bounds.1);
        let forecasts = optimised_ses_forecasts(&slices, bounds);
        for ((values, alpha), forecast) in slices.iter().zip(&alphas).zip(&forecasts) {
            let (scalar_forecast, scalar_alpha) = optimised_ses_forecast(values, bounds);
            assert_eq!(alpha.to_bits(), scalar_alpha.to_bits(), "{values:?}");
            assert_eq!(forecast.to_bits(), scalar_forecast.to_bits(), "{values:?}");
        }
    }
}

#[test]
fn carparts_has_all_series_and_the_early_endings() {
    let series = carparts();
    assert_eq!(series.len(), 2674);
    assert_eq!(
        series.iter().filter(|one| one.values.len() < 51).count(),
        165
    );
    assert_eq!(series[0].id, "21029627");
    assert_eq!(series[0].values.len(), 14);
}

/// Expected values computed with statsforecast 2.1.1 `forecast(y, h=1)` on these series.
#[test]
fn edge_cases_match_statsforecast() {
    let names = [
        "ses",
        "ses-opt",
        "croston",
        "sba",
        "croston-opt",
        "tsb",
        "adida",
        "imapa",
    ];
    let cases: [(&[f64], [f64; 8]); 5] = [
        // A single demand.
        (
            &[0.0, 0.0, 0.0, 4.0, 0.0, 0.0],
            [
                0.32400000000000007,
                0.03920400000142357,
                1.0,
                0.95,
                1.0,
                0.32400000000000007,
                1.0,
                0.44266666666699667,
            ],
        ),
        // A single observation.
        (
            &[3.0],
            [3.0, 3.0, 3.0, 2.8499999999999996, 3.0, 3.0, 3.0, 3.0],
        ),
        // All zeros.
        (&[0.0, 0.0, 0.0], [0.0; 8]),
        // Very short.
        (&[2.0, 0.0], [1.8, 1.0, 2.0, 1.9, 2.0, 1.8, 1.6, 1.6]),
        // A trend: the optimisers hit their upper bounds.
        (
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
            [
                4.4867844009999995,
                9.989898989898611,
                4.4867844009999995,
                4.2624451809499995,
                7.7608250829969725,
                4.4867844009999995,
                7.7608250829969725,
                7.7608250829969725,
            ],
        ),
    ];
    for (y, expected) in cases {
        for (name, expected) in names.iter().zip(expected) {
            let method = Method::from_name(name, MethodParams::default()).expect("known");
            assert_close(
                method.forecast_one(y),
                expected,
                &format!("{name} on {y:?}"),
            );
        }
    }
}

#[test]
fn empty_history_forecasts_zero_without_panicking() {
    for method in Method::all(MethodParams::default()) {
        assert_eq!(method.forecast_one(&[]), 0.0, "{}", method.name());
        assert_eq!(method.forecast(&[], 2), vec![0.0, 0.0], "{}", method.name());
    }
}

#[test]
fn h_step_forecasts_are_flat() {
    let y = [0.0, 3.0, 0.0, 0.0, 1.0, 0.0, 2.0];
    for method in Method::all(MethodParams::default()) {
        let one = method.forecast_one(&y);
        assert_eq!(method.forecast(&y, 4), vec![one; 4], "{}", method.name());
        assert!(method.forecast(&y, 0).is_empty());
    }
}

#[test]
fn method_names_round_trip_in_tie_break_order() {
    let all = Method::all(MethodParams::default());
    for (method, name) in all.iter().zip(METHOD_NAMES) {
        assert_eq!(method.name(), name);
        assert_eq!(
            Method::from_name(name, MethodParams::default()),
            Some(*method)
        );
    }
    assert_eq!(Method::from_name("holt", MethodParams::default()), None);
}

#[test]
fn parameters_outside_zero_one_are_rejected() {
    assert!(Method::Ses { alpha: 1.0 }.validate().is_ok());
    assert!(Method::Ses { alpha: 0.0 }.validate().is_err());
    assert!(Method::Ses { alpha: f64::NAN }.validate().is_err());
    let error = Method::Tsb {
        alpha_d: 0.1,
        alpha_p: 1.5,
    }
    .validate()
    .expect_err("alpha_p 1.5 is out of range");
    assert_eq!(error.to_string(), "alpha_p must be in (0, 1], got 1.5");
}

#[test]
fn methods_serialise_with_their_parameters() {
    let json = serde_json::to_string(&Method::Tsb {
        alpha_d: 0.3,
        alpha_p: 0.05,
    })
    .expect("serialises");
    assert_eq!(json, r#"{"method":"tsb","alpha_d":0.3,"alpha_p":0.05}"#);
    let json = serde_json::to_string(&Method::CrostonOpt).expect("serialises");
    assert_eq!(json, r#"{"method":"croston-opt"}"#);
}

// ---------------------------------------------------------------------------------
// Documented library-difference choices

#[test]
fn sba_is_croston_times_a_fixed_095() {
    let y = [0.0, 2.0, 0.0, 0.0, 5.0, 1.0, 0.0, 3.0];
    assert_eq!(SBA_FACTOR, 0.95);
    assert_eq!(croston_sba(&y), croston_classic(&y) * 0.95);
    // The textbook factor 1 - alpha/2 coincides at Croston's alpha 0.1.
    assert_close(
        croston_sba(&y),
        croston_classic(&y) * (1.0 - 0.1 / 2.0),
        "1 - a/2",
    );
}

#[test]
fn first_interval_is_counted_from_the_start_of_the_series() {
    let intervals: Vec<f64> =
        inter_demand_intervals(&[0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0]).collect();
    assert_eq!(
        intervals,
        vec![3.0, 2.0],
        "trailing zeros enter no interval"
    );
    // One demand of 1 in period 3: size 1, interval 3.
    assert_close(croston_classic(&[0.0, 0.0, 1.0]), 1.0 / 3.0, "croston");
    // A demand in the first period has interval 1.
    let first: Vec<f64> = inter_demand_intervals(&[4.0, 0.0, 1.0]).collect();
    assert_eq!(first, vec![1.0, 2.0]);
}

#[test]
fn level_starts_at_the_first_value() {
    assert_eq!(ses_forecast(&[4.0], 0.1), 4.0);
    // f = 2, then 0.1*2 + 0.9*2 = 2, then 0.1*0 + 0.9*2 = 1.8.
    assert_close(ses_forecast(&[2.0, 0.0], 0.1), 1.8, "ses");
    // Croston smooths sizes [5, 1] and intervals [1, 2] from their first values.
    let expected = (0.1 * 1.0 + 0.9 * 5.0) / (0.1 * 2.0 + 0.9 * 1.0);
    assert_close(croston_classic(&[5.0, 0.0, 1.0]), expected, "croston");
}

#[test]
fn optimiser_searches_statsforecast_ranges() {
    assert_eq!(SES_OPT_BOUNDS, (0.01, 0.99));
    assert_eq!(INTERMITTENT_OPT_BOUNDS, (0.1, 0.3));
    let trend: Vec<f64> = (1..=10).map(f64::from).collect();
    // statsforecast 2.1.1 `golden_section_ses` gives these exact alphas.
    assert_close(
        golden_section_alpha(&trend, 0.01, 0.99),
        0.9899999999996294,
        "ses-opt",
    );
    assert_close(
        golden_section_alpha(&trend, 0.1, 0.3),
        0.29999999999967963,
        "croston-opt",
    );
    // A flat objective stops at once on the midpoint.
    assert_eq!(golden_section_alpha(&[5.0], 0.1, 0.3), (0.3 + 0.1) / 2.0);
    assert_eq!(
        golden_section_alpha(&[2.0, 2.0, 2.0], 0.01, 0.99),
        (0.99 + 0.01) / 2.0
    );
}

#[test]
fn aggregation_level_rounds_half_to_even_and_aligns_to_the_end() {
    // Intervals 2, 3, 2, 3: mean 2.5, level 2 (Python's round), not 3.
    let y = [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    assert_close(
        adida(&y),
        0.4635499999999222,
        "adida at level 2 (statsforecast)",
    );
    assert!(
        !close(adida(&y), 0.3633333333334187),
        "level 3 would give this"
    );
    assert_close(imapa(&y), 0.41418600433816133, "imapa");
    // Level 2 on 5 values drops the oldest one: blocks [0,1] [0,0] -> 1, 0.
    let odd = [9.0, 0.0, 1.0, 0.0, 0.0];
    // Intervals 1, 2: mean 1.5, level 2; totals 1, 0 with optimised alpha.
    let totals = [1.0, 0.0];
    let alpha = golden_section_alpha(&totals, 0.1, 0.3);
    assert_close(
        adida(&odd),
        ses_forecast(&totals, alpha) / 2.0,
        "end-aligned blocks",
    );
}

#[test]
fn fractional_blocks_are_summed_in_statsforecast_order() {
    // Eight fractional demands at the end of 64 periods: mean interval 8, so the last
    // block of 8 holds them all. statsforecast 2.1.1 sums IMAPA's blocks pairwise
    // (numpy) and ADIDA's left to right (C++); these are its forecasts.
    let mut y = vec![0.0; 56];
    y.extend([0.971, 0.453, 1.953, 0.217, 1.608, 1.097, 0.174, 1.522]);
    assert_eq!(imapa(&y), 0.5255952001394761);
    assert_eq!(adida(&y), 0.19987500000000002);
    // Here left-to-right block totals would end one bit higher (…116).
    let mut y = vec![0.0; 56];
    y.extend([1.322, 2.515, 0.251, 2.251, 0.089, 1.804, 1.443, 0.691]);
    assert_eq!(imapa(&y), 0.6341153044239115);
}

// ---------------------------------------------------------------------------------
// Classification

#[test]
fn classification_covers_the_four_quadrants_and_no_demand() {
    let cases: [(&[f64], DemandClass); 5] = [
        (&[1.0, 1.0, 1.0, 1.0], DemandClass::Smooth),
        (&[1.0, 10.0, 1.0, 10.0], DemandClass::Erratic),
        (&[0.0, 2.0, 0.0, 2.0, 0.0, 2.0], DemandClass::Intermittent),
        (&[0.0, 1.0, 0.0, 10.0, 0.0, 1.0], DemandClass::Lumpy),
        (&[0.0, 0.0, 0.0], DemandClass::NoDemand),
    ];
    for (y, class) in cases {
        assert_eq!(classify(y).class, class, "{y:?}");
    }
    let erratic = classify(&[1.0, 10.0, 1.0, 10.0]);
    assert_eq!(erratic.adi, Some(1.0));
    assert_close(erratic.cv2.expect("has demand"), 20.25 / 30.25, "cv2");
    let lumpy = classify(&[0.0, 1.0, 0.0, 10.0, 0.0, 1.0]);
    assert_eq!(lumpy.adi, Some(2.0));
    assert_close(lumpy.cv2.expect("has demand"), 18.0 / 16.0, "cv2");
    let none = classify(&[0.0, 0.0]);
    assert_eq!((none.adi, none.cv2), (None, None));
}

#[test]
fn adi_counts_the_first_interval_from_the_start_and_ignores_trailing_zeros() {
    assert_eq!(adi(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0]), Some(4.0));
    assert_eq!(adi(&[0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]), Some(2.5));
    assert_eq!(cv2(&[0.0, 7.0]), Some(0.0), "a single demand has CV² 0");
}

#[test]
fn cut_offs_are_exclusive() {
    assert_eq!((ADI_CUTOFF, CV2_CUTOFF), (1.32, 0.49));
    assert_eq!(class_of(1.32, 0.49), DemandClass::Smooth);
    assert_eq!(class_of(1.320_001, 0.49), DemandClass::Intermittent);
    assert_eq!(class_of(1.32, 0.490_001), DemandClass::Erratic);
    assert_eq!(class_of(2.0, 0.5), DemandClass::Lumpy);
    assert_eq!(DemandClass::NoDemand.name(), "no-demand");
}

// ---------------------------------------------------------------------------------
// Installed base

#[test]
fn installed_base_rate_scales_annual_failures_to_the_period() {
    let sites = [
        InstalledSite {
            quantity: 10,
            annual_failure_rate: 0.12,
        },
        InstalledSite {
            quantity: 5,
            annual_failure_rate: 0.24,
        },
    ];
    // 10 × 0.12 + 5 × 0.24 = 2.4 failures a year.
    let monthly = installed_base_rate(&sites, Period::Month).expect("valid");
    assert_close(monthly, 0.2, "month");
    let weekly = installed_base_rate(&sites, Period::Week).expect("valid");
    assert_close(weekly, 2.4 * 7.0 / 365.25, "week");
    let quarter = installed_base_rate(&sites, Period::Days(91.3125)).expect("valid");
    assert_close(quarter, 0.6, "quarter of 365.25 days");
    assert_eq!(installed_base_rate(&[], Period::Month), Ok(0.0));
}

#[test]
fn installed_base_rejects_bad_rates_and_periods() {
    let bad = [
        InstalledSite {
            quantity: 1,
            annual_failure_rate: 0.1,
        },
        InstalledSite {
            quantity: 1,
            annual_failure_rate: -0.1,
        },
    ];
    assert_eq!(
        installed_base_rate(&bad, Period::Month),
        Err(InstalledBaseError::FailureRate {
            site: 1,
            rate: -0.1
        })
    );
    assert!(installed_base_rate(&[], Period::Days(0.0)).is_err());
    assert!(installed_base_rate(&[], Period::Days(f64::INFINITY)).is_err());
}

#[test]
fn blend_moves_from_installed_base_to_history_as_history_grows() {
    let rule = BlendRule::default();
    assert_eq!(rule, BlendRule::MONTHLY);
    assert_eq!(rule.half_weight_periods, 12.0);
    // No history: the installed-base rate.
    assert_eq!(rule.blend(5.0, 0, 2.0), Ok(2.0));
    // One year of monthly history: half and half.
    assert_close(rule.blend(5.0, 12, 2.0).expect("valid"), 3.5, "n = k");
    // Three years: w = 36 / 48 = 0.75.
    assert_close(
        rule.blend(5.0, 36, 2.0).expect("valid"),
        0.75 * 5.0 + 0.25 * 2.0,
        "n = 3k",
    );
    assert_close(rule.history_weight(36).expect("valid"), 0.75, "weight");
    // Weights grow with history and stay below 1.
    let weights: Vec<f64> = (0..100)
        .map(|n| rule.history_weight(n).expect("valid"))
        .collect();
    assert!(weights.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(weights.iter().all(|weight| (0.0..1.0).contains(weight)));
    // k = 0 trusts any history fully; a negative k is rejected.
    let trusting = BlendRule {
        half_weight_periods: 0.0,
    };
    assert_eq!(trusting.blend(5.0, 1, 2.0), Ok(5.0));
    let bad = BlendRule {
        half_weight_periods: -1.0,
    };
    assert!(bad.blend(5.0, 1, 2.0).is_err());
    assert_eq!(BlendRule::WEEKLY.half_weight_periods, 52.0);
}

// ---------------------------------------------------------------------------------
// Backtest

fn config(min_train: usize, horizon: usize) -> BacktestConfig {
    BacktestConfig { min_train, horizon }
}

#[test]
fn backtest_metrics_match_a_hand_computation() {
    // SES alpha 0.5 on [0, 2, 0, 1, 3], origins 3 and 4:
    // origin 3: level 0 -> 0 -> 1 -> 0.5; actual 1, error 0.5; naive scale |Δ| 2, Δ² 4.
    // origin 4: level -> 0.75; actual 3, error 2.25; naive scale 5/3, Δ² 3.
    let y = [0.0, 2.0, 0.0, 1.0, 3.0];
    let metrics = evaluate(&y, Method::Ses { alpha: 0.5 }, config(3, 1)).expect("2 origins");
    assert_eq!(metrics.count, 2);
    assert_close(metrics.mae, 1.375, "mae");
    assert_close(metrics.rmse, ((0.25 + 5.0625) / 2.0_f64).sqrt(), "rmse");
    assert_close(metrics.bias, -1.375, "bias");
    assert_close(metrics.mase.expect("scaled"), 0.8, "mase");
    assert_close(metrics.rmsse.expect("scaled"), 0.875_f64.sqrt(), "rmsse");
}

#[test]
fn backtest_horizon_uses_every_available_actual() {
    // Origin 3 forecasts 0.5 for periods 3 and 4 (errors 0.5, 2.5); origin 4 only has
    // period 4 (error 2.25).
    let y = [0.0, 2.0, 0.0, 1.0, 3.0];
    let metrics = evaluate(&y, Method::Ses { alpha: 0.5 }, config(3, 2)).expect("2 origins");
    assert_eq!(metrics.count, 3);
    assert_close(metrics.mae, (0.5 + 2.5 + 2.25) / 3.0, "mae");
    let mase = (0.5 / 2.0 + 2.5 / 2.0 + 2.25 / (5.0 / 3.0)) / 3.0;
    assert_close(metrics.mase.expect("scaled"), mase, "mase");
}

#[test]
fn zero_naive_scale_leaves_the_origin_out_of_scaled_metrics() {
    let y = [0.0, 0.0, 0.0, 5.0];
    let metrics = evaluate(&y, Method::Ses { alpha: 0.1 }, config(3, 1)).expect("1 origin");
    assert_eq!(metrics.mae, 5.0);
    assert_eq!((metrics.mase, metrics.rmsse), (None, None));
    // Origin 3 (all zeros) is skipped for MASE, origin 4 ([0,0,0,5]) is kept.
    let y = [0.0, 0.0, 0.0, 5.0, 0.0];
    let metrics = evaluate(&y, Method::Ses { alpha: 1.0 }, config(3, 1)).expect("2 origins");
    assert_eq!(metrics.mae, (5.0 + 5.0) / 2.0);
    assert_close(
        metrics.mase.expect("origin 4 has a scale"),
        5.0 / (5.0 / 3.0),
        "mase",
    );
}

#[test]
fn too_short_series_fall_back_to_sba() {
    let y = [0.0, 1.0, 0.0];
    let report = backtest(
        "P1",
        &y,
        &Method::all(MethodParams::default()),
        config(12, 1),
    );
    assert_eq!(report.origins, 0);
    assert_eq!(report.chosen, FALLBACK_METHOD);
    assert_eq!(FALLBACK_METHOD, Method::Sba);
    assert!(
        report
            .candidates
            .iter()
            .all(|candidate| candidate.errors.is_none())
    );
}

#[test]
fn backtest_chooses_the_lowest_error() {
    // A level shift from 0 to a steady 10: fast SES (alpha 1) follows at once.
    let mut y = vec![0.0; 12];
    y.extend([10.0; 12]);
    let candidates = [
        Method::Ses { alpha: 0.1 },
        Method::Ses { alpha: 1.0 },
        Method::Croston,
    ];
    let report = backtest("P2", &y, &candidates, config(12, 1));
    assert_eq!(report.origins, 12);
    assert_eq!(report.chosen, Method::Ses { alpha: 1.0 });
    assert_eq!(report.candidates.len(), 3);
    let json = serde_json::to_value(&report).expect("serialises");
    assert_eq!(json["part"], "P2");
    assert_eq!(json["chosen"]["method"], "ses");
    assert_eq!(json["chosen"]["alpha"], 1.0);
    assert_eq!(json["candidates"][2]["method"], "croston");
    assert!(json["candidates"][2]["errors"]["mase"].is_number());
}

#[test]
fn ties_go_to_the_earlier_candidate() {
    let zeros = [0.0; 20];
    for (candidates, winner) in [
        ([Method::Croston, Method::Sba], Method::Croston),
        ([Method::Sba, Method::Croston], Method::Sba),
    ] {
        let report = backtest("P3", &zeros, &candidates, config(12, 1));
        assert_eq!(report.chosen, winner);
    }
    let report = backtest(
        "P3",
        &zeros,
        &Method::all(MethodParams::default()),
        config(12, 1),
    );
    assert_eq!(report.chosen.name(), "ses", "first in METHOD_NAMES order");
}

fn metrics(mae: f64, rmse: f64, mase: Option<f64>) -> Option<ErrorMetrics> {
    Some(ErrorMetrics {
        count: 4,
        mae,
        rmse,
        mase,
        rmsse: mase,
        bias: 0.0,
    })
}

#[test]
fn choice_rule_is_mase_then_rmse_then_order() {
    let report = |method: Method, errors| CandidateReport { method, errors };
    // Lowest MASE wins even with a higher MAE and RMSE.
    let reports = [
        report(Method::Croston, metrics(1.0, 1.0, Some(0.9))),
        report(Method::Sba, metrics(2.0, 2.0, Some(0.8))),
    ];
    assert_eq!(choose(&reports), Some(Method::Sba));
    // Equal MASE: the lower RMSE.
    let reports = [
        report(Method::Croston, metrics(1.0, 1.5, Some(0.8))),
        report(Method::Sba, metrics(1.0, 1.2, Some(0.8))),
    ];
    assert_eq!(choose(&reports), Some(Method::Sba));
    // Equal MASE and RMSE: the earlier candidate.
    let reports = [
        report(Method::Croston, metrics(1.0, 1.2, Some(0.8))),
        report(Method::Sba, metrics(1.0, 1.2, Some(0.8 * (1.0 + 1e-15)))),
    ];
    assert_eq!(choose(&reports), Some(Method::Croston));
    // No MASE anywhere: MAE decides.
    let reports = [
        report(Method::Croston, metrics(2.0, 1.0, None)),
        report(Method::Sba, metrics(1.0, 3.0, None)),
    ];
    assert_eq!(choose(&reports), Some(Method::Sba));
    // Nothing evaluated: no choice.
    assert_eq!(choose(&[report(Method::Croston, None)]), None);
}

// ---------------------------------------------------------------------------------
// CSV reading

fn parse(text: &str) -> Result<Vec<Series>, SeriesError> {
    read_wide_csv(text.as_bytes())
}

#[test]
fn wide_csv_reads_series_ending_early() {
    let series = parse("Part,m1,m2,m3\nA,0,1,2\nB, 3 ,0,\nC,4,,\n").expect("valid");
    assert_eq!(series.len(), 3);
    assert_eq!(series[0].values, vec![0.0, 1.0, 2.0]);
    assert_eq!(series[1].values, vec![3.0, 0.0]);
    assert_eq!(series[2].values, vec![4.0]);
    // Short (ragged) rows and trailing empty extra cells are fine too.
    let series = parse("Part,m1,m2,m3\nA,1\nB,1,2,3,,\n").expect("valid");
    assert_eq!(series[0].values, vec![1.0]);
    assert_eq!(series[1].values.len(), 3);
}

#[test]
fn wide_csv_errors_name_line_column_and_part() {
    let cases = [
        ("", "the input is empty"),
        ("Part,m1\n", "header but no data rows"),
        (
            "Part,m1,m2\nA,1,x\n",
            r#"line 2 (part "A"), column 3 ("m2"): cannot parse "x" as a number"#,
        ),
        (
            "Part,m1,m2\nA,1,2\nB,-1,2\n",
            r#"line 3 (part "B"), column 2 ("m1"): demand cannot be negative, got -1"#,
        ),
        (
            "Part,m1,m2,m3\nA,1,,3\n",
            r#"line 2 (part "A"), column 4 ("m3"): value "3" follows an empty cell in column 3"#,
        ),
        ("Part,m1\nA,NaN\n", "is not a finite number"),
        ("Part,m1\nA,inf\n", "is not a finite number"),
        ("Part,m1\nA,\n", r#"line 2 (part "A"): no values"#),
        ("Part,m1\n,1\n", "line 2: the part id (column 1) is empty"),
        (
            "Part,m1\nA,1,2\n",
            "column 3: value beyond the header's 2 columns",
        ),
    ];
    for (text, message) in cases {
        let error = parse(text).expect_err(text);
        let shown = error.to_string();
        assert!(
            shown.contains(message),
            "{text:?}: {shown:?} lacks {message:?}"
        );
        assert!(!shown.contains('\n'), "one line: {shown:?}");
    }
}

#[test]
fn negative_zero_is_read_as_zero() {
    let series = parse("Part,m1\nA,-0\n").expect("valid");
    assert!(series[0].values[0].is_sign_positive());
}

// ---------------------------------------------------------------------------------
// CLI

static NEXT_FILE: AtomicUsize = AtomicUsize::new(0);

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> Self {
        let name = format!(
            "spares-forecast-test-{}-{}.csv",
            std::process::id(),
            NEXT_FILE.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("temp file is writable");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn spares(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spares"))
        .args(args)
        .output()
        .expect("the spares binary runs")
}

fn forecast_cli(input: &Path, extra: &[&str]) -> Output {
    let input = input.to_str().expect("temp path is UTF-8");
    let mut args = vec!["forecast", "--input", input];
    args.extend_from_slice(extra);
    spares(&args)
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

const SMALL_CSV: &str = "Part,m1,m2,m3,m4,m5,m6\nA,0,2,0,0,1,0\nB,3,1,2,,,\nZ,0,0,0,0,0,0\n";

#[test]
fn cli_prints_one_json_line_per_series() {
    let file = TempFile::new(SMALL_CSV);
    let lines = json_lines(&forecast_cli(file.path(), &["--method", "croston"]));
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["part"], "A");
    assert_eq!(lines[0]["method"], "croston");
    let expected = croston_classic(&[0.0, 2.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(lines[0]["forecast"], serde_json::json!([expected]));
    assert_eq!(
        lines[1]["forecast"],
        serde_json::json!([croston_classic(&[3.0, 1.0, 2.0])])
    );
    assert_eq!(lines[2]["forecast"], serde_json::json!([0.0]));
    assert!(lines[0].get("chosen").is_none() && lines[0].get("class").is_none());
}

#[test]
fn cli_uses_parameters_and_horizon() {
    let file = TempFile::new(SMALL_CSV);
    let y = [0.0, 2.0, 0.0, 0.0, 1.0, 0.0];
    let lines = json_lines(&forecast_cli(
        file.path(),
        &["--method", "ses", "--alpha", "0.3", "--horizon", "3"],
    ));
    assert_eq!(
        lines[0]["forecast"],
        serde_json::json!(vec![ses_forecast(&y, 0.3); 3])
    );
    let lines = json_lines(&forecast_cli(
        file.path(),
        &["--method", "tsb", "--alpha-d", "0.3", "--alpha-p", "0.05"],
    ));
    let tsb = Method::Tsb {
        alpha_d: 0.3,
        alpha_p: 0.05,
    };
    assert_eq!(
        lines[0]["forecast"],
        serde_json::json!([tsb.forecast_one(&y)])
    );
    for name in METHOD_NAMES {
        let lines = json_lines(&forecast_cli(file.path(), &["--method", name]));
        assert_eq!(lines.len(), 3, "{name}");
        assert_eq!(lines[1]["method"], name);
    }
}

#[test]
fn cli_classify_adds_class_adi_and_cv2() {
    let file = TempFile::new(SMALL_CSV);
    let lines = json_lines(&forecast_cli(
        file.path(),
        &["--method", "sba", "--classify"],
    ));
    assert_eq!(lines[0]["class"], "intermittent");
    assert_eq!(lines[0]["adi"], 2.5);
    assert_close(
        lines[0]["cv2"].as_f64().expect("number"),
        0.25 / 2.25,
        "cv2",
    );
    assert_eq!(lines[1]["class"], "smooth");
    assert_eq!(lines[2]["class"], "no-demand");
    assert!(lines[2]["adi"].is_null() && lines[2]["cv2"].is_null());
}

#[test]
fn cli_auto_adds_the_backtest_choice() {
    let mut csv = String::from("Part");
    for month in 1..=24 {
        csv.push_str(&format!(",m{month}"));
    }
    csv.push_str("\nSHIFT");
    for month in 1..=24 {
        csv.push_str(if month <= 12 { ",0" } else { ",10" });
    }
    csv.push_str("\nSHORT,0,1\n");
    let file = TempFile::new(&csv);
    let lines = json_lines(&forecast_cli(
        file.path(),
        &["--method", "auto", "--alpha", "1", "--horizon", "2"],
    ));
    assert_eq!(lines[0]["method"], "auto");
    assert_eq!(
        lines[0]["chosen"], "ses",
        "alpha 1 follows the shift at once"
    );
    assert_eq!(lines[0]["forecast"], serde_json::json!([10.0, 10.0]));
    assert_eq!(lines[1]["chosen"], "sba", "too short: fallback");
    assert_eq!(lines[1]["forecast"], serde_json::json!(vec![0.95 * 0.5; 2]));
}

#[test]
fn cli_forecasts_all_of_carparts() {
    let lines = json_lines(&spares(&[
        "forecast", "--input", CARPARTS, "--method", "imapa",
    ]));
    assert_eq!(lines.len(), 2674);
    assert_eq!(lines[0]["part"], "21029627");
    assert_close(
        lines[0]["forecast"][0].as_f64().expect("number"),
        0.22804426721674992,
        "imapa",
    );
}

fn assert_cli_error(output: &Output, fragments: &[&str]) {
    assert!(
        !output.status.success(),
        "expected failure, got {:?}",
        output.status
    );
    assert!(output.stdout.is_empty(), "no partial output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for fragment in fragments {
        assert!(
            stderr.contains(fragment),
            "stderr {stderr:?} lacks {fragment:?}"
        );
    }
}

#[test]
fn cli_rejects_bad_numbers_naming_line_and_column() {
    let cases = [
        (
            "Part,m1,m2\nA,1,2\nB,1,x\n",
            vec!["line 3", "part \"B\"", "column 3", "\"x\""],
        ),
        (
            "Part,m1,m2\nA,-2,1\n",
            vec!["line 2", "column 2", "negative"],
        ),
        (
            "Part,m1,m2,m3\nA,1,,2\n",
            vec!["line 2", "column 4", "empty cell in column 3"],
        ),
        ("", vec!["empty"]),
        ("Part,m1\n", vec!["no data rows"]),
    ];
    for (text, fragments) in cases {
        let file = TempFile::new(text);
        assert_cli_error(&forecast_cli(file.path(), &["--method", "ses"]), &fragments);
    }
}

#[test]
fn cli_rejects_bad_options() {
    let file = TempFile::new(SMALL_CSV);
    let cases: [(&[&str], &[&str]); 9] = [
        (
            &["--method", "holt"],
            &["unknown method \"holt\"", "croston-opt"],
        ),
        (
            &["--method", "ses", "--alpha", "0"],
            &["--alpha must be in (0, 1], got 0"],
        ),
        (
            &["--method", "ses", "--alpha", "1.5"],
            &["--alpha must be in (0, 1]"],
        ),
        (
            &["--method", "ses", "--alpha", "-0.2"],
            &["--alpha must be in (0, 1]"],
        ),
        (
            &["--method", "tsb", "--alpha-p", "2"],
            &["--alpha-p must be in (0, 1]"],
        ),
        (
            &["--method", "tsb", "--alpha-d", "0"],
            &["--alpha-d must be in (0, 1]"],
        ),
        (
            &["--method", "croston", "--alpha", "0.2"],
            &["--alpha does not apply"],
        ),
        (
            &["--method", "sba", "--horizon", "0"],
            &["--horizon must be between 1 and 1000, got 0"],
        ),
        (
            &["--method", "sba", "--horizon", "1001"],
            &["--horizon must be between 1 and 1000"],
        ),
    ];
    for (args, fragments) in cases {
        assert_cli_error(&forecast_cli(file.path(), args), fragments);
    }
    let missing = std::env::temp_dir().join("spares-forecast-test-does-not-exist.csv");
    assert_cli_error(
        &forecast_cli(&missing, &["--method", "ses"]),
        &["cannot read"],
    );
}
