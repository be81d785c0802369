//! A small network to post stock against: two warehouses, a site, a
//! supplier and three parts.
use entities::vocabulary::Role::Admin;
use serde_json::{Value, json};

use super::TestApp;

pub struct Network {
    pub depot: i64,
    pub regional: i64,
    pub site: i64,
    pub supplier: i64,
    /// Unit costs 10.50, 200 and 3.
    pub parts: Vec<i64>,
}

pub async fn network(app: &TestApp) -> Network {
    let depot = app
        .post(
            Admin,
            "/api/v1/warehouses",
            json!({"code": "DEP", "name": "Depot", "kind": "central_depot", "region": "central"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let regional = app
        .post(Admin, "/api/v1/warehouses", json!({"code": "REG", "name": "Regional", "kind": "regional", "region": "north", "parent_id": depot}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let site = app
        .post(
            Admin,
            "/api/v1/sites",
            json!({"code": "S1", "name": "Site 1", "customer": "Telco", "region": "north",
            "time_zone": "Europe/Berlin", "serving_warehouse_id": regional, "transit_hours": 2.0}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let supplier = app
        .post(
            Admin,
            "/api/v1/vendors",
            json!({"code": "SUP", "name": "Supplier", "kind": "supplier", "lead_time_days": 30}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let mut parts = Vec::new();
    for (n, cost) in [("A", "10.50"), ("B", "200"), ("C", "3")] {
        let id = app
            .post(
                Admin,
                "/api/v1/parts",
                json!({"part_number": format!("P-{n}"), "unit_cost": cost, "kind": "repairable"}),
            )
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap();
        parts.push(id);
    }
    Network {
        depot,
        regional,
        site,
        supplier,
        parts,
    }
}

/// Receives `lines` into `warehouse` from the network's supplier.
pub async fn receive(
    app: &TestApp,
    n: &Network,
    warehouse: i64,
    lines: serde_json::Value,
) -> serde_json::Value {
    app.post(
        entities::vocabulary::Role::Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": warehouse, "source": "supplier", "source_id": n.supplier, "reference": "PO-1", "lines": lines}),
    )
    .await
    .expect(201)
}

/// On-hand of `part` in `warehouse` in `condition` (0 without a balance row).
pub async fn on_hand(app: &TestApp, part: i64, warehouse: i64, condition: &str) -> i64 {
    super::check::level(app, part, warehouse, condition).await.0
}

/// A repair vendor with `days` of repair turnaround.
pub async fn repair_vendor(app: &TestApp, code: &str, days: i64) -> i64 {
    app.post(
        Admin,
        "/api/v1/vendors",
        json!({"code": code, "name": code, "kind": "repair", "lead_time_days": 0, "repair_turnaround_days": days}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

/// The serial register's row of unit `serial` of `part`.
pub async fn serial_unit(app: &TestApp, part: i64, serial: &str) -> Value {
    let page = app
        .get(
            entities::vocabulary::Role::Engineer,
            &format!("/api/v1/serials?part_id={part}&serial={serial}"),
        )
        .await
        .expect(200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "exactly one unit {serial}: {page}");
    items[0].clone()
}
