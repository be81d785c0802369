//! Part numbers and codes instead of ids: request bodies take them, every
//! answer carries them beside the ids, parts are found by number, and the
//! day's documents and the stock totals per part are listed.
use entities::vocabulary::Role::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::check::level;
use crate::common::fixtures::{network, receive};
use crate::common::{Resp, TestApp};

both_backends!(
    documents_take_part_numbers_and_codes,
    a_natural_key_beside_its_id_or_naming_nothing_is_refused,
    answers_carry_numbers_and_codes_beside_ids,
    a_part_is_found_by_its_number,
    the_days_documents_by_date_kind_and_warehouse,
    stock_totals_per_part_across_warehouses,
);

async fn documents_take_part_numbers_and_codes(app: TestApp) {
    let n = network(&app).await;
    let doc = app
        .post(
            Warehouse,
            "/api/v1/stock/receipts",
            json!({"warehouse_code": "DEP", "source": "supplier", "source_id": n.supplier,
                "reference": "PO-7", "lines": [{"part_number": "P-A", "quantity": 5}]}),
        )
        .await
        .expect(201);
    assert_eq!(doc["warehouse_id"], n.depot);
    assert_eq!(level(&app, n.parts[0], n.depot, "good").await, (5, 0, 5));

    let issued = app
        .post(
            Warehouse,
            "/api/v1/stock/issues",
            json!({"warehouse_code": "DEP", "destination": "site", "site_code": "S1",
                "reason": "replacement", "reference": "INC-9",
                "lines": [{"part_number": "P-A", "quantity": 2}]}),
        )
        .await
        .expect(201);
    assert_eq!(issued["movements"][0]["to"]["id"], n.site);
    assert_eq!(level(&app, n.parts[0], n.depot, "good").await, (3, 0, 3));

    // A site names its serving warehouse by code.
    let site = app
        .post(
            Admin,
            "/api/v1/sites",
            json!({"code": "S2", "name": "Site 2", "customer": "Telco", "region": "north",
                "time_zone": "Europe/Berlin", "serving_warehouse_code": "REG", "transit_hours": 3.0}),
        )
        .await
        .expect(201);
    assert_eq!(site["serving_warehouse_id"], n.regional);
    assert_eq!(site["serving_warehouse_code"], "REG");

    // A part's own number is its key, not a reference: creating and
    // renumbering parts is unchanged.
    let part = app
        .post(
            Planner,
            "/api/v1/parts",
            json!({"part_number": "P-NEW", "unit_cost": "1", "kind": "consumable"}),
        )
        .await
        .expect(201);
    let renamed = app
        .patch(
            Planner,
            &format!("/api/v1/parts/{}", part["id"]),
            json!({"part_number": "P-NEWER"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["part_number"], "P-NEWER");
}

async fn a_natural_key_beside_its_id_or_naming_nothing_is_refused(app: TestApp) {
    let n = network(&app).await;
    let receipt = |lines: Value| {
        json!({"warehouse_id": n.depot, "source": "supplier", "source_id": n.supplier,
            "reference": "PO-8", "lines": lines})
    };
    let cases = [
        (
            receipt(json!([{"part_id": n.parts[0], "part_number": "P-A", "quantity": 1}])),
            "lines[0].part_number",
            "not both",
        ),
        (
            receipt(
                json!([{"part_id": n.parts[0], "quantity": 1}, {"part_number": "NOPE", "quantity": 1}]),
            ),
            "lines[1].part_number",
            "no part has the part number `NOPE`",
        ),
        (
            receipt(json!([{"part_number": 17, "quantity": 1}])),
            "lines[0].part_number",
            "must be text",
        ),
        (
            receipt(json!([{"quantity": 1}])),
            "lines[0].part_id",
            "`part_number`",
        ),
        (
            json!({"warehouse_code": "NOWHERE", "source": "supplier", "source_id": n.supplier,
                "reference": "PO-8", "lines": [{"part_id": n.parts[0], "quantity": 1}]}),
            "warehouse_code",
            "no warehouse has the code `NOWHERE`",
        ),
    ];
    for (body, field, words) in cases {
        let problem = app
            .post(Warehouse, "/api/v1/stock/receipts", body.clone())
            .await
            .expect_problem(422, "validation_failed");
        let errors = problem["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["message"].as_str().unwrap().contains(words)),
            "{body}: expected {field} saying {words:?}, got {problem}"
        );
    }
    assert_eq!(level(&app, n.parts[0], n.depot, "good").await, (0, 0, 0));
    let movements = app
        .get(Planner, "/api/v1/stock/movements")
        .await
        .expect(200);
    assert_eq!(
        movements["items"],
        json!([]),
        "a refused document posts nothing"
    );
}

async fn answers_carry_numbers_and_codes_beside_ids(app: TestApp) {
    let n = network(&app).await;
    let doc = receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[1], "quantity": 2}]),
    )
    .await;
    assert_eq!(doc["warehouse_code"], "DEP");
    let movement = &doc["movements"][0];
    assert_eq!(movement["part_number"], "P-B");
    assert_eq!(movement["to"]["code"], "DEP");
    assert_eq!(movement["from"]["code"], "SUP", "a supplier is a vendor");
    let keys: Vec<&String> = movement.as_object().unwrap().keys().collect();
    let at = keys.iter().position(|k| *k == "part_id").unwrap();
    assert_eq!(
        keys[at + 1],
        "part_number",
        "the number sits right after the id"
    );

    let lanes = app
        .post(
            Admin,
            "/api/v1/lanes",
            json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional, "transit_hours": 24, "cost": "10"}),
        )
        .await
        .expect(201);
    assert_eq!(lanes["from_warehouse_code"], "DEP");
    assert_eq!(lanes["to_warehouse_code"], "REG");
    let regional = app
        .get(Planner, &format!("/api/v1/warehouses/{}", n.regional))
        .await
        .expect(200);
    assert_eq!(regional["parent_code"], "DEP");
    let depot = app
        .get(Planner, &format!("/api/v1/warehouses/{}", n.depot))
        .await
        .expect(200);
    assert_eq!(depot["parent_code"], Value::Null, "no parent, no code");

    // The OpenAPI document describes them, for requests and answers.
    let spec = app.get(Planner, "/api/v1/openapi.json").await.expect(200);
    let schemas = &spec["components"]["schemas"];
    for (schema, field) in [
        ("Movement", "part_number"),
        ("StockLine", "part_number"),
        ("Lane", "from_warehouse_code"),
        ("ReceiptRequest", "warehouse_code"),
    ] {
        assert!(
            schemas[schema]["properties"][field].is_object(),
            "{schema}.{field} is documented"
        );
    }
}

