//! Purchasing and replenishment over HTTP: purchase orders through every
//! state, refused transitions, over-receipts, stock levels, suggestions
//! from on-hand / on-order / in-transit / reserved, suggestions turned into orders,
//! roles and bad input, on both backends.
use chrono::{DateTime, Duration, Utc};
use entities::vocabulary::Role::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::{ids, level};
use crate::common::fixtures::{Network, network};
use crate::common::{Resp, TestApp};

both_backends!(
    a_purchase_order_is_received_in_parts,
    refused_transitions_and_over_receipts_change_nothing,
    receipts_are_exactly_once_with_a_key,
    concurrent_receipts_and_a_cancel_never_over_receive,
    stock_levels_are_set_and_listed,
    suggestions_from_on_hand_on_order_in_transit_and_reserved,
    roles_for_purchasing,
    bad_orders_write_nothing,
);

const ORDERS: &str = "/api/v1/purchase-orders";

async fn create_order(app: &TestApp, n: &Network, warehouse: i64, lines: Value) -> Value {
    app.post(
        Planner,
        ORDERS,
        json!({"vendor_id": n.supplier, "warehouse_id": warehouse, "reference": "SUP-4711",
            "expected_at": "2026-12-24T10:00:00Z", "lines": lines}),
    )
    .await
    .expect(201)
}

async fn receive(app: &TestApp, order: i64, lines: Value) -> Resp {
    app.post(
        Warehouse,
        &format!("{ORDERS}/{order}/receive"),
        json!({"reference": "DN-1", "lines": lines}),
    )
    .await
}

