//! Inputs a client should never get a 500 for: quantities that would pass
//! what a balance can hold, NUL characters, times outside any business
//! calendar, arrays where objects are documented, duplicate JSON keys,
//! overlong URLs, and a forbidden role with a bad body. Each is refused
//! with a 4xx problem+json and changes nothing.
use entities::vocabulary::Role::{self, *};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both_backends;
use crate::common::TestApp;
use crate::common::fixtures::{network, on_hand, receive};

both_backends!(
    balances_stay_within_what_they_can_hold,
    nul_characters_are_refused_everywhere,
    times_outside_the_calendar_are_refused,
    arrays_do_not_stand_for_objects,
    duplicate_json_keys_are_refused,
    an_overlong_url_is_a_problem,
    roles_are_checked_before_the_body
);

/// Row counts of the tables a refused request must leave alone.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "stock_documents",
        "stock_movements",
        "stock_balances",
        "parts",
        "purchase_orders",
        "idempotency_keys",
    ] {
        counts.push(app.count(table).await);
    }
    counts
}

async fn balances_stay_within_what_they_can_hold(app: TestApp) {
    let n = network(&app).await;
    let part = n.parts[0];
    // 500 lines of a million units: 500,000,000 units a receipt.
    let lines: Vec<Value> = (0..500)
        .map(|_| json!({"part_id": part, "quantity": 1_000_000}))
        .collect();
    receive(&app, &n, n.depot, json!(lines)).await;
    receive(&app, &n, n.depot, json!(lines)).await;
    assert_eq!(on_hand(&app, part, n.depot, "good").await, 1_000_000_000);
    let before = footprint(&app).await;
    let refused = app
        .post(
            Warehouse,
            "/api/v1/stock/receipts",
            json!({"warehouse_id": n.depot, "source": "supplier", "source_id": n.supplier,
                   "lines": lines}),
        )
        .await
        .expect_problem(409, "balance_limit");
    assert!(
        refused["detail"].as_str().unwrap().contains("1000000000"),
        "{refused}"
    );
    assert_eq!(footprint(&app).await, before);
    // Everything that reads stock still reads it.
    assert_eq!(on_hand(&app, part, n.depot, "good").await, 1_000_000_000);
    app.assert_verified().await;
    // Another warehouse may still hold as much again.
    receive(&app, &n, n.regional, json!(lines)).await;
    receive(&app, &n, n.regional, json!(lines)).await;
    let stock = app
        .get(Planner, &format!("/api/v1/stock?part_id={part}"))
        .await
        .expect(200);
    let total: i64 = stock["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["on_hand"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2_000_000_000);
    app.assert_verified().await;
}

async fn nul_characters_are_refused_everywhere(app: TestApp) {
    let n = network(&app).await;
    let before = footprint(&app).await;
    let body = app
        .post(
            Planner,
            "/api/v1/parts",
            json!({"part_number": "NUL-1", "description": "a\u{0}b", "unit_cost": "1"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        crate::common::Resp::fields(&body),
        ["description"],
        "{body}"
    );
    let body = app
        .post(
            Warehouse,
            "/api/v1/stock/receipts",
            json!({"warehouse_id": n.depot, "source": "other", "reference": "PO\u{0}",
                   "lines": [{"part_id": n.parts[0], "quantity": 1}]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&body), ["reference"]);
    assert_eq!(footprint(&app).await, before);

    let body = app
        .get(Planner, "/api/v1/parts?q=%00")
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&body), ["q"]);
    app.get(Planner, "/api/v1/scrap-certificates/SC%00-1")
        .await
        .expect_problem(400, "bad_parameter");
}

async fn times_outside_the_calendar_are_refused(app: TestApp) {
    let n = network(&app).await;
    let before = footprint(&app).await;
    let body = app
        .post(
            Planner,
            "/api/v1/purchase-orders",
            json!({"vendor_id": n.supplier, "warehouse_id": n.depot,
                   "expected_at": "-5000-01-01T00:00:00Z",
                   "lines": [{"part_id": n.parts[0], "quantity": 1}]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&body), ["expected_at"]);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("outside 1900 to 9999"),
        "{body}"
    );
    assert_eq!(footprint(&app).await, before);
    let body = app
        .get(
            Planner,
            "/api/v1/stocktakes/accuracy?from=-5000-01-01T00:00:00Z",
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&body), ["from"]);
    let body = app
        .post(
            Planner,
            "/api/v1/forecasts",
            json!({"source": "ledger", "method": "ses", "as_of": "+10000-01-01T00:00:00Z"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&body), ["as_of"]);
}

async fn arrays_do_not_stand_for_objects(app: TestApp) {
    let n = network(&app).await;
    let part = n.parts[0];
    receive(&app, &n, n.depot, json!([{"part_id": part, "quantity": 5}])).await;
    let before = footprint(&app).await;
    // The fields of a receipt, by position.
    let body = app
        .post(
            Warehouse,
            "/api/v1/stock/receipts",
            json!([n.depot, "other", null, "pos", [[part, 1]]]),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        body["detail"].as_str().unwrap().contains("a JSON object"),
        "{body}"
    );
    // A line by position inside a proper body.
    let body = app
        .post(
            Warehouse,
            "/api/v1/stock/receipts",
            json!({"warehouse_id": n.depot, "source": "other", "lines": [[part, 1]]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&body), ["lines[0]"]);
    let body = app
        .post(Warehouse, "/api/v1/stock/documents/1/reverse", json!([]))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&body), ["body"]);
    assert_eq!(footprint(&app).await, before);
    assert_eq!(on_hand(&app, part, n.depot, "good").await, 5);
}

async fn duplicate_json_keys_are_refused(app: TestApp) {
    let n = network(&app).await;
    let before = footprint(&app).await;
    let raw = format!(
        r#"{{"warehouse_id": {}, "source": "other", "lines": [{{"part_id": {}, "quantity": 1, "quantity": 1000}}]}}"#,
        n.depot, n.parts[0]
    );
    let body = app
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/stock/receipts",
            Warehouse,
            "application/json",
            raw.into_bytes(),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        crate::common::Resp::fields(&body),
        ["lines[0].quantity"],
        "{body}"
    );
    assert!(body["detail"].as_str().unwrap().contains("duplicate field"));
    assert_eq!(footprint(&app).await, before);
}

