//! The supply network over HTTP: warehouses, their replenishment tree, and
//! the lanes between them.
use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::{assert_names, ids, rejected, rejected_queries};
use crate::common::master::deactivate_and_reactivate;
use crate::common::{Resp, TestApp};

both_backends!(
    warehouse_create_get_update_deactivate,
    warehouse_list_filters_and_pages,
    warehouse_tree_rules,
    warehouse_bad_inputs_change_nothing,
    warehouse_races_end_in_4xx,
    lane_lifecycle_and_filters,
    lane_bad_inputs_change_nothing,
    network_roles,
);

fn warehouse(code: &str, kind: &str, parent: Option<i64>) -> Value {
    json!({
        "code": code,
        "name": format!("Warehouse {code}"),
        "kind": kind,
        "region": "EMEA",
        "parent_id": parent,
    })
}

async fn create_warehouse(app: &TestApp, code: &str, kind: &str, parent: Option<i64>) -> i64 {
    app.post(Admin, "/api/v1/warehouses", warehouse(code, kind, parent))
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("warehouse id")
}

fn lane(from: i64, to: i64) -> Value {
    json!({
        "from_warehouse_id": from,
        "to_warehouse_id": to,
        "transit_hours": 36.5,
        "cost": "180.25",
        "currency": "EUR",
    })
}

