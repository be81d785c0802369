//! What every route shares: probes, the OpenAPI document, the docs page,
//! problem+json for unknown routes and methods.
use entities::vocabulary::Role::*;
use reqwest::Method;

use crate::both_backends;
use crate::common::TestApp;

both_backends!(probes_docs_and_fallbacks);

async fn probes_docs_and_fallbacks(app: TestApp) {
    let health = app
        .send(Method::GET, "/health", None, None)
        .await
        .expect(200);
    assert_eq!(health["status"], "ok");
    let ready = app
        .send(Method::GET, "/ready", None, None)
        .await
        .expect(200);
    assert_eq!(ready["status"], "ready");

    let spec = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/api/v1/parts",
        "/api/v1/parts/{id}",
        "/api/v1/tokens",
        "/health",
        "/ready",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
    // Every operation declares its error answers.
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            if path.starts_with("/api/") {
                assert!(
                    op["responses"]["401"].is_object(),
                    "{method} {path} documents 401"
                );
                assert!(
                    op["responses"]["403"].is_object(),
                    "{method} {path} documents 403"
                );
            }
        }
    }

    let docs = app
        .client
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    let page = docs.text().await.unwrap();
    assert!(page.contains("/api/v1/openapi.json"), "{page}");
    // Everything the page loads comes from the service itself.
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        assert!(page.contains(asset), "{page}");
        let got = app
            .client
            .get(format!("{}{asset}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "{asset}");
        assert!(got.bytes().await.unwrap().len() > 100_000, "{asset}");
    }

    app.get(Admin, "/api/v1/nothing-here")
        .await
        .expect_problem(404, "route_not_found");
    app.send(
        Method::DELETE,
        "/api/v1/parts/1",
        Some(app.token(Admin)),
        None,
    )
    .await
    .expect_problem(405, "method_not_allowed");
}
