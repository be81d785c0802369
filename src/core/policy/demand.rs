//! Lead-time demand: the number of units `X` in a replenishment or repair
//! pipeline at a random moment, and its backorder statistics.
//!
//! By Palm's theorem the pipeline of a one-for-one policy with Poisson demand
//! (rate `λ`) and any resupply-time distribution (mean `T`) is Poisson with
//! mean `λT`. When the pipeline is more variable than that (VARI-METRIC bases,
//! lumpy demand) a negative binomial with the same mean and variance is used.
//!
//! # Numerical method
//! Every statistic a stock policy needs at stock level `s` comes from one
//! summation, [`Tail`], that starts at `s` and walks *away from the mode*,
//! where the terms only shrink:
//!
//! - `s >= mode`: the upper tail is summed directly,
//!   `EBO(s) = Σ_{k>s} (k - s) p(k)`. Computing it as `mean - s + Σ_{k<s}...`
//!   would subtract two nearly equal numbers: for `mu = 0.0057, s = 4` the
//!   answer is `5.0e-14` and that form loses every digit.
//! - `s < mode`: the lower part is summed, `EBO(s) = (mean - s) + Σ_{k<s} (s - k) p(k)`,
//!   which adds two non-negative numbers.
//!
//! The starting probability comes from Loader's saddle-point form for the
//! Poisson (relative error ~1e-15 even for means in the thousands) and from
//! log-gamma for the negative binomial; the walk uses the ratio
//! `p(k+1)/p(k)`. Summation stops once a term no longer changes the result in
//! double precision.
use super::{PolicyError, non_negative};

/// Largest pipeline mean accepted: ten million units outstanding is far beyond
/// any spare part, and the limit bounds the length of every tail walk.
pub const MAX_MEAN: f64 = 1e7;

/// Largest variance-to-mean ratio accepted for a negative binomial; heavier
/// tails would make the tail walk arbitrarily long.
pub const MAX_VARIANCE_TO_MEAN: f64 = 1e4;

/// A variance within this relative distance of the mean is treated as Poisson.
const POISSON_TOLERANCE: f64 = 1e-9;

/// Smallest negative-binomial shape `r` used by [`LeadTimeDemand::fit`].
const MIN_SHAPE: f64 = 1e-10;

/// A term smaller than this share of its running sum is negligible.
const NEGLIGIBLE: f64 = 1e-17;

/// ln(sqrt(2π)).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Distribution of lead-time demand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LeadTimeDemand {
    /// Poisson pipeline (METRIC, single-location `(S-1, S)`).
    Poisson(Poisson),
    /// Over-dispersed pipeline, variance > mean (VARI-METRIC).
    NegativeBinomial(NegativeBinomial),
}

/// Poisson distribution with mean `mean >= 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Poisson {
    mean: f64,
}

/// Negative binomial: `p(k) = Γ(k+r) / (Γ(r) k!) · p^r · q^k`, `q = 1 - p`,
/// mean `r q / p`, variance `r q / p²` (the same parametrisation as statrs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NegativeBinomial {
    r: f64,
    p: f64,
    q: f64,
    mean: f64,
    variance: f64,
    /// `r ln p - ln Γ(r)`, the part of `ln p(k)` that does not depend on `k`.
    ln_constant: f64,
    ln_q: f64,
}

/// Backorder statistics of lead-time demand `X` at stock level `s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tail {
    /// Expected backorders `E[(X - s)+]`.
    pub expected_backorders: f64,
    /// Variance of backorders `Var[(X - s)+]` (Graves' VBO).
    pub backorder_variance: f64,
    /// `P(X <= s)`.
    pub cdf: f64,
    /// `P(X > s)`: the drop in expected backorders when `s` grows by one.
    pub sf: f64,
    /// `P(X = s)`.
    pub pmf: f64,
}

impl Tail {
    /// `E[((X - s)+)²]`.
    pub fn backorder_second_moment(&self) -> f64 {
        self.backorder_variance + self.expected_backorders * self.expected_backorders
    }

