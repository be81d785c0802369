//! `spares plan` and `spares simulate`: scenario files in, a readable table
//! (default) or JSON (`--json`) out.
//!
//! - `simulate` runs the scenario's `[[policy.stock]]` as given;
//! - `plan` recommends stock per part × warehouse for the scenario's target
//!   ([`crate::core::recommend`]), then simulates the recommendation and
//!   shows analytic and simulated service side by side.
//!
//! The JSON holds nothing that depends on the machine (no timings, no thread
//! count), so the same scenario, seed and replications give byte-identical
//! output; throughput goes to stderr.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::core::plan::{PlanError, compute_plan, find_location, plan_json, simulate_json};
use crate::core::recommend::{Assessment, LocationPlan, Recommendation, evaluate};
use crate::core::scenario::{Compiled, Scenario};
use crate::core::sim::{self, Estimate, RunOptions, SimReport, SlotReport};

/// Options shared by `plan` and `simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML, see scenarios/README.md).
    #[arg(long)]
    pub scenario: PathBuf,
    /// Replications (default: the scenario's).
    #[arg(long)]
    pub replications: Option<usize>,
    /// Base seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). The output does not depend on it.
    #[arg(long, env = "SPARES_THREADS")]
    pub threads: Option<usize>,
    /// Apply the scenario's what-if change of this name (repeatable, in
    /// order).
    #[arg(long = "what-if", value_name = "NAME")]
    pub what_if: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `spares plan`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Target fill rate (default: the scenario's policy.target_fill_rate).
    #[arg(long)]
    pub target_fill_rate: Option<f64>,
}

fn load(args: &RunArgs) -> Result<(Compiled, RunOptions), PlanError> {
    let origin = args.scenario.display().to_string();
    let scenario = Scenario::from_path(&args.scenario)?;
    let compiled = scenario.compile(&args.what_if, &origin)?;
    let threads = match args.threads {
        Some(0) => {
            return Err(PlanError::InvalidArguments(
                "--threads must be at least 1".into(),
            ));
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let replications = args.replications.unwrap_or(compiled.replications);
    if replications == 0 || replications > sim::MAX_REPLICATIONS {
        return Err(PlanError::InvalidArguments(format!(
            "--replications must be between 1 and {}, got {replications}",
            sim::MAX_REPLICATIONS
        )));
    }
    let options = RunOptions {
        replications,
        seed: args.seed.unwrap_or(compiled.seed),
        threads,
    };
    Ok((compiled, options))
}

/// A progress bar over the replications, drawn only when stderr is a
/// terminal.
fn progress_bar(compiled: &Compiled, options: RunOptions) -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(options.replications as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} replications ({elapsed})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!("simulating {}", compiled.name));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Reports the events simulated and the throughput on stderr.
fn throughput(options: RunOptions, report: &SimReport, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{} replications, {} events in {:.2} s on {} threads ({:.1} M events/s)",
        options.replications,
        report.events,
        seconds,
        options.threads.min(options.replications),
        report.events as f64 / seconds.max(1e-9) / 1e6
    );
}

/// `spares simulate`.
pub fn simulate(args: &RunArgs, out: &mut dyn Write) -> Result<(), PlanError> {
    let (compiled, options) = load(args)?;
    let bar = progress_bar(&compiled, options);
    let started = Instant::now();
    let report = sim::simulate(&compiled.model, options, &|| bar.inc(1))?;
    bar.finish_and_clear();
    throughput(options, &report, started);
    if args.json {
        writeln!(out, "{}", simulate_json(&compiled, &report)?)?;
    } else {
        let analytic = evaluate(&compiled.model, compiled.pipeline_model)?;
        write_simulation_table(out, &compiled, &analytic, &report)?;
    }
    out.flush()?;
    Ok(())
}

/// `spares plan`.
pub fn plan(args: &PlanArgs, out: &mut dyn Write) -> Result<(), PlanError> {
    let (compiled, options) = load(&args.run)?;
    let target = args.target_fill_rate.unwrap_or(compiled.target_fill_rate);
    if !(target > 0.0 && target < 1.0) {
        return Err(PlanError::InvalidArguments(format!(
            "--target-fill-rate must be strictly between 0 and 1, got {target}"
        )));
    }
    let bar = progress_bar(&compiled, options);
    let started = Instant::now();
    let (recommendation, report) = compute_plan(
        &compiled,
        options,
        target,
        &|| bar.inc(1),
        &AtomicBool::new(false),
    )?;
    bar.finish_and_clear();
    throughput(options, &report, started);
    if args.run.json {
        writeln!(out, "{}", plan_json(&compiled, &recommendation, &report)?)?;
    } else {
        let find = |row: &LocationPlan| find_location(&report, row);
        write_plan_table(out, &compiled, &recommendation, &report, &find)?;
    }
    out.flush()?;
    Ok(())
}

