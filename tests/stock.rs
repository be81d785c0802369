//! The stock ledger over HTTP: documents, balances, reservations,
//! reversals, idempotency, concurrency and verify, on both backends.
use std::process::Command;

use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::TestApp;
use crate::common::check::{level, rejected};
use crate::common::fixtures::{network, receive};

both_backends!(
    receipts_issues_and_levels,
    an_issue_short_on_one_line_posts_nothing,
    reservations_hold_release_and_consume,
    condition_changes_and_reversals,
    bad_documents_write_nothing,
    idempotency_keys_make_posts_exactly_once,
    concurrent_issues_never_oversell,
    roles_for_stock,
    verify_cli_finds_drift,
);

async fn receipts_issues_and_levels(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let doc = receive(
        &app,
        &n,
        n.depot,
        json!([
            {"part_id": a, "quantity": 10},
            {"part_id": b, "quantity": 3, "condition": "defective"}
        ]),
    )
    .await;
    assert_eq!(doc["doc_type"], "receipt");
    assert_eq!(doc["movements"].as_array().unwrap().len(), 2);
    assert_eq!(doc["movements"][0]["from"]["kind"], "supplier");
    assert_eq!(doc["movements"][0]["to"]["kind"], "warehouse");

    assert_eq!(level(&app, a, n.depot, "good").await, (10, 0, 10));
    assert_eq!(level(&app, b, n.depot, "defective").await, (3, 0, 3));
    let value = app
        .get(Planner, &format!("/api/v1/stock?part_id={a}"))
        .await
        .expect(200);
    let value: rust_decimal::Decimal = value["items"][0]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        value,
        rust_decimal::Decimal::new(105, 0),
        "10 x 10.50 at unit cost"
    );

    let issued = app
        .post(Warehouse, "/api/v1/stock/issues", json!({"warehouse_id": n.depot, "destination": "site",
            "site_id": n.site, "reason": "replacement", "reference": "INC-1", "lines": [{"part_id": a, "quantity": 4}]}))
        .await
        .expect(201);
    assert_eq!(issued["movements"][0]["to"]["kind"], "site");
    assert_eq!(level(&app, a, n.depot, "good").await, (6, 0, 6));

    let history = app
        .get(Engineer, &format!("/api/v1/stock/movements?part_id={a}"))
        .await
        .expect(200);
    let quantities: Vec<i64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(quantities, [10, 4]);
    let by_warehouse = app
        .get(
            Engineer,
            &format!("/api/v1/stock/movements?warehouse_id={}&limit=2", n.depot),
        )
        .await
        .expect(200);
    assert_eq!(by_warehouse["items"].as_array().unwrap().len(), 2);
    let next = by_warehouse["next_after"].as_i64().expect("a second page");
    let rest = app
        .get(
            Engineer,
            &format!(
                "/api/v1/stock/movements?warehouse_id={}&after={next}",
                n.depot
            ),
        )
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);

    let fetched = app
        .get(
            Engineer,
            &format!("/api/v1/stock/documents/{}", issued["id"]),
        )
        .await
        .expect(200);
    assert_eq!(fetched, issued);
    app.assert_verified().await;
}

