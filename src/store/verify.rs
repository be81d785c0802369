//! Proving the balances from the ledger: every balance row must equal the
//! sum of the movements into and out of it, every part's movements must net
//! to zero over all locations (conservation), no warehouse may hold
//! negative stock by the ledger, and every reserved quantity must equal the
//! sum of its active reservations. For serialized parts, the units the
//! serial register places in each warehouse, transit and repair vendor
//! must number what the ledger holds there.
use std::collections::BTreeMap;

use entities::vocabulary::{Condition, LocationKind, ReservationStatus};
use entities::{part, reservation, serial_unit, stock_balance, stock_movement};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::error::AppResult;

/// One discrepancy found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Drift {
    /// `on_hand`, `reserved`, `conservation`, `negative` or `serials`.
    pub check: String,
    pub part_id: i64,
    /// The location, e.g. `warehouse:3:good` (absent for conservation).
    pub location: Option<String>,
    /// What the ledger (or the reservations) say.
    pub expected: i64,
    /// What the balance table says (0 where it has no row).
    pub actual: i64,
}

/// The result of `spares verify` and `GET /api/v1/admin/verify`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyReport {
    pub movements: u64,
    pub balances: u64,
    pub parts: u64,
    pub drift: Vec<Drift>,
    pub ok: bool,
}

#[derive(Debug, FromQueryResult)]
struct Side {
    part_id: i64,
    kind: LocationKind,
    location_id: Option<i64>,
    condition: Condition,
    total: i64,
    n: i64,
}

type Key = (i64, LocationKind, Option<i64>, Condition);

async fn sums(db: &impl ConnectionTrait, to_side: bool) -> AppResult<Vec<Side>> {
    use stock_movement::Column as M;
    let (kind, id, cond) = if to_side {
        (M::ToKind, M::ToId, M::ToCondition)
    } else {
        (M::FromKind, M::FromId, M::FromCondition)
    };
    Ok(stock_movement::Entity::find()
        .select_only()
        .column(M::PartId)
        .column_as(kind, "kind")
        .column_as(id, "location_id")
        .column_as(cond, "condition")
        .column_as(Expr::cust("CAST(SUM(quantity) AS BIGINT)"), "total")
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .group_by(M::PartId)
        .group_by(kind)
        .group_by(id)
        .group_by(cond)
        .into_model::<Side>()
        .all(db)
        .await?)
}

fn label(kind: LocationKind, id: Option<i64>, condition: Condition) -> String {
    match id {
        Some(id) => format!("{kind}:{id}:{condition}"),
        None => format!("{kind}:{condition}"),
    }
}

/// Rebuilds every balance from the ledger and reports each difference:
/// the ledger's own invariants, then the balance rows, then the serials.
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<VerifyReport> {
    let (net, movements) = ledger_net(db).await?;
    let (mut drift, per_part) = ledger_drift(&net);
    let balances = balance_drift(db, &net, &mut drift).await?;
    drift.extend(serial_drift(db, &net).await?);
    Ok(VerifyReport {
        movements,
        balances,
        parts: per_part.len() as u64,
        ok: drift.is_empty(),
        drift,
    })
}

/// The ledger's net quantity per (part, location, condition): what moved
/// in less what moved out; and the number of movements.
async fn ledger_net(db: &impl ConnectionTrait) -> AppResult<(BTreeMap<Key, i64>, u64)> {
    let mut net: BTreeMap<Key, i64> = BTreeMap::new();
    let mut movements = 0u64;
    for side in sums(db, true).await? {
        movements += side.n as u64;
        *net.entry((side.part_id, side.kind, side.location_id, side.condition))
            .or_default() += side.total;
    }
    for side in sums(db, false).await? {
        *net.entry((side.part_id, side.kind, side.location_id, side.condition))
            .or_default() -= side.total;
    }
    Ok((net, movements))
}

/// What the ledger alone must hold: no warehouse below zero, and every
/// part conserved (each movement has a source and a destination, so a
/// part's net over all locations is zero). Returns the drift and the net
/// per part.
fn ledger_drift(net: &BTreeMap<Key, i64>) -> (Vec<Drift>, BTreeMap<i64, i64>) {
    let mut drift = Vec::new();
    let mut per_part: BTreeMap<i64, i64> = BTreeMap::new();
    for ((part_id, kind, id, cond), qty) in net {
        *per_part.entry(*part_id).or_default() += qty;
        if *kind == LocationKind::Warehouse && *qty < 0 {
            drift.push(Drift {
                check: "negative".into(),
                part_id: *part_id,
                location: Some(label(*kind, *id, *cond)),
                expected: 0,
                actual: *qty,
            });
        }
    }
    for (part_id, total) in &per_part {
        if *total != 0 {
            drift.push(Drift {
                check: "conservation".into(),
                part_id: *part_id,
                location: None,
                expected: 0,
                actual: *total,
            });
        }
    }
    (drift, per_part)
}

