//! A planning run: a compiled scenario's stock recommended for a service
//! target and checked by simulation, or its policy simulated as given —
//! the work of `spares plan` / `spares simulate` and of a planning job —
//! and their JSON.
//!
//! The JSON holds nothing that depends on the machine (no timings, no
//! thread count), so the same scenario, seed and replications give
//! byte-identical output.
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::policy::PolicyError;
use super::recommend::{Assessment, LocationPlan, Recommendation, evaluate, recommend};
use super::scenario::{Compiled, ScenarioError};
use super::sim::{self, RunOptions, SimError, SimReport, SlotReport};

/// Why a planning run failed; `Display` is one line.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("plan: {0}")]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    Sim(#[from] SimError),
    #[error("{0}")]
    InvalidArguments(String),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

#[derive(Serialize)]
struct SimulateOutput<'a> {
    scenario: &'a str,
    what_if: &'a [String],
    /// The same policy evaluated analytically (METRIC / VARI-METRIC).
    analytic: &'a Assessment,
    simulation: &'a SimReport,
}

/// One plan row with its simulated counterpart.
#[derive(Serialize)]
struct PlanRow<'a> {
    #[serde(flatten)]
    plan: &'a LocationPlan,
    simulated: Option<&'a SlotReport>,
}

#[derive(Serialize)]
struct PlanOutput<'a> {
    scenario: &'a str,
    what_if: &'a [String],
    recommendation: &'a Recommendation,
    locations: Vec<PlanRow<'a>>,
    simulation: &'a SimReport,
}

/// Recommends stock for `compiled` at `target` and simulates the
/// recommendation (the work of `spares plan` and of a plan job).
pub fn compute_plan(
    compiled: &Compiled,
    options: RunOptions,
    target: f64,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<(Recommendation, SimReport), PlanError> {
    if !(target > 0.0 && target < 1.0) {
        return Err(PlanError::InvalidArguments(format!(
            "the target fill rate must be strictly between 0 and 1, got {target}"
        )));
    }
    let recommendation = recommend(
        &compiled.model,
        target,
        compiled.pipeline_model,
        &compiled.order_quantities,
    )?;
    let mut model = compiled.model.clone();
    model.levels = recommendation.levels.clone();
    let report = sim::simulate_cancellable(&model, options, progress, cancel)?;
    Ok((recommendation, report))
}

/// The simulated counterpart of a plan row.
pub fn find_location<'a>(report: &'a SimReport, row: &LocationPlan) -> Option<&'a SlotReport> {
    report
        .locations
        .iter()
        .find(|s| s.part == row.part && s.warehouse == row.warehouse)
}

/// The JSON of `spares plan --json` (one line, no newline).
pub fn plan_json(
    compiled: &Compiled,
    recommendation: &Recommendation,
    report: &SimReport,
) -> Result<String, PlanError> {
    let output = PlanOutput {
        scenario: &compiled.name,
        what_if: &compiled.what_if,
        recommendation,
        locations: recommendation
            .locations
            .iter()
            .map(|plan| PlanRow {
                plan,
                simulated: find_location(report, plan),
            })
            .collect(),
        simulation: report,
    };
    Ok(serde_json::to_string(&output).map_err(std::io::Error::other)?)
}

/// The JSON of `spares simulate --json` (one line, no newline).
pub fn simulate_json(compiled: &Compiled, report: &SimReport) -> Result<String, PlanError> {
    let analytic = evaluate(&compiled.model, compiled.pipeline_model)?;
    let output = SimulateOutput {
        scenario: &compiled.name,
        what_if: &compiled.what_if,
        analytic: &analytic,
        simulation: report,
    };
    Ok(serde_json::to_string(&output).map_err(std::io::Error::other)?)
}