async fn a_purchase_order_is_received_in_parts(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let po = create_order(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 10, "unit_price": "9.75"}, {"part_id": b, "quantity": 2}]),
    )
    .await;
    let id = po["id"].as_i64().unwrap();
    assert_eq!(po["status"], "open");
    assert_eq!(po["allowed_next"], json!(["receive", "cancel"]));
    assert_eq!(po["vendor_id"], n.supplier);
    assert_eq!(po["warehouse_id"], n.depot);
    assert_eq!(po["reference"], "SUP-4711");
    let expected: DateTime<Utc> = po["expected_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expected,
        "2026-12-24T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(po["lines"][0]["unit_price"], "9.75");
    assert_eq!(po["lines"][0]["line_value"], "97.5");
    assert_eq!(po["lines"][1]["unit_price"], "200", "the part's unit cost");
    assert_eq!(po["lines"][1]["outstanding_qty"], 2);
    assert!(po["closed_at"].is_null());
    assert_eq!(
        level(&app, a, n.depot, "good").await,
        (0, 0, 0),
        "ordering moves nothing"
    );

    let first = receive(&app, id, json!([{"part_id": a, "quantity": 4}]))
        .await
        .expect(201);
    let order = &first["purchase_order"];
    assert_eq!(order["status"], "partially_received");
    assert_eq!(order["allowed_next"], json!(["receive"]));
    assert_eq!(order["lines"][0]["received_qty"], 4);
    assert_eq!(order["lines"][0]["outstanding_qty"], 6);
    let doc = &first["document"];
    assert_eq!(doc["doc_type"], "purchase_receipt");
    assert_eq!(doc["counterparty"], "purchase_order");
    assert_eq!(doc["counterparty_id"], id);
    assert_eq!(doc["reference"], "DN-1");
    let m = &doc["movements"][0];
    assert_eq!(m["movement_type"], "purchase_receipt");
    assert_eq!(m["from"]["kind"], "supplier");
    assert_eq!(m["from"]["id"], n.supplier);
    assert_eq!(m["to"]["kind"], "warehouse");
    assert_eq!(m["to"]["id"], n.depot);
    assert_eq!(m["quantity"], 4);
    assert_eq!(level(&app, a, n.depot, "good").await, (4, 0, 4));

    let second = receive(
        &app,
        id,
        json!([{"part_id": a, "quantity": 6}, {"part_id": b, "quantity": 2, "condition": "quarantined"}]),
    )
    .await
    .expect(201);
    let order = &second["purchase_order"];
    assert_eq!(order["status"], "received");
    assert_eq!(order["allowed_next"], json!([]));
    assert!(order["closed_at"].is_string());
    assert_eq!(
        order["receipt_document_ids"],
        json!([first["document"]["id"], second["document"]["id"]])
    );
    assert_eq!(level(&app, a, n.depot, "good").await, (10, 0, 10));
    assert_eq!(level(&app, b, n.depot, "quarantined").await, (2, 0, 2));
    assert_eq!(level(&app, b, n.depot, "good").await, (0, 0, 0));

    let fetched = app
        .get(Engineer, &format!("{ORDERS}/{id}"))
        .await
        .expect(200);
    assert_eq!(&fetched, order);

    // Lists and their filters.
    let other = create_order(
        &app,
        &n,
        n.regional,
        json!([{"part_id": n.parts[2], "quantity": 1}]),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let all = app.get(Engineer, ORDERS).await.expect(200);
    assert_eq!(ids(&all), [id, other]);
    for (query, want) in [
        ("status=received".to_owned(), vec![id]),
        ("status=open".to_owned(), vec![other]),
        (format!("warehouse_id={}", n.regional), vec![other]),
        (format!("vendor_id={}", n.supplier), vec![id, other]),
        (format!("part_id={b}"), vec![id]),
        (format!("part_id={}", n.parts[2]), vec![other]),
    ] {
        let page = app
            .get(Engineer, &format!("{ORDERS}?{query}"))
            .await
            .expect(200);
        assert_eq!(ids(&page), want, "{query}");
    }
    let first_page = app
        .get(Engineer, &format!("{ORDERS}?limit=1"))
        .await
        .expect(200);
    assert_eq!(ids(&first_page), [id]);
    assert_eq!(first_page["next_after"], id);
    app.assert_verified().await;
}

async fn refused_transitions_and_over_receipts_change_nothing(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let id = create_order(&app, &n, n.depot, json!([{"part_id": a, "quantity": 5}])).await["id"]
        .as_i64()
        .unwrap();

    let over = receive(&app, id, json!([{"part_id": a, "quantity": 6}]))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&over), ["lines[0].quantity"]);
    assert!(
        over["detail"]
            .as_str()
            .unwrap()
            .contains("only 5 of 5 ordered are outstanding"),
        "{over}"
    );
    let stranger = receive(&app, id, json!([{"part_id": b, "quantity": 1}]))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&stranger), ["lines[0].part_id"]);
    assert_eq!(app.count("stock_documents").await, 0);
    assert_eq!(app.count("stock_movements").await, 0);
    let po = app
        .get(Planner, &format!("{ORDERS}/{id}"))
        .await
        .expect(200);
    assert_eq!(
        (
            po["status"].as_str(),
            po["lines"][0]["received_qty"].as_i64()
        ),
        (Some("open"), Some(0))
    );

    receive(&app, id, json!([{"part_id": a, "quantity": 2}]))
        .await
        .expect(201);
    let refused = app
        .post_empty(Planner, &format!("{ORDERS}/{id}/cancel"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused["current_state"], "partially_received");
    assert_eq!(refused["allowed_next"], json!(["receive"]));
    // A second receipt over the outstanding 3 is refused whole.
    let over = receive(&app, id, json!([{"part_id": a, "quantity": 4}]))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&over), ["lines[0].quantity"]);
    assert_eq!(app.count("stock_documents").await, 1);
    assert_eq!(level(&app, a, n.depot, "good").await, (2, 0, 2));

    // A cancelled order takes no deliveries.
    let other = create_order(&app, &n, n.depot, json!([{"part_id": b, "quantity": 1}])).await["id"]
        .as_i64()
        .unwrap();
    let cancelled = app
        .post_empty(Planner, &format!("{ORDERS}/{other}/cancel"))
        .await
        .expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["allowed_next"], json!([]));
    assert!(cancelled["closed_at"].is_string());
    let refused = receive(&app, other, json!([{"part_id": b, "quantity": 1}]))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused["current_state"], "cancelled");
    assert_eq!(refused["allowed_next"], json!([]));
    app.post_empty(Planner, &format!("{ORDERS}/{other}/cancel"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(level(&app, b, n.depot, "good").await, (0, 0, 0));

    // A received order takes no more.
    receive(&app, id, json!([{"part_id": a, "quantity": 3}]))
        .await
        .expect(201);
    let done = receive(&app, id, json!([{"part_id": a, "quantity": 1}]))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(done["current_state"], "received");
    app.post_empty(Planner, &format!("{ORDERS}/{id}/cancel"))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(level(&app, a, n.depot, "good").await, (5, 0, 5));

    app.get(Planner, &format!("{ORDERS}/999999"))
        .await
        .expect_problem(404, "not_found");
    receive(&app, 999_999, json!([{"part_id": a, "quantity": 1}]))
        .await
        .expect_problem(404, "not_found");
    app.assert_verified().await;
}

async fn receipts_are_exactly_once_with_a_key(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let id = create_order(&app, &n, n.depot, json!([{"part_id": a, "quantity": 5}])).await["id"]
        .as_i64()
        .unwrap();
    let body = json!({"lines": [{"part_id": a, "quantity": 3}]});
    let mut answers = Vec::new();
    for _ in 0..2 {
        let path = format!("{ORDERS}/{id}/receive");
        let (status, answer, replayed) = app
            .post_keyed(Warehouse, &path, "po-receipt-1", Some(&body))
            .await;
        answers.push((status, replayed, answer));
    }
    assert_eq!((answers[0].0, answers[0].1), (201, false));
    assert_eq!((answers[1].0, answers[1].1), (201, true));
    assert_eq!(answers[0].2, answers[1].2);
    assert_eq!(answers[0].2["document"]["reference"], format!("PO {id}"));
    assert_eq!(app.count("stock_documents").await, 1);
    assert_eq!(level(&app, a, n.depot, "good").await, (3, 0, 3));
    let po = app
        .get(Planner, &format!("{ORDERS}/{id}"))
        .await
        .expect(200);
    assert_eq!(po["lines"][0]["received_qty"], 3);
    app.assert_verified().await;
}

async fn concurrent_receipts_and_a_cancel_never_over_receive(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let id = create_order(&app, &n, n.depot, json!([{"part_id": a, "quantity": 5}])).await["id"]
        .as_i64()
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..13 {
        let client = app.client.clone();
        let base = app.base.clone();
        // One planner tries to cancel while twelve deliveries of one unit arrive.
        let (role, path, body) = if i == 6 {
            (Planner, format!("{ORDERS}/{id}/cancel"), None)
        } else {
            (
                Warehouse,
                format!("{ORDERS}/{id}/receive"),
                Some(json!({"lines": [{"part_id": a, "quantity": 1}]})),
            )
        };
        let token = app.token(role).to_owned();
        tasks.push(tokio::spawn(async move {
            let mut req = client.post(format!("{base}{path}")).bearer_auth(token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            (i == 6, req.send().await.unwrap().status().as_u16())
        }));
    }
    let (mut received, mut refused, mut cancelled) = (0, 0, false);
    for t in tasks {
        match t.await.unwrap() {
            (true, 200) => cancelled = true,
            (true, 409) => {}
            (false, 201) => received += 1,
            (false, 409 | 422) => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let po = app
        .get(Planner, &format!("{ORDERS}/{id}"))
        .await
        .expect(200);
    let docs = app.count("stock_documents").await;
    if cancelled {
        // The cancel won before any receipt: nothing may be received after it.
        assert_eq!((received, refused), (0, 12));
        assert_eq!(po["status"], "cancelled");
        assert_eq!(po["lines"][0]["received_qty"], 0);
        assert_eq!(docs, 0);
        assert_eq!(level(&app, a, n.depot, "good").await, (0, 0, 0));
    } else {
        assert_eq!(
            (received, refused),
            (5, 7),
            "exactly what was ordered arrives"
        );
        assert_eq!(po["status"], "received");
        assert_eq!(po["lines"][0]["received_qty"], 5);
        assert_eq!(docs, 5);
        assert_eq!(level(&app, a, n.depot, "good").await, (5, 0, 5));
    }
    app.assert_verified().await;
}

async fn stock_levels_are_set_and_listed(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let path = format!("/api/v1/stock-levels/{}/{a}", n.regional);
    let set = app
        .put(Planner, &path, json!({"reorder_point": 2, "max_level": 6}))
        .await
        .expect(200);
    assert_eq!(
        (
            set["part_id"].as_i64(),
            set["warehouse_id"].as_i64(),
            set["reorder_point"].as_i64(),
            set["max_level"].as_i64()
        ),
        (Some(a), Some(n.regional), Some(2), Some(6))
    );
    assert_eq!(set["source"], "manual");
    let changed = app
        .put(
            Admin,
            &path,
            json!({"reorder_point": 3, "max_level": 3, "source": "plan"}),
        )
        .await
        .expect(200);
    assert_eq!(changed["id"], set["id"], "one level per part and warehouse");
    assert_eq!(
        (
            changed["reorder_point"].as_i64(),
            changed["max_level"].as_i64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(changed["source"], "plan");
    app.put(
        Planner,
        &format!("/api/v1/stock-levels/{}/{b}", n.regional),
        json!({"reorder_point": 0, "max_level": 1}),
    )
    .await
    .expect(200);
    app.put(
        Planner,
        &format!("/api/v1/stock-levels/{}/{a}", n.depot),
        json!({"reorder_point": 10, "max_level": 40}),
    )
    .await
    .expect(200);
    assert_eq!(app.count("stock_levels").await, 3);

    let by_warehouse = app
        .get(
            Engineer,
            &format!("/api/v1/stock-levels?warehouse_id={}", n.regional),
        )
        .await
        .expect(200);
    let parts: Vec<i64> = by_warehouse["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["part_id"].as_i64().unwrap())
        .collect();
    assert_eq!(parts, [a, b]);
    let by_part = app
        .get(Engineer, &format!("/api/v1/stock-levels?part_id={a}"))
        .await
        .expect(200);
    let warehouses: Vec<i64> = by_part["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["warehouse_id"].as_i64().unwrap())
        .collect();
    assert_eq!(warehouses, [n.regional, n.depot]);

    // Bad levels change nothing.
    for (body, field) in [
        (json!({"reorder_point": 5, "max_level": 4}), "max_level"),
        (
            json!({"reorder_point": -1, "max_level": 4}),
            "reorder_point",
        ),
        (
            json!({"reorder_point": 1, "max_level": 2000000}),
            "max_level",
        ),
        (json!({"reorder_point": 1}), "max_level"),
        (
            json!({"reorder_point": 1, "max_level": 2, "colour": "red"}),
            "colour",
        ),
        (
            json!({"reorder_point": 1, "max_level": 2, "source": "guess"}),
            "source",
        ),
    ] {
        let problem = app
            .put(Planner, &path, body.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&problem).contains(&field.to_owned()),
            "{body}: {problem}"
        );
    }
    let problem = app
        .put(
            Planner,
            &format!("/api/v1/stock-levels/999999/{a}"),
            json!({"reorder_point": 1, "max_level": 2}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&problem), ["warehouse_id"]);
    let problem = app
        .put(
            Planner,
            &format!("/api/v1/stock-levels/{}/999999", n.depot),
            json!({"reorder_point": 1, "max_level": 2}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&problem), ["part_id"]);
    app.put(
        Planner,
        "/api/v1/stock-levels/x/1",
        json!({"reorder_point": 1, "max_level": 2}),
    )
    .await
    .expect_problem(400, "bad_parameter");
    app.put(
        Warehouse,
        &path,
        json!({"reorder_point": 1, "max_level": 2}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.put(Engineer, &path, json!({"reorder_point": 1, "max_level": 2}))
        .await
        .expect_problem(403, "forbidden");
    assert_eq!(app.count("stock_levels").await, 3);
    let still = app
        .get(
            Engineer,
            &format!(
                "/api/v1/stock-levels?warehouse_id={}&part_id={a}",
                n.regional
            ),
        )
        .await
        .expect(200);
    assert_eq!(still["items"][0]["reorder_point"], 3);
}

async fn suggestions_from_on_hand_on_order_in_transit_and_reserved(app: TestApp) {
    let n = network(&app).await;
    let (a, b, c) = (n.parts[0], n.parts[1], n.parts[2]);
    let reg = n.regional;
    for (part, rop, max) in [(a, 5, 12), (b, 2, 4), (c, 3, 10)] {
        app.put(
            Planner,
            &format!("/api/v1/stock-levels/{reg}/{part}"),
            json!({"reorder_point": rop, "max_level": max}),
        )
        .await
        .expect(200);
    }
    // On hand at the regional warehouse: A 3 + 1 received on an order, C 8.
    app.post(Warehouse, "/api/v1/stock/receipts", json!({"warehouse_id": reg, "source": "supplier",
        "source_id": n.supplier, "lines": [{"part_id": a, "quantity": 3}, {"part_id": c, "quantity": 8}]}))
        .await
        .expect(201);
    let po = create_order(&app, &n, reg, json!([{"part_id": a, "quantity": 4}])).await["id"]
        .as_i64()
        .unwrap();
    receive(&app, po, json!([{"part_id": a, "quantity": 1}]))
        .await
        .expect(201);
    // Two of A are held for a ticket.
    app.post(
        Warehouse,
        "/api/v1/stock/reservations",
        json!({"warehouse_id": reg, "part_id": a, "quantity": 2}),
    )
    .await
    .expect(201);
    // Neither counts for the regional warehouse: an order to the depot, a cancelled order.
    create_order(&app, &n, n.depot, json!([{"part_id": a, "quantity": 50}])).await;
    let cancelled = create_order(&app, &n, reg, json!([{"part_id": b, "quantity": 9}])).await["id"]
        .as_i64()
        .unwrap();
    app.post_empty(Planner, &format!("{ORDERS}/{cancelled}/cancel"))
        .await
        .expect(200);
    // Damaged stock of B at the regional warehouse is not on hand for planning.
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": reg, "source": "other",
        "lines": [{"part_id": b, "quantity": 7, "condition": "defective"}]}),
    )
    .await
    .expect(201);
    // The depot (the regional's parent) has B: 5 on hand, 1 reserved.
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.depot, "source": "supplier",
        "source_id": n.supplier, "lines": [{"part_id": b, "quantity": 5}]}),
    )
    .await
    .expect(201);
    app.post(
        Warehouse,
        "/api/v1/stock/reservations",
        json!({"warehouse_id": n.depot, "part_id": b, "quantity": 1}),
    )
    .await
    .expect(201);
    // Two of the depot's B are shipped to the regional warehouse; one has arrived.
    app.post(
        Admin,
        "/api/v1/lanes",
        json!({"from_warehouse_id": n.depot, "to_warehouse_id": reg, "transit_hours": 24.0, "cost": "50.00"}),
    )
    .await
    .expect(201);
    let transfer = app
        .post(
            Warehouse,
            "/api/v1/transfers",
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": reg, "lines": [{"part_id": b, "quantity": 2}]}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{transfer}/ship"),
        json!({"carrier": "DHL", "tracking_ref": "JD0001", "mode": "local", "cost": "18.00", "currency": "EUR"}),
    )
    .await
    .expect(200);
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{transfer}/receive"),
        json!({"lines": [{"part_id": b, "good": 1}]}),
    )
    .await
    .expect(200);

    let s = app
        .get(
            Engineer,
            &format!("/api/v1/replenishment/suggestions?warehouse_id={reg}"),
        )
        .await
        .expect(200);
    assert_eq!(s["warehouse_id"], reg);
    assert_eq!(s["parent_id"], n.depot);
    let rows = s["suggestions"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "C at 8 is above its reorder point 3: {s}");
    // A: 4 on hand + 3 on order + 0 in transit - 2 reserved = 5 <= 5, up to 12.
    assert_eq!(
        rows[0],
        json!({"part_id": a, "part_number": "P-A", "reorder_point": 5, "max_level": 12,
            "on_hand": 4, "on_order": 3, "in_transit": 0, "reserved": 2, "backorders": 0,
            "inventory_position": 5, "quantity": 7,
            "source": {"kind": "purchase", "warehouse_id": null, "warehouse_code": null,
                "available": null, "vendor_id": n.supplier, "vendor_code": "SUP"}})
    );
    // B: 1 good on hand + 1 in transit = 2 <= 2, up to 4; the depot has
    // 5 - 2 shipped - 1 reserved = 2 available.
    assert_eq!(
        rows[1],
        json!({"part_id": b, "part_number": "P-B", "reorder_point": 2, "max_level": 4,
            "on_hand": 1, "on_order": 0, "in_transit": 1, "reserved": 0, "backorders": 0,
            "inventory_position": 2, "quantity": 2,
            "source": {"kind": "transfer", "warehouse_id": n.depot, "warehouse_code": "DEP",
                "available": 2, "vendor_id": null, "vendor_code": null}})
    );

    // The planner buys the suggested A.
    let order = app
        .post(
            Planner,
            "/api/v1/replenishment/orders",
            json!({"warehouse_id": reg, "lines": [{"part_id": a, "quantity": 7}]}),
        )
        .await
        .expect(201);
    assert_eq!(order["status"], "open");
    assert_eq!(order["vendor_id"], n.supplier);
    assert_eq!(order["warehouse_id"], reg);
    assert_eq!(order["lines"][0]["quantity"], 7);
    assert_eq!(
        order["lines"][0]["unit_price"], "10.5",
        "the part's unit cost"
    );
    let expected: DateTime<Utc> = order["expected_at"].as_str().unwrap().parse().unwrap();
    let lead = expected - Utc::now();
    assert!(
        lead > Duration::days(29) && lead <= Duration::days(30),
        "30 days of lead time: {lead}"
    );

    // A's position is now 12: only B is left to replenish.
    let s = app
        .get(
            Planner,
            &format!("/api/v1/replenishment/suggestions?warehouse_id={reg}"),
        )
        .await
        .expect(200);
    let left: Vec<i64> = s["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["part_id"].as_i64().unwrap())
        .collect();
    assert_eq!(left, [b]);

    // A deactivated part is not replenished any more.
    app.post_empty(Admin, &format!("/api/v1/parts/{b}/deactivate"))
        .await
        .expect(200);
    let s = app
        .get(
            Planner,
            &format!("/api/v1/replenishment/suggestions?warehouse_id={reg}"),
        )
        .await
        .expect(200);
    assert_eq!(s["suggestions"], json!([]));

    // The depot has no parent and no levels: nothing to suggest.
    let s = app
        .get(
            Planner,
            &format!("/api/v1/replenishment/suggestions?warehouse_id={}", n.depot),
        )
        .await
        .expect(200);
    assert_eq!(s["suggestions"], json!([]));
    assert!(s["parent_id"].is_null());

    // Buying to plan needs a stock level; an unknown warehouse is refused.
    let orders_before = app.count("purchase_orders").await;
    let problem = app
        .post(Planner, "/api/v1/replenishment/orders", json!({"warehouse_id": n.depot, "vendor_id": n.supplier, "lines": [{"part_id": c, "quantity": 1}]}))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&problem), ["lines[0].part_id"]);
    app.get(
        Planner,
        "/api/v1/replenishment/suggestions?warehouse_id=999999",
    )
    .await
    .expect_problem(422, "validation_failed");
    let problem = app
        .get(Planner, "/api/v1/replenishment/suggestions")
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(Resp::fields(&problem), ["warehouse_id"]);
    app.post(
        Warehouse,
        "/api/v1/replenishment/orders",
        json!({"warehouse_id": reg, "lines": [{"part_id": a, "quantity": 1}]}),
    )
    .await
    .expect_problem(403, "forbidden");
    assert_eq!(app.count("purchase_orders").await, orders_before);
    app.assert_verified().await;
}

