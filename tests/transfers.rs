//! Transfers between warehouses and their shipments over HTTP: the whole
//! state machine with refused transitions, partial receipts with damage,
//! shortage and excess, in-transit stock per transfer and per lane from the
//! ledger, whole-or-nothing shipping, proof of delivery with a customs leg,
//! roles and bad input, on both backends.
use chrono::{DateTime, Utc};
use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::TestApp;
use crate::common::check::{refused, rejected};
use crate::common::fixtures::{Network, network, on_hand, receive as stock_in};

both_backends!(
    walk_the_state_machine_with_partial_receipts,
    cancel_only_a_draft,
    ship_refused_on_insufficient_stock_writes_nothing,
    ship_without_a_lane,
    in_transit_per_transfer_and_per_lane,
    a_received_transfer_delivers_its_shipment,
    shipment_proof_of_delivery_and_customs,
    shipping_twice_with_one_key_posts_once,
    concurrent_ships_and_receipts_count_once,
    flow_documents_are_not_reversed_directly,
    roles_for_transfers,
    bad_input_writes_nothing,
);

async fn lane(app: &TestApp, from: i64, to: i64, hours: f64) {
    app.post(
        Admin,
        "/api/v1/lanes",
        json!({"from_warehouse_id": from, "to_warehouse_id": to, "transit_hours": hours, "cost": "120.00"}),
    )
    .await
    .expect(201);
}