async fn warehouse_create_get_update_deactivate(app: TestApp) {
    let depot = app
        .post(
            Admin,
            "/api/v1/warehouses",
            warehouse("DEP-EU", "central_depot", None),
        )
        .await
        .expect(201);
    let depot_id = depot["id"].as_i64().unwrap();
    assert_eq!(depot["kind"], "central_depot");
    assert_eq!(depot["parent_id"], Value::Null);
    assert_eq!(depot["active"], true);

    let regional = app
        .post(
            Admin,
            "/api/v1/warehouses",
            warehouse("REG-DE", "regional", Some(depot_id)),
        )
        .await
        .expect(201);
    let reg_id = regional["id"].as_i64().unwrap();
    assert_eq!(regional["parent_id"], depot_id);

    let fetched = app
        .get(Engineer, &format!("/api/v1/warehouses/{reg_id}"))
        .await
        .expect(200);
    assert_eq!(fetched, regional);

    let updated = app
        .patch(
            Admin,
            &format!("/api/v1/warehouses/{reg_id}"),
            json!({"name": "Regional Germany", "region": "DACH"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["name"], "Regional Germany");
    assert_eq!(updated["region"], "DACH");
    assert_eq!(updated["code"], "REG-DE", "untouched fields stay");
    assert_eq!(updated["parent_id"], depot_id, "absent parent_id stays");

    let cleared = app
        .patch(
            Admin,
            &format!("/api/v1/warehouses/{reg_id}"),
            json!({"parent_id": null}),
        )
        .await
        .expect(200);
    assert_eq!(cleared["parent_id"], Value::Null, "null clears the parent");

    deactivate_and_reactivate(
        &app,
        "/api/v1/warehouses",
        depot_id,
        Admin,
        Warehouse,
        Admin,
    )
    .await;

    app.get(Planner, "/api/v1/warehouses/999999")
        .await
        .expect_problem(404, "not_found");
    app.patch(Admin, "/api/v1/warehouses/999999", json!({"name": "x"}))
        .await
        .expect_problem(404, "not_found");
    app.post_empty(Admin, "/api/v1/warehouses/999999/deactivate")
        .await
        .expect_problem(404, "not_found");
    assert_eq!(app.count("warehouses").await, 2);
}

async fn warehouse_list_filters_and_pages(app: TestApp) {
    let depot = create_warehouse(&app, "DEP-1", "central_depot", None).await;
    let mut regionals = Vec::new();
    for i in 0..3 {
        let mut body = warehouse(&format!("REG-{i}"), "regional", Some(depot));
        body["region"] = json!(if i == 0 { "APAC" } else { "EMEA" });
        body["name"] = json!(format!("Regional 100% hub {i}"));
        let id = app
            .post(Admin, "/api/v1/warehouses", body)
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap();
        regionals.push(id);
    }
    let fwd = create_warehouse(&app, "FWD-1", "forward", Some(regionals[1])).await;
    app.post_empty(Admin, &format!("/api/v1/warehouses/{fwd}/deactivate"))
        .await
        .expect(200);

    let page1 = app
        .get(Engineer, "/api/v1/warehouses?limit=2")
        .await
        .expect(200);
    let after = page1["next_after"].as_i64().expect("more pages");
    let page2 = app
        .get(
            Engineer,
            &format!("/api/v1/warehouses?limit=2&after={after}"),
        )
        .await
        .expect(200);
    let after2 = page2["next_after"].as_i64().expect("a third page");
    let page3 = app
        .get(
            Engineer,
            &format!("/api/v1/warehouses?limit=2&after={after2}"),
        )
        .await
        .expect(200);
    assert!(page3["next_after"].is_null(), "last page has no cursor");
    let all: Vec<i64> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| ids(p))
        .collect();
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");

    let by_kind = app
        .get(Planner, "/api/v1/warehouses?kind=regional")
        .await
        .expect(200);
    assert_eq!(ids(&by_kind), regionals);
    let by_region = app
        .get(Planner, "/api/v1/warehouses?region=APAC")
        .await
        .expect(200);
    assert_eq!(ids(&by_region), [regionals[0]]);
    let children = app
        .get(Planner, &format!("/api/v1/warehouses?parent_id={depot}"))
        .await
        .expect(200);
    assert_eq!(ids(&children), regionals);
    let inactive = app
        .get(Planner, "/api/v1/warehouses?active=false")
        .await
        .expect(200);
    assert_eq!(ids(&inactive), [fwd]);
    let active = app
        .get(Planner, "/api/v1/warehouses?active=true")
        .await
        .expect(200);
    assert_eq!(ids(&active).len(), 4);
    let search = app
        .get(Planner, "/api/v1/warehouses?q=fwd")
        .await
        .expect(200);
    assert_eq!(ids(&search), [fwd], "q matches the code, any case");
    let by_name = app
        .get(Planner, "/api/v1/warehouses?q=100%25%20hub")
        .await
        .expect(200);
    assert_eq!(ids(&by_name), regionals, "q matches the name, % literally");
    let combined = app
        .get(
            Planner,
            &format!("/api/v1/warehouses?kind=regional&region=EMEA&parent_id={depot}"),
        )
        .await
        .expect(200);
    assert_eq!(ids(&combined), &regionals[1..]);
    let max_page = app
        .get(Planner, "/api/v1/warehouses?limit=500")
        .await
        .expect(200);
    assert_eq!(ids(&max_page).len(), 5);
}

async fn warehouse_tree_rules(app: TestApp) {
    // a <- b <- c: c is replenished from b, b from a.
    let a = create_warehouse(&app, "A", "central_depot", None).await;
    let b = create_warehouse(&app, "B", "regional", Some(a)).await;
    let c = create_warehouse(&app, "C", "forward", Some(b)).await;
    let before = app.count("warehouses").await;

    let missing = app
        .post(
            Admin,
            "/api/v1/warehouses",
            warehouse("D", "forward", Some(999_999)),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&missing), ["parent_id"]);

    let own = app
        .patch(
            Admin,
            &format!("/api/v1/warehouses/{b}"),
            json!({"parent_id": b}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&own), ["parent_id"]);

    for (child, new_parent) in [(a, c), (a, b), (b, c)] {
        let cycle = app
            .patch(
                Admin,
                &format!("/api/v1/warehouses/{child}"),
                json!({"parent_id": new_parent}),
            )
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(Resp::fields(&cycle), ["parent_id"]);
        assert!(
            cycle["detail"].as_str().unwrap().contains("cycle"),
            "{cycle}"
        );
    }

    // A deactivated parent is refused for new links but does not block
    // edits of warehouses that already hang under it.
    app.post_empty(Admin, &format!("/api/v1/warehouses/{b}/deactivate"))
        .await
        .expect(200);
    let inactive = app
        .post(
            Admin,
            "/api/v1/warehouses",
            warehouse("E", "forward", Some(b)),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&inactive), ["parent_id"]);
    let other = create_warehouse(&app, "F", "forward", None).await;
    app.patch(
        Admin,
        &format!("/api/v1/warehouses/{other}"),
        json!({"parent_id": b}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        Admin,
        &format!("/api/v1/warehouses/{c}"),
        json!({"name": "Forward C renamed"}),
    )
    .await
    .expect(200);

    // Re-parenting within the tree is fine when it closes no loop.
    let moved = app
        .patch(
            Admin,
            &format!("/api/v1/warehouses/{c}"),
            json!({"parent_id": a}),
        )
        .await
        .expect(200);
    assert_eq!(moved["parent_id"], a);

    let tree: Vec<(i64, Value)> = {
        let page = app.get(Admin, "/api/v1/warehouses").await.expect(200);
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w["id"].as_i64().unwrap(), w["parent_id"].clone()))
            .collect()
    };
    assert_eq!(
        tree,
        [
            (a, Value::Null),
            (b, json!(a)),
            (c, json!(a)),
            (other, Value::Null)
        ]
    );
    assert_eq!(app.count("warehouses").await, before + 1);
}