async fn an_issue_short_on_one_line_posts_nothing(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 5}, {"part_id": b, "quantity": 1}]),
    )
    .await;
    let docs_before = app.count("stock_documents").await;
    let moves_before = app.count("stock_movements").await;
    let problem = app
        .post(
            Warehouse,
            "/api/v1/stock/issues",
            json!({"warehouse_id": n.depot, "destination": "other",
            "lines": [{"part_id": a, "quantity": 5}, {"part_id": b, "quantity": 2}]}),
        )
        .await
        .expect_problem(409, "insufficient_stock");
    assert_eq!(problem["available"], 1);
    assert_eq!(crate::common::Resp::fields(&problem), ["lines[1].quantity"]);
    // Every short line is named, with what its balance holds.
    let problem = app
        .post(
            Warehouse,
            "/api/v1/stock/issues",
            json!({"warehouse_id": n.depot, "destination": "other",
            "lines": [{"part_id": b, "quantity": 3}, {"part_id": a, "quantity": 1},
                      {"part_id": a, "quantity": 9}, {"part_id": n.parts[2], "quantity": 1}]}),
        )
        .await
        .expect_problem(409, "insufficient_stock");
    assert_eq!(
        crate::common::Resp::fields(&problem),
        [
            "lines[0].quantity",
            "lines[1].quantity",
            "lines[2].quantity",
            "lines[3].quantity"
        ],
        "{problem}"
    );
    let messages: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[0].contains("3 requested, 1 available"),
        "{problem}"
    );
    assert!(
        messages[2].contains("10 requested, 5 available"),
        "{problem}"
    );
    assert!(
        messages[3].contains("1 requested, 0 available"),
        "{problem}"
    );
    assert_eq!(app.count("stock_documents").await, docs_before);
    assert_eq!(app.count("stock_movements").await, moves_before);
    assert_eq!(
        level(&app, a, n.depot, "good").await,
        (5, 0, 5),
        "first line not half-posted"
    );
    // Stock in another warehouse does not count.
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.regional, "destination": "other",
        "lines": [{"part_id": a, "quantity": 1}]}),
    )
    .await
    .expect_problem(409, "insufficient_stock");
    app.assert_verified().await;
}

