//! What every master-data resource answers the same way: a natural key that
//! is already taken (by an earlier create, by a patch, or by a create
//! racing this one) is `409 already_exists` naming the key's field, and a
//! body with several bad fields names every one of them.
use entities::vocabulary::Role::Admin;
use sea_orm::TransactionTrait;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use spares::flows::master::lanes::Lane;
use spares::flows::master::parts::Part;
use spares::flows::master::sites::Site;
use spares::flows::master::sla_classes::SlaClass;
use spares::flows::master::vendors::Vendor;
use spares::flows::master::warehouses::Warehouse;
use spares::flows::master::{self, MasterResource};
use spares::store::error::AppError;

use crate::both_backends;
use crate::common::{Backend, Resp, TestApp, race};

both_backends!(
    a_taken_natural_key_is_already_exists,
    racing_creates_get_one_201_and_one_already_exists,
    the_unique_index_answers_like_the_pre_check,
    every_bad_field_is_named_at_once,
);

/// Warehouses the lanes and sites of a test point at.
struct Ends(Vec<i64>);

impl Ends {
    async fn new(app: &TestApp) -> Ends {
        let mut ids = Vec::new();
        for n in 0..4 {
            let body = json!({"code": format!("END-{n}"), "name": "End", "kind": "regional", "region": "north"});
            let created = app
                .post(Admin, "/api/v1/warehouses", body)
                .await
                .expect(201);
            ids.push(created["id"].as_i64().unwrap());
        }
        Ends(ids)
    }

    /// The `n`th ordered pair of distinct ends (12 of them).
    fn pair(&self, n: usize) -> (i64, i64) {
        let from = n % 4;
        let to = (from + 1 + (n / 4) % 3) % 4;
        (self.0[from], self.0[to])
    }
}

/// One resource: where it is created, its table, the request field of its
/// natural key, whether a PATCH can change that key, and a valid create
/// body whose key is the `n`th free one.
struct Case {
    path: &'static str,
    table: &'static str,
    key_field: &'static str,
    key_patchable: bool,
    body: fn(&Ends, usize) -> Value,
}

const CASES: [Case; 7] = [
    Case {
        path: "/api/v1/parts",
        table: "parts",
        key_field: "part_number",
        key_patchable: true,
        body: |_, n| json!({"part_number": format!("PN-{n}"), "unit_cost": "1", "kind": "consumable"}),
    },
    Case {
        path: "/api/v1/warehouses",
        table: "warehouses",
        key_field: "code",
        key_patchable: true,
        body: |_, n| json!({"code": format!("WH-{n}"), "name": "W", "kind": "forward", "region": "north"}),
    },
    Case {
        path: "/api/v1/lanes",
        table: "lanes",
        key_field: "to_warehouse_id",
        key_patchable: false,
        body: |ends, n| {
            let (from, to) = ends.pair(n);
            json!({"from_warehouse_id": from, "to_warehouse_id": to, "transit_hours": 5.0, "cost": "10"})
        },
    },
    Case {
        path: "/api/v1/sla-classes",
        table: "sla_classes",
        key_field: "code",
        key_patchable: true,
        body: |_, n| json!({"code": format!("SLA-{n}"), "name": "S", "response_minutes": 240}),
    },
    Case {
        path: "/api/v1/sites",
        table: "sites",
        key_field: "code",
        key_patchable: true,
        body: |ends, n| {
            json!({"code": format!("SITE-{n}"), "name": "S", "customer": "C", "region": "north",
                "time_zone": "Europe/Berlin", "serving_warehouse_id": ends.0[0], "transit_hours": 1.0})
        },
    },
    Case {
        path: "/api/v1/vendors",
        table: "vendors",
        key_field: "code",
        key_patchable: true,
        body: |_, n| json!({"code": format!("VEN-{n}"), "name": "V", "kind": "supplier", "lead_time_days": 5}),
    },
    Case {
        path: "/api/v1/holidays",
        table: "holidays",
        key_field: "day",
        key_patchable: false,
        body: |_, n| json!({"day": format!("2030-01-{:02}", n + 1), "name": "Holiday"}),
    },
];

