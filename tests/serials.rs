//! Serial numbers over HTTP: every movement of a
//! serialized part names its units; each unit's place, condition and
//! history can be read; a unit is never in two places and never moves from
//! where it is not, whatever the flow and under concurrency, on both
//! backends.
use entities::vocabulary::Role::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::fixtures::{Network, network, repair_vendor, serial_unit};
use crate::common::{TestApp, race};

both_backends!(
    units_are_tracked_through_every_flow,
    serial_refusals_change_nothing,
    one_unit_cannot_leave_twice_at_once,
    stocktakes_count_serialized_parts_by_unit,
    a_failed_serial_must_be_the_unit_at_the_site,
    a_request_shows_the_units_set_aside_for_it,
);

/// A serialized repairable part.
async fn serialized_part(app: &TestApp, number: &str) -> i64 {
    app.post(
        Admin,
        "/api/v1/parts",
        json!({"part_number": number, "unit_cost": "1500", "kind": "repairable",
               "serialized": true, "repair_turnaround_days": 10}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

async fn receive_units(app: &TestApp, n: &Network, part: i64, serials: &[&str]) -> Value {
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.depot, "source": "supplier", "source_id": n.supplier,
               "lines": [{"part_id": part, "quantity": serials.len(), "serials": serials}]}),
    )
    .await
    .expect(201)
}

/// Where the unit is: `kind:id:condition`.
async fn place(app: &TestApp, part: i64, serial: &str) -> String {
    let u = serial_unit(app, part, serial).await;
    format!(
        "{}:{}:{}",
        u["location"]["kind"].as_str().unwrap(),
        u["location"]["id"],
        u["condition"].as_str().unwrap()
    )
}

async fn history(app: &TestApp, part: i64, serial: &str) -> Value {
    let id = serial_unit(app, part, serial).await["id"].as_i64().unwrap();
    app.get(Engineer, &format!("/api/v1/serials/{id}"))
        .await
        .expect(200)
}

