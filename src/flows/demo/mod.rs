//! The demo network seeded by `spares serve --demo`: a national operator's
//! spare-part network, so a newcomer sees a working system at once.
//!
//! Parts come from the car-parts demand set (Hyndman et al.; the first 300
//! complete series with some demand, embedded below): each series' mean
//! monthly demand, spread over the installed base the demo assigns, sets the
//! part's annual failure rate, so planning on the demo sees the same demand
//! the history shows. Everything else is drawn from a fixed seed, so every
//! demo database is identical.
use chrono::{DateTime, Utc};
use entities::vocabulary::{Criticality, Lifecycle, PartKind, VendorKind, WarehouseKind};
use entities::{installed_base, lane, part, site, sla_class, vendor, warehouse};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait,
};

use crate::store::db;
use crate::store::error::{AppError, AppResult};

/// 300 monthly demand series of 51 months: `Part,Jan-98,...,Mar-02`.
const CARPARTS: &str = include_str!("carparts-demo.csv");
const SEED: u64 = 4_2_1;

/// What a part is, to give the demo parts telecom names and costs.
const FAMILIES: [(&str, &str, u32, bool); 10] = [
    ("RRU", "Remote radio unit", 4200, true),
    ("BBU", "Baseband unit", 6800, true),
    ("PSU", "Power supply module", 650, true),
    ("FAN", "Fan tray", 180, false),
    ("LC", "Line card 10x10G", 3900, true),
    ("SFP", "SFP+ optical transceiver", 95, false),
    ("CTRL", "Controller board", 2500, true),
    ("BAT", "Battery string 48V", 900, false),
    ("ANT", "Sector antenna", 1100, false),
    ("MW", "Microwave outdoor unit", 2300, true),
];

/// (code, name, kind, region, parent code)
const WAREHOUSES: [(&str, &str, WarehouseKind, &str, Option<&str>); 10] = [
    (
        "CDC-FRA",
        "Central depot Frankfurt",
        WarehouseKind::CentralDepot,
        "central",
        None,
    ),
    (
        "RW-NORTH",
        "Regional warehouse Hamburg",
        WarehouseKind::Regional,
        "north",
        Some("CDC-FRA"),
    ),
    (
        "RW-SOUTH",
        "Regional warehouse Munich",
        WarehouseKind::Regional,
        "south",
        Some("CDC-FRA"),
    ),
    (
        "RW-WEST",
        "Regional warehouse Cologne",
        WarehouseKind::Regional,
        "west",
        Some("CDC-FRA"),
    ),
    (
        "FSL-HAM1",
        "Forward stock Hamburg",
        WarehouseKind::Forward,
        "north",
        Some("RW-NORTH"),
    ),
    (
        "FSL-KIE1",
        "Forward stock Kiel",
        WarehouseKind::Forward,
        "north",
        Some("RW-NORTH"),
    ),
    (
        "FSL-MUC1",
        "Forward stock Munich",
        WarehouseKind::Forward,
        "south",
        Some("RW-SOUTH"),
    ),
    (
        "FSL-NUE1",
        "Forward stock Nuremberg",
        WarehouseKind::Forward,
        "south",
        Some("RW-SOUTH"),
    ),
    (
        "FSL-CGN1",
        "Forward stock Cologne",
        WarehouseKind::Forward,
        "west",
        Some("RW-WEST"),
    ),
    (
        "FSL-DUS1",
        "Forward stock Dusseldorf",
        WarehouseKind::Forward,
        "west",
        Some("RW-WEST"),
    ),
];

/// (code, name, response minutes, business hours only)
const SLA_CLASSES: [(&str, &str, i32, bool); 3] = [
    ("4H", "4-hour, around the clock", 240, false),
    ("SBD", "Same business day", 480, true),
    ("NBD", "Next business day", 540, true),
];

/// Seeds the demo network unless the database already has parts.
pub async fn seed_once(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<()> {
    if part::Entity::find().count(db).await? > 0 {
        tracing::info!("demo: database already has parts; not seeding");
        return Ok(());
    }
    let series = parse_series(CARPARTS)?;
    db::write(db, |tx| {
        let series = series.clone();
        Box::pin(async move { seed(tx, &series, now).await })
    })
    .await?;
    tracing::info!(parts = series.len(), "demo network seeded");
    Ok(())
}

/// One demand series: the part id and its monthly demand.
#[derive(Clone)]
struct Series {
    id: String,
    monthly: Vec<u32>,
}

fn parse_series(text: &str) -> AppResult<Vec<Series>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut cells = line.split(',');
            let id = cells.next().unwrap_or_default().to_owned();
            let monthly = cells
                .map(|c| c.trim().parse::<u32>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AppError::Internal(format!("demo data row {id}: {e}")))?;
            Ok(Series { id, monthly })
        })
        .collect()
}

