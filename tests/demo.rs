//! `serve --demo` as a newcomer meets it: two years of operation up to
//! now, so the KPIs, a ledger forecast and a live plan all have something
//! to say, the ledger verifies, work is in flight, and starting again on
//! the same database adds nothing, and every example of the README runs on
//! it as written. One demo is built per backend and every check runs on it.
use entities::vocabulary::Role::*;
use serde_json::{Value, json};
use spares::http::config::ServeArgs;
use spares::http::server::Application;

use crate::common::TestApp;
use crate::planning_jobs::wait_for;

mod lives {
    use crate::common::{Backend, TestApp};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = TestApp::start_demo(Backend::Sqlite)
            .await
            .expect("sqlite demo");
        super::lives(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(app) = TestApp::start_demo(Backend::Postgres).await else {
            eprintln!(
                "{} not set: PostgreSQL variant skipped",
                crate::common::PG_ENV
            );
            return;
        };
        super::lives(app).await;
    }
}

crate::both_backends!(another_database_is_refused);

async fn lives(mut app: TestApp) {
    assert_eq!(app.tokens.len(), 4, "one demo user per role");
    kpis_count_the_last_year(&app).await;
    a_ledger_forecast_covers_dozens_of_series(&app).await;
    work_is_in_flight(&app).await;
    a_live_plan_finishes(&app).await;
    crate::readme::examples_run_on_the_demo(&app).await;
    app.assert_verified().await;
    a_second_start_adds_nothing(&mut app).await;
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("a page of items")
}

async fn kpis_count_the_last_year(app: &TestApp) {
    let to = app.now();
    let from = to - chrono::Duration::days(365);
    let path = format!(
        "/api/v1/kpis/replacement-requests?from={}&to={}",
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d")
    );
    let k = app.get(Planner, &path).await.expect(200);
    let requests = k["sla_attainment"]["denominator"].as_i64().unwrap();
    assert!(requests >= 300, "several hundred requests in a year: {k}");
    let met = k["sla_attainment"]["numerator"].as_i64().unwrap();
    assert!(
        met < requests && met * 10 > requests * 7,
        "mostly, not always, in time: {k}"
    );
    let hits = k["hit_rate"]["numerator"].as_i64().unwrap();
    assert!(
        hits > 0 && hits < k["hit_rate"]["denominator"].as_i64().unwrap(),
        "some laterals: {k}"
    );
    let logistics = format!(
        "/api/v1/kpis/logistics?from={}&to={}",
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d")
    );
    let l = app.get(Planner, &logistics).await.expect(200);
    for kpi in [
        "on_time_delivery",
        "average_repair_cycle_days",
        "repair_success_rate",
        "logistics_cost_rate",
    ] {
        assert!(l[kpi]["value"].is_string(), "{kpi} has a value: {}", l[kpi]);
    }
}

async fn a_ledger_forecast_covers_dozens_of_series(app: &TestApp) {
    let run = app
        .post(
            Planner,
            "/api/v1/forecasts",
            json!({"source": "ledger", "method": "auto", "bucket": "month", "periods": 24, "horizon": 3}),
        )
        .await
        .expect(201);
    let series = run["series_count"].as_i64().unwrap();
    assert!(series >= 24, "dozens of part x warehouse series: {series}");
}

async fn work_is_in_flight(app: &TestApp) {
    let open = |status: &str| format!("/api/v1/replacement-requests?status={status}&limit=500");
    let backordered = app.get(Engineer, &open("backordered")).await.expect(200);
    assert!(!items(&backordered).is_empty(), "a backordered request");
    let mut at_risk = 0;
    for status in ["sourced", "dispatched", "backordered"] {
        let page = app.get(Engineer, &open(status)).await.expect(200);
        at_risk += items(&page)
            .iter()
            .filter(|r| r["sla_at_risk"] == true)
            .count();
    }
    assert!(at_risk >= 1, "a request at risk of missing its SLA");
    let shipped = app
        .get(Warehouse, "/api/v1/transfers?status=shipped")
        .await
        .expect(200);
    assert!(!items(&shipped).is_empty(), "a transfer on the road");
    let counts = app
        .get(Warehouse, "/api/v1/stocktakes?status=open")
        .await
        .expect(200);
    assert!(!items(&counts).is_empty(), "an open stocktake");
    let done = app
        .get(Planner, "/api/v1/planning/jobs?status=done")
        .await
        .expect(200);
    assert!(!items(&done).is_empty(), "a finished planning job");
    let plan = &items(&done)[0];
    let levels = app
        .get(
            Planner,
            &format!("/api/v1/planning/jobs/{}/recommendations", plan["id"]),
        )
        .await
        .expect(200);
    let levels = levels.as_array().expect("recommended levels");
    assert!(levels.len() >= 24, "a level per part and warehouse");
    assert!(
        levels
            .iter()
            .all(|l| l["part_number"].is_string() && l["max"].is_i64())
    );
    let transfers = app
        .get(Warehouse, "/api/v1/transfers?status=closed&limit=500")
        .await
        .expect(200);
    assert!(
        items(&transfers).len() >= 20,
        "replenishment moved stock between warehouses"
    );
    let scrap = app
        .get(Planner, "/api/v1/scrap-requests?status=approved")
        .await
        .expect(200);
    assert!(!items(&scrap).is_empty(), "scrap approved by a second user");
}

async fn a_live_plan_finishes(app: &TestApp) {
    let job = app
        .post(
            Planner,
            "/api/v1/planning/jobs",
            json!({"kind": "plan", "replications": 5}),
        )
        .await
        .expect(202);
    let id = job["id"].as_i64().unwrap();
    let done = wait_for(app, id, &["done", "failed"]).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["result"]["scenario"], "live");
    let rows = done["result"]["recommendation"]["locations"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        rows >= 300,
        "the plan covers the catalogue and the network: {rows} rows"
    );
}

/// Starting `serve --demo` again on the demo's database starts it as it
/// is: no new users, no new history.
async fn a_second_start_adds_nothing(app: &mut TestApp) {
    let requests = app.count("replacement_requests").await;
    let users = app.count("users").await;
    app.shutdown().await;
    let mut args = ServeArgs::new(&app.database_url, "127.0.0.1:0".parse().unwrap());
    args.demo = true;
    let again = Application::build_with_clock(&args, app.clock.clone())
        .await
        .expect("restart");
    assert!(again.demo_members().is_empty(), "no new tokens");
    assert_eq!(app.count("replacement_requests").await, requests);
    assert_eq!(app.count("users").await, users);
}

/// A database holding anything else is refused with a message, and keeps
/// what it held.
async fn another_database_is_refused(mut app: TestApp) {
    app.post(
        Planner,
        "/api/v1/parts",
        json!({"part_number": "MINE-1", "unit_cost": "10.00", "kind": "repairable"}),
    )
    .await
    .expect(201);
    app.shutdown().await;
    let mut args = ServeArgs::new(&app.database_url, "127.0.0.1:0".parse().unwrap());
    args.demo = true;
    let refused = Application::build_with_clock(&args, app.clock.clone()).await;
    let message = refused.err().expect("refused").to_string();
    assert!(message.contains("other data (1 parts"), "{message}");
    assert_eq!(app.count("parts").await, 1);
    assert_eq!(app.count("users").await, 4, "no demo users were added");
}
