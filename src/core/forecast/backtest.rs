//! Rolling-origin backtest and automatic per-part method choice.
//!
//! **Origins.** For a series of length `n`, every origin `t` from
//! [`BacktestConfig::min_train`] to `n − 1` fits on `y[..t]` and forecasts the next
//! [`BacktestConfig::horizon`] periods; each forecast is compared with the actuals that
//! exist (the last origins have fewer than `horizon`). The defaults are 12 periods of
//! training (one year of monthly data, enough for the optimisers to see a few demands)
//! and a horizon of 1.
//!
//! **Metrics**, over all (origin, step) pairs, with `e = actual − forecast`:
//! - MAE `mean |e|`, RMSE `sqrt(mean e²)`, bias `mean(forecast − actual)` (positive
//!   means over-forecasting);
//! - MASE `mean(|e| / s₁)` and RMSSE `sqrt(mean(e² / s₂))`, where `s₁` and `s₂` are
//!   the mean absolute and mean squared in-sample one-step naive errors
//!   (`y[i] − y[i−1]`) **of that origin's training window**, as in Hyndman & Koehler
//!   and the M5 competition. An origin whose scale is zero (a constant training window,
//!   typically all zeros) or undefined (fewer than two training values) is left out of
//!   MASE and RMSSE but kept in the other metrics; if every origin is left out, MASE
//!   and RMSSE are `None`.
//!
//! **Choice.** The chosen method has the lowest MASE; when MASE is `None` (the same for
//! every candidate, since it depends only on the series) the lowest MAE. Values within
//! a relative `1e-12` of each other are ties, broken by the lower RMSE, then by the
//! candidates' order (for [`super::Method::all`]: ses, ses-opt, croston, sba,
//! croston-opt, tsb, adida, imapa). A series too short for any origin
//! (`n ≤ min_train`) cannot be backtested: it gets [`FALLBACK_METHOD`] (SBA, the usual
//! recommendation for intermittent and lumpy demand) and `origins = 0`.

use serde::Serialize;

use super::Method;

/// Default training length of the first origin (periods).
pub const DEFAULT_MIN_TRAIN: usize = 12;

/// Default number of periods forecast from each origin.
pub const DEFAULT_HORIZON: usize = 1;

/// Method chosen when a series is too short to backtest.
pub const FALLBACK_METHOD: Method = Method::Sba;

/// Relative difference below which two metric values are a tie.
const TIE_TOLERANCE: f64 = 1e-12;

/// Rolling-origin settings. Zero values are treated as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacktestConfig {
    /// Training length of the first origin.
    pub min_train: usize,
    /// Periods forecast from each origin.
    pub horizon: usize,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            min_train: DEFAULT_MIN_TRAIN,
            horizon: DEFAULT_HORIZON,
        }
    }
}

/// Forecast errors of one method over all origins.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorMetrics {
    /// Number of (origin, step) forecasts compared.
    pub count: usize,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute scaled error (`None` if no origin has a non-zero scale).
    pub mase: Option<f64>,
    /// Root mean squared scaled error (`None` if no origin has a non-zero scale).
    pub rmsse: Option<f64>,
    /// Mean of forecast − actual.
    pub bias: f64,
}

/// One candidate's errors in a [`BacktestReport`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CandidateReport {
    /// The candidate method and its parameters.
    #[serde(flatten)]
    pub method: Method,
    /// Its errors, `None` when the series is too short to backtest.
    pub errors: Option<ErrorMetrics>,
}

/// Backtest result for one part: the chosen method and every candidate's errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestReport {
    /// Part identifier.
    pub part: String,
    /// The method chosen for the part.
    pub chosen: Method,
    /// Number of forecast origins evaluated (0: too short, fallback chosen).
    pub origins: usize,
    /// Every candidate in the order given.
    pub candidates: Vec<CandidateReport>,
}

/// Naive one-step in-sample scales `(mean |Δy|, mean Δy²)` of `train`, or `None` if
/// either is zero or there are fewer than two values.
fn naive_scales(train: &[f64]) -> Option<(f64, f64)> {
    if train.len() < 2 {
        return None;
    }
    let (abs_sum, sq_sum) = train
        .windows(2)
        .fold((0.0, 0.0), |(abs_sum, sq_sum), pair| {
            let change = pair[1] - pair[0];
            (abs_sum + change.abs(), sq_sum + change * change)
        });
    let steps = (train.len() - 1) as f64;
    let (mean_abs, mean_sq) = (abs_sum / steps, sq_sum / steps);
    (mean_abs > 0.0 && mean_sq > 0.0).then_some((mean_abs, mean_sq))
}

