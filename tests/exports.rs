//! CSV export: every list answers `Accept: text/csv` (or `?format=csv`)
//! with its whole filtered set, part numbers and codes beside ids; what is
//! exported imports into an empty database as the same master data; the
//! command line exports the same rows.
use std::collections::BTreeMap;

use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::fixtures::{network, receive};
use crate::common::{Backend, TestApp};

both_backends!(
    master_data_round_trips_through_csv,
    every_row_is_exported_whatever_the_paging,
    an_export_keeps_the_lists_filters_roles_and_refusals,
    movements_are_filtered_by_date,
    kpis_are_listed_and_exported_month_by_month,
    the_command_line_exports_what_the_api_exports,
);

const CSV: &str = "text/csv";

/// The kinds an export of master data round-trips through, in the order
/// an import needs them, with their list paths.
const MASTER: &[(&str, &str)] = &[
    ("parts", "/api/v1/parts"),
    ("vendors", "/api/v1/vendors"),
    ("warehouses", "/api/v1/warehouses"),
    ("lanes", "/api/v1/lanes"),
    ("sla-classes", "/api/v1/sla-classes"),
    ("sites", "/api/v1/sites"),
    ("installed-base", "/api/v1/installed-base"),
    ("stock-levels", "/api/v1/stock-levels"),
    ("holidays", "/api/v1/holidays"),
];

/// A CSV export: 200, `text/csv`, the text.
async fn export(app: &TestApp, path: &str) -> String {
    let (status, content_type, text) = app.get_text(Admin, path, CSV).await;
    assert_eq!(status, 200, "{path}: {text}");
    assert!(content_type.starts_with(CSV), "{path}: {content_type}");
    text
}

/// The rows of a CSV text, each as column → cell.
fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV record");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// The rows without what a database assigns itself (ids, who and when),
/// keyed by their natural keys, so two databases can be compared.
fn content(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut rows: Vec<BTreeMap<String, String>> = rows(text)
        .into_iter()
        .map(|mut row| {
            row.retain(|column, _| {
                !(column == "id"
                    || column.ends_with("_id")
                    || column.ends_with("_at")
                    || column == "updated_by")
            });
            row
        })
        .collect();
    rows.sort();
    rows
}

async fn import(app: &TestApp, kind: &str, file: &str) -> Value {
    app.send_raw(
        Method::POST,
        &format!("/api/v1/imports/{kind}"),
        Admin,
        CSV,
        file.as_bytes().to_vec(),
    )
    .await
    .expect(200)
}

/// Master data made through the JSON API, with the awkward cells a
/// spreadsheet must survive: commas and quotes in a text,
/// decimals, empty optional cells, a parent, references by code.
async fn master_data(app: &TestApp) {
    let n = network(app).await;
    app.post(
        Admin,
        "/api/v1/parts",
        json!({"part_number": "RRU-7", "description": "Radio, 4T4R \"outdoor\", rev. B",
            "unit_cost": "4200.25", "kind": "repairable", "criticality": "critical",
            "serialized": true, "annual_failure_rate": 0.125, "repair_turnaround_days": 12}),
    )
    .await
    .expect(201);
    app.post(
        Admin,
        "/api/v1/vendors",
        json!({"code": "FIX", "name": "Fix & Co", "kind": "repair", "lead_time_days": 5,
            "repair_turnaround_days": 9}),
    )
    .await
    .expect(201);
    app.post(
        Admin,
        "/api/v1/lanes",
        json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional,
            "transit_hours": 12.5, "cost": "80.40"}),
    )
    .await
    .expect(201);
    let class = app
        .post(
            Admin,
            "/api/v1/sla-classes",
            json!({"code": "4H", "name": "4-hour", "response_minutes": 240}),
        )
        .await
        .expect(201);
    app.post(
        Admin,
        "/api/v1/sites",
        json!({"code": "S2", "name": "Site 2", "customer": "Telco", "region": "south",
            "time_zone": "Europe/Paris", "serving_warehouse_code": "DEP", "transit_hours": 4.25,
            "sla_class_id": class["id"]}),
    )
    .await
    .expect(201);
    app.put(
        Planner,
        &format!("/api/v1/sites/{}/installed-base/{}", n.site, n.parts[0]),
        json!({"quantity": 40}),
    )
    .await
    .expect(200);
    app.put(
        Planner,
        &format!("/api/v1/stock-levels/{}/{}", n.regional, n.parts[1]),
        json!({"reorder_point": 2, "max_level": 5}),
    )
    .await
    .expect(200);
    app.post(
        Planner,
        "/api/v1/holidays",
        json!({"day": "2026-12-25", "region": "north", "name": "Christmas Day"}),
    )
    .await
    .expect(201);
}