/// The balance rows against the ledger (on hand) and the active
/// reservations (reserved), including ledger stock without a row and
/// reservations on a row that does not exist. Returns the number of rows.
async fn balance_drift(
    db: &impl ConnectionTrait,
    net: &BTreeMap<Key, i64>,
    drift: &mut Vec<Drift>,
) -> AppResult<u64> {
    let balances = stock_balance::Entity::find().all(db).await?;
    let mut reserved_by_key: BTreeMap<(i64, i64, Condition), i64> = BTreeMap::new();
    for r in reservation::Entity::find()
        .filter(reservation::Column::Status.eq(ReservationStatus::Active))
        .all(db)
        .await?
    {
        *reserved_by_key
            .entry((r.part_id, r.warehouse_id, r.condition))
            .or_default() += i64::from(r.quantity);
    }
    let mut seen = std::collections::BTreeSet::new();
    for b in &balances {
        let key: Key = (
            b.part_id,
            LocationKind::Warehouse,
            Some(b.warehouse_id),
            b.condition,
        );
        let location = Some(label(
            LocationKind::Warehouse,
            Some(b.warehouse_id),
            b.condition,
        ));
        let expected = net.get(&key).copied().unwrap_or(0);
        if expected != i64::from(b.on_hand) {
            drift.push(Drift {
                check: "on_hand".into(),
                part_id: b.part_id,
                location: location.clone(),
                expected,
                actual: b.on_hand.into(),
            });
        }
        let held = reserved_by_key
            .remove(&(b.part_id, b.warehouse_id, b.condition))
            .unwrap_or(0);
        if held != i64::from(b.reserved) {
            drift.push(Drift {
                check: "reserved".into(),
                part_id: b.part_id,
                location,
                expected: held,
                actual: b.reserved.into(),
            });
        }
        seen.insert(key);
    }
    // Ledger stock in a warehouse with no balance row at all.
    for (key, qty) in net {
        if key.1 == LocationKind::Warehouse && *qty != 0 && !seen.contains(key) {
            drift.push(Drift {
                check: "on_hand".into(),
                part_id: key.0,
                location: Some(label(key.1, key.2, key.3)),
                expected: *qty,
                actual: 0,
            });
        }
    }
    // Active reservations on a row that does not exist.
    for ((part_id, warehouse_id, cond), held) in reserved_by_key {
        drift.push(Drift {
            check: "reserved".into(),
            part_id,
            location: Some(label(LocationKind::Warehouse, Some(warehouse_id), cond)),
            expected: held,
            actual: 0,
        });
    }
    Ok(balances.len() as u64)
}

/// Places where the serial register and the ledger must agree unit for
/// unit. Sites and virtual sources are left out: a field return brings
/// back a different unit (the failed one) than the dispatch sent.
const SERIAL_TRACKED: [LocationKind; 3] = [
    LocationKind::Warehouse,
    LocationKind::InTransit,
    LocationKind::RepairVendor,
];

async fn serial_drift(
    db: &impl ConnectionTrait,
    net: &BTreeMap<Key, i64>,
) -> AppResult<Vec<Drift>> {
    let serialized: std::collections::BTreeSet<i64> = part::Entity::find()
        .filter(part::Column::Serialized.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if serialized.is_empty() {
        return Ok(Vec::new());
    }
    let mut units: BTreeMap<Key, i64> = BTreeMap::new();
    for u in serial_unit::Entity::find()
        .filter(serial_unit::Column::LocationKind.is_in(SERIAL_TRACKED))
        .all(db)
        .await?
    {
        *units
            .entry((u.part_id, u.location_kind, u.location_id, u.condition))
            .or_default() += 1;
    }
    let mut keys: std::collections::BTreeSet<&Key> = units.keys().collect();
    keys.extend(
        net.keys()
            .filter(|k| serialized.contains(&k.0) && SERIAL_TRACKED.contains(&k.1)),
    );
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let expected = net.get(k).copied().unwrap_or(0);
            let actual = units.get(k).copied().unwrap_or(0);
            (expected != actual).then(|| Drift {
                check: "serials".into(),
                part_id: k.0,
                location: Some(label(k.1, k.2, k.3)),
                expected,
                actual,
            })
        })
        .collect())
}
