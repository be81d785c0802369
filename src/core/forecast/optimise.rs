//! The smoothing-constant optimiser: statsforecast's bounded golden-section search.
//!
//! statsforecast 2.1.1 (`golden_section_ses` in `src/ses.cpp`) does not call a general
//! optimiser: it runs a plain golden-section search for the alpha that minimises the
//! in-sample SES sum of squared errors ([`super::ses::ses_sse`]) on a closed interval,
//! stopping when the bracket is narrower than `1e-12` or when both probes score exactly
//! the same (a flat objective, e.g. a constant series or fewer than two values), and
//! returns the bracket's midpoint. We reproduce it step for step so that the chosen
//! alpha, and hence the forecast, is the same to the last bit. That matters: for two
//! values the objective is flat up to rounding, so the rounding alone steers the search.
//!
//! The bounds differ per caller, exactly as in statsforecast:
//! - [`SES_OPT_BOUNDS`] `(0.01, 0.99)` for `SimpleExponentialSmoothingOptimized`;
//! - [`INTERMITTENT_OPT_BOUNDS`] `(0.1, 0.3)` for Croston optimised, ADIDA and IMAPA.
//!
//! Other libraries search differently (R's `forecast::croston` fixes alpha; `tsintermittent`
//! optimises over `(0, 1)` with other cost functions), so an "optimised" alpha is only
//! comparable between implementations that share both the bounds and the objective.
//!
//! # Speed
//! One search evaluates the objective about 57 times, one after the other, and each
//! evaluation is a chain of dependent multiply-adds, so a single search leaves most of
//! the processor idle. [`golden_section_alphas`] and [`optimised_ses_forecasts`]
//! therefore run independent searches (every series of a batch, every aggregation level
//! of every series, Croston's sizes and intervals) [`LANES`] at a time in lockstep
//! ([`super::lanes`]); each lane does exactly the scalar search's arithmetic. Inputs
//! left over after the last full group of [`LANES`] are searched one at a time.

use super::lanes::{InterleavedLanes, LANES, in_lanes};
use super::ses::{ses_forecast, ses_sse};

/// Alpha range searched by the optimised SES method (statsforecast's `_ses_optimized`).
pub const SES_OPT_BOUNDS: (f64, f64) = (0.01, 0.99);

/// Alpha range searched by Croston optimised, ADIDA and IMAPA
/// (statsforecast's `_optimized_ses_forecast` default).
pub const INTERMITTENT_OPT_BOUNDS: (f64, f64) = (0.1, 0.3);

/// Width of the bracket below which the search stops.
const TOLERANCE: f64 = 1e-12;

fn golden_ratio() -> f64 {
    (5.0_f64.sqrt() + 1.0) / 2.0
}

/// The search's loop condition: the bracket `[a, b]` is still wide enough.
fn keeps_searching(a: f64, b: f64) -> bool {
    (b - a).abs() >= TOLERANCE
}

/// The alpha in `[lower, upper]` minimising [`ses_sse`] on `values`, found by
/// golden-section search (one series; see [`golden_section_alphas`] for many).
pub fn golden_section_alpha(values: &[f64], lower: f64, upper: f64) -> f64 {
    let golden_ratio = golden_ratio();
    let (mut a, mut b) = (lower, upper);
    let mut c = b - (b - a) / golden_ratio;
    let mut d = a + (b - a) / golden_ratio;
    let mut fc = ses_sse(values, c);
    let mut fd = ses_sse(values, d);
    while keeps_searching(a, b) {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - (b - a) / golden_ratio;
            fc = ses_sse(values, c);
        } else if fd < fc {
            a = c;
            c = d;
            fc = fd;
            d = a + (b - a) / golden_ratio;
            fd = ses_sse(values, d);
        } else {
            // Equal scores (including NaN from non-finite input) end the search, as in
            // statsforecast; this also guarantees termination.
            break;
        }
    }
    (b + a) / 2.0
}