async fn an_overlong_url_is_a_problem(app: TestApp) {
    // 100 KB of query string: beyond what the HTTP parser takes.
    let path = format!("/api/v1/parts?q={}", "x".repeat(100 * 1024));
    let addr = app.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\n\r\n",
        app.token(Planner)
    );
    // The server may answer and close before reading the whole request.
    let _ = conn.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 414 "), "{answer}");
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["code"], "uri_too_long");
    assert_eq!(body["status"], 414);
    // The server is fine afterwards.
    app.get(Planner, "/api/v1/parts").await.expect(200);
}

async fn roles_are_checked_before_the_body(app: TestApp) {
    let n = network(&app).await;
    let bad = json!({"ticket_ref": "", "site_id": n.site, "quantity": 0});
    // A warehouse clerk may not raise requests: 403, whatever the body.
    app.post(Warehouse, "/api/v1/replacement-requests", bad.clone())
        .await
        .expect_problem(403, "forbidden");
    app.post(Warehouse, "/api/v1/replacement-requests", json!([1, 2]))
        .await
        .expect_problem(403, "forbidden");
    // An engineer may, and gets told what is wrong.
    app.post(Engineer, "/api/v1/replacement-requests", bad)
        .await
        .expect_problem(422, "validation_failed");
    // Query parameters are input too.
    for role in [Engineer] as [Role; 1] {
        app.get(role, "/api/v1/demand-records?from=not-a-time")
            .await
            .expect_problem(403, "forbidden");
        app.get(
            role,
            "/api/v1/kpis/replacement-requests?to=-5000-01-01T00:00:00Z",
        )
        .await
        .expect_problem(403, "forbidden");
    }
    app.get(Planner, "/api/v1/demand-records?from=not-a-time")
        .await
        .expect_problem(422, "validation_failed");
}