async fn master_data_round_trips_through_csv(app: TestApp) {
    master_data(&app).await;
    let empty = TestApp::start(app.backend)
        .await
        .expect("a second database");
    for (kind, path) in MASTER {
        let exported = export(&app, path).await;
        assert!(
            !rows(&exported).is_empty(),
            "{kind} exported no rows:\n{exported}"
        );
        let summary = import(&empty, kind, &exported).await;
        assert_eq!(summary["updated"], 0, "{kind}: {summary}");
        let again = export(&empty, path).await;
        assert_eq!(content(&again), content(&exported), "{kind}");
        // The export of the copy imports into it as it stands: nothing to do.
        let unchanged = import(&empty, kind, &again).await;
        assert_eq!(
            (&unchanged["created"], &unchanged["updated"]),
            (&json!(0), &json!(0)),
            "{kind}: {unchanged}"
        );
    }
    let parts = rows(&export(&empty, "/api/v1/parts").await);
    let radio = parts.iter().find(|p| p["part_number"] == "RRU-7").unwrap();
    assert_eq!(radio["description"], "Radio, 4T4R \"outdoor\", rev. B");
    assert_eq!(radio["unit_cost"], "4200.25");
    empty.assert_verified().await;
}

async fn every_row_is_exported_whatever_the_paging(app: TestApp) {
    let mut file = String::from("part_number,unit_cost,kind\n");
    for i in 0..1203 {
        let kind = if i % 3 == 0 {
            "consumable"
        } else {
            "repairable"
        };
        file.push_str(&format!("BULK-{i:05},{}.5,{kind}\n", i + 1));
    }
    import(&app, "parts", &file).await;
    // `limit` and `after` are the JSON list's paging; the export ignores them.
    let text = export(&app, "/api/v1/parts?limit=2&after=7").await;
    let all = rows(&text);
    assert_eq!(all.len(), 1203);
    assert_eq!(all[0]["part_number"], "BULK-00000");
    assert_eq!(all[1202]["part_number"], "BULK-01202");
    assert_eq!(all[1202]["unit_cost"], "1203.5");
    let ids: Vec<i64> = all.iter().map(|r| r["id"].parse().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "each row once, in order"
    );
    // The filters of the list hold; `?format=csv` works as the header does.
    let (status, content_type, text) = app
        .get_text(Admin, "/api/v1/parts?kind=consumable&format=csv", "*/*")
        .await;
    assert_eq!((status, content_type.starts_with(CSV)), (200, true));
    assert_eq!(rows(&text).len(), 401);
    assert!(rows(&text).iter().all(|r| r["kind"] == "consumable"));
}

async fn an_export_keeps_the_lists_filters_roles_and_refusals(app: TestApp) {
    // Nothing matches: the header alone, naming the columns.
    let text = export(&app, "/api/v1/stock-levels").await;
    let header = text.lines().next().unwrap_or("");
    assert_eq!(text.lines().count(), 1, "{text}");
    for column in [
        "part_id",
        "part_number",
        "warehouse_id",
        "warehouse_code",
        "max_level",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "{column} in {header}"
        );
    }
    // An engineer may not read the demand: refused as the JSON list is.
    let (status, content_type, body) = app.get_text(Engineer, "/api/v1/demand-records", CSV).await;
    assert_eq!(status, 403, "{body}");
    assert!(content_type.starts_with("application/problem+json"));
    // A bad filter is the list's 422, naming it.
    let (status, _, body) = app.get_text(Admin, "/api/v1/parts?kind=widget", CSV).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("kind"), "{body}");
    // One part is not a list.
    let n = network(&app).await;
    let (status, _, body) = app
        .get_text(Admin, &format!("/api/v1/parts/{}", n.parts[0]), CSV)
        .await;
    assert_eq!(status, 406, "{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["code"], "not_acceptable");
    // JSON stays the default, and may be asked for by name; no other format.
    let listed = app.get(Admin, "/api/v1/parts").await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    let listed = app
        .get(Admin, "/api/v1/parts?format=json&limit=2")
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let (status, _, body) = app.get_text(Admin, "/api/v1/parts?format=xml", "*/*").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("format"), "{body}");
}

