//! Tokens, roles and the admin API; the `spares token` CLI.
use std::process::Command;

use entities::vocabulary::Role::{self, *};
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::common::TestApp;

both_backends!(
    missing_bad_and_revoked_tokens_get_401,
    admin_manages_tokens_and_users,
    admin_routes_refuse_other_roles,
    token_cli_bootstraps_and_revokes,
);

async fn missing_bad_and_revoked_tokens_get_401(app: TestApp) {
    let r = app.send(Method::GET, "/api/v1/parts", None, None).await;
    r.expect_problem(401, "unauthorized");
    let r = app
        .send(
            Method::GET,
            "/api/v1/parts",
            Some("spk_not_a_real_token"),
            None,
        )
        .await;
    r.expect_problem(401, "unauthorized");

    let created = app
        .post(
            Admin,
            "/api/v1/tokens",
            json!({"name": "temp", "role": "warehouse"}),
        )
        .await
        .expect(201);
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 4 + 32, "at least 128 bits of randomness");
    let me = app
        .send(Method::GET, "/api/v1/me", Some(&secret), None)
        .await
        .expect(200);
    assert_eq!(me["role"], "warehouse");
    assert_eq!(me["name"], "temp");

    let id = created["id"].as_i64().unwrap();
    app.post_empty(Admin, &format!("/api/v1/tokens/{id}/revoke"))
        .await
        .expect(200);
    app.send(Method::GET, "/api/v1/me", Some(&secret), None)
        .await
        .expect_problem(401, "unauthorized");
}

async fn admin_manages_tokens_and_users(app: TestApp) {
    let created = app
        .post(
            Admin,
            "/api/v1/tokens",
            json!({"name": "bob", "role": "engineer"}),
        )
        .await
        .expect(201);
    let listed = app.get(Admin, "/api/v1/tokens").await.expect(200);
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == created["id"])
        .expect("listed")
        .clone();
    assert!(entry.get("token").is_none(), "secrets are never listed");
    assert_eq!(entry["user_name"], "bob");

    // One role per user.
    app.post(
        Admin,
        "/api/v1/tokens",
        json!({"name": "bob", "role": "admin"}),
    )
    .await
    .expect_problem(409, "conflict");
    app.post(
        Admin,
        "/api/v1/tokens",
        json!({"name": "bob", "role": "overlord"}),
    )
    .await
    .expect_problem(422, "validation_failed");

    let users = app.get(Admin, "/api/v1/users").await.expect(200);
    let bob = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "bob")
        .unwrap()
        .clone();
    let bob_id = bob["id"].as_i64().unwrap();
    app.post_empty(Admin, &format!("/api/v1/users/{bob_id}/deactivate"))
        .await
        .expect(200);
    let secret = created["token"].as_str().unwrap();
    app.send(Method::GET, "/api/v1/me", Some(secret), None)
        .await
        .expect_problem(401, "unauthorized");

    let me = app.get(Admin, "/api/v1/me").await.expect(200);
    let my_id = me["user_id"].as_i64().unwrap();
    app.post_empty(Admin, &format!("/api/v1/users/{my_id}/deactivate"))
        .await
        .expect_problem(409, "conflict");
}

async fn admin_routes_refuse_other_roles(app: TestApp) {
    for role in [Planner, Warehouse, Engineer] {
        let refused = app
            .get(role, "/api/v1/tokens")
            .await
            .expect_problem(403, "forbidden");
        // The refusal says who may, and who the caller is.
        assert_eq!(refused["allowed_roles"], json!(["admin"]), "{refused}");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .ends_with(&format!("you are signed in as {}", role.as_str())),
            "{refused}"
        );
        app.get(role, "/api/v1/users")
            .await
            .expect_problem(403, "forbidden");
        app.post(
            role,
            "/api/v1/tokens",
            json!({"name": "x", "role": "admin"}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.post_empty(role, "/api/v1/tokens/1/revoke")
            .await
            .expect_problem(403, "forbidden");
        let me = app.get(role, "/api/v1/me").await.expect(200);
        assert_eq!(me["role"], role.as_str());
    }
    assert_eq!(app.count("api_tokens").await, Role::ALL.len() as i64);
}

fn spares(args: &[&str], database_url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_spares"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "off")
        .output()
        .expect("run spares")
}

async fn token_cli_bootstraps_and_revokes(app: TestApp) {
    let out = spares(
        &["token", "create", "--role", "planner", "--name", "carol"],
        &app.database_url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "the token alone on stdout");
    assert!(token.starts_with("spk_"));
    let me = app
        .send(Method::GET, "/api/v1/me", Some(token), None)
        .await
        .expect(200);
    assert_eq!(me["role"], "planner");

    let out = spares(&["token", "list"], &app.database_url);
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(listing.contains("carol"));
    assert!(!listing.contains(token), "list never shows secrets");

    let id = app
        .get(Admin, "/api/v1/tokens")
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["user_name"] == "carol")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let out = spares(&["token", "revoke", &id.to_string()], &app.database_url);
    assert!(out.status.success());
    app.send(Method::GET, "/api/v1/me", Some(token), None)
        .await
        .expect_problem(401, "unauthorized");

    let bad = spares(
        &["token", "create", "--role", "wizard", "--name", "x"],
        &app.database_url,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("wizard"));
    let bad = spares(&["token", "revoke", "987654"], &app.database_url);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not found"));

    // Said once on stderr: which database the token belongs to.
    let out = spares(&["token", "list"], &app.database_url);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("using the database {}", app.database_url)),
        "{said}"
    );
}

/// Run in the wrong directory, `token create` must not make a new empty
/// database whose token the running server rejects.
#[tokio::test]
async fn token_cli_refuses_to_create_a_database_unasked() {
    let dir = std::env::temp_dir().join(format!("spares-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/absent.db", dir.display());
    let args = ["token", "create", "--role", "admin", "--name", "ann"];
    let out = spares(&args, &url);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("does not exist") && said.contains("--create"),
        "{said}"
    );
    assert!(!dir.join("absent.db").exists(), "nothing was created");
    assert!(out.stdout.is_empty(), "no token printed");
    let mut with_create = args.to_vec();
    with_create.push("--create");
    let out = spares(&with_create, &url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("spk_"));
    let _ = std::fs::remove_dir_all(&dir);
}