#[track_caller]
fn assert_already_exists(body: &Value, case: &Case) {
    assert_eq!(body["code"], "already_exists", "{}: {body}", case.path);
    assert_eq!(body["status"], 409, "{}: {body}", case.path);
    assert_eq!(
        body["errors"],
        json!([{"field": case.key_field, "message": "already exists"}]),
        "{}: {body}",
        case.path
    );
}

async fn a_taken_natural_key_is_already_exists(app: TestApp) {
    let ends = Ends::new(&app).await;
    for case in &CASES {
        let first = (case.body)(&ends, 0);
        app.post(Admin, case.path, first.clone()).await.expect(201);
        let before = app.count(case.table).await;
        let dup = app.post(Admin, case.path, first.clone()).await;
        let body = dup.expect_problem(409, "already_exists");
        assert_already_exists(&body, case);
        assert_eq!(app.count(case.table).await, before, "{}", case.path);

        if case.key_patchable {
            let other = app
                .post(Admin, case.path, (case.body)(&ends, 1))
                .await
                .expect(201);
            let path = format!("{}/{}", case.path, other["id"]);
            let taken = json!({case.key_field: first[case.key_field]});
            let body = app
                .patch(Admin, &path, taken)
                .await
                .expect_problem(409, "already_exists");
            assert_already_exists(&body, case);
            let unchanged = app.get(Admin, &path).await.expect(200);
            assert_eq!(
                unchanged, other,
                "{}: a refused patch changes nothing",
                case.path
            );
        }
    }
}

async fn racing_creates_get_one_201_and_one_already_exists(app: TestApp) {
    let ends = Ends::new(&app).await;
    let token = app.token(Admin).to_owned();
    for case in &CASES {
        for round in 0..3 {
            let body = (case.body)(&ends, round);
            let call = (case.path.to_owned(), token.clone(), body);
            let mut answers = race(&app, vec![call.clone(), call]).await;
            answers.sort_by_key(|(status, _)| *status);
            let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
            assert_eq!(
                statuses,
                [201, 409],
                "{} round {round}: {answers:?}",
                case.path
            );
            assert_already_exists(&answers[1].1, case);
        }
        assert!(app.count(case.table).await >= 3, "{}", case.path);
    }
}

/// A create that passed the pre-check while another transaction held the
/// same key uncommitted meets the unique index; it must answer exactly as
/// the pre-check would. Only PostgreSQL lets two writers overlap like this
/// (SQLite runs one write transaction at a time).
async fn the_unique_index_answers_like_the_pre_check(app: TestApp) {
    if app.backend != Backend::Postgres {
        return;
    }
    let ends = Ends::new(&app).await;
    let case = |path: &str| CASES.iter().find(|c| c.path == path).unwrap();
    let created = |path: &str| (case(path).body)(&ends, 0);
    overlap::<Part>(&app, created("/api/v1/parts"), "part", "part_number").await;
    overlap::<Warehouse>(&app, created("/api/v1/warehouses"), "warehouse", "code").await;
    overlap::<Lane>(&app, created("/api/v1/lanes"), "lane", "to_warehouse_id").await;
    overlap::<SlaClass>(&app, created("/api/v1/sla-classes"), "sla_class", "code").await;
    overlap::<Site>(&app, created("/api/v1/sites"), "site", "code").await;
    overlap::<Vendor>(&app, created("/api/v1/vendors"), "vendor", "code").await;
}

