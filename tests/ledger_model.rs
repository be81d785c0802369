//! A proptest state machine: random sequences of receipts, issues,
//! reservations (reserve, release, consume), condition changes and
//! reversals run through the real services on a real database, checked
//! after every step against a plain in-memory model of the stock. The
//! ledger must agree with the model on what succeeds, what is refused, and
//! every balance; `verify` must be clean at the end of every sequence.
use std::collections::HashMap;

use entities::vocabulary::{Condition, Role};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use spares::flows::stock::documents::{
    self, ConditionChangeRequest, ConditionLine, IssueDestination, IssueRequest, ReceiptRequest,
    ReceiptSource, ReverseRequest, StockLine,
};
use spares::flows::stock::reservations::{self, ConsumeRequest, ReserveRequest};
use spares::store::error::AppError;
use spares::store::{balances, db, verify};

use crate::both_backends;
use crate::common::TestApp;

const CONDITIONS: [Condition; 3] = [
    Condition::Good,
    Condition::Defective,
    Condition::Quarantined,
];

#[derive(Debug, Clone)]
enum Op {
    Receive {
        part: usize,
        wh: usize,
        cond: usize,
        qty: i32,
    },
    Issue {
        part: usize,
        wh: usize,
        cond: usize,
        qty: i32,
    },
    Reserve {
        part: usize,
        wh: usize,
        qty: i32,
    },
    Release {
        pick: usize,
    },
    Consume {
        pick: usize,
    },
    Change {
        part: usize,
        wh: usize,
        from: usize,
        to: usize,
        qty: i32,
    },
    Reverse {
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let part = 0..3usize;
    let wh = 0..2usize;
    let cond = 0..3usize;
    let qty = 1..6i32;
    prop_oneof![
        3 => (part.clone(), wh.clone(), cond.clone(), qty.clone()).prop_map(|(part, wh, cond, qty)| Op::Receive { part, wh, cond, qty }),
        3 => (part.clone(), wh.clone(), cond.clone(), qty.clone()).prop_map(|(part, wh, cond, qty)| Op::Issue { part, wh, cond, qty }),
        2 => (part.clone(), wh.clone(), qty.clone()).prop_map(|(part, wh, qty)| Op::Reserve { part, wh, qty }),
        1 => (0..8usize).prop_map(|pick| Op::Release { pick }),
        1 => (0..8usize).prop_map(|pick| Op::Consume { pick }),
        2 => (part, wh, cond.clone(), cond, qty).prop_map(|(part, wh, from, to, qty)| Op::Change { part, wh, from, to, qty }),
        1 => (0..16usize).prop_map(|pick| Op::Reverse { pick }),
    ]
}

type Key = (i64, i64, Condition);

/// A posted document: its id, its net effect on each key, whether reversed.
#[derive(Clone)]
struct Posted(i64, Vec<(Key, i32)>, bool);

/// What the ledger should say.
#[derive(Default)]
struct Model {
    stock: HashMap<Key, (i32, i32)>,
    /// (reservation id, key, quantity, active)
    reservations: Vec<(i64, Key, i32, bool)>,
    documents: Vec<Posted>,
}

impl Model {
    fn available(&self, k: Key) -> i32 {
        let (on_hand, reserved) = self.stock.get(&k).copied().unwrap_or((0, 0));
        on_hand - reserved
    }
    fn add(&mut self, k: Key, n: i32) {
        self.stock.entry(k).or_default().0 += n;
    }
}

fn outcome<T>(r: &Result<T, AppError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(AppError::InsufficientStock { .. }) => "short",
        Err(AppError::InvalidTransition { .. }) => "invalid",
        Err(_) => "other",
    }
}

both_backends!(random_sequences_match_the_model);

