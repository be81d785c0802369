//! The repair loop, returns and scrap over HTTP: each
//! state machine with its refused transitions, the stock each step moves,
//! the repair record and turnaround, scrap approval by someone other than
//! the requester and its certificate, roles and bad input, on both
//! backends. Every test ends with a clean ledger verification.
use entities::vocabulary::Role::{self, *};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::{self, id};
use crate::common::fixtures::{network, on_hand, receive, repair_vendor};
use crate::common::{TestApp, race};

both_backends!(
    repaired_units_come_back_good_and_beyond_repair_go_to_scrap,
    repeat_repairs_and_the_internal_repair_centre,
    sending_good_stock_to_repair_is_refused,
    bad_repair_input_writes_nothing,
    field_returns_arrive_defective,
    returns_to_vendor_ship_stock_out,
    scrap_is_approved_by_someone_else_with_a_certificate,
    rejected_and_refused_scrap_requests,
    roles_for_repair_returns_and_scrap,
    concurrent_scrap_approvals_scrap_once,
    concurrent_results_close_the_order_once,
    a_field_failure_comes_back_repaired,
    a_retried_send_out_posts_once,
);

/// A token for another user of `role`.
async fn second_user(app: &TestApp, name: &str, role: Role) -> String {
    app.post(
        Admin,
        "/api/v1/tokens",
        json!({"name": name, "role": role.as_str()}),
    )
    .await
    .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn document(app: &TestApp, id: i64) -> Value {
    app.get(Engineer, &format!("/api/v1/stock/documents/{id}"))
        .await
        .expect(200)
}

fn result_body(outcome: &str, cost: &str) -> Value {
    json!({
        "outcome": outcome,
        "fault_cause": "lightning strike",
        "failed_component": "PSU capacitor C12",
        "conclusion": if outcome == "repaired" { "repaired and tested" } else { "board burnt" },
        "measures": "replaced C12, burn-in 24h",
        "cost": cost,
    })
}

async fn rows(app: &TestApp) -> [i64; 6] {
    [
        app.count("repair_orders").await,
        app.count("repair_lines").await,
        app.count("returns").await,
        app.count("scrap_requests").await,
        app.count("stock_documents").await,
        app.count("stock_movements").await,
    ]
}

async fn repaired_units_come_back_good_and_beyond_repair_go_to_scrap(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let vendor = repair_vendor(&app, "FIX", 14).await;
    receive(
        &app,
        &n,
        n.depot,
        json!([
            {"part_id": a, "quantity": 3, "condition": "defective"},
            {"part_id": b, "quantity": 2, "condition": "defective"}
        ]),
    )
    .await;

    let order = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.depot, "reference": "RMA-1",
                   "lines": [{"part_id": a, "quantity": 2}, {"part_id": b, "quantity": 1}]}),
        )
        .await
        .expect(201);
    let oid = id(&order);
    assert_eq!(order["status"], "sent");
    assert_eq!(order["vendor_id"], vendor);
    let lines = order["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert_eq!(l["outcome"], "pending");
        assert_eq!(l["repeat_repair"], false);
        assert_eq!(l["returned_at"], Value::Null);
    }
    let sent_at = chrono::DateTime::parse_from_rfc3339(order["sent_at"].as_str().unwrap()).unwrap();
    let due_at =
        chrono::DateTime::parse_from_rfc3339(lines[0]["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due_at - sent_at, chrono::Duration::days(14));
    let (la, lb) = (id(&lines[0]), id(&lines[1]));

    // The defective units left for the vendor.
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 1);
    assert_eq!(on_hand(&app, b, n.depot, "defective").await, 1);
    let send = document(&app, order["send_document_id"].as_i64().unwrap()).await;
    assert_eq!(send["doc_type"], "repair_send_out");
    for m in send["movements"].as_array().unwrap() {
        assert_eq!(m["movement_type"], "repair_send");
        assert_eq!(m["from"]["condition"], "defective");
        assert_eq!(m["to"]["kind"], "repair_vendor");
        assert_eq!(m["to"]["id"], vendor);
    }

    // Repaired: back as good stock, with the repair record.
    let order = app
        .post(
            Warehouse,
            &format!("/api/v1/repair-orders/{oid}/lines/{la}/result"),
            result_body("repaired", "180.00"),
        )
        .await
        .expect(200);
    assert_eq!(order["status"], "sent", "one line still pending");
    let line = &order["lines"][0];
    assert_eq!(line["outcome"], "repaired");
    assert_eq!(line["fault_cause"], "lightning strike");
    assert_eq!(line["failed_component"], "PSU capacitor C12");
    assert_eq!(line["conclusion"], "repaired and tested");
    assert_eq!(line["measures"], "replaced C12, burn-in 24h");
    assert_eq!(line["cost"], "180");
    assert_eq!(line["returned_to_warehouse_id"], n.depot);
    assert!(line["turnaround_seconds"].as_i64().unwrap() >= 0);
    assert_eq!(line["turnaround_days"], "0");
    assert_eq!(line["on_time"], true);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 2);
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 1);
    let back = document(&app, line["result_document_id"].as_i64().unwrap()).await;
    assert_eq!(back["doc_type"], "repair_return");
    assert_eq!(back["movements"][0]["from"]["kind"], "repair_vendor");
    assert_eq!(back["movements"][0]["to"]["condition"], "good");

    // A second result of the same line is refused and changes nothing.
    let before = rows(&app).await;
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/repair-orders/{oid}/lines/{la}/result"),
            result_body("beyond_repair", "0"),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "repaired");
    assert_eq!(p["allowed_next"], json!([]));
    assert_eq!(rows(&app).await, before);

    // Beyond repair: to scrap, and the last result closes the order.
    let order = app
        .post(
            Warehouse,
            &format!("/api/v1/repair-orders/{oid}/lines/{lb}/result"),
            result_body("beyond_repair", "25.5"),
        )
        .await
        .expect(200);
    assert_eq!(order["status"], "closed");
    assert!(order["closed_at"].is_string());
    let line = &order["lines"][1];
    assert_eq!(line["outcome"], "beyond_repair");
    assert_eq!(line["returned_to_warehouse_id"], Value::Null);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 0);
    assert_eq!(on_hand(&app, b, n.depot, "defective").await, 1);
    let scrapped = document(&app, line["result_document_id"].as_i64().unwrap()).await;
    assert_eq!(scrapped["doc_type"], "scrap");
    assert_eq!(scrapped["movements"][0]["movement_type"], "scrap");
    assert_eq!(scrapped["movements"][0]["from"]["kind"], "repair_vendor");
    assert_eq!(scrapped["movements"][0]["to"]["kind"], "scrap");

    // A closed order takes no more results.
    let before = rows(&app).await;
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/repair-orders/{oid}/lines/{lb}/result"),
            result_body("repaired", "1"),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "closed");
    assert_eq!(rows(&app).await, before);

    // The repair report reads back the same, and lists filter by status.
    let again = app
        .get(Engineer, &format!("/api/v1/repair-orders/{oid}"))
        .await
        .expect(200);
    assert_eq!(again, order);
    let closed = app
        .get(Engineer, "/api/v1/repair-orders?status=closed")
        .await
        .expect(200);
    assert_eq!(closed["items"].as_array().unwrap().len(), 1);
    let open = app
        .get(Engineer, "/api/v1/repair-orders?status=sent")
        .await
        .expect(200);
    assert_eq!(open["items"].as_array().unwrap().len(), 0);
    app.get(Engineer, "/api/v1/repair-orders/999999")
        .await
        .expect_problem(404, "not_found");
    app.assert_verified().await;
}