fn document_types(h: &Value) -> Vec<String> {
    h["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["document_type"].as_str().unwrap().to_owned())
        .collect()
}

async fn units_are_tracked_through_every_flow(app: TestApp) {
    let n = network(&app).await;
    let p = serialized_part(&app, "RRU-4402").await;
    let receipt = receive_units(&app, &n, p, &["SN-1", "SN-2", "SN-3", "SN-4"]).await;
    let mut named: Vec<&str> = receipt["movements"][0]["serials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    named.sort();
    assert_eq!(named, ["SN-1", "SN-2", "SN-3", "SN-4"]);
    assert_eq!(
        place(&app, p, "SN-1").await,
        format!("warehouse:{}:good", n.depot)
    );

    // Transfer three units; one arrives damaged, one never arrives.
    let t = app
        .post(
            Warehouse,
            "/api/v1/transfers",
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional,
                   "lines": [{"part_id": p, "quantity": 3, "serials": ["SN-1", "SN-2", "SN-3"]}]}),
        )
        .await
        .expect(201);
    let tid = t["id"].as_i64().unwrap();
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{tid}/ship"),
        json!({"carrier": "DHL", "cost": "40", "estimated_arrival_at": "2030-01-01T00:00:00Z"}),
    )
    .await
    .expect(200);
    assert_eq!(
        place(&app, p, "SN-2").await,
        format!("in_transit:{tid}:good")
    );
    // Receiving a unit that is not on this transfer is refused whole.
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{tid}/receive"),
        json!({"lines": [{"part_id": p, "good": 1, "good_serials": ["SN-4"]}]}),
    )
    .await
    .expect_problem(409, "serial_elsewhere");
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{tid}/receive"),
        json!({"lines": [{"part_id": p, "good": 1, "good_serials": ["SN-1"],
                           "damaged": 1, "damaged_serials": ["SN-2"],
                           "short": 1, "short_serials": ["SN-3"]}]}),
    )
    .await
    .expect(200);
    assert_eq!(
        place(&app, p, "SN-1").await,
        format!("warehouse:{}:good", n.regional)
    );
    assert_eq!(
        place(&app, p, "SN-2").await,
        format!("warehouse:{}:quarantined", n.regional)
    );
    assert_eq!(place(&app, p, "SN-3").await, "adjustment:null:good");

    // Dispatch SN-1 to the site; the failed unit FLD-9 (never seen
    // before) comes back defective on a return shipment.
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.regional, "destination": "site", "site_id": n.site,
               "lines": [{"part_id": p, "quantity": 1, "serials": ["SN-1"]}]}),
    )
    .await
    .expect(201);
    assert_eq!(
        place(&app, p, "SN-1").await,
        format!("site:{}:good", n.site)
    );
    let r = app
        .post(
            Warehouse,
            "/api/v1/returns",
            json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.regional,
                   "reason": "replaced on ticket T-1", "carrier": "UPS", "cost": "12.50",
                   "lines": [{"part_id": p, "quantity": 1, "serials": ["FLD-9"]}]}),
        )
        .await
        .expect(201);
    assert_eq!(r["lines"][0]["serials"], json!(["FLD-9"]));
    let shipment = r["shipment_id"]
        .as_i64()
        .expect("a return rides on a shipment");
    let rid = r["id"].as_i64().unwrap();
    app.post_empty(Warehouse, &format!("/api/v1/returns/{rid}/receive"))
        .await
        .expect(200);
    assert_eq!(
        place(&app, p, "FLD-9").await,
        format!("warehouse:{}:defective", n.regional)
    );
    let s = app
        .get(Engineer, &format!("/api/v1/shipments/{shipment}"))
        .await
        .expect(200);
    assert_eq!(s["kind"], "return");
    assert_eq!(s["status"], "delivered");
    assert_eq!(s["cost"], "12.5");

    // Repair it: the line is the unit's repair record.
    let vendor = repair_vendor(&app, "FIX", 7).await;
    let o = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.regional,
                   "lines": [{"part_id": p, "quantity": 1, "serials": ["FLD-9"]}]}),
        )
        .await
        .expect(201);
    assert_eq!(o["lines"][0]["serial"], "FLD-9");
    assert_eq!(o["lines"][0]["repeat_repair"], false);
    assert_eq!(
        place(&app, p, "FLD-9").await,
        format!("repair_vendor:{vendor}:defective")
    );
    let (oid, line) = (
        o["id"].as_i64().unwrap(),
        o["lines"][0]["id"].as_i64().unwrap(),
    );
    app.post(
        Warehouse,
        &format!("/api/v1/repair-orders/{oid}/lines/{line}/result"),
        json!({"outcome": "repaired", "fault_cause": "ESD", "failed_component": "PA stage",
               "conclusion": "replaced PA", "measures": "burn-in", "cost": "310"}),
    )
    .await
    .expect(200);
    assert_eq!(
        place(&app, p, "FLD-9").await,
        format!("warehouse:{}:good", n.regional)
    );
    let h = history(&app, p, "FLD-9").await;
    assert_eq!(
        document_types(&h),
        ["field_return", "repair_send_out", "repair_return"]
    );
    assert_eq!(h["repairs"][0]["failed_component"], "PA stage");
    assert_eq!(h["repairs"][0]["outcome"], "repaired");

    // It fails again: the second repair of the same unit is a repeat.
    app.post(
        Warehouse,
        "/api/v1/stock/condition-changes",
        json!({"warehouse_id": n.regional, "reason": "failed burn-in",
               "lines": [{"part_id": p, "quantity": 1, "from_condition": "good",
                          "to_condition": "defective", "serials": ["FLD-9"]}]}),
    )
    .await
    .expect(201);
    let o2 = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.regional,
                   "lines": [{"part_id": p, "quantity": 1, "serials": ["FLD-9"]}]}),
        )
        .await
        .expect(201);
    assert_eq!(o2["lines"][0]["repeat_repair"], true);

    // Scrap the quarantined unit: the certificate names it.
    let sr = app
        .post(
            Warehouse,
            "/api/v1/scrap-requests",
            json!({"warehouse_id": n.regional, "part_id": p, "quantity": 1,
                   "condition": "quarantined", "reason": "crushed in transit", "serials": ["SN-2"]}),
        )
        .await
        .expect(201);
    let approved = app
        .post(
            Planner,
            &format!("/api/v1/scrap-requests/{}/approve", sr["id"]),
            json!({}),
        )
        .await
        .expect(200);
    let number = approved["certificate_number"].as_str().unwrap();
    let cert = app
        .get(Engineer, &format!("/api/v1/scrap-certificates/{number}"))
        .await
        .expect(200);
    assert_eq!(cert["serials"], json!(["SN-2"]));
    let h = history(&app, p, "SN-2").await;
    assert_eq!(
        document_types(&h),
        ["receipt", "transfer_shipment", "transfer_receipt", "scrap"]
    );
    assert_eq!(h["unit"]["location"]["kind"], "scrap");
    assert_eq!(h["scrap"]["certificate_number"], number);

    // Reversing the first receipt must bring back exactly its units; two
    // of them have left, so it is refused.
    app.post(
        Warehouse,
        &format!("/api/v1/stock/documents/{}/reverse", receipt["id"]),
        json!({"reason": "wrong delivery"}),
    )
    .await
    .expect_problem(409, "insufficient_stock");
    app.assert_verified().await;
}