    /// `P(X <= s - 1)`: the fill rate of a base stock `s`.
    pub fn cdf_below(&self) -> f64 {
        (self.cdf - self.pmf).max(0.0)
    }
}

impl LeadTimeDemand {
    /// Poisson lead-time demand with the given mean (`λ · T`).
    pub fn poisson(mean: f64) -> Result<Self, PolicyError> {
        Ok(Self::Poisson(Poisson::new(mean)?))
    }

    /// Negative binomial with the given mean and variance; requires
    /// `variance > mean > 0`.
    pub fn negative_binomial(mean: f64, variance: f64) -> Result<Self, PolicyError> {
        Ok(Self::NegativeBinomial(NegativeBinomial::new(
            mean, variance,
        )?))
    }

    /// Two-moment fit: a negative binomial when the variance exceeds the mean,
    /// Poisson otherwise (a variance below the mean cannot come from a
    /// one-for-one pipeline fed by Poisson demand, so it is rounded up).
    pub fn fit(mean: f64, variance: f64) -> Result<Self, PolicyError> {
        non_negative("lead-time demand mean", mean)?;
        non_negative("lead-time demand variance", variance)?;
        // A shape r = mean² / (variance - mean) this small only arises for
        // vanishing means (where both fits agree far below 1e-12) and would
        // underflow in the negative binomial's constants.
        let shape = mean * mean / (variance - mean);
        if mean > 0.0 && variance > mean * (1.0 + POISSON_TOLERANCE) && shape > MIN_SHAPE {
            Self::negative_binomial(mean, variance)
        } else {
            Self::poisson(mean)
        }
    }

    /// Mean of lead-time demand.
    pub fn mean(&self) -> f64 {
        match self {
            Self::Poisson(d) => d.mean,
            Self::NegativeBinomial(d) => d.mean,
        }
    }

    /// Variance of lead-time demand.
    pub fn variance(&self) -> f64 {
        match self {
            Self::Poisson(d) => d.mean,
            Self::NegativeBinomial(d) => d.variance,
        }
    }

    /// `P(X = k)`.
    pub fn pmf(&self, k: u64) -> f64 {
        match self {
            Self::Poisson(d) => d.pmf(k),
            Self::NegativeBinomial(d) => d.pmf(k),
        }
    }

    /// `P(X <= k)`.
    pub fn cdf(&self, k: u64) -> f64 {
        self.tail(k).cdf
    }

    /// `P(X > k)`.
    pub fn sf(&self, k: u64) -> f64 {
        self.tail(k).sf
    }

    /// Expected backorders `EBO(s) = E[(X - s)+]`.
    pub fn expected_backorders(&self, s: u64) -> f64 {
        self.tail(s).expected_backorders
    }

    /// All backorder statistics at stock level `s` in one pass.
    pub fn tail(&self, s: u64) -> Tail {
        match self {
            Self::Poisson(d) if d.mean == 0.0 => Tail {
                expected_backorders: 0.0,
                backorder_variance: 0.0,
                cdf: 1.0,
                sf: 0.0,
                pmf: if s == 0 { 1.0 } else { 0.0 },
            },
            Self::Poisson(d) => tail_of(d, s),
            Self::NegativeBinomial(d) => tail_of(d, s),
        }
    }
}

impl Poisson {
    /// Poisson with mean in `[0, MAX_MEAN]`.
    pub fn new(mean: f64) -> Result<Self, PolicyError> {
        non_negative("lead-time demand mean", mean)?;
        check_mean(mean)?;
        Ok(Self { mean })
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }
}