async fn repeat_repairs_and_the_internal_repair_centre(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 3, "condition": "defective"}]),
    )
    .await;
    // Internal repair centre: no vendor; due date from the part's turnaround.
    let first = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
        )
        .await
        .expect(201);
    assert_eq!(first["vendor_id"], Value::Null);
    assert_eq!(first["lines"][0]["repeat_repair"], false);
    let send = document(&app, first["send_document_id"].as_i64().unwrap()).await;
    assert_eq!(send["movements"][0]["to"]["kind"], "repair_vendor");
    assert_eq!(send["movements"][0]["to"]["id"], Value::Null);
    // A second unit sent while the first is still away is not a repeat.
    let second = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
        )
        .await
        .expect(201);
    assert_eq!(second["lines"][0]["repeat_repair"], false);
    let (o1, l1) = (id(&first), id(&first["lines"][0]));
    app.post(
        Admin,
        &format!("/api/v1/repair-orders/{o1}/lines/{l1}/result"),
        result_body("repaired", "0"),
    )
    .await
    .expect(200);
    // Once a unit of the part came back repaired, the next one is a repeat.
    let third = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
        )
        .await
        .expect(201);
    assert_eq!(third["lines"][0]["repeat_repair"], true);
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 0);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 1);
    // Results returning to another warehouse land there.
    let (o3, l3) = (id(&third), id(&third["lines"][0]));
    let mut body = result_body("repaired", "12.34");
    body["return_warehouse_id"] = json!(n.regional);
    let done = app
        .post(
            Warehouse,
            &format!("/api/v1/repair-orders/{o3}/lines/{l3}/result"),
            body,
        )
        .await
        .expect(200);
    assert_eq!(done["lines"][0]["returned_to_warehouse_id"], n.regional);
    assert_eq!(on_hand(&app, a, n.regional, "good").await, 1);
    app.assert_verified().await;
}