async fn warehouse_bad_inputs_change_nothing(app: TestApp) {
    let id = create_warehouse(&app, "DUP-1", "central_depot", None).await;
    let existing = app
        .get(Admin, &format!("/api/v1/warehouses/{id}"))
        .await
        .expect(200);
    let before = app.count("warehouses").await;

    let with = |key: &str, value: Value| {
        let mut w = warehouse("NEW-1", "regional", None);
        w[key] = value;
        w
    };
    let without = |key: &str| {
        let mut w = warehouse("NEW-1", "regional", None);
        w.as_object_mut().unwrap().remove(key);
        w
    };
    let cases: Vec<(Value, &str)> = vec![
        (with("kind", json!("mega_depot")), "kind"),
        (with("code", json!("has space")), "code"),
        (with("code", json!("")), "code"),
        (with("code", json!("x".repeat(65))), "code"),
        (with("name", json!("")), "name"),
        (with("name", json!("   ")), "name"),
        (with("name", json!("n".repeat(201))), "name"),
        (with("name", json!("tab\there")), "name"),
        (with("region", json!("")), "region"),
        (with("parent_id", json!("one")), "parent_id"),
        (with("parent_id", json!(-1)), "parent_id"),
        (with("colour", json!("red")), "colour"),
        (with("id", json!(7)), "id"),
        (without("kind"), "kind"),
        (without("name"), "name"),
    ];
    rejected(&app, Method::POST, Admin, "/api/v1/warehouses", cases).await;
    let dup = app
        .post(
            Admin,
            "/api/v1/warehouses",
            warehouse("DUP-1", "regional", None),
        )
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(Resp::fields(&dup), ["code"]);

    let other = create_warehouse(&app, "OTHER", "regional", None).await;
    let dup_patch = app
        .patch(
            Admin,
            &format!("/api/v1/warehouses/{other}"),
            json!({"code": "DUP-1"}),
        )
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(Resp::fields(&dup_patch), ["code"]);
    rejected(
        &app,
        Method::PATCH,
        Admin,
        &format!("/api/v1/warehouses/{id}"),
        [
            (json!({"kind": "depot"}), "kind"),
            (json!({"name": ""}), "name"),
            (json!({"active": false}), "active"),
            (json!({"created_at": "2020-01-01T00:00:00Z"}), "created_at"),
        ],
    )
    .await;
    let unchanged = app
        .get(Admin, &format!("/api/v1/warehouses/{id}"))
        .await
        .expect(200);
    assert_eq!(unchanged, existing, "refused updates change nothing");

    rejected_queries(
        &app,
        Admin,
        "/api/v1/warehouses",
        [
            ("limit=501", "limit"),
            ("limit=0", "limit"),
            ("after=-1", "after"),
            ("kind=mega", "kind"),
            ("active=maybe", "active"),
            ("parent_id=x", "parent_id"),
            ("sort=code", "sort"),
        ],
    )
    .await;
    let long_q = format!("/api/v1/warehouses?q={}", "q".repeat(201));
    let problem = app
        .get(Admin, &long_q)
        .await
        .expect_problem(422, "validation_failed");
    assert_names(&problem, "q");
    app.get(Admin, "/api/v1/warehouses/abc")
        .await
        .expect_problem(400, "bad_parameter");

    assert_eq!(
        app.count("warehouses").await,
        before + 1,
        "only OTHER was written"
    );
}

