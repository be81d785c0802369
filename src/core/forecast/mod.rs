//! Forecasting engine for intermittent spare-part demand.
//!
//! Pure code: slices of demand per period in, numbers out. The service, the CLI
//! (`spares forecast`), the simulator and the benchmarks all call it.
//!
//! # Layout
//! - [`ses`] — simple exponential smoothing, the kernel of every method;
//! - [`optimise`] — statsforecast's golden-section search for the smoothing constant;
//! - [`lanes`] — many SES recursions side by side, the kernel of the batched search;
//! - [`croston`] — Croston classic, SBA, Croston optimised, and the size/interval split;
//! - [`tsb`] — Teunter–Syntetos–Babai;
//! - [`aggregate`] — ADIDA and IMAPA (temporal aggregation);
//! - [`classify`] — ADI / CV² demand classes (Syntetos–Boylan);
//! - [`installed_base`] — installed quantity × failure rate, blended with history;
//! - [`backtest`] — rolling-origin errors and per-part method choice;
//! - [`series`] — reading the wide CSV format of `carparts.csv`.
//!
//! # Reference implementation and known differences between libraries
//! Every method reproduces statsforecast 2.1.1 (`forecast(y, h=1)` of
//! `SimpleExponentialSmoothing`, `SimpleExponentialSmoothingOptimized`,
//! `CrostonClassic`, `CrostonSBA`, `CrostonOptimized`, `TSB`, `ADIDA`, `IMAPA`): on every
//! row of `tests/data/oracles/forecast-carparts-0-999.jsonl` (and on all 2,674 carparts
//! series against a live statsforecast run) the forecasts are bit-identical, well inside
//! the required 1e-9 relative.
//! The h-step forecast of every method is flat: the one-step value repeated, as in
//! statsforecast. Where libraries disagree, we follow statsforecast:
//!
//! - **SBA factor.** statsforecast multiplies classic Croston by a fixed `0.95`
//!   ([`croston::SBA_FACTOR`]); the Syntetos–Boylan paper and R's `tsintermittent`
//!   use `1 - alpha / 2` with the intervals' smoothing constant. With classic Croston's
//!   alpha of 0.1 both give 0.95, so they only diverge if the alpha were changed,
//!   which this engine does not allow for SBA.
//! - **First inter-demand interval.** Counted from the start of the series: a first
//!   demand in period `p` (1-based) opens with an interval of `p` (statsforecast's
//!   `_intervals`, also R `forecast::croston`). Some implementations drop that first,
//!   censored interval or start counting at the first demand; that changes both Croston
//!   and the ADIDA/IMAPA aggregation level. Trailing zeros after the last demand never
//!   enter an interval. [`classify`] uses the same convention for ADI.
//! - **Level initialisation.** SES starts its level at the first value (of the series,
//!   of the demand sizes, of the intervals, of the occurrence indicator for TSB).
//!   `tsintermittent` defaults to the mean of the first values (`init = "mean"`) and R's
//!   `ets` estimates the initial level; those give different forecasts on short series.
//! - **Optimiser.** "Optimised" alphas come from a golden-section search on the SSE of
//!   one-step in-sample errors over `(0.01, 0.99)` for SES and `(0.1, 0.3)` for Croston
//!   optimised, ADIDA and IMAPA ([`optimise`]); the initial level is not optimised.
//!   R's `ets`/`ses` optimise over roughly `(0, 1)` together with the initial level, and
//!   `tsintermittent` uses other cost functions, so "optimised" results differ there.
//! - **Aggregation.** ADIDA/IMAPA blocks are aligned to the end of the series (the
//!   oldest `n % k` periods are dropped) and the level is the mean interval rounded
//!   half to even (Python's `round`).
//! - **Degenerate input.** An all-zero series forecasts 0 with every method (Croston
//!   through its naive fallback, the last value). A single observation is its own
//!   forecast (times 0.95 for SBA). An empty series forecasts 0 with every method, where
//!   statsforecast raises an error.

pub mod aggregate;
pub mod backtest;
pub mod classify;
pub mod croston;
pub mod installed_base;
pub mod lanes;
pub mod optimise;
pub mod series;
pub mod ses;
pub mod tsb;

use serde::Serialize;

use self::optimise::{SES_OPT_BOUNDS, optimised_ses_forecast};

/// Default smoothing constant of `ses` and of both TSB constants (statsforecast's
/// customary 0.1).
pub const DEFAULT_ALPHA: f64 = 0.1;

/// A forecasting method with its parameters.
///
/// Serialises as `{"method": "tsb", "alpha_d": 0.1, "alpha_p": 0.1}`; the variants
/// appear in the order used to break ties in [`backtest`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// Simple exponential smoothing with a fixed alpha.
    Ses { alpha: f64 },
    /// SES with alpha optimised on [`SES_OPT_BOUNDS`].
    SesOpt,
    /// Classic Croston, alpha 0.1.
    Croston,
    /// Syntetos–Boylan approximation: Croston × 0.95.
    Sba,
    /// Croston with sizes and intervals smoothed by optimised alphas.
    CrostonOpt,
    /// Teunter–Syntetos–Babai with size and probability smoothing constants.
    Tsb { alpha_d: f64, alpha_p: f64 },
    /// Aggregate–disaggregate intermittent demand approach.
    Adida,
    /// Intermittent multiple aggregation prediction algorithm.
    Imapa,
}

