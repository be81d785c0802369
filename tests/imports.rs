//! CSV imports over HTTP and the command line: every kind lands and is
//! visible through the API, a second import of the same file changes
//! nothing, dry runs change nothing, every bad cell is named by row and
//! column (and nothing changes), size limits, roles, opening stock through
//! the ledger, and demand history feeding ledger forecasts.
use entities::vocabulary::Role::{self, *};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use spares::core::forecast::Method as Forecast;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both_backends;
use crate::common::fixtures::{network, on_hand, serial_unit};
use crate::common::{Resp, TestApp};

both_backends!(
    parts_are_created_updated_and_left_alone,
    a_dry_run_counts_and_changes_nothing,
    the_network_sites_and_vendors_import,
    bad_input_is_named_by_row_and_column_and_changes_nothing,
    every_problem_of_a_file_at_once_up_to_a_cap,
    imports_are_limited_by_size_not_by_the_json_limit,
    imports_admit_the_roles_of_the_api_writes,
    opening_stock_posts_one_balance_per_warehouse,
    demand_history_feeds_ledger_forecasts,
    the_command_line_imports_as_its_service_user,
    holidays_import_by_day_and_region,
);

async fn import(app: &TestApp, role: Role, kind: &str, file: impl AsRef<[u8]>) -> Resp {
    app.send_raw(
        Method::POST,
        &format!("/api/v1/imports/{kind}"),
        role,
        "text/csv",
        file.as_ref().to_vec(),
    )
    .await
}

/// `(created, updated, unchanged)` of a successful import.
#[track_caller]
fn counts(summary: &Value) -> (i64, i64, i64) {
    let n = |k: &str| {
        summary[k]
            .as_i64()
            .unwrap_or_else(|| panic!("{k}: {summary}"))
    };
    (n("created"), n("updated"), n("unchanged"))
}

async fn imported(app: &TestApp, role: Role, kind: &str, file: &str) -> (i64, i64, i64) {
    counts(&import(app, role, kind, file).await.expect(200))
}