async fn a_part_is_found_by_its_number(app: TestApp) {
    let n = network(&app).await;
    let part = app
        .get(Engineer, "/api/v1/parts/by-number/P-B")
        .await
        .expect(200);
    assert_eq!(part["id"], n.parts[1]);
    assert_eq!(part["unit_cost"], "200");
    app.get(Engineer, "/api/v1/parts/by-number/P-Z")
        .await
        .expect_problem(404, "not_found");
}

async fn the_days_documents_by_date_kind_and_warehouse(app: TestApp) {
    let n = network(&app).await;
    let first = receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[0], "quantity": 4}, {"part_id": n.parts[2], "quantity": 6}]),
    )
    .await;
    receive(
        &app,
        &n,
        n.regional,
        json!([{"part_id": n.parts[0], "quantity": 1}]),
    )
    .await;
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.depot, "destination": "site", "site_id": n.site,
            "reason": "replacement", "reference": "INC-1", "lines": [{"part_id": n.parts[0], "quantity": 1}]}),
    )
    .await
    .expect(201);
    let day = &first["created_at"].as_str().unwrap()[..10];

    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };
    let depot_receipts = app
        .get(
            Warehouse,
            &format!(
                "/api/v1/stock/documents?date={day}&kind=receipt&warehouse_id={}",
                n.depot
            ),
        )
        .await
        .expect(200);
    assert_eq!(ids(&depot_receipts), [first["id"].as_i64().unwrap()]);
    let summary = &depot_receipts["items"][0];
    assert_eq!(
        (summary["movements"].as_i64(), summary["units"].as_i64()),
        (Some(2), Some(10))
    );
    assert_eq!(summary["warehouse_code"], "DEP");

    let all_today = app
        .get(Warehouse, &format!("/api/v1/stock/documents?date={day}"))
        .await
        .expect(200);
    assert_eq!(ids(&all_today).len(), 3);
    let next_day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .succ_opt()
        .unwrap();
    let tomorrow = app
        .get(
            Warehouse,
            &format!("/api/v1/stock/documents?from={next_day}"),
        )
        .await
        .expect(200);
    assert_eq!(ids(&tomorrow), Vec::<i64>::new());

    for (query, field) in [
        (format!("date={day}&from={day}"), "date"),
        (format!("from={next_day}&to={day}"), "to"),
        ("date=yesterday".to_owned(), "date"),
        ("kind=gift".to_owned(), "kind"),
    ] {
        let problem = app
            .get(Warehouse, &format!("/api/v1/stock/documents?{query}"))
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&problem).contains(&field.to_owned()),
            "{query}: {problem}"
        );
    }
}

async fn stock_totals_per_part_across_warehouses(app: TestApp) {
    let n = network(&app).await;
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[0], "quantity": 4}]),
    )
    .await;
    receive(
        &app,
        &n,
        n.regional,
        json!([{"part_id": n.parts[0], "quantity": 3}]),
    )
    .await;
    receive(
        &app,
        &n,
        n.regional,
        json!([{"part_id": n.parts[1], "quantity": 2, "condition": "defective"}]),
    )
    .await;
    app.post(
        Warehouse,
        "/api/v1/stock/reservations",
        json!({"part_id": n.parts[0], "warehouse_id": n.regional, "quantity": 1, "reference": "R-1"}),
    )
    .await
    .expect(201);

    let good = app.get(Engineer, "/api/v1/stock/totals").await.expect(200);
    assert_eq!(
        good["items"],
        json!([{"part_id": n.parts[0], "part_number": "P-A", "condition": "good", "on_hand": 7,
            "reserved": 1, "available": 6, "warehouses": 2}])
    );
    let defective = app
        .get(Engineer, "/api/v1/stock/totals?condition=defective")
        .await
        .expect(200);
    assert_eq!(defective["items"][0]["part_number"], "P-B");
    assert_eq!(defective["items"][0]["on_hand"], 2);
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[2], "quantity": 5}]),
    )
    .await;
    let first = app
        .get(Engineer, "/api/v1/stock/totals?limit=1")
        .await
        .expect(200);
    assert_eq!(first["items"][0]["part_id"], n.parts[0]);
    assert_eq!(first["next_after"], n.parts[0]);
    let second = app
        .get(
            Engineer,
            &format!("/api/v1/stock/totals?limit=1&after={}", n.parts[0]),
        )
        .await
        .expect(200);
    assert_eq!(second["items"][0]["part_number"], "P-C");
    assert_eq!(second["next_after"], Value::Null);
}
