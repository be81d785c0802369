//! Suppliers and repair vendors over HTTP.
use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::{id as id_of, ids, rejected, rejected_queries};
use crate::common::master::deactivate_and_reactivate;
use crate::common::{Resp, TestApp};

both_backends!(
    vendor_create_get_update_deactivate,
    vendor_list_filters_and_pages,
    vendor_bad_inputs_change_nothing,
    vendor_roles,
);

fn vendor(code: &str, kind: &str, turnaround: Option<i64>) -> Value {
    json!({
        "code": code,
        "name": format!("Vendor {code}"),
        "kind": kind,
        "lead_time_days": 30,
        "repair_turnaround_days": turnaround,
    })
}

async fn create(app: &TestApp, body: Value) -> i64 {
    id_of(&app.post(Planner, "/api/v1/vendors", body).await.expect(201))
}

async fn vendor_create_get_update_deactivate(app: TestApp) {
    let supplier = app
        .post(Planner, "/api/v1/vendors", {
            let mut v = vendor("ACME", "supplier", None);
            v.as_object_mut().unwrap().remove("repair_turnaround_days");
            v
        })
        .await
        .expect(201);
    let id = id_of(&supplier);
    assert_eq!(supplier["kind"], "supplier");
    assert_eq!(supplier["lead_time_days"], 30);
    assert_eq!(supplier["repair_turnaround_days"], Value::Null);
    assert_eq!(supplier["active"], true);
    assert_eq!(
        app.get(Engineer, &format!("/api/v1/vendors/{id}"))
            .await
            .expect(200),
        supplier
    );

    let repair = app
        .post(
            Admin,
            "/api/v1/vendors",
            vendor("FIXIT", "repair", Some(14)),
        )
        .await
        .expect(201);
    assert_eq!(repair["repair_turnaround_days"], 14);
    let repair_id = id_of(&repair);

    let to_both = app
        .patch(
            Planner,
            &format!("/api/v1/vendors/{id}"),
            json!({"kind": "both", "repair_turnaround_days": 0, "lead_time_days": 3650}),
        )
        .await
        .expect(200);
    assert_eq!(to_both["kind"], "both");
    assert_eq!(to_both["repair_turnaround_days"], 0);
    assert_eq!(to_both["lead_time_days"], 3650);
    assert_eq!(to_both["code"], "ACME", "untouched fields stay");

    let back = app
        .patch(
            Planner,
            &format!("/api/v1/vendors/{id}"),
            json!({"kind": "supplier", "repair_turnaround_days": null}),
        )
        .await
        .expect(200);
    assert_eq!(
        back["repair_turnaround_days"],
        Value::Null,
        "null clears it"
    );

    let renamed = app
        .patch(
            Planner,
            &format!("/api/v1/vendors/{repair_id}"),
            json!({"name": "Fix-It Repairs GmbH"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["repair_turnaround_days"], 14, "absent stays");

    deactivate_and_reactivate(&app, "/api/v1/vendors", id, Planner, Warehouse, Admin).await;
    app.get(Planner, "/api/v1/vendors/777777")
        .await
        .expect_problem(404, "not_found");
    assert_eq!(app.count("vendors").await, 2);
}

async fn vendor_list_filters_and_pages(app: TestApp) {
    let s1 = create(&app, vendor("SUP-1", "supplier", None)).await;
    let r1 = create(&app, vendor("REP-1", "repair", Some(10))).await;
    let b1 = create(&app, vendor("BOTH-1", "both", Some(20))).await;
    let s2 = create(&app, {
        let mut v = vendor("SUP-2", "supplier", None);
        v["name"] = json!("Nordic Cables 50% Ltd");
        v
    })
    .await;
    app.post_empty(Planner, &format!("/api/v1/vendors/{s2}/deactivate"))
        .await
        .expect(200);

    for (query, want) in [
        ("kind=supplier", vec![s1, s2]),
        ("kind=repair", vec![r1]),
        ("kind=both", vec![b1]),
        ("active=false", vec![s2]),
        ("active=true&kind=supplier", vec![s1]),
        ("q=rep", vec![r1]),
        ("q=nordic%20cables%2050%25", vec![s2]),
        ("q=VENDOR%20BOTH", vec![b1]),
    ] {
        let page = app
            .get(Engineer, &format!("/api/v1/vendors?{query}"))
            .await
            .expect(200);
        assert_eq!(ids(&page), want, "{query}");
    }
    let page1 = app
        .get(Warehouse, "/api/v1/vendors?limit=3")
        .await
        .expect(200);
    assert_eq!(ids(&page1), [s1, r1, b1]);
    let after = page1["next_after"].as_i64().expect("more");
    let page2 = app
        .get(Warehouse, &format!("/api/v1/vendors?limit=3&after={after}"))
        .await
        .expect(200);
    assert_eq!(ids(&page2), [s2]);
    assert!(page2["next_after"].is_null());
}

async fn vendor_bad_inputs_change_nothing(app: TestApp) {
    let sup = create(&app, vendor("DUP", "supplier", None)).await;
    let rep = create(&app, vendor("REP", "repair", Some(7))).await;
    let existing_sup = app
        .get(Planner, &format!("/api/v1/vendors/{sup}"))
        .await
        .expect(200);
    let existing_rep = app
        .get(Planner, &format!("/api/v1/vendors/{rep}"))
        .await
        .expect(200);
    let before = app.count("vendors").await;

    let dup = app
        .post(Planner, "/api/v1/vendors", vendor("DUP", "repair", Some(3)))
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(Resp::fields(&dup), ["code"]);

    let with = |key: &str, value: Value| {
        let mut v = vendor("NEW", "supplier", None);
        v[key] = value;
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (vendor("NEW", "repair", None), "repair_turnaround_days"),
        (vendor("NEW", "both", None), "repair_turnaround_days"),
        (vendor("NEW", "repair", Some(-1)), "repair_turnaround_days"),
        (
            vendor("NEW", "supplier", Some(3651)),
            "repair_turnaround_days",
        ),
        (with("lead_time_days", json!(-1)), "lead_time_days"),
        (with("lead_time_days", json!(3651)), "lead_time_days"),
        (with("lead_time_days", json!(1e20)), "lead_time_days"),
        (with("lead_time_days", json!(null)), "lead_time_days"),
        (with("kind", json!("broker")), "kind"),
        (with("code", json!("a b")), "code"),
        (with("name", json!("")), "name"),
        (with("rating", json!(5)), "rating"),
    ];
    rejected(&app, Method::POST, Planner, "/api/v1/vendors", cases).await;

    for (id, patch, field) in [
        (sup, json!({"kind": "repair"}), "repair_turnaround_days"),
        (
            rep,
            json!({"repair_turnaround_days": null}),
            "repair_turnaround_days",
        ),
        (
            rep,
            json!({"repair_turnaround_days": 4000}),
            "repair_turnaround_days",
        ),
        (sup, json!({"lead_time_days": -3}), "lead_time_days"),
        (sup, json!({"kind": "reseller"}), "kind"),
        (sup, json!({"active": true}), "active"),
    ] {
        let problem = app
            .patch(Planner, &format!("/api/v1/vendors/{id}"), patch.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&problem).iter().any(|f| f == field),
            "{field} not named for {patch}: {problem}"
        );
    }
    let dup_patch = app
        .patch(
            Planner,
            &format!("/api/v1/vendors/{rep}"),
            json!({"code": "DUP"}),
        )
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(Resp::fields(&dup_patch), ["code"]);

    rejected_queries(
        &app,
        Planner,
        "/api/v1/vendors",
        [
            ("limit=501", "limit"),
            ("kind=broker", "kind"),
            ("lead_time_days=3", "lead_time_days"),
        ],
    )
    .await;

    assert_eq!(
        app.get(Planner, &format!("/api/v1/vendors/{sup}"))
            .await
            .expect(200),
        existing_sup
    );
    assert_eq!(
        app.get(Planner, &format!("/api/v1/vendors/{rep}"))
            .await
            .expect(200),
        existing_rep
    );
    assert_eq!(app.count("vendors").await, before);
}

async fn vendor_roles(app: TestApp) {
    let mut made = Vec::new();
    for (i, role) in [Admin, Planner].into_iter().enumerate() {
        let id = id_of(
            &app.post(
                role,
                "/api/v1/vendors",
                vendor(&format!("OK-{i}"), "supplier", None),
            )
            .await
            .expect(201),
        );
        app.patch(
            role,
            &format!("/api/v1/vendors/{id}"),
            json!({"lead_time_days": 5}),
        )
        .await
        .expect(200);
        app.post_empty(role, &format!("/api/v1/vendors/{id}/deactivate"))
            .await
            .expect(200);
        app.post_empty(role, &format!("/api/v1/vendors/{id}/activate"))
            .await
            .expect(200);
        made.push(id);
    }
    let id = made[0];
    for role in [Warehouse, Engineer] {
        app.post(role, "/api/v1/vendors", vendor("NO", "supplier", None))
            .await
            .expect_problem(403, "forbidden");
        app.patch(role, &format!("/api/v1/vendors/{id}"), json!({"name": "x"}))
            .await
            .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/vendors/{id}/deactivate"))
            .await
            .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/vendors/{id}/activate"))
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, "/api/v1/vendors").await.expect(200);
        app.get(role, &format!("/api/v1/vendors/{id}"))
            .await
            .expect(200);
    }
    for token in [None, Some("spk_0000")] {
        app.send(Method::GET, "/api/v1/vendors", token, None)
            .await
            .expect_problem(401, "unauthorized");
        app.send(
            Method::POST,
            "/api/v1/vendors",
            token,
            Some(&vendor("NO", "supplier", None)),
        )
        .await
        .expect_problem(401, "unauthorized");
        app.send(
            Method::PATCH,
            &format!("/api/v1/vendors/{id}"),
            token,
            Some(&json!({"name": "x"})),
        )
        .await
        .expect_problem(401, "unauthorized");
    }
    let v = app
        .get(Admin, &format!("/api/v1/vendors/{id}"))
        .await
        .expect(200);
    assert_eq!(v["name"], "Vendor OK-0");
    assert_eq!(v["lead_time_days"], 5);
    assert_eq!(app.count("vendors").await, 2);
}