/// Concurrent writers get 201/200 or a clean 4xx, never a 500: duplicate
/// codes racing past the pre-check, and two re-parentings that together
/// would close a loop.
async fn warehouse_races_end_in_4xx(app: TestApp) {
    let mut handles = Vec::new();
    let app = std::sync::Arc::new(app);
    for _ in 0..8 {
        let app = app.clone();
        handles.push(tokio::spawn(async move {
            app.post(
                Admin,
                "/api/v1/warehouses",
                warehouse("RACE", "regional", None),
            )
            .await
        }));
    }
    let mut created = 0;
    for h in handles {
        let r = h.await.unwrap();
        match r.status.as_u16() {
            201 => created += 1,
            _ => {
                r.expect_problem(409, "already_exists");
            }
        }
    }
    assert_eq!(created, 1);

    for round in 0..4 {
        let a = create_warehouse(&app, &format!("LOOP-A{round}"), "regional", None).await;
        let b = create_warehouse(&app, &format!("LOOP-B{round}"), "regional", None).await;
        let (path_a, path_b) = (
            format!("/api/v1/warehouses/{a}"),
            format!("/api/v1/warehouses/{b}"),
        );
        let (ra, rb) = tokio::join!(
            app.patch(Admin, &path_a, json!({"parent_id": b})),
            app.patch(Admin, &path_b, json!({"parent_id": a})),
        );
        let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 422], "{} / {}", ra.body, rb.body);
        let pa = app
            .get(Admin, &format!("/api/v1/warehouses/{a}"))
            .await
            .expect(200)["parent_id"]
            .clone();
        let pb = app
            .get(Admin, &format!("/api/v1/warehouses/{b}"))
            .await
            .expect(200)["parent_id"]
            .clone();
        assert!(
            pa.is_null() || pb.is_null(),
            "no loop was stored: {pa} {pb}"
        );
    }
}