/// Creates `body` in two transactions that overlap: the second starts
/// while the first is uncommitted, the first commits while the second
/// waits on the index.
async fn overlap<R>(app: &TestApp, body: Value, resource: &str, field: &str)
where
    R: MasterResource,
    R::Fields: DeserializeOwned,
{
    let fields: R::Fields = serde_json::from_value(body).expect("a valid body");
    let now = app.now();
    let first = app.db.begin().await.expect("begin");
    master::create::<R>(&first, fields.clone(), now)
        .await
        .unwrap_or_else(|e| panic!("{resource}: first create: {e}"));
    let second = app.db.begin().await.expect("begin");
    let (refused, committed) = tokio::join!(master::create::<R>(&second, fields, now), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        first.commit().await
    });
    committed.expect("commit");
    match refused {
        Err(AppError::AlreadyExists {
            resource: r,
            field: f,
        }) => assert_eq!((r, f), (resource, field)),
        Err(other) => panic!("{resource}: expected already_exists, got {other:?}"),
        Ok(_) => panic!("{resource}: the duplicate was created"),
    }
    let _ = second.rollback().await;
}

async fn every_bad_field_is_named_at_once(app: TestApp) {
    let ends = Ends::new(&app).await;
    let (a, b) = ends.pair(0);
    let cases: [(&str, &str, Value, &[&str]); 7] = [
        (
            "/api/v1/parts",
            "parts",
            json!({"part_number": "has space", "description": "x".repeat(2001),
                "unit_of_measure": "a b", "unit_cost": "1", "currency": "eur",
                "kind": "consumable", "lead_time_days": -1}),
            &[
                "part_number",
                "description",
                "unit_of_measure",
                "currency",
                "lead_time_days",
            ],
        ),
        (
            "/api/v1/warehouses",
            "warehouses",
            json!({"code": "", "name": "  ", "kind": "regional", "region": "tab\there"}),
            &["code", "name", "region"],
        ),
        (
            "/api/v1/lanes",
            "lanes",
            json!({"from_warehouse_id": a, "to_warehouse_id": a, "transit_hours": -1.0,
                "cost": "1", "currency": "euro"}),
            &["transit_hours", "currency", "to_warehouse_id"],
        ),
        (
            "/api/v1/sla-classes",
            "sla_classes",
            json!({"code": "a b", "name": "", "response_minutes": 0}),
            &["code", "name", "response_minutes"],
        ),
        (
            "/api/v1/sites",
            "sites",
            json!({"code": "?", "name": "", "customer": " ", "region": "x".repeat(201),
                "time_zone": "Mars/Olympus", "serving_warehouse_id": b, "transit_hours": -2.0}),
            &[
                "code",
                "name",
                "customer",
                "region",
                "time_zone",
                "transit_hours",
            ],
        ),
        (
            "/api/v1/vendors",
            "vendors",
            json!({"code": "", "name": "", "kind": "repair", "lead_time_days": -1}),
            &["code", "name", "lead_time_days", "repair_turnaround_days"],
        ),
        (
            "/api/v1/holidays",
            "holidays",
            json!({"day": "2030-05-01", "name": " ", "region": "x".repeat(201)}),
            &["name", "region"],
        ),
    ];
    for (path, table, body, fields) in cases {
        let before = app.count(table).await;
        let problem = app
            .post(Admin, path, body)
            .await
            .expect_problem(422, "validation_failed");
        let mut named = Resp::fields(&problem);
        named.sort();
        named.dedup();
        let mut expected = fields.to_vec();
        expected.sort();
        assert_eq!(named, expected, "{path}: {problem}");
        assert_eq!(app.count(table).await, before, "{path}: nothing written");
    }

    let part = app
        .post(
            Admin,
            "/api/v1/parts",
            json!({"part_number": "OK-1", "unit_cost": "1", "kind": "consumable"}),
        )
        .await
        .expect(201);
    let path = format!("/api/v1/parts/{}", part["id"]);
    let problem = app
        .patch(
            Admin,
            &path,
            json!({"part_number": "a b", "currency": "x", "description": "y".repeat(2001)}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        Resp::fields(&problem),
        ["part_number", "description", "currency"]
    );
    assert_eq!(
        app.get(Admin, &path).await.expect(200),
        part,
        "a refused patch changes nothing"
    );
}