async fn reservations_hold_release_and_consume(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 6}])).await;
    let r = app
        .post(
            Warehouse,
            "/api/v1/stock/reservations",
            json!({"warehouse_id": n.depot, "part_id": a, "quantity": 5, "reference": "INC-7"}),
        )
        .await
        .expect(201);
    assert_eq!(r["status"], "active");
    assert_eq!(level(&app, a, n.depot, "good").await, (6, 5, 1));
    let short = app
        .post(Warehouse, "/api/v1/stock/issues", json!({"warehouse_id": n.depot, "destination": "other", "lines": [{"part_id": a, "quantity": 2}]}))
        .await
        .expect_problem(409, "insufficient_stock");
    assert_eq!(short["available"], 1, "reserved units are not available");
    app.post(
        Warehouse,
        "/api/v1/stock/reservations",
        json!({"warehouse_id": n.depot, "part_id": a, "quantity": 2}),
    )
    .await
    .expect_problem(409, "insufficient_stock");

    let id = r["id"].as_i64().unwrap();
    let released = app
        .post_empty(
            Warehouse,
            &format!("/api/v1/stock/reservations/{id}/release"),
        )
        .await
        .expect(200);
    assert_eq!(released["status"], "released");
    assert_eq!(level(&app, a, n.depot, "good").await, (6, 0, 6));
    app.post_empty(
        Warehouse,
        &format!("/api/v1/stock/reservations/{id}/release"),
    )
    .await
    .expect_problem(409, "invalid_transition");

    let r2 = app
        .post(
            Warehouse,
            "/api/v1/stock/reservations",
            json!({"warehouse_id": n.depot, "part_id": a, "quantity": 3}),
        )
        .await
        .expect(201);
    let id2 = r2["id"].as_i64().unwrap();
    let doc = app
        .post(
            Warehouse,
            &format!("/api/v1/stock/reservations/{id2}/consume"),
            json!({"destination": "site", "site_id": n.site}),
        )
        .await
        .expect(201);
    assert_eq!(doc["doc_type"], "issue");
    assert_eq!(level(&app, a, n.depot, "good").await, (3, 0, 3));
    let consumed = app
        .get(Engineer, &format!("/api/v1/stock/reservations/{id2}"))
        .await
        .expect(200);
    assert_eq!(consumed["status"], "consumed");
    assert_eq!(consumed["consumed_by_document_id"], doc["id"]);
    let again = app
        .post(
            Warehouse,
            &format!("/api/v1/stock/reservations/{id2}/consume"),
            json!({"destination": "other"}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(again["current_state"], "consumed");
    let active = app
        .get(
            Planner,
            &format!("/api/v1/stock/reservations?part_id={a}&status=active"),
        )
        .await
        .expect(200);
    assert!(active["items"].as_array().unwrap().is_empty());
    app.assert_verified().await;
}

async fn condition_changes_and_reversals(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let receipt = receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 4}])).await;
    app.post(Warehouse, "/api/v1/stock/condition-changes", json!({"warehouse_id": n.depot, "reason": "water damage",
        "lines": [{"part_id": a, "quantity": 1, "from_condition": "good", "to_condition": "quarantined"}]}))
        .await
        .expect(201);
    assert_eq!(level(&app, a, n.depot, "good").await, (3, 0, 3));
    assert_eq!(level(&app, a, n.depot, "quarantined").await, (1, 0, 1));
    app.post(Warehouse, "/api/v1/stock/condition-changes", json!({"warehouse_id": n.depot,
        "lines": [{"part_id": a, "quantity": 2, "from_condition": "quarantined", "to_condition": "defective"}]}))
        .await
        .expect_problem(409, "insufficient_stock");

    // The receipt's stock is partly gone: its reversal is refused whole.
    let rid = receipt["id"].as_i64().unwrap();
    app.post(
        Warehouse,
        &format!("/api/v1/stock/documents/{rid}/reverse"),
        json!({"reason": "wrong warehouse"}),
    )
    .await
    .expect_problem(409, "insufficient_stock");
    // Put the quarantined unit back, then reversing works, once.
    app.post(Warehouse, "/api/v1/stock/condition-changes", json!({"warehouse_id": n.depot,
        "lines": [{"part_id": a, "quantity": 1, "from_condition": "quarantined", "to_condition": "good"}]}))
        .await
        .expect(201);
    let reversal = app
        .post(
            Warehouse,
            &format!("/api/v1/stock/documents/{rid}/reverse"),
            json!({"reason": "wrong warehouse"}),
        )
        .await
        .expect(201);
    assert_eq!(reversal["reverses_document_id"], rid);
    let original_move = receipt["movements"][0]["id"].clone();
    assert_eq!(
        reversal["movements"][0]["reverses_movement_id"],
        original_move
    );
    assert_eq!(reversal["movements"][0]["to"]["kind"], "supplier");
    assert_eq!(level(&app, a, n.depot, "good").await, (0, 0, 0));
    let twice = app
        .post(
            Warehouse,
            &format!("/api/v1/stock/documents/{rid}/reverse"),
            json!({}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(twice["current_state"], "reversed");
    let rev_id = reversal["id"].as_i64().unwrap();
    app.post(
        Warehouse,
        &format!("/api/v1/stock/documents/{rev_id}/reverse"),
        json!({}),
    )
    .await
    .expect_problem(409, "invalid_transition");
    // The original movements are still there, unchanged.
    let original = app
        .get(Engineer, &format!("/api/v1/stock/documents/{rid}"))
        .await
        .expect(200);
    assert_eq!(original, receipt);
    app.assert_verified().await;
}

async fn bad_documents_write_nothing(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let retired = n.parts[2];
    app.post_empty(Planner, &format!("/api/v1/parts/{retired}/deactivate"))
        .await
        .expect(200);
    let closed = app
        .post(Admin, "/api/v1/warehouses", json!({"code": "OLD", "name": "Old", "kind": "forward", "region": "x", "parent_id": n.depot}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.post_empty(Admin, &format!("/api/v1/warehouses/{closed}/deactivate"))
        .await
        .expect(200);
    let receipt = |warehouse: i64, lines: Value| json!({"warehouse_id": warehouse, "source": "supplier", "source_id": n.supplier, "lines": lines});
    let cases: Vec<(Value, &str)> = vec![
        (
            receipt(n.depot, json!([{"part_id": a, "quantity": 0}])),
            "lines[0].quantity",
        ),
        (
            receipt(n.depot, json!([{"part_id": a, "quantity": -3}])),
            "lines[0].quantity",
        ),
        (
            receipt(n.depot, json!([{"part_id": a, "quantity": 1.5}])),
            "lines[0].quantity",
        ),
        (
            receipt(n.depot, json!([{"part_id": a, "quantity": 5_000_000}])),
            "lines[0].quantity",
        ),
        (
            receipt(n.depot, json!([{"part_id": 424242, "quantity": 1}])),
            "lines[0].part_id",
        ),
        (
            receipt(
                n.depot,
                json!([{"part_id": a, "quantity": 1}, {"part_id": retired, "quantity": 1}]),
            ),
            "lines[1].part_id",
        ),
        (
            receipt(424242, json!([{"part_id": a, "quantity": 1}])),
            "warehouse_id",
        ),
        (
            receipt(closed, json!([{"part_id": a, "quantity": 1}])),
            "warehouse_id",
        ),
        (receipt(n.depot, json!([])), "lines"),
        (
            receipt(n.depot, json!([{"part_id": a, "quantity": 1, "bin": "A1"}])),
            "lines[0].bin",
        ),
        (
            receipt(
                n.depot,
                json!([{"part_id": a, "quantity": 1, "condition": "scrapped"}]),
            ),
            "lines[0].condition",
        ),
        (
            json!({"warehouse_id": n.depot, "source": "supplier", "lines": [{"part_id": a, "quantity": 1}]}),
            "source_id",
        ),
    ];
    rejected(
        &app,
        Method::POST,
        Warehouse,
        "/api/v1/stock/receipts",
        cases,
    )
    .await;
    app.post(Warehouse, "/api/v1/stock/issues", json!({"warehouse_id": n.depot, "destination": "site", "lines": [{"part_id": a, "quantity": 1}]}))
        .await
        .expect_problem(422, "validation_failed");
    app.post(Warehouse, "/api/v1/stock/condition-changes", json!({"warehouse_id": n.depot,
        "lines": [{"part_id": a, "quantity": 1, "from_condition": "good", "to_condition": "good"}]}))
        .await
        .expect_problem(422, "validation_failed");
    app.post(
        Warehouse,
        "/api/v1/stock/documents/999999/reverse",
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post_empty(Warehouse, "/api/v1/stock/reservations/999999/release")
        .await
        .expect_problem(404, "not_found");
    assert_eq!(app.count("stock_documents").await, 0);
    assert_eq!(app.count("stock_movements").await, 0);
    assert_eq!(app.count("stock_balances").await, 0);
}

async fn idempotency_keys_make_posts_exactly_once(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let body = json!({"warehouse_id": n.depot, "source": "supplier", "source_id": n.supplier, "lines": [{"part_id": a, "quantity": 2}]});
    let (s1, first, replayed1) = app
        .post_keyed(Warehouse, "/api/v1/stock/receipts", "k-1", Some(&body))
        .await;
    assert_eq!((s1, replayed1), (201, false));
    let (s2, second, replayed2) = app
        .post_keyed(Warehouse, "/api/v1/stock/receipts", "k-1", Some(&body))
        .await;
    assert_eq!((s2, replayed2), (201, true));
    assert_eq!(first, second, "the stored response is returned");
    assert_eq!(app.count("stock_documents").await, 1);

    let mut other = body.clone();
    other["lines"][0]["quantity"] = json!(3);
    let (s3, p, _) = app
        .post_keyed(Warehouse, "/api/v1/stock/receipts", "k-1", Some(&other))
        .await;
    assert_eq!(s3, 422);
    assert_eq!(p["code"], "idempotency_key_reused");

    // A refused request stores nothing: the same key may be retried.
    let issue = json!({"warehouse_id": n.depot, "destination": "other", "lines": [{"part_id": a, "quantity": 5}]});
    let (s4, p4, _) = app
        .post_keyed(Warehouse, "/api/v1/stock/issues", "k-2", Some(&issue))
        .await;
    assert_eq!((s4, p4["code"].as_str()), (409, Some("insufficient_stock")));
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 3}])).await;
    let (s5, _, _) = app
        .post_keyed(Warehouse, "/api/v1/stock/issues", "k-2", Some(&issue))
        .await;
    assert_eq!(s5, 201);

    // A storm of concurrent retries with one key: exactly one receipt.
    let storm_body = json!({"warehouse_id": n.depot, "source": "supplier", "source_id": n.supplier, "lines": [{"part_id": a, "quantity": 7}]});
    let docs_before = app.count("stock_documents").await;
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/stock/receipts", app.base);
        let token = app.token(Warehouse).to_owned();
        let body = storm_body.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", "storm")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            (status, v)
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        match status {
            201 => {
                ids.insert(v["id"].as_i64().unwrap());
            }
            409 => assert_eq!(v["code"], "idempotency_in_progress", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ids.len(), 1, "every success is the same document");
    assert_eq!(app.count("stock_documents").await, docs_before + 1);
    let (s6, _, replayed) = app
        .post_keyed(
            Warehouse,
            "/api/v1/stock/receipts",
            "storm",
            Some(&storm_body),
        )
        .await;
    assert_eq!((s6, replayed), (201, true));
    // 2 received, the 5 refused then 5 issued after 3 more arrived, 7 from the storm.
    assert_eq!(
        level(&app, a, n.depot, "good").await,
        (7, 0, 7),
        "each post applied exactly once"
    );
    app.assert_verified().await;
}

async fn concurrent_issues_never_oversell(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 10}])).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let base = app.base.clone();
        let token = app.token(Warehouse).to_owned();
        let depot = n.depot;
        tasks.push(tokio::spawn(async move {
            // Half issue directly, half reserve: both draw on the same available stock.
            let (path, body) = if i % 2 == 0 {
                ("/api/v1/stock/issues", json!({"warehouse_id": depot, "destination": "other", "lines": [{"part_id": a, "quantity": 1}]}))
            } else {
                ("/api/v1/stock/reservations", json!({"warehouse_id": depot, "part_id": a, "quantity": 1}))
            };
            let r = client.post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.unwrap();
            r.status().as_u16()
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            201 => ok += 1,
            409 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 10, "exactly as many succeed as stock allows");
    assert_eq!(refused, 30);
    let (on_hand, reserved, available) = level(&app, a, n.depot, "good").await;
    assert_eq!(available, 0);
    assert!(on_hand >= 0 && reserved <= on_hand);
    assert_eq!(
        on_hand, reserved,
        "what is left is exactly what was reserved"
    );
    app.assert_verified().await;
}

async fn roles_for_stock(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let body = json!({"warehouse_id": n.depot, "source": "other", "lines": [{"part_id": a, "quantity": 1}]});
    for role in [Planner, Engineer] {
        app.post(role, "/api/v1/stock/receipts", body.clone())
            .await
            .expect_problem(403, "forbidden");
        app.post(role, "/api/v1/stock/issues", json!({"warehouse_id": n.depot, "destination": "other", "lines": [{"part_id": a, "quantity": 1}]}))
            .await
            .expect_problem(403, "forbidden");
        app.post(
            role,
            "/api/v1/stock/reservations",
            json!({"warehouse_id": n.depot, "part_id": a, "quantity": 1}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.get(role, "/api/v1/admin/verify")
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Admin, Warehouse] {
        app.post(role, "/api/v1/stock/receipts", body.clone())
            .await
            .expect(201);
    }
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, "/api/v1/stock").await.expect(200);
        app.get(role, "/api/v1/stock/movements").await.expect(200);
    }
    app.send(Method::GET, "/api/v1/stock", None, None)
        .await
        .expect_problem(401, "unauthorized");
}

async fn verify_cli_finds_drift(app: TestApp) {
    let n = network(&app).await;
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[0], "quantity": 4}]),
    )
    .await;
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_spares"))
            .args(["verify"])
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "off")
            .output()
            .expect("run spares verify")
    };
    let clean = run();
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    assert!(String::from_utf8_lossy(&clean.stdout).contains("agree"));
    // Corrupt a balance behind the service's back: verify must notice.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE stock_balances SET on_hand = on_hand + 1")
        .await
        .unwrap();
    let drift = run();
    assert!(!drift.status.success());
    let text = String::from_utf8_lossy(&drift.stdout);
    assert!(text.contains("DRIFT on_hand"), "{text}");
    let report = app.get(Admin, "/api/v1/admin/verify").await.expect(200);
    assert_eq!(report["ok"], false);
    assert_eq!(report["drift"][0]["expected"], 4);
    assert_eq!(report["drift"][0]["actual"], 5);
}