fn estimate(e: &Estimate) -> String {
    if !e.mean.is_finite() {
        return "-".into();
    }
    match (e.ci_low, e.ci_high) {
        (Some(low), Some(high)) => {
            format!("{} ± {}", number(e.mean), number((high - low) / 2.0))
        }
        _ => number(e.mean),
    }
}

/// Four significant-ish digits without scientific notation for the usual
/// magnitudes.
fn number(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x.abs() >= 1000.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

fn header(out: &mut dyn Write, compiled: &Compiled, report: &SimReport) -> std::io::Result<()> {
    writeln!(out, "Scenario: {}", compiled.name)?;
    if !compiled.what_if.is_empty() {
        writeln!(out, "What-if:  {}", compiled.what_if.join(", "))?;
    }
    writeln!(
        out,
        "Simulated {} replications × {} days (warm-up {} days), seed {}; intervals are 95 % (Student t)",
        report.replications, report.horizon_days, report.warmup_days, report.seed
    )
}

fn write_kpis(out: &mut dyn Write, compiled: &Compiled, report: &SimReport) -> std::io::Result<()> {
    let k = &report.kpis;
    let c = &compiled.currency;
    let rows: [(&str, &Estimate); 9] = [
        ("SLA attainment", &k.sla_attainment),
        ("fill rate", &k.fill_rate),
        ("average backorders", &k.average_backorders),
        ("availability", &k.availability),
        (
            "emergency shipments / year",
            &k.emergency_shipments_per_year,
        ),
        ("emergency cost / year", &k.emergency_cost_per_year),
        ("lateral shipments / year", &k.lateral_shipments_per_year),
        ("inventory investment", &k.inventory_investment),
        ("holding cost / year", &k.holding_cost_per_year),
    ];
    writeln!(out)?;
    writeln!(out, "{:<28} {:>24}", "KPI", "simulated")?;
    for (name, e) in rows {
        let unit = if name.contains("cost") || name.contains("investment") {
            format!(" {c}")
        } else {
            String::new()
        };
        writeln!(out, "{:<28} {:>24}{unit}", name, estimate(e))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<10} {:>12} {:>24}",
        "SLA class", "requests", "attainment"
    )?;
    for class in &report.classes {
        writeln!(
            out,
            "{:<10} {:>12.1} {:>24}",
            class.class,
            class.requests,
            estimate(&class.sla_attainment)
        )?;
    }
    Ok(())
}

fn write_simulation_table(
    out: &mut dyn Write,
    compiled: &Compiled,
    analytic: &Assessment,
    report: &SimReport,
) -> std::io::Result<()> {
    header(out, compiled, report)?;
    writeln!(
        out,
        "Policy as given, evaluated analytically by {} and simulated",
        analytic.model
    )?;
    write_kpis(out, compiled, report)?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>12} {:>24}",
        "service", "analytic", "simulated"
    )?;
    let k = &report.kpis;
    for (name, value, e) in [
        ("fill rate", analytic.fill_rate, &k.fill_rate),
        ("availability", analytic.availability, &k.availability),
        (
            "average backorders",
            analytic.total_backorders,
            &k.average_backorders,
        ),
        ("SLA attainment", analytic.sla_attainment, &k.sla_attainment),
    ] {
        writeln!(
            out,
            "{:<28} {:>12} {:>24}",
            name,
            number(value),
            estimate(e)
        )?;
    }
    for class in &report.classes {
        let value = analytic.sla_by_class.get(&class.class).copied();
        writeln!(
            out,
            "{:<28} {:>12} {:>24}",
            format!("SLA attainment {}", class.class),
            value.map_or("-".into(), number),
            estimate(&class.sla_attainment)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<16} {:<12} {:>5} {:>5} {:>10} | {:>8} {:>18} | {:>8} {:>18} | {:>18}",
        "part",
        "warehouse",
        "s",
        "S",
        "requests",
        "fill an.",
        "fill simulated",
        "EBO an.",
        "backorders sim.",
        "availability sim."
    )?;
    let w = compiled.model.warehouses.len();
    for row in &report.locations {
        let level = compiled
            .model
            .parts
            .iter()
            .position(|p| p.code == row.part)
            .zip(
                compiled
                    .model
                    .warehouses
                    .iter()
                    .position(|x| x.code == row.warehouse),
            )
            .map(|(p, x)| compiled.model.levels[p * w + x])
            .unwrap_or_default();
        let an = analytic
            .locations
            .iter()
            .find(|a| a.part == row.part && a.warehouse == row.warehouse);
        writeln!(
            out,
            "{:<16} {:<12} {:>5} {:>5} {:>10.1} | {:>8} {:>18} | {:>8} {:>18} | {:>18}",
            row.part,
            row.warehouse,
            level.reorder_point,
            level.max,
            row.requests,
            an.and_then(|a| a.analytic.fill_rate)
                .map_or("-".into(), number),
            estimate(&row.fill_rate),
            an.map_or("-".into(), |a| number(a.analytic.expected_backorders)),
            // A depot's backorders are its warehouses' resupply waits, not
            // customers': the simulation's figure there is not comparable.
            if an.is_some_and(|a| a.analytic.fill_rate.is_none()) {
                "-".into()
            } else {
                estimate(&row.average_backorders)
            },
            estimate(&row.availability)
        )?;
    }
    Ok(())
}