impl NegativeBinomial {
    /// Negative binomial matching `mean` and `variance` (`variance > mean > 0`).
    pub fn new(mean: f64, variance: f64) -> Result<Self, PolicyError> {
        non_negative("lead-time demand mean", mean)?;
        check_mean(mean)?;
        if !(variance.is_finite() && variance > mean && mean > 0.0) {
            return Err(PolicyError::InvalidInput(format!(
                "a negative binomial needs variance > mean > 0, got mean {mean} and variance {variance}"
            )));
        }
        if variance > mean * MAX_VARIANCE_TO_MEAN {
            return Err(PolicyError::InvalidInput(format!(
                "variance-to-mean ratio {} exceeds the supported {MAX_VARIANCE_TO_MEAN}",
                variance / mean
            )));
        }
        let p = mean / variance;
        let q = (variance - mean) / variance;
        let r = mean * mean / (variance - mean);
        if !(r.is_normal() && p > 0.0 && q > 0.0) {
            return Err(PolicyError::InvalidInput(format!(
                "mean {mean} and variance {variance} are too close to zero for a negative binomial"
            )));
        }
        Ok(Self {
            r,
            p,
            q,
            mean,
            variance,
            ln_constant: r * p.ln() - statrs::function::gamma::ln_gamma(r),
            ln_q: q.ln(),
        })
    }

    /// Shape `r` (number of successes).
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Success probability `p`.
    pub fn p(&self) -> f64 {
        self.p
    }
}

fn check_mean(mean: f64) -> Result<(), PolicyError> {
    if mean > MAX_MEAN {
        return Err(PolicyError::InvalidInput(format!(
            "lead-time demand mean {mean} exceeds the supported {MAX_MEAN}"
        )));
    }
    Ok(())
}

/// What the tail walk needs from a distribution on `0, 1, 2, ...`.
trait Discrete {
    fn mean(&self) -> f64;
    fn variance(&self) -> f64;
    /// A most likely value: terms decrease on both sides of it.
    fn mode(&self) -> u64;
    fn pmf(&self, k: u64) -> f64;
    /// `p(k + 1) / p(k)`.
    fn ratio_up(&self, k: u64) -> f64;
}

impl Discrete for Poisson {
    fn mean(&self) -> f64 {
        self.mean
    }
    fn variance(&self) -> f64 {
        self.mean
    }
    fn mode(&self) -> u64 {
        self.mean.floor() as u64
    }
    fn pmf(&self, k: u64) -> f64 {
        poisson_pmf(k, self.mean)
    }
    fn ratio_up(&self, k: u64) -> f64 {
        self.mean / (k as f64 + 1.0)
    }
}

impl Discrete for NegativeBinomial {
    fn mean(&self) -> f64 {
        self.mean
    }
    fn variance(&self) -> f64 {
        self.variance
    }
    fn mode(&self) -> u64 {
        if self.r > 1.0 {
            ((self.r - 1.0) * self.q / self.p).floor() as u64
        } else {
            0
        }
    }
    fn pmf(&self, k: u64) -> f64 {
        use statrs::function::gamma::ln_gamma;
        let k = k as f64;
        (ln_gamma(k + self.r) - ln_gamma(k + 1.0) + self.ln_constant + k * self.ln_q).exp()
    }
    fn ratio_up(&self, k: u64) -> f64 {
        let k = k as f64;
        (k + self.r) / (k + 1.0) * self.q
    }
}

/// Probabilities at or below this are computed afresh rather than by a ratio,
/// so that a subnormal start never loses digits.
const SMALLEST_RATIO_START: f64 = 1e-280;

fn tail_of<D: Discrete>(d: &D, s: u64) -> Tail {
    if s >= d.mode() {
        upper_tail(d, s)
    } else {
        lower_tail(d, s)
    }
}

/// `s >= mode`: sum `k = s+1, s+2, ...`, where terms only decrease.
fn upper_tail<D: Discrete>(d: &D, s: u64) -> Tail {
    let pmf_s = d.pmf(s);
    let mut k = s.saturating_add(1);
    let mut p = if pmf_s > SMALLEST_RATIO_START {
        pmf_s * d.ratio_up(s)
    } else {
        d.pmf(k)
    };
    let (mut sf, mut first, mut second) = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut j = 1.0_f64;
    while p > 0.0 {
        sf += p;
        first += j * p;
        second += j * j * p;
        // j²p is unimodal in j, so once it is negligible against the running
        // sum it is past its peak and the rest of the tail is smaller still.
        if j * j * p <= NEGLIGIBLE * second {
            break;
        }
        p *= d.ratio_up(k);
        k = k.saturating_add(1);
        j += 1.0;
    }
    Tail {
        expected_backorders: first,
        backorder_variance: (second - first * first).max(0.0),
        cdf: 1.0 - sf,
        sf,
        pmf: pmf_s,
    }
}