async fn roles_for_purchasing(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    let body = json!({"vendor_id": n.supplier, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 2}]});
    for role in [Warehouse, Engineer] {
        app.post(role, ORDERS, body.clone())
            .await
            .expect_problem(403, "forbidden");
    }
    assert_eq!(app.count("purchase_orders").await, 0);
    let id = app.post(Admin, ORDERS, body).await.expect(201)["id"]
        .as_i64()
        .unwrap();
    let receipt = json!({"lines": [{"part_id": a, "quantity": 1}]});
    for role in [Planner, Engineer] {
        app.post(role, &format!("{ORDERS}/{id}/receive"), receipt.clone())
            .await
            .expect_problem(403, "forbidden");
    }
    for role in [Warehouse, Engineer] {
        app.post_empty(role, &format!("{ORDERS}/{id}/cancel"))
            .await
            .expect_problem(403, "forbidden");
    }
    assert_eq!(app.count("stock_documents").await, 0);
    for role in [Admin, Planner, Warehouse, Engineer] {
        app.get(role, &format!("{ORDERS}/{id}")).await.expect(200);
        app.get(role, ORDERS).await.expect(200);
        app.get(role, "/api/v1/stock-levels").await.expect(200);
    }
    // Schema names do not collide with the stock ledger's in the document.
    let spec = app
        .send(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    let schemas = &spec["components"]["schemas"];
    assert!(schemas["StockLevel"]["properties"]["on_hand"].is_object());
    assert!(schemas["ReorderLevel"]["properties"]["reorder_point"].is_object());
    assert!(schemas["PurchaseReceiveRequest"]["properties"]["lines"].is_object());
    for path in [
        "/api/v1/purchase-orders/{id}/receive",
        "/api/v1/stock-levels/{warehouse_id}/{part_id}",
        "/api/v1/replenishment/suggestions",
        "/api/v1/replenishment/orders",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} documented");
    }
    app.send(reqwest::Method::GET, ORDERS, None, None)
        .await
        .expect_problem(401, "unauthorized");
    app.post(Admin, &format!("{ORDERS}/{id}/receive"), receipt)
        .await
        .expect(201);
    app.assert_verified().await;
}

