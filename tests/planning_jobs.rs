//! Plans and simulations as background jobs over the API: queued, claimed
//! by the server's worker, progress, results, cancel, and adopting a plan
//! into the stock levels replenishment uses.
use std::time::{Duration, Instant};

use chrono::Utc;
use entities::planning_job;
use entities::vocabulary::{JobKind, JobStatus, Role::*};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use spares::flows::planning_jobs::JobOptions;

use crate::both_backends;
use crate::common::TestApp;
use crate::common::fixtures::network;
use crate::common::process::ServerProcess;

both_backends!(
    a_plan_job_runs_and_its_recommendation_is_adopted,
    jobs_can_be_cancelled_and_only_finished_plans_adopted,
    bad_job_requests_are_refused,
    a_plan_runs_on_the_live_data,
    two_servers_share_the_queue,
    a_job_whose_worker_died_is_taken_back,
    a_running_job_is_cancelled_within_seconds,
    sigterm_during_a_long_job_stops_in_time_and_requeues_it
);

/// A scenario over the fixture network: depot DEP, regional REG serving
/// site S1, repairable parts P-A, P-B, P-C.
fn scenario(horizon: u32) -> String {
    format!(
        r#"
name = "fixture network"
[simulation]
horizon_days = {horizon}
warmup_days = 30
replications = 4
seed = 3
[[sla_classes]]
code = "NBD"
window_hours = 9
business_hours = true
[[warehouses]]
code = "DEP"
[[warehouses]]
code = "REG"
parent = "DEP"
[[lanes]]
from = "DEP"
to = "REG"
transit_hours = 12
[[parts]]
code = "P-A"
unit_cost = 10.5
repairable = true
repair_turnaround_days = 20
lead_time_days = 30
failure_rate_per_year = 0.5
[[parts]]
code = "P-B"
unit_cost = 200
repairable = true
repair_turnaround_days = 30
lead_time_days = 30
failure_rate_per_year = 0.2
[[parts]]
code = "P-C"
unit_cost = 3
lead_time_days = 30
failure_rate_per_year = 1.0
[[sites]]
code = "S1"
warehouse = "REG"
transit_hours = 2
sla_class = "NBD"
installed = {{ "P-A" = 40, "P-B" = 20, "P-C" = 60 }}
[[policy.stock]]
part = "P-A"
warehouse = "REG"
max = 2
"#
    )
}

pub(crate) async fn wait_for(app: &TestApp, id: i64, statuses: &[&str]) -> Value {
    wait_until(app, id, |job| {
        job["status"]
            .as_str()
            .is_some_and(|s| statuses.contains(&s))
    })
    .await
}

async fn a_plan_job_runs_and_its_recommendation_is_adopted(app: TestApp) {
    let n = network(&app).await;
    let job = app
        .post(
            Planner,
            "/api/v1/planning/jobs",
            json!({"kind": "plan", "scenario": scenario(400), "target_fill_rate": 0.9}),
        )
        .await
        .expect(202);
    assert_eq!(job["status"], "queued");
    assert_eq!(job["progress_total"], 4);
    let id = job["id"].as_i64().unwrap();
    let done = wait_for(&app, id, &["done", "failed"]).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["progress_done"], 4);
    assert!(done["worker"].as_str().unwrap().starts_with("pid"));
    let result = &done["result"];
    assert!(result["recommendation"]["fill_rate"].as_f64().unwrap() >= 0.9);
    assert!(result["simulation"]["kpis"]["fill_rate"]["mean"].is_f64());
    let rows = result["recommendation"]["locations"].as_array().unwrap();
    assert!(!rows.is_empty());

    // The same scenario through the CLI gives the same plan: one engine.
    let path = std::env::temp_dir().join(format!("spares-job-{}-{id}.toml", std::process::id()));
    std::fs::write(&path, scenario(400)).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_spares"))
        .args(["plan", "--scenario", path.to_str().unwrap(), "--json"])
        .args(["--target-fill-rate", "0.9"])
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(cli, *result);

    let levels = app
        .post_empty(Planner, &format!("/api/v1/planning/jobs/{id}/adopt"))
        .await
        .expect(200);
    assert_eq!(levels.as_array().unwrap().len(), rows.len());
    let stored = app
        .get(
            Planner,
            &format!("/api/v1/stock-levels?warehouse_id={}", n.regional),
        )
        .await
        .expect(200);
    let items = stored["items"].as_array().unwrap();
    for row in rows.iter().filter(|r| r["warehouse"] == "REG") {
        let part = match row["part"].as_str().unwrap() {
            "P-A" => n.parts[0],
            "P-B" => n.parts[1],
            _ => n.parts[2],
        };
        let level = items
            .iter()
            .find(|l| l["part_id"] == part)
            .expect("a stock level per planned part");
        assert_eq!(level["source"], "plan");
        assert_eq!(level["max_level"], row["max"]);
        assert_eq!(
            level["reorder_point"].as_i64().unwrap(),
            row["reorder_point"].as_i64().unwrap().max(0)
        );
    }
}

