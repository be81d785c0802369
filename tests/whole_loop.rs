//! The whole spare-part loop of a serialized repairable, end to end over
//! HTTP on both backends: a unit fails in the field,
//! the engineer asks for a replacement by the failed unit's serial, the
//! warehouse dispatches a unit on a shipment with proof of delivery, the
//! defective unit comes back on a return shipment, goes to a repair vendor
//! and returns as good stock. Checked: the stock ledger, both units' serial
//! histories, the request's lifecycle, the demand record and the KPIs.
use chrono::{Duration, Utc};
use entities::vocabulary::Role::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::TestApp;
use crate::common::fixtures::{network, on_hand, repair_vendor, serial_unit};

both_backends!(a_field_failure_is_replaced_returned_repaired_and_restocked);

/// The unit `serial` with its history.
async fn unit(app: &TestApp, part: i64, serial: &str) -> Value {
    let id = serial_unit(app, part, serial).await["id"].as_i64().unwrap();
    app.get(Engineer, &format!("/api/v1/serials/{id}"))
        .await
        .expect(200)
}

fn steps(h: &Value) -> Vec<(String, String, String)> {
    h["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["document_type"].as_str().unwrap().to_owned(),
                m["to"]["kind"].as_str().unwrap().to_owned(),
                m["to_condition"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn step(doc: &str, to: &str, condition: &str) -> (String, String, String) {
    (doc.to_owned(), to.to_owned(), condition.to_owned())
}

async fn a_field_failure_is_replaced_returned_repaired_and_restocked(app: TestApp) {
    let started = Utc::now() - Duration::minutes(1);
    let n = network(&app).await;
    let sla = app
        .post(
            Admin,
            "/api/v1/sla-classes",
            json!({"code": "4H", "name": "4 hours", "response_minutes": 240, "business_hours_only": false}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.patch(
        Admin,
        &format!("/api/v1/sites/{}", n.site),
        json!({"sla_class_id": sla}),
    )
    .await
    .expect(200);
    let part = app
        .post(
            Admin,
            "/api/v1/parts",
            json!({"part_number": "RRU-8800", "unit_cost": "2400", "kind": "repairable",
                   "serialized": true, "repair_turnaround_days": 10}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let vendor = repair_vendor(&app, "RPR", 7).await;

    // Two units arrive at the regional warehouse; SN-INST is installed at
    // the site, SN-SPARE stays on the shelf.
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.regional, "source": "supplier", "source_id": n.supplier,
               "lines": [{"part_id": part, "quantity": 2, "serials": ["SN-INST", "SN-SPARE"]}]}),
    )
    .await
    .expect(201);
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.regional, "destination": "site", "site_id": n.site,
               "reason": "installation", "lines": [{"part_id": part, "quantity": 1, "serials": ["SN-INST"]}]}),
    )
    .await
    .expect(201);

    // 1. Field failure: the engineer names the failed unit only.
    let r = app
        .post(
            Engineer,
            "/api/v1/replacement-requests",
            json!({"ticket_ref": "INC-0815", "site_id": n.site, "quantity": 1,
                   "priority": "high", "failed_serial": "SN-INST"}),
        )
        .await
        .expect(201);
    let id = r["id"].as_i64().unwrap();
    assert_eq!(
        r["part_id"], part,
        "the part comes from the serial register"
    );
    assert_eq!(r["status"], "sourced", "{r}");
    assert_eq!(r["source_warehouse_id"], n.regional);
    assert_eq!(r["sla_at_risk"], false);
    assert_eq!(on_hand(&app, part, n.regional, "good").await, 1);

    // 2. Replacement dispatch: the request shows the unit set aside on the
    // shelf; a unit named instead must be one that is on the shelf, and a
    // dispatch naming none sends the one shown.
    assert_eq!(r["serials"], json!(["SN-SPARE"]), "{r}");
    let dispatch = |serials: Value| json!({"carrier": "DHL Express", "tracking_ref": "JD0001", "cost": "45.00", "serials": serials});
    app.post(
        Warehouse,
        &format!("/api/v1/replacement-requests/{id}/dispatch"),
        dispatch(json!(["SN-INST"])),
    )
    .await
    .expect_problem(409, "serial_elsewhere");
    let d = app
        .post(
            Warehouse,
            &format!("/api/v1/replacement-requests/{id}/dispatch"),
            dispatch(json!([])),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "dispatched");
    assert_eq!(
        d["serials"],
        json!(["SN-SPARE"]),
        "the unit shown is the unit sent"
    );
    assert_eq!(d["shipment"]["kind"], "dispatch");
    assert_eq!(on_hand(&app, part, n.regional, "good").await, 0);

    // 3. Delivered with proof of delivery, inside the SLA window.
    let delivered = app
        .post(
            Warehouse,
            &format!("/api/v1/replacement-requests/{id}/deliver"),
            json!({"receiver": "J. Field, site technician", "note": "left at shelter"}),
        )
        .await
        .expect(200);
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["sla_met"], true);
    assert_eq!(
        delivered["shipment"]["pod"]["receiver"],
        "J. Field, site technician"
    );

    // 4. The defective unit comes back (its serial defaults to the failed one).
    let announced = app
        .post(
            Engineer,
            &format!("/api/v1/replacement-requests/{id}/return"),
            json!({"carrier": "DHL Express", "tracking_ref": "JD0002"}),
        )
        .await
        .expect(200);
    let return_id = announced["return_id"].as_i64().unwrap();
    let ret = app
        .get(Engineer, &format!("/api/v1/returns/{return_id}"))
        .await
        .expect(200);
    assert_eq!(ret["lines"][0]["serials"], json!(["SN-INST"]));
    let return_shipment = ret["shipment_id"].as_i64().unwrap();
    let back = app
        .post_empty(
            Warehouse,
            &format!("/api/v1/replacement-requests/{id}/receive-return"),
        )
        .await
        .expect(200);
    assert_eq!(back["status"], "defective_returned");
    assert_eq!(on_hand(&app, part, n.regional, "defective").await, 1);
    let closed = app
        .post_empty(
            Engineer,
            &format!("/api/v1/replacement-requests/{id}/close"),
        )
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");
    let s = app
        .get(Engineer, &format!("/api/v1/shipments/{return_shipment}"))
        .await
        .expect(200);
    assert_eq!(
        (s["kind"].as_str(), s["status"].as_str()),
        (Some("return"), Some("delivered"))
    );

    // 5. Repair at the vendor, back as good stock.
    let o = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.regional, "reference": "RMA-1",
                   "lines": [{"part_id": part, "quantity": 1, "serials": ["SN-INST"]}]}),
        )
        .await
        .expect(201);
    let (oid, line) = (
        o["id"].as_i64().unwrap(),
        o["lines"][0]["id"].as_i64().unwrap(),
    );
    app.post(
        Warehouse,
        &format!("/api/v1/repair-orders/{oid}/lines/{line}/result"),
        json!({"outcome": "repaired", "fault_cause": "water ingress",
               "failed_component": "TX filter", "conclusion": "repaired, tested to spec",
               "measures": "filter replaced, resealed", "cost": "380.00"}),
    )
    .await
    .expect(200);

    // The ledger: the failed unit is good stock again, the spare is at the site.
    assert_eq!(on_hand(&app, part, n.regional, "good").await, 1);
    assert_eq!(on_hand(&app, part, n.regional, "defective").await, 0);

    // The serial histories.
    let failed = unit(&app, part, "SN-INST").await;
    assert_eq!(
        steps(&failed),
        [
            step("receipt", "warehouse", "good"),
            step("issue", "site", "good"),
            step("field_return", "warehouse", "defective"),
            step("repair_send_out", "repair_vendor", "defective"),
            step("repair_return", "warehouse", "good"),
        ]
    );
    assert_eq!(failed["unit"]["location"]["id"], n.regional);
    assert_eq!(failed["unit"]["condition"], "good");
    assert_eq!(failed["repairs"][0]["outcome"], "repaired");
    assert_eq!(failed["repairs"][0]["failed_component"], "TX filter");
    let spare = unit(&app, part, "SN-SPARE").await;
    assert_eq!(
        steps(&spare),
        [
            step("receipt", "warehouse", "good"),
            step("issue", "site", "good")
        ]
    );
    assert_eq!(spare["unit"]["location"]["id"], n.site);
    assert!(
        spare["movements"][1]["reference"]
            .as_str()
            .unwrap()
            .contains(&format!("replacement request {id}"))
    );

    // The demand record: one unit for this site, filled by its serving warehouse.
    let demand = app
        .get(Planner, &format!("/api/v1/demand-records?part_id={part}"))
        .await
        .expect(200);
    let records = demand["items"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{demand}");
    assert_eq!(records[0]["hit"], true);
    assert_eq!(records[0]["site_id"], n.site);

    // The KPIs over the window.
    let window = format!(
        "from={}&to={}",
        started.format("%Y-%m-%dT%H:%M:%SZ"),
        (Utc::now() + Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let k = app
        .get(
            Planner,
            &format!("/api/v1/kpis/replacement-requests?{window}"),
        )
        .await
        .expect(200);
    for kpi in ["sla_attainment", "hit_rate", "on_time_delivery"] {
        assert_eq!(
            (k[kpi]["numerator"].as_i64(), k[kpi]["denominator"].as_i64()),
            (Some(1), Some(1)),
            "{kpi}: {k}"
        );
    }
    assert_eq!(k["defective_returns_overdue"]["ratio"]["numerator"], 0);
    let l = app
        .get(Planner, &format!("/api/v1/kpis/logistics?{window}"))
        .await
        .expect(200);
    assert_eq!(l["repair_success_rate"]["numerator"], 1, "{l}");
    assert_eq!(l["repair_success_rate"]["denominator"], 1);
    assert_eq!(l["repair_on_time_rate"]["numerator"], 1);
    // The dispatch and the return shipment, both delivered before their ETA.
    assert_eq!(l["on_time_delivery"]["numerator"], 2, "{l}");
    assert_eq!(l["on_time_delivery"]["denominator"], 2);
    app.assert_verified().await;
}
