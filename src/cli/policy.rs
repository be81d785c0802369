//! `spares policy ...`: the planner's calculators, a stable contract.
//!
//! JSON on stdout, times in days, rates per day:
//!
//! - `ebo --mean MU --stock S` -> `{"ebo"}`
//! - `base-stock --demand-rate R --lead-time L --target-fill-rate T`
//!   -> `{"base_stock", "fill_rate", "availability", "ebo"}`
//! - `metric --demand-rates R1,R2,.. --resupply-times O1,O2,.. --depot-repair-time D
//!   --depot-stock S0 --base-stock S1,S2,..`
//!   -> `{"depot_ebo", "depot_delay", "base_ebo": [..], "total_base_ebo"}`
//! - `metric ... --target-total-base-ebo X [--unit-cost C]` (no stock flags)
//!   -> `{"stock": [S0, S1, ..], "total_base_ebo", "cost"}` (depot first)
//!
//! Every bad argument comes back as a [`PolicyCliError`] whose `Display` is
//! one line; the binary prints it on stderr and exits non-zero.
use std::io::Write;

use serde::Serialize;

use crate::core::policy::base_stock::smallest_poisson_base_stock;
use crate::core::policy::demand::LeadTimeDemand;
use crate::core::policy::metric::{MetricSystem, PipelineModel};
use crate::core::policy::optimise::{GreedyOptions, StopRule, optimise_part};
use crate::core::policy::{PolicyError, non_negative};

/// Most units the `metric` target search adds before reporting the target
/// as unreachable.
pub const MAX_GREEDY_UNITS: u64 = 100_000;

/// Arguments of `spares policy`.
#[derive(Debug, Clone, clap::Args)]
pub struct PolicyArgs {
    /// Which calculator.
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// The calculators.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum PolicyCommand {
    /// Expected backorders E[(X - S)+] of Poisson lead-time demand X.
    Ebo(EboArgs),
    /// Smallest (S-1, S) base stock meeting a fill-rate target.
    BaseStock(BaseStockArgs),
    /// METRIC depot-and-bases evaluation, or marginal-analysis optimisation.
    Metric(MetricArgs),
}

/// `spares policy ebo`.
#[derive(Debug, Clone, clap::Args)]
pub struct EboArgs {
    /// Mean lead-time demand (units).
    #[arg(long, allow_negative_numbers = true)]
    pub mean: f64,
    /// Stock level.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_stock)]
    pub stock: u64,
}

/// `spares policy base-stock`.
#[derive(Debug, Clone, clap::Args)]
pub struct BaseStockArgs {
    /// Demand rate per day.
    #[arg(long, allow_negative_numbers = true)]
    pub demand_rate: f64,
    /// Replenishment lead time in days.
    #[arg(long, allow_negative_numbers = true)]
    pub lead_time: f64,
    /// Target fill rate, strictly between 0 and 1.
    #[arg(long, allow_negative_numbers = true)]
    pub target_fill_rate: f64,
}

/// Base pipeline model for `spares policy metric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    /// Sherbrooke's METRIC (Poisson base pipelines).
    Metric,
    /// Graves' VARI-METRIC (negative-binomial base pipelines).
    VariMetric,
}

/// `spares policy metric`.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricArgs {
    /// Demand (failure) rate per day at each base, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_hyphen_values = true
    )]
    pub demand_rates: Vec<f64>,
    /// Order-and-ship time in days of each base, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_hyphen_values = true
    )]
    pub resupply_times: Vec<f64>,
    /// Depot repair time in days.
    #[arg(long, allow_negative_numbers = true)]
    pub depot_repair_time: f64,
    /// Depot stock (evaluation mode, with --base-stock).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_stock)]
    pub depot_stock: Option<u64>,
    /// Stock at each base, comma-separated (evaluation mode, with --depot-stock).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, value_parser = parse_stock)]
    pub base_stock: Option<Vec<u64>>,
    /// Optimise: add units until the total base EBO is at or below this.
    #[arg(long, allow_negative_numbers = true)]
    pub target_total_base_ebo: Option<f64>,
    /// Cost of one unit when optimising (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub unit_cost: Option<f64>,
    /// Base pipeline model.
    #[arg(long, value_enum, default_value_t = ModelArg::Metric)]
    pub model: ModelArg,
}

/// Parses a stock level: a whole number of units, at least 0.
fn parse_stock(text: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("a stock level must be a whole number of units >= 0, got '{text}'"))
}