/// The `(row, column, message)` of each refused cell of a 422.
#[track_caller]
fn cells(problem: &Value) -> Vec<(u64, String, String)> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["column"].as_str().expect("column").to_owned(),
                e["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

async fn refused(app: &TestApp, role: Role, kind: &str, file: &[u8]) -> Vec<(u64, String, String)> {
    cells(
        &import(app, role, kind, file)
            .await
            .expect_problem(422, "import_rejected"),
    )
}

async fn one(app: &TestApp, path: &str) -> Value {
    let page = app.get(Engineer, path).await.expect(200);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{path}: {page}");
    items[0].clone()
}

const PARTS: &str = "\u{feff}part_number,description,unit_cost,kind,criticality,annual_failure_rate,lead_time_days,serialized\n\
RRU-1,\"Radio unit, 2.6 GHz\nsecond line\",4200.00,repairable,critical,0.04,45,true\n\
FAN-2,Fan,12.5,consumable,,,,\n\
PSU-3,\"Power \"\"supply\"\"\",300,Repairable,high,0.1,30,FALSE\n";

async fn parts_are_created_updated_and_left_alone(app: TestApp) {
    assert_eq!(imported(&app, Planner, "parts", PARTS).await, (3, 0, 0));
    let rru = one(&app, "/api/v1/parts?q=RRU-1").await;
    assert_eq!(rru["description"], "Radio unit, 2.6 GHz\nsecond line");
    assert_eq!(
        rru["unit_cost"].as_str().unwrap().parse::<f64>().unwrap(),
        4200.0
    );
    assert_eq!(
        (rru["kind"].clone(), rru["criticality"].clone()),
        (json!("repairable"), json!("critical"))
    );
    assert_eq!(
        (rru["lead_time_days"].clone(), rru["serialized"].clone()),
        (json!(45), json!(true))
    );
    let fan = one(&app, "/api/v1/parts?q=FAN-2").await;
    // Empty cells take the API's defaults.
    assert_eq!(fan["criticality"], "medium");
    assert_eq!(fan["unit_of_measure"], "EA");
    assert_eq!(fan["currency"], "EUR");
    assert_eq!(fan["lead_time_days"], 0);
    assert_eq!(fan["serialized"], false);
    assert_eq!(
        one(&app, "/api/v1/parts?q=PSU-3").await["description"],
        "Power \"supply\""
    );

    assert_eq!(
        imported(&app, Planner, "parts", PARTS).await,
        (0, 0, 3),
        "same file again"
    );

    // A file of some columns updates only those; a new row needs the rest.
    let p = refused(
        &app,
        Planner,
        "parts",
        b"part_number,lead_time_days\nRRU-1,60\nNEW-4,5\n",
    )
    .await;
    let named: Vec<(u64, &str)> = p.iter().map(|(r, c, _)| (*r, c.as_str())).collect();
    assert_eq!(named, [(3, "unit_cost"), (3, "kind")], "{p:?}");
    assert_eq!(
        imported(
            &app,
            Planner,
            "parts",
            "part_number,lead_time_days\nRRU-1,60\nFAN-2,0\n"
        )
        .await,
        (0, 1, 1)
    );
    let rru = one(&app, "/api/v1/parts?q=RRU-1").await;
    assert_eq!(rru["lead_time_days"], 60);
    assert_eq!(
        rru["description"], "Radio unit, 2.6 GHz\nsecond line",
        "absent columns kept"
    );

    let changed = PARTS.replace("FAN-2,Fan,12.5", "FAN-2,Fan,13") + "NEW-4,,1,consumable,,,,\n";
    assert_eq!(imported(&app, Admin, "parts", &changed).await, (1, 2, 1));
    assert_eq!(
        one(&app, "/api/v1/parts?q=RRU-1").await["lead_time_days"],
        45
    );
    assert_eq!(app.count("parts").await, 4);
}

async fn a_dry_run_counts_and_changes_nothing(app: TestApp) {
    let file = "part_number,unit_cost,kind\nA-1,1,consumable\nA-2,2,repairable\n";
    let r = app
        .send_raw(
            Method::POST,
            "/api/v1/imports/parts?dry_run=true",
            Planner,
            "text/csv",
            file.into(),
        )
        .await
        .expect(200);
    assert_eq!(counts(&r), (2, 0, 0));
    assert_eq!(
        (r["dry_run"].clone(), r["kind"].clone()),
        (json!(true), json!("parts"))
    );
    assert_eq!(app.count("parts").await, 0);
    assert_eq!(imported(&app, Planner, "parts", file).await, (2, 0, 0));
    let changed = file.replace("A-2,2", "A-2,3");
    let r = app
        .send_raw(
            Method::POST,
            "/api/v1/imports/parts?dry_run=true",
            Planner,
            "text/csv",
            changed.into(),
        )
        .await
        .expect(200);
    assert_eq!(counts(&r), (0, 1, 1));
    assert_eq!(one(&app, "/api/v1/parts?q=A-2").await["unit_cost"], "2");
}

async fn the_network_sites_and_vendors_import(app: TestApp) {
    let warehouses = "code,name,kind,region,parent_code\n\
        DEP,Depot,central_depot,central,\n\
        REG-N,North,regional,north,DEP\n\
        FWD-1,Forward 1,forward,north,REG-N\n";
    assert_eq!(
        imported(&app, Admin, "warehouses", warehouses).await,
        (3, 0, 0)
    );
    let dep = one(&app, "/api/v1/warehouses?q=DEP").await["id"]
        .as_i64()
        .unwrap();
    let reg = one(&app, "/api/v1/warehouses?q=REG-N").await;
    let fwd = one(&app, "/api/v1/warehouses?q=FWD-1").await;
    assert_eq!(reg["parent_id"], dep);
    assert_eq!(fwd["parent_id"], reg["id"]);
    let (reg, fwd) = (reg["id"].as_i64().unwrap(), fwd["id"].as_i64().unwrap());
    assert_eq!(
        imported(&app, Admin, "warehouses", warehouses).await,
        (0, 0, 3)
    );
    // Making the depot a child of its own grandchild is a loop.
    let p = refused(&app, Admin, "warehouses", b"code,parent_code\nDEP,FWD-1\n").await;
    assert_eq!((p[0].0, p[0].1.as_str()), (2, "parent_code"));
    assert!(p[0].2.contains("cycle"), "{p:?}");

    let lanes = "from_code,to_code,transit_hours,cost\nDEP,REG-N,24,180.00\nREG-N,FWD-1,4.5,35\n";
    assert_eq!(imported(&app, Admin, "lanes", lanes).await, (2, 0, 0));
    let lanes = "from_warehouse_code,to_warehouse_code,transit_hours,cost,currency\n\
        DEP,REG-N,24,180,EUR\nREG-N,FWD-1,6,35,EUR\n";
    assert_eq!(imported(&app, Admin, "lanes", lanes).await, (0, 1, 1));
    let lane = one(&app, &format!("/api/v1/lanes?from_warehouse_id={reg}")).await;
    assert_eq!(
        (
            lane["to_warehouse_id"].as_i64(),
            lane["transit_hours"].as_f64()
        ),
        (Some(fwd), Some(6.0))
    );

    let sla = "code,name,response_minutes,business_hours_only\n4H,Four hours,240,false\nNBD,Next business day,1440,true\n";
    assert_eq!(imported(&app, Admin, "sla-classes", sla).await, (2, 0, 0));
    let four = one(&app, "/api/v1/sla-classes?q=4H").await["id"]
        .as_i64()
        .unwrap();
    let sites = "code,name,customer,region,time_zone,serving_warehouse_code,transit_hours,sla_class_code\n\
        S-1,Site one,Nordtel,north,Europe/Berlin,FWD-1,2.5,4H\n\
        S-2,Site two,Nordtel,north,Europe/Oslo,REG-N,6,\n";
    assert_eq!(imported(&app, Planner, "sites", sites).await, (2, 0, 0));
    let s1 = one(&app, "/api/v1/sites?q=S-1").await;
    assert_eq!(
        (
            s1["serving_warehouse_id"].as_i64(),
            s1["sla_class_id"].as_i64()
        ),
        (Some(fwd), Some(four))
    );
    assert_eq!(
        one(&app, "/api/v1/sites?q=S-2").await["sla_class_id"],
        Value::Null
    );

    let vendors = "code,name,kind,lead_time_days,repair_turnaround_days\nSUP,Supplier,supplier,30,\nFIX,Fixit,repair,0,14\n";
    assert_eq!(imported(&app, Planner, "vendors", vendors).await, (2, 0, 0));
    assert_eq!(
        one(&app, "/api/v1/vendors?q=FIX").await["repair_turnaround_days"],
        14
    );

    imported(
        &app,
        Planner,
        "parts",
        "part_number,unit_cost,kind\nP-1,10,repairable\nP-2,5.5,consumable\n",
    )
    .await;
    let installed = "site_code,part_number,quantity\nS-1,P-1,12\nS-2,P-1,3\nS-1,P-2,0\n";
    assert_eq!(
        imported(&app, Planner, "installed-base", installed).await,
        (3, 0, 0)
    );
    let s1 = s1["id"].as_i64().unwrap();
    let base = app
        .get(Engineer, &format!("/api/v1/sites/{s1}/installed-base"))
        .await
        .expect(200);
    assert_eq!(base["items"][0]["part_number"], "P-1");
    assert_eq!(base["items"][0]["quantity"], 12);
    let installed = installed.replace("S-2,P-1,3", "S-2,P-1,4");
    assert_eq!(
        imported(&app, Planner, "installed-base", &installed).await,
        (0, 1, 2)
    );

    let levels =
        "warehouse_code,part_number,reorder_point,max_level\nREG-N,P-1,2,5\nFWD-1,P-1,1,2\n";
    assert_eq!(
        imported(&app, Planner, "stock-levels", levels).await,
        (2, 0, 0)
    );
    let level = one(&app, &format!("/api/v1/stock-levels?warehouse_id={reg}")).await;
    assert_eq!(
        (level["reorder_point"].as_i64(), level["max_level"].as_i64()),
        (Some(2), Some(5))
    );
    assert_eq!(level["source"], "manual");
    assert_eq!(
        imported(&app, Planner, "stock-levels", levels).await,
        (0, 0, 2)
    );
}

/// Every table an import writes, to prove a refused one changed nothing.
async fn snapshot(app: &TestApp) -> Vec<i64> {
    let mut n = Vec::new();
    for table in [
        "parts",
        "warehouses",
        "lanes",
        "sla_classes",
        "sites",
        "vendors",
        "installed_base",
        "stock_levels",
        "stock_documents",
        "stock_movements",
        "stock_balances",
        "demand_history",
    ] {
        n.push(app.count(table).await);
    }
    n
}

/// A refused file: who sends it, its kind, its bytes, and the row, column
/// and words of the problem it must name.
type BadFile = (Role, &'static str, Vec<u8>, u64, &'static str, &'static str);

async fn bad_input_is_named_by_row_and_column_and_changes_nothing(app: TestApp) {
    network(&app).await; // DEP, REG, site S1, supplier SUP, parts P-A, P-B, P-C
    let before = snapshot(&app).await;
    let parts_header = "part_number,unit_cost,kind";
    let cases: Vec<BadFile> = vec![
        (Planner, "parts", b"part_number;unit_cost;kind\nX;1;consumable\n".to_vec(), 1, "part_number;unit_cost;kind", "separated by commas"),
        (Planner, "parts", b"part_number\tunit_cost\tkind\n".to_vec(), 1, "part_number\tunit_cost\tkind", "tabs"),
        (Planner, "parts", b"part_number,description,unit_cost,kind\nX,caf\xe9,1,consumable\n".to_vec(), 2, "description", "UTF-8"),
        (Planner, "parts", format!("{parts_header}\nX-1,1,consumable\nX-1,2,consumable\n").into(), 3, "part_number", "already on line 2"),
        (Planner, "parts", format!("{parts_header}\nP-A,1,consumable\nP-A,1,consumable\n").into(), 3, "part_number", "already on line 2"),
        (Planner, "parts", format!("{parts_header}\nX-2,\"1,234.50\",consumable\n").into(), 2, "unit_cost", "no thousands separators"),
        (Planner, "parts", format!("{parts_header}\nX-3,\"12,5\",consumable\n").into(), 2, "unit_cost", "a point for decimals"),
        (Planner, "parts", format!("{parts_header},annual_failure_rate\nX-4,1,consumable,\"0,5\"\n").into(), 2, "annual_failure_rate", "a point for decimals"),
        (Planner, "parts", format!("{parts_header}\nX-5,1,\n").into(), 2, "kind", "must not be empty"),
        (Planner, "parts", format!("{parts_header}\nX-6,1000000000000000000000000000000,consumable\n").into(), 2, "unit_cost", "up to 12 digits"),
        (Planner, "parts", format!("{parts_header},lead_time_days\nX-7,1,consumable,99999999999\n").into(), 2, "lead_time_days", "between 0 and 3650"),
        (Planner, "parts", format!("{parts_header}\nX-8,1\n").into(), 2, "kind", "2 cells where the header names 3"),
        (Planner, "parts", format!("{parts_header},colour\n").into(), 1, "colour", "unknown column"),
        (Planner, "parts", b"unit_cost,kind\n1,consumable\n".to_vec(), 1, "part_number", "no `part_number` column"),
        (Planner, "parts", b"part_number,description,unit_cost,kind\nX-9,\"two\nlines\",1,consumable\nX-10,,1,bogus\n".to_vec(), 4, "kind", "not one of"),
        (Planner, "parts", Vec::new(), 1, "", "empty"),
        (Planner, "sites", b"code,name,customer,region,time_zone,serving_warehouse_code,transit_hours\nS9,S,C,R,Europe/Berlin,NOPE,1\n".to_vec(), 2, "serving_warehouse_code", "NOPE"),
        (Planner, "sites", b"code,name,customer,region,time_zone,serving_warehouse_code,transit_hours\nS9,S,C,R,Mars/Base,DEP,1\n".to_vec(), 2, "time_zone", "IANA"),
        (Admin, "warehouses", b"code,name,kind,region,parent_code\nW-1,W,regional,r,W-2\nW-2,W,central_depot,r,\n".to_vec(), 2, "parent_code", "earlier in this file"),
        (Admin, "lanes", b"from_warehouse_code,to_warehouse_code,transit_hours,cost\nDEP,NOWHERE,1,1\n".to_vec(), 2, "to_warehouse_code", "NOWHERE"),
        (Admin, "lanes", b"from_warehouse_code,to_warehouse_code,transit_hours,cost\nDEP,DEP,1,1\n".to_vec(), 2, "to_warehouse_code", "must differ"),
        (Planner, "installed-base", b"site_code,part_number,quantity\nS1,P-A,-3\n".to_vec(), 2, "quantity", "between 0"),
        (Planner, "installed-base", b"site_code,part_number,quantity\nS1,P-A,\"12,5\"\n".to_vec(), 2, "quantity", "thousands separators"),
        (Planner, "installed-base", b"site_code,part_number,quantity\nS1,NO-SUCH,1\n".to_vec(), 2, "part_number", "NO-SUCH"),
        (Planner, "stock-levels", b"warehouse_code,part_number,reorder_point,max_level\nDEP,P-A,5,2\n".to_vec(), 2, "max_level", "at least reorder_point"),
        (Planner, "vendors", b"code,name,kind,lead_time_days\nV-1,V,repair,3\n".to_vec(), 2, "repair_turnaround_days", "required"),
        (Warehouse, "opening-stock", b"warehouse_code,part_number,quantity\nDEP,P-A,-1\n".to_vec(), 2, "quantity", "between 1"),
        (Warehouse, "opening-stock", b"warehouse_code,part_number,quantity\nDEP,P-A,5\nREG,P-B,2\nDEP,P-A,1\n".to_vec(), 4, "part_number", "already on line 2"),
        (Planner, "demand-history", b"part_number,warehouse_code,period,quantity\nP-A,DEP,2999-01,1\n".to_vec(), 2, "period", "not over yet"),
        (Planner, "demand-history", b"part_number,warehouse_code,period,quantity\nP-A,DEP,March,1\n".to_vec(), 2, "period", "2025-W10"),
        (Planner, "demand-history", b"part_number,period,quantity\nP-A,2025-01,1\n".to_vec(), 1, "warehouse_code", "site_code"),
    ];
    for (role, kind, file, row, column, says) in cases {
        let found = refused(&app, role, kind, &file).await;
        assert!(
            found
                .iter()
                .any(|(r, c, m)| *r == row && c == column && m.contains(says)),
            "{kind} {:?}: expected row {row}, column {column}, `{says}`; got {found:?}",
            String::from_utf8_lossy(&file)
        );
        assert_eq!(
            snapshot(&app).await,
            before,
            "{kind}: a refused file changed something"
        );
    }
}

async fn every_problem_of_a_file_at_once_up_to_a_cap(app: TestApp) {
    let file = "part_number,unit_cost,kind,lead_time_days\n\
        OK-1,1,consumable,1\n\
        BAD 1,1,consumable,1\n\
        OK-2,-1,consumable,1\n\
        OK-3,1,gadget,-5\n";
    let found = refused(&app, Planner, "parts", file.as_bytes()).await;
    let named: Vec<(u64, &str)> = found.iter().map(|(r, c, _)| (*r, c.as_str())).collect();
    assert_eq!(
        named,
        [
            (3, "part_number"),
            (4, "unit_cost"),
            (5, "kind"),
            (5, "lead_time_days")
        ],
        "{found:?}"
    );
    assert_eq!(
        app.count("parts").await,
        0,
        "the good rows are not kept either"
    );

    let mut many = String::from("part_number,unit_cost,kind\n");
    for i in 0..150 {
        many.push_str(&format!("M-{i},oops,consumable\n"));
    }
    let problem = import(&app, Planner, "parts", &many)
        .await
        .expect_problem(422, "import_rejected");
    assert_eq!(cells(&problem).len(), 100);
    assert_eq!(problem["errors_truncated"], true);
    assert_eq!(cells(&problem)[0].0, 2);
    let fine = refused(&app, Planner, "parts", file.as_bytes()).await;
    assert_eq!(fine.len(), 4);
}

/// Sends an import request by hand: the head, then `body` (as given, so
/// a test can announce 200 MB and send none of it), and reads the status
/// and problem code of the answer.
async fn raw_import(app: &TestApp, head: &str, body: &[u8]) -> (u16, Value) {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /api/v1/imports/parts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nConnection: close\r\n{head}\r\n",
        app.token(Planner)
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send head");
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("answered in time")
    .expect("read answer");
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text.find("\r\n\r\n").map_or(Value::Null, |at| {
        let body = &text[at + 4..];
        let start = body.find('{').unwrap_or(0);
        let end = body.rfind('}').map_or(body.len(), |e| e + 1);
        serde_json::from_str(&body[start..end]).unwrap_or(Value::Null)
    });
    (status, json)
}

async fn imports_are_limited_by_size_not_by_the_json_limit(app: TestApp) {
    // 200 MB announced: refused by its size before a byte of it is read.
    let (status, problem) = raw_import(&app, "Content-Length: 209715200\r\n", b"").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("payload_too_large")),
        "{problem}"
    );

    // Larger than the JSON body limit (1 MiB), well inside the import limit.
    let mut big = String::from("part_number,description,unit_cost,kind\n");
    for i in 0..6000 {
        big.push_str(&format!("BIG-{i},{},1,consumable\n", "d".repeat(200)));
    }
    assert!(big.len() > 1024 * 1024);
    assert_eq!(imported(&app, Planner, "parts", &big).await, (6000, 0, 0));

    // With a limit of 1,000 bytes: declared or chunked, the body is refused.
    let small = TestApp::start_with(app.backend, |args| args.import_max_bytes = 1000)
        .await
        .expect("a second app");
    let over = vec![b'x'; 2000];
    import(&small, Planner, "parts", &over)
        .await
        .expect_problem(413, "payload_too_large");
    let chunk = format!("258\r\n{}\r\n", "x".repeat(600));
    let chunked = format!("{chunk}{chunk}{chunk}0\r\n\r\n");
    let (status, problem) =
        raw_import(&small, "Transfer-Encoding: chunked\r\n", chunked.as_bytes()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("payload_too_large")),
        "{problem}"
    );
    let fits = "part_number,unit_cost,kind\nSMALL-1,1,consumable\n";
    assert_eq!(imported(&small, Planner, "parts", fits).await, (1, 0, 0));
    assert_eq!(small.count("parts").await, 1);
}

