//! Engineers' replacement-part requests over HTTP: every sourcing outcome
//! (serving warehouse, lateral, at risk, backorder and its automatic fill),
//! the lifecycle with its refused transitions, cancel, who sees what, the
//! race for the last unit, the business calendar, KPIs and bad input, on
//! both backends.
use chrono::SubsecRound;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use entities::vocabulary::Role::{self, *};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::TestApp;
use crate::common::check::{self, id, refused, rejected};
use crate::common::fixtures::{Network, network, receive};

both_backends!(
    serving_warehouse_in_time,
    lateral_cheapest_that_meets_the_deadline,
    earliest_arrival_when_nobody_meets_the_deadline,
    backorders_fill_earliest_deadline_first,
    lifecycle_dispatch_deliver_return_close,
    cancel_releases_and_refuses_dispatch,
    engineers_see_only_their_own,
    concurrent_requests_never_over_reserve,
    business_hours_follow_site_calendar,
    bad_input_changes_nothing,
    stock_flows_cannot_bypass_the_request,
    raising_twice_with_one_key_sources_once,
    concurrent_arrivals_fill_each_backorder_once,
    consumables_close_without_a_return,
    backorders_lower_the_replenishment_position,
    every_arrival_of_good_stock_fills_backorders,
    lateral_dispatch_is_no_hit,
    a_deactivated_part_stays_backordered,
    racing_dispatches_and_cancels_settle_once,
    documented_without_colliding_schema_names,
);

/// The request network: the fixture's depot and regional warehouse (which
/// serves site S1, 2 h away), plus two forward warehouses with lanes to
/// the regional one, and a 4-hour wall-clock SLA class on S1.
struct Net {
    n: Network,
    /// Lane to regional: 1 h, cost 50.
    fast: i64,
    /// Lane to regional: 1.5 h, cost 20.
    cheap: i64,
    sla_4h: i64,
}