async fn create(app: &TestApp, from: i64, to: i64, lines: Value) -> i64 {
    app.post(
        Warehouse,
        "/api/v1/transfers",
        json!({"from_warehouse_id": from, "to_warehouse_id": to, "reference": "T-1", "lines": lines}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

/// A network with a depot -> regional lane of `hours`, the depot holding
/// `stock` and a draft transfer of `lines` to the regional warehouse; both
/// as (index into the network's parts, quantity).
async fn drafted(
    app: &TestApp,
    hours: f64,
    stock: &[(usize, i64)],
    lines: &[(usize, i64)],
) -> (Network, i64) {
    let n = network(app).await;
    let as_lines = |q: &[(usize, i64)]| -> Value {
        q.iter()
            .map(|&(part, quantity)| json!({"part_id": n.parts[part], "quantity": quantity}))
            .collect()
    };
    lane(app, n.depot, n.regional, hours).await;
    stock_in(app, &n, n.depot, as_lines(stock)).await;
    let id = create(app, n.depot, n.regional, as_lines(lines)).await;
    (n, id)
}

fn ship_body() -> Value {
    json!({"carrier": "DHL", "tracking_ref": "JD0001", "mode": "local", "cost": "180.50", "currency": "EUR"})
}

async fn ship(app: &TestApp, id: i64) -> Value {
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{id}/ship"),
        ship_body(),
    )
    .await
    .expect(200)
}

async fn receive(app: &TestApp, id: i64, lines: Value) -> Value {
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{id}/receive"),
        json!({"lines": lines}),
    )
    .await
    .expect(200)
}

fn line(t: &Value, part: i64) -> &Value {
    t["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["part_id"] == part)
        .unwrap_or_else(|| panic!("no line for part {part} in {t}"))
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn walk_the_state_machine_with_partial_receipts(app: TestApp) {
    let (n, id) = drafted(&app, 36.0, &[(0, 10), (1, 5)], &[(0, 6), (1, 2)]).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let t = app
        .get(Engineer, &format!("/api/v1/transfers/{id}"))
        .await
        .expect(200);
    assert_eq!(t["status"], "draft");
    assert_eq!(t["allowed"], json!(["ship", "cancel"]));
    assert_eq!(line(&t, a)["shipped"], 0);

    // Nothing but ship or cancel from draft.
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/receive"),
            json!({"lines": [{"part_id": a, "good": 1}]}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "draft", &["ship", "cancel"]);
    let p = app
        .post_empty(Warehouse, &format!("/api/v1/transfers/{id}/close"))
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "draft", &["ship", "cancel"]);

    let t = ship(&app, id).await;
    assert_eq!(t["status"], "shipped");
    assert_eq!(t["allowed"], json!(["receive"]));
    let s = &t["shipment"];
    assert_eq!(s["kind"], "transfer");
    assert_eq!(s["status"], "in_transit");
    assert_eq!(s["cost"], "180.5");
    assert_eq!(
        s["origin"],
        json!({"kind": "warehouse", "id": n.depot, "code": "DEP"})
    );
    assert_eq!(
        s["destination"],
        json!({"kind": "warehouse", "id": n.regional, "code": "REG"})
    );
    let eta = time(&s["estimated_arrival_at"]) - time(&s["dispatched_at"]);
    assert_eq!(eta.num_hours(), 36, "estimated arrival from the lane: {s}");
    assert_eq!(line(&t, a)["shipped"], 6);
    assert_eq!(line(&t, a)["in_transit"], 6);
    assert_eq!(line(&t, a)["outstanding"], 6);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 4);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 3);
    let doc = app
        .get(
            Engineer,
            &format!("/api/v1/stock/documents/{}", t["ship_document_id"]),
        )
        .await
        .expect(200);
    assert_eq!(doc["doc_type"], "transfer_shipment");
    assert_eq!(doc["movements"].as_array().unwrap().len(), 2);
    assert_eq!(
        doc["movements"][0]["to"],
        json!({"kind": "in_transit", "id": id, "condition": "good"})
    );
    assert_eq!(doc["movements"][0]["movement_type"], "transfer_ship");

    for action in ["cancel", "close"] {
        let p = app
            .post_empty(Warehouse, &format!("/api/v1/transfers/{id}/{action}"))
            .await
            .expect_problem(409, "invalid_transition");
        refused(p, "shipped", &["receive"]);
    }
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/ship"),
            ship_body(),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "shipped", &["receive"]);

    // First receipt: part of A good, one damaged; one B lost.
    let t = receive(
        &app,
        id,
        json!([{"part_id": a, "good": 3, "damaged": 1}, {"part_id": b, "short": 1}]),
    )
    .await;
    assert_eq!(t["status"], "shipped", "still units outstanding");
    let la = line(&t, a);
    assert_eq!(
        (
            la["received_good"].as_i64(),
            la["received_damaged"].as_i64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(
        (la["outstanding"].as_i64(), la["in_transit"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(line(&t, b)["short"], 1);
    assert_eq!(line(&t, b)["outstanding"], 1);

    // More than outstanding without an excess line: refused, nothing written.
    let docs = app.count("stock_documents").await;
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/receive"),
            json!({"lines": [{"part_id": a, "good": 3}]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(p["detail"].as_str().unwrap().contains("excess"), "{p}");
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{id}/receive"),
        json!({"lines": [{"part_id": n.parts[2], "good": 1}]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{id}/receive"),
        json!({"lines": [{"part_id": a}]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(app.count("stock_documents").await, docs);
    let t = app
        .get(Engineer, &format!("/api/v1/transfers/{id}"))
        .await
        .expect(200);
    assert_eq!(line(&t, a)["outstanding"], 2);

    // Second receipt: the rest, one A short, and two A beyond what was shipped.
    let t = receive(
        &app,
        id,
        json!([{"part_id": a, "good": 1, "short": 1, "excess": 2}, {"part_id": b, "good": 1}]),
    )
    .await;
    assert_eq!(t["status"], "received");
    assert_eq!(t["allowed"], json!(["close"]));
    assert!(t["received_at"].is_string());
    let la = line(&t, a);
    assert_eq!(
        (
            la["received_good"].as_i64(),
            la["received_damaged"].as_i64(),
            la["short"].as_i64(),
            la["excess"].as_i64(),
            la["outstanding"].as_i64(),
            la["in_transit"].as_i64(),
        ),
        (Some(4), Some(1), Some(1), Some(2), Some(0), Some(0))
    );
    // Balances at the destination: good = 3 + 1 + 2 excess, damaged in quarantine.
    assert_eq!(on_hand(&app, a, n.regional, "good").await, 6);
    assert_eq!(on_hand(&app, a, n.regional, "quarantined").await, 1);
    assert_eq!(on_hand(&app, b, n.regional, "good").await, 1);
    assert_eq!(on_hand(&app, b, n.regional, "quarantined").await, 0);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 4);
    // The discrepancies are documented on the receipt documents.
    let moves = app
        .get(
            Engineer,
            &format!("/api/v1/stock/movements?part_id={a}&limit=500"),
        )
        .await
        .expect(200);
    let moves = moves["items"].as_array().unwrap();
    let to_adjustment: i64 = moves
        .iter()
        .filter(|m| m["to"]["kind"] == "adjustment")
        .map(|m| m["quantity"].as_i64().unwrap())
        .sum();
    let from_adjustment: i64 = moves
        .iter()
        .filter(|m| m["from"]["kind"] == "adjustment")
        .map(|m| m["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!((to_adjustment, from_adjustment), (1, 2));
    let short_doc = moves
        .iter()
        .find(|m| m["to"]["kind"] == "adjustment")
        .unwrap()["document_id"]
        .clone();
    let doc = app
        .get(Engineer, &format!("/api/v1/stock/documents/{short_doc}"))
        .await
        .expect(200);
    assert_eq!(doc["doc_type"], "transfer_receipt");
    assert!(doc["reason"].as_str().unwrap().contains("short 1"), "{doc}");

    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/receive"),
            json!({"lines": [{"part_id": a, "excess": 1}]}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "received", &["close"]);
    let t = app
        .post_empty(Warehouse, &format!("/api/v1/transfers/{id}/close"))
        .await
        .expect(200);
    assert_eq!(t["status"], "closed");
    assert_eq!(t["allowed"], json!([]));
    for action in ["close", "cancel"] {
        let p = app
            .post_empty(Warehouse, &format!("/api/v1/transfers/{id}/{action}"))
            .await
            .expect_problem(409, "invalid_transition");
        refused(p, "closed", &[]);
    }
    let list = app
        .get(Engineer, "/api/v1/transfers?status=closed")
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.assert_verified().await;
}

async fn cancel_only_a_draft(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let id = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 1}]),
    )
    .await;
    let t = app
        .post_empty(Warehouse, &format!("/api/v1/transfers/{id}/cancel"))
        .await
        .expect(200);
    assert_eq!(t["status"], "cancelled");
    assert!(t["cancelled_at"].is_string());
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/ship"),
            ship_body(),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "cancelled", &[]);
    // Receiving a cancelled transfer: refused, nothing written.
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/receive"),
            json!({"lines": [{"part_id": a, "good": 1}]}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "cancelled", &[]);
    let p = app
        .post_empty(Warehouse, &format!("/api/v1/transfers/{id}/cancel"))
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "cancelled", &[]);
    assert_eq!(app.count("stock_documents").await, 0);
    assert_eq!(app.count("shipments").await, 0);
    app.post_empty(Warehouse, "/api/v1/transfers/999999/cancel")
        .await
        .expect_problem(404, "not_found");
    app.assert_verified().await;
}

async fn ship_refused_on_insufficient_stock_writes_nothing(app: TestApp) {
    let (n, id) = drafted(&app, 12.0, &[(0, 2), (1, 9)], &[(1, 4), (0, 5)]).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let (docs, moves) = (
        app.count("stock_documents").await,
        app.count("stock_movements").await,
    );
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/ship"),
            ship_body(),
        )
        .await
        .expect_problem(409, "insufficient_stock");
    assert!(p["detail"].as_str().unwrap().contains(&format!("part {a}")));
    assert_eq!(app.count("stock_documents").await, docs);
    assert_eq!(app.count("stock_movements").await, moves);
    assert_eq!(app.count("shipments").await, 0);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 2);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 9);
    let t = app
        .get(Engineer, &format!("/api/v1/transfers/{id}"))
        .await
        .expect(200);
    assert_eq!(t["status"], "draft");
    assert!(t["shipment"].is_null());
    // Once the stock is there, the same draft ships.
    stock_in(&app, &n, n.depot, json!([{"part_id": a, "quantity": 3}])).await;
    ship(&app, id).await;
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 0);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 5);
    app.assert_verified().await;
}

