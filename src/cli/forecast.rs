//! `spares forecast`: forecasts every series of a wide CSV and prints JSON lines.
//!
//! Contract (stable):
//! `spares forecast --input FILE.csv --method METHOD [--alpha A] [--alpha-d A --alpha-p P]
//! [--horizon H] [--classify]` prints, per series and in input order,
//! `{"part": "...", "method": "...", "forecast": [f1, ..., fH]}`; `--method auto` adds
//! `"chosen"` (the method picked by the rolling-origin backtest, see
//! [`crate::core::forecast::backtest`], run at the requested horizon) and
//! `--classify` adds `"class"`, `"adi"`, `"cv2"` (`null` statistics for a series without
//! demand). Floats are printed with full (shortest round-trip) precision.
//!
//! `--horizon` defaults to 1 and must be 1 to [`MAX_HORIZON`]; `--alpha` applies to ses
//! (and the ses candidate of auto), `--alpha-d`/`--alpha-p` to tsb (and auto's tsb);
//! each must lie in (0, 1] and defaults to 0.1. Giving one to a method that does not
//! use it is an error rather than silently ignored.
//!
//! All input is validated before anything is printed, so a bad file produces no partial
//! output, only a one-line error naming the file line, column and part; the caller
//! prints it on stderr and exits non-zero.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::core::forecast::backtest::{BacktestConfig, DEFAULT_MIN_TRAIN, backtest};
use crate::core::forecast::classify::{Classification, classify};
use crate::core::forecast::series::{Series, SeriesError, read_wide_csv};
use crate::core::forecast::{METHOD_NAMES, Method, MethodParams};

/// Name of the automatic, backtest-driven method.
const AUTO: &str = "auto";

/// Longest horizon accepted: every method's forecast is flat, so longer horizons only
/// repeat the same number, and an absurd one would exhaust memory.
pub const MAX_HORIZON: usize = 1000;

/// Arguments of `spares forecast`.
#[derive(Debug, Clone, clap::Args)]
pub struct ForecastArgs {
    /// Wide CSV: an id column, then one column per period; empty trailing cells end a
    /// series.
    #[arg(long, value_name = "FILE.csv")]
    pub input: PathBuf,
    /// ses, ses-opt, croston, sba, croston-opt, tsb, adida, imapa, or auto (per-part
    /// choice by backtest).
    #[arg(long, value_name = "METHOD")]
    pub method: String,
    /// Smoothing constant of ses, in (0, 1] [default: 0.1].
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// Demand-size smoothing constant of tsb, in (0, 1] [default: 0.1].
    #[arg(long = "alpha-d", allow_negative_numbers = true)]
    pub alpha_d: Option<f64>,
    /// Demand-probability smoothing constant of tsb, in (0, 1] [default: 0.1].
    #[arg(long = "alpha-p", allow_negative_numbers = true)]
    pub alpha_p: Option<f64>,
    /// Number of periods to forecast, 1 to 1000 (every method gives a flat forecast).
    #[arg(long, default_value_t = 1)]
    pub horizon: usize,
    /// Add the demand class with its ADI and CV².
    #[arg(long)]
    pub classify: bool,
}

/// Why `spares forecast` failed; each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum ForecastCliError {
    /// `--method` names no method.
    #[error(
        "unknown method {0:?}; expected one of: {names}, auto",
        names = METHOD_NAMES.join(", ")
    )]
    UnknownMethod(String),
    /// A smoothing constant outside (0, 1].
    #[error("--{flag} must be in (0, 1], got {value}")]
    InvalidAlpha {
        /// The flag, without dashes.
        flag: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A smoothing constant given to a method that does not use it.
    #[error("--{flag} does not apply to method {method:?} (it is used by {used_by})")]
    UnusedParameter {
        /// The flag, without dashes.
        flag: &'static str,
        /// The method given.
        method: String,
        /// The methods that use the flag.
        used_by: &'static str,
    },
    /// `--horizon` of 0 or above [`MAX_HORIZON`].
    #[error("--horizon must be between 1 and {MAX_HORIZON}, got {0}")]
    InvalidHorizon(usize),
    /// The input file cannot be opened.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The input path.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The input file is not a valid wide CSV.
    #[error("{path}: {source}")]
    Input {
        /// The input path.
        path: String,
        /// What is wrong, and where.
        source: SeriesError,
    },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
}

/// What `--method` asked for.
#[derive(Debug, Clone, Copy)]
enum Choice {
    Fixed(Method),
    Auto(MethodParams),
}

