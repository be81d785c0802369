//! Forecast runs in the service: over uploaded series and over the demand
//! the ledger recorded; stored, listed, refused when the input is bad.
use entities::vocabulary::Role::*;
use serde_json::json;
use spares::core::forecast::{Method, MethodParams};

use crate::both_backends;
use crate::common::TestApp;
use crate::common::check::rejected;
use crate::common::fixtures::network;

both_backends!(
    uploaded_series_are_forecast_and_stored,
    ledger_demand_is_forecast,
    bad_forecast_requests
);

async fn uploaded_series_are_forecast_and_stored(app: TestApp) {
    let y = [0.0, 2.0, 0.0, 0.0, 3.0, 0.0, 1.0, 0.0, 0.0, 4.0];
    let run = app
        .post(
            Planner,
            "/api/v1/forecasts",
            json!({"source": "upload", "method": "croston", "horizon": 3,
            "series": [{"id": "P-1", "values": y}, {"id": "P-2", "values": [0, 0, 0]}]}),
        )
        .await
        .expect(201);
    let expected = Method::Croston.forecast_one(&y);
    let first = &run["results"][0];
    assert_eq!(first["series_key"], "P-1");
    assert_eq!(first["forecast"], json!([expected, expected, expected]));
    // ADI 10/4 = 2.5 > 1.32; sizes 2,3,1,4 give CV² 0.2 <= 0.49.
    assert_eq!(first["demand_class"], "intermittent");
    assert_eq!(run["results"][1]["demand_class"], "no-demand");
    assert_eq!(run["series_count"], 2);

    let auto = app
        .post(Planner, "/api/v1/forecasts", json!({"source": "upload", "method": "auto",
            "series": [{"id": "A", "values": [0, 1, 0, 2, 0, 0, 1, 0, 3, 0, 0, 1, 0, 2, 0, 1, 0, 0, 2, 1]}]}))
        .await
        .expect(201);
    let chosen = auto["results"][0]["method"].as_str().unwrap();
    assert_ne!(chosen, "auto");
    assert_eq!(auto["results"][0]["backtest"]["chosen"]["method"], chosen);
    let m = Method::from_name(chosen, MethodParams::default()).unwrap();
    let values: Vec<f64> = auto["results"][0]["forecast"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let history = [
        0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 3.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 0.0,
        2.0, 1.0,
    ];
    assert_eq!(values, vec![m.forecast_one(&history)]);

    let list = app.get(Engineer, "/api/v1/forecasts").await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(
        list["items"][0].get("results").is_none(),
        "lists leave results out"
    );
    let id = run["id"].as_i64().unwrap();
    let fetched = app
        .get(Warehouse, &format!("/api/v1/forecasts/{id}"))
        .await
        .expect(200);
    assert_eq!(
        fetched["results"], run["results"],
        "stored results read back exactly"
    );
}

async fn ledger_demand_is_forecast(app: TestApp) {
    let n = network(&app).await;
    let a = n.parts[0];
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.regional, "source": "other",
        "lines": [{"part_id": a, "quantity": 20}]}),
    )
    .await
    .expect(201);
    for q in [2, 3] {
        app.post(
            Warehouse,
            "/api/v1/stock/issues",
            json!({"warehouse_id": n.regional, "destination": "site",
            "site_id": n.site, "lines": [{"part_id": a, "quantity": q}]}),
        )
        .await
        .expect(201);
    }
    // A reversed issue is not demand.
    let wrong = app
        .post(
            Warehouse,
            "/api/v1/stock/issues",
            json!({"warehouse_id": n.regional, "destination": "site",
            "site_id": n.site, "lines": [{"part_id": a, "quantity": 4}]}),
        )
        .await
        .expect(201);
    app.post(
        Warehouse,
        &format!("/api/v1/stock/documents/{}/reverse", wrong["id"]),
        json!({}),
    )
    .await
    .expect(201);
    // Installed base at the site served by the regional warehouse.
    app.patch(
        Planner,
        &format!("/api/v1/parts/{a}"),
        json!({"annual_failure_rate": 1.2}),
    )
    .await
    .expect(200);
    app.put(
        Planner,
        &format!("/api/v1/sites/{}/installed-base/{a}", n.site),
        json!({"quantity": 10}),
    )
    .await
    .expect(200);

    // As of next month, this month is the last complete bucket.
    let as_of = (chrono::Utc::now() + chrono::Duration::days(32)).to_rfc3339();
    let run = app
        .post(
            Planner,
            "/api/v1/forecasts",
            json!({"source": "ledger", "method": "ses", "alpha": 0.5,
            "bucket": "month", "periods": 3, "as_of": as_of}),
        )
        .await
        .expect(201);
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        1,
        "one part issued from one warehouse: {run}"
    );
    let r = &results[0];
    assert_eq!(r["part_id"], a);
    assert_eq!(r["warehouse_id"], n.regional);
    assert_eq!(r["history_periods"], 3);
    let expected = Method::Ses { alpha: 0.5 }.forecast_one(&[0.0, 0.0, 5.0]);
    assert_eq!(r["forecast"], json!([expected]));

    // With the installed base blended in: one month of history weighs 1/(1+12).
    let blended = app
        .post(
            Planner,
            "/api/v1/forecasts",
            json!({"source": "ledger", "method": "ses", "alpha": 0.5,
            "bucket": "month", "periods": 3, "as_of": as_of, "installed_base": true}),
        )
        .await
        .expect(201);
    // 10 units x 1.2 failures a year, per month.
    let installed_rate = 1.0;
    let w = 1.0 / 13.0;
    let got = blended["results"][0]["forecast"][0].as_f64().unwrap();
    assert!(
        (got - (w * expected + (1.0 - w) * installed_rate)).abs() < 1e-12,
        "{got}"
    );

    // Default: the current month is incomplete, so nothing is recorded yet.
    let now = app
        .post(Planner, "/api/v1/forecasts", json!({"source": "ledger", "method": "croston", "warehouse_id": n.regional, "part_ids": [a]}))
        .await
        .expect(201);
    assert_eq!(now["results"][0]["forecast"], json!([0.0]));
    assert_eq!(now["results"][0]["history_periods"], 24);
}