async fn ship_without_a_lane(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    stock_in(&app, &n, n.depot, json!([{"part_id": a, "quantity": 2}])).await;
    let id = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 2}]),
    )
    .await;
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/transfers/{id}/ship"),
            ship_body(),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "to_warehouse_id", "{p}");
    assert_eq!(app.count("stock_documents").await, 1);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 2);
    // An explicit estimate replaces the lane's.
    let eta = (Utc::now() + chrono::Duration::hours(50)).to_rfc3339();
    let mut body = ship_body();
    body["estimated_arrival_at"] = json!(eta);
    let t = app
        .post(Warehouse, &format!("/api/v1/transfers/{id}/ship"), body)
        .await
        .expect(200);
    assert_eq!(
        time(&t["shipment"]["estimated_arrival_at"]).timestamp(),
        time(&json!(eta)).timestamp()
    );
    app.assert_verified().await;
}

async fn in_transit_per_transfer_and_per_lane(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    lane(&app, n.depot, n.regional, 24.0).await;
    lane(&app, n.regional, n.depot, 24.0).await;
    stock_in(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 20}, {"part_id": b, "quantity": 20}]),
    )
    .await;
    stock_in(&app, &n, n.regional, json!([{"part_id": a, "quantity": 5}])).await;
    let t1 = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 4}, {"part_id": b, "quantity": 1}]),
    )
    .await;
    let t2 = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 3}]),
    )
    .await;
    let back = create(
        &app,
        n.regional,
        n.depot,
        json!([{"part_id": a, "quantity": 2}]),
    )
    .await;
    let draft = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 9}]),
    )
    .await;
    for id in [t1, t2, back] {
        ship(&app, id).await;
    }
    receive(&app, t2, json!([{"part_id": a, "good": 1}])).await;

    let r = app.get(Engineer, "/api/v1/in-transit").await.expect(200);
    let transfers = r["transfers"].as_array().unwrap();
    let ids: Vec<i64> = transfers
        .iter()
        .map(|t| t["transfer_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [t1, t2, back],
        "the draft {draft} has nothing in transit"
    );
    assert_eq!(transfers[0]["total"], 5);
    assert_eq!(
        transfers[1]["parts"],
        json!([{"part_id": a, "part_number": "P-A", "quantity": 2}])
    );
    assert!(transfers[1]["estimated_arrival_at"].is_string());
    let lanes = r["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 2);
    let forward = lanes
        .iter()
        .find(|l| l["from_warehouse_id"] == n.depot)
        .unwrap();
    assert_eq!(forward["transfers"], 2);
    assert_eq!(forward["total"], 7);
    assert_eq!(
        forward["parts"],
        json!([{"part_id": a, "part_number": "P-A", "quantity": 6},
            {"part_id": b, "part_number": "P-B", "quantity": 1}])
    );

    let r = app
        .get(
            Engineer,
            &format!(
                "/api/v1/in-transit?from_warehouse_id={}&to_warehouse_id={}",
                n.regional, n.depot
            ),
        )
        .await
        .expect(200);
    assert_eq!(r["lanes"].as_array().unwrap().len(), 1);
    assert_eq!(r["lanes"][0]["total"], 2);
    assert_eq!(r["transfers"][0]["transfer_id"], back);

    // Receiving everything empties the lane.
    receive(&app, back, json!([{"part_id": a, "good": 2}])).await;
    let r = app
        .get(
            Engineer,
            &format!("/api/v1/in-transit?from_warehouse_id={}", n.regional),
        )
        .await
        .expect(200);
    assert_eq!(r["lanes"], json!([]));
    assert_eq!(r["transfers"], json!([]));
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 20 - 4 - 3 + 2);
    app.assert_verified().await;
}

