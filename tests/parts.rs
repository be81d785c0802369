//! Part master data over HTTP.
use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::rejected;
use crate::common::master::deactivate_and_reactivate;
use crate::common::{Resp, TestApp};

fn part(number: &str) -> Value {
    json!({
        "part_number": number,
        "description": "Remote radio unit 2208",
        "unit_cost": "1250.75",
        "currency": "EUR",
        "kind": "repairable",
        "criticality": "critical",
        "annual_failure_rate": 0.042,
        "lead_time_days": 45,
        "repair_turnaround_days": 21,
        "serialized": true
    })
}

both_backends!(
    create_get_update_deactivate,
    list_filters_and_pages,
    bad_inputs_change_nothing,
    roles_for_parts,
);

async fn create_get_update_deactivate(app: TestApp) {
    let created = app
        .post(Planner, "/api/v1/parts", part("RRU-2208"))
        .await
        .expect(201);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["unit_cost"], "1250.75");
    assert_eq!(created["kind"], "repairable");
    assert_eq!(created["lifecycle"], "active");
    assert_eq!(created["active"], true);

    let fetched = app
        .get(Engineer, &format!("/api/v1/parts/{id}"))
        .await
        .expect(200);
    assert_eq!(fetched, created);

    let updated = app
        .patch(
            Planner,
            &format!("/api/v1/parts/{id}"),
            json!({"unit_cost": "99.123456", "lifecycle": "end_of_life"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["unit_cost"], "99.123456", "decimal kept exactly");
    assert_eq!(updated["lifecycle"], "end_of_life");
    assert_eq!(updated["part_number"], "RRU-2208", "untouched fields stay");

    deactivate_and_reactivate(&app, "/api/v1/parts", id, Admin, Warehouse, Planner).await;

    app.get(Planner, "/api/v1/parts/999999")
        .await
        .expect_problem(404, "not_found");
}

async fn list_filters_and_pages(app: TestApp) {
    for i in 0..7 {
        let mut p = part(&format!("FAN-{i:02}"));
        p["kind"] = json!(if i % 2 == 0 {
            "consumable"
        } else {
            "repairable"
        });
        p["description"] = json!(format!("Cooling fan 100% duty {i}"));
        app.post(Planner, "/api/v1/parts", p).await.expect(201);
    }
    app.post(Planner, "/api/v1/parts", part("PSU-1"))
        .await
        .expect(201);

    let page1 = app.get(Engineer, "/api/v1/parts?limit=3").await.expect(200);
    assert_eq!(page1["items"].as_array().unwrap().len(), 3);
    let after = page1["next_after"].as_i64().expect("more pages");
    let page2 = app
        .get(Engineer, &format!("/api/v1/parts?limit=3&after={after}"))
        .await
        .expect(200);
    let page3_after = page2["next_after"].as_i64().unwrap();
    let page3 = app
        .get(
            Engineer,
            &format!("/api/v1/parts?limit=3&after={page3_after}"),
        )
        .await
        .expect(200);
    assert_eq!(page3["items"].as_array().unwrap().len(), 2);
    assert!(page3["next_after"].is_null(), "last page has no cursor");
    let mut all: Vec<i64> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
        })
        .collect();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n, "no row twice across pages");
    assert_eq!(n, 8);

    let consumables = app
        .get(Planner, "/api/v1/parts?kind=consumable")
        .await
        .expect(200);
    assert_eq!(consumables["items"].as_array().unwrap().len(), 4);
    let search = app.get(Planner, "/api/v1/parts?q=psu").await.expect(200);
    assert_eq!(search["items"][0]["part_number"], "PSU-1");
    let percent = app.get(Planner, "/api/v1/parts?q=100%25").await.expect(200);
    assert_eq!(
        percent["items"].as_array().unwrap().len(),
        7,
        "% is searched literally"
    );
}