async fn sending_good_stock_to_repair_is_refused(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let vendor = repair_vendor(&app, "FIX", 7).await;
    receive(&app, &n, n.depot, json!([{"part_id": a, "quantity": 5}])).await;
    let before = rows(&app).await;
    let p = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
        )
        .await
        .expect_problem(409, "insufficient_stock");
    assert!(p["detail"].as_str().unwrap().contains("defective"), "{p}");
    assert_eq!(p["available"], 0);
    // Naming a condition is not a way round it.
    app.post(
        Warehouse,
        "/api/v1/repair-orders",
        json!({"vendor_id": vendor, "warehouse_id": n.depot,
               "lines": [{"part_id": a, "quantity": 1, "condition": "good"}]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(rows(&app).await, before);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 5);
    app.assert_verified().await;
}

async fn bad_repair_input_writes_nothing(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let vendor = repair_vendor(&app, "FIX", 7).await;
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 2, "condition": "defective"}]),
    )
    .await;
    let before = rows(&app).await;
    check::rejected(&app, Method::POST, Warehouse, "/api/v1/repair-orders", [
        (
            json!({"vendor_id": n.supplier, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
            "vendor_id",
        ),
        (
            json!({"vendor_id": 999999, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
            "vendor_id",
        ),
        (
            json!({"warehouse_id": 999999, "lines": [{"part_id": a, "quantity": 1}]}),
            "warehouse_id",
        ),
        (
            json!({"warehouse_id": n.depot, "lines": [{"part_id": 999999, "quantity": 1}]}),
            "lines[0].part_id",
        ),
        (
            json!({"warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 0}]}),
            "lines[0].quantity",
        ),
        (json!({"warehouse_id": n.depot, "lines": []}), "lines"),
    ]).await;
    assert_eq!(rows(&app).await, before);

    let order = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 2}]}),
        )
        .await
        .expect(201);
    let (oid, lid) = (id(&order), id(&order["lines"][0]));
    let before = rows(&app).await;
    let url = format!("/api/v1/repair-orders/{oid}/lines/{lid}/result");
    for (body, field) in [
        (result_body("pending", "1"), "outcome"),
        (result_body("repaired", "-1"), "cost"),
        (result_body("repaired", "1.1234567"), "cost"),
        (json!({"outcome": "repaired"}), "cost"),
    ] {
        let p = app
            .post(Warehouse, &url, body)
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            crate::common::Resp::fields(&p).contains(&field.to_owned()),
            "{field}: {p}"
        );
    }
    let mut elsewhere = result_body("repaired", "1");
    elsewhere["return_warehouse_id"] = json!(999999);
    app.post(Warehouse, &url, elsewhere)
        .await
        .expect_problem(422, "validation_failed");
    app.post(
        Warehouse,
        &format!("/api/v1/repair-orders/{oid}/lines/999999/result"),
        result_body("repaired", "1"),
    )
    .await
    .expect_problem(404, "not_found");
    assert_eq!(rows(&app).await, before);
    assert_eq!(
        app.get(Engineer, &format!("/api/v1/repair-orders/{oid}"))
            .await
            .expect(200)["lines"][0]["outcome"],
        "pending"
    );
    app.assert_verified().await;
}

