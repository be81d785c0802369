//! The demo's network and catalogue, created through the master-data
//! service functions: SLA classes, a central depot feeding three regional
//! warehouses and six forward stocking locations, the lanes between them, 40
//! customer sites with their installed base, 300 parts and four vendors.
//!
//! Every forward location, which serves the sites, can be reached from the
//! depot directly (an express lane) and from its regional parent and its
//! regional neighbour: the sourcing rule only ships to a site through its
//! serving warehouse, so these lanes are what makes stock anywhere useful
//! to every site.
use chrono::{DateTime, Utc};
use entities::vocabulary::{Criticality, Lifecycle, PartKind, VendorKind, WarehouseKind};
use rand::RngExt;
use rand::rngs::StdRng;
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;

use crate::core::fields::{Code, Currency, FreeText, Name};
use crate::core::forecast::series::{Series, read_wide_csv};
use crate::flows::master::lanes::{Lane, LaneFields};
use crate::flows::master::parts::{Part, PartFields};
use crate::flows::master::resource::create;
use crate::flows::master::sites::{InstalledQuantity, Site, SiteFields, set_installed};
use crate::flows::master::sla_classes::{SlaClass, SlaClassFields};
use crate::flows::master::vendors::{Vendor, VendorFields};
use crate::flows::master::warehouses::{Warehouse, WarehouseFields};
use crate::store::error::{AppError, AppResult};

/// 300 monthly demand series of 51 months (`Part,Jan-98,...,Mar-02`): the
/// 30 busiest complete series of the car-parts set (Hyndman et al.) and 270
/// intermittent ones.
const CARPARTS: &str = include_str!("carparts-demo.csv");

/// What a part is, to give the demo parts telecom names and costs:
/// (prefix, name, base cost, repairable).
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

