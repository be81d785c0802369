//! SLA classes, customer sites and their installed base over HTTP.
use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::{id as id_of, ids, rejected, rejected_queries};
use crate::common::master::deactivate_and_reactivate;
use crate::common::{Resp, TestApp};

both_backends!(
    sla_class_lifecycle_filters_and_pages,
    sla_class_bad_inputs_and_roles,
    site_create_get_update_deactivate,
    site_list_filters_and_pages,
    site_bad_inputs_change_nothing,
    installed_base_set_and_list,
    installed_base_bad_inputs_and_roles,
    site_roles,
);

fn sla(code: &str, minutes: i64) -> Value {
    json!({"code": code, "name": format!("SLA {code}"), "response_minutes": minutes})
}

fn site(code: &str, warehouse: i64, sla_class: Option<i64>) -> Value {
    json!({
        "code": code,
        "name": format!("Site {code}"),
        "customer": "Nordtel",
        "region": "EMEA",
        "time_zone": "Europe/Berlin",
        "serving_warehouse_id": warehouse,
        "transit_hours": 3.5,
        "sla_class_id": sla_class,
    })
}

async fn create_warehouse(app: &TestApp, code: &str) -> i64 {
    id_of(
        &app.post(
            Admin,
            "/api/v1/warehouses",
            json!({"code": code, "name": code, "kind": "regional", "region": "EMEA"}),
        )
        .await
        .expect(201),
    )
}

async fn create_sla(app: &TestApp, code: &str, minutes: i64) -> i64 {
    id_of(
        &app.post(Admin, "/api/v1/sla-classes", sla(code, minutes))
            .await
            .expect(201),
    )
}

async fn create_part(app: &TestApp, number: &str) -> i64 {
    id_of(
        &app.post(
            Planner,
            "/api/v1/parts",
            json!({"part_number": number, "unit_cost": "10", "kind": "repairable"}),
        )
        .await
        .expect(201),
    )
}