async fn field_returns_arrive_defective(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let r = app
        .post(
            Warehouse,
            "/api/v1/returns",
            json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.regional,
                   "lines": [{"part_id": a, "quantity": 1}], "reason": "replaced under ticket T-1",
                   "carrier": "DHL", "tracking_ref": "JD0001"}),
        )
        .await
        .expect(201);
    let rid = id(&r);
    assert_eq!(r["status"], "in_transit");
    assert_eq!(r["allowed_next"], json!(["receive", "cancel"]));
    assert_eq!(r["carrier"], "DHL");
    assert_eq!(r["tracking_ref"], "JD0001");
    assert_eq!(r["lines"][0]["condition"], "defective");
    assert_eq!(on_hand(&app, a, n.regional, "defective").await, 0);

    let before = rows(&app).await;
    let p = app
        .post_empty(Warehouse, &format!("/api/v1/returns/{rid}/ship"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "in_transit");
    assert_eq!(p["allowed_next"], json!(["receive", "cancel"]));
    assert_eq!(rows(&app).await, before);

    let r = app
        .post_empty(Warehouse, &format!("/api/v1/returns/{rid}/receive"))
        .await
        .expect(200);
    assert_eq!(r["status"], "received");
    assert!(r["received_at"].is_string());
    assert_eq!(on_hand(&app, a, n.regional, "defective").await, 1);
    assert_eq!(on_hand(&app, a, n.regional, "good").await, 0);
    let doc = document(&app, r["document_id"].as_i64().unwrap()).await;
    assert_eq!(doc["doc_type"], "field_return");
    assert_eq!(doc["movements"][0]["from"]["kind"], "site");
    assert_eq!(doc["movements"][0]["from"]["id"], n.site);
    assert_eq!(doc["movements"][0]["to"]["condition"], "defective");

    let before = rows(&app).await;
    for action in ["receive", "cancel"] {
        let p = app
            .post_empty(Warehouse, &format!("/api/v1/returns/{rid}/{action}"))
            .await
            .expect_problem(409, "invalid_transition");
        assert_eq!(p["current_state"], "received");
        assert_eq!(p["allowed_next"], json!([]));
    }
    assert_eq!(rows(&app).await, before);

    // A return that never arrives is cancelled; nothing was posted.
    let lost = app
        .post(
            Warehouse,
            "/api/v1/returns",
            json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.regional,
                   "lines": [{"part_id": a, "quantity": 2}], "reason": "lost"}),
        )
        .await
        .expect(201);
    let lid = id(&lost);
    let docs = app.count("stock_documents").await;
    let lost = app
        .post_empty(Warehouse, &format!("/api/v1/returns/{lid}/cancel"))
        .await
        .expect(200);
    assert_eq!(lost["status"], "cancelled");
    app.post_empty(Warehouse, &format!("/api/v1/returns/{lid}/receive"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(app.count("stock_documents").await, docs);
    // Its shipment is called off with it: no longer on the road.
    let sid = lost["shipment_id"]
        .as_i64()
        .expect("a field return rides a shipment");
    let s = app
        .get(Engineer, &format!("/api/v1/shipments/{sid}"))
        .await
        .expect(200);
    assert_eq!(s["status"], "cancelled", "{s}");
    assert!(
        s["cancelled_at"].is_string() && s["delivered_at"].is_null(),
        "{s}"
    );
    let on_the_road = app
        .get(Engineer, "/api/v1/shipments?status=in_transit")
        .await
        .expect(200);
    assert!(
        on_the_road["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != sid),
        "{on_the_road}"
    );
    let cancelled = app
        .get(Engineer, "/api/v1/shipments?status=cancelled")
        .await
        .expect(200);
    assert_eq!(cancelled["items"][0]["id"], sid);
    assert_eq!(on_hand(&app, a, n.regional, "defective").await, 1);

    // Bad input: 422 and nothing written.
    let before = rows(&app).await;
    check::rejected(&app, Method::POST, Warehouse, "/api/v1/returns", [
        (
            json!({"kind": "field_return", "warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1}], "reason": "x"}),
            "site_id",
        ),
        (
            json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.regional,
                   "lines": [{"part_id": a, "quantity": 1, "condition": "good"}], "reason": "x"}),
            "lines[0].condition",
        ),
        (
            json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1}], "reason": " "}),
            "reason",
        ),
        (
            json!({"kind": "field_return", "site_id": 999999, "warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1}], "reason": "x"}),
            "site_id",
        ),
    ]).await;
    app.post_empty(Warehouse, "/api/v1/returns/999999/receive")
        .await
        .expect_problem(404, "not_found");
    assert_eq!(rows(&app).await, before);
    let listed = app
        .get(
            Engineer,
            "/api/v1/returns?kind=field_return&status=received",
        )
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    app.assert_verified().await;
}

