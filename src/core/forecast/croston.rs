//! Croston's method and its variants: SBA and Croston with optimised smoothing.
//!
//! Croston splits an intermittent series into the sizes of the non-zero demands and
//! the intervals between them, smooths each with SES and forecasts their ratio (mean
//! demand per period). The decomposition follows statsforecast (`_demand`,
//! `_intervals`):
//! - demand sizes are the strictly positive values;
//! - intervals are counted between non-zero values, and the **first interval is counted
//!   from the start of the series**: a first demand in period 3 (1-based) gives a first
//!   interval of 3. Periods after the last demand do not enter any interval.
//!
//! A series with no positive value falls back to the naive forecast (its last value,
//! `0.0` for an all-zero or empty series), as statsforecast does.

use super::lanes::PackedSeries;
use super::optimise::{INTERMITTENT_OPT_BOUNDS, optimised_ses_forecasts};
use super::ses::Smoother;

/// Smoothing constant of classic Croston and SBA (statsforecast's fixed 0.1).
pub const CROSTON_ALPHA: f64 = 0.1;

/// Syntetos–Boylan bias correction as statsforecast applies it: a fixed factor 0.95.
///
/// The textbook SBA factor is `1 - alpha / 2`, which equals 0.95 only for alpha 0.1;
/// because classic Croston here always uses alpha 0.1 the two coincide, and we keep the
/// literal 0.95 to match statsforecast bit for bit.
pub const SBA_FACTOR: f64 = 0.95;

/// The strictly positive values of `y` (demand sizes), in order.
pub fn demand_sizes(y: &[f64]) -> impl Iterator<Item = f64> + '_ {
    y.iter().copied().filter(|value| *value > 0.0)
}

/// Each non-zero period of `y` as `(interval, value)`: the distance from the previous
/// non-zero period, the first counted from the start of the series (a demand in the
/// first period has interval 1).
pub fn nonzero_periods(y: &[f64]) -> impl Iterator<Item = (f64, f64)> + '_ {
    let mut previous_position = 0_usize;
    y.iter()
        .enumerate()
        .filter(|(_, value)| **value != 0.0)
        .map(move |(index, &value)| {
            let position = index + 1;
            let interval = position - previous_position;
            previous_position = position;
            (interval as f64, value)
        })
}

/// Inter-demand intervals of `y` (see [`nonzero_periods`]).
pub fn inter_demand_intervals(y: &[f64]) -> impl Iterator<Item = f64> + '_ {
    nonzero_periods(y).map(|(interval, _)| interval)
}

/// Last value of `y`, or `0.0` for an empty series: the fallback without demand.
fn naive(y: &[f64]) -> f64 {
    y.last().copied().unwrap_or(0.0)
}

/// `size / interval`, guarding the (impossible for intervals >= 1) zero interval as
/// statsforecast does.
fn ratio(size: f64, interval: f64) -> f64 {
    if interval != 0.0 {
        size / interval
    } else {
        size
    }
}

/// Classic Croston one-step forecast (alpha 0.1 on sizes and intervals).
///
/// Sizes and intervals are smoothed in one pass over `y`: the two recursions are
/// independent, so the processor runs them side by side.
pub fn croston_classic(y: &[f64]) -> f64 {
    let mut sizes = Smoother::new(CROSTON_ALPHA);
    let mut intervals = Smoother::new(CROSTON_ALPHA);
    for (interval, value) in nonzero_periods(y) {
        intervals.push(interval);
        if value > 0.0 {
            sizes.push(value);
        }
    }
    if sizes.is_empty() {
        return naive(y);
    }
    ratio(sizes.forecast(), intervals.forecast())
}

/// Syntetos–Boylan approximation: classic Croston times [`SBA_FACTOR`].
pub fn croston_sba(y: &[f64]) -> f64 {
    croston_classic(y) * SBA_FACTOR
}

/// Croston with sizes and intervals each smoothed with their own alpha, optimised on
/// [`INTERMITTENT_OPT_BOUNDS`] by the golden-section search.
pub fn croston_optimised(y: &[f64]) -> f64 {
    croston_optimised_many(&[y]).pop().unwrap_or(0.0)
}

/// [`croston_optimised`] for many series; all their searches (sizes and intervals) run
/// together in lanes (see [`super::optimise`]).
pub fn croston_optimised_many(series: &[&[f64]]) -> Vec<f64> {
    let mut inputs = PackedSeries::default();
    let has_demand: Vec<bool> = series
        .iter()
        .map(|y| {
            let has_demand = y.iter().any(|value| *value > 0.0);
            if has_demand {
                inputs.push(demand_sizes(y));
                inputs.push(inter_demand_intervals(y));
            }
            has_demand
        })
        .collect();
    let forecasts = optimised_ses_forecasts(&inputs.slices(), INTERMITTENT_OPT_BOUNDS);
    let mut size_interval_pairs = forecasts.chunks_exact(2);
    series
        .iter()
        .zip(has_demand)
        .map(|(y, has_demand)| {
            let pair = if has_demand {
                size_interval_pairs.next()
            } else {
                None
            };
            pair.map_or_else(|| naive(y), |pair| ratio(pair[0], pair[1]))
        })
        .collect()
}
