//! Logistics KPIs over HTTP: a small history of
//! transfers with proof of delivery, an issue to a site and repair orders,
//! then every KPI checked exactly, per warehouse too, and bad windows
//! refused, on both backends.
use chrono::{Duration, SecondsFormat, Utc};
use entities::vocabulary::Role::*;
use serde_json::json;

use crate::both_backends;
use crate::common::fixtures::{Network, network, receive, repair_vendor};
use crate::common::{Resp, TestApp};

both_backends!(kpis_over_a_small_history, bad_kpi_windows_are_refused);

/// Ships a transfer of `qty` of `part` from the depot to the regional
/// warehouse and delivers it; returns the shipment.
async fn shipped_and_delivered(
    app: &TestApp,
    n: &Network,
    part: i64,
    qty: i64,
    cost: &str,
    eta: Option<String>,
) -> i64 {
    let id = app
        .post(
            Warehouse,
            "/api/v1/transfers",
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "reference": "T",
                   "lines": [{"part_id": part, "quantity": qty}]}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let mut body = json!({"carrier": "DHL", "tracking_ref": "JD1", "mode": "local", "cost": cost});
    if let Some(eta) = eta {
        body["estimated_arrival_at"] = json!(eta);
    }
    let sid = app
        .post(Warehouse, &format!("/api/v1/transfers/{id}/ship"), body)
        .await
        .expect(200)["shipment"]["id"]
        .as_i64()
        .unwrap();
    app.post(
        Warehouse,
        &format!("/api/v1/shipments/{sid}/deliver"),
        json!({"receiver": "J. Smith"}),
    )
    .await
    .expect(200);
    id
}

async fn repair(app: &TestApp, n: &Network, vendor: i64, lines: &[(i64, &str)]) {
    let order = app
        .post(
            Warehouse,
            "/api/v1/repair-orders",
            json!({"vendor_id": vendor, "warehouse_id": n.depot,
                   "lines": lines.iter().map(|(p, _)| json!({"part_id": p, "quantity": 1})).collect::<Vec<_>>()}),
        )
        .await
        .expect(201);
    let oid = order["id"].as_i64().unwrap();
    // Past a zero-day due date.
    app.advance(Duration::seconds(2));
    for (line, (_, outcome)) in order["lines"].as_array().unwrap().iter().zip(lines) {
        let lid = line["id"].as_i64().unwrap();
        app.post(
            Warehouse,
            &format!("/api/v1/repair-orders/{oid}/lines/{lid}/result"),
            json!({"outcome": outcome, "cost": "10"}),
        )
        .await
        .expect(200);
    }
}