/// Seeds every kind of master data in dependency order, drawing from one
/// generator in a fixed order so every demo database is identical.
async fn seed(
    tx: &sea_orm::DatabaseTransaction,
    series: &[Series],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let sla_ids = seed_sla_classes(tx, now).await?;
    let warehouse_ids = seed_warehouses(tx, now).await?;
    seed_lanes(tx, &warehouse_ids, now).await?;
    let site_ids = seed_sites(tx, &mut rng, &warehouse_ids, &sla_ids, now).await?;
    for (n, s) in series.iter().enumerate() {
        seed_part(tx, &mut rng, n, s, &site_ids, now).await?;
    }
    seed_vendors(tx, now).await
}

/// The SLA classes of [`SLA_CLASSES`]; returns their ids in that order.
async fn seed_sla_classes(
    tx: &sea_orm::DatabaseTransaction,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let mut sla_ids = Vec::new();
    for (code, name, minutes, business) in SLA_CLASSES {
        let row = sla_class::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            response_minutes: Set(minutes),
            business_hours_only: Set(business),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        sla_ids.push(row.id);
    }
    Ok(sla_ids)
}

/// The warehouse tree of [`WAREHOUSES`], parents first; returns each
/// warehouse's code, id and kind, which lanes and sites are laid along.
async fn seed_warehouses(
    tx: &sea_orm::DatabaseTransaction,
    now: DateTime<Utc>,
) -> AppResult<Vec<(&'static str, i64, WarehouseKind)>> {
    let mut warehouse_ids: Vec<(&str, i64, WarehouseKind)> = Vec::new();
    for (code, name, kind, region, parent) in WAREHOUSES {
        let parent_id = parent.and_then(|p| warehouse_ids.iter().find(|w| w.0 == p).map(|w| w.1));
        let row = warehouse::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            kind: Set(kind),
            region: Set(region.into()),
            parent_id: Set(parent_id),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        warehouse_ids.push((code, row.id, kind));
    }
    Ok(warehouse_ids)
}

