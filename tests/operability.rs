//! Running the service: `/metrics` for the scraper, `x-request-id` on every
//! response, and log lines a machine can read (`--log-format json`, no
//! colour codes off a terminal), the latter from the real binary.
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Parser;
use entities::vocabulary::Role::*;
use reqwest::Method;
use serde_json::{Value, json};
use spares::cli::Cli;
use spares::cli::logging::LogFormat;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

use crate::both_backends;
use crate::common::TestApp;
use crate::common::fixtures::{network, receive};

both_backends!(
    metrics_count_requests_by_route_template,
    metrics_report_pool_jobs_and_documents,
    request_ids_are_echoed_or_generated
);

/// `GET /metrics` as text, checking the exposition format's content type.
async fn scrape(app: &TestApp) -> String {
    let resp = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4",
        "Prometheus text format 0.0.4"
    );
    resp.text().await.unwrap()
}

/// The value of the sample `name` whose labels are exactly `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            if metric != name {
                return None;
            }
            let mut found: Vec<(&str, &str)> = rest
                .strip_suffix('}')?
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once("=\"").unwrap_or((p, ""));
                    (k, v.trim_end_matches('"'))
                })
                .collect();
            let mut wanted = labels.to_vec();
            found.sort();
            wanted.sort();
            (found == wanted).then(|| value.parse().ok())?
        })
}

fn requests(text: &str, route: &str, method: &str, status: &str) -> f64 {
    sample(
        text,
        "spares_http_requests_total",
        &[("route", route), ("method", method), ("status", status)],
    )
    .unwrap_or(0.0)
}

async fn metrics_count_requests_by_route_template(app: TestApp) {
    app.get(Admin, "/api/v1/parts").await.expect(200);
    let first = scrape(&app).await;
    let before = requests(&first, "/api/v1/parts", "GET", "200");
    assert!(before >= 1.0, "the request is counted:\n{first}");
    // The latency histogram has the same labels.
    let labels = [
        ("route", "/api/v1/parts"),
        ("method", "GET"),
        ("status", "200"),
    ];
    let observed = sample(
        &first,
        "spares_http_request_duration_seconds_count",
        &labels,
    );
    assert_eq!(observed, Some(before), "{first}");
    assert!(first.contains("# TYPE spares_http_request_duration_seconds histogram"));
    let mut inf = labels.to_vec();
    inf.push(("le", "+Inf"));
    assert_eq!(
        sample(&first, "spares_http_request_duration_seconds_bucket", &inf),
        Some(before)
    );

    app.get(Admin, "/api/v1/parts").await.expect(200);
    // Routes are templates, never raw URIs; unknown paths share one label;
    // a refusal is counted under its own status.
    app.get(Admin, "/api/v1/parts/987654")
        .await
        .expect_problem(404, "not_found");
    app.get(Admin, "/no/such/place/42")
        .await
        .expect_problem(404, "route_not_found");
    app.send(Method::GET, "/api/v1/parts", None, None)
        .await
        .expect(401);

    let second = scrape(&app).await;
    assert_eq!(
        requests(&second, "/api/v1/parts", "GET", "200"),
        before + 1.0,
        "a second request raises the count:\n{second}"
    );
    assert_eq!(requests(&second, "/api/v1/parts/{id}", "GET", "404"), 1.0);
    assert_eq!(requests(&second, "unmatched", "GET", "404"), 1.0);
    assert_eq!(requests(&second, "/api/v1/parts", "GET", "401"), 1.0);
    assert!(!second.contains("987654"), "no raw URI in a label");
    assert!(!second.contains("/no/such/place"), "no raw URI in a label");
    // The scrapes themselves are not counted.
    assert!(!second.contains("route=\"/metrics\""), "{second}");
}

/// The gauge `name{label="..."}` for each of `values`, all present.
fn gauges(text: &str, name: &str, label: &str, values: &[&str]) -> Vec<f64> {
    values
        .iter()
        .map(|v| {
            sample(text, name, &[(label, v)])
                .unwrap_or_else(|| panic!("{name}{{{label}=\"{v}\"}} missing:\n{text}"))
        })
        .collect()
}