async fn bad_forecast_requests(app: TestApp) {
    let cases = [
        (
            json!({"source": "upload", "method": "magic", "series": [{"id": "a", "values": [1]}]}),
            "method",
        ),
        (
            json!({"source": "upload", "method": "ses", "alpha": 0, "series": [{"id": "a", "values": [1]}]}),
            "alpha",
        ),
        (
            json!({"source": "upload", "method": "tsb", "alpha_p": 1.5, "series": [{"id": "a", "values": [1]}]}),
            "alpha_p",
        ),
        (
            json!({"source": "upload", "method": "sba", "series": [{"id": "a", "values": [1, -2]}]}),
            "series[0].values[1]",
        ),
        (
            json!({"source": "upload", "method": "sba", "series": []}),
            "series",
        ),
        (
            json!({"source": "upload", "method": "sba", "horizon": 0, "series": [{"id": "a", "values": [1]}]}),
            "horizon",
        ),
        (
            json!({"source": "ledger", "method": "sba", "periods": 1}),
            "periods",
        ),
        (
            json!({"source": "ledger", "method": "sba", "warehouse_id": 9999}),
            "warehouse_id",
        ),
        (json!({"source": "crystal-ball", "method": "sba"}), "source"),
        (
            json!({"source": "ledger", "method": "sba", "series": [{"id": "a", "values": [1]}]}),
            "series",
        ),
        (
            json!({"source": "upload", "method": "sba", "bucket": "week", "series": [{"id": "a", "values": [1]}]}),
            "bucket",
        ),
    ];
    rejected(
        &app,
        reqwest::Method::POST,
        Planner,
        "/api/v1/forecasts",
        cases,
    )
    .await;
    for role in [Warehouse, Engineer] {
        app.post(
            role,
            "/api/v1/forecasts",
            json!({"source": "upload", "method": "sba", "series": [{"id": "a", "values": [1]}]}),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    app.get(Planner, "/api/v1/forecasts/777")
        .await
        .expect_problem(404, "not_found");
    assert_eq!(app.count("forecast_runs").await, 0);
}