async fn returns_to_vendor_ship_stock_out(app: TestApp) {
    let n = network(&app).await;
    let b = n.parts[1];
    receive(&app, &n, n.depot, json!([{"part_id": b, "quantity": 5}])).await;
    let r = app
        .post(
            Warehouse,
            "/api/v1/returns",
            json!({"kind": "return_to_vendor", "vendor_id": n.supplier, "warehouse_id": n.depot,
                   "lines": [{"part_id": b, "quantity": 2, "condition": "good"}], "reason": "wrong revision delivered"}),
        )
        .await
        .expect(201);
    let rid = id(&r);
    assert_eq!(r["status"], "draft");
    assert_eq!(r["allowed_next"], json!(["ship", "cancel"]));

    let before = rows(&app).await;
    let p = app
        .post_empty(Warehouse, &format!("/api/v1/returns/{rid}/receive"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "draft");
    assert_eq!(rows(&app).await, before);

    let r = app
        .post_empty(Warehouse, &format!("/api/v1/returns/{rid}/ship"))
        .await
        .expect(200);
    assert_eq!(r["status"], "in_transit");
    assert_eq!(r["allowed_next"], json!(["receive"]));
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 3);
    let doc = document(&app, r["document_id"].as_i64().unwrap()).await;
    assert_eq!(doc["doc_type"], "return_to_vendor");
    assert_eq!(doc["reason"], "wrong revision delivered");
    assert_eq!(doc["movements"][0]["movement_type"], "return_to_vendor");
    assert_eq!(doc["movements"][0]["to"]["kind"], "supplier");
    assert_eq!(doc["movements"][0]["to"]["id"], n.supplier);

    let before = rows(&app).await;
    for action in ["ship", "cancel"] {
        let p = app
            .post_empty(Warehouse, &format!("/api/v1/returns/{rid}/{action}"))
            .await
            .expect_problem(409, "invalid_transition");
        assert_eq!(p["current_state"], "in_transit");
        assert_eq!(p["allowed_next"], json!(["receive"]));
    }
    assert_eq!(rows(&app).await, before);

    // The vendor confirms: the return order is complete, nothing more moves.
    let r = app
        .post_empty(Warehouse, &format!("/api/v1/returns/{rid}/receive"))
        .await
        .expect(200);
    assert_eq!(r["status"], "received");
    assert_eq!(app.count("stock_documents").await, before[4]);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 3);

    // Shipping more than is held is refused whole and stays a draft.
    let big = app
        .post(
            Warehouse,
            "/api/v1/returns",
            json!({"kind": "return_to_vendor", "vendor_id": n.supplier, "warehouse_id": n.depot,
                   "lines": [{"part_id": b, "quantity": 1, "condition": "good"}, {"part_id": b, "quantity": 9}],
                   "reason": "warranty"}),
        )
        .await
        .expect(201);
    let bid = id(&big);
    assert_eq!(big["lines"][1]["condition"], "defective");
    let before = rows(&app).await;
    app.post_empty(Warehouse, &format!("/api/v1/returns/{bid}/ship"))
        .await
        .expect_problem(409, "insufficient_stock");
    assert_eq!(rows(&app).await, before);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 3);
    let big = app
        .get(Engineer, &format!("/api/v1/returns/{bid}"))
        .await
        .expect(200);
    assert_eq!(big["status"], "draft");
    let big = app
        .post_empty(Warehouse, &format!("/api/v1/returns/{bid}/cancel"))
        .await
        .expect(200);
    assert_eq!(big["status"], "cancelled");

    // A return to vendor needs a vendor, not a site.
    let p = app
        .post(
            Warehouse,
            "/api/v1/returns",
            json!({"kind": "return_to_vendor", "site_id": n.site, "warehouse_id": n.depot,
                   "lines": [{"part_id": b, "quantity": 1}], "reason": "x"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let fields = crate::common::Resp::fields(&p);
    assert!(fields.contains(&"vendor_id".to_owned()) && fields.contains(&"site_id".to_owned()));
    app.assert_verified().await;
}

async fn scrap_is_approved_by_someone_else_with_a_certificate(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 4, "condition": "defective"}]),
    )
    .await;
    let req = app
        .post(
            Warehouse,
            "/api/v1/scrap-requests",
            json!({"warehouse_id": n.depot, "part_id": a, "quantity": 3, "reason": "corroded beyond repair"}),
        )
        .await
        .expect(201);
    let sid = id(&req);
    assert_eq!(req["status"], "requested");
    assert_eq!(req["condition"], "defective");
    assert_eq!(req["value"], "31.5", "3 x 10.50");
    assert_eq!(req["currency"], "EUR");
    assert_eq!(req["allowed_next"], json!(["approve", "reject"]));
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 4);

    let approved = app
        .post(
            Planner,
            &format!("/api/v1/scrap-requests/{sid}/approve"),
            json!({"note": "ok"}),
        )
        .await
        .expect(200);
    assert_eq!(approved["status"], "approved");
    let number = approved["certificate_number"].as_str().unwrap().to_owned();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(number, format!("SC-{year}-{sid:06}"));
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 1);
    let doc = document(&app, approved["document_id"].as_i64().unwrap()).await;
    assert_eq!(doc["doc_type"], "scrap");
    assert_eq!(doc["movements"][0]["to"]["kind"], "scrap");
    assert_eq!(doc["movements"][0]["quantity"], 3);

    let cert = app
        .get(Engineer, &format!("/api/v1/scrap-certificates/{number}"))
        .await
        .expect(200);
    assert_eq!(cert["number"], number);
    assert_eq!(cert["part_id"], a);
    assert_eq!(cert["part_number"], "P-A");
    assert_eq!(cert["quantity"], 3);
    assert_eq!(cert["value"], "31.5");
    assert_eq!(cert["reason"], "corroded beyond repair");
    assert_eq!(cert["approved_by"], approved["decided_by"]);
    assert_ne!(cert["approved_by"], cert["requested_by"]);
    assert_eq!(cert["approved_at"], approved["decided_at"]);
    assert_eq!(cert["serials"], json!([]));
    app.get(Engineer, "/api/v1/scrap-certificates/SC-1999-000001")
        .await
        .expect_problem(404, "not_found");

    // Approving twice, even by another planner, is refused.
    let other = second_user(&app, "planner-2", Planner).await;
    let before = rows(&app).await;
    let p = app
        .send(
            Method::POST,
            &format!("/api/v1/scrap-requests/{sid}/approve"),
            Some(&other),
            Some(&json!({})),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(p["current_state"], "approved");
    assert_eq!(p["allowed_next"], json!([]));
    assert_eq!(rows(&app).await, before);
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 1);

    // Self-approval: an admin may request and approve, but not both.
    let own = app
        .post(
            Admin,
            "/api/v1/scrap-requests",
            json!({"warehouse_id": n.depot, "part_id": a, "quantity": 1, "reason": "dropped"}),
        )
        .await
        .expect(201);
    let oid = id(&own);
    let before = rows(&app).await;
    let p = app
        .post(
            Admin,
            &format!("/api/v1/scrap-requests/{oid}/approve"),
            json!({}),
        )
        .await
        .expect_problem(409, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("requested by you"));
    assert_eq!(rows(&app).await, before);
    assert_eq!(
        app.get(Engineer, &format!("/api/v1/scrap-requests/{oid}"))
            .await
            .expect(200)["status"],
        "requested"
    );
    let second_admin = second_user(&app, "admin-2", Admin).await;
    let ok = app
        .send(
            Method::POST,
            &format!("/api/v1/scrap-requests/{oid}/approve"),
            Some(&second_admin),
            Some(&json!({})),
        )
        .await
        .expect(200);
    assert_eq!(ok["status"], "approved");
    assert_ne!(ok["certificate_number"], approved["certificate_number"]);
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 0);
    app.assert_verified().await;
}