async fn rows(app: &TestApp) -> [i64; 4] {
    [
        app.count("stock_documents").await,
        app.count("stock_movements").await,
        app.count("serial_units").await,
        app.count("movement_serials").await,
    ]
}

async fn serial_refusals_change_nothing(app: TestApp) {
    let n = network(&app).await;
    let p = serialized_part(&app, "BBU-1").await;
    let plain = n.parts[0];
    receive_units(&app, &n, p, &["A1", "A2"]).await;
    let before = rows(&app).await;
    let receipt = |lines: Value| json!({"warehouse_id": n.regional, "source": "supplier", "source_id": n.supplier, "lines": lines});
    for (lines, field) in [
        (json!([{"part_id": p, "quantity": 1}]), "lines[0].serials"),
        (
            json!([{"part_id": p, "quantity": 2, "serials": ["B1"]}]),
            "lines[0].serials",
        ),
        (
            json!([{"part_id": p, "quantity": 2, "serials": ["B1", "B1"]}]),
            "lines[0].serials",
        ),
        (
            json!([{"part_id": p, "quantity": 1, "serials": [" B1"]}]),
            "lines[0].serials",
        ),
        (
            json!([{"part_id": plain, "quantity": 1, "serials": ["X"]}]),
            "lines[0].serials",
        ),
    ] {
        let body = app
            .post(Warehouse, "/api/v1/stock/receipts", receipt(lines))
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            crate::common::Resp::fields(&body).contains(&field.to_owned()),
            "{body}"
        );
    }
    // A unit already in stock cannot be received again anywhere.
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        receipt(json!([{"part_id": p, "quantity": 2, "serials": ["B1", "A1"]}])),
    )
    .await
    .expect_problem(409, "serial_elsewhere");
    // Units move only from where they are.
    let issue = |warehouse: i64, serial: &str| {
        json!({"warehouse_id": warehouse, "destination": "site", "site_id": n.site,
               "lines": [{"part_id": p, "quantity": 1, "serials": [serial]}]})
    };
    app.post(Warehouse, "/api/v1/stock/issues", issue(n.depot, "ZZ-9"))
        .await
        .expect_problem(422, "unknown_serial");
    // Stock at the regional warehouse, but not unit A1.
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        receipt(json!([{"part_id": p, "quantity": 1, "serials": ["R1"]}])),
    )
    .await
    .expect(201);
    let after_r1 = rows(&app).await;
    assert_eq!(after_r1[2], before[2] + 1);
    let before = after_r1;
    let problem = app
        .post(Warehouse, "/api/v1/stock/issues", issue(n.regional, "A1"))
        .await
        .expect_problem(409, "serial_elsewhere");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("warehouse {}", n.depot)),
        "{problem}"
    );
    // A good unit is not sent to repair, named or not.
    app.post(
        Warehouse,
        "/api/v1/repair-orders",
        json!({"warehouse_id": n.depot, "lines": [{"part_id": p, "quantity": 1, "serials": ["A1"]}]}),
    )
    .await
    .expect_problem(409, "serial_elsewhere");
    // Scrap of a unit that is elsewhere, or of the wrong number of units.
    app.post(
        Warehouse,
        "/api/v1/scrap-requests",
        json!({"warehouse_id": n.regional, "part_id": p, "quantity": 1, "condition": "good",
               "reason": "x", "serials": ["A2"]}),
    )
    .await
    .expect_problem(409, "serial_elsewhere");
    app.post(
        Warehouse,
        "/api/v1/scrap-requests",
        json!({"warehouse_id": n.depot, "part_id": p, "quantity": 2, "condition": "good",
               "reason": "x", "serials": ["A2"]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    // A field return naming a unit that sits in a warehouse.
    app.post(
        Warehouse,
        "/api/v1/returns",
        json!({"kind": "field_return", "site_id": n.site, "warehouse_id": n.regional,
               "reason": "x", "lines": [{"part_id": p, "quantity": 1, "serials": ["A1"]}]}),
    )
    .await
    .expect_problem(409, "serial_elsewhere");
    assert_eq!(rows(&app).await, before);
    assert_eq!(app.count("scrap_requests").await, 0);
    assert_eq!(app.count("returns").await, 0);
    assert_eq!(app.count("shipments").await, 0);
    // Serial tracking cannot be switched once the part has moved.
    app.patch(
        Admin,
        &format!("/api/v1/parts/{p}"),
        json!({"serialized": false}),
    )
    .await
    .expect_problem(409, "conflict");
    app.patch(
        Admin,
        &format!("/api/v1/parts/{}", n.parts[2]),
        json!({"serialized": true}),
    )
    .await
    .expect(200);
    app.assert_verified().await;
}

async fn one_unit_cannot_leave_twice_at_once(app: TestApp) {
    let n = network(&app).await;
    let p = serialized_part(&app, "PSU-7").await;
    receive_units(&app, &n, p, &["U1", "U2", "U3"]).await;
    // Eight clients try to issue the same unit at once: stock would allow
    // three, the unit allows one.
    let calls = (0..8)
        .map(|_| {
            (
                "/api/v1/stock/issues".to_owned(),
                app.token(Warehouse).to_owned(),
                json!({"warehouse_id": n.depot, "destination": "site", "site_id": n.site,
                       "lines": [{"part_id": p, "quantity": 1, "serials": ["U2"]}]}),
            )
        })
        .collect();
    let results = race(&app, calls).await;
    let won = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(won, 1, "{results:?}");
    for (status, body) in &results {
        if *status != 201 {
            assert_eq!(*status, 409, "{body}");
            assert_eq!(body["code"], "serial_elsewhere", "{body}");
        }
    }
    assert_eq!(place(&app, p, "U2").await, format!("site:{}:good", n.site));
    let stock = app
        .get(
            Engineer,
            &format!(
                "/api/v1/stock?part_id={p}&warehouse_id={}&condition=good",
                n.depot
            ),
        )
        .await
        .expect(200);
    assert_eq!(stock["items"][0]["on_hand"], 2);
    app.assert_verified().await;
}

async fn stocktakes_count_serialized_parts_by_unit(app: TestApp) {
    let n = network(&app).await;
    let p = serialized_part(&app, "SFP-10G").await;
    receive_units(&app, &n, p, &["S1", "S2", "S3"]).await;
    let st = app
        .post(
            Warehouse,
            "/api/v1/stocktakes",
            json!({"warehouse_id": n.depot, "part_ids": [p]}),
        )
        .await
        .expect(201);
    let id = st["id"].as_i64().unwrap();
    // A count of a serialized part names the units found.
    app.post(
        Warehouse,
        &format!("/api/v1/stocktakes/{id}/counts"),
        json!({"lines": [{"part_id": p, "counted_qty": 3}]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    // S2 is missing; S9, never recorded, is on the shelf.
    app.post(
        Warehouse,
        &format!("/api/v1/stocktakes/{id}/counts"),
        json!({"lines": [{"part_id": p, "counted_qty": 3, "serials": ["S1", "S3", "S9"]}]}),
    )
    .await
    .expect(200);
    let approved = app
        .post_empty(Planner, &format!("/api/v1/stocktakes/{id}/approve"))
        .await
        .expect(200);
    let doc = approved["adjustment_document_id"].as_i64().unwrap();
    let d = app
        .get(Engineer, &format!("/api/v1/stock/documents/{doc}"))
        .await
        .expect(200);
    let moves = d["movements"].as_array().unwrap();
    assert_eq!(moves.len(), 2, "{d}");
    assert!(
        moves
            .iter()
            .any(|m| m["serials"] == json!(["S2"]) && m["to"]["kind"] == "adjustment")
    );
    assert!(
        moves
            .iter()
            .any(|m| m["serials"] == json!(["S9"]) && m["from"]["kind"] == "adjustment")
    );
    assert_eq!(place(&app, p, "S2").await, "adjustment:null:good");
    assert_eq!(
        place(&app, p, "S9").await,
        format!("warehouse:{}:good", n.depot)
    );
    app.assert_verified().await;
}

/// A replacement request names the unit that failed at its site: a unit
/// the register has on a warehouse shelf (or at another site) cannot be it,
/// and would later be refused on its way back.
/// The network, its site under a 4-hour SLA so requests get a deadline.
async fn network_with_sla(app: &TestApp) -> Network {
    let n = network(app).await;
    let class = app
        .post(
            Admin,
            "/api/v1/sla-classes",
            json!({"code": "4H", "name": "Four hours", "response_minutes": 240}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.patch(
        Admin,
        &format!("/api/v1/sites/{}", n.site),
        json!({"sla_class_id": class}),
    )
    .await
    .expect(200);
    n
}

async fn a_failed_serial_must_be_the_unit_at_the_site(app: TestApp) {
    let n = network_with_sla(&app).await;
    let part = serialized_part(&app, "RRU-SN").await;
    receive_units(&app, &n, part, &["SN-SHELF", "SN-SITE"]).await;
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.depot, "destination": "site", "site_id": n.site,
               "lines": [{"part_id": part, "quantity": 1, "serials": ["SN-SITE"]}]}),
    )
    .await
    .expect(201);
    let requests_before = app.count("replacement_requests").await;
    let raise = |serial: &str| {
        json!({"ticket_ref": "INC-9", "site_id": n.site, "part_id": part, "quantity": 1,
               "failed_serial": serial})
    };
    let refused = app
        .post(Engineer, "/api/v1/replacement-requests", raise("SN-SHELF"))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(crate::common::Resp::fields(&refused), ["failed_serial"]);
    assert!(
        refused["detail"].as_str().unwrap().contains("warehouse"),
        "{refused}"
    );
    assert_eq!(app.count("replacement_requests").await, requests_before);
    // The unit installed at the site, and one installed before tracking.
    for serial in ["SN-SITE", "SN-NEVER-SEEN"] {
        app.post(Engineer, "/api/v1/replacement-requests", raise(serial))
            .await
            .expect(201);
    }
}

/// Each sourced request of a serialized part shows the unit set aside for
/// it on the shelf (never the same unit twice); a dispatch naming no
/// serials sends that unit, and the request then shows the unit sent.
async fn a_request_shows_the_units_set_aside_for_it(app: TestApp) {
    let n = network_with_sla(&app).await;
    let part = serialized_part(&app, "BBU-SN").await;
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.regional, "source": "supplier", "source_id": n.supplier,
               "lines": [{"part_id": part, "quantity": 3, "serials": ["SN-C", "SN-A", "SN-B"]}]}),
    )
    .await
    .expect(201);
    let raise = |ticket: &str| json!({"ticket_ref": ticket, "site_id": n.site, "part_id": part, "quantity": 1});
    let first = app
        .post(Engineer, "/api/v1/replacement-requests", raise("INC-1"))
        .await
        .expect(201);
    let second = app
        .post(Engineer, "/api/v1/replacement-requests", raise("INC-2"))
        .await
        .expect(201);
    assert_eq!(first["status"], "sourced", "{first}");
    assert_eq!(first["serials"], json!(["SN-A"]));
    assert_eq!(second["serials"], json!(["SN-B"]));

    // The second goes first, naming no serial: it sends the unit it showed.
    let (f, s) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let dispatch = json!({"carrier": "DHL", "tracking_ref": "T-1", "cost": "40"});
    let sent = app
        .post(
            Warehouse,
            &format!("/api/v1/replacement-requests/{s}/dispatch"),
            dispatch.clone(),
        )
        .await
        .expect(200);
    assert_eq!(sent["serials"], json!(["SN-B"]));
    assert_eq!(
        place(&app, part, "SN-B").await,
        format!("site:{}:good", n.site)
    );
    let still = app
        .get(Engineer, &format!("/api/v1/replacement-requests/{f}"))
        .await
        .expect(200);
    assert_eq!(
        still["serials"],
        json!(["SN-A"]),
        "the first keeps its unit"
    );
    app.assert_verified().await;
}