/// `s < mode`: sum `k = s, s-1, ..., 0`, where terms only decrease, and use
/// `E[(X-s)+] = E[X] - s + E[(s-X)+]`.
fn lower_tail<D: Discrete>(d: &D, s: u64) -> Tail {
    let pmf_s = d.pmf(s);
    let (mut cdf, mut short1, mut short2) = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut p = pmf_s;
    let mut k = s;
    let mut j = 0.0_f64;
    loop {
        cdf += p;
        short1 += j * p;
        short2 += j * j * p;
        let negligible = j >= 1.0 && p <= NEGLIGIBLE * cdf && j * j * p <= NEGLIGIBLE * short2;
        if k == 0 || p == 0.0 || negligible {
            break;
        }
        p /= d.ratio_up(k - 1);
        k -= 1;
        j += 1.0;
    }
    let gap = d.mean() - s as f64;
    // Var[(X-s)+] = Var X + gap² - E[(s-X)+²] - (gap + E[(s-X)+])², expanded
    // so that gap² cancels exactly instead of numerically.
    let backorder_variance = d.variance() - short2 - short1 * (2.0 * gap + short1);
    Tail {
        expected_backorders: gap + short1,
        backorder_variance: backorder_variance.max(0.0),
        cdf,
        sf: 1.0 - cdf,
        pmf: pmf_s,
    }
}

/// Poisson probability `P(X = k)` for mean `mean > 0`, by Loader's
/// saddle-point form `exp(-stirlerr(k) - bd0(k, mean)) / sqrt(2πk)`, which
/// keeps full relative precision where `k ln mean - mean - ln k!` would
/// cancel (C. Loader, "Fast and accurate computation of binomial
/// probabilities", 2000; the method of R's `dpois`).
fn poisson_pmf(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if k == 0 {
        return (-mean).exp();
    }
    let x = k as f64;
    (-stirling_error(k) - deviance_term(x, mean) - LN_SQRT_2PI).exp() / x.sqrt()
}

/// `ln k! - ((k + 1/2) ln k - k + ln sqrt(2π))`, the error of Stirling's
/// formula.
fn stirling_error(k: u64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let n = k as f64;
    if k <= 15 {
        // Exact factorial (15! < 2^53), so only the final subtraction rounds.
        let factorial: f64 = (1..=k).map(|i| i as f64).product();
        factorial.ln() - (n + 0.5) * n.ln() + n - LN_SQRT_2PI
    } else {
        let nn = n * n;
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// `x ln(x / m) + m - x`, by a series when `x` is close to `m` (where the
/// direct form cancels).
fn deviance_term(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let v = (x - m) / (x + m);
        let v2 = v * v;
        let mut sum = (x - m) * v;
        let mut ej = 2.0 * x * v;
        let mut j = 1.0;
        loop {
            ej *= v2;
            let next = sum + ej / (2.0 * j + 1.0);
            if next == sum || j > 1000.0 {
                return next;
            }
            sum = next;
            j += 1.0;
        }
    }
    x * (x / m).ln() + m - x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_pmf_matches_direct_formula_for_small_values() {
        for &(k, m) in &[(0u64, 0.5), (1, 0.5), (3, 2.0), (20, 17.5), (40, 35.0)] {
            let direct =
                (k as f64 * f64::ln(m) - m - statrs::function::factorial::ln_factorial(k)).exp();
            let got = poisson_pmf(k, m);
            assert!(
                (got - direct).abs() <= 1e-13 * direct,
                "{k} {m}: {got} vs {direct}"
            );
        }
    }

    #[test]
    fn tails_agree_on_both_sides_of_the_mode() {
        let d = LeadTimeDemand::poisson(12.3).unwrap();
        for s in 0..40 {
            let t = d.tail(s);
            let next = d.tail(s + 1);
            // EBO(s) - EBO(s+1) = P(X > s)
            assert!((t.expected_backorders - next.expected_backorders - t.sf).abs() < 1e-13);
        }
    }
}