/// The shipment of a transfer is in transit exactly while the transfer has
/// units in transit: the receipt that accounts for the last unit delivers
/// it, dated by the first receipt, so `/in-transit`, the shipment list and
/// the on-time KPI agree.
async fn a_received_transfer_delivers_its_shipment(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    lane(&app, n.depot, n.regional, 24.0).await;
    stock_in(&app, &n, n.depot, json!([{"part_id": a, "quantity": 9}])).await;
    let partly = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 3}]),
    )
    .await;
    let whole = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 4}]),
    )
    .await;
    let partly_shipment = ship(&app, partly).await["shipment"]["id"].clone();
    let whole_shipment = ship(&app, whole).await["shipment"]["id"].clone();
    receive(&app, partly, json!([{"part_id": a, "good": 1}])).await;
    app.advance(chrono::Duration::hours(3));
    let before = app.now();
    receive(&app, whole, json!([{"part_id": a, "good": 2}])).await;
    let after = app.now();
    app.advance(chrono::Duration::hours(2));
    let t = receive(&app, whole, json!([{"part_id": a, "good": 1, "short": 1}])).await;
    assert_eq!(t["status"], "received");

    let s = &t["shipment"];
    assert_eq!(s["status"], "delivered", "{t}");
    let delivered = time(&s["delivered_at"]);
    assert!(
        before <= delivered && delivered <= after,
        "dated by the first receipt: {s}"
    );
    assert!(
        s["pod"]["receiver"]
            .as_str()
            .unwrap()
            .contains("goods receipt"),
        "{s}"
    );
    let in_transit = app
        .get(Engineer, "/api/v1/shipments?status=in_transit")
        .await
        .expect(200);
    let ids: Vec<&Value> = in_transit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(
        ids,
        [&partly_shipment],
        "only the partly received transfer's shipment is on the road"
    );
    let r = app.get(Engineer, "/api/v1/in-transit").await.expect(200);
    assert_eq!(r["transfers"].as_array().unwrap().len(), 1);
    assert_eq!(r["transfers"][0]["transfer_id"], partly);
    assert_ne!(whole_shipment, partly_shipment);
    let closed = app
        .post_empty(Warehouse, &format!("/api/v1/transfers/{whole}/close"))
        .await
        .expect(200);
    assert_eq!(closed["shipment"]["status"], "delivered");
    app.assert_verified().await;
}