async fn jobs_can_be_cancelled_and_only_finished_plans_adopted(app: TestApp) {
    network(&app).await;
    // Long enough that it is still running when the cancel arrives.
    let job = app
        .post(
            Planner,
            "/api/v1/planning/jobs",
            json!({"kind": "simulate", "scenario": scenario(36_000), "replications": 5000}),
        )
        .await
        .expect(202);
    let id = job["id"].as_i64().unwrap();
    let cancelled = app
        .post_empty(Admin, &format!("/api/v1/planning/jobs/{id}/cancel"))
        .await
        .expect(200);
    assert_eq!(cancelled["cancel_requested"], true);
    let end = wait_for(&app, id, &["cancelled", "done", "failed"]).await;
    assert_eq!(end["status"], "cancelled", "{end}");
    assert!(end["result"].is_null());
    let again = app
        .post_empty(Planner, &format!("/api/v1/planning/jobs/{id}/cancel"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(again["current_state"], "cancelled");
    app.post_empty(Planner, &format!("/api/v1/planning/jobs/{id}/adopt"))
        .await
        .expect_problem(409, "conflict");

    // A finished simulation is not a plan.
    let sim = app
        .post(
            Planner,
            "/api/v1/planning/jobs",
            json!({"kind": "simulate", "scenario": scenario(200), "replications": 2}),
        )
        .await
        .expect(202);
    let sim_id = sim["id"].as_i64().unwrap();
    let done = wait_for(&app, sim_id, &["done", "failed"]).await;
    assert_eq!(done["status"], "done", "{done}");
    assert!(done["result"]["simulation"]["kpis"]["sla_attainment"]["mean"].is_f64());
    app.post_empty(Planner, &format!("/api/v1/planning/jobs/{sim_id}/adopt"))
        .await
        .expect_problem(409, "conflict");

    // The queue as a planner lists it: by status, without the results.
    let all = app.get(Planner, "/api/v1/planning/jobs").await.expect(200);
    let ids: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id, sim_id]);
    assert!(all["items"][1]["result"].is_null());
    let cancelled = app
        .get(
            Planner,
            "/api/v1/planning/jobs?status=cancelled&kind=simulate",
        )
        .await
        .expect(200);
    assert_eq!(cancelled["items"].as_array().unwrap().len(), 1);
    assert_eq!(cancelled["items"][0]["id"], id);
    app.get(Planner, "/api/v1/planning/jobs?status=sleeping")
        .await
        .expect_problem(422, "validation_failed");
    app.get(Warehouse, "/api/v1/planning/jobs")
        .await
        .expect_problem(403, "forbidden");
}