/// (code, name, kind, lead time days, repair turnaround days)
const VENDORS: [(&str, &str, VendorKind, i32, Option<i32>); 4] = [
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

/// Customer sites of the demo.
const SITES: usize = 40;

/// A warehouse as the demo drives it.
#[derive(Debug, Clone)]
pub struct DemoWarehouse {
    pub id: i64,
    pub code: &'static str,
    pub kind: WarehouseKind,
    pub region: &'static str,
    pub parent: Option<i64>,
}

/// A site as the demo drives it.
#[derive(Debug, Clone)]
pub struct DemoSite {
    pub id: i64,
    pub code: String,
    pub region: &'static str,
    /// On the 4-hour class, whose clock runs around the clock.
    pub four_hour: bool,
}

/// A part as the demo drives it: its catalogue facts, its monthly demand
/// shape and where it is installed.
#[derive(Debug, Clone)]
pub struct DemoPart {
    pub id: i64,
    pub number: String,
    /// The family's part-number prefix, e.g. `RRU`.
    pub family: &'static str,
    pub unit_cost: Decimal,
    pub repairable: bool,
    pub serialized: bool,
    /// Failures a month, oldest first (the car-parts series).
    pub monthly: Vec<u32>,
    /// (index into [`DemoNetwork::sites`], units installed)
    pub installed: Vec<(usize, i32)>,
}

/// Everything the demo created, by what the operation needs of it.
#[derive(Debug, Clone)]
pub struct DemoNetwork {
    pub warehouses: Vec<DemoWarehouse>,
    pub sites: Vec<DemoSite>,
    pub parts: Vec<DemoPart>,
    /// The supplier replenishment buys from when it names none.
    pub supplier: i64,
    /// The outside repair vendor.
    pub repair_vendor: i64,
}

impl DemoNetwork {
    pub fn depot(&self) -> i64 {
        self.warehouses[0].id
    }

    /// The part with id `id` (parts are created, and kept, in id order).
    pub fn part(&self, id: i64) -> Option<&DemoPart> {
        self.parts
            .binary_search_by_key(&id, |p| p.id)
            .ok()
            .map(|i| &self.parts[i])
    }
}

/// Creates the network and catalogue at `now`.
pub async fn build(
    db: &impl ConnectionTrait,
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> AppResult<DemoNetwork> {
    let classes = sla_classes(db, now).await?;
    let warehouses = warehouses(db, now).await?;
    lanes(db, &warehouses, now).await?;
    let sites = sites(db, rng, &warehouses, &classes, now).await?;
    let mut parts = Vec::new();
    for (n, s) in series()?.into_iter().enumerate() {
        parts.push(part(db, rng, n, s, &sites, now).await?);
    }
    let (supplier, repair_vendor) = vendors(db, now).await?;
    Ok(DemoNetwork {
        warehouses,
        sites,
        parts,
        supplier,
        repair_vendor,
    })
}

/// The demo's demand series, read as any wide demand file is.
fn series() -> AppResult<Vec<Series>> {
    read_wide_csv(CARPARTS.as_bytes())
        .map_err(|e| AppError::Internal(format!("the demo's demand data: {e}")))
}

fn code(text: &str) -> Code {
    Code::from(text.to_owned())
}

fn name(text: &str) -> Name {
    Name::from(text.to_owned())
}

/// The SLA classes; their ids in [`SLA_CLASSES`] order.
async fn sla_classes(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<Vec<i64>> {
    let mut ids = Vec::new();
    for (c, n, minutes, business) in SLA_CLASSES {
        let fields = SlaClassFields {
            code: code(c),
            name: name(n),
            response_minutes: minutes,
            business_hours_only: business,
        };
        ids.push(create::<SlaClass>(db, fields, now).await?.id);
    }
    Ok(ids)
}

/// The warehouse tree, parents first.
async fn warehouses(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> AppResult<Vec<DemoWarehouse>> {
    let mut out: Vec<DemoWarehouse> = Vec::new();
    for (c, n, kind, region, parent) in WAREHOUSES {
        let parent = parent.and_then(|p| out.iter().find(|w| w.code == p).map(|w| w.id));
        let fields = WarehouseFields {
            code: code(c),
            name: name(n),
            kind,
            region: name(region),
            parent_id: parent,
        };
        let id = create::<Warehouse>(db, fields, now).await?.id;
        out.push(DemoWarehouse {
            id,
            code: c,
            kind,
            region,
            parent,
        });
    }
    Ok(out)
}

/// (from, to, transit hours, cost): both ways along the tree, between the
/// regional warehouses, between forward locations of one region, and from
/// the depot straight to every forward location.
fn lane_plan(warehouses: &[DemoWarehouse]) -> Vec<(i64, i64, f64, i64)> {
    let mut plan = Vec::new();
    for w in warehouses {
        if let Some(parent) = w.parent {
            let (hours, cost) = match w.kind {
                WarehouseKind::Regional => (10.0, 180),
                _ => (3.0, 60),
            };
            plan.push((parent, w.id, hours, cost));
            plan.push((w.id, parent, hours, cost));
        }
        if w.kind == WarehouseKind::Forward && w.parent != Some(warehouses[0].id) {
            plan.push((warehouses[0].id, w.id, 12.0, 250));
        }
        for other in warehouses {
            if other.id == w.id || other.kind != w.kind {
                continue;
            }
            match w.kind {
                WarehouseKind::Regional => plan.push((w.id, other.id, 8.0, 150)),
                WarehouseKind::Forward if other.region == w.region => {
                    plan.push((w.id, other.id, 2.5, 45))
                }
                _ => {}
            }
        }
    }
    plan
}

async fn lanes(
    db: &impl ConnectionTrait,
    warehouses: &[DemoWarehouse],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for (from, to, hours, cost) in lane_plan(warehouses) {
        let fields = LaneFields {
            from_warehouse_id: from,
            to_warehouse_id: to,
            transit_hours: hours,
            cost: Decimal::from(cost),
            currency: Currency::eur(),
        };
        create::<Lane>(db, fields, now).await?;
    }
    Ok(())
}

/// The sites, each served by a forward location, one in five on the 4-hour
/// class, one in three of the rest same-business-day, the others next
/// business day.
async fn sites(
    db: &impl ConnectionTrait,
    rng: &mut StdRng,
    warehouses: &[DemoWarehouse],
    classes: &[i64],
    now: DateTime<Utc>,
) -> AppResult<Vec<DemoSite>> {
    let forward: Vec<&DemoWarehouse> = warehouses
        .iter()
        .filter(|w| w.kind == WarehouseKind::Forward)
        .collect();
    let mut out = Vec::new();
    for i in 0..SITES {
        let serving = forward[i % forward.len()];
        let class_index = if i % 5 == 0 {
            0
        } else if i % 3 == 0 {
            1
        } else {
            2
        };
        let region = serving.region;
        let site_code = format!("SITE-{:03}", i + 1);
        let fields = SiteFields {
            code: code(&site_code),
            name: name(&format!("Switching centre {}", i + 1)),
            customer: name(["Telco North", "Telco South", "Metro Fibre"][i % 3]),
            region: name(region),
            time_zone: "Europe/Berlin".into(),
            serving_warehouse_id: serving.id,
            transit_hours: f64::from(rng.random_range(5..=30)) / 10.0,
            sla_class_id: Some(classes[class_index]),
        };
        let id = create::<Site>(db, fields, now).await?.id;
        out.push(DemoSite {
            id,
            code: site_code,
            region,
            four_hour: class_index == 0,
        });
    }
    Ok(out)
}

/// Part `n` of the catalogue from demand series `s`, installed at 3 to 12
/// sites; its annual failure rate spreads the series' mean demand over the
/// installed base, so planning on the demo sees the demand it operates.
async fn part(
    db: &impl ConnectionTrait,
    rng: &mut StdRng,
    n: usize,
    s: Series,
    sites: &[DemoSite],
    now: DateTime<Utc>,
) -> AppResult<DemoPart> {
    let (prefix, family, base_cost, repairable) = FAMILIES[n % FAMILIES.len()];
    let cost = Decimal::from(base_cost) * Decimal::from(rng.random_range(80..=120u32))
        / Decimal::from(100);
    let mut installed: Vec<(usize, i32)> = Vec::new();
    for _ in 0..rng.random_range(3..=12usize) {
        let site = rng.random_range(0..sites.len());
        if !installed.iter().any(|(s, _)| *s == site) {
            installed.push((site, rng.random_range(1..=20i32)));
        }
    }
    let units: i32 = installed.iter().map(|p| p.1).sum();
    let monthly: Vec<u32> = s.values.iter().map(|v| v.max(0.0) as u32).collect();
    let mean = monthly.iter().sum::<u32>() as f64 / monthly.len().max(1) as f64;
    let failure_rate = (mean * 12.0 / f64::from(units.max(1)) * 1e4).round() / 1e4;
    let criticality = [
        Criticality::Medium,
        Criticality::High,
        Criticality::Critical,
        Criticality::Low,
    ][n % 4];
    let end_of_life = n % 25 == 24;
    let serialized = repairable && base_cost >= 2000;
    let unit_cost = cost.round_dp(2).normalize();
    let turnaround_days = if repairable {
        rng.random_range(7..=45)
    } else {
        0
    };
    let fields = PartFields {
        part_number: code(&format!("{prefix}-{}", s.id)),
        description: FreeText::from(format!("{family} (demand series {})", s.id)),
        unit_of_measure: "EA".into(),
        unit_cost,
        currency: Currency::eur(),
        kind: if repairable {
            PartKind::Repairable
        } else {
            PartKind::Consumable
        },
        criticality,
        annual_failure_rate: failure_rate,
        lead_time_days: rng.random_range(14..=120),
        repair_turnaround_days: turnaround_days,
        serialized,
        lifecycle: if end_of_life {
            Lifecycle::EndOfLife
        } else {
            Lifecycle::Active
        },
    };
    let created = create::<Part>(db, fields, now).await?;
    for &(site, quantity) in &installed {
        set_installed(
            db,
            sites[site].id,
            created.id,
            InstalledQuantity { quantity },
            now,
        )
        .await?;
    }
    Ok(DemoPart {
        id: created.id,
        number: created.part_number,
        family: prefix,
        unit_cost,
        repairable,
        serialized,
        monthly,
        installed,
    })
}

/// The vendors; the ids of the default supplier and the repair vendor.
async fn vendors(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<(i64, i64)> {
    let mut ids = Vec::new();
    for (c, n, kind, lead, turnaround) in VENDORS {
        let fields = VendorFields {
            code: code(c),
            name: name(n),
            kind,
            lead_time_days: lead,
            repair_turnaround_days: turnaround,
        };
        ids.push(create::<Vendor>(db, fields, now).await?.id);
    }
    Ok((ids[0], ids[2]))
}