async fn shipment_proof_of_delivery_and_customs(app: TestApp) {
    let (n, local) = drafted(&app, 8.0, &[(0, 4)], &[(0, 1)]).await;
    let a = n.parts[0];
    let sid = ship(&app, local).await["shipment"]["id"].as_i64().unwrap();

    let s = app
        .get(Engineer, &format!("/api/v1/shipments/{sid}"))
        .await
        .expect(200);
    assert_eq!(
        (s["status"].as_str(), s["mode"].as_str()),
        (Some("in_transit"), Some("local"))
    );
    assert!(s["pod"].is_null());
    // A local shipment has no customs leg.
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/shipments/{sid}/customs-cleared"),
            json!({}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "in_transit", &["deliver"]);
    // Delivered before it left: refused.
    app.post(
        Warehouse,
        &format!("/api/v1/shipments/{sid}/deliver"),
        json!({"receiver": "J. Smith", "delivered_at": "2020-01-01T00:00:00Z"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        Warehouse,
        &format!("/api/v1/shipments/{sid}/deliver"),
        json!({"receiver": "  "}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let s = app
        .post(
            Warehouse,
            &format!("/api/v1/shipments/{sid}/deliver"),
            json!({"receiver": "J. Smith", "note": "box dented"}),
        )
        .await
        .expect(200);
    assert_eq!(s["status"], "delivered");
    assert_eq!(s["pod"]["receiver"], "J. Smith");
    assert_eq!(s["pod"]["note"], "box dented");
    assert_eq!(s["late"], false);
    assert!(s["delivered_at"].is_string());
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/shipments/{sid}/deliver"),
            json!({"receiver": "Someone else"}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "delivered", &[]);

    // International: customs first, then delivery.
    let intl = create(
        &app,
        n.depot,
        n.regional,
        json!([{"part_id": a, "quantity": 1}]),
    )
    .await;
    let mut body = ship_body();
    body["mode"] = json!("international");
    let t = app
        .post(Warehouse, &format!("/api/v1/transfers/{intl}/ship"), body)
        .await
        .expect(200);
    let sid = t["shipment"]["id"].as_i64().unwrap();
    let p = app
        .post(
            Warehouse,
            &format!("/api/v1/shipments/{sid}/deliver"),
            json!({"receiver": "Customs broker"}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    refused(p, "in_transit, awaiting customs", &["customs-cleared"]);
    let s = app
        .post(
            Warehouse,
            &format!("/api/v1/shipments/{sid}/customs-cleared"),
            json!({}),
        )
        .await
        .expect(200);
    assert!(s["customs_cleared_at"].is_string());
    app.post(
        Warehouse,
        &format!("/api/v1/shipments/{sid}/customs-cleared"),
        json!({}),
    )
    .await
    .expect_problem(409, "invalid_transition");
    let s = app
        .post(
            Warehouse,
            &format!("/api/v1/shipments/{sid}/deliver"),
            json!({"receiver": "Regional dock"}),
        )
        .await
        .expect(200);
    assert_eq!(s["status"], "delivered");
    let list = app
        .get(
            Engineer,
            "/api/v1/shipments?status=delivered&mode=international",
        )
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], sid);
    let list = app
        .get(Engineer, "/api/v1/shipments?kind=transfer")
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    app.get(Engineer, "/api/v1/shipments?status=lost")
        .await
        .expect_problem(422, "validation_failed");
    app.get(Engineer, "/api/v1/shipments/999999")
        .await
        .expect_problem(404, "not_found");
    app.assert_verified().await;
}

async fn shipping_twice_with_one_key_posts_once(app: TestApp) {
    let (n, id) = drafted(&app, 8.0, &[(0, 4)], &[(0, 3)]).await;
    let a = n.parts[0];
    let req = ship_body();
    let path = &format!("/api/v1/transfers/{id}/ship");
    let (s1, b1, r1) = app.post_keyed(Warehouse, path, "ship-1", Some(&req)).await;
    let (s2, b2, r2) = app.post_keyed(Warehouse, path, "ship-1", Some(&req)).await;
    assert_eq!((s1, r1, s2, r2), (200, false, 200, true));
    assert_eq!(b1, b2);
    assert_eq!(app.count("shipments").await, 1);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 1);
    app.assert_verified().await;
}

async fn roles_for_transfers(app: TestApp) {
    let (n, id) = drafted(&app, 8.0, &[(0, 4)], &[(0, 1)]).await;
    let a = n.parts[0];
    let body = json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1}]});
    for role in [Engineer, Planner] {
        app.post(role, "/api/v1/transfers", body.clone())
            .await
            .expect_problem(403, "forbidden");
        app.post(role, &format!("/api/v1/transfers/{id}/ship"), ship_body())
            .await
            .expect_problem(403, "forbidden");
        app.post(
            role,
            &format!("/api/v1/transfers/{id}/receive"),
            json!({"lines": [{"part_id": a, "good": 1}]}),
        )
        .await
        .expect_problem(403, "forbidden");
        for action in ["close", "cancel"] {
            app.post_empty(role, &format!("/api/v1/transfers/{id}/{action}"))
                .await
                .expect_problem(403, "forbidden");
        }
    }
    // Admins act too; everyone reads.
    let t = app
        .post(Admin, &format!("/api/v1/transfers/{id}/ship"), ship_body())
        .await
        .expect(200);
    let sid = t["shipment"]["id"].as_i64().unwrap();
    for role in [Engineer, Planner] {
        app.post(
            role,
            &format!("/api/v1/shipments/{sid}/deliver"),
            json!({"receiver": "x"}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.post(
            role,
            &format!("/api/v1/shipments/{sid}/customs-cleared"),
            json!({}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.get(role, &format!("/api/v1/transfers/{id}"))
            .await
            .expect(200);
        app.get(role, "/api/v1/transfers").await.expect(200);
        app.get(role, "/api/v1/in-transit").await.expect(200);
        app.get(role, &format!("/api/v1/shipments/{sid}"))
            .await
            .expect(200);
    }
    app.send(reqwest::Method::GET, "/api/v1/in-transit", None, None)
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(app.count("transfers").await, 1);
    app.assert_verified().await;
}

async fn bad_input_writes_nothing(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let bad = [
        (
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
            "to_warehouse_id",
        ),
        (
            json!({"from_warehouse_id": 999999, "to_warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1}]}),
            "from_warehouse_id",
        ),
        (
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": 999999, "lines": [{"part_id": a, "quantity": 1}]}),
            "to_warehouse_id",
        ),
        (
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": [{"part_id": 999999, "quantity": 1}]}),
            "lines[0].part_id",
        ),
        (
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 0}]}),
            "lines[0].quantity",
        ),
        (
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1000001}]}),
            "lines[0].quantity",
        ),
        (
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1}, {"part_id": a, "quantity": 2}]}),
            "lines[1].part_id",
        ),
        (
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": []}),
            "lines",
        ),
    ];
    rejected(&app, Method::POST, Warehouse, "/api/v1/transfers", bad).await;
    // A deactivated warehouse is refused too.
    app.post_empty(
        Admin,
        &format!("/api/v1/warehouses/{}/deactivate", n.regional),
    )
    .await
    .expect(200);
    app.post(
        Warehouse,
        "/api/v1/transfers",
        json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "lines": [{"part_id": a, "quantity": 1}]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(app.count("transfers").await, 0);
    assert_eq!(app.count("transfer_lines").await, 0);
    assert_eq!(app.count("stock_documents").await, 0);
    app.get(Engineer, "/api/v1/transfers/999999")
        .await
        .expect_problem(404, "not_found");
    app.assert_verified().await;
}