async fn metrics_report_pool_jobs_and_documents(app: TestApp) {
    let text = scrape(&app).await;
    let pool = gauges(
        &text,
        "spares_db_pool_connections",
        "state",
        &["in_use", "idle"],
    );
    assert!(pool.iter().all(|n| *n >= 0.0));
    // The test harness opens a pool of 8.
    assert_eq!(
        sample(&text, "spares_db_pool_max_connections", &[]),
        Some(8.0)
    );
    assert!(pool[0] + pool[1] <= 8.0, "{text}");
    assert_eq!(sample(&text, "spares_database_up", &[]), Some(1.0));
    let statuses = ["queued", "running", "done", "failed", "cancelled"];
    let jobs = gauges(&text, "spares_planning_jobs", "status", &statuses);
    assert_eq!(jobs, vec![0.0; 5], "a new database has no jobs");
    assert_eq!(
        sample(
            &text,
            "spares_stock_documents_posted",
            &[("doc_type", "receipt")]
        ),
        Some(0.0)
    );

    // One receipt and one job, counted from the database at scrape time.
    let n = network(&app).await;
    receive(
        &app,
        &n,
        n.depot,
        json!([{"part_id": n.parts[0], "quantity": 2}]),
    )
    .await;
    app.post(
        Admin,
        "/api/v1/lanes",
        json!({"from_warehouse_id": n.depot, "to_warehouse_id": n.regional,
            "transit_hours": 12.0, "cost": "80", "currency": "EUR"}),
    )
    .await
    .expect(201);
    let job = app
        .post(
            Planner,
            "/api/v1/planning/jobs",
            json!({"kind": "simulate", "replications": 1}),
        )
        .await
        .expect(202);
    let id = job["id"].as_i64().unwrap();
    let end = wait_for_job(&app, id).await;

    let text = scrape(&app).await;
    let jobs = gauges(&text, "spares_planning_jobs", "status", &statuses);
    let at = statuses.iter().position(|s| *s == end).unwrap();
    let mut expected = vec![0.0; 5];
    expected[at] = 1.0;
    assert_eq!(jobs, expected, "the job is {end}:\n{text}");
    assert_eq!(
        sample(
            &text,
            "spares_stock_documents_posted",
            &[("doc_type", "receipt")]
        ),
        Some(app.count("stock_documents").await as f64)
    );
    assert_eq!(
        sample(
            &text,
            "spares_stock_documents_posted",
            &[("doc_type", "issue")]
        ),
        Some(0.0)
    );
}