async fn imports_admit_the_roles_of_the_api_writes(app: TestApp) {
    network(&app).await;
    let files = [
        (
            "parts",
            "part_number,unit_cost,kind\nR-1,1,consumable\n",
            vec![Admin, Planner],
        ),
        (
            "vendors",
            "code,name,kind,lead_time_days\nV-9,V,supplier,1\n",
            vec![Admin, Planner],
        ),
        (
            "warehouses",
            "code,name,kind,region\nW-9,W,forward,r\n",
            vec![Admin],
        ),
        (
            "lanes",
            "from_warehouse_code,to_warehouse_code,transit_hours,cost\nDEP,REG,1,1\n",
            vec![Admin],
        ),
        (
            "sla-classes",
            "code,name,response_minutes\nX,X,60\n",
            vec![Admin],
        ),
        (
            "sites",
            "code,name,customer,region,time_zone,serving_warehouse_code,transit_hours\nS-9,S,C,R,UTC,REG,1\n",
            vec![Admin, Planner],
        ),
        (
            "installed-base",
            "site_code,part_number,quantity\nS1,P-A,1\n",
            vec![Admin, Planner],
        ),
        (
            "stock-levels",
            "warehouse_code,part_number,reorder_point,max_level\nREG,P-A,1,2\n",
            vec![Admin, Planner],
        ),
        (
            "opening-stock",
            "warehouse_code,part_number,quantity\nREG,P-A,1\n",
            vec![Admin, Warehouse],
        ),
        (
            "demand-history",
            "part_number,warehouse_code,period,quantity\nP-A,REG,2020-01,1\n",
            vec![Admin, Planner],
        ),
    ];
    for (kind, file, allowed) in files {
        for &role in Role::ALL {
            let path = format!("/api/v1/imports/{kind}?dry_run=true");
            let r = app
                .send_raw(Method::POST, &path, role, "text/csv", file.into())
                .await;
            if allowed.contains(&role) {
                assert_eq!(counts(&r.expect(200)).0, 1, "{kind} as {role}");
            } else {
                r.expect_problem(403, "forbidden");
            }
        }
    }
    let no_token = app
        .send(Method::POST, "/api/v1/imports/parts", None, None)
        .await;
    no_token.expect_problem(401, "unauthorized");
    import(&app, Admin, "gadgets", "a,b\n")
        .await
        .expect_problem(400, "bad_parameter");
    app.send_raw(
        Method::POST,
        "/api/v1/imports/parts",
        Planner,
        "application/json",
        b"{}".to_vec(),
    )
    .await
    .expect_problem(415, "unsupported_media_type");
    let latin = app
        .send_raw(
            Method::POST,
            "/api/v1/imports/parts",
            Planner,
            "text/csv; charset=latin1",
            b"a".to_vec(),
        )
        .await
        .expect_problem(415, "unsupported_media_type");
    assert!(
        latin["detail"].as_str().unwrap().contains("UTF-8"),
        "{latin}"
    );
    assert_eq!(
        app.count("stock_documents").await,
        0,
        "dry runs keep nothing"
    );
}