async fn concurrent_ships_and_receipts_count_once(app: TestApp) {
    let (n, id) = drafted(&app, 8.0, &[(0, 10)], &[(0, 4)]).await;
    let a = n.parts[0];
    let post = |path: String, body: Value| {
        let client = app.client.clone();
        let url = format!("{}{}", app.base, path);
        let token = app.token(Warehouse).to_owned();
        tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        })
    };
    let ships: Vec<_> = (0..6)
        .map(|_| post(format!("/api/v1/transfers/{id}/ship"), ship_body()))
        .collect();
    let mut ok = 0;
    for t in ships {
        let (status, body) = t.await.unwrap();
        match status {
            200 => ok += 1,
            409 => assert_eq!(body["code"], "invalid_transition", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1, "one ship wins");
    assert_eq!(app.count("shipments").await, 1);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 6);

    // Eight receipts of one unit each race for four units.
    let receipts: Vec<_> = (0..8)
        .map(|_| {
            post(
                format!("/api/v1/transfers/{id}/receive"),
                json!({"lines": [{"part_id": a, "good": 1}]}),
            )
        })
        .collect();
    let mut ok = 0;
    for t in receipts {
        let (status, body) = t.await.unwrap();
        match status {
            200 => ok += 1,
            409 | 422 => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 4, "every unit received exactly once");
    let t = app
        .get(Engineer, &format!("/api/v1/transfers/{id}"))
        .await
        .expect(200);
    assert_eq!(t["status"], "received");
    assert_eq!(line(&t, a)["received_good"], 4);
    assert_eq!(on_hand(&app, a, n.regional, "good").await, 4);
    app.assert_verified().await;
}

async fn flow_documents_are_not_reversed_directly(app: TestApp) {
    let (n, id) = drafted(&app, 8.0, &[(0, 3)], &[(0, 3)]).await;
    let a = n.parts[0];
    let doc = ship(&app, id).await["ship_document_id"].as_i64().unwrap();
    // The transfer owns its shipment document: undoing it behind the
    // transfer's back would leave the transfer waiting for stock that is gone.
    let docs = app.count("stock_documents").await;
    let refused = app
        .post(
            Warehouse,
            &format!("/api/v1/stock/documents/{doc}/reverse"),
            json!({"reason": "shipped by mistake"}),
        )
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused["current_state"], "transfer_shipment");
    assert_eq!(app.count("stock_documents").await, docs);
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{id}/receive"),
        json!({"lines": [{"part_id": a, "good": 3}]}),
    )
    .await
    .expect(200);
    assert_eq!(on_hand(&app, a, n.regional, "good").await, 3);
    app.assert_verified().await;
}
