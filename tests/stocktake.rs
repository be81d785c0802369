//! Stocktakes over HTTP: open, count while stock moves, review, approve
//! once (even concurrently), whole-or-nothing adjustments, roles, bad
//! input and inventory accuracy, on both backends.
use std::str::FromStr;

use entities::vocabulary::Role::*;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::{id, rejected};
use crate::common::fixtures::{network, on_hand, receive};
use crate::common::{Resp, TestApp, race};

both_backends!(
    count_review_and_approve,
    movements_during_the_count_are_not_variance,
    approving_twice_posts_once,
    concurrent_approvals_post_once,
    concurrent_opens_never_overlap,
    a_write_off_whose_stock_left_fails_whole,
    roles_for_stocktakes,
    bad_input_writes_nothing,
    accuracy_per_warehouse,
);

async fn issue(app: &TestApp, warehouse: i64, part: i64, quantity: i64) {
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": warehouse, "destination": "other", "lines": [{"part_id": part, "quantity": quantity}]}),
    )
    .await
    .expect(201);
}

async fn open(app: &TestApp, body: Value) -> Value {
    app.post(Warehouse, "/api/v1/stocktakes", body)
        .await
        .expect(201)
}

async fn count(app: &TestApp, id: i64, lines: Value) -> Value {
    app.post(
        Warehouse,
        &format!("/api/v1/stocktakes/{id}/counts"),
        json!({"lines": lines}),
    )
    .await
    .expect(200)
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap()
}

/// The line of `part` in `condition`.
fn line<'a>(st: &'a Value, part: i64, condition: &str) -> &'a Value {
    st["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["part_id"] == part && l["condition"] == condition)
        .unwrap_or_else(|| panic!("no line for part {part} ({condition}) in {st}"))
}