async fn bad_inputs_change_nothing(app: TestApp) {
    app.post(Planner, "/api/v1/parts", part("DUP-1"))
        .await
        .expect(201);
    let before = app.count("parts").await;

    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut p = part("X-1");
                p["lead_time_days"] = json!(-5);
                p
            },
            "lead_time_days",
        ),
        (
            {
                let mut p = part("X-2");
                p["annual_failure_rate"] = json!(-0.1);
                p
            },
            "annual_failure_rate",
        ),
        (
            {
                let mut p = part("X-3");
                p["unit_cost"] = json!("1000000000000000000000000000000");
                p
            },
            "unit_cost",
        ),
        (
            {
                let mut p = part("X-3b");
                p["unit_cost"] = json!(1e30);
                p
            },
            "unit_cost",
        ),
        (
            {
                let mut p = part("X-4");
                p["unit_cost"] = json!("-3");
                p
            },
            "unit_cost",
        ),
        (
            {
                let mut p = part("X-5");
                p["kind"] = json!("vapourware");
                p
            },
            "kind",
        ),
        (
            {
                let mut p = part("X-6");
                p["colour"] = json!("red");
                p
            },
            "colour",
        ),
        (
            {
                let mut p = part("X-7");
                p["lead_time_days"] = json!("soon");
                p
            },
            "lead_time_days",
        ),
        (
            {
                let mut p = part("X-8");
                p["currency"] = json!("euro");
                p
            },
            "currency",
        ),
        (
            {
                let mut p = part("has space");
                p["serialized"] = json!(true);
                p
            },
            "part_number",
        ),
        (
            {
                let mut p = part("X-9");
                p.as_object_mut().unwrap().remove("unit_cost");
                p
            },
            "unit_cost",
        ),
    ];
    rejected(&app, Method::POST, Planner, "/api/v1/parts", cases).await;
    let dup = app
        .post(Planner, "/api/v1/parts", part("DUP-1"))
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(Resp::fields(&dup), ["part_number"]);

    let malformed = app
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/parts",
            Planner,
            "application/json",
            b"{\"part_number\": ".to_vec(),
        )
        .await;
    malformed.expect_problem(400, "malformed_json");
    let not_json = app
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/parts",
            Planner,
            "text/plain",
            b"hello".to_vec(),
        )
        .await;
    not_json.expect_problem(415, "unsupported_media_type");
    let huge = app
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/parts",
            Planner,
            "application/json",
            vec![b' '; 2 * 1024 * 1024],
        )
        .await;
    huge.expect_problem(413, "payload_too_large");

    let existing = app.get(Planner, "/api/v1/parts?q=DUP-1").await.expect(200)["items"][0].clone();
    let id = existing["id"].as_i64().unwrap();
    let p = app
        .patch(
            Planner,
            &format!("/api/v1/parts/{id}"),
            json!({"lead_time_days": 100000}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&p), ["lead_time_days"]);
    app.patch(Planner, &format!("/api/v1/parts/{id}"), json!({"id": 5}))
        .await
        .expect_problem(422, "validation_failed");
    let unchanged = app
        .get(Planner, &format!("/api/v1/parts/{id}"))
        .await
        .expect(200);
    assert_eq!(unchanged, existing, "refused updates change nothing");

    let big_page = app
        .get(Planner, "/api/v1/parts?limit=501")
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&big_page), ["limit"]);
    app.get(Planner, "/api/v1/parts?limit=ten")
        .await
        .expect_problem(422, "validation_failed");
    app.get(Planner, "/api/v1/parts?sort=name")
        .await
        .expect_problem(422, "validation_failed");
    app.get(Planner, "/api/v1/parts/not-a-number")
        .await
        .expect_problem(400, "bad_parameter");

    assert_eq!(
        app.count("parts").await,
        before,
        "no refused request wrote a part"
    );
}

async fn roles_for_parts(app: TestApp) {
    for role in [Admin, Planner] {
        app.post(role, "/api/v1/parts", part(&format!("OK-{role}")))
            .await
            .expect(201);
    }
    for role in [Warehouse, Engineer] {
        app.post(role, "/api/v1/parts", part("NO-1"))
            .await
            .expect_problem(403, "forbidden");
        app.patch(role, "/api/v1/parts/1", json!({"description": "x"}))
            .await
            .expect_problem(403, "forbidden");
        app.post_empty(role, "/api/v1/parts/1/deactivate")
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, "/api/v1/parts").await.expect(200);
        app.get(role, "/api/v1/parts/1").await.expect(200);
    }
    assert_eq!(app.count("parts").await, 2);
}