/// Lanes both ways along the tree, plus lateral lanes between regional
/// warehouses and between forward locations of the same region.
async fn seed_lanes(
    tx: &sea_orm::DatabaseTransaction,
    warehouse_ids: &[(&str, i64, WarehouseKind)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut lanes: Vec<(i64, i64, f64, i64)> = Vec::new();
    for (code, _, kind, region, parent) in WAREHOUSES {
        let id = find_id(warehouse_ids, code);
        if let Some(p) = parent {
            let pid = find_id(warehouse_ids, p);
            let (hours, cost) = if kind == WarehouseKind::Regional {
                (10.0, 180)
            } else {
                (3.0, 60)
            };
            lanes.push((pid, id, hours, cost));
            lanes.push((id, pid, hours, cost));
        }
        for (other, _, other_kind, other_region, _) in WAREHOUSES {
            if other != code && other_kind == kind && kind != WarehouseKind::CentralDepot {
                let oid = find_id(warehouse_ids, other);
                if kind == WarehouseKind::Regional {
                    lanes.push((id, oid, 8.0, 150));
                } else if other_region == region {
                    lanes.push((id, oid, 2.5, 45));
                }
            }
        }
    }
    let lane_rows = lanes
        .into_iter()
        .map(|(from, to, hours, cost)| lane::ActiveModel {
            from_warehouse_id: Set(from),
            to_warehouse_id: Set(to),
            transit_hours: Set(hours),
            cost: Set(cost.to_string()),
            currency: Set("EUR".into()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    lane::Entity::insert_many(lane_rows).exec(tx).await?;
    Ok(())
}

/// Forty sites spread over the forward locations, every fifth on the
/// 4-hour class; returns their ids.
async fn seed_sites(
    tx: &sea_orm::DatabaseTransaction,
    rng: &mut StdRng,
    warehouse_ids: &[(&str, i64, WarehouseKind)],
    sla_ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let forward: Vec<i64> = warehouse_ids
        .iter()
        .filter(|w| w.2 == WarehouseKind::Forward)
        .map(|w| w.1)
        .collect();
    let mut site_ids = Vec::new();
    for i in 0..40 {
        let serving = forward[i % forward.len()];
        let sla = sla_ids[if i % 5 == 0 {
            0
        } else if i % 3 == 0 {
            1
        } else {
            2
        }];
        let row = site::ActiveModel {
            code: Set(format!("SITE-{:03}", i + 1)),
            name: Set(format!("Switching centre {}", i + 1)),
            customer: Set(["Telco North", "Telco South", "Metro Fibre"][i % 3].into()),
            region: Set(["north", "south", "west"][(i % forward.len()) / 2 % 3].into()),
            time_zone: Set("Europe/Berlin".into()),
            serving_warehouse_id: Set(serving),
            transit_hours: Set(rng.random_range(5..=30) as f64 / 10.0),
            sla_class_id: Set(Some(sla)),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        site_ids.push(row.id);
    }
    Ok(site_ids)
}

/// The `n`th part, from demand series `s`: a family name and cost, an
/// installed base at 3 to 12 sites, and the failure rate that spreads the
/// series' mean demand over that base.
async fn seed_part(
    tx: &sea_orm::DatabaseTransaction,
    rng: &mut StdRng,
    n: usize,
    s: &Series,
    site_ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let (prefix, name, base_cost, repairable) = FAMILIES[n % FAMILIES.len()];
    let cost = Decimal::from(base_cost) * Decimal::from(rng.random_range(80..=120u32))
        / Decimal::from(100);
    // The installed base: each part at 3 to 12 sites, 1 to 20 units each.
    let mut placements = Vec::new();
    for _ in 0..rng.random_range(3..=12usize) {
        let site = site_ids[rng.random_range(0..site_ids.len())];
        if !placements.iter().any(|(s, _)| *s == site) {
            placements.push((site, rng.random_range(1..=20i32)));
        }
    }
    let installed: i32 = placements.iter().map(|p| p.1).sum();
    let mean_monthly = s.monthly.iter().sum::<u32>() as f64 / s.monthly.len().max(1) as f64;
    let failure_rate = (mean_monthly * 12.0 / f64::from(installed.max(1)) * 1e4).round() / 1e4;
    let row = part::ActiveModel {
        part_number: Set(format!("{prefix}-{}", s.id)),
        description: Set(format!("{name} (demand series {})", s.id)),
        unit_of_measure: Set("EA".into()),
        unit_cost: Set(cost.round_dp(2).normalize().to_string()),
        currency: Set("EUR".into()),
        kind: Set(if repairable {
            PartKind::Repairable
        } else {
            PartKind::Consumable
        }),
        criticality: Set([
            Criticality::Medium,
            Criticality::High,
            Criticality::Critical,
            Criticality::Low,
        ][n % 4]),
        annual_failure_rate: Set(failure_rate),
        lead_time_days: Set(rng.random_range(14..=120)),
        repair_turnaround_days: Set(if repairable {
            rng.random_range(7..=45)
        } else {
            0
        }),
        serialized: Set(repairable && base_cost >= 2000),
        lifecycle: Set(if n % 25 == 24 {
            Lifecycle::EndOfLife
        } else {
            Lifecycle::Active
        }),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let rows = placements
        .into_iter()
        .map(|(site_id, quantity)| installed_base::ActiveModel {
            site_id: Set(site_id),
            part_id: Set(row.id),
            quantity: Set(quantity),
            updated_at: Set(now),
            ..Default::default()
        });
    installed_base::Entity::insert_many(rows).exec(tx).await?;
    Ok(())
}

/// Four vendors: suppliers, a repair shop and one that does both.
async fn seed_vendors(tx: &sea_orm::DatabaseTransaction, now: DateTime<Utc>) -> AppResult<()> {
    let vendors = [
        ("NOKRA", "Nokra Networks", VendorKind::Both, 60, Some(21)),
        (
            "ERIKS",
            "Eriks Telecom Supply",
            VendorKind::Supplier,
            30,
            None,
        ),
        (
            "FIXIT",
            "FixIt Repair Services",
            VendorKind::Repair,
            0,
            Some(14),
        ),
        ("OPTIX", "Optix Components", VendorKind::Supplier, 21, None),
    ];
    for (code, name, kind, lead, turnaround) in vendors {
        vendor::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            kind: Set(kind),
            lead_time_days: Set(lead),
            repair_turnaround_days: Set(turnaround),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok(())
}

fn find_id(ids: &[(&str, i64, WarehouseKind)], code: &str) -> i64 {
    ids.iter().find(|w| w.0 == code).map_or(0, |w| w.1)
}