/// Documents of type stocktake_adjustment.
async fn adjustment_documents(app: &TestApp) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM stock_documents WHERE doc_type = 'stocktake_adjustment'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn count_review_and_approve(app: TestApp) {
    let n = network(&app).await;
    let (a, b, c) = (n.parts[0], n.parts[1], n.parts[2]);
    receive(
        &app,
        &n,
        n.depot,
        json!([
            {"part_id": a, "quantity": 10},
            {"part_id": b, "quantity": 5},
            {"part_id": c, "quantity": 4, "condition": "defective"}
        ]),
    )
    .await;
    // Stock elsewhere is not part of the depot's count.
    receive(&app, &n, n.regional, json!([{"part_id": a, "quantity": 1}])).await;

    let st = open(
        &app,
        json!({"warehouse_id": n.depot, "note": "year-end count"}),
    )
    .await;
    let sid = id(&st);
    assert_eq!(st["status"], "open");
    assert_eq!(st["lines"].as_array().unwrap().len(), 3);
    assert_eq!(line(&st, a, "good")["snapshot_qty"], 10);
    assert_eq!(line(&st, c, "defective")["snapshot_qty"], 4);
    assert_eq!(line(&st, b, "good")["counted_qty"], Value::Null);
    assert_eq!(st["totals"]["lines_counted"], 0);
    assert_eq!(st["totals"]["accuracy"], Value::Null);

    let st = count(
        &app,
        sid,
        json!([
            {"part_id": a, "counted_qty": 12},
            {"part_id": b, "condition": "good", "counted_qty": 3},
            {"part_id": c, "condition": "defective", "counted_qty": 4}
        ]),
    )
    .await;
    let la = line(&st, a, "good");
    assert_eq!(la["system_qty_at_count"], 10);
    assert_eq!(la["variance_qty"], 2);
    assert_eq!(dec(&la["variance_value"]), Decimal::from(21), "2 x 10.50");
    let lb = line(&st, b, "good");
    assert_eq!(lb["variance_qty"], -2);
    assert_eq!(dec(&lb["variance_value"]), Decimal::from(-400));
    assert_eq!(line(&st, c, "defective")["variance_qty"], 0);
    let totals = &st["totals"];
    assert_eq!(totals["lines_counted"], 3);
    assert_eq!(totals["lines_without_variance"], 1);
    assert_eq!(
        dec(&totals["accuracy"]),
        Decimal::from_str("0.3333").unwrap()
    );
    assert_eq!(
        (
            totals["units_over"].as_i64(),
            totals["units_short"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(totals["values"][0]["currency"], "EUR");
    assert_eq!(
        dec(&totals["values"][0]["absolute_variance_value"]),
        Decimal::from(421)
    );
    assert_eq!(
        dec(&totals["values"][0]["net_variance_value"]),
        Decimal::from(-379)
    );

    // The review is readable by anyone and matches what counting returned.
    let review = app
        .get(Engineer, &format!("/api/v1/stocktakes/{sid}"))
        .await
        .expect(200);
    assert_eq!(review, st);
    // Nothing moved yet.
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 10);
    assert_eq!(adjustment_documents(&app).await, 0);

    let approved = app
        .post_empty(Planner, &format!("/api/v1/stocktakes/{sid}/approve"))
        .await
        .expect(200);
    assert_eq!(approved["status"], "approved");
    assert!(approved["approved_by"].is_i64());
    assert!(approved["approved_at"].is_string());
    let doc_id = approved["adjustment_document_id"]
        .as_i64()
        .expect("an adjustment document");
    let doc = app
        .get(Engineer, &format!("/api/v1/stock/documents/{doc_id}"))
        .await
        .expect(200);
    assert_eq!(doc["doc_type"], "stocktake_adjustment");
    assert_eq!(doc["warehouse_id"], n.depot);
    let moves = doc["movements"].as_array().unwrap();
    assert_eq!(moves.len(), 2, "lines without variance post nothing: {doc}");
    let ma = moves.iter().find(|m| m["part_id"] == a).unwrap();
    assert_eq!(ma["quantity"], 2);
    assert_eq!(ma["movement_type"], "stocktake_adjustment");
    assert_eq!(ma["from"]["kind"], "adjustment");
    assert_eq!(ma["to"]["kind"], "warehouse");
    assert_eq!(ma["to"]["id"], n.depot);
    let mb = moves.iter().find(|m| m["part_id"] == b).unwrap();
    assert_eq!(mb["quantity"], 2);
    assert_eq!(mb["from"]["kind"], "warehouse");
    assert_eq!(mb["to"]["kind"], "adjustment");

    assert_eq!(on_hand(&app, a, n.depot, "good").await, 12);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 3);
    assert_eq!(on_hand(&app, c, n.depot, "defective").await, 4);
    assert_eq!(on_hand(&app, a, n.regional, "good").await, 1);

    let listed = app
        .get(
            Engineer,
            &format!(
                "/api/v1/stocktakes?warehouse_id={}&status=approved",
                n.depot
            ),
        )
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["adjustment_document_id"], doc_id);
    let none_open = app
        .get(Engineer, "/api/v1/stocktakes?status=open")
        .await
        .expect(200);
    assert!(none_open["items"].as_array().unwrap().is_empty());

    // Done counts are closed: no cancel, no counting.
    let p = app
        .post_empty(Warehouse, &format!("/api/v1/stocktakes/{sid}/cancel"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "approved");
    app.assert_verified().await;
}

async fn movements_during_the_count_are_not_variance(app: TestApp) {
    let n = network(&app).await;
    let (a, b, c) = (n.parts[0], n.parts[1], n.parts[2]);
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 10}, {"part_id": c, "quantity": 2}]),
    )
    .await;
    // A subset: A with stock, B without (a `good` line with snapshot 0).
    let st = open(&app, json!({"warehouse_id": n.depot, "part_ids": [a, b]})).await;
    let sid = id(&st);
    assert_eq!(st["lines"].as_array().unwrap().len(), 2);
    assert_eq!(line(&st, b, "good")["snapshot_qty"], 0);

    // Three units leave while the count is open; the counter finds the 7 left.
    issue(&app, n.depot, a, 3).await;
    // A first, wrong count is overwritten by the recount.
    count(&app, sid, json!([{"part_id": a, "counted_qty": 6}])).await;
    let st = count(
        &app,
        sid,
        json!([
            {"part_id": a, "counted_qty": 7},
            {"part_id": b, "counted_qty": 0},
            // A part in the count found in a condition it had no line for.
            {"part_id": a, "condition": "quarantined", "counted_qty": 1}
        ]),
    )
    .await;
    let la = line(&st, a, "good");
    assert_eq!(la["snapshot_qty"], 10);
    assert_eq!(la["system_qty_at_count"], 7);
    assert_eq!(la["counted_qty"], 7);
    assert_eq!(la["moved_since_snapshot"], -3);
    assert_eq!(la["variance_qty"], 0, "the issue is not a variance: {la}");
    assert_eq!(line(&st, b, "good")["variance_qty"], 0);
    let found = line(&st, a, "quarantined");
    assert_eq!(found["snapshot_qty"], 0);
    assert_eq!(found["variance_qty"], 1);
    assert_eq!(st["lines"].as_array().unwrap().len(), 3);
    assert_eq!(st["totals"]["lines_without_variance"], 2);

    // A part outside the subset is refused, naming the line.
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/stocktakes/{sid}/counts"),
            json!({"lines": [{"part_id": a, "counted_qty": 7}, {"part_id": c, "counted_qty": 2}]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&p), ["lines[1].part_id"]);

    // Stock that arrives after counting is not a variance either: the
    // approval posts only the difference the count found.
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 5}])).await;
    let approved = app
        .post_empty(Admin, &format!("/api/v1/stocktakes/{sid}/approve"))
        .await
        .expect(200);
    let doc = app
        .get(
            Engineer,
            &format!(
                "/api/v1/stock/documents/{}",
                approved["adjustment_document_id"]
            ),
        )
        .await
        .expect(200);
    let moves = doc["movements"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{doc}");
    assert_eq!(moves[0]["to"]["condition"], "quarantined");
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 12);
    assert_eq!(on_hand(&app, a, n.depot, "quarantined").await, 1);
    app.assert_verified().await;
}