async fn rejected_and_refused_scrap_requests(app: TestApp) {
    let n = network(&app).await;
    let c = n.parts[2];
    receive(&app, &n, n.depot, json!([{"part_id": c, "quantity": 2}])).await;
    let req = app
        .post(
            Warehouse,
            "/api/v1/scrap-requests",
            json!({"warehouse_id": n.depot, "part_id": c, "quantity": 2, "condition": "good", "reason": "obsolete"}),
        )
        .await
        .expect(201);
    let sid = id(&req);
    assert_eq!(req["value"], "6");
    let rejected = app
        .post(
            Planner,
            &format!("/api/v1/scrap-requests/{sid}/reject"),
            json!({"note": "still usable"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision_note"], "still usable");
    assert_eq!(rejected["certificate_number"], Value::Null);
    let before = rows(&app).await;
    for action in ["approve", "reject"] {
        let p = app
            .post(
                Admin,
                &format!("/api/v1/scrap-requests/{sid}/{action}"),
                json!({}),
            )
            .await
            .expect_problem(409, "invalid_transition");
        assert_eq!(p["current_state"], "rejected");
    }
    assert_eq!(rows(&app).await, before);
    assert_eq!(on_hand(&app, c, n.depot, "good").await, 2);

    // Units the warehouse does not hold cannot be requested.
    let p = app
        .post(
            Warehouse,
            "/api/v1/scrap-requests",
            json!({"warehouse_id": n.depot, "part_id": c, "quantity": 3, "condition": "good", "reason": "x"}),
        )
        .await
        .expect_problem(409, "insufficient_stock");
    assert_eq!(p["available"], 2);
    check::rejected(
        &app,
        Method::POST,
        Warehouse,
        "/api/v1/scrap-requests",
        [
            (
                json!({"warehouse_id": n.depot, "part_id": c, "quantity": 0, "reason": "x"}),
                "quantity",
            ),
            (
                json!({"warehouse_id": n.depot, "part_id": c, "quantity": 1, "reason": ""}),
                "reason",
            ),
            (
                json!({"warehouse_id": n.depot, "part_id": 999999, "quantity": 1, "reason": "x"}),
                "part_id",
            ),
            (
                json!({"warehouse_id": 999999, "part_id": c, "quantity": 1, "reason": "x"}),
                "warehouse_id",
            ),
        ],
    )
    .await;
    assert_eq!(rows(&app).await, before);

    // Stock that left after the request makes approval fail whole.
    let late = app
        .post(
            Warehouse,
            "/api/v1/scrap-requests",
            json!({"warehouse_id": n.depot, "part_id": c, "quantity": 2, "condition": "good", "reason": "obsolete"}),
        )
        .await
        .expect(201);
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.depot, "destination": "other", "lines": [{"part_id": c, "quantity": 1}]}),
    )
    .await
    .expect(201);
    let before = rows(&app).await;
    app.post(
        Planner,
        &format!("/api/v1/scrap-requests/{}/approve", id(&late)),
        json!({}),
    )
    .await
    .expect_problem(409, "insufficient_stock");
    assert_eq!(rows(&app).await, before);
    let late = app
        .get(Engineer, &format!("/api/v1/scrap-requests/{}", id(&late)))
        .await
        .expect(200);
    assert_eq!(late["status"], "requested");
    assert_eq!(late["certificate_number"], Value::Null);
    app.assert_verified().await;
}