/// The status a job ends in.
async fn wait_for_job(app: &TestApp, id: i64) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = app
            .get(Planner, &format!("/api/v1/planning/jobs/{id}"))
            .await
            .expect(200);
        let status = job["status"].as_str().unwrap().to_owned();
        if ["done", "failed", "cancelled"].contains(&status.as_str()) {
            return status;
        }
        assert!(Instant::now() < deadline, "job {id} still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `x-request-id` of a response to `GET path`, sending `id` if given.
async fn request_id(app: &TestApp, path: &str, id: Option<&str>) -> String {
    let mut req = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(app.token(Admin));
    if let Some(id) = id {
        req = req.header("x-request-id", id);
    }
    let resp = req.send().await.unwrap();
    let ids: Vec<_> = resp.headers().get_all("x-request-id").iter().collect();
    assert_eq!(ids.len(), 1, "exactly one x-request-id on {path}");
    ids[0].to_str().unwrap().to_owned()
}

fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

async fn request_ids_are_echoed_or_generated(app: TestApp) {
    // A caller's sane id comes back unchanged, on success and on error.
    for path in [
        "/api/v1/parts",
        "/api/v1/parts/987654",
        "/nowhere",
        "/metrics",
    ] {
        assert_eq!(
            request_id(&app, path, Some("trace-0af7651916cd43dd")).await,
            "trace-0af7651916cd43dd"
        );
    }
    let longest = "x".repeat(200);
    assert_eq!(request_id(&app, "/health", Some(&longest)).await, longest);

    // Without one, each response gets a fresh UUID.
    let a = request_id(&app, "/api/v1/parts", None).await;
    let b = request_id(&app, "/api/v1/parts", None).await;
    assert!(is_uuid(&a) && is_uuid(&b), "{a} {b}");
    assert_ne!(a, b, "generated ids are unique");

    // An unusable id is replaced, never an error.
    for bad in [
        "x".repeat(201),
        "two words".to_owned(),
        "tab\tid".to_owned(),
    ] {
        let got = request_id(&app, "/api/v1/parts", Some(&bad)).await;
        assert!(is_uuid(&got), "{bad:?} replaced by {got}");
    }
    let resp = app
        .client
        .get(format!("{}/api/v1/parts", app.base))
        .bearer_auth(app.token(Admin))
        .header("x-request-id", "one")
        .header("x-request-id", "two")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(is_uuid(resp.headers()["x-request-id"].to_str().unwrap()));
}

// --- logs of the real binary ------------------------------------------------

#[test]
fn log_format_is_a_global_option() {
    let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.log_format);
    assert_eq!(parse(&["spares", "openapi"]).unwrap(), LogFormat::Text);
    assert_eq!(
        parse(&["spares", "serve", "--log-format", "json"]).unwrap(),
        LogFormat::Json
    );
    assert_eq!(
        parse(&["spares", "--log-format", "json", "migrate"]).unwrap(),
        LogFormat::Json
    );
    assert!(parse(&["spares", "serve", "--log-format", "xml"]).is_err());
}

/// A `spares` child process with its stderr read line by line; killed
/// when dropped.
struct Spares {
    child: Child,
    stderr: Lines<BufReader<ChildStderr>>,
    /// Every line read so far.
    lines: Vec<String>,
    db: std::path::PathBuf,
}

impl Spares {
    /// `spares ARGS` with `extra_env`, over a fresh SQLite file, with no
    /// logging settings inherited from the test's environment.
    fn start(args: &[&str], extra_env: &[(&str, &str)]) -> Spares {
        let db = std::env::temp_dir().join(format!(
            "spares_log_{}_{:08x}.db",
            std::process::id(),
            rand::random::<u32>()
        ));
        let url = format!("sqlite://{}", db.display());
        Self::start_on(&url, args, extra_env, db)
    }

    fn start_on(
        database_url: &str,
        args: &[&str],
        extra_env: &[(&str, &str)],
        db: std::path::PathBuf,
    ) -> Spares {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spares"));
        cmd.args(args).arg("--database-url").arg(database_url);
        for var in [
            "RUST_LOG",
            "SPARES_LOG_FORMAT",
            "DATABASE_URL",
            "SPARES_BIND",
            "SPARES_DEMO",
            "SPARES_NO_MIGRATE",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn spares");
        let stderr = BufReader::new(child.stderr.take().expect("stderr piped")).lines();
        Spares {
            child,
            stderr,
            lines: Vec::new(),
            db,
        }
    }

    /// Reads lines until one satisfies `wanted`, and returns it.
    async fn line_where(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match tokio::time::timeout(left, self.stderr.next_line()).await {
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => panic!("stderr closed before {what}:\n{}", self.lines.join("\n")),
                Ok(Err(e)) => panic!("cannot read stderr: {e}"),
                Err(_) => panic!("no {what} within 60 s:\n{}", self.lines.join("\n")),
            };
            self.lines.push(line.clone());
            if wanted(&line) {
                return line;
            }
        }
    }

    /// Stops the child and returns every line it wrote.
    async fn stop(mut self) -> Vec<String> {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(5), self.stderr.next_line()).await
        {
            self.lines.push(line);
        }
        std::mem::take(&mut self.lines)
    }
}

