//! Installed-base forecasting: expected failures from what is installed, blended with
//! the demand history as it accumulates.
//!
//! A new part, or a part just rolled out to more sites, has little or no history, but
//! its demand is driven by how many units run in the field and how often they fail.
//!
//! **Rate.** The expected demand per period is
//! `Σ over sites of installed quantity × annual failure rate × period length in years`,
//! with a month counted as exactly 1/12 year (so twelve monthly rates add up to the
//! annual rate) and any other period as `days / 365.25` (a week is `7 / 365.25`).
//!
//! **Blend.** With `n` periods of history and the history forecast `h`, the blended
//! forecast is `w × h + (1 − w) × r` with `w = n / (n + k)`, `r` the installed-base
//! rate and `k` the [`BlendRule::half_weight_periods`]: the history length at which
//! history and installed base weigh the same. Without history (`n = 0`) the forecast is
//! the installed-base rate; as history grows its weight tends to 1. The default `k` of
//! 12 periods ([`BlendRule::MONTHLY`]) gives history half the weight after one year of
//! monthly buckets; use [`BlendRule::WEEKLY`] (52) for weekly buckets. `k = 0` means
//! "trust any history fully". Zero-demand history counts as history: months without
//! failures are evidence that the failure rate is overstated.

/// One site's installed units of a part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstalledSite {
    /// Units of the part installed at the site.
    pub quantity: u32,
    /// Expected failures per installed unit per year.
    pub annual_failure_rate: f64,
}

/// The length of a forecast period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Period {
    /// A calendar month, 1/12 year.
    Month,
    /// A week, 7 / 365.25 year.
    Week,
    /// Any number of days, `days / 365.25` year.
    Days(f64),
}

/// Days in the average (Julian) year used to convert day counts to years.
pub const DAYS_PER_YEAR: f64 = 365.25;

impl Period {
    /// The period's length in years.
    pub fn years(&self) -> f64 {
        match *self {
            Self::Month => 1.0 / 12.0,
            Self::Week => 7.0 / DAYS_PER_YEAR,
            Self::Days(days) => days / DAYS_PER_YEAR,
        }
    }
}

/// Invalid installed-base input.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum InstalledBaseError {
    /// A failure rate that is negative, NaN or infinite.
    #[error("site {site}: annual failure rate must be a finite number >= 0, got {rate}")]
    FailureRate {
        /// Index of the site in the input.
        site: usize,
        /// The rejected rate.
        rate: f64,
    },
    /// A period length that is not a finite positive number of days.
    #[error("period length must be a finite number of days > 0, got {days}")]
    PeriodLength {
        /// The rejected day count.
        days: f64,
    },
    /// A blend constant that is negative, NaN or infinite.
    #[error("blend half-weight periods must be a finite number >= 0, got {value}")]
    BlendConstant {
        /// The rejected constant.
        value: f64,
    },
}

/// Expected demand per period from the installed base.
pub fn installed_base_rate(
    sites: &[InstalledSite],
    period: Period,
) -> Result<f64, InstalledBaseError> {
    if let Period::Days(days) = period
        && !(days.is_finite() && days > 0.0)
    {
        return Err(InstalledBaseError::PeriodLength { days });
    }
    let mut annual = 0.0;
    for (site, installed) in sites.iter().enumerate() {
        let rate = installed.annual_failure_rate;
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(InstalledBaseError::FailureRate { site, rate });
        }
        annual += f64::from(installed.quantity) * rate;
    }
    Ok(annual * period.years())
}

/// How fast history takes over from the installed base.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlendRule {
    /// `k` in `w = n / (n + k)`: the history length (in periods) at which history
    /// and installed base weigh the same.
    pub half_weight_periods: f64,
}

impl BlendRule {
    /// One year of monthly buckets.
    pub const MONTHLY: Self = Self {
        half_weight_periods: 12.0,
    };
    /// One year of weekly buckets.
    pub const WEEKLY: Self = Self {
        half_weight_periods: 52.0,
    };

    /// Weight `n / (n + k)` of the history forecast after `history_periods` periods.
    pub fn history_weight(&self, history_periods: usize) -> Result<f64, InstalledBaseError> {
        let k = self.half_weight_periods;
        if !(k.is_finite() && k >= 0.0) {
            return Err(InstalledBaseError::BlendConstant { value: k });
        }
        if history_periods == 0 {
            return Ok(0.0);
        }
        let n = history_periods as f64;
        Ok(n / (n + k))
    }

    /// Blended per-period forecast: `w × history_forecast + (1 − w) × installed_rate`.
    pub fn blend(
        &self,
        history_forecast: f64,
        history_periods: usize,
        installed_rate: f64,
    ) -> Result<f64, InstalledBaseError> {
        let weight = self.history_weight(history_periods)?;
        Ok(weight * history_forecast + (1.0 - weight) * installed_rate)
    }
}

impl Default for BlendRule {
    fn default() -> Self {
        Self::MONTHLY
    }
}