impl Choice {
    fn name(&self) -> &'static str {
        match self {
            Self::Fixed(method) => method.name(),
            Self::Auto(_) => AUTO,
        }
    }
}

/// Checks an optional smoothing constant and the method it may go with.
fn alpha_flag(
    flag: &'static str,
    value: Option<f64>,
    method: &str,
    users: &[&str],
    used_by: &'static str,
) -> Result<Option<f64>, ForecastCliError> {
    let Some(value) = value else {
        return Ok(None);
    };
    if !users.contains(&method) {
        return Err(ForecastCliError::UnusedParameter {
            flag,
            method: method.to_owned(),
            used_by,
        });
    }
    if !(value > 0.0 && value <= 1.0) {
        return Err(ForecastCliError::InvalidAlpha { flag, value });
    }
    Ok(Some(value))
}

/// Validates everything but the input file.
fn choice(args: &ForecastArgs) -> Result<Choice, ForecastCliError> {
    let name = args.method.as_str();
    if name != AUTO && !METHOD_NAMES.contains(&name) {
        return Err(ForecastCliError::UnknownMethod(args.method.clone()));
    }
    if !(1..=MAX_HORIZON).contains(&args.horizon) {
        return Err(ForecastCliError::InvalidHorizon(args.horizon));
    }
    let defaults = MethodParams::default();
    let ses_users = ["ses", AUTO];
    let tsb_users = ["tsb", AUTO];
    let params = MethodParams {
        alpha: alpha_flag("alpha", args.alpha, name, &ses_users, "ses and auto")?
            .unwrap_or(defaults.alpha),
        alpha_d: alpha_flag("alpha-d", args.alpha_d, name, &tsb_users, "tsb and auto")?
            .unwrap_or(defaults.alpha_d),
        alpha_p: alpha_flag("alpha-p", args.alpha_p, name, &tsb_users, "tsb and auto")?
            .unwrap_or(defaults.alpha_p),
    };
    if name == AUTO {
        return Ok(Choice::Auto(params));
    }
    Method::from_name(name, params)
        .map(Choice::Fixed)
        .ok_or_else(|| ForecastCliError::UnknownMethod(args.method.clone()))
}

/// One output line.
#[derive(Serialize)]
struct ForecastLine<'a> {
    part: &'a str,
    method: &'static str,
    forecast: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chosen: Option<&'static str>,
    #[serde(flatten)]
    classification: Option<Classification>,
}

/// One-step forecasts of every series, with the chosen method's name under `auto`.
fn one_step_forecasts(
    series: &[Series],
    choice: Choice,
    horizon: usize,
) -> Vec<(f64, Option<&'static str>)> {
    match choice {
        Choice::Fixed(method) => {
            let values: Vec<&[f64]> = series.iter().map(|one| one.values.as_slice()).collect();
            method
                .forecast_many(&values)
                .into_iter()
                .map(|forecast| (forecast, None))
                .collect()
        }
        Choice::Auto(params) => {
            let config = BacktestConfig {
                min_train: DEFAULT_MIN_TRAIN,
                horizon,
            };
            let candidates = Method::all(params);
            series
                .iter()
                .map(|one| {
                    let report = backtest(&one.id, &one.values, &candidates, config);
                    let chosen = report.chosen;
                    (chosen.forecast_one(&one.values), Some(chosen.name()))
                })
                .collect()
        }
    }
}

/// Runs `spares forecast`, writing JSON lines to `out`.
pub fn run(args: &ForecastArgs, out: &mut dyn Write) -> Result<(), ForecastCliError> {
    let choice = choice(args)?;
    let path = args.input.display().to_string();
    let file = File::open(&args.input).map_err(|source| ForecastCliError::Read {
        path: path.clone(),
        source,
    })?;
    let series = read_wide_csv(io::BufReader::new(file))
        .map_err(|source| ForecastCliError::Input { path, source })?;
    let forecasts = one_step_forecasts(&series, choice, args.horizon);
    let mut out = BufWriter::new(out);
    for (one, (forecast, chosen)) in series.iter().zip(forecasts) {
        let line = ForecastLine {
            part: &one.id,
            method: choice.name(),
            // Every method's h-step forecast is flat (see the engine's module doc).
            forecast: vec![forecast; args.horizon],
            chosen,
            classification: args.classify.then(|| classify(&one.values)),
        };
        serde_json::to_writer(&mut out, &line).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