impl Drop for Spares {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.db.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Waits until `base` answers `/ready` with 200.
async fn ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/ready")).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "{base} not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

const ESC: &str = "\x1b[";

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_span() {
    let mut spares = Spares::start(
        &["serve", "--log-format", "json", "--bind", "127.0.0.1:0"],
        &[],
    );
    // Port 0: the real address is in the start-up line.
    let listening = spares
        .line_where("start-up line", |l| l.contains("spares listening"))
        .await;
    let start: Value = serde_json::from_str(&listening).expect("start-up line is JSON");
    assert_eq!(start["level"], "INFO");
    let base = format!("http://{}", start["fields"]["addr"].as_str().unwrap());
    let client = client();
    ready(&client, &base).await;

    let resp = client
        .get(format!("{base}/api/v1/parts"))
        .header("x-request-id", "log-test-42")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-request-id"], "log-test-42");
    let finished = spares
        .line_where("the request's log line", |l| l.contains("log-test-42"))
        .await;
    let event: Value = serde_json::from_str(&finished).expect("request line is JSON");
    let span = &event["span"];
    assert_eq!(span["name"], "request", "{event}");
    assert_eq!(span["request_id"], "log-test-42", "{event}");
    assert_eq!(span["method"], "GET", "{event}");
    assert_eq!(span["path"], "/api/v1/parts", "{event}");
    assert_eq!(event["spans"][0]["request_id"], "log-test-42", "{event}");

    let lines = spares.stop().await;
    for line in &lines {
        assert!(!line.contains(ESC), "colour code in {line:?}");
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line:?}"));
        assert!(v.is_object() && v["level"].is_string(), "{line}");
    }
}

#[tokio::test]
async fn text_logs_carry_the_request_id_without_colour_codes() {
    // The flag wins over the environment.
    let mut spares = Spares::start(
        &["serve", "--bind", "127.0.0.1:0", "--log-format", "text"],
        &[("SPARES_LOG_FORMAT", "json")],
    );
    let listening = spares
        .line_where("start-up line", |l| l.contains("spares listening"))
        .await;
    let addr = listening
        .split_whitespace()
        .find_map(|w| w.strip_prefix("addr="))
        .unwrap_or_else(|| panic!("no addr= in {listening:?}"));
    let base = format!("http://{addr}");
    let client = client();
    ready(&client, &base).await;
    client
        .get(format!("{base}/health"))
        .header("x-request-id", "text-test-7")
        .send()
        .await
        .unwrap();
    let finished = spares
        .line_where("the request's log line", |l| l.contains("text-test-7"))
        .await;
    assert!(finished.contains("request_id=text-test-7"), "{finished}");
    assert!(finished.contains("path=\"/health\""), "{finished}");

    let lines = spares.stop().await;
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(!line.contains(ESC), "colour code in {line:?}");
        assert!(!line.starts_with('{'), "text, not JSON: {line}");
    }
}

#[tokio::test]
async fn the_fatal_error_is_json_too() {
    // SPARES_LOG_FORMAT alone selects JSON; a database that cannot be
    // opened ends the process with a JSON line saying why.
    let missing = std::env::temp_dir().join(format!(
        "spares_no_such_dir_{:08x}/sub/x.db",
        rand::random::<u32>()
    ));
    let mut spares = Spares::start_on(
        &format!("sqlite://{}", missing.display()),
        &["migrate"],
        &[("SPARES_LOG_FORMAT", "json")],
        missing.clone(),
    );
    let status = tokio::time::timeout(Duration::from_secs(60), spares.child.wait())
        .await
        .expect("spares migrate ends")
        .unwrap();
    assert!(!status.success());
    let lines = spares.stop().await;
    let last = lines.last().expect("an error line");
    for line in &lines {
        assert!(!line.contains(ESC), "colour code in {line:?}");
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line:?}"));
    }
    let event: Value = serde_json::from_str(last).unwrap();
    assert_eq!(event["level"], "ERROR", "{event}");
    assert!(
        event["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("database"),
        "{event}"
    );
}