async fn warehouse(app: &TestApp, code: &str, parent: i64) -> i64 {
    app.post(
        Admin,
        "/api/v1/warehouses",
        json!({"code": code, "name": code, "kind": "forward", "region": "north", "parent_id": parent}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

async fn lane(app: &TestApp, from: i64, to: i64, hours: f64, cost: &str) {
    app.post(
        Admin,
        "/api/v1/lanes",
        json!({"from_warehouse_id": from, "to_warehouse_id": to, "transit_hours": hours, "cost": cost}),
    )
    .await
    .expect(201);
}

async fn sla(app: &TestApp, code: &str, minutes: i32, business: bool) -> i64 {
    app.post(
        Admin,
        "/api/v1/sla-classes",
        json!({"code": code, "name": format!("SLA {code}"), "response_minutes": minutes, "business_hours_only": business}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

async fn set_sla(app: &TestApp, site: i64, class: Option<i64>) {
    app.patch(
        Admin,
        &format!("/api/v1/sites/{site}"),
        json!({"sla_class_id": class}),
    )
    .await
    .expect(200);
}

async fn site(app: &TestApp, code: &str, serving: i64, hours: f64, class: Option<i64>) -> i64 {
    app.post(
        Admin,
        "/api/v1/sites",
        json!({"code": code, "name": code, "customer": "Telco", "region": "north",
            "time_zone": "Europe/Berlin", "serving_warehouse_id": serving, "transit_hours": hours,
            "sla_class_id": class}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

async fn setup(app: &TestApp) -> Net {
    let n = network(app).await;
    let fast = warehouse(app, "FWD-FAST", n.regional).await;
    let cheap = warehouse(app, "FWD-CHEAP", n.regional).await;
    lane(app, n.depot, n.regional, 10.0, "300").await;
    lane(app, fast, n.regional, 1.0, "50").await;
    lane(app, cheap, n.regional, 1.5, "20").await;
    let sla_4h = sla(app, "4H", 240, false).await;
    set_sla(app, n.site, Some(sla_4h)).await;
    Net {
        n,
        fast,
        cheap,
        sla_4h,
    }
}

async fn stock(app: &TestApp, n: &Network, warehouse: i64, part: i64, quantity: i64) {
    receive(
        app,
        n,
        warehouse,
        json!([{"part_id": part, "quantity": quantity}]),
    )
    .await;
}

/// (on_hand, reserved) of good stock.
async fn level(app: &TestApp, part: i64, warehouse: i64, condition: &str) -> (i64, i64) {
    let (on_hand, reserved, _) = check::level(app, part, warehouse, condition).await;
    (on_hand, reserved)
}

fn body(site: i64, part: i64, quantity: i64) -> Value {
    json!({"ticket_ref": "INC-4711", "site_id": site, "part_id": part, "quantity": quantity,
        "priority": "high", "note": "card failed", "failed_serial": "SN-0042"})
}

async fn request_as(app: &TestApp, token: &str, site: i64, part: i64, quantity: i64) -> Value {
    let r = app
        .send(
            reqwest::Method::POST,
            "/api/v1/replacement-requests",
            Some(token),
            Some(&body(site, part, quantity)),
        )
        .await;
    r.expect(201)
}

async fn request(app: &TestApp, site: i64, part: i64, quantity: i64) -> Value {
    app.post(
        Engineer,
        "/api/v1/replacement-requests",
        body(site, part, quantity),
    )
    .await
    .expect(201)
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

fn dispatch_body() -> Value {
    json!({"carrier": "Courier", "tracking_ref": "CR-1", "cost": "45.00"})
}

async fn new_engineer(app: &TestApp, name: &str) -> String {
    spares::flows::users::create_token(&app.db, name, Role::Engineer, app.now())
        .await
        .expect("token")
        .token
}

async fn serving_warehouse_in_time(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 2).await;
    stock(&app, n, net.cheap, a, 5).await;
    let r = request(&app, n.site, a, 1).await;
    assert_eq!(r["status"], "sourced", "{r}");
    assert_eq!(r["source_kind"], "serving");
    assert_eq!(r["source_warehouse_id"], n.regional);
    assert_eq!(r["serving_warehouse_id"], n.regional);
    assert_eq!(r["sla_at_risk"], false);
    assert_eq!(r["risk_reason"], "");
    assert_eq!(r["sla_class_id"], net.sla_4h);
    assert_eq!(r["failed_serial"], "SN-0042");
    assert_eq!(r["priority"], "high");
    assert_eq!(r["allowed"], json!(["dispatch", "cancel"]));
    let requested = time(&r["requested_at"]);
    assert_eq!(time(&r["deadline_at"]) - requested, Duration::hours(4));
    // The deadline also on the site's clock (S1 is in Berlin), no nanoseconds.
    assert_eq!(r["site_time_zone"], "Europe/Berlin");
    let local =
        chrono::DateTime::parse_from_rfc3339(r["deadline_local"].as_str().unwrap()).unwrap();
    assert_eq!(local, time(&r["deadline_at"]).trunc_subsecs(0));
    assert!(
        ["+01:00", "+02:00"].contains(&&r["deadline_local"].as_str().unwrap()[19..]),
        "{r}"
    );
    assert!(r["eta_local"].is_string());
    assert!(r["requested_at"].as_str().unwrap().len() <= "2026-12-01T08:00:00.123456Z".len());
    // Windows in plain dates.
    app.get(
        Planner,
        "/api/v1/kpis/replacement-requests?from=2026-01-01&to=2030-01-01",
    )
    .await
    .expect(200);
    let promised = time(&r["promised_eta"]) - requested;
    assert!(
        (promised - Duration::hours(2)).num_seconds().abs() <= 5,
        "site transit 2 h: {r}"
    );
    assert_eq!(level(&app, a, n.regional, "good").await, (2, 1));
    assert_eq!(level(&app, a, net.cheap, "good").await, (5, 0));
    let res = app
        .get(
            Admin,
            &format!("/api/v1/stock/reservations/{}", r["reservation_id"]),
        )
        .await
        .expect(200);
    assert_eq!(res["status"], "active");
    assert_eq!(res["quantity"], 1);
    app.assert_verified().await;
}

async fn lateral_cheapest_that_meets_the_deadline(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    // Regional has one unit but two are asked for; the depot is too far
    // (10 h + 2 h > 4 h); both forward warehouses make it, the cheap one
    // arrives later but costs less.
    stock(&app, n, n.regional, a, 1).await;
    stock(&app, n, n.depot, a, 9).await;
    stock(&app, n, net.fast, a, 2).await;
    stock(&app, n, net.cheap, a, 2).await;
    let r = request(&app, n.site, a, 2).await;
    assert_eq!(r["status"], "sourced", "{r}");
    assert_eq!(r["source_kind"], "lateral");
    assert_eq!(r["source_warehouse_id"], net.cheap);
    assert_eq!(r["sourcing_cost"], "20");
    assert_eq!(r["sla_at_risk"], false);
    let transit = time(&r["promised_eta"]) - time(&r["requested_at"]);
    assert!(
        (transit - Duration::minutes(210)).num_seconds().abs() <= 5,
        "lane 1.5 h + site 2 h: {r}"
    );
    assert_eq!(level(&app, a, net.cheap, "good").await, (2, 2));
    assert_eq!(level(&app, a, net.fast, "good").await, (2, 0));
    // The cheap one is now empty: the next goes to the fast one.
    let r = request(&app, n.site, a, 2).await;
    assert_eq!(r["source_kind"], "lateral");
    assert_eq!(r["source_warehouse_id"], net.fast);
    assert_eq!(r["sourcing_cost"], "50");
    app.assert_verified().await;
}

async fn earliest_arrival_when_nobody_meets_the_deadline(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    // A one-hour SLA: nothing arrives in time (site transit alone is 2 h).
    let one_hour = sla(&app, "1H", 60, false).await;
    set_sla(&app, n.site, Some(one_hour)).await;
    stock(&app, n, n.depot, a, 3).await;
    stock(&app, n, net.cheap, a, 3).await;
    let r = request(&app, n.site, a, 1).await;
    assert_eq!(r["status"], "sourced", "{r}");
    assert_eq!(r["source_kind"], "earliest");
    assert_eq!(r["source_warehouse_id"], net.cheap, "3.5 h beats 12 h");
    assert_eq!(r["sla_at_risk"], true);
    let reason = r["risk_reason"].as_str().unwrap();
    assert!(reason.contains("deadline"), "{reason}");
    assert!(
        reason.contains(&format!("warehouse {}", net.cheap)),
        "{reason}"
    );
    assert!(time(&r["promised_eta"]) > time(&r["deadline_at"]));
    // Stock elsewhere that cannot reach the site is no source.
    let b = n.parts[1];
    let island = warehouse(&app, "ISLAND", n.depot).await;
    stock(&app, n, island, b, 4).await;
    let r = request(&app, n.site, b, 1).await;
    assert_eq!(r["status"], "backordered", "{r}");
    assert!(
        r["risk_reason"]
            .as_str()
            .unwrap()
            .contains("no active lane"),
        "{r}"
    );
    app.assert_verified().await;
}

async fn backorders_fill_earliest_deadline_first(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    // S2 has a 1-hour SLA: raised second, its deadline is earlier.
    let one_hour = sla(&app, "1H", 60, false).await;
    let s2 = site(&app, "S2", n.regional, 0.5, Some(one_hour)).await;
    let first = request(&app, n.site, a, 1).await;
    let second = request(&app, s2, a, 1).await;
    for r in [&first, &second] {
        assert_eq!(r["status"], "backordered", "{r}");
        assert_eq!(r["source_kind"], "backorder");
        assert_eq!(r["sla_at_risk"], true);
        assert_eq!(r["reservation_id"], Value::Null);
        assert_eq!(r["allowed"], json!(["cancel"]));
        assert!(r["risk_reason"].as_str().unwrap().contains("backordered"));
    }
    assert!(time(&second["deadline_at"]) < time(&first["deadline_at"]));
    let listed = app
        .get(Planner, "/api/v1/replacement-requests?status=backordered")
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    // One unit arrives at the regional warehouse: the earlier deadline wins.
    stock(&app, n, n.regional, a, 1).await;
    let s = app
        .get(
            Engineer,
            &format!("/api/v1/replacement-requests/{}", id(&second)),
        )
        .await
        .expect(200);
    assert_eq!(s["status"], "sourced", "{s}");
    assert_eq!(s["source_warehouse_id"], n.regional);
    assert!(s["reservation_id"].is_i64());
    let f = app
        .get(
            Engineer,
            &format!("/api/v1/replacement-requests/{}", id(&first)),
        )
        .await
        .expect(200);
    assert_eq!(f["status"], "backordered", "{f}");
    assert_eq!(level(&app, a, n.regional, "good").await, (1, 1));

    // Cancelling the filled one releases its unit to the other backorder.
    let c = app
        .post_empty(
            Engineer,
            &format!("/api/v1/replacement-requests/{}/cancel", id(&second)),
        )
        .await
        .expect(200);
    assert_eq!(c["status"], "cancelled");
    let f = app
        .get(
            Engineer,
            &format!("/api/v1/replacement-requests/{}", id(&first)),
        )
        .await
        .expect(200);
    assert_eq!(f["status"], "sourced", "{f}");
    assert_eq!(f["source_kind"], "serving");
    assert_eq!(level(&app, a, n.regional, "good").await, (1, 1));
    let released = app
        .get(
            Admin,
            &format!("/api/v1/stock/reservations/{}", s["reservation_id"]),
        )
        .await
        .expect(200);
    assert_eq!(released["status"], "released");

    // A lateral arrival (a transfer receipt elsewhere) fills too.
    let third = request(&app, n.site, a, 1).await;
    assert_eq!(third["status"], "backordered");
    stock(&app, n, n.depot, a, 1).await;
    let t = app
        .post(
            Warehouse,
            "/api/v1/transfers",
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": net.fast, "lines": [{"part_id": a, "quantity": 1}]}),
        )
        .await
        .expect(201);
    // The depot unit itself was taken by the backorder (12 h, at risk)
    // the moment it was received, so the transfer cannot ship it.
    let third_now = app
        .get(
            Engineer,
            &format!("/api/v1/replacement-requests/{}", id(&third)),
        )
        .await
        .expect(200);
    assert_eq!(third_now["status"], "sourced", "{third_now}");
    assert_eq!(third_now["source_kind"], "earliest");
    assert_eq!(third_now["source_warehouse_id"], n.depot);
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{}/ship", id(&t)),
        json!({"carrier": "X", "cost": "1",
            "estimated_arrival_at": (Utc::now() + Duration::days(1)).to_rfc3339()}),
    )
    .await
    .expect_problem(409, "insufficient_stock");
    app.assert_verified().await;
}

async fn lifecycle_dispatch_deliver_return_close(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 3).await;
    let r = request(&app, n.site, a, 1).await;
    let rid = id(&r);
    let path = |action: &str| format!("/api/v1/replacement-requests/{rid}/{action}");

    // Nothing but dispatch or cancel while sourced.
    for action in ["deliver", "receive-return", "close"] {
        let p = if action == "deliver" {
            app.post(Warehouse, &path(action), json!({"receiver": "X"}))
                .await
        } else {
            app.post_empty(Warehouse, &path(action)).await
        };
        refused(
            p.expect_problem(409, "invalid_transition"),
            "sourced",
            &["dispatch", "cancel"],
        );
    }
    // Engineers do not dispatch.
    app.post(Engineer, &path("dispatch"), dispatch_body())
        .await
        .expect_problem(403, "forbidden");

    let d = app
        .post(Warehouse, &path("dispatch"), dispatch_body())
        .await
        .expect(200);
    assert_eq!(d["status"], "dispatched", "{d}");
    assert_eq!(d["allowed"], json!(["deliver"]));
    let s = &d["shipment"];
    assert_eq!(s["kind"], "dispatch");
    assert_eq!(
        s["origin"],
        json!({"kind": "warehouse", "id": n.regional, "code": "REG"})
    );
    assert_eq!(
        s["destination"],
        json!({"kind": "site", "id": n.site, "code": "S1"})
    );
    assert_eq!(s["cost"], "45");
    assert_eq!(time(&d["eta"]), time(&s["estimated_arrival_at"]));
    let transit = time(&s["estimated_arrival_at"]) - time(&s["dispatched_at"]);
    assert!(
        (transit - Duration::hours(2)).num_seconds().abs() <= 5,
        "{d}"
    );
    assert_eq!(level(&app, a, n.regional, "good").await, (2, 0));
    let doc = app
        .get(
            Admin,
            &format!("/api/v1/stock/documents/{}", d["issue_document_id"]),
        )
        .await
        .expect(200);
    assert_eq!(doc["doc_type"], "issue");
    assert_eq!(
        doc["movements"][0]["to"],
        json!({"kind": "site", "id": n.site, "code": "S1", "condition": "good"})
    );
    let demand = app
        .get(Planner, &format!("/api/v1/demand-records?part_id={a}"))
        .await
        .expect(200);
    let records = demand["items"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["request_id"], rid);
    assert_eq!(records[0]["warehouse_id"], n.regional);
    assert_eq!(records[0]["site_id"], n.site);
    assert_eq!(records[0]["quantity"], 1);
    assert_eq!(records[0]["hit"], true);
    app.get(Engineer, "/api/v1/demand-records")
        .await
        .expect_problem(403, "forbidden");

    // Dispatching twice is refused and posts nothing more.
    let docs = app.count("stock_documents").await;
    let p = app
        .post(Warehouse, &path("dispatch"), dispatch_body())
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "dispatched", &["deliver"]);
    let p = app
        .post_empty(Engineer, &path("cancel"))
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "dispatched", &["deliver"]);
    assert_eq!(app.count("stock_documents").await, docs);
    assert_eq!(app.count("shipments").await, 1);

    let d = app
        .post(
            Warehouse,
            &path("deliver"),
            json!({"receiver": "Site tech", "note": "signed"}),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["sla_met"], true);
    assert_eq!(d["shipment"]["pod"]["receiver"], "Site tech");
    assert_eq!(d["allowed"], json!(["return", "receive-return"]));
    // A repairable part closes only once its defective unit is back.
    let p = app
        .post_empty(Engineer, &path("close"))
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "delivered", &["return", "receive-return"]);

    let d = app
        .post(
            Engineer,
            &path("return"),
            json!({"carrier": "Post", "tracking_ref": "RT-9"}),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["allowed"], json!(["receive-return"]));
    let ret = app
        .get(Warehouse, &format!("/api/v1/returns/{}", d["return_id"]))
        .await
        .expect(200);
    assert_eq!(ret["kind"], "field_return");
    assert_eq!(ret["status"], "in_transit");
    assert_eq!(ret["site_id"], n.site);
    assert_eq!(ret["warehouse_id"], n.regional);
    app.post_empty(Engineer, &path("receive-return"))
        .await
        .expect_problem(403, "forbidden");
    let d = app
        .post_empty(Warehouse, &path("receive-return"))
        .await
        .expect(200);
    assert_eq!(d["status"], "defective_returned", "{d}");
    assert_eq!(level(&app, a, n.regional, "defective").await, (1, 0));
    let ret = app
        .get(Warehouse, &format!("/api/v1/returns/{}", d["return_id"]))
        .await
        .expect(200);
    assert_eq!(ret["status"], "received");
    let d = app.post_empty(Engineer, &path("close")).await.expect(200);
    assert_eq!(d["status"], "closed");
    assert_eq!(d["allowed"], json!([]));

    // A second request, delivered 20 days ago and never returned: overdue.
    let late = request(&app, n.site, a, 1).await;
    let lid = id(&late);
    app.post(
        Warehouse,
        &format!("/api/v1/replacement-requests/{lid}/dispatch"),
        dispatch_body(),
    )
    .await
    .expect(200);
    app.post(
        Warehouse,
        &format!("/api/v1/replacement-requests/{lid}/deliver"),
        json!({"receiver": "Tech"}),
    )
    .await
    .expect(200);
    let back = Utc::now() - Duration::days(20);
    let sql = format!(
        "UPDATE replacement_requests SET delivered_at = '{}' WHERE id = {lid}",
        back.format("%Y-%m-%d %H:%M:%S%.6f+00:00")
    );
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared(&sql).await.expect("backdate");

    let from = (Utc::now() - Duration::days(30)).to_rfc3339();
    let to = (Utc::now() + Duration::days(1)).to_rfc3339();
    let k = app
        .send(
            reqwest::Method::GET,
            &format!(
                "/api/v1/kpis/replacement-requests?from={}&to={}",
                urlencode(&from),
                urlencode(&to)
            ),
            Some(app.token(Planner)),
            None,
        )
        .await
        .expect(200);
    assert_eq!(k["return_window_days"], 14);
    assert_eq!(k["sla_attainment"]["denominator"], 2, "{k}");
    assert_eq!(k["sla_attainment"]["numerator"], 2, "{k}");
    assert_eq!(k["hit_rate"]["numerator"], 2);
    assert_eq!(k["hit_rate"]["denominator"], 2);
    assert_eq!(k["on_time_delivery"]["denominator"], 2);
    assert_eq!(k["defective_returns_overdue"]["request_ids"], json!([lid]));
    assert_eq!(k["defective_returns_overdue"]["ratio"]["denominator"], 2);
    app.assert_verified().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn cancel_releases_and_refuses_dispatch(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 1).await;
    let r = request(&app, n.site, a, 1).await;
    assert_eq!(level(&app, a, n.regional, "good").await, (1, 1));
    let rid = id(&r);
    // Warehouse staff may not cancel an engineer's request.
    app.post_empty(
        Warehouse,
        &format!("/api/v1/replacement-requests/{rid}/cancel"),
    )
    .await
    .expect_problem(403, "forbidden");
    let c = app
        .post_empty(
            Engineer,
            &format!("/api/v1/replacement-requests/{rid}/cancel"),
        )
        .await
        .expect(200);
    assert_eq!(c["status"], "cancelled");
    assert!(c["cancelled_at"].is_string());
    assert_eq!(c["allowed"], json!([]));
    assert_eq!(level(&app, a, n.regional, "good").await, (1, 0));

    let (docs, ships, records) = (
        app.count("stock_documents").await,
        app.count("shipments").await,
        app.count("demand_records").await,
    );
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/replacement-requests/{rid}/dispatch"),
            dispatch_body(),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "cancelled", &[]);
    let p = app
        .post_empty(
            Engineer,
            &format!("/api/v1/replacement-requests/{rid}/cancel"),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "cancelled", &[]);
    assert_eq!(app.count("stock_documents").await, docs);
    assert_eq!(app.count("shipments").await, ships);
    assert_eq!(app.count("demand_records").await, records);
    assert_eq!(level(&app, a, n.regional, "good").await, (1, 0));
    app.assert_verified().await;
}

async fn engineers_see_only_their_own(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 5).await;
    let other = new_engineer(&app, "engineer-two").await;
    let mine = request(&app, n.site, a, 1).await;
    let theirs = request_as(&app, &other, n.site, a, 1).await;
    let tid = id(&theirs);
    assert_ne!(mine["engineer_id"], theirs["engineer_id"]);

    // Another engineer's request does not exist for me, and touching it
    // changes nothing.
    let counts = || async {
        (
            app.count("reservations").await,
            app.count("returns").await,
            app.count("stock_documents").await,
        )
    };
    let before = counts().await;
    app.get(Engineer, &format!("/api/v1/replacement-requests/{tid}"))
        .await
        .expect_problem(404, "not_found");
    for action in ["cancel", "close"] {
        app.post_empty(
            Engineer,
            &format!("/api/v1/replacement-requests/{tid}/{action}"),
        )
        .await
        .expect_problem(404, "not_found");
    }
    app.post(
        Engineer,
        &format!("/api/v1/replacement-requests/{tid}/return"),
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    let t = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/replacement-requests/{tid}"),
            Some(&other),
            None,
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "sourced", "untouched: {t}");
    assert_eq!(counts().await, before);
    assert_eq!(level(&app, a, n.regional, "good").await, (5, 2));
    let listed = app
        .get(Engineer, "/api/v1/replacement-requests")
        .await
        .expect(200);
    let ids: Vec<i64> = listed["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, vec![id(&mine)]);

    // Planners, admins and warehouse staff see all.
    for role in [Planner, Admin, Warehouse] {
        let all = app
            .get(role, "/api/v1/replacement-requests")
            .await
            .expect(200);
        assert_eq!(all["items"].as_array().unwrap().len(), 2, "{role:?}");
        app.get(role, &format!("/api/v1/replacement-requests/{tid}"))
            .await
            .expect(200);
    }
    let by = app
        .get(
            Planner,
            &format!(
                "/api/v1/replacement-requests?engineer_id={}",
                theirs["engineer_id"]
            ),
        )
        .await
        .expect(200);
    assert_eq!(by["items"].as_array().unwrap().len(), 1);
    // Planners and warehouse staff do not raise requests.
    for role in [Planner, Warehouse] {
        app.post(role, "/api/v1/replacement-requests", body(n.site, a, 1))
            .await
            .expect_problem(403, "forbidden");
    }
    // Warehouse staff act on anyone's request.
    app.post(
        Warehouse,
        &format!("/api/v1/replacement-requests/{tid}/dispatch"),
        dispatch_body(),
    )
    .await
    .expect(200);
    app.assert_verified().await;
}

async fn concurrent_requests_never_over_reserve(app: TestApp) {
    let net = setup(&app).await;
    let (n, a, b) = (&net.n, net.n.parts[0], net.n.parts[1]);
    // Two engineers, the last unit, the same moment.
    stock(&app, n, n.regional, a, 1).await;
    let tokens = [
        new_engineer(&app, "eng-a").await,
        new_engineer(&app, "eng-b").await,
    ];
    let race = |tokens: Vec<String>, part: i64| {
        let handles: Vec<_> = tokens
            .into_iter()
            .map(|token| {
                let client = app.client.clone();
                let url = format!("{}/api/v1/replacement-requests", app.base);
                let body = body(n.site, part, 1);
                tokio::spawn(async move {
                    let r = client
                        .post(url)
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    (r.status().as_u16(), r.json::<Value>().await.unwrap())
                })
            })
            .collect();
        async move {
            let mut out = Vec::new();
            for h in handles {
                let (status, body) = h.await.unwrap();
                assert_eq!(status, 201, "{body}");
                out.push(body);
            }
            out
        }
    };
    let results = race(tokens.to_vec(), a).await;
    let sourced: Vec<_> = results
        .iter()
        .filter(|r| r["status"] == "sourced")
        .collect();
    let backordered: Vec<_> = results
        .iter()
        .filter(|r| r["status"] == "backordered")
        .collect();
    assert_eq!(sourced.len(), 1, "exactly one gets the unit: {results:?}");
    assert_eq!(backordered.len(), 1, "the other waits: {results:?}");
    assert_eq!(sourced[0]["source_warehouse_id"], n.regional);
    assert_eq!(level(&app, a, n.regional, "good").await, (1, 1));

    // Eight engineers, two units at the serving warehouse and one at a
    // forward warehouse: two serving, one lateral, five backordered.
    stock(&app, n, n.regional, b, 2).await;
    stock(&app, n, net.fast, b, 1).await;
    let mut many = Vec::new();
    for i in 0..8 {
        many.push(new_engineer(&app, &format!("eng-{i}")).await);
    }
    let results = race(many, b).await;
    let count = |kind: &str| results.iter().filter(|r| r["source_kind"] == kind).count();
    assert_eq!(count("serving"), 2, "{results:?}");
    assert_eq!(count("lateral"), 1, "{results:?}");
    assert_eq!(count("backorder"), 5, "{results:?}");
    assert_eq!(level(&app, b, n.regional, "good").await, (2, 2));
    assert_eq!(level(&app, b, net.fast, "good").await, (1, 1));
    let active = app
        .get(
            Admin,
            &format!("/api/v1/stock/reservations?part_id={b}&status=active"),
        )
        .await
        .expect(200);
    assert_eq!(active["items"].as_array().unwrap().len(), 3);
    app.assert_verified().await;
}

async fn business_hours_follow_site_calendar(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    // Two business days (20 working hours): more than any one day holds,
    // so the window always crosses the holidays below.
    let two_days = sla(&app, "2BD", 1200, true).await;
    set_sla(&app, n.site, Some(two_days)).await;
    // The next three local days are holidays: one for every site, two for
    // the site's region, and one for another region that must not count.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let day = |k: i64| today + Duration::days(k);
    for (k, region) in [(1, ""), (2, "north"), (3, "north")] {
        app.post(
            Planner,
            "/api/v1/holidays",
            json!({"day": day(k).to_string(), "region": region, "name": format!("holiday {k}")}),
        )
        .await
        .expect(201);
    }
    app.post(
        Planner,
        "/api/v1/holidays",
        json!({"day": day(4).to_string(), "region": "south", "name": "elsewhere"}),
    )
    .await
    .expect(201);
    app.post(
        Planner,
        "/api/v1/holidays",
        json!({"day": day(1).to_string(), "name": "again"}),
    )
    .await
    .expect_problem(409, "already_exists");
    app.post(
        Engineer,
        "/api/v1/holidays",
        json!({"day": day(5).to_string(), "name": "no"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let listed = app.get(Engineer, "/api/v1/holidays").await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 4);

    let r = request(&app, n.site, a, 1).await;
    let requested = time(&r["requested_at"]);
    let deadline = time(&r["deadline_at"]).with_timezone(&chrono_tz::Europe::Berlin);
    // Nine working hours take at least nine hours and skip the holidays.
    assert!(
        deadline.with_timezone(&Utc) - requested >= Duration::hours(9),
        "{r}"
    );
    let local = deadline.naive_local();
    assert!(local.date() > day(3), "holidays skipped: {r}");
    assert!(
        !matches!(local.weekday(), Weekday::Sat | Weekday::Sun),
        "{r}"
    );
    let (open, close) = (
        chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
    );
    assert!(local.time() > open && local.time() <= close, "{r}");
    // The same count, from the calendar with those holidays, agrees.
    let cal = spares::core::calendar::BusinessCalendar {
        time_zone: chrono_tz::Europe::Berlin,
        holidays: [day(1), day(2), day(3)]
            .into_iter()
            .collect::<std::collections::HashSet<NaiveDate>>(),
    };
    assert_eq!(
        spares::core::calendar::deadline(requested, 1200, true, &cal),
        deadline.with_timezone(&Utc)
    );
    // Removing a holiday does not move a deadline already set.
    let hid = listed["items"][0]["id"].as_i64().unwrap();
    app.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/holidays/{hid}"),
        Some(app.token(Planner)),
        None,
    )
    .await
    .expect(204);
    let again = app
        .get(
            Engineer,
            &format!("/api/v1/replacement-requests/{}", id(&r)),
        )
        .await
        .expect(200);
    assert_eq!(again["deadline_at"], r["deadline_at"]);
}

async fn bad_input_changes_nothing(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 2).await;
    let bare = site(&app, "BARE", n.regional, 1.0, None).await;
    let before = (
        app.count("replacement_requests").await,
        app.count("reservations").await,
    );
    let cases = [
        (
            json!({"ticket_ref": "T", "site_id": 999_999, "part_id": a, "quantity": 1}),
            "site_id",
        ),
        (
            json!({"ticket_ref": "T", "site_id": n.site, "part_id": 999_999, "quantity": 1}),
            "part_id",
        ),
        (
            json!({"ticket_ref": "T", "site_id": bare, "part_id": a, "quantity": 1}),
            "site_id",
        ),
        (
            json!({"ticket_ref": "T", "site_id": n.site, "part_id": a, "quantity": 0}),
            "quantity",
        ),
        (
            json!({"ticket_ref": "", "site_id": n.site, "part_id": a, "quantity": 1}),
            "ticket_ref",
        ),
    ];
    rejected(
        &app,
        Method::POST,
        Engineer,
        "/api/v1/replacement-requests",
        cases,
    )
    .await;
    let p = app
        .post(
            Engineer,
            "/api/v1/replacement-requests",
            json!({"ticket_ref": "T", "site_id": bare, "part_id": a, "quantity": 1}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        p["detail"].as_str().unwrap().contains("no SLA class"),
        "{p}"
    );
    app.post(
        Engineer,
        "/api/v1/replacement-requests",
        json!({"ticket_ref": "T", "site_id": n.site, "part_id": a, "quantity": 1, "colour": "red"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        Engineer,
        "/api/v1/replacement-requests",
        json!({"ticket_ref": "T", "site_id": n.site, "part_id": a, "quantity": "one"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(
        (
            app.count("replacement_requests").await,
            app.count("reservations").await
        ),
        before
    );
    assert_eq!(level(&app, a, n.regional, "good").await, (2, 0));
    app.get(Engineer, "/api/v1/replacement-requests/999999")
        .await
        .expect_problem(404, "not_found");
    let q = app
        .get(
            Planner,
            "/api/v1/kpis/replacement-requests?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&q), vec!["to".to_owned()]);
    app.assert_verified().await;
}

async fn stock_flows_cannot_bypass_the_request(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 2).await;
    let r = request(&app, n.site, a, 1).await;
    let rid = id(&r);
    let res = r["reservation_id"].as_i64().unwrap();
    // The request's reservation is released by cancel and consumed by
    // dispatch, not through the generic stock endpoints.
    let p = app
        .post_empty(
            Warehouse,
            &format!("/api/v1/stock/reservations/{res}/release"),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("replacement request {rid}")),
        "{p}"
    );
    app.post(
        Warehouse,
        &format!("/api/v1/stock/reservations/{res}/consume"),
        json!({"destination": "site", "site_id": n.site}),
    )
    .await
    .expect_problem(409, "invalid_transition");
    assert_eq!(level(&app, a, n.regional, "good").await, (2, 1));

    let d = app
        .post(
            Warehouse,
            &format!("/api/v1/replacement-requests/{rid}/dispatch"),
            dispatch_body(),
        )
        .await
        .expect(200);
    let docs = app.count("stock_documents").await;
    app.post(
        Warehouse,
        &format!("/api/v1/stock/documents/{}/reverse", d["issue_document_id"]),
        json!({"reason": "oops"}),
    )
    .await
    .expect_problem(409, "invalid_transition");
    assert_eq!(app.count("stock_documents").await, docs);
    app.post(
        Warehouse,
        &format!("/api/v1/replacement-requests/{rid}/deliver"),
        json!({"receiver": "Tech"}),
    )
    .await
    .expect(200);

    // A field return cancelled behind the request's back is replaced by a
    // new one when the unit does arrive.
    let d = app
        .post(
            Engineer,
            &format!("/api/v1/replacement-requests/{rid}/return"),
            json!({}),
        )
        .await
        .expect(200);
    let first_return = d["return_id"].as_i64().unwrap();
    app.post_empty(Warehouse, &format!("/api/v1/returns/{first_return}/cancel"))
        .await
        .expect(200);
    let d = app
        .post_empty(
            Warehouse,
            &format!("/api/v1/replacement-requests/{rid}/receive-return"),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "defective_returned", "{d}");
    assert_ne!(d["return_id"], first_return);
    assert_eq!(level(&app, a, n.regional, "defective").await, (1, 0));
    app.assert_verified().await;
}

async fn raising_twice_with_one_key_sources_once(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 3).await;
    let req = body(n.site, a, 1);
    let path = "/api/v1/replacement-requests";
    let (s1, b1, r1) = app.post_keyed(Engineer, path, "req-1", Some(&req)).await;
    let (s2, b2, r2) = app.post_keyed(Engineer, path, "req-1", Some(&req)).await;
    assert_eq!((s1, r1, s2, r2), (201, false, 201, true));
    assert_eq!(b1, b2);
    assert_eq!(app.count("replacement_requests").await, 1);
    assert_eq!(level(&app, a, n.regional, "good").await, (3, 1));
}

async fn concurrent_arrivals_fill_each_backorder_once(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    let mut waiting = Vec::new();
    for _ in 0..4 {
        let r = request(&app, n.site, a, 1).await;
        assert_eq!(r["status"], "backordered");
        waiting.push(id(&r));
    }
    // Six single-unit receipts at once, at the serving and a forward warehouse.
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/stock/receipts", app.base);
            let token = app.token(Warehouse).to_owned();
            let warehouse = if i % 2 == 0 { n.regional } else { net.fast };
            let body = json!({"warehouse_id": warehouse, "source": "supplier", "source_id": n.supplier,
                "reference": format!("PO-{i}"), "lines": [{"part_id": a, "quantity": 1}]});
            tokio::spawn(async move {
                let r = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            })
        })
        .collect();
    for h in handles {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, 201, "{body}");
    }
    let mut reservations = std::collections::HashSet::new();
    for rid in &waiting {
        let r = app
            .get(Engineer, &format!("/api/v1/replacement-requests/{rid}"))
            .await
            .expect(200);
        assert_eq!(r["status"], "sourced", "{r}");
        // Whichever receipt came first filled it; both sources are in time.
        assert!(
            ["serving", "lateral"].contains(&r["source_kind"].as_str().unwrap()),
            "{r}"
        );
        assert!(reservations.insert(r["reservation_id"].as_i64().unwrap()));
    }
    let (reg, fwd) = (
        level(&app, a, n.regional, "good").await,
        level(&app, a, net.fast, "good").await,
    );
    assert_eq!(reg.0 + fwd.0, 6);
    assert_eq!(reg.1 + fwd.1, 4, "each backorder holds exactly one unit");
    assert!(reg.1 <= reg.0 && fwd.1 <= fwd.0);
    app.assert_verified().await;
}

async fn consumables_close_without_a_return(app: TestApp) {
    let net = setup(&app).await;
    let n = &net.n;
    let fuse = app
        .post(
            Admin,
            "/api/v1/parts",
            json!({"part_number": "FUSE-1", "unit_cost": "0.50", "kind": "consumable"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    stock(&app, n, n.regional, fuse, 10).await;
    let r = request(&app, n.site, fuse, 4).await;
    assert_eq!(r["return_expected"], false);
    let rid = id(&r);
    app.post(
        Warehouse,
        &format!("/api/v1/replacement-requests/{rid}/dispatch"),
        dispatch_body(),
    )
    .await
    .expect(200);
    let d = app
        .post(
            Warehouse,
            &format!("/api/v1/replacement-requests/{rid}/deliver"),
            json!({"receiver": "Tech"}),
        )
        .await
        .expect(200);
    assert_eq!(d["allowed"], json!(["close"]));
    let p = app
        .post(
            Engineer,
            &format!("/api/v1/replacement-requests/{rid}/return"),
            json!({}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "delivered", &["close"]);
    let c = app
        .post_empty(
            Engineer,
            &format!("/api/v1/replacement-requests/{rid}/close"),
        )
        .await
        .expect(200);
    assert_eq!(c["status"], "closed");
    assert_eq!(level(&app, fuse, n.regional, "good").await, (6, 0));
    app.assert_verified().await;
}

async fn backorders_lower_the_replenishment_position(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    app.put(
        Planner,
        &format!("/api/v1/stock-levels/{}/{a}", n.regional),
        json!({"reorder_point": 0, "max_level": 4}),
    )
    .await
    .expect(200);
    let path = format!(
        "/api/v1/replenishment/suggestions?warehouse_id={}",
        n.regional
    );
    // Position 0 = reorder point: suggested for 4, no backorders yet.
    let s = app.get(Planner, &path).await.expect(200);
    assert_eq!(s["suggestions"][0]["backorders"], 0, "{s}");
    assert_eq!(s["suggestions"][0]["quantity"], 4, "{s}");
    request(&app, n.site, a, 3).await;
    let s = app.get(Planner, &path).await.expect(200);
    assert_eq!(s["suggestions"][0]["backorders"], 3, "{s}");
    assert_eq!(s["suggestions"][0]["inventory_position"], -3, "{s}");
    assert_eq!(s["suggestions"][0]["quantity"], 7, "{s}");
}

/// A fresh backorder of one unit of `part` at the network's site.
async fn backorder(app: &TestApp, n: &Network, part: i64) -> i64 {
    let r = request(app, n.site, part, 1).await;
    assert_eq!(r["status"], "backordered", "{r}");
    id(&r)
}

#[track_caller]
fn assert_sourced(r: &Value, how: &str) {
    assert_eq!(r["status"], "sourced", "{how}: {r}");
}

async fn status_of(app: &TestApp, rid: i64) -> Value {
    app.get(Engineer, &format!("/api/v1/replacement-requests/{rid}"))
        .await
        .expect(200)
}

async fn every_arrival_of_good_stock_fills_backorders(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);

    // A purchase-order receipt.
    let rid = backorder(&app, n, a).await;
    let po = app
        .post(
            Planner,
            "/api/v1/purchase-orders",
            json!({"vendor_id": n.supplier, "warehouse_id": n.regional, "reference": "SUP-1",
                "expected_at": "2026-12-24T10:00:00Z", "lines": [{"part_id": a, "quantity": 1}]}),
        )
        .await
        .expect(201);
    app.post(
        Warehouse,
        &format!("/api/v1/purchase-orders/{}/receive", id(&po)),
        json!({"reference": "DN-1", "lines": [{"part_id": a, "quantity": 1}]}),
    )
    .await
    .expect(201);
    assert_sourced(&status_of(&app, rid).await, "purchase receipt");

    // A quarantined unit released back to good.
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.regional, "source": "supplier", "source_id": n.supplier,
            "lines": [{"part_id": a, "quantity": 1, "condition": "quarantined"}]}),
    )
    .await
    .expect(201);
    let rid = backorder(&app, n, a).await;
    app.post(Warehouse, "/api/v1/stock/condition-changes", json!({"warehouse_id": n.regional,
        "lines": [{"part_id": a, "quantity": 1, "from_condition": "quarantined", "to_condition": "good"}]}))
        .await
        .expect(201);
    assert_sourced(&status_of(&app, rid).await, "condition change");

    // A transfer receipt: shipped before the request is raised, so the
    // unit is in transit when the backorder starts waiting.
    let b = n.parts[1];
    stock(&app, n, n.depot, b, 1).await;
    let t = app
        .post(
            Warehouse,
            "/api/v1/transfers",
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": [{"part_id": b, "quantity": 1}]}),
        )
        .await
        .expect(201);
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{}/ship", id(&t)),
        json!({"carrier": "X", "cost": "1"}),
    )
    .await
    .expect(200);
    let rid = backorder(&app, n, b).await;
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{}/receive", id(&t)),
        json!({"lines": [{"part_id": b, "good": 1}]}),
    )
    .await
    .expect(200);
    let r = status_of(&app, rid).await;
    assert_sourced(&r, "transfer receipt");
    assert_eq!(r["source_kind"], "serving");

    // A reversed issue puts the units back.
    let c = n.parts[2];
    stock(&app, n, n.regional, c, 1).await;
    let issue = app
        .post(
            Warehouse,
            "/api/v1/stock/issues",
            json!({"warehouse_id": n.regional, "destination": "site",
            "site_id": n.site, "reason": "wrong part", "lines": [{"part_id": c, "quantity": 1}]}),
        )
        .await
        .expect(201);
    let rid = backorder(&app, n, c).await;
    app.post(
        Warehouse,
        &format!("/api/v1/stock/documents/{}/reverse", id(&issue)),
        json!({"reason": "not used"}),
    )
    .await
    .expect(201);
    assert_sourced(&status_of(&app, rid).await, "reversal");

    // Defective units arriving fill nothing.
    let rid = backorder(&app, n, c).await;
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.regional, "source": "supplier", "source_id": n.supplier,
            "lines": [{"part_id": c, "quantity": 1, "condition": "defective"}]}),
    )
    .await
    .expect(201);
    assert_eq!(status_of(&app, rid).await["status"], "backordered");
    app.assert_verified().await;
}