/// Running sums behind [`ErrorMetrics`].
#[derive(Default)]
struct Accumulator {
    count: usize,
    abs_sum: f64,
    sq_sum: f64,
    bias_sum: f64,
    scaled_count: usize,
    scaled_abs_sum: f64,
    scaled_sq_sum: f64,
}

impl Accumulator {
    fn add(&mut self, actual: f64, forecast: f64, scales: Option<(f64, f64)>) {
        let error = actual - forecast;
        self.count += 1;
        self.abs_sum += error.abs();
        self.sq_sum += error * error;
        self.bias_sum += forecast - actual;
        if let Some((mean_abs, mean_sq)) = scales {
            self.scaled_count += 1;
            self.scaled_abs_sum += error.abs() / mean_abs;
            self.scaled_sq_sum += error * error / mean_sq;
        }
    }

    fn finish(&self) -> Option<ErrorMetrics> {
        if self.count == 0 {
            return None;
        }
        let count = self.count as f64;
        let scaled = (self.scaled_count > 0).then_some(self.scaled_count as f64);
        Some(ErrorMetrics {
            count: self.count,
            mae: self.abs_sum / count,
            rmse: (self.sq_sum / count).sqrt(),
            mase: scaled.map(|n| self.scaled_abs_sum / n),
            rmsse: scaled.map(|n| (self.scaled_sq_sum / n).sqrt()),
            bias: self.bias_sum / count,
        })
    }
}

/// Rolling-origin errors of `method` on `y`, or `None` if `y` has no origin.
pub fn evaluate(y: &[f64], method: Method, config: BacktestConfig) -> Option<ErrorMetrics> {
    let min_train = config.min_train.max(1);
    let horizon = config.horizon.max(1);
    let origins = min_train..y.len().max(min_train);
    let trains: Vec<&[f64]> = origins.clone().map(|origin| &y[..origin]).collect();
    // One batch over all origins lets the optimised methods search side by side.
    let forecasts = method.forecast_many(&trains);
    let mut accumulator = Accumulator::default();
    for ((origin, train), forecast) in origins.zip(&trains).zip(forecasts) {
        let scales = naive_scales(train);
        let end = origin.saturating_add(horizon).min(y.len());
        for &actual in &y[origin..end] {
            accumulator.add(actual, forecast, scales);
        }
    }
    accumulator.finish()
}

/// `a` is lower than `b` by more than the tie tolerance.
fn clearly_lower(a: f64, b: f64) -> bool {
    a < b && (b - a) > TIE_TOLERANCE * a.abs().max(b.abs())
}

/// `candidate` beats `best` under the documented choice rule.
fn beats(candidate: &ErrorMetrics, best: &ErrorMetrics) -> bool {
    let primary = |metrics: &ErrorMetrics| metrics.mase.unwrap_or(metrics.mae);
    let (c, b) = (primary(candidate), primary(best));
    if clearly_lower(c, b) {
        return true;
    }
    if clearly_lower(b, c) {
        return false;
    }
    clearly_lower(candidate.rmse, best.rmse)
}

/// The method the documented rule picks among evaluated `reports` (candidates without
/// errors are skipped), or `None` if none was evaluated.
pub fn choose(reports: &[CandidateReport]) -> Option<Method> {
    let mut best: Option<(Method, ErrorMetrics)> = None;
    for report in reports {
        let Some(errors) = report.errors else {
            continue;
        };
        match &best {
            Some((_, best_errors)) if !beats(&errors, best_errors) => {}
            _ => best = Some((report.method, errors)),
        }
    }
    best.map(|(method, _)| method)
}

/// Backtests every candidate on `y` and chooses one (see the module doc for the rule).
pub fn backtest(
    part: &str,
    y: &[f64],
    candidates: &[Method],
    config: BacktestConfig,
) -> BacktestReport {
    let origins = y.len().saturating_sub(config.min_train.max(1));
    let reports: Vec<CandidateReport> = candidates
        .iter()
        .map(|&method| CandidateReport {
            method,
            errors: evaluate(y, method, config),
        })
        .collect();
    BacktestReport {
        part: part.to_owned(),
        chosen: choose(&reports).unwrap_or(FALLBACK_METHOD),
        origins,
        candidates: reports,
    }
}
