//! Temporal aggregation methods: ADIDA and IMAPA.
//!
//! Both sum the series over non-overlapping blocks of `k` periods, which removes most
//! zeros, forecast the block totals with optimised SES (alpha in
//! [`INTERMITTENT_OPT_BOUNDS`]) and divide by `k` to get back a per-period rate.
//!
//! Details that follow statsforecast 2.1.1 (`_adida`, `_imapa`, `chunk_forecast`):
//! - blocks are aligned to the **end** of the series: the `n % k` oldest periods are
//!   dropped, so the newest data always fills the last block;
//! - the aggregation level is the mean inter-demand interval (first interval counted
//!   from the start of the series, see [`super::croston`]) rounded **half to even**,
//!   as Python's `round` does (a mean interval of 2.5 gives 2, 3.5 gives 4);
//! - an all-zero (or empty) series forecasts `0.0`.
//!
//! IMAPA averages the per-period forecasts of every level from 1 to that rounded mean
//! interval. Its block totals and that average are summed in numpy's pairwise order
//! (statsforecast computes them with `sum(axis=1)` and `mean()`), ADIDA's block totals
//! left to right (statsforecast's C++ `chunk_forecast`): for whole-number demand the
//! order does not matter, for fractional demand it keeps the last bit identical.
//!
//! The level never exceeds the series length (the mean interval is at most the position
//! of the last demand), so there is always at least one complete block.

use super::classify::adi;
use super::lanes::PackedSeries;
use super::optimise::{INTERMITTENT_OPT_BOUNDS, optimised_ses_forecasts};

/// The average inter-demand interval ([`adi`]) rounded half to even, or `None` without
/// any demand. Intervals are at least 1, so the level is at least 1 and at most the
/// series length.
fn aggregation_level(y: &[f64]) -> Option<usize> {
    adi(y).map(|mean_interval| (mean_interval.round_ties_even() as usize).max(1))
}

/// Totals of consecutive blocks of `level` periods, aligned to the end of `y`, each
/// added up by `sum`.
fn block_totals(y: &[f64], level: usize, sum: fn(&[f64]) -> f64) -> impl Iterator<Item = f64> + '_ {
    let dropped = y.len() % level;
    y[dropped..].chunks_exact(level).map(sum)
}

/// Left-to-right sum, as statsforecast's C++ `chunk_forecast` (ADIDA) adds a block.
fn sequential_sum(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |sum, value| sum + value)
}

/// ADIDA one-step forecast: aggregate at the mean inter-demand interval.
pub fn adida(y: &[f64]) -> f64 {
    adida_many(&[y]).pop().unwrap_or(0.0)
}

/// [`adida`] for many series, their searches run together in lanes.
pub fn adida_many(series: &[&[f64]]) -> Vec<f64> {
    let mut inputs = PackedSeries::default();
    let levels: Vec<Option<usize>> = series
        .iter()
        .map(|y| {
            let level = aggregation_level(y);
            if let Some(level) = level {
                inputs.push(block_totals(y, level, sequential_sum));
            }
            level
        })
        .collect();
    let mut total_forecasts =
        optimised_ses_forecasts(&inputs.slices(), INTERMITTENT_OPT_BOUNDS).into_iter();
    levels
        .into_iter()
        .map(|level| match level {
            Some(level) => total_forecasts
                .next()
                .map_or(0.0, |total| total / level as f64),
            None => 0.0,
        })
        .collect()
}

/// IMAPA one-step forecast: mean of the ADIDA-style forecasts at every level from 1 to
/// the mean inter-demand interval.
pub fn imapa(y: &[f64]) -> f64 {
    imapa_many(&[y]).pop().unwrap_or(0.0)
}

/// [`imapa`] for many series; every level of every series is one search, all run
/// together in lanes.
pub fn imapa_many(series: &[&[f64]]) -> Vec<f64> {
    let mut inputs = PackedSeries::default();
    let max_levels: Vec<usize> = series
        .iter()
        .map(|y| {
            let max_level = aggregation_level(y).unwrap_or(0);
            for level in 1..=max_level {
                inputs.push(block_totals(y, level, pairwise_sum));
            }
            max_level
        })
        .collect();
    let total_forecasts = optimised_ses_forecasts(&inputs.slices(), INTERMITTENT_OPT_BOUNDS);
    let mut remaining = total_forecasts.as_slice();
    let mut per_period = Vec::new();
    max_levels
        .into_iter()
        .map(|max_level| {
            if max_level == 0 || remaining.len() < max_level {
                return 0.0;
            }
            let (totals, rest) = remaining.split_at(max_level);
            remaining = rest;
            per_period.clear();
            per_period.extend(
                totals
                    .iter()
                    .zip(1..)
                    .map(|(total, level)| total / f64::from(level)),
            );
            pairwise_sum(&per_period) / max_level as f64
        })
        .collect()
}

/// Sum in numpy's order (`pairwise_sum` in numpy's `loops_utils`): plain left-to-right
/// below 8 values, eight interleaved accumulators up to 128, halving above that. IMAPA
/// averages its per-level forecasts with `numpy.mean`, and summing in the same order
/// keeps our forecast identical to the last bit.
fn pairwise_sum(values: &[f64]) -> f64 {
    const UNROLL: usize = 8;
    const BLOCK: usize = 128;
    let n = values.len();
    if n < UNROLL {
        return values.iter().fold(0.0, |sum, value| sum + value);
    }
    if n <= BLOCK {
        let mut lanes = [0.0; UNROLL];
        lanes.copy_from_slice(&values[..UNROLL]);
        let whole = n - n % UNROLL;
        for chunk in values[UNROLL..whole].chunks_exact(UNROLL) {
            for (lane, value) in lanes.iter_mut().zip(chunk) {
                *lane += value;
            }
        }
        let mut sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
            + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for value in &values[whole..] {
            sum += value;
        }
        return sum;
    }
    let mut half = n / 2;
    half -= half % UNROLL;
    pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
}