async fn lateral_dispatch_is_no_hit(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, net.cheap, a, 1).await;
    let r = request(&app, n.site, a, 1).await;
    assert_eq!(r["source_kind"], "lateral");
    let rid = id(&r);
    let d = app
        .post(
            Warehouse,
            &format!("/api/v1/replacement-requests/{rid}/dispatch"),
            dispatch_body(),
        )
        .await
        .expect(200);
    assert_eq!(
        d["shipment"]["origin"],
        json!({"kind": "warehouse", "id": net.cheap, "code": "FWD-CHEAP"})
    );
    let transit =
        time(&d["shipment"]["estimated_arrival_at"]) - time(&d["shipment"]["dispatched_at"]);
    assert!(
        (transit - Duration::minutes(210)).num_seconds().abs() <= 5,
        "lane 1.5 h + site 2 h: {d}"
    );
    let records = app
        .get(
            Planner,
            &format!("/api/v1/demand-records?warehouse_id={}", net.cheap),
        )
        .await
        .expect(200);
    assert_eq!(records["items"][0]["hit"], false, "{records}");
    assert_eq!(records["items"][0]["serving_warehouse_id"], n.regional);
    let hits = app
        .get(Planner, "/api/v1/demand-records?hit=true")
        .await
        .expect(200);
    assert_eq!(hits["items"], json!([]));
    assert_eq!(level(&app, a, net.cheap, "good").await, (0, 0));
    app.assert_verified().await;
}