fn write_plan_table<'a>(
    out: &mut dyn Write,
    compiled: &Compiled,
    plan: &Recommendation,
    report: &'a SimReport,
    find: &dyn Fn(&LocationPlan) -> Option<&'a SlotReport>,
) -> std::io::Result<()> {
    header(out, compiled, report)?;
    writeln!(
        out,
        "Plan: target fill rate {}, {} marginal analysis; investment {:.0} {}",
        plan.target_fill_rate, plan.model, plan.investment, compiled.currency
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<16} {:<12} {:>9} {:>8} {:>5} {:>5} | {:>8} {:>18} | {:>8} {:>18}",
        "part",
        "warehouse",
        "rate/day",
        "safety",
        "ROP",
        "max",
        "fill an.",
        "fill simulated",
        "EBO an.",
        "backorders sim."
    )?;
    for row in &plan.locations {
        let sim = find(row);
        let sim_fill = sim.map_or("-".into(), |s| estimate(&s.fill_rate));
        let sim_ebo = sim.map_or("-".into(), |s| {
            if row.analytic.fill_rate.is_some() {
                estimate(&s.average_backorders)
            } else {
                "-".into()
            }
        });
        writeln!(
            out,
            "{:<16} {:<12} {:>9.4} {:>8.2} {:>5} {:>5} | {:>8} {:>18} | {:>8} {:>18}",
            row.part,
            row.warehouse,
            row.demand_rate,
            // Adding 0.0 turns -0.0 into 0.0, so a vanishing safety stock
            // never prints as "-0.00".
            (row.safety_stock * 100.0).round() / 100.0 + 0.0,
            row.reorder_point,
            row.max,
            row.analytic.fill_rate.map_or("-".into(), number),
            if row.analytic.fill_rate.is_some() {
                sim_fill
            } else {
                "-".into()
            },
            number(row.analytic.expected_backorders),
            sim_ebo,
        )?;
    }
    let k = &report.kpis;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>12} {:>24}",
        "service", "analytic", "simulated"
    )?;
    let rows: [(String, f64, &Estimate); 5] = [
        ("fill rate".into(), plan.fill_rate, &k.fill_rate),
        ("availability".into(), plan.availability, &k.availability),
        (
            "average backorders".into(),
            plan.total_backorders,
            &k.average_backorders,
        ),
        (
            "SLA attainment".into(),
            plan.sla_attainment,
            &k.sla_attainment,
        ),
        (
            format!("shelf value ({})", compiled.currency),
            plan.expected_shelf_value,
            &k.inventory_investment,
        ),
    ];
    for (name, analytic, simulated) in rows {
        writeln!(
            out,
            "{:<28} {:>12} {:>24}",
            name,
            number(analytic),
            estimate(simulated)
        )?;
    }
    for class in &report.classes {
        let analytic = plan.sla_by_class.get(&class.class).copied();
        writeln!(
            out,
            "{:<28} {:>12} {:>24}",
            format!("  SLA {}", class.class),
            analytic.map_or("-".into(), number),
            estimate(&class.sla_attainment)
        )?;
    }
    write_kpis(out, compiled, report)
}