async fn approving_twice_posts_once(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 4}])).await;
    let sid = id(&open(&app, json!({"warehouse_id": n.depot})).await);
    count(&app, sid, json!([{"part_id": a, "counted_qty": 1}])).await;
    let path = format!("/api/v1/stocktakes/{sid}/approve");
    let (s1, first, r1) = app.post_keyed(Planner, &path, "approve-1", None).await;
    assert_eq!((s1, r1), (200, false), "{first}");
    // A retry with the same key gets the stored answer.
    let (s2, second, r2) = app.post_keyed(Planner, &path, "approve-1", None).await;
    assert_eq!((s2, r2), (200, true));
    assert_eq!(first, second);
    // A second approval is refused, naming the state.
    let p = app
        .post_empty(Admin, &path)
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "approved");
    let (s3, p3, _) = app.post_keyed(Planner, &path, "approve-2", None).await;
    assert_eq!((s3, p3["code"].as_str()), (409, Some("invalid_transition")));
    assert_eq!(adjustment_documents(&app).await, 1);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 1);
    // A cancelled count cannot be approved either.
    let other = id(&open(&app, json!({"warehouse_id": n.depot})).await);
    app.post_empty(Warehouse, &format!("/api/v1/stocktakes/{other}/cancel"))
        .await
        .expect(200);
    let p = app
        .post_empty(Planner, &format!("/api/v1/stocktakes/{other}/approve"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "cancelled");
    assert_eq!(adjustment_documents(&app).await, 1);
    app.assert_verified().await;
}

async fn concurrent_approvals_post_once(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 10}, {"part_id": b, "quantity": 10}]),
    )
    .await;
    let sid = id(&open(&app, json!({"warehouse_id": n.depot})).await);
    count(
        &app,
        sid,
        json!([{"part_id": a, "counted_qty": 7}, {"part_id": b, "counted_qty": 13}]),
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/stocktakes/{sid}/approve", app.base);
        let token = app
            .token(if i % 2 == 0 { Planner } else { Admin })
            .to_owned();
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).bearer_auth(token).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            200 => ok += 1,
            409 => assert_eq!(body["code"], "invalid_transition", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1, "exactly one approval wins");
    assert_eq!(adjustment_documents(&app).await, 1);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 7);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 13);
    app.assert_verified().await;
}