async fn a_deactivated_part_stays_backordered(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 1).await;
    let held = request(&app, n.site, a, 1).await;
    let waiting = backorder(&app, n, a).await;
    app.post_empty(Planner, &format!("/api/v1/parts/{a}/deactivate"))
        .await
        .expect(200);
    // The release cannot hand the unit to a part no longer in use, and it
    // must not fail because of that.
    let c = app
        .post_empty(
            Engineer,
            &format!("/api/v1/replacement-requests/{}/cancel", id(&held)),
        )
        .await
        .expect(200);
    assert_eq!(c["status"], "cancelled");
    assert_eq!(status_of(&app, waiting).await["status"], "backordered");
    assert_eq!(level(&app, a, n.regional, "good").await, (1, 0));
    // New requests for it are refused.
    app.post(Engineer, "/api/v1/replacement-requests", body(n.site, a, 1))
        .await
        .expect_problem(422, "validation_failed");
    app.assert_verified().await;
}

async fn racing_dispatches_and_cancels_settle_once(app: TestApp) {
    let net = setup(&app).await;
    let (n, a) = (&net.n, net.n.parts[0]);
    stock(&app, n, n.regional, a, 2).await;
    let rid = id(&request(&app, n.site, a, 1).await);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let client = app.client.clone();
            let (action, role, body) = if i % 2 == 0 {
                ("dispatch", Warehouse, Some(dispatch_body()))
            } else {
                ("cancel", Engineer, None)
            };
            let url = format!("{}/api/v1/replacement-requests/{rid}/{action}", app.base);
            let token = app.token(role).to_owned();
            tokio::spawn(async move {
                let mut req = client.post(url).bearer_auth(token);
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let r = req.send().await.unwrap();
                (
                    action,
                    r.status().as_u16(),
                    r.json::<Value>().await.unwrap(),
                )
            })
        })
        .collect();
    let mut won = Vec::new();
    for h in handles {
        let (action, status, body) = h.await.unwrap();
        match status {
            200 => won.push(action),
            409 => assert_eq!(body["code"], "invalid_transition", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one action wins: {won:?}");
    let r = status_of(&app, rid).await;
    match won[0] {
        "dispatch" => {
            assert_eq!(r["status"], "dispatched");
            assert_eq!(level(&app, a, n.regional, "good").await, (1, 0));
            assert_eq!(app.count("shipments").await, 1);
            assert_eq!(app.count("demand_records").await, 1);
        }
        _ => {
            assert_eq!(r["status"], "cancelled");
            assert_eq!(level(&app, a, n.regional, "good").await, (2, 0));
            assert_eq!(app.count("shipments").await, 0);
            assert_eq!(app.count("demand_records").await, 0);
        }
    }
    app.assert_verified().await;
}

async fn documented_without_colliding_schema_names(app: TestApp) {
    let spec = app
        .send(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    for path in [
        "/api/v1/replacement-requests",
        "/api/v1/replacement-requests/{id}",
        "/api/v1/replacement-requests/{id}/dispatch",
        "/api/v1/replacement-requests/{id}/deliver",
        "/api/v1/replacement-requests/{id}/return",
        "/api/v1/replacement-requests/{id}/receive-return",
        "/api/v1/replacement-requests/{id}/close",
        "/api/v1/replacement-requests/{id}/cancel",
        "/api/v1/demand-records",
        "/api/v1/kpis/replacement-requests",
        "/api/v1/holidays",
        "/api/v1/holidays/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} documented");
    }
    let schemas = &spec["components"]["schemas"];
    // The transfer's create body and the request's are different schemas.
    assert!(schemas["CreateRequest"]["properties"]["from_warehouse_id"].is_object());
    assert!(schemas["NewReplacementRequest"]["properties"]["ticket_ref"].is_object());
    assert!(schemas["ReplacementRequest"]["properties"]["deadline_at"].is_object());
}
