//! Simple exponential smoothing (SES), the building block of every method here.
//!
//! The recursions follow statsforecast's C++ kernel (`src/ses.cpp`, `ses_forecast` and
//! `ses_sse`) operation for operation, because the optimiser in
//! [`super::optimise`] compares sums of squared errors exactly: a different rounding
//! order could send the golden-section search down another branch.
//!
//! Level initialisation: the level starts at the first observation and the first
//! observation is then smoothed into it as well, so the one-step forecast after `n`
//! observations is `n` applications of `f <- alpha * x + (1 - alpha) * f` starting from
//! `f = x[0]`. A single observation is returned as is (statsforecast special-cases it).

/// SES fed one value at a time, for methods that smooth several sub-series (sizes,
/// intervals, occurrences) in a single pass over the data.
#[derive(Debug, Clone, Copy)]
pub struct Smoother {
    alpha: f64,
    first: f64,
    level: f64,
    count: usize,
}

impl Smoother {
    /// An empty smoother with constant `alpha`.
    pub fn new(alpha: f64) -> Self {
        Self {
            alpha,
            first: 0.0,
            level: 0.0,
            count: 0,
        }
    }

    /// Smooths in the next value.
    pub fn push(&mut self, value: f64) {
        let level = if self.count == 0 {
            self.first = value;
            value
        } else {
            self.level
        };
        self.level = self.alpha * value + (1.0 - self.alpha) * level;
        self.count += 1;
    }

    /// No value pushed yet.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The one-step-ahead forecast after the values pushed so far: `0.0` for none (no
    /// evidence of demand; statsforecast raises an error instead), the value itself for
    /// one (statsforecast special-cases it).
    pub fn forecast(&self) -> f64 {
        match self.count {
            0 => 0.0,
            1 => self.first,
            _ => self.level,
        }
    }
}

/// One-step-ahead SES forecast of the values yielded by `values`.
pub fn ses_forecast_iter<I>(values: I, alpha: f64) -> f64
where
    I: IntoIterator<Item = f64>,
{
    let mut smoother = Smoother::new(alpha);
    values.into_iter().for_each(|value| smoother.push(value));
    smoother.forecast()
}

/// One-step-ahead SES forecast of `values` with smoothing constant `alpha`.
pub fn ses_forecast(values: &[f64], alpha: f64) -> f64 {
    ses_forecast_iter(values.iter().copied(), alpha)
}

/// In-sample sum of squared one-step errors of SES, the objective the optimiser
/// minimises. The first observation has no forecast and is not scored; fewer than two
/// observations score `0.0`.
pub fn ses_sse(values: &[f64], alpha: f64) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let complement = 1.0 - alpha;
    let mut level = values[0];
    let mut sse = 0.0;
    for pair in values.windows(2) {
        level = alpha * pair[0] + complement * level;
        let error = pair[1] - level;
        sse += error * error;
    }
    sse
}