async fn bad_job_requests_are_refused(app: TestApp) {
    app.post(
        Planner,
        "/api/v1/planning/jobs",
        json!({"kind": "plan", "scenario": "name = 1"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let broken = scenario(100).replace("installed = {", "installed = { \"P-X\" = 1,");
    let body = app
        .post(
            Planner,
            "/api/v1/planning/jobs",
            json!({"kind": "plan", "scenario": broken}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(body.to_string().contains("unknown part"), "{body}");
    app.post(
        Planner,
        "/api/v1/planning/jobs",
        json!({"kind": "plan", "scenario": scenario(100), "replications": 0}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        Engineer,
        "/api/v1/planning/jobs",
        json!({"kind": "plan", "scenario": scenario(100)}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.get(Planner, "/api/v1/planning/jobs/999999")
        .await
        .expect_problem(404, "not_found");
}

async fn a_plan_runs_on_the_live_data(app: TestApp) {
    let n = network(&app).await;
    app.post(
        Admin,
        "/api/v1/lanes",
        json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional,
            "transit_hours": 12.0, "cost": "80", "currency": "EUR"}),
    )
    .await
    .expect(201);
    for (part, rate, quantity) in [(n.parts[0], 0.5, 40), (n.parts[1], 0.2, 20)] {
        app.patch(
            Admin,
            &format!("/api/v1/parts/{part}"),
            json!({"annual_failure_rate": rate, "lead_time_days": 30, "repair_turnaround_days": 20}),
        )
        .await
        .expect(200);
        app.put(
            Admin,
            &format!("/api/v1/sites/{}/installed-base/{part}", n.site),
            json!({"quantity": quantity}),
        )
        .await
        .expect(200);
    }
    // A recorded repair loop for P-A: one unit repaired (at once), one
    // beyond repair.
    let vendor = app
        .post(Admin, "/api/v1/vendors",
            json!({"code": "FIX", "name": "Fix", "kind": "repair", "lead_time_days": 0, "repair_turnaround_days": 14}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    crate::common::fixtures::receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[0], "quantity": 2, "condition": "defective"}]),
    )
    .await;
    let order = app
        .post(Warehouse, "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.depot, "reference": "RMA-1",
                   "lines": [{"part_id": n.parts[0], "quantity": 1}, {"part_id": n.parts[0], "quantity": 1}]}))
        .await
        .expect(201);
    for (line, outcome) in order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["repaired", "beyond_repair"])
    {
        app.post(
            Warehouse,
            &format!(
                "/api/v1/repair-orders/{}/lines/{}/result",
                order["id"], line["id"]
            ),
            json!({"outcome": outcome, "fault_cause": "x", "failed_component": "y",
                   "conclusion": "z", "measures": "w", "cost": "1"}),
        )
        .await
        .expect(200);
    }
    let live = app
        .get(Planner, "/api/v1/planning/scenario")
        .await
        .expect(200);
    let text = live["scenario"].as_str().unwrap();
    let scenario = spares::core::scenario::Scenario::parse(text, "live").unwrap();
    let compiled = scenario.compile(&[], "live").unwrap();
    assert_eq!(compiled.model.warehouses.len(), 2);
    assert_eq!(compiled.model.streams.len(), 2, "{text}");
    // 40 units at 0.5 a year: 20 failures a year at REG.
    let rates = compiled.model.demand_rates();
    let total: f64 = rates.iter().sum();
    assert!((total - (20.0 + 4.0) / 365.0).abs() < 1e-12, "{total}");
    // P-A's repair loop is the measured one: back at once, half beyond
    // repair; P-B keeps master data's 20 days.
    let a = &compiled.model.parts[0];
    assert_eq!(a.code, "P-A");
    assert!(a.repair_cycle < 0.01, "{}", a.repair_cycle);
    assert_eq!(a.beyond_repair_share, 0.5);
    assert_eq!(compiled.model.parts[1].repair_cycle, 20.0);

    // A job without a scenario plans the live data.
    let job = app
        .post(
            Planner,
            "/api/v1/planning/jobs",
            json!({"kind": "plan", "replications": 2, "target_fill_rate": 0.9}),
        )
        .await
        .expect(202);
    let done = wait_for(&app, job["id"].as_i64().unwrap(), &["done", "failed"]).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["result"]["scenario"], "live");
    assert!(
        done["result"]["recommendation"]["fill_rate"]
            .as_f64()
            .unwrap()
            >= 0.9
    );
}

/// A second `spares serve` on the same database: each job is claimed by
/// exactly one of the two workers, and both take part.
async fn two_servers_share_the_queue(app: TestApp) {
    let mut args =
        spares::http::config::ServeArgs::new(&app.database_url, "127.0.0.1:0".parse().unwrap());
    args.no_migrate = true;
    args.db_pool_size = 4;
    let second = spares::http::server::Application::build(&args)
        .await
        .expect("a second server on the same database");
    let mut ids = Vec::new();
    for seed in 0..6 {
        let job = app
            .post(
                Planner,
                "/api/v1/planning/jobs",
                json!({"kind": "simulate", "scenario": scenario(36_000), "replications": 40, "seed": seed}),
            )
            .await
            .expect(202);
        ids.push(job["id"].as_i64().unwrap());
    }
    let mut workers = std::collections::BTreeSet::new();
    for id in ids {
        let done = wait_for(&app, id, &["done", "failed", "cancelled"]).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["progress_done"], 40);
        workers.insert(done["worker"].as_str().unwrap().to_string());
    }
    assert!(
        workers
            .iter()
            .any(|w| w.ends_with(&second.addr().to_string())),
        "the second server never claimed a job: {workers:?}"
    );
    assert_eq!(workers.len(), 2, "{workers:?}");
}