async fn movements_are_filtered_by_date(app: TestApp) {
    let n = network(&app).await;
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[0], "quantity": 4}]),
    )
    .await;
    app.advance(chrono::Duration::days(3));
    let later = app.now();
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[1], "quantity": 6}]),
    )
    .await;
    let day = later.format("%Y-%m-%d").to_string();
    let recent = app
        .get(Admin, &format!("/api/v1/stock/movements?from={day}"))
        .await
        .expect(200);
    let quantities: Vec<&Value> = recent["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["quantity"])
        .collect();
    assert_eq!(quantities, [&json!(6)]);
    let earlier = rows(&export(&app, &format!("/api/v1/stock/movements?to={day}")).await);
    assert_eq!(earlier.len(), 1);
    assert_eq!(
        (
            earlier[0]["part_number"].as_str(),
            earlier[0]["quantity"].as_str()
        ),
        ("P-A", "4")
    );
    let (status, _, body) = app
        .get_text(
            Admin,
            &format!("/api/v1/stock/movements?from={day}&to=2000-01-01"),
            CSV,
        )
        .await;
    assert_eq!(status, 422, "{body}");
}

async fn kpis_are_listed_and_exported_month_by_month(app: TestApp) {
    let months = app
        .get(Admin, "/api/v1/kpis/periods?from=2026-01-15&to=2026-04-01")
        .await
        .expect(200);
    let periods: Vec<&str> = months
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(months[0]["from"], "2026-01-15T00:00:00Z");
    assert_eq!(months[0]["requests_delivered"], 0);
    assert_eq!(months[0]["sla_attainment"], Value::Null);
    let text = export(&app, "/api/v1/kpis/periods?from=2026-01-15&to=2026-04-01").await;
    let exported = rows(&text);
    assert_eq!(exported.len(), 3);
    assert_eq!(exported[2]["period"], "2026-03");
    assert_eq!(exported[2]["sla_attainment"], "");
    app.get(
        Engineer,
        "/api/v1/kpis/periods?from=2026-01-01&to=2026-02-01",
    )
    .await
    .expect_problem(403, "forbidden");
    app.get(Admin, "/api/v1/kpis/periods?from=2026-02-01&to=2026-01-01")
        .await
        .expect_problem(422, "validation_failed");
}

async fn the_command_line_exports_what_the_api_exports(app: TestApp) {
    master_data(&app).await;
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spares"))
            .arg("export")
            .args(args)
            .args(["--database-url", &app.database_url])
            .env("NO_COLOR", "1")
            .output()
            .expect("run spares export")
    };
    let out = cli(&["sites"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by_cli = String::from_utf8(out.stdout).unwrap();
    assert_eq!(by_cli, export(&app, "/api/v1/sites").await);
    assert!(by_cli.contains("serving_warehouse_code"));
    // Filters are the list's query parameters.
    let out = cli(&["parts", "kind=repairable", "q=RRU"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parts = rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["part_number"], "RRU-7");
    // An unknown kind and a bad filter say so and exit non-zero.
    let out = cli(&["widgets"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot export `widgets`"));
    let out = cli(&["parts", "kind=widget"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("kind"));
    if app.backend == Backend::Sqlite {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_spares"))
            .args([
                "export",
                "parts",
                "--database-url",
                "sqlite://no-such-spares.db",
            ])
            .output()
            .expect("run spares export");
        assert!(!out.status.success(), "a missing database is not created");
    }
}