async fn concurrent_opens_never_overlap(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 3}])).await;
    let body = json!({"warehouse_id": n.depot, "part_ids": [a]});
    let token = app.token(Warehouse).to_owned();
    let calls = (0..16)
        .map(|_| ("/api/v1/stocktakes".to_owned(), token.clone(), body.clone()))
        .collect();
    let answers = race(&app, calls).await;
    let mut opened = 0;
    for (status, body) in answers {
        match status {
            201 => opened += 1,
            409 => assert_eq!(body["code"], "conflict", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(opened, 1, "one open count per part and warehouse");
    assert_eq!(app.count("stocktakes").await, 1);
    assert_eq!(app.count("stocktake_lines").await, 1);
    app.assert_verified().await;
}

async fn a_write_off_whose_stock_left_fails_whole(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 5}, {"part_id": b, "quantity": 5}]),
    )
    .await;
    let sid = id(&open(&app, json!({"warehouse_id": n.depot})).await);
    count(
        &app,
        sid,
        json!([{"part_id": a, "counted_qty": 6}, {"part_id": b, "counted_qty": 2}]),
    )
    .await;
    // Four of B leave after counting: the three to write off are no longer there.
    issue(&app, n.depot, b, 4).await;
    let moves_before = app.count("stock_movements").await;
    let p = app
        .post_empty(Planner, &format!("/api/v1/stocktakes/{sid}/approve"))
        .await
        .expect_problem(409, "insufficient_stock");
    assert_eq!(p["available"], 1);
    assert_eq!(
        app.count("stock_movements").await,
        moves_before,
        "nothing half-posted"
    );
    assert_eq!(adjustment_documents(&app).await, 0);
    assert_eq!(
        on_hand(&app, a, n.depot, "good").await,
        5,
        "the gain was not posted either"
    );
    let st = app
        .get(Engineer, &format!("/api/v1/stocktakes/{sid}"))
        .await
        .expect(200);
    assert_eq!(st["status"], "open");
    assert_eq!(st["approved_by"], Value::Null);
    // Once the units are back the approval goes through.
    receive(&app, &n, n.depot, json!([{"part_id": b, "quantity": 2}])).await;
    app.post_empty(Planner, &format!("/api/v1/stocktakes/{sid}/approve"))
        .await
        .expect(200);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 6);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 0);
    app.assert_verified().await;
}

async fn roles_for_stocktakes(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 2}])).await;
    let body = json!({"warehouse_id": n.depot});
    for role in [Engineer, Planner] {
        app.post(role, "/api/v1/stocktakes", body.clone())
            .await
            .expect_problem(403, "forbidden");
    }
    let sid = id(&open(&app, body.clone()).await);
    for role in [Engineer, Planner] {
        app.post(
            role,
            &format!("/api/v1/stocktakes/{sid}/counts"),
            json!({"lines": [{"part_id": a, "counted_qty": 2}]}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/stocktakes/{sid}/cancel"))
            .await
            .expect_problem(403, "forbidden");
    }
    count(&app, sid, json!([{"part_id": a, "counted_qty": 1}])).await;
    for role in [Warehouse, Engineer] {
        app.post_empty(role, &format!("/api/v1/stocktakes/{sid}/approve"))
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, &format!("/api/v1/stocktakes/{sid}"))
            .await
            .expect(200);
        app.get(role, "/api/v1/stocktakes").await.expect(200);
        app.get(role, "/api/v1/stocktakes/accuracy")
            .await
            .expect(200);
    }
    assert_eq!(adjustment_documents(&app).await, 0);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 2);
    app.post_empty(Admin, &format!("/api/v1/stocktakes/{sid}/approve"))
        .await
        .expect(200);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 1);
    app.assert_verified().await;
}