/// A job row as a worker that died mid-run leaves it: running, claimed by
/// `dead-worker`, its lease run out five minutes ago.
async fn orphaned_job(app: &TestApp, attempts: i32, cancel_requested: bool) -> i64 {
    let planner = spares::flows::users::authenticate(&app.db, app.token(Planner))
        .await
        .unwrap()
        .unwrap();
    let options = JobOptions {
        replications: 2,
        seed: 1,
        what_if: Vec::new(),
        target_fill_rate: 0.95,
    };
    let now = app.now();
    let expired = now - chrono::Duration::minutes(5);
    let row = planning_job::ActiveModel {
        kind: Set(JobKind::Simulate),
        status: Set(JobStatus::Running),
        scenario: Set(scenario(200)),
        options: Set(serde_json::to_string(&options).unwrap()),
        progress_done: Set(1),
        progress_total: Set(2),
        cancel_requested: Set(cancel_requested),
        worker: Set(Some("dead-worker".into())),
        lease_until: Set(Some(expired)),
        attempts: Set(attempts),
        created_by: Set(planner.user_id),
        created_at: Set(expired),
        started_at: Set(Some(expired)),
        updated_at: Set(expired),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    row.id
}

async fn a_job_whose_worker_died_is_taken_back(app: TestApp) {
    network(&app).await;
    let rerun = orphaned_job(&app, 1, false).await;
    let cancelled = orphaned_job(&app, 1, true).await;
    let exhausted = orphaned_job(&app, 3, false).await;

    // Run again from the start by the live worker.
    let done = wait_for(&app, rerun, &["done", "failed", "cancelled"]).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["attempts"], 2);
    assert_ne!(done["worker"], "dead-worker");
    assert_eq!(done["progress_done"], 2);
    assert!(done["result"]["simulation"].is_object());
    // A cancel asked of the dead worker is honoured without it.
    let end = wait_for(&app, cancelled, &["done", "failed", "cancelled"]).await;
    assert_eq!(end["status"], "cancelled", "{end}");
    assert!(end["lease_until"].is_null());
    // A job that has killed three workers is not tried a fourth time.
    let end = wait_for(&app, exhausted, &["done", "failed", "cancelled"]).await;
    assert_eq!(end["status"], "failed", "{end}");
    assert!(
        end["error"]
            .as_str()
            .unwrap()
            .contains("stopped responding"),
        "{end}"
    );
    assert_eq!(end["attempts"], 3);
}

/// A simulation long enough to be running whenever it is looked at.
fn long_job() -> Value {
    json!({"kind": "simulate", "scenario": scenario(36_000), "replications": 5000})
}

async fn a_running_job_is_cancelled_within_seconds(app: TestApp) {
    network(&app).await;
    let job = app
        .post(Planner, "/api/v1/planning/jobs", long_job())
        .await
        .expect(202);
    let id = job["id"].as_i64().unwrap();
    let running = wait_until(&app, id, |j| {
        j["status"] == "running" && j["progress_done"].as_i64() > Some(0)
    })
    .await;
    assert!(running["lease_until"].is_string(), "{running}");
    let asked = Instant::now();
    let cancel = app
        .post_empty(Planner, &format!("/api/v1/planning/jobs/{id}/cancel"))
        .await
        .expect(200);
    assert_eq!(cancel["cancel_requested"], true);
    let end = wait_for(&app, id, &["cancelled", "done", "failed"]).await;
    assert_eq!(end["status"], "cancelled", "{end}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "a running job took {:?} to stop",
        asked.elapsed()
    );
    assert!(end["result"].is_null());
}

async fn sigterm_during_a_long_job_stops_in_time_and_requeues_it(mut app: TestApp) {
    network(&app).await;
    // The in-process server stops; a real process serves the same database.
    app.shutdown().await;
    let mut server =
        ServerProcess::start(&app.database_url, &["--request-timeout-secs", "5"]).await;
    let jobs = format!("{}/api/v1/planning/jobs", server.base);
    let created: Value = app
        .client
        .post(&jobs)
        .bearer_auth(app.token(Planner))
        .json(&long_job())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let started = Instant::now();
    loop {
        let job: Value = app
            .client
            .get(format!("{jobs}/{id}"))
            .bearer_auth(app.token(Planner))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["status"] == "running" && job["progress_done"].as_i64() > Some(0) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let asked = Instant::now();
    server.terminate();
    let status = server
        .exited_within(Duration::from_secs(15))
        .await
        .expect("the server exits after SIGTERM");
    let took = asked.elapsed();
    assert!(status.success(), "{status}");
    assert!(
        took < Duration::from_secs(5),
        "SIGTERM took {took:?}, more than the 5 s request timeout"
    );
    // Interrupted, not lost: back in the queue for the next server.
    let row = planning_job::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, JobStatus::Queued);
    assert_eq!(row.worker, None);
    assert_eq!(row.lease_until, None);
    assert_eq!(row.progress_done, 0);
    assert_eq!(row.attempts, 1);
    assert!(row.updated_at <= Utc::now());
}

/// Polls job `id` until `ready` holds of it (at most a minute).
async fn wait_until(app: &TestApp, id: i64, ready: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let job = app
            .get(Planner, &format!("/api/v1/planning/jobs/{id}"))
            .await
            .expect(200);
        if ready(&job) {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "job {id} not ready after 60 s: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
