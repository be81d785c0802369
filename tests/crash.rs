//! A server killed with SIGKILL in the middle of a load loses no
//! acknowledged document and leaves no half-posted one.
//!
//! The harness's [`TestApp`] provides the fresh, migrated database, the
//! tokens and the opening stock; the load goes to the real `spares` binary
//! started as a child process on that database, which is killed while
//! requests are in flight and then started again.
//!
//! Retried requests whose first attempt died after claiming its key (the
//! claim is `running`, the write never committed) get 409
//! `idempotency_in_progress` until the claim is [`STALE_AFTER`] old. Rather
//! than wait two minutes, the test first asserts exactly that answer, then
//! ages those claims in the database (as if the clock had moved on) and
//! retries again: each must now land exactly once through the take-over.
use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use entities::vocabulary::Role::*;
use entities::{idempotency_key, stock_document, stock_movement};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use spares::http::idempotency::STALE_AFTER;
use tokio::process::Command;

use crate::both_backends;
use crate::common::TestApp;
use crate::common::fixtures::network;
use crate::common::process::ServerProcess;

both_backends!(sigkill_under_load_loses_no_acknowledged_document);

/// Concurrent clients driving the child.
const CLIENTS: usize = 8;
/// Answers the clients get before the kill: the server is killed under
/// load, whatever time that takes on this machine.
const ANSWERS_BEFORE_KILL: usize = 200;
/// Upper bound of requests per client, so the loop ends even if the kill
/// somehow does not.
const MAX_REQUESTS_PER_CLIENT: usize = 20_000;
const OPENING_STOCK: i64 = 1_000_000;

/// One request a client sent, kept byte-exact so it can be retried with
/// the same fingerprint.
#[derive(Debug, Clone)]
struct Attempt {
    key: String,
    path: &'static str,
    body: Vec<u8>,
    /// (part, quantity) per line, in request order.
    lines: Vec<(i64, i64)>,
}

/// The fields are read through `Debug`, in the failure messages.
#[derive(Debug)]
#[allow(dead_code)]
enum Answer {
    /// 2xx: the document as the server acknowledged it.
    Posted { body: Value, replayed: bool },
    /// 409 `insufficient_stock`: refused whole, nothing written.
    Refused,
    /// 409 `idempotency_in_progress`: a claim of a dead request.
    InProgress,
    /// Anything else the server answered.
    Unexpected { status: u16, body: Value },
    /// No answer: the connection died with the server.
    Lost(String),
}

async fn send(client: &reqwest::Client, base: &str, token: &str, a: &Attempt) -> Answer {
    let sent = client
        .post(format!("{base}{}", a.path))
        .bearer_auth(token)
        .header("idempotency-key", &a.key)
        .header("content-type", "application/json")
        .body(a.body.clone())
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => return Answer::Lost(e.to_string()),
    };
    let status = resp.status().as_u16();
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Answer::Lost(format!("{status} with the body cut off: {e}")),
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    match (status, body["code"].as_str()) {
        (200..=299, _) => Answer::Posted { body, replayed },
        (409, Some("insufficient_stock")) => Answer::Refused,
        (409, Some("idempotency_in_progress")) => Answer::InProgress,
        _ => Answer::Unexpected { status, body },
    }
}

/// A random receipt or issue of 1 to 3 distinct parts; the key is also the
/// document's reference, so every document in the database can be traced
/// back to the request that made it.
fn random_attempt(key: String, warehouse: i64, supplier: i64, parts: &[i64]) -> Attempt {
    let n = rand::random_range(1..=parts.len().min(3));
    let mut chosen: Vec<i64> = Vec::with_capacity(n);
    while chosen.len() < n {
        let p = parts[rand::random_range(0..parts.len())];
        if !chosen.contains(&p) {
            chosen.push(p);
        }
    }
    let lines: Vec<(i64, i64)> = chosen
        .iter()
        .map(|p| (*p, rand::random_range(1..=9)))
        .collect();
    let json_lines: Vec<Value> = lines
        .iter()
        .map(|(p, q)| json!({"part_id": p, "quantity": q}))
        .collect();
    let (path, body) = if rand::random_range(0..10u8) < 6 {
        (
            "/api/v1/stock/receipts",
            json!({"warehouse_id": warehouse, "source": "supplier", "source_id": supplier,
                   "reference": key, "lines": json_lines}),
        )
    } else {
        (
            "/api/v1/stock/issues",
            json!({"warehouse_id": warehouse, "destination": "other", "reason": "crash test",
                   "reference": key, "lines": json_lines}),
        )
    };
    Attempt {
        key,
        path,
        body: serde_json::to_vec(&body).expect("serialise request"),
        lines,
    }
}

/// Runs `spares verify` on the database; it must find no drift.
async fn verify_cli(database_url: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_spares"))
        .arg("verify")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "off")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run spares verify");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "spares verify failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("agree"), "{stdout}");
}