async fn sla_class_lifecycle_filters_and_pages(app: TestApp) {
    let four = app
        .post(Admin, "/api/v1/sla-classes", sla("4H", 240))
        .await
        .expect(201);
    assert_eq!(four["response_minutes"], 240);
    assert_eq!(four["business_hours_only"], false, "defaults to wall-clock");
    assert_eq!(four["active"], true);
    let four_id = id_of(&four);
    let mut nbd = sla("NBD", 1440);
    nbd["business_hours_only"] = json!(true);
    nbd["name"] = json!("Next business day");
    let nbd_id = id_of(
        &app.post(Admin, "/api/v1/sla-classes", nbd)
            .await
            .expect(201),
    );
    let sbd_id = create_sla(&app, "SBD", 1).await;
    let month = create_sla(&app, "MONTH", 43_200).await;

    assert_eq!(
        app.get(Engineer, &format!("/api/v1/sla-classes/{four_id}"))
            .await
            .expect(200),
        four
    );
    let updated = app
        .patch(
            Admin,
            &format!("/api/v1/sla-classes/{four_id}"),
            json!({"response_minutes": 180, "name": "3-hour"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["response_minutes"], 180);
    assert_eq!(updated["code"], "4H");

    let business = app
        .get(Planner, "/api/v1/sla-classes?business_hours_only=true")
        .await
        .expect(200);
    assert_eq!(ids(&business), [nbd_id]);
    let search = app
        .get(Planner, "/api/v1/sla-classes?q=business")
        .await
        .expect(200);
    assert_eq!(ids(&search), [nbd_id], "q matches the name");

    app.post_empty(Admin, &format!("/api/v1/sla-classes/{sbd_id}/deactivate"))
        .await
        .expect(200);
    let inactive = app
        .get(Warehouse, "/api/v1/sla-classes?active=false")
        .await
        .expect(200);
    assert_eq!(ids(&inactive), [sbd_id]);
    app.post_empty(Admin, &format!("/api/v1/sla-classes/{sbd_id}/activate"))
        .await
        .expect(200);

    let page1 = app
        .get(Engineer, "/api/v1/sla-classes?limit=3")
        .await
        .expect(200);
    assert_eq!(ids(&page1), [four_id, nbd_id, sbd_id]);
    let after = page1["next_after"].as_i64().unwrap();
    let page2 = app
        .get(
            Engineer,
            &format!("/api/v1/sla-classes?limit=3&after={after}"),
        )
        .await
        .expect(200);
    assert_eq!(ids(&page2), [month]);
    assert!(page2["next_after"].is_null());
    app.get(Admin, "/api/v1/sla-classes/9999")
        .await
        .expect_problem(404, "not_found");
}

async fn sla_class_bad_inputs_and_roles(app: TestApp) {
    let id = create_sla(&app, "4H", 240).await;
    let existing = app
        .get(Admin, &format!("/api/v1/sla-classes/{id}"))
        .await
        .expect(200);
    let before = app.count("sla_classes").await;

    let dup = app
        .post(Admin, "/api/v1/sla-classes", sla("4H", 60))
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(Resp::fields(&dup), ["code"]);
    let with = |key: &str, value: Value| {
        let mut s = sla("NEW", 60);
        s[key] = value;
        s
    };
    let without = |key: &str| {
        let mut s = sla("NEW", 60);
        s.as_object_mut().unwrap().remove(key);
        s
    };
    rejected(
        &app,
        Method::POST,
        Admin,
        "/api/v1/sla-classes",
        [
            (sla("NEW", 0), "response_minutes"),
            (sla("NEW", -5), "response_minutes"),
            (sla("NEW", 43_201), "response_minutes"),
            (sla("NEW", 10_000_000_000), "response_minutes"),
            (with("response_minutes", json!(1.5)), "response_minutes"),
            (
                with("business_hours_only", json!("yes")),
                "business_hours_only",
            ),
            (with("code", json!("4 hours")), "code"),
            (with("name", json!(" ")), "name"),
            (with("penalty", json!("1000")), "penalty"),
            (without("response_minutes"), "response_minutes"),
            (without("code"), "code"),
        ],
    )
    .await;
    rejected(
        &app,
        Method::PATCH,
        Admin,
        &format!("/api/v1/sla-classes/{id}"),
        [
            (json!({"response_minutes": 0}), "response_minutes"),
            (json!({"code": ""}), "code"),
            (json!({"window": 5}), "window"),
        ],
    )
    .await;
    let other = create_sla(&app, "NBD", 1440).await;
    app.patch(
        Admin,
        &format!("/api/v1/sla-classes/{other}"),
        json!({"code": "4H"}),
    )
    .await
    .expect_problem(409, "already_exists");

    // SLA classes are network configuration: admins only.
    for role in [Planner, Warehouse, Engineer] {
        app.post(role, "/api/v1/sla-classes", sla("NO", 60))
            .await
            .expect_problem(403, "forbidden");
        app.patch(
            role,
            &format!("/api/v1/sla-classes/{id}"),
            json!({"name": "x"}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/sla-classes/{id}/deactivate"))
            .await
            .expect_problem(403, "forbidden");
        app.get(role, "/api/v1/sla-classes").await.expect(200);
        app.get(role, &format!("/api/v1/sla-classes/{id}"))
            .await
            .expect(200);
    }
    app.send(Method::GET, "/api/v1/sla-classes", None, None)
        .await
        .expect_problem(401, "unauthorized");
    app.send(
        Method::POST,
        "/api/v1/sla-classes",
        None,
        Some(&sla("NO", 60)),
    )
    .await
    .expect_problem(401, "unauthorized");

    assert_eq!(
        app.get(Admin, &format!("/api/v1/sla-classes/{id}"))
            .await
            .expect(200),
        existing,
        "refused requests change nothing"
    );
    assert_eq!(app.count("sla_classes").await, before + 1);
}

async fn site_create_get_update_deactivate(app: TestApp) {
    let wh = create_warehouse(&app, "REG-1").await;
    let wh2 = create_warehouse(&app, "REG-2").await;
    let four = create_sla(&app, "4H", 240).await;
    let nbd = create_sla(&app, "NBD", 1440).await;

    let created = app
        .post(Planner, "/api/v1/sites", site("BER-1", wh, Some(four)))
        .await
        .expect(201);
    let id = id_of(&created);
    assert_eq!(created["serving_warehouse_id"], wh);
    assert_eq!(created["sla_class_id"], four);
    assert_eq!(created["time_zone"], "Europe/Berlin");
    assert_eq!(created["transit_hours"], 3.5);
    assert_eq!(created["active"], true);
    assert_eq!(
        app.get(Engineer, &format!("/api/v1/sites/{id}"))
            .await
            .expect(200),
        created
    );

    let no_sla = app
        .post(Admin, "/api/v1/sites", {
            let mut s = site("MUC-1", wh, None);
            s.as_object_mut().unwrap().remove("sla_class_id");
            s
        })
        .await
        .expect(201);
    assert_eq!(no_sla["sla_class_id"], Value::Null, "SLA class is optional");

    let updated = app
        .patch(
            Planner,
            &format!("/api/v1/sites/{id}"),
            json!({
                "serving_warehouse_id": wh2,
                "sla_class_id": nbd,
                "time_zone": "America/Argentina/Buenos_Aires",
                "transit_hours": 0,
                "customer": "Südtel",
            }),
        )
        .await
        .expect(200);
    assert_eq!(updated["serving_warehouse_id"], wh2);
    assert_eq!(updated["sla_class_id"], nbd);
    assert_eq!(updated["time_zone"], "America/Argentina/Buenos_Aires");
    assert_eq!(updated["transit_hours"], 0.0);
    assert_eq!(updated["customer"], "Südtel");
    assert_eq!(updated["code"], "BER-1", "untouched fields stay");

    let cleared = app
        .patch(
            Planner,
            &format!("/api/v1/sites/{id}"),
            json!({"sla_class_id": null}),
        )
        .await
        .expect(200);
    assert_eq!(
        cleared["sla_class_id"],
        Value::Null,
        "null clears the class"
    );

    // Deactivating what a site points at does not break edits of the site.
    app.patch(
        Planner,
        &format!("/api/v1/sites/{id}"),
        json!({"sla_class_id": four}),
    )
    .await
    .expect(200);
    app.post_empty(Admin, &format!("/api/v1/warehouses/{wh2}/deactivate"))
        .await
        .expect(200);
    app.post_empty(Admin, &format!("/api/v1/sla-classes/{four}/deactivate"))
        .await
        .expect(200);
    app.patch(
        Planner,
        &format!("/api/v1/sites/{id}"),
        json!({"name": "Berlin core"}),
    )
    .await
    .expect(200);

    deactivate_and_reactivate(&app, "/api/v1/sites", id, Planner, Warehouse, Admin).await;
    app.get(Admin, "/api/v1/sites/31337")
        .await
        .expect_problem(404, "not_found");
    assert_eq!(app.count("sites").await, 2);
}

async fn site_list_filters_and_pages(app: TestApp) {
    let w1 = create_warehouse(&app, "W1").await;
    let w2 = create_warehouse(&app, "W2").await;
    let four = create_sla(&app, "4H", 240).await;
    let mut made = Vec::new();
    for i in 0..6 {
        let mut s = site(
            &format!("S-{i}"),
            if i < 4 { w1 } else { w2 },
            (i % 2 == 0).then_some(four),
        );
        s["region"] = json!(if i < 3 { "EMEA" } else { "APAC" });
        s["customer"] = json!(if i == 5 { "Acme Mobile" } else { "Nordtel" });
        made.push(id_of(
            &app.post(Planner, "/api/v1/sites", s).await.expect(201),
        ));
    }
    app.post_empty(Planner, &format!("/api/v1/sites/{}/deactivate", made[1]))
        .await
        .expect(200);

    let check = |query: &'static str, want: Vec<i64>| {
        let app = &app;
        async move {
            let page = app
                .get(Engineer, &format!("/api/v1/sites?{query}"))
                .await
                .expect(200);
            assert_eq!(ids(&page), want, "{query}");
        }
    };
    check("region=APAC", made[3..].to_vec()).await;
    check("customer=Acme%20Mobile", vec![made[5]]).await;
    check("q=acme", vec![made[5]]).await;
    check("q=s-2", vec![made[2]]).await;
    check("active=false", vec![made[1]]).await;
    let by_wh = app
        .get(
            Engineer,
            &format!("/api/v1/sites?serving_warehouse_id={w2}"),
        )
        .await
        .expect(200);
    assert_eq!(ids(&by_wh), made[4..]);
    let by_sla = app
        .get(Engineer, &format!("/api/v1/sites?sla_class_id={four}"))
        .await
        .expect(200);
    assert_eq!(ids(&by_sla), [made[0], made[2], made[4]]);
    let combined = app
        .get(
            Engineer,
            &format!("/api/v1/sites?serving_warehouse_id={w1}&region=EMEA&active=true"),
        )
        .await
        .expect(200);
    assert_eq!(ids(&combined), [made[0], made[2]]);

    let mut seen = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/sites?limit=4&after={a}"),
            None => "/api/v1/sites?limit=4".to_owned(),
        };
        let page = app.get(Warehouse, &path).await.expect(200);
        seen.extend(ids(&page));
        match page["next_after"].as_i64() {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    assert_eq!(seen, made, "two pages give every site once, in order");
}

async fn site_bad_inputs_change_nothing(app: TestApp) {
    let wh = create_warehouse(&app, "W").await;
    let off_wh = create_warehouse(&app, "OFF").await;
    app.post_empty(Admin, &format!("/api/v1/warehouses/{off_wh}/deactivate"))
        .await
        .expect(200);
    let four = create_sla(&app, "4H", 240).await;
    let off_sla = create_sla(&app, "OLD", 60).await;
    app.post_empty(Admin, &format!("/api/v1/sla-classes/{off_sla}/deactivate"))
        .await
        .expect(200);
    let id = id_of(
        &app.post(Planner, "/api/v1/sites", site("DUP", wh, Some(four)))
            .await
            .expect(201),
    );
    let existing = app
        .get(Planner, &format!("/api/v1/sites/{id}"))
        .await
        .expect(200);
    let before = app.count("sites").await;

    let dup = app
        .post(Planner, "/api/v1/sites", site("DUP", wh, None))
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(Resp::fields(&dup), ["code"]);

    let with = |key: &str, value: Value| {
        let mut s = site("NEW", wh, Some(four));
        s[key] = value;
        s
    };
    let cases: Vec<(Value, &str)> = vec![
        (site("NEW", 999_999, None), "serving_warehouse_id"),
        (site("NEW", off_wh, None), "serving_warehouse_id"),
        (site("NEW", wh, Some(999_999)), "sla_class_id"),
        (site("NEW", wh, Some(off_sla)), "sla_class_id"),
        (with("time_zone", json!("Mars/Olympus_Mons")), "time_zone"),
        (with("time_zone", json!("europe/berlin")), "time_zone"),
        (with("time_zone", json!("")), "time_zone"),
        (with("time_zone", json!("+02:00")), "time_zone"),
        (with("transit_hours", json!(-0.5)), "transit_hours"),
        (with("transit_hours", json!(8761)), "transit_hours"),
        (with("transit_hours", json!("3h")), "transit_hours"),
        (with("customer", json!("")), "customer"),
        (with("region", json!("r".repeat(201))), "region"),
        (with("code", json!("BER 1")), "code"),
        (
            with("serving_warehouse_id", Value::Null),
            "serving_warehouse_id",
        ),
        (with("installed_base", json!([])), "installed_base"),
    ];
    rejected(&app, Method::POST, Planner, "/api/v1/sites", cases).await;
    rejected(
        &app,
        Method::PATCH,
        Planner,
        &format!("/api/v1/sites/{id}"),
        [
            (
                json!({"serving_warehouse_id": 999_999}),
                "serving_warehouse_id",
            ),
            (
                json!({"serving_warehouse_id": off_wh}),
                "serving_warehouse_id",
            ),
            (json!({"sla_class_id": off_sla}), "sla_class_id"),
            (json!({"sla_class_id": 999_999}), "sla_class_id"),
            (json!({"time_zone": "Atlantis/Capital"}), "time_zone"),
            (json!({"transit_hours": 1e9}), "transit_hours"),
            (json!({"active": false}), "active"),
        ],
    )
    .await;
    let other = id_of(
        &app.post(Planner, "/api/v1/sites", site("OTHER", wh, None))
            .await
            .expect(201),
    );
    app.patch(
        Planner,
        &format!("/api/v1/sites/{other}"),
        json!({"code": "DUP"}),
    )
    .await
    .expect_problem(409, "already_exists");
    assert_eq!(
        app.get(Planner, &format!("/api/v1/sites/{id}"))
            .await
            .expect(200),
        existing,
        "refused updates change nothing"
    );
    rejected_queries(
        &app,
        Planner,
        "/api/v1/sites",
        [
            ("limit=501", "limit"),
            ("sla_class_id=abc", "sla_class_id"),
            ("time_zone=UTC", "time_zone"),
        ],
    )
    .await;
    assert_eq!(
        app.count("sites").await,
        before + 1,
        "only OTHER was written"
    );
}

async fn installed_base_set_and_list(app: TestApp) {
    let wh = create_warehouse(&app, "W").await;
    let s1 = id_of(
        &app.post(Planner, "/api/v1/sites", site("S1", wh, None))
            .await
            .expect(201),
    );
    let s2 = id_of(
        &app.post(Planner, "/api/v1/sites", site("S2", wh, None))
            .await
            .expect(201),
    );
    let rru = create_part(&app, "RRU-1").await;
    let bbu = create_part(&app, "BBU-1").await;

    let empty = app
        .get(Engineer, &format!("/api/v1/sites/{s1}/installed-base"))
        .await
        .expect(200);
    assert_eq!(empty["items"], json!([]));

    let line = app
        .put(
            Planner,
            &format!("/api/v1/sites/{s1}/installed-base/{rru}"),
            json!({"quantity": 12}),
        )
        .await
        .expect(200);
    assert_eq!(line["part_id"], rru);
    assert_eq!(line["part_number"], "RRU-1");
    assert_eq!(line["quantity"], 12);
    assert!(line["updated_at"].is_string());
    app.put(
        Admin,
        &format!("/api/v1/sites/{s1}/installed-base/{bbu}"),
        json!({"quantity": 1_000_000}),
    )
    .await
    .expect(200);
    app.put(
        Planner,
        &format!("/api/v1/sites/{s2}/installed-base/{rru}"),
        json!({"quantity": 3}),
    )
    .await
    .expect(200);
    let again = app
        .put(
            Planner,
            &format!("/api/v1/sites/{s1}/installed-base/{rru}"),
            json!({"quantity": 0}),
        )
        .await
        .expect(200);
    assert_eq!(again["quantity"], 0, "PUT replaces the quantity");
    assert_eq!(app.count("installed_base").await, 3, "no duplicate line");

    let at_site = app
        .get(Warehouse, &format!("/api/v1/sites/{s1}/installed-base"))
        .await
        .expect(200);
    let lines: Vec<(i64, &str, i64)> = at_site["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["part_id"].as_i64().unwrap(),
                l["part_number"].as_str().unwrap(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [(rru, "RRU-1", 0), (bbu, "BBU-1", 1_000_000)]);
    assert_eq!(at_site["items"][0], again, "GET shows what PUT answered");

    let paged = app
        .get(
            Engineer,
            &format!("/api/v1/sites/{s1}/installed-base?limit=1"),
        )
        .await
        .expect(200);
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    let after = paged["next_after"].as_i64().expect("a second page");
    let rest = app
        .get(
            Engineer,
            &format!("/api/v1/sites/{s1}/installed-base?limit=1&after={after}"),
        )
        .await
        .expect(200);
    assert_eq!(rest["items"][0]["part_id"], bbu);
    assert!(rest["next_after"].is_null());

    let of_part = app
        .get(Engineer, &format!("/api/v1/parts/{rru}/installed-base"))
        .await
        .expect(200);
    let sites: Vec<(i64, &str, i64)> = of_part["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["site_id"].as_i64().unwrap(),
                l["site_code"].as_str().unwrap(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(sites, [(s1, "S1", 0), (s2, "S2", 3)]);

    // Concurrent writers of one new line all succeed and leave one line.
    let line_path = format!("/api/v1/sites/{s2}/installed-base/{bbu}");
    let put = |q: i64| app.put(Planner, &line_path, json!({"quantity": q}));
    let (r1, r2, r3, r4, r5, r6) = tokio::join!(put(1), put(2), put(3), put(4), put(5), put(6));
    for r in [r1, r2, r3, r4, r5, r6] {
        r.expect(200);
    }
    assert_eq!(app.count("installed_base").await, 4);
}

async fn installed_base_bad_inputs_and_roles(app: TestApp) {
    let wh = create_warehouse(&app, "W").await;
    let s = id_of(
        &app.post(Planner, "/api/v1/sites", site("S", wh, None))
            .await
            .expect(201),
    );
    let part = create_part(&app, "P-1").await;
    app.put(
        Planner,
        &format!("/api/v1/sites/{s}/installed-base/{part}"),
        json!({"quantity": 5}),
    )
    .await
    .expect(200);
    let path = format!("/api/v1/sites/{s}/installed-base/{part}");

    for (body, field) in [
        (json!({"quantity": -1}), "quantity"),
        (json!({"quantity": 1_000_001}), "quantity"),
        (json!({"quantity": 1e12}), "quantity"),
        (json!({"quantity": "7"}), "quantity"),
        (json!({}), "quantity"),
        (json!({"quantity": 1, "planned": 2}), "planned"),
    ] {
        let problem = app
            .put(Planner, &path, body.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&problem).iter().any(|f| f == field),
            "{field} not named for {body}: {problem}"
        );
    }
    app.put(
        Planner,
        &format!("/api/v1/sites/{s}/installed-base/999999"),
        json!({"quantity": 1}),
    )
    .await
    .expect_problem(404, "not_found");
    app.put(
        Planner,
        &format!("/api/v1/sites/999999/installed-base/{part}"),
        json!({"quantity": 1}),
    )
    .await
    .expect_problem(404, "not_found");
    app.get(Planner, "/api/v1/sites/999999/installed-base")
        .await
        .expect_problem(404, "not_found");
    app.get(Planner, "/api/v1/parts/999999/installed-base")
        .await
        .expect_problem(404, "not_found");
    app.get(
        Planner,
        &format!("/api/v1/sites/{s}/installed-base?limit=501"),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.get(
        Planner,
        &format!("/api/v1/parts/{part}/installed-base?site=1"),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.put(
        Planner,
        &format!("/api/v1/sites/{s}/installed-base/abc"),
        json!({"quantity": 1}),
    )
    .await
    .expect_problem(400, "bad_parameter");

    for role in [Warehouse, Engineer] {
        app.put(role, &path, json!({"quantity": 9}))
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, &format!("/api/v1/sites/{s}/installed-base"))
            .await
            .expect(200);
        app.get(role, &format!("/api/v1/parts/{part}/installed-base"))
            .await
            .expect(200);
    }
    app.send(Method::PUT, &path, None, Some(&json!({"quantity": 9})))
        .await
        .expect_problem(401, "unauthorized");
    app.send(
        Method::GET,
        &format!("/api/v1/parts/{part}/installed-base"),
        None,
        None,
    )
    .await
    .expect_problem(401, "unauthorized");

    let now = app
        .get(Planner, &format!("/api/v1/sites/{s}/installed-base"))
        .await
        .expect(200);
    assert_eq!(
        now["items"][0]["quantity"], 5,
        "refused PUTs change nothing"
    );
    assert_eq!(app.count("installed_base").await, 1);
}

async fn site_roles(app: TestApp) {
    let wh = create_warehouse(&app, "W").await;
    for (i, role) in [Admin, Planner].into_iter().enumerate() {
        let id = id_of(
            &app.post(role, "/api/v1/sites", site(&format!("OK-{i}"), wh, None))
                .await
                .expect(201),
        );
        app.patch(role, &format!("/api/v1/sites/{id}"), json!({"name": "x"}))
            .await
            .expect(200);
        app.post_empty(role, &format!("/api/v1/sites/{id}/deactivate"))
            .await
            .expect(200);
        app.post_empty(role, &format!("/api/v1/sites/{id}/activate"))
            .await
            .expect(200);
    }
    let before = app.count("sites").await;
    for role in [Warehouse, Engineer] {
        app.post(role, "/api/v1/sites", site("NO", wh, None))
            .await
            .expect_problem(403, "forbidden");
        app.patch(role, "/api/v1/sites/1", json!({"name": "y"}))
            .await
            .expect_problem(403, "forbidden");
        app.post_empty(role, "/api/v1/sites/1/deactivate")
            .await
            .expect_problem(403, "forbidden");
        app.post_empty(role, "/api/v1/sites/1/activate")
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, "/api/v1/sites").await.expect(200);
        app.get(role, "/api/v1/sites/1").await.expect(200);
    }
    for token in [None, Some("spk_revoked_or_invented")] {
        app.send(Method::GET, "/api/v1/sites", token, None)
            .await
            .expect_problem(401, "unauthorized");
        app.send(
            Method::POST,
            "/api/v1/sites",
            token,
            Some(&site("NO", wh, None)),
        )
        .await
        .expect_problem(401, "unauthorized");
    }
    let first = app.get(Admin, "/api/v1/sites/1").await.expect(200);
    assert_eq!(first["name"], "x");
    assert_eq!(first["active"], true);
    assert_eq!(app.count("sites").await, before);
}