fn window(from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>) -> String {
    format!(
        "/api/v1/kpis/logistics?from={}&to={}",
        from.to_rfc3339_opts(SecondsFormat::Secs, true),
        to.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

async fn kpis_over_a_small_history(app: TestApp) {
    let n = network(&app).await;
    let (a, b, c) = (n.parts[0], n.parts[1], n.parts[2]);
    let now = Utc::now();
    let path = window(now - Duration::days(1), now + Duration::days(1));

    // Nothing yet: every ratio is null.
    let k = app.get(Engineer, &path).await.expect(200);
    assert_eq!(
        k["on_time_delivery"],
        json!({"numerator": 0, "denominator": 0, "value": null})
    );
    assert!(k["logistics_cost_rate"]["value"].is_null());
    assert_eq!(k["inventory_turnover_days"]["by_warehouse"], json!([]));

    app.post(
        Admin,
        "/api/v1/lanes",
        json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "transit_hours": 8.0, "cost": "120.00"}),
    )
    .await
    .expect(201);
    receive(
        &app,
        &n,
        n.depot,
        json!([
            {"part_id": a, "quantity": 10},
            {"part_id": b, "quantity": 2, "condition": "defective"},
            {"part_id": c, "quantity": 1, "condition": "defective"}
        ]),
    )
    .await;
    // On time (8 h lane), then late (estimated a minute ago).
    let t1 = shipped_and_delivered(&app, &n, a, 2, "180.50", None).await;
    let late = (Utc::now() - Duration::minutes(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    shipped_and_delivered(&app, &n, a, 1, "19.50", Some(late)).await;
    app.post(
        Warehouse,
        &format!("/api/v1/transfers/{t1}/receive"),
        json!({"lines": [{"part_id": a, "good": 2}]}),
    )
    .await
    .expect(200);
    // 4 x 10.50 = 42.00 issued to the field.
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.depot, "destination": "site", "site_id": n.site,
               "reason": "replacement", "reference": "INC-1", "lines": [{"part_id": a, "quantity": 4}]}),
    )
    .await
    .expect(201);
    // Repaired on time; then one repaired and one beyond repair, both late.
    let slow = repair_vendor(&app, "FIX", 14).await;
    let zero = repair_vendor(&app, "NOW", 0).await;
    repair(&app, &n, slow, &[(b, "repaired")]).await;
    repair(&app, &n, zero, &[(b, "repaired"), (c, "beyond_repair")]).await;

    let k = app.get(Engineer, &path).await.expect(200);
    assert_eq!(
        k["on_time_delivery"],
        json!({"numerator": 1, "denominator": 2, "value": "0.5"})
    );
    assert_eq!(
        k["repair_success_rate"],
        json!({"numerator": 2, "denominator": 3, "value": "0.6667"})
    );
    assert_eq!(
        k["repair_on_time_rate"],
        json!({"numerator": 1, "denominator": 3, "value": "0.3333"})
    );
    assert_eq!(k["average_repair_cycle_days"]["denominator"], 3);
    assert_eq!(k["average_repair_cycle_days"]["value"], "0");
    // 200.00 of shipments over 3 x 10.50 transferred + 42.00 issued.
    assert_eq!(
        k["logistics_cost_rate"],
        json!({"numerator": "200", "denominator": "73.5", "value": "2.7211"})
    );
    // Depot now: A 3 x 10.50 + B 2 x 200 = 431.50; 42.00 issued over two
    // days is 21 a day. Regional: 2 x 10.50, nothing issued.
    let ito = &k["inventory_turnover_days"];
    assert_eq!(
        ito["by_warehouse"],
        json!([
            {"warehouse_id": n.depot, "warehouse_code": "DEP", "part_id": null, "part_number": null,
                "numerator": "431.5", "denominator": "21", "value": "20.55"},
            {"warehouse_id": n.regional, "warehouse_code": "REG", "part_id": null, "part_number": null,
                "numerator": "21", "denominator": "0", "value": null}
        ])
    );
    let depot_a = ito["by_part"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["warehouse_id"] == n.depot && r["part_id"] == a)
        .unwrap();
    assert_eq!(
        depot_a,
        &json!({"warehouse_id": n.depot, "warehouse_code": "DEP", "part_id": a, "part_number": "P-A",
            "numerator": "31.5", "denominator": "21", "value": "1.5"})
    );
    assert_eq!(ito["by_part"].as_array().unwrap().len(), 3);

    // One warehouse: the regional one dispatched and issued nothing.
    let k = app
        .get(Planner, &format!("{path}&warehouse_id={}", n.regional))
        .await
        .expect(200);
    assert!(k["on_time_delivery"]["value"].is_null());
    assert!(k["repair_success_rate"]["value"].is_null());
    assert_eq!(k["logistics_cost_rate"]["denominator"], "0");
    assert_eq!(
        k["inventory_turnover_days"]["by_warehouse"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A window that ended before all of it.
    let k = app
        .get(
            Engineer,
            &window(now - Duration::days(30), now - Duration::days(2)),
        )
        .await
        .expect(200);
    assert_eq!(k["on_time_delivery"]["denominator"], 0);
    assert_eq!(k["repair_on_time_rate"]["denominator"], 0);

    app.assert_verified().await;
}

async fn bad_kpi_windows_are_refused(app: TestApp) {
    let now = Utc::now();
    for (from, to) in [
        (now, now),
        (now, now - Duration::days(1)),
        (now - Duration::days(5 * 366 + 1), now),
    ] {
        let p = app
            .get(Engineer, &window(from, to))
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(Resp::fields(&p), vec!["to".to_owned()], "{p}");
    }
    app.get(Engineer, "/api/v1/kpis/logistics?from=yesterday&to=today")
        .await
        .expect_problem(422, "validation_failed");
    app.assert_verified().await;
}