async fn roles_for_repair_returns_and_scrap(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 2, "condition": "defective"}]),
    )
    .await;
    let before = rows(&app).await;
    let send = json!({"warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]});
    let ret = json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.depot,
                     "lines": [{"part_id": a, "quantity": 1}], "reason": "x"});
    let scrap = json!({"warehouse_id": n.depot, "part_id": a, "quantity": 1, "reason": "x"});
    for role in [Planner, Engineer] {
        app.post(role, "/api/v1/repair-orders", send.clone())
            .await
            .expect_problem(403, "forbidden");
        app.post(role, "/api/v1/returns", ret.clone())
            .await
            .expect_problem(403, "forbidden");
        app.post(role, "/api/v1/scrap-requests", scrap.clone())
            .await
            .expect_problem(403, "forbidden");
    }
    assert_eq!(rows(&app).await, before);

    let order = app
        .post(Warehouse, "/api/v1/repair-orders", send)
        .await
        .expect(201);
    let r = app
        .post(Warehouse, "/api/v1/returns", ret)
        .await
        .expect(201);
    let s = app
        .post(Warehouse, "/api/v1/scrap-requests", scrap)
        .await
        .expect(201);
    let before = rows(&app).await;
    let (oid, lid) = (id(&order), id(&order["lines"][0]));
    for role in [Planner, Engineer] {
        app.post(
            role,
            &format!("/api/v1/repair-orders/{oid}/lines/{lid}/result"),
            result_body("repaired", "1"),
        )
        .await
        .expect_problem(403, "forbidden");
        app.post_empty(role, &format!("/api/v1/returns/{}/receive", id(&r)))
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Warehouse, Engineer] {
        app.post(
            role,
            &format!("/api/v1/scrap-requests/{}/approve", id(&s)),
            json!({}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.post(
            role,
            &format!("/api/v1/scrap-requests/{}/reject", id(&s)),
            json!({}),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    assert_eq!(rows(&app).await, before);
    for path in [
        "/api/v1/repair-orders".to_owned(),
        format!("/api/v1/repair-orders/{oid}"),
        "/api/v1/returns".to_owned(),
        format!("/api/v1/returns/{}", id(&r)),
        "/api/v1/scrap-requests".to_owned(),
        format!("/api/v1/scrap-requests/{}", id(&s)),
    ] {
        app.get(Engineer, &path).await.expect(200);
    }
    app.send(Method::GET, "/api/v1/repair-orders", None, None)
        .await
        .expect_problem(401, "unauthorized");
    app.assert_verified().await;
}

async fn concurrent_scrap_approvals_scrap_once(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 10, "condition": "defective"}]),
    )
    .await;
    let sid = id(&app
        .post(
            Warehouse,
            "/api/v1/scrap-requests",
            json!({"warehouse_id": n.depot, "part_id": a, "quantity": 4, "reason": "flood damage"}),
        )
        .await
        .expect(201));
    let path = format!("/api/v1/scrap-requests/{sid}/approve");
    let calls = (0..10)
        .map(|i| {
            let role = if i % 2 == 0 { Planner } else { Admin };
            (path.clone(), app.token(role).to_owned(), json!({}))
        })
        .collect();
    let mut ok = 0;
    for (status, body) in race(&app, calls).await {
        match status {
            200 => ok += 1,
            409 => assert_eq!(body["code"], "invalid_transition", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1, "exactly one approval wins");
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 6);
    assert_eq!(app.count("stock_documents").await, 2, "receipt + one scrap");
    app.assert_verified().await;
}