/// The brackets of [`LANES`] golden-section searches run in lockstep: `[a, b]` with
/// probes `c < d` scoring `fc` and `fd`.
struct Brackets {
    a: [f64; LANES],
    b: [f64; LANES],
    c: [f64; LANES],
    d: [f64; LANES],
    fc: [f64; LANES],
    fd: [f64; LANES],
    searching: [bool; LANES],
}

impl Brackets {
    /// The scalar search's next step for every lane: if `fc < fd` the bracket becomes
    /// `[a, d]` and the lower probe moves down, if `fd < fc` it becomes `[c, b]` and the
    /// upper probe moves up, otherwise (or once narrow enough) the lane stops. Returns
    /// the new probes and which side moved; [`Self::accept`] completes the step.
    ///
    /// Written as short straight-line loops over the lanes (non-short-circuit `&`/`|`,
    /// selects), one operation each, so that the compiler turns them into vector
    /// instructions without branches: the comparisons are data-dependent coin flips a
    /// branch predictor would often get wrong, and a single loop doing everything stayed
    /// scalar.
    #[inline(always)]
    #[allow(
        clippy::needless_range_loop,
        reason = "lane-indexed loops over parallel arrays are what the compiler vectorises"
    )]
    fn propose(&mut self, golden_ratio: f64) -> ([f64; LANES], [bool; LANES]) {
        let mut lower = [false; LANES];
        for lane in 0..LANES {
            lower[lane] = self.fc[lane] < self.fd[lane];
        }
        for lane in 0..LANES {
            let moves = lower[lane] | (self.fd[lane] < self.fc[lane]);
            self.searching[lane] &= keeps_searching(self.a[lane], self.b[lane]) & moves;
        }
        let mut steps = [0.0; LANES];
        for lane in 0..LANES {
            steps[lane] = if lower[lane] {
                self.d[lane] - self.a[lane]
            } else {
                self.b[lane] - self.c[lane]
            };
        }
        for step in &mut steps {
            *step /= golden_ratio;
        }
        let mut probes = [0.0; LANES];
        for lane in 0..LANES {
            probes[lane] = if lower[lane] {
                self.d[lane] - steps[lane]
            } else {
                self.c[lane] + steps[lane]
            };
        }
        (probes, lower)
    }

    /// Completes the step of lanes still searching with the new probes' `scores`.
    #[inline(always)]
    fn accept(&mut self, probes: [f64; LANES], lower: [bool; LANES], scores: [f64; LANES]) {
        let (old_c, old_d) = (self.c, self.d);
        let (old_fc, old_fd) = (self.fc, self.fd);
        for lane in 0..LANES {
            let upper_moved = self.searching[lane] & !lower[lane];
            self.a[lane] = if upper_moved {
                old_c[lane]
            } else {
                self.a[lane]
            };
        }
        for lane in 0..LANES {
            let lower_moved = self.searching[lane] & lower[lane];
            self.b[lane] = if lower_moved {
                old_d[lane]
            } else {
                self.b[lane]
            };
        }
        for lane in 0..LANES {
            let moved = if lower[lane] {
                probes[lane]
            } else {
                old_d[lane]
            };
            self.c[lane] = if self.searching[lane] {
                moved
            } else {
                old_c[lane]
            };
        }
        for lane in 0..LANES {
            let moved = if lower[lane] {
                old_c[lane]
            } else {
                probes[lane]
            };
            self.d[lane] = if self.searching[lane] {
                moved
            } else {
                old_d[lane]
            };
        }
        for lane in 0..LANES {
            let moved = if lower[lane] {
                scores[lane]
            } else {
                old_fd[lane]
            };
            self.fc[lane] = if self.searching[lane] {
                moved
            } else {
                old_fc[lane]
            };
        }
        for lane in 0..LANES {
            let moved = if lower[lane] {
                old_fc[lane]
            } else {
                scores[lane]
            };
            self.fd[lane] = if self.searching[lane] {
                moved
            } else {
                old_fd[lane]
            };
        }
    }
}