async fn opening_stock_posts_one_balance_per_warehouse(app: TestApp) {
    let n = network(&app).await;
    let (a, b) = (n.parts[0], n.parts[1]);
    let s = app
        .post(Planner, "/api/v1/parts", json!({"part_number": "P-S", "unit_cost": "99", "kind": "repairable", "serialized": true}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let wrong_serials = refused(
        &app,
        Admin,
        "opening-stock",
        b"warehouse_code,part_number,quantity,serials\nREG,P-S,2,SN-1\nREG,P-A,1,SN-9\n",
    )
    .await;
    let named: Vec<(u64, &str)> = wrong_serials
        .iter()
        .map(|(r, c, _)| (*r, c.as_str()))
        .collect();
    assert_eq!(named, [(2, "serials"), (3, "serials")], "{wrong_serials:?}");
    let file = "warehouse_code,part_number,condition,quantity,serials\n\
        DEP,P-A,good,10,\n\
        DEP,P-A,defective,2,\n\
        DEP,P-B,,7,\n\
        REG,P-S,good,2,SN-1; SN-2\n";
    let r = import(&app, Warehouse, "opening-stock", file)
        .await
        .expect(200);
    assert_eq!(counts(&r), (4, 0, 0));
    let docs: Vec<i64> = r["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_i64().unwrap())
        .collect();
    assert_eq!(docs.len(), 2, "one document per warehouse: {r}");
    let dep_doc = app
        .get(Engineer, &format!("/api/v1/stock/documents/{}", docs[0]))
        .await
        .expect(200);
    assert_eq!(dep_doc["doc_type"], "opening_balance");
    assert_eq!(dep_doc["warehouse_id"], n.depot);
    assert_eq!(dep_doc["movements"].as_array().unwrap().len(), 3);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 10);
    assert_eq!(on_hand(&app, a, n.depot, "defective").await, 2);
    assert_eq!(on_hand(&app, b, n.depot, "good").await, 7);
    assert_eq!(on_hand(&app, s, n.regional, "good").await, 2);
    let unit = serial_unit(&app, s, "SN-2").await;
    assert_eq!(
        unit["location"],
        json!({"kind": "warehouse", "id": n.regional, "code": "REG"})
    );
    app.assert_verified().await;

    // Once per warehouse, until reversed.
    let again = import(
        &app,
        Warehouse,
        "opening-stock",
        "warehouse_code,part_number,quantity\nDEP,P-C,1\n",
    )
    .await
    .expect_problem(409, "conflict");
    let detail = again["detail"].as_str().unwrap();
    assert!(
        detail.contains("DEP") && detail.contains("reverse"),
        "{again}"
    );

    app.post(
        Warehouse,
        &format!("/api/v1/stock/documents/{}/reverse", docs[0]),
        json!({"reason": "wrong counts"}),
    )
    .await
    .expect(201);
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 0);
    let recount = "warehouse_code,part_number,quantity\nDEP,P-A,12\n";
    assert_eq!(
        imported(&app, Admin, "opening-stock", recount).await,
        (1, 0, 0)
    );
    assert_eq!(on_hand(&app, a, n.depot, "good").await, 12);
    app.assert_verified().await;
}

async fn demand_history_feeds_ledger_forecasts(app: TestApp) {
    use chrono::{Datelike, Months, NaiveDate};
    let n = network(&app).await;
    let a = n.parts[0];
    // The ledger begins now, in month M0: stock arrives and 2 units leave.
    let began = app.now().date_naive();
    let m0 = NaiveDate::from_ymd_opt(began.year(), began.month(), 1).unwrap();
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": n.regional, "source": "other",
        "lines": [{"part_id": a, "quantity": 20}]}),
    )
    .await
    .expect(201);
    app.post(
        Warehouse,
        "/api/v1/stock/issues",
        json!({"warehouse_id": n.regional, "destination": "site",
        "site_id": n.site, "lines": [{"part_id": a, "quantity": 2}]}),
    )
    .await
    .expect(201);
    app.advance(chrono::Duration::days(62));
    let month = |back: u32| {
        m0.checked_sub_months(Months::new(back))
            .unwrap()
            .format("%Y-%m")
            .to_string()
    };
    // Three months before M0 at the warehouse, one at its site (served by
    // it), and M0 itself, which the ledger already covers.
    let file = format!(
        "part_number,warehouse_code,site_code,period,quantity\n\
         P-A,REG,,{},4\nP-A,REG,,{},5\nP-A,REG,,{},6\nP-A,,S1,{},7\nP-A,REG,,{},99\n",
        month(3),
        month(2),
        month(1),
        month(4),
        month(0)
    );
    assert_eq!(
        imported(&app, Planner, "demand-history", &file).await,
        (5, 0, 0)
    );
    assert_eq!(
        imported(&app, Planner, "demand-history", &file).await,
        (0, 0, 5)
    );

    let run = app
        .post(
            Planner,
            "/api/v1/forecasts",
            json!({"source": "ledger", "method": "ses", "alpha": 0.5,
            "bucket": "month", "periods": 8, "warehouse_id": n.regional, "part_ids": [a]}),
        )
        .await
        .expect(201);
    let r = &run["results"][0];
    assert_eq!(r["part_id"], a);
    // The window: the 8 complete months before the server's current month.
    let now = app.now().date_naive();
    let current = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap();
    let expected: Vec<f64> = (1..=8)
        .rev()
        .map(|back| {
            let m = current.checked_sub_months(Months::new(back)).unwrap();
            match (m0.year() - m.year()) * 12 + m0.month() as i32 - m.month() as i32 {
                4 => 7.0,
                3 => 4.0,
                2 => 5.0,
                1 => 6.0,
                0 => 2.0, // the ledger's month, not the imported 99
                _ => 0.0,
            }
        })
        .collect();
    let want = Forecast::Ses { alpha: 0.5 }.forecast_one(&expected);
    assert_eq!(r["forecast"], json!([want]), "history {expected:?}: {run}");
}