/// The names accepted by [`Method::from_name`], in tie-break order (the order of
/// [`Method::all`]).
pub const METHOD_NAMES: [&str; 8] = [
    "ses",
    "ses-opt",
    "croston",
    "sba",
    "croston-opt",
    "tsb",
    "adida",
    "imapa",
];

/// Smoothing constants for the methods that take them; unused ones are ignored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodParams {
    /// alpha of `ses`.
    pub alpha: f64,
    /// Demand-size alpha of `tsb`.
    pub alpha_d: f64,
    /// Demand-probability alpha of `tsb`.
    pub alpha_p: f64,
}

impl Default for MethodParams {
    fn default() -> Self {
        Self {
            alpha: DEFAULT_ALPHA,
            alpha_d: DEFAULT_ALPHA,
            alpha_p: DEFAULT_ALPHA,
        }
    }
}

/// A smoothing constant outside `(0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("{name} must be in (0, 1], got {value}")]
pub struct InvalidParameter {
    /// Parameter name as the CLI spells it (`alpha`, `alpha_d`, `alpha_p`).
    pub name: &'static str,
    /// The rejected value.
    pub value: f64,
}

impl Method {
    /// The method called `name` (one of [`METHOD_NAMES`]) with its constants taken from
    /// `params`, or `None` for an unknown name.
    pub fn from_name(name: &str, params: MethodParams) -> Option<Self> {
        let method = match name {
            "ses" => Self::Ses {
                alpha: params.alpha,
            },
            "ses-opt" => Self::SesOpt,
            "croston" => Self::Croston,
            "sba" => Self::Sba,
            "croston-opt" => Self::CrostonOpt,
            "tsb" => Self::Tsb {
                alpha_d: params.alpha_d,
                alpha_p: params.alpha_p,
            },
            "adida" => Self::Adida,
            "imapa" => Self::Imapa,
            _ => return None,
        };
        Some(method)
    }

    /// Every method, in tie-break order, with constants from `params`: the candidates of
    /// automatic selection.
    pub fn all(params: MethodParams) -> [Self; 8] {
        [
            Self::Ses {
                alpha: params.alpha,
            },
            Self::SesOpt,
            Self::Croston,
            Self::Sba,
            Self::CrostonOpt,
            Self::Tsb {
                alpha_d: params.alpha_d,
                alpha_p: params.alpha_p,
            },
            Self::Adida,
            Self::Imapa,
        ]
    }

    /// The method's name as used on the command line and in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ses { .. } => "ses",
            Self::SesOpt => "ses-opt",
            Self::Croston => "croston",
            Self::Sba => "sba",
            Self::CrostonOpt => "croston-opt",
            Self::Tsb { .. } => "tsb",
            Self::Adida => "adida",
            Self::Imapa => "imapa",
        }
    }

    /// Checks that every smoothing constant lies in `(0, 1]`.
    ///
    /// Alpha 0 would freeze the level at its initial value and anything above 1
    /// over-reacts and can oscillate, so neither is a meaningful forecast.
    pub fn validate(&self) -> Result<(), InvalidParameter> {
        let check = |name: &'static str, value: f64| {
            if value > 0.0 && value <= 1.0 {
                Ok(())
            } else {
                Err(InvalidParameter { name, value })
            }
        };
        match *self {
            Self::Ses { alpha } => check("alpha", alpha),
            Self::Tsb { alpha_d, alpha_p } => {
                check("alpha_d", alpha_d)?;
                check("alpha_p", alpha_p)
            }
            _ => Ok(()),
        }
    }

    /// One-step-ahead forecast of the demand per period after the history `y`.
    pub fn forecast_one(&self, y: &[f64]) -> f64 {
        match *self {
            Self::Ses { alpha } => ses::ses_forecast(y, alpha),
            Self::SesOpt => optimised_ses_forecast(y, SES_OPT_BOUNDS).0,
            Self::Croston => croston::croston_classic(y),
            Self::Sba => croston::croston_sba(y),
            Self::CrostonOpt => croston::croston_optimised(y),
            Self::Tsb { alpha_d, alpha_p } => tsb::tsb(y, alpha_d, alpha_p),
            Self::Adida => aggregate::adida(y),
            Self::Imapa => aggregate::imapa(y),
        }
    }

    /// [`Method::forecast_one`] for every series, in order, with identical results.
    ///
    /// Prefer it over a loop for many series: the optimised methods (ses-opt,
    /// croston-opt, adida, imapa) then run their golden-section searches side by side
    /// (see [`optimise`]), several times faster.
    pub fn forecast_many<S: AsRef<[f64]>>(&self, series: &[S]) -> Vec<f64> {
        let slices: Vec<&[f64]> = series.iter().map(AsRef::as_ref).collect();
        match *self {
            Self::SesOpt => optimise::optimised_ses_forecasts(&slices, SES_OPT_BOUNDS),
            Self::CrostonOpt => croston::croston_optimised_many(&slices),
            Self::Adida => aggregate::adida_many(&slices),
            Self::Imapa => aggregate::imapa_many(&slices),
            // The others are cheap single passes; lanes did not pay off for them.
            Self::Ses { .. } | Self::Croston | Self::Sba | Self::Tsb { .. } => {
                slices.iter().map(|y| self.forecast_one(y)).collect()
            }
        }
    }

    /// Forecast for the next `horizon` periods: every method here gives a flat forecast,
    /// the one-step value repeated (as statsforecast does).
    pub fn forecast(&self, y: &[f64], horizon: usize) -> Vec<f64> {
        vec![self.forecast_one(y); horizon]
    }
}