/// [`LANES`] golden-section searches run in lockstep; lane `l` returns exactly what
/// [`golden_section_alpha`] returns for that lane's series.
///
/// On x86-64 processors with AVX this is compiled a second time with AVX enabled and
/// chosen at run time (as the SSE kernel in [`super::ses`] is): twice the vector width.
fn golden_section_lanes(lanes: &InterleavedLanes, lower: f64, upper: f64) -> [f64; LANES] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the processor supports AVX, as checked just above.
        return unsafe { golden_section_lanes_avx(lanes, lower, upper) };
    }
    golden_section_lanes_body(lanes, lower, upper)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn golden_section_lanes_avx(lanes: &InterleavedLanes, lower: f64, upper: f64) -> [f64; LANES] {
    golden_section_lanes_body(lanes, lower, upper)
}

#[inline(always)]
fn golden_section_lanes_body(lanes: &InterleavedLanes, lower: f64, upper: f64) -> [f64; LANES] {
    let golden_ratio = golden_ratio();
    let c = [upper - (upper - lower) / golden_ratio; LANES];
    let d = [lower + (upper - lower) / golden_ratio; LANES];
    let mut brackets = Brackets {
        a: [lower; LANES],
        b: [upper; LANES],
        c,
        d,
        fc: lanes.ses_sse(c),
        fd: lanes.ses_sse(d),
        searching: [true; LANES],
    };
    loop {
        let (probes, moved_lower) = brackets.propose(golden_ratio);
        if !brackets.searching.contains(&true) {
            break;
        }
        let scores = lanes.ses_sse(probes);
        brackets.accept(probes, moved_lower, scores);
    }
    std::array::from_fn(|lane| (brackets.b[lane] + brackets.a[lane]) / 2.0)
}

/// `values` without the leading zeros that cannot change the SES recursion: smoothing
/// zeros into a level of zero gives exactly zero with zero error, so the SSE and the
/// forecast of the trimmed series are bit-identical (keeping the last leading zero as
/// the initial level). An all-zero series keeps one zero. Intermittent data, and
/// IMAPA's block totals above all, often start with long runs of zeros.
fn without_leading_zeros(values: &[f64]) -> &[f64] {
    match values.iter().position(|value| *value != 0.0) {
        Some(first) => &values[first.saturating_sub(1)..],
        None => &values[values.len().saturating_sub(1)..],
    }
}

/// [`golden_section_alpha`] for every input, bit for bit, computed [`LANES`] searches
/// at a time.
pub fn golden_section_alphas(inputs: &[&[f64]], lower: f64, upper: f64) -> Vec<f64> {
    let inputs: Vec<&[f64]> = inputs.iter().map(|x| without_leading_zeros(x)).collect();
    in_lanes(
        &inputs,
        |lanes| golden_section_lanes(lanes, lower, upper),
        |values| golden_section_alpha(values, lower, upper),
    )
}

/// One-step SES forecast with alpha optimised on `bounds`; returns `(forecast, alpha)`.
pub fn optimised_ses_forecast(values: &[f64], bounds: (f64, f64)) -> (f64, f64) {
    let alpha = golden_section_alpha(values, bounds.0, bounds.1);
    (ses_forecast(values, alpha), alpha)
}

/// [`optimised_ses_forecast`]'s forecast for every input, bit for bit, with searches
/// and forecasts computed [`LANES`] at a time.
pub fn optimised_ses_forecasts(inputs: &[&[f64]], bounds: (f64, f64)) -> Vec<f64> {
    let inputs: Vec<&[f64]> = inputs.iter().map(|x| without_leading_zeros(x)).collect();
    in_lanes(
        &inputs,
        |lanes| lanes.ses_forecasts(golden_section_lanes(lanes, bounds.0, bounds.1)),
        |values| optimised_ses_forecast(values, bounds).0,
    )
}