async fn the_command_line_imports_as_its_service_user(app: TestApp) {
    network(&app).await;
    let dir = std::env::temp_dir();
    let file = |name: &str, text: &str| {
        let path = dir.join(format!(
            "spares-cli-import-{}-{name}.csv",
            rand::random::<u32>()
        ));
        std::fs::write(&path, text).expect("write csv");
        path
    };
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spares"))
            .args(args)
            .args(["--database-url", &app.database_url])
            .env("NO_COLOR", "1")
            .output()
            .expect("run spares import")
    };
    let parts = file(
        "parts",
        "part_number,unit_cost,kind\nCLI-1,1,consumable\nCLI-2,2,repairable\n",
    );
    let out = cli(&["import", "parts", parts.to_str().unwrap(), "--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(
        (counts(&summary), summary["dry_run"].clone()),
        ((2, 0, 0), json!(true))
    );
    assert_eq!(app.count("parts").await, 3);
    let out = cli(&["import", "parts", parts.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("parts").await, 5);

    let bad = file(
        "bad",
        "part_number,unit_cost,kind\nCLI-3,\"1,5\",consumable\n",
    );
    let out = cli(&["import", "parts", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2, unit_cost"), "{stderr}");

    let opening = file(
        "opening",
        "warehouse_code,part_number,quantity\nREG,P-A,3\n",
    );
    let out = cli(&["import", "opening-stock", opening.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    let doc = app
        .get(
            Engineer,
            &format!("/api/v1/stock/documents/{}", summary["documents"][0]),
        )
        .await
        .expect(200);
    let actor = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT name, role FROM users WHERE id = {}",
                doc["created_by"]
            ),
        ))
        .await
        .expect("query")
        .expect("the actor");
    assert_eq!(
        actor.try_get::<String>("", "name").unwrap(),
        "spares-import"
    );
    assert_eq!(actor.try_get::<String>("", "role").unwrap(), "admin");
    app.assert_verified().await;
    for path in [parts, bad, opening] {
        let _ = std::fs::remove_file(path);
    }
}

async fn holidays_import_by_day_and_region(app: TestApp) {
    let file = "day,region,name\n2026-12-25,,Christmas Day\n2026-10-03,north,Unity Day\n";
    assert_eq!(imported(&app, Planner, "holidays", file).await, (2, 0, 0));
    assert_eq!(imported(&app, Planner, "holidays", file).await, (0, 0, 2));
    let renamed =
        "day,region,name\n2026-10-03,north,German Unity Day\n2026-10-03,south,Unity Day\n";
    assert_eq!(
        imported(&app, Planner, "holidays", renamed).await,
        (1, 1, 0)
    );
    let listed = app
        .get(Planner, "/api/v1/holidays?region=north")
        .await
        .expect(200);
    assert_eq!(listed["items"][0]["name"], "German Unity Day");
    let bad = "day,region,name\n03.10.2026,north,Unity Day\n2026-12-25,,Christmas\n2026-12-25,,Again\n2026-12-26,,\n";
    let problem = import(&app, Planner, "holidays", bad)
        .await
        .expect_problem(422, "import_rejected");
    let named: Vec<(u64, String)> = cells(&problem)
        .into_iter()
        .map(|(r, c, _)| (r, c))
        .collect();
    assert_eq!(
        named,
        [
            (2, "day".to_owned()),
            (4, "day".to_owned()),
            (5, "name".to_owned())
        ]
    );
    assert_eq!(app.count("holidays").await, 3);
    import(&app, Engineer, "holidays", file)
        .await
        .expect_problem(403, "forbidden");
}