async fn lane_lifecycle_and_filters(app: TestApp) {
    let depot = create_warehouse(&app, "DEP", "central_depot", None).await;
    let r1 = create_warehouse(&app, "R1", "regional", Some(depot)).await;
    let r2 = create_warehouse(&app, "R2", "regional", Some(depot)).await;

    let created = app
        .post(Admin, "/api/v1/lanes", lane(depot, r1))
        .await
        .expect(201);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["from_warehouse_id"], depot);
    assert_eq!(created["to_warehouse_id"], r1);
    assert_eq!(created["transit_hours"], 36.5);
    assert_eq!(created["cost"], "180.25");
    assert_eq!(created["currency"], "EUR");
    assert_eq!(created["active"], true);
    let fetched = app
        .get(Engineer, &format!("/api/v1/lanes/{id}"))
        .await
        .expect(200);
    assert_eq!(fetched, created);

    let back = app
        .post(Admin, "/api/v1/lanes", lane(r1, depot))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let l3 = app
        .post(Admin, "/api/v1/lanes", lane(depot, r2))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let l4 = app
        .post(Admin, "/api/v1/lanes", lane(r1, r2))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();

    let updated = app
        .patch(
            Admin,
            &format!("/api/v1/lanes/{id}"),
            json!({"transit_hours": 8760, "cost": "0.000001", "currency": "USD"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["transit_hours"], 8760.0);
    assert_eq!(updated["cost"], "0.000001", "decimal kept exactly");
    assert_eq!(updated["currency"], "USD");
    assert_eq!(updated["from_warehouse_id"], depot);
    let only_cost = app
        .patch(
            Admin,
            &format!("/api/v1/lanes/{id}"),
            json!({"cost": "999999999999.999999"}),
        )
        .await
        .expect(200);
    assert_eq!(only_cost["cost"], "999999999999.999999");
    assert_eq!(only_cost["transit_hours"], 8760.0, "absent fields stay");

    let from_depot = app
        .get(Planner, &format!("/api/v1/lanes?from_warehouse_id={depot}"))
        .await
        .expect(200);
    assert_eq!(ids(&from_depot), [id, l3]);
    let to_r2 = app
        .get(Planner, &format!("/api/v1/lanes?to_warehouse_id={r2}"))
        .await
        .expect(200);
    assert_eq!(ids(&to_r2), [l3, l4]);
    let pair = app
        .get(
            Planner,
            &format!("/api/v1/lanes?from_warehouse_id={r1}&to_warehouse_id={depot}"),
        )
        .await
        .expect(200);
    assert_eq!(ids(&pair), [back]);

    app.post_empty(Admin, &format!("/api/v1/lanes/{back}/deactivate"))
        .await
        .expect(200);
    let inactive = app
        .get(Warehouse, "/api/v1/lanes?active=false")
        .await
        .expect(200);
    assert_eq!(ids(&inactive), [back]);
    let on = app
        .post_empty(Admin, &format!("/api/v1/lanes/{back}/activate"))
        .await
        .expect(200);
    assert_eq!(on["active"], true);

    let page1 = app.get(Engineer, "/api/v1/lanes?limit=3").await.expect(200);
    assert_eq!(ids(&page1).len(), 3);
    let after = page1["next_after"].as_i64().unwrap();
    let page2 = app
        .get(Engineer, &format!("/api/v1/lanes?limit=3&after={after}"))
        .await
        .expect(200);
    assert_eq!(ids(&page2), [l4]);
    assert!(page2["next_after"].is_null());

    app.get(Admin, "/api/v1/lanes/424242")
        .await
        .expect_problem(404, "not_found");
    assert_eq!(app.count("lanes").await, 4);
}

async fn lane_bad_inputs_change_nothing(app: TestApp) {
    let a = create_warehouse(&app, "A", "central_depot", None).await;
    let b = create_warehouse(&app, "B", "regional", Some(a)).await;
    let off = create_warehouse(&app, "OFF", "regional", Some(a)).await;
    app.post_empty(Admin, &format!("/api/v1/warehouses/{off}/deactivate"))
        .await
        .expect(200);
    let id = app
        .post(Admin, "/api/v1/lanes", lane(a, b))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let existing = app
        .get(Admin, &format!("/api/v1/lanes/{id}"))
        .await
        .expect(200);
    let before = app.count("lanes").await;

    let dup = app
        .post(Admin, "/api/v1/lanes", lane(a, b))
        .await
        .expect_problem(409, "already_exists");
    assert!(!Resp::fields(&dup).is_empty(), "{dup}");

    let with = |key: &str, value: Value| {
        let mut l = lane(b, a);
        l[key] = value;
        l
    };
    let cases: Vec<(Value, &str)> = vec![
        (lane(a, a), "to_warehouse_id"),
        (lane(999_999, a), "from_warehouse_id"),
        (lane(b, 999_999), "to_warehouse_id"),
        (lane(off, a), "from_warehouse_id"),
        (lane(b, off), "to_warehouse_id"),
        (with("transit_hours", json!(-1)), "transit_hours"),
        (with("transit_hours", json!(8760.5)), "transit_hours"),
        (with("transit_hours", json!(1e300)), "transit_hours"),
        (with("transit_hours", json!("fast")), "transit_hours"),
        (with("cost", json!("-1")), "cost"),
        (with("cost", json!("1e3")), "cost"),
        (with("cost", json!(12.5)), "cost"),
        (with("cost", json!("1000000000000")), "cost"),
        (with("cost", json!("1.1234567")), "cost"),
        (with("cost", json!("1_000")), "cost"),
        (with("currency", json!("eur")), "currency"),
        (with("currency", json!("EURO")), "currency"),
        (with("from_warehouse_id", json!("a")), "from_warehouse_id"),
        (with("speed", json!(3)), "speed"),
    ];
    rejected(&app, Method::POST, Admin, "/api/v1/lanes", cases).await;

    rejected(
        &app,
        Method::PATCH,
        Admin,
        &format!("/api/v1/lanes/{id}"),
        [
            (json!({"from_warehouse_id": b}), "from_warehouse_id"),
            (json!({"to_warehouse_id": a}), "to_warehouse_id"),
            (json!({"transit_hours": 9000}), "transit_hours"),
            (json!({"cost": "-0.5"}), "cost"),
            (json!({"cost": 3}), "cost"),
            (json!({"currency": "E"}), "currency"),
            (json!({"active": false}), "active"),
        ],
    )
    .await;
    let unchanged = app
        .get(Admin, &format!("/api/v1/lanes/{id}"))
        .await
        .expect(200);
    assert_eq!(unchanged, existing, "refused updates change nothing");

    rejected_queries(
        &app,
        Admin,
        "/api/v1/lanes",
        [
            ("limit=501", "limit"),
            ("from_warehouse_id=x", "from_warehouse_id"),
            ("q=x", "q"),
        ],
    )
    .await;
    assert_eq!(app.count("lanes").await, before);
}

async fn network_roles(app: TestApp) {
    let a = create_warehouse(&app, "A", "central_depot", None).await;
    let b = create_warehouse(&app, "B", "regional", Some(a)).await;
    let l = app
        .post(Admin, "/api/v1/lanes", lane(a, b))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let (wh, lanes) = (app.count("warehouses").await, app.count("lanes").await);

    for role in [Planner, Warehouse, Engineer] {
        app.post(
            role,
            "/api/v1/warehouses",
            warehouse("NO", "regional", None),
        )
        .await
        .expect_problem(403, "forbidden");
        app.patch(
            role,
            &format!("/api/v1/warehouses/{a}"),
            json!({"name": "x"}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/warehouses/{a}/deactivate"))
            .await
            .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/warehouses/{a}/activate"))
            .await
            .expect_problem(403, "forbidden");
        app.post(role, "/api/v1/lanes", lane(b, a))
            .await
            .expect_problem(403, "forbidden");
        app.patch(role, &format!("/api/v1/lanes/{l}"), json!({"cost": "1"}))
            .await
            .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/lanes/{l}/deactivate"))
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, "/api/v1/warehouses").await.expect(200);
        app.get(role, &format!("/api/v1/warehouses/{a}"))
            .await
            .expect(200);
        app.get(role, "/api/v1/lanes").await.expect(200);
        app.get(role, &format!("/api/v1/lanes/{l}"))
            .await
            .expect(200);
    }
    for token in [None, Some("spk_not_a_token")] {
        for (method, path, body) in [
            (Method::GET, "/api/v1/warehouses".to_owned(), None),
            (Method::GET, format!("/api/v1/warehouses/{a}"), None),
            (
                Method::POST,
                "/api/v1/warehouses".to_owned(),
                Some(warehouse("NO", "regional", None)),
            ),
            (Method::GET, "/api/v1/lanes".to_owned(), None),
            (Method::POST, "/api/v1/lanes".to_owned(), Some(lane(b, a))),
            (Method::POST, format!("/api/v1/lanes/{l}/deactivate"), None),
        ] {
            app.send(method, &path, token, body.as_ref())
                .await
                .expect_problem(401, "unauthorized");
        }
    }
    let lane_now = app
        .get(Admin, &format!("/api/v1/lanes/{l}"))
        .await
        .expect(200);
    assert_eq!(lane_now["active"], true);
    assert_eq!(app.count("warehouses").await, wh);
    assert_eq!(app.count("lanes").await, lanes);
}