async fn bad_input_writes_nothing(app: TestApp) {
    let n = network(&app).await;
    let (a, b, retired) = (n.parts[0], n.parts[1], n.parts[2]);
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 3}, {"part_id": b, "quantity": 1}]),
    )
    .await;
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

    // Opening.
    let opens: Vec<(Value, &str)> = vec![
        (json!({"warehouse_id": 424242}), "warehouse_id"),
        (json!({"warehouse_id": closed}), "warehouse_id"),
        (json!({"warehouse_id": n.regional}), "warehouse_id"),
        (json!({"warehouse_id": n.depot, "part_ids": []}), "part_ids"),
        (
            json!({"warehouse_id": n.depot, "part_ids": [a, 424242]}),
            "part_ids[1]",
        ),
        (
            json!({"warehouse_id": n.depot, "part_ids": [retired]}),
            "part_ids[0]",
        ),
        (
            json!({"warehouse_id": n.depot, "part_ids": [a, a]}),
            "part_ids[1]",
        ),
        (
            json!({"warehouse_id": n.depot, "part_ids": [1.5]}),
            "part_ids[0]",
        ),
        (json!({"warehouse_id": n.depot, "bins": ["A1"]}), "bins"),
    ];
    rejected(&app, Method::POST, Warehouse, "/api/v1/stocktakes", opens).await;
    assert_eq!(app.count("stocktakes").await, 0);

    let sid = id(&open(&app, json!({"warehouse_id": n.depot, "part_ids": [a]})).await);
    // Overlapping the open count is refused; another part is fine.
    let p = app
        .post(
            Warehouse,
            "/api/v1/stocktakes",
            json!({"warehouse_id": n.depot}),
        )
        .await
        .expect_problem(409, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("stocktake {sid}")),
        "{p}"
    );
    let other = id(&open(&app, json!({"warehouse_id": n.depot, "part_ids": [b]})).await);

    // Counting.
    let before = app
        .get(Engineer, &format!("/api/v1/stocktakes/{sid}"))
        .await
        .expect(200);
    let path = format!("/api/v1/stocktakes/{sid}/counts");
    let counts: Vec<(Value, &str)> = vec![
        (
            json!({"lines": [{"part_id": a, "counted_qty": -1}]}),
            "lines[0].counted_qty",
        ),
        (
            json!({"lines": [{"part_id": a, "counted_qty": 1.5}]}),
            "lines[0].counted_qty",
        ),
        (
            json!({"lines": [{"part_id": a, "counted_qty": 5_000_000}]}),
            "lines[0].counted_qty",
        ),
        (
            json!({"lines": [{"part_id": a, "counted_qty": "3"}]}),
            "lines[0].counted_qty",
        ),
        (json!({"lines": [{"part_id": a}]}), "lines[0].counted_qty"),
        (
            json!({"lines": [{"part_id": 424242, "counted_qty": 1}]}),
            "lines[0].part_id",
        ),
        (
            json!({"lines": [{"part_id": a, "counted_qty": 1}, {"part_id": b, "counted_qty": 1}]}),
            "lines[1].part_id",
        ),
        (
            json!({"lines": [{"part_id": a, "counted_qty": 1}, {"part_id": a, "counted_qty": 2}]}),
            "lines[1].part_id",
        ),
        (
            json!({"lines": [{"part_id": a, "counted_qty": 1, "condition": "scrapped"}]}),
            "lines[0].condition",
        ),
        (json!({"lines": []}), "lines"),
    ];
    for (body, field) in counts {
        let p = app
            .post(Warehouse, &path, body.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&p).iter().any(|f| f == field),
            "{field} not named for {body}: {p}"
        );
    }
    app.post(
        Warehouse,
        "/api/v1/stocktakes/999999/counts",
        json!({"lines": [{"part_id": a, "counted_qty": 1}]}),
    )
    .await
    .expect_problem(404, "not_found");
    app.get(Engineer, "/api/v1/stocktakes/999999")
        .await
        .expect_problem(404, "not_found");

    // Approving with uncounted lines names them, and leaves the count open.
    let p = app
        .post_empty(Planner, &format!("/api/v1/stocktakes/{sid}/approve"))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&p), ["lines[0].counted_qty"]);
    let after = app
        .get(Engineer, &format!("/api/v1/stocktakes/{sid}"))
        .await
        .expect(200);
    assert_eq!(after, before, "refused requests changed nothing");

    // Counting a closed count.
    count(&app, sid, json!([{"part_id": a, "counted_qty": 3}])).await;
    app.post_empty(Planner, &format!("/api/v1/stocktakes/{sid}/approve"))
        .await
        .expect(200);
    let approved = app
        .get(Engineer, &format!("/api/v1/stocktakes/{sid}"))
        .await
        .expect(200);
    let p = app
        .post(
            Warehouse,
            &path,
            json!({"lines": [{"part_id": a, "counted_qty": 1}]}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "approved");
    app.post_empty(Warehouse, &format!("/api/v1/stocktakes/{other}/cancel"))
        .await
        .expect(200);
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/stocktakes/{other}/counts"),
            json!({"lines": [{"part_id": b, "counted_qty": 1}]}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "cancelled");
    assert_eq!(
        app.get(Engineer, &format!("/api/v1/stocktakes/{sid}"))
            .await
            .expect(200),
        approved
    );
    // No variance anywhere: no adjustment was posted.
    assert_eq!(approved["adjustment_document_id"], Value::Null);
    assert_eq!(adjustment_documents(&app).await, 0);
    for q in ["status=done", "limit=0", "after=-1", "colour=red"] {
        app.get(Engineer, &format!("/api/v1/stocktakes?{q}"))
            .await
            .expect_problem(422, "validation_failed");
    }
    app.assert_verified().await;
}