/// Why a calculator refused or failed; `Display` is one line.
#[derive(Debug, thiserror::Error)]
pub enum PolicyCliError {
    /// The arguments do not make sense together or are out of range.
    #[error("spares policy: {0}")]
    InvalidArguments(String),
    /// The model rejected the input or could not meet the target.
    #[error("spares policy: {0}")]
    Policy(#[from] PolicyError),
    /// Writing the result failed.
    #[error("spares policy: cannot write the result: {0}")]
    Output(String),
}

#[derive(Serialize)]
struct EboOutput {
    ebo: f64,
}

#[derive(Serialize)]
struct BaseStockOutput {
    base_stock: u64,
    fill_rate: f64,
    availability: f64,
    ebo: f64,
}

#[derive(Serialize)]
struct MetricEvaluationOutput {
    depot_ebo: f64,
    depot_delay: f64,
    base_ebo: Vec<f64>,
    total_base_ebo: f64,
}

#[derive(Serialize)]
struct MetricGreedyOutput {
    stock: Vec<u64>,
    total_base_ebo: f64,
    cost: f64,
}

/// Runs one calculator and writes its JSON result (one line) to `out`.
pub fn run(args: &PolicyArgs, out: &mut dyn Write) -> Result<(), PolicyCliError> {
    match &args.command {
        PolicyCommand::Ebo(args) => write_json(out, &ebo(args)?),
        PolicyCommand::BaseStock(args) => write_json(out, &base_stock(args)?),
        PolicyCommand::Metric(args) => match metric_mode(args)? {
            MetricMode::Evaluate {
                depot_stock,
                base_stock,
            } => write_json(out, &metric_evaluate(args, depot_stock, base_stock)?),
            MetricMode::Optimise { target, unit_cost } => {
                write_json(out, &metric_optimise(args, target, unit_cost)?)
            }
        },
    }
}

fn ebo(args: &EboArgs) -> Result<EboOutput, PolicyCliError> {
    non_negative("--mean", args.mean)?;
    let demand = LeadTimeDemand::poisson(args.mean)?;
    Ok(EboOutput {
        ebo: demand.expected_backorders(args.stock),
    })
}

fn base_stock(args: &BaseStockArgs) -> Result<BaseStockOutput, PolicyCliError> {
    non_negative("--demand-rate", args.demand_rate)?;
    non_negative("--lead-time", args.lead_time)?;
    let level =
        smallest_poisson_base_stock(args.demand_rate, args.lead_time, args.target_fill_rate)?;
    Ok(BaseStockOutput {
        base_stock: level.base_stock,
        fill_rate: level.fill_rate,
        availability: level.availability,
        ebo: level.ebo,
    })
}

enum MetricMode<'a> {
    Evaluate {
        depot_stock: u64,
        base_stock: &'a [u64],
    },
    Optimise {
        target: f64,
        unit_cost: f64,
    },
}

fn metric_mode(args: &MetricArgs) -> Result<MetricMode<'_>, PolicyCliError> {
    let invalid = |message: &str| Err(PolicyCliError::InvalidArguments(message.to_string()));
    match (
        args.depot_stock,
        args.base_stock.as_deref(),
        args.target_total_base_ebo,
    ) {
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => invalid(
            "give either --depot-stock and --base-stock (evaluate) or --target-total-base-ebo (optimise), not both",
        ),
        (None, None, None) => invalid(
            "give --depot-stock and --base-stock to evaluate, or --target-total-base-ebo to optimise",
        ),
        (Some(_), None, None) => invalid("--depot-stock needs --base-stock"),
        (None, Some(_), None) => invalid("--base-stock needs --depot-stock"),
        (Some(depot_stock), Some(base_stock), None) => {
            if args.unit_cost.is_some() {
                return invalid("--unit-cost only applies with --target-total-base-ebo");
            }
            Ok(MetricMode::Evaluate {
                depot_stock,
                base_stock,
            })
        }
        (None, None, Some(target)) => Ok(MetricMode::Optimise {
            target,
            unit_cost: args.unit_cost.unwrap_or(1.0),
        }),
    }
}

fn metric_system(args: &MetricArgs) -> Result<MetricSystem, PolicyCliError> {
    if args.demand_rates.len() != args.resupply_times.len() {
        return Err(PolicyCliError::InvalidArguments(format!(
            "--demand-rates has {} values but --resupply-times has {}: give one per base",
            args.demand_rates.len(),
            args.resupply_times.len()
        )));
    }
    Ok(MetricSystem::new(
        args.demand_rates.clone(),
        args.resupply_times.clone(),
        args.depot_repair_time,
    )?)
}

fn pipeline_model(args: &MetricArgs) -> PipelineModel {
    match args.model {
        ModelArg::Metric => PipelineModel::Metric,
        ModelArg::VariMetric => PipelineModel::VariMetric,
    }
}

fn metric_evaluate(
    args: &MetricArgs,
    depot_stock: u64,
    base_stock: &[u64],
) -> Result<MetricEvaluationOutput, PolicyCliError> {
    let system = metric_system(args)?;
    if base_stock.len() != system.bases() {
        return Err(PolicyCliError::InvalidArguments(format!(
            "--base-stock has {} values but there are {} bases: give one per base",
            base_stock.len(),
            system.bases()
        )));
    }
    let evaluation = system.evaluate(pipeline_model(args), depot_stock, base_stock)?;
    Ok(MetricEvaluationOutput {
        depot_ebo: evaluation.depot_ebo,
        depot_delay: evaluation.depot_delay,
        base_ebo: evaluation.base_ebo,
        total_base_ebo: evaluation.total_base_ebo,
    })
}

fn metric_optimise(
    args: &MetricArgs,
    target: f64,
    unit_cost: f64,
) -> Result<MetricGreedyOutput, PolicyCliError> {
    let system = metric_system(args)?;
    let options = GreedyOptions {
        model: pipeline_model(args),
        unit_cost,
        stop: StopRule::TotalBaseEbo(target),
        max_units: MAX_GREEDY_UNITS,
        record_frontier: false,
    };
    let result = optimise_part(&system, &options)?;
    let last = &result.final_point;
    Ok(MetricGreedyOutput {
        stock: last.stock.clone(),
        total_base_ebo: last.total_base_ebo,
        cost: last.cost,
    })
}

fn write_json(out: &mut dyn Write, value: &impl Serialize) -> Result<(), PolicyCliError> {
    let output = |error: &dyn std::fmt::Display| PolicyCliError::Output(error.to_string());
    serde_json::to_writer(&mut *out, value).map_err(|e| output(&e))?;
    writeln!(out).map_err(|e| output(&e))?;
    out.flush().map_err(|e| output(&e))
}