/// The (movement id, part, quantity) of a document as JSON shows it.
fn movement_triples(doc: &Value) -> Vec<(i64, i64, i64)> {
    doc["movements"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    (
                        m["id"].as_i64().unwrap_or(-1),
                        m["part_id"].as_i64().unwrap_or(-1),
                        m["quantity"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn sigkill_under_load_loses_no_acknowledged_document(app: TestApp) {
    let n = network(&app).await;
    let warehouse = n.depot;
    let opening: Vec<Value> = n
        .parts
        .iter()
        .map(|p| json!({"part_id": p, "quantity": OPENING_STOCK}))
        .collect();
    app.post(
        Warehouse,
        "/api/v1/stock/receipts",
        json!({"warehouse_id": warehouse, "source": "supplier", "source_id": n.supplier,
               "reference": "OPENING", "lines": opening}),
    )
    .await
    .expect(201);

    let mut first = ServerProcess::start(&app.database_url, &[]).await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let token = app.token(Warehouse).to_owned();
    let killed = Arc::new(AtomicBool::new(false));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let loaded = Arc::new(tokio::sync::Notify::new());
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (client, token, killed, in_flight, answered, loaded) = (
            client.clone(),
            token.clone(),
            killed.clone(),
            in_flight.clone(),
            answered.clone(),
            loaded.clone(),
        );
        let (base, parts, supplier) = (first.base.clone(), n.parts.clone(), n.supplier);
        clients.push(tokio::spawn(async move {
            let mut log: Vec<(Attempt, Answer)> = Vec::new();
            for i in 0..MAX_REQUESTS_PER_CLIENT {
                if killed.load(Ordering::SeqCst) {
                    break;
                }
                let attempt = random_attempt(format!("crash-{c}-{i}"), warehouse, supplier, &parts);
                in_flight.fetch_add(1, Ordering::SeqCst);
                let answer = send(&client, &base, &token, &attempt).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                if answered.fetch_add(1, Ordering::SeqCst) + 1 == ANSWERS_BEFORE_KILL {
                    loaded.notify_one();
                }
                let lost = matches!(answer, Answer::Lost(_));
                log.push((attempt, answer));
                if lost {
                    break;
                }
            }
            log
        }));
    }
    tokio::time::timeout(Duration::from_secs(120), loaded.notified())
        .await
        .expect("the clients get answers before the kill");
    let in_flight_at_kill = in_flight.load(Ordering::SeqCst);
    first.kill().await;
    killed.store(true, Ordering::SeqCst);
    let mut attempts: Vec<(Attempt, Answer)> = Vec::new();
    for c in clients {
        attempts.extend(c.await.expect("client task"));
    }

    // What the clients saw before and at the kill.
    let mut acknowledged: Vec<(&Attempt, &Value)> = Vec::new();
    let mut refused: Vec<&Attempt> = Vec::new();
    let mut lost: Vec<&Attempt> = Vec::new();
    for (attempt, answer) in &attempts {
        match answer {
            Answer::Posted { body, .. } => acknowledged.push((attempt, body)),
            Answer::Refused => refused.push(attempt),
            Answer::Lost(_) => lost.push(attempt),
            other => panic!("unexpected answer under load to {}: {other:?}", attempt.key),
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "no request was acknowledged before the kill"
    );

    // Restart on the same database; the ledger must prove itself.
    let second = ServerProcess::start(&app.database_url, &[]).await;
    verify_cli(&app.database_url).await;

    let by_key: HashMap<&str, &Attempt> =
        attempts.iter().map(|(a, _)| (a.key.as_str(), a)).collect();
    // Every acknowledged document is there, exactly as acknowledged.
    for (attempt, body) in &acknowledged {
        let id = body["id"].as_i64().expect("acknowledged document id");
        let stored = spares::store::ledger::load(&app.db, id)
            .await
            .expect("load document")
            .unwrap_or_else(|| panic!("acknowledged document {id} ({}) is gone", attempt.key));
        let mut stored = serde_json::to_value(stored).expect("document as JSON");
        // The answer carried part numbers and codes beside the ids.
        spares::store::natural_keys::name_ids(&app.db, &mut stored)
            .await
            .expect("natural keys");
        assert_eq!(
            &stored, *body,
            "document {id} differs from its acknowledgement"
        );
        let lines: Vec<(i64, i64)> = movement_triples(body)
            .into_iter()
            .map(|(_, p, q)| (p, q))
            .collect();
        assert_eq!(lines, attempt.lines, "document {id} is not its request");
    }

    // Retry everything that got no answer, with the same keys and bodies.
    let mut replayed = 0;
    let mut posted_fresh = 0;
    let mut retried_refused = 0;
    let mut in_progress: Vec<&Attempt> = Vec::new();
    let mut finally_posted: BTreeMap<String, Value> = acknowledged
        .iter()
        .map(|(a, body)| (a.key.clone(), (*body).clone()))
        .collect();
    for attempt in &lost {
        match send(&client, &second.base, &token, attempt).await {
            Answer::Posted { body, replayed: r } => {
                if r {
                    replayed += 1;
                } else {
                    posted_fresh += 1;
                }
                finally_posted.insert(attempt.key.clone(), body);
            }
            Answer::Refused => retried_refused += 1,
            Answer::InProgress => in_progress.push(attempt),
            other => panic!(
                "unexpected answer to the retry of {}: {other:?}",
                attempt.key
            ),
        }
    }
    // A claim left `running` by the dead process blocks its key until it is
    // stale; age those claims instead of waiting, and retry once more: the
    // take-over must post each exactly once.
    let running = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::State.eq("running"))
        .all(&app.db)
        .await
        .expect("running claims");
    assert_eq!(
        running.len(),
        in_progress.len(),
        "every running claim answers 409 idempotency_in_progress, and only those"
    );
    let long_ago = chrono::Utc::now() - STALE_AFTER - chrono::Duration::seconds(1);
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::CreatedAt, Expr::value(long_ago))
        .filter(idempotency_key::Column::State.eq("running"))
        .exec(&app.db)
        .await
        .expect("age the abandoned claims");
    let mut taken_over = 0;
    for attempt in &in_progress {
        match send(&client, &second.base, &token, attempt).await {
            Answer::Posted {
                body,
                replayed: false,
            } => {
                taken_over += 1;
                finally_posted.insert(attempt.key.clone(), body);
            }
            Answer::Refused => retried_refused += 1,
            other => panic!(
                "the take-over of the stale claim of {} answered {other:?}",
                attempt.key
            ),
        }
    }
    // A second retry of everything now only replays.
    for attempt in &lost {
        if let Some(expected) = finally_posted.get(&attempt.key) {
            match send(&client, &second.base, &token, attempt).await {
                Answer::Posted {
                    body,
                    replayed: true,
                } => assert_eq!(&body, expected, "replay of {} differs", attempt.key),
                other => panic!("second retry of {} answered {other:?}", attempt.key),
            }
        }
    }

    // The whole database: every load document belongs to one request that
    // was answered 2xx (first time or on retry), has all its movements and
    // only those; nothing else was written.
    let documents = stock_document::Entity::find()
        .filter(stock_document::Column::Reference.like("crash-%"))
        .all(&app.db)
        .await
        .expect("documents");
    let mut movements: HashMap<i64, Vec<(i64, i64, i64)>> = HashMap::new();
    for m in stock_movement::Entity::find()
        .all(&app.db)
        .await
        .expect("movements")
    {
        movements
            .entry(m.document_id)
            .or_default()
            .push((m.id, m.part_id, m.quantity.into()));
    }
    let mut seen_refs = std::collections::HashSet::new();
    for doc in &documents {
        assert!(
            seen_refs.insert(doc.reference.clone()),
            "request {} posted twice",
            doc.reference
        );
        let attempt = by_key
            .get(doc.reference.as_str())
            .unwrap_or_else(|| panic!("document {} of no request", doc.id));
        let mut got = movements.remove(&doc.id).unwrap_or_default();
        got.sort_unstable();
        let lines: Vec<(i64, i64)> = got.iter().map(|(_, p, q)| (*p, *q)).collect();
        assert_eq!(
            lines, attempt.lines,
            "document {} ({}) is half-posted or not its request",
            doc.id, doc.reference
        );
        let answered = finally_posted.get(&doc.reference).unwrap_or_else(|| {
            panic!(
                "document {} ({}) exists but was never answered 2xx",
                doc.id, doc.reference
            )
        });
        assert_eq!(answered["id"].as_i64(), Some(doc.id));
        assert_eq!(movement_triples(answered), got);
    }
    assert_eq!(
        documents.len(),
        finally_posted.len(),
        "every request answered 2xx has its document"
    );
    for refused in &refused {
        assert!(
            !seen_refs.contains(&refused.key),
            "refused {} wrote",
            refused.key
        );
    }
    // No movement without a document of ours, other than the set-up's.
    let setup_docs = stock_document::Entity::find()
        .filter(stock_document::Column::Reference.not_like("crash-%"))
        .all(&app.db)
        .await
        .expect("set-up documents");
    for d in &setup_docs {
        movements.remove(&d.id);
    }
    assert!(
        movements.is_empty(),
        "movements of no document: {movements:?}"
    );

    verify_cli(&app.database_url).await;
    let report = app.get(Admin, "/api/v1/admin/verify").await.expect(200);
    assert_eq!(report["ok"], true, "drift: {report}");

    eprintln!(
        "crash test on {:?}: {} requests before the kill ({} in flight at SIGKILL): \
         {} acknowledged, {} refused 409, {} unanswered; retried after restart: \
         {} replayed (committed before the kill), {} posted fresh, {} refused 409, \
         {} answered 409 idempotency_in_progress and were then taken over; \
         {} load documents in the ledger",
        app.backend,
        attempts.len(),
        in_flight_at_kill,
        acknowledged.len(),
        refused.len(),
        lost.len(),
        replayed,
        posted_fresh,
        retried_refused,
        in_progress.len(),
        documents.len(),
    );
    assert_eq!(
        replayed + posted_fresh + retried_refused + taken_over,
        lost.len(),
        "every unanswered request ends replayed, posted, refused or taken over"
    );
    drop(second);
}