async fn bad_orders_write_nothing(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let repair = app
        .post(
            Admin,
            "/api/v1/vendors",
            json!({"code": "REP", "name": "Repair shop", "kind": "repair",
            "lead_time_days": 5, "repair_turnaround_days": 14}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let retired = app
        .post(
            Admin,
            "/api/v1/vendors",
            json!({"code": "OLD", "name": "Old supplier", "kind": "supplier", "lead_time_days": 5}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.post_empty(Admin, &format!("/api/v1/vendors/{retired}/deactivate"))
        .await
        .expect(200);
    let good =
        |lines: Value| json!({"vendor_id": n.supplier, "warehouse_id": n.depot, "lines": lines});
    let cases = [
        (
            json!({"vendor_id": 999999, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
            "vendor_id",
        ),
        (
            json!({"vendor_id": repair, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
            "vendor_id",
        ),
        (
            json!({"vendor_id": retired, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
            "vendor_id",
        ),
        (
            json!({"vendor_id": n.supplier, "warehouse_id": 999999, "lines": [{"part_id": a, "quantity": 1}]}),
            "warehouse_id",
        ),
        (
            good(json!([{"part_id": 999999, "quantity": 1}])),
            "lines[0].part_id",
        ),
        (
            good(json!([{"part_id": a, "quantity": 1}, {"part_id": a, "quantity": 2}])),
            "lines[1].part_id",
        ),
        (
            good(json!([{"part_id": a, "quantity": 0}])),
            "lines[0].quantity",
        ),
        (
            good(json!([{"part_id": a, "quantity": 1000001}])),
            "lines[0].quantity",
        ),
        (good(json!([])), "lines"),
        (
            good(json!([{"part_id": a, "quantity": 1, "unit_price": "-1"}])),
            "lines[0].unit_price",
        ),
        (
            good(json!([{"part_id": a, "quantity": 1, "unit_price": 12.5}])),
            "lines[0].unit_price",
        ),
        (
            good(json!([{"part_id": a, "quantity": 1, "unit_price": "1.1234567"}])),
            "lines[0].unit_price",
        ),
        (
            good(json!([{"part_id": a, "quantity": 1.5}])),
            "lines[0].quantity",
        ),
        (
            json!({"vendor_id": n.supplier, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}], "reference": "x".repeat(201)}),
            "reference",
        ),
        (
            json!({"vendor_id": n.supplier, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}], "expected_at": "soon"}),
            "expected_at",
        ),
        (
            json!({"vendor_id": n.supplier, "warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}], "status": "received"}),
            "status",
        ),
        (
            json!({"warehouse_id": n.depot, "lines": [{"part_id": a, "quantity": 1}]}),
            "vendor_id",
        ),
    ];
    for (body, field) in cases {
        let problem = app
            .post(Planner, ORDERS, body.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&problem).contains(&field.to_owned()),
            "{body}: {problem}"
        );
    }
    app.send_raw(
        reqwest::Method::POST,
        ORDERS,
        Planner,
        "application/json",
        b"{not json".to_vec(),
    )
    .await
    .expect_problem(400, "malformed_json");
    assert_eq!(app.count("purchase_orders").await, 0);
    assert_eq!(app.count("purchase_order_lines").await, 0);

    // Bad receipts of a good order change nothing either.
    let id = create_order(
        &app,
        &n,
        n.depot,
        json!([{"part_id": a, "quantity": 3}, {"part_id": b, "quantity": 3}]),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    for (lines, field) in [
        (json!([]), "lines"),
        (json!([{"part_id": a, "quantity": 0}]), "lines[0].quantity"),
        (
            json!([{"part_id": a, "quantity": 1}, {"part_id": a, "quantity": 1}]),
            "lines[1].part_id",
        ),
        (
            json!([{"part_id": a, "quantity": 1}, {"part_id": b, "quantity": 4}]),
            "lines[1].quantity",
        ),
        (
            json!([{"part_id": a, "quantity": 1, "condition": "broken"}]),
            "lines[0].condition",
        ),
    ] {
        let problem = receive(&app, id, lines.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&problem).contains(&field.to_owned()),
            "{lines}: {problem}"
        );
    }
    assert_eq!(app.count("stock_documents").await, 0);
    assert_eq!(app.count("stock_balances").await, 0);
    let po = app
        .get(Planner, &format!("{ORDERS}/{id}"))
        .await
        .expect(200);
    assert_eq!(po["status"], "open");
    assert_eq!(po["lines"][0]["received_qty"], 0);
    assert_eq!(po["lines"][1]["received_qty"], 0);
    app.assert_verified().await;
}