async fn concurrent_results_close_the_order_once(app: TestApp) {
    let n = network(&app).await;
    let vendor = repair_vendor(&app, "FIX", 10).await;
    let lines: Vec<Value> = n
        .parts
        .iter()
        .map(|p| json!({"part_id": p, "quantity": 2, "condition": "defective"}))
        .collect();
    receive(&app, &n, n.depot, Value::Array(lines)).await;
    let send: Vec<Value> = n
        .parts
        .iter()
        .map(|p| json!({"part_id": p, "quantity": 2}))
        .collect();
    let order = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.depot, "lines": send}),
        )
        .await
        .expect(201);
    let oid = id(&order);
    // Every line twice, at once: each line gets one result, the order
    // closes, nothing is posted twice.
    let mut calls = Vec::new();
    for (i, l) in order["lines"].as_array().unwrap().iter().enumerate() {
        for role in [Warehouse, Admin] {
            calls.push((
                format!("/api/v1/repair-orders/{oid}/lines/{}/result", id(l)),
                app.token(role).to_owned(),
                result_body(if i == 0 { "beyond_repair" } else { "repaired" }, "10"),
            ));
        }
    }
    let mut ok = 0;
    for (status, body) in race(&app, calls).await {
        match status {
            200 => ok += 1,
            409 => assert_eq!(body["code"], "invalid_transition", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 3, "one result per line");
    let order = app
        .get(Engineer, &format!("/api/v1/repair-orders/{oid}"))
        .await
        .expect(200);
    assert_eq!(order["status"], "closed", "{order}");
    assert_eq!(on_hand(&app, n.parts[0], n.depot, "good").await, 0);
    assert_eq!(on_hand(&app, n.parts[1], n.depot, "good").await, 2);
    assert_eq!(on_hand(&app, n.parts[2], n.depot, "good").await, 2);
    // receipt + send-out + three results
    assert_eq!(app.count("stock_documents").await, 5);
    app.assert_verified().await;
}

/// A unit fails in the field, a good one is dispatched, the defective one
/// comes back, goes to repair and returns as good stock.
async fn a_field_failure_comes_back_repaired(app: TestApp) {
    let n = network(&app).await;
    let b = n.parts[1];
    let vendor = repair_vendor(&app, "FIX", 21).await;
    receive(&app, &n, n.regional, json!([{"part_id": b, "quantity": 1}])).await;
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.regional, "destination": "site", "site_id": n.site,
               "reference": "T-42", "lines": [{"part_id": b, "quantity": 1}]}),
    )
    .await
    .expect(201);
    assert_eq!(on_hand(&app, b, n.regional, "good").await, 0);
    let ret = app
        .post(
            Warehouse,
            "/api/v1/returns",
            json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.regional,
                   "lines": [{"part_id": b, "quantity": 1}], "reason": "failed unit of T-42",
                   "reference": "T-42"}),
        )
        .await
        .expect(201);
    app.post_empty(Warehouse, &format!("/api/v1/returns/{}/receive", id(&ret)))
        .await
        .expect(200);
    assert_eq!(on_hand(&app, b, n.regional, "defective").await, 1);
    let order = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.regional, "reference": "T-42",
                   "lines": [{"part_id": b, "quantity": 1}]}),
        )
        .await
        .expect(201);
    assert_eq!(on_hand(&app, b, n.regional, "defective").await, 0);
    let order = app
        .post(
            Warehouse,
            &format!(
                "/api/v1/repair-orders/{}/lines/{}/result",
                id(&order),
                id(&order["lines"][0])
            ),
            result_body("repaired", "75.00"),
        )
        .await
        .expect(200);
    assert_eq!(order["status"], "closed");
    assert_eq!(order["lines"][0]["cost"], "75");
    assert_eq!(on_hand(&app, b, n.regional, "good").await, 1);
    // The part's whole story in the ledger, oldest first.
    let moves = app
        .get(Engineer, &format!("/api/v1/stock/movements?part_id={b}"))
        .await
        .expect(200);
    let types: Vec<&str> = moves["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["movement_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "receipt",
            "issue",
            "field_return",
            "repair_send",
            "repair_return"
        ]
    );
    app.assert_verified().await;
}

async fn a_retried_send_out_posts_once(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 3, "condition": "defective"}]),
    )
    .await;
    let body = json!({"warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 2}]});
    let mut answers = Vec::new();
    for _ in 0..2 {
        let r = app
            .client
            .post(format!("{}/api/v1/repair-orders", app.base))
            .bearer_auth(app.token(Warehouse))
            .header("Idempotency-Key", "rma-7")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        answers.push(r.json::<Value>().await.unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(app.count("repair_orders").await, 1);
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 1);
    app.assert_verified().await;
}