async fn random_sequences_match_the_model(app: TestApp) {
    let actor = spares::flows::users::authenticate(&app.db, app.token(Role::Warehouse))
        .await
        .unwrap()
        .unwrap()
        .user_id;
    let cases = if app.backend == crate::common::Backend::Sqlite {
        24
    } else {
        12
    };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let app = &app;
    let result = runner.run(&proptest::collection::vec(op(), 1..40), |ops| {
        tokio::task::block_in_place(|| handle.block_on(run_sequence(app, actor, ops)))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("ledger disagrees with the model: {e}");
    }
}

/// Runs one sequence on a fresh network of its own and checks each step.
async fn run_sequence(app: &TestApp, actor: i64, ops: Vec<Op>) -> Result<(), String> {
    let n = fresh_network(app).await;
    let whs = [n.0, n.1];
    let parts = n.2;
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        let ctx = format!("step {step} {op:?}");
        match *op {
            Op::Receive {
                part,
                wh,
                cond,
                qty,
            } => {
                let k = (parts[part], whs[wh], CONDITIONS[cond]);
                let req = ReceiptRequest {
                    warehouse_id: k.1,
                    source: ReceiptSource::Other,
                    source_id: None,
                    reference: String::new(),
                    lines: vec![StockLine {
                        part_id: k.0,
                        quantity: qty,
                        condition: k.2,
                        serials: Vec::new(),
                    }],
                };
                let r = db::write(&app.db, |tx| {
                    Box::pin(documents::receive(tx, actor, req.clone(), app.now()))
                })
                .await;
                let doc = r.map_err(|e| format!("{ctx}: {e}"))?;
                model.add(k, qty);
                model.documents.push(Posted(doc.id, vec![(k, qty)], false));
            }
            Op::Issue {
                part,
                wh,
                cond,
                qty,
            } => {
                let k = (parts[part], whs[wh], CONDITIONS[cond]);
                let req = IssueRequest {
                    warehouse_id: k.1,
                    destination: IssueDestination::Other,
                    site_id: None,
                    reason: String::new(),
                    reference: String::new(),
                    lines: vec![StockLine {
                        part_id: k.0,
                        quantity: qty,
                        condition: k.2,
                        serials: Vec::new(),
                    }],
                };
                let r = db::write(&app.db, |tx| {
                    Box::pin(documents::issue(tx, actor, req.clone(), app.now()))
                })
                .await;
                let expected = if model.available(k) >= qty {
                    "ok"
                } else {
                    "short"
                };
                if outcome(&r) != expected {
                    return Err(format!("{ctx}: expected {expected}, got {r:?}"));
                }
                if let Ok(doc) = r {
                    model.add(k, -qty);
                    model.documents.push(Posted(doc.id, vec![(k, -qty)], false));
                }
            }
            Op::Reserve { part, wh, qty } => {
                let k = (parts[part], whs[wh], Condition::Good);
                let req = ReserveRequest {
                    warehouse_id: k.1,
                    part_id: k.0,
                    quantity: qty,
                    condition: k.2,
                    reference: String::new(),
                };
                let r = db::write(&app.db, |tx| {
                    Box::pin(reservations::reserve(tx, actor, req.clone(), app.now()))
                })
                .await;
                let expected = if model.available(k) >= qty {
                    "ok"
                } else {
                    "short"
                };
                if outcome(&r) != expected {
                    return Err(format!("{ctx}: expected {expected}, got {r:?}"));
                }
                if let Ok(res) = r {
                    model.stock.entry(k).or_default().1 += qty;
                    model.reservations.push((res.id, k, qty, true));
                }
            }
            Op::Release { pick } | Op::Consume { pick } => {
                let Some(&(id, k, qty, active)) = model
                    .reservations
                    .get(pick % model.reservations.len().max(1))
                else {
                    continue;
                };
                let consume = matches!(op, Op::Consume { .. });
                let r = if consume {
                    let req = ConsumeRequest {
                        destination: IssueDestination::Other,
                        site_id: None,
                        reason: String::new(),
                        reference: String::new(),
                        serials: Vec::new(),
                    };
                    db::write(&app.db, |tx| {
                        Box::pin(reservations::consume(tx, actor, id, req.clone(), app.now()))
                    })
                    .await
                    .map(Some)
                } else {
                    db::write(&app.db, |tx| {
                        Box::pin(reservations::release(tx, id, app.now()))
                    })
                    .await
                    .map(|_| None)
                };
                let expected = if active { "ok" } else { "invalid" };
                if outcome(&r) != expected {
                    return Err(format!("{ctx}: expected {expected}, got {r:?}"));
                }
                if let Ok(doc) = r {
                    let entry = model.stock.entry(k).or_default();
                    entry.1 -= qty;
                    if let Some(doc) = doc {
                        entry.0 -= qty;
                        model.documents.push(Posted(doc.id, vec![(k, -qty)], false));
                    }
                    if let Some(res) = model.reservations.iter_mut().find(|r| r.0 == id) {
                        res.3 = false;
                    }
                }
            }
            Op::Change {
                part,
                wh,
                from,
                to,
                qty,
            } => {
                let from_k = (parts[part], whs[wh], CONDITIONS[from]);
                let to_k = (parts[part], whs[wh], CONDITIONS[to]);
                let req = ConditionChangeRequest {
                    warehouse_id: from_k.1,
                    reason: String::new(),
                    lines: vec![ConditionLine {
                        part_id: from_k.0,
                        quantity: qty,
                        from_condition: from_k.2,
                        to_condition: to_k.2,
                        serials: Vec::new(),
                    }],
                };
                let r = db::write(&app.db, |tx| {
                    Box::pin(documents::change_condition(
                        tx,
                        actor,
                        req.clone(),
                        app.now(),
                    ))
                })
                .await;
                let expected = if from == to {
                    "other"
                } else if model.available(from_k) >= qty {
                    "ok"
                } else {
                    "short"
                };
                if outcome(&r) != expected {
                    return Err(format!("{ctx}: expected {expected}, got {r:?}"));
                }
                if let Ok(doc) = r {
                    model.add(from_k, -qty);
                    model.add(to_k, qty);
                    model
                        .documents
                        .push(Posted(doc.id, vec![(from_k, -qty), (to_k, qty)], false));
                }
            }
            Op::Reverse { pick } => {
                if model.documents.is_empty() {
                    continue;
                }
                let i = pick % model.documents.len();
                let Posted(id, effects, reversed) = model.documents[i].clone();
                let r = db::write(&app.db, |tx| {
                    Box::pin(documents::reverse(
                        tx,
                        actor,
                        id,
                        ReverseRequest::default(),
                        app.now(),
                    ))
                })
                .await;
                // Undoing needs every key it takes from to have that much available.
                let feasible = effects
                    .iter()
                    .all(|(k, delta)| *delta <= 0 || model.available(*k) >= *delta);
                let expected = if reversed {
                    "invalid"
                } else if feasible {
                    "ok"
                } else {
                    "short"
                };
                if outcome(&r) != expected {
                    return Err(format!("{ctx}: expected {expected}, got {r:?}"));
                }
                if r.is_ok() {
                    for (k, delta) in &effects {
                        model.add(*k, -delta);
                    }
                    model.documents[i].2 = true;
                }
            }
        }
        // Every balance the model knows agrees with the database.
        for (k, (on_hand, reserved)) in &model.stock {
            let key = balances::BalanceKey {
                part_id: k.0,
                warehouse_id: k.1,
                condition: k.2,
            };
            let available = balances::available(&app.db, key)
                .await
                .map_err(|e| e.to_string())?;
            if available != on_hand - reserved {
                return Err(format!(
                    "{ctx}: available of {k:?} is {available}, model says {}",
                    on_hand - reserved
                ));
            }
            if *on_hand < 0 || reserved > on_hand {
                return Err(format!("{ctx}: model went invalid at {k:?}"));
            }
        }
    }
    let report = verify::verify(&app.db).await.map_err(|e| e.to_string())?;
    if !report.ok {
        return Err(format!("verify found drift: {:?}", report.drift));
    }
    Ok(())
}

/// Two warehouses and three parts not used by any other sequence.
async fn fresh_network(app: &TestApp) -> (i64, i64, [i64; 3]) {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut ids = Vec::new();
    for w in 0..2 {
        let body = serde_json::json!({"code": format!("W{n}-{w}"), "name": "w", "kind": "regional", "region": "r"});
        ids.push(
            app.post(Role::Admin, "/api/v1/warehouses", body)
                .await
                .expect(201)["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let mut parts = [0; 3];
    for (p, slot) in parts.iter_mut().enumerate() {
        let body = serde_json::json!({"part_number": format!("M{n}-{p}"), "unit_cost": "1", "kind": "consumable"});
        *slot = app
            .post(Role::Admin, "/api/v1/parts", body)
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap();
    }
    (ids[0], ids[1], parts)
}