async fn accuracy_per_warehouse(app: TestApp) {
    let n = network(&app).await;
    let (a, b, c) = (n.parts[0], n.parts[1], n.parts[2]);
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 10}, {"part_id": b, "quantity": 2}, {"part_id": c, "quantity": 20}]),
    )
    .await;
    receive(&app, &n, n.regional, json!([{"part_id": a, "quantity": 4}])).await;

    // Depot, first count: A -1 (10.50), B exact, C +3 (3 x 3.00).
    let first = id(&open(&app, json!({"warehouse_id": n.depot})).await);
    count(
        &app,
        first,
        json!([
            {"part_id": a, "counted_qty": 9},
            {"part_id": b, "counted_qty": 2},
            {"part_id": c, "counted_qty": 23}
        ]),
    )
    .await;
    let first = app
        .post_empty(Planner, &format!("/api/v1/stocktakes/{first}/approve"))
        .await
        .expect(200);
    // Depot, second count of B only: exact.
    let second = id(&open(&app, json!({"warehouse_id": n.depot, "part_ids": [b]})).await);
    count(&app, second, json!([{"part_id": b, "counted_qty": 2}])).await;
    let second = app
        .post_empty(Planner, &format!("/api/v1/stocktakes/{second}/approve"))
        .await
        .expect(200);
    // A cancelled count with a wild variance does not count.
    let cancelled = id(&open(&app, json!({"warehouse_id": n.depot})).await);
    count(&app, cancelled, json!([{"part_id": c, "counted_qty": 0}])).await;
    app.post_empty(Warehouse, &format!("/api/v1/stocktakes/{cancelled}/cancel"))
        .await
        .expect(200);
    // Regional: A exact.
    let reg = id(&open(&app, json!({"warehouse_id": n.regional})).await);
    count(&app, reg, json!([{"part_id": a, "counted_qty": 4}])).await;
    app.post_empty(Planner, &format!("/api/v1/stocktakes/{reg}/approve"))
        .await
        .expect(200);

    let report = app
        .get(Engineer, "/api/v1/stocktakes/accuracy")
        .await
        .expect(200);
    let rows = report["warehouses"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    let depot = rows.iter().find(|r| r["warehouse_id"] == n.depot).unwrap();
    assert_eq!(depot["warehouse_code"], "DEP");
    assert_eq!(depot["counts"], 2);
    let t = &depot["totals"];
    assert_eq!(t["lines_counted"], 4);
    assert_eq!(t["lines_without_variance"], 2);
    assert_eq!(dec(&t["accuracy"]), Decimal::from_str("0.5").unwrap());
    assert_eq!(
        (t["units_over"].as_i64(), t["units_short"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        dec(&t["values"][0]["absolute_variance_value"]),
        Decimal::from_str("19.5").unwrap()
    );
    assert_eq!(
        dec(&t["values"][0]["net_variance_value"]),
        Decimal::from_str("-1.5").unwrap()
    );
    let regional = rows
        .iter()
        .find(|r| r["warehouse_id"] == n.regional)
        .unwrap();
    assert_eq!(regional["counts"], 1);
    assert_eq!(dec(&regional["totals"]["accuracy"]), Decimal::ONE);

    // One warehouse; a window that starts at the second approval.
    let since = second["approved_at"].as_str().unwrap().replace('+', "%2B");
    let windowed = app
        .get(
            Planner,
            &format!(
                "/api/v1/stocktakes/accuracy?warehouse_id={}&from={since}",
                n.depot
            ),
        )
        .await
        .expect(200);
    let rows = windowed["warehouses"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{windowed}");
    assert_eq!(rows[0]["counts"], 1);
    assert_eq!(dec(&rows[0]["totals"]["accuracy"]), Decimal::ONE);
    let until = first["approved_at"].as_str().unwrap().replace('+', "%2B");
    let before_first = app
        .get(
            Planner,
            &format!(
                "/api/v1/stocktakes/accuracy?warehouse_id={}&to={until}",
                n.depot
            ),
        )
        .await
        .expect(200);
    assert_eq!(before_first["warehouses"][0]["counts"], 0);
    assert_eq!(
        before_first["warehouses"][0]["totals"]["accuracy"],
        Value::Null
    );

    app.get(
        Planner,
        &format!("/api/v1/stocktakes/accuracy?from={since}&to={until}"),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.get(Planner, "/api/v1/stocktakes/accuracy?warehouse_id=424242")
        .await
        .expect_problem(422, "validation_failed");
    app.get(Planner, "/api/v1/stocktakes/accuracy?from=yesterday")
        .await
        .expect_problem(422, "validation_failed");
    app.assert_verified().await;
}
