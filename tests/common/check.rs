//! Reading answers back: ids, stock levels, and the shape of refusals.
use entities::vocabulary::Role::{self, Engineer};
use reqwest::Method;
use serde_json::Value;

use super::{Resp, TestApp};

/// The `id` of a created or fetched row.
#[track_caller]
pub fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

/// The ids of a page's items, in order.
#[track_caller]
pub fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect()
}

/// (on_hand, reserved, available) of a part in a warehouse and condition;
/// zeros without a balance row.
pub async fn level(app: &TestApp, part: i64, warehouse: i64, condition: &str) -> (i64, i64, i64) {
    let page = app
        .get(Engineer, &format!("/api/v1/stock?part_id={part}&warehouse_id={warehouse}&condition={condition}&include_empty=true"))
        .await
        .expect(200);
    match page["items"].as_array().unwrap().first() {
        Some(row) => (
            row["on_hand"].as_i64().unwrap(),
            row["reserved"].as_i64().unwrap(),
            row["available"].as_i64().unwrap(),
        ),
        None => (0, 0, 0),
    }
}

/// Asserts a 422 that names `field`.
#[track_caller]
pub fn assert_names(problem: &Value, field: &str) {
    assert!(
        Resp::fields(problem).iter().any(|f| f == field),
        "{field} not named: {problem}"
    );
}

/// Asserts a 409 invalid_transition naming the state and the allowed actions.
#[track_caller]
pub fn refused(body: Value, current: &str, allowed: &[&str]) {
    assert_eq!(body["code"], "invalid_transition", "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("is {current};")),
        "detail names the state: {detail}"
    );
    let expected = if allowed.is_empty() {
        "none".to_owned()
    } else {
        allowed.join(", ")
    };
    assert!(
        detail.ends_with(&format!("allowed next: {expected}")),
        "detail names {expected}: {detail}"
    );
}

/// GETs `path` with each query string of `cases` as `role`: each is refused
/// with a 422 that names its field.
pub async fn rejected_queries<'a>(
    app: &TestApp,
    role: Role,
    path: &str,
    cases: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (query, field) in cases {
        let problem = app
            .get(role, &format!("{path}?{query}"))
            .await
            .expect_problem(422, "validation_failed");
        assert_names(&problem, field);
    }
}

/// Sends each body of `cases` to `path` with `method` (POST, PATCH) as
/// `role`: each is refused with a 422 that names its field.
pub async fn rejected<'a>(
    app: &TestApp,
    method: Method,
    role: Role,
    path: &str,
    cases: impl IntoIterator<Item = (Value, &'a str)>,
) {
    for (body, field) in cases {
        let problem = app
            .send(method.clone(), path, Some(app.token(role)), Some(&body))
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            Resp::fields(&problem).iter().any(|f| f == field),
            "{field} not named for {body}: {problem}"
        );
    }
}
