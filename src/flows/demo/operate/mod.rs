//! Operating the demo network for two years: a queue of timed events, each
//! handled by calling the service functions the API calls, at the event's
//! time. One generator, seeded, draws every choice in the order the events
//! happen, so the same seed gives the same history.
//!
//! What happens (the handlers are in [`field`], [`supply`] and [`upkeep`]):
//! - parts fail at sites, month by month as the part's demand series says;
//!   the engineer raises a replacement request, the clerk dispatches the
//!   reserved unit, the carrier delivers it (some late), the defective unit
//!   of a repairable part comes back and the request is closed; backordered
//!   requests are dispatched once stock arrives and allocation fills them;
//! - every Monday each warehouse is replenished as its suggestions say:
//!   transfers from the parent (some arrive short or damaged) and purchase
//!   orders from the supplier (some late, some in two deliveries, a few
//!   units failing inspection and returned to the vendor);
//! - every Wednesday defective stock goes to repair (the internal centre or
//!   a vendor; some units come back beyond repair), and a few units judged
//!   beyond repair on inspection are put up for scrap; every Friday
//!   quarantined stock is put up for scrap; the planner approves scrap
//!   requests, with certificates;
//! - every warehouse counts its unserialized parts once a month, with small
//!   variances, which the planner approves.
//!
//! Each simulated day is one transaction, so a day's effects commit
//! together and the build stays fast on SQLite.
mod field;
mod finale;
mod planning;
mod supply;
mod upkeep;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Months, NaiveTime, Utc, Weekday};
use entities::stock_balance;
use entities::vocabulary::{Condition, Role};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::cast::{Cast, Member};
use super::network::DemoNetwork;
use crate::flows::logistics::shipments::CarrierFields;
use crate::flows::replacement::Viewer;
use crate::store::db;
use crate::store::error::AppResult;

/// What the two years produced, for the log line at the end.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub requests: usize,
    pub backordered: usize,
    pub transfers: usize,
    pub purchase_orders: usize,
    pub repair_orders: usize,
    pub scrap_requests: usize,
    pub stocktakes: usize,
    pub returns_to_vendor: usize,
}

/// Something that happens at a time.
#[derive(Debug, Clone)]
enum Event {
    /// A unit of part (index) fails at site (index).
    Failure {
        part: usize,
        site: usize,
    },
    Dispatch {
        request: i64,
    },
    Deliver {
        request: i64,
    },
    AnnounceReturn {
        request: i64,
    },
    ReturnArrives {
        request: i64,
    },
    Close {
        request: i64,
    },
    Replenish,
    TransferArrives(supply::Shipped),
    PurchaseArrives {
        order: i64,
        split: bool,
    },
    VendorConfirmsReturn {
        ret: i64,
    },
    RepairRound,
    RepairResult {
        order: i64,
        line: i64,
        part: i64,
    },
    ScrapRound,
    ScrapDecision {
        request: i64,
    },
    CycleCount {
        warehouse: usize,
    },
}

/// An event in the queue, ordered by time, then by when it was queued.
#[derive(Debug)]
struct Scheduled {
    at: DateTime<Utc>,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Serial numbers the demo hands out and the units installed at sites.
#[derive(Debug, Default)]
struct SerialBook {
    issued: u64,
    /// (part index, site index) -> the serial of each installed unit,
    /// named when a unit there first fails (installed before tracking).
    installed: HashMap<(usize, usize), Vec<String>>,
    /// Failed units whose replacement is on its way.
    failing: HashSet<String>,
}

impl SerialBook {
    /// A new serial of `part_number`, as a supplier's label would carry.
    fn fresh(&mut self, part_number: &str) -> String {
        self.issued += 1;
        format!("{part_number}-S{:06}", self.issued)
    }
}

/// The request as the demo follows it.
#[derive(Debug, Clone)]
struct Followed {
    part: usize,
    site: usize,
    failed_serial: Option<String>,
    sent_serial: Option<String>,
}

/// The demo's operation: the queue, the generator and what it follows.
pub struct Operation<'a> {
    db: &'a DatabaseConnection,
    net: &'a DemoNetwork,
    cast: &'a Cast,
    seed: u64,
    rng: StdRng,
    queue: BinaryHeap<Reverse<Scheduled>>,
    queued: u64,
    serials: SerialBook,
    requests: HashMap<i64, Followed>,
    /// Backordered requests, dispatched once allocation fills them.
    backlog: BTreeMap<i64, ()>,
    /// (forward location, part id) -> units bought onto the depot's orders
    /// for it and not yet moved on.
    cross_dock: HashMap<(i64, i64), i64>,
    tickets: u32,
    pub tally: Tally,
}

impl<'a> Operation<'a> {
    pub fn new(
        db: &'a DatabaseConnection,
        net: &'a DemoNetwork,
        cast: &'a Cast,
        seed: u64,
    ) -> Self {
        Operation {
            db,
            net,
            cast,
            seed,
            rng: StdRng::seed_from_u64(seed),
            queue: BinaryHeap::new(),
            queued: 0,
            serials: SerialBook::default(),
            requests: HashMap::new(),
            backlog: BTreeMap::new(),
            cross_dock: HashMap::new(),
            tickets: 0,
            tally: Tally::default(),
        }
    }

    /// Runs everything that happens from `start` up to `end`; what is due
    /// later stays undone (requests in flight, goods on the way).
    pub async fn run(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> AppResult<()> {
        self.plan_failures(start, end);
        self.plan_routines(start);
        let mut day: Option<(chrono::NaiveDate, DatabaseTransaction)> = None;
        while let Some(Reverse(next)) = self.queue.pop() {
            if next.at > end {
                break;
            }
            let date = next.at.date_naive();
            if day.as_ref().is_none_or(|(d, _)| *d != date) {
                if let Some((previous, tx)) = day.take() {
                    tx.commit().await?;
                    if previous.month() != date.month() {
                        tracing::info!(month = %previous.format("%Y-%m"), requests = self.tally.requests, "demo: month operated");
                    }
                }
                day = Some((date, db::begin_write(self.db).await?));
            }
            if let Some((_, tx)) = &day {
                self.handle(tx, next.at, next.event).await?;
            }
        }
        if let Some((_, tx)) = day {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Queues `event` at `at`.
    fn at(&mut self, at: DateTime<Utc>, event: Event) {
        self.queued += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.queued,
            event,
        }));
    }

    /// Every failure of the two years: each part's monthly counts from a
    /// stretch of its demand series (where the stretch starts depends on the
    /// seed), each failure at one of the part's sites, weighted by the units
    /// installed there, at a random moment of its month.
    fn plan_failures(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) {
        let months = 24usize;
        let longest = self
            .net
            .parts
            .iter()
            .map(|p| p.monthly.len())
            .max()
            .unwrap_or(0);
        let offset = self.rng.random_range(0..=longest.saturating_sub(months));
        for (p, part) in self.net.parts.iter().enumerate() {
            let installed: i32 = part.installed.iter().map(|i| i.1).sum();
            if installed == 0 {
                continue;
            }
            for m in 0..months {
                let Some(&count) = part.monthly.get(offset + m) else {
                    continue;
                };
                let from = month_start(start, m);
                let span = (month_start(start, m + 1) - from).num_seconds();
                for _ in 0..count {
                    let at = from + Duration::seconds(self.rng.random_range(0..span));
                    let mut pick = self.rng.random_range(0..installed);
                    let site = part
                        .installed
                        .iter()
                        .find(|(_, units)| {
                            let hit = pick < *units;
                            pick -= units;
                            hit
                        })
                        .map_or(part.installed[0].0, |i| i.0);
                    if at <= end {
                        self.at(at, Event::Failure { part: p, site });
                    }
                }
            }
        }
    }

    /// The weekly and monthly routines, from the first week on.
    fn plan_routines(&mut self, start: DateTime<Utc>) {
        self.at(next_weekday(start, Weekday::Mon, 6), Event::Replenish);
        self.at(next_weekday(start, Weekday::Wed, 8), Event::RepairRound);
        self.at(next_weekday(start, Weekday::Fri, 12), Event::ScrapRound);
        for w in 0..self.net.warehouses.len() {
            let first = next_weekday(start, Weekday::Tue, 13) + Duration::days(2 * w as i64);
            self.at(first, Event::CycleCount { warehouse: w });
        }
    }

    async fn handle(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        e: Event,
    ) -> AppResult<()> {
        match e {
            Event::Failure { part, site } => self.failure(tx, at, part, site).await,
            Event::Dispatch { request } => self.dispatch(tx, at, request).await,
            Event::Deliver { request } => self.deliver(tx, at, request).await,
            Event::AnnounceReturn { request } => self.announce_return(tx, at, request).await,
            Event::ReturnArrives { request } => self.return_arrives(tx, at, request).await,
            Event::Close { request } => self.close(tx, at, request).await,
            Event::Replenish => {
                self.at(at + Duration::weeks(1), Event::Replenish);
                self.replenish(tx, at).await
            }
            Event::TransferArrives(shipped) => self.transfer_arrives(tx, at, shipped).await,
            Event::PurchaseArrives { order, split } => {
                self.purchase_arrives(tx, at, order, split).await
            }
            Event::VendorConfirmsReturn { ret } => self.vendor_confirms(tx, at, ret).await,
            Event::RepairRound => {
                self.at(at + Duration::weeks(1), Event::RepairRound);
                self.repair_round(tx, at).await
            }
            Event::RepairResult { order, line, part } => {
                self.repair_result(tx, at, order, line, part).await
            }
            Event::ScrapRound => {
                self.at(at + Duration::weeks(1), Event::ScrapRound);
                self.scrap_round(tx, at).await
            }
            Event::ScrapDecision { request } => self.scrap_decision(tx, at, request).await,
            Event::CycleCount { warehouse } => {
                self.at(at + Duration::weeks(4), Event::CycleCount { warehouse });
                self.cycle_count(tx, at, warehouse).await
            }
        }
    }

    /// `member` as a replacement-request viewer.
    fn viewer(member: &Member) -> Viewer {
        Viewer {
            user_id: member.id,
            role: member.role,
        }
    }

    fn engineer(&self) -> Viewer {
        Self::viewer(&self.cast.engineer)
    }

    fn clerk_viewer(&self) -> Viewer {
        Viewer {
            user_id: self.cast.clerk.id,
            role: Role::Warehouse,
        }
    }

    /// A carrier, a tracking number and a cost between `low` and `high`
    /// euros.
    fn carrier(&mut self, low: u32, high: u32) -> CarrierFields {
        let carriers = ["DHL Express", "UPS", "Kuehne+Nagel", "GO! Express"];
        let carrier = carriers[self.rng.random_range(0..carriers.len())];
        CarrierFields {
            carrier: carrier.into(),
            tracking_ref: format!("TRK{:09}", self.rng.random_range(0..1_000_000_000u32)),
            mode: entities::vocabulary::ShipmentMode::Local,
            cost: Decimal::from(self.rng.random_range(low..=high)),
            currency: "EUR".into(),
            estimated_arrival_at: None,
        }
    }

    /// `span` stretched by a random factor between `low` and `high`.
    fn stretch(&mut self, span: Duration, low: f64, high: f64) -> Duration {
        let factor = self.rng.random_range(low..=high);
        Duration::seconds((span.num_seconds() as f64 * factor).round() as i64)
    }
}

/// Units of each part in `condition` at `warehouse`: (part id, on hand,
/// reserved), in part id order.
async fn balances(
    db: &impl ConnectionTrait,
    warehouse: i64,
    condition: Condition,
) -> AppResult<Vec<(i64, i32, i32)>> {
    Ok(stock_balance::Entity::find()
        .filter(stock_balance::Column::WarehouseId.eq(warehouse))
        .filter(stock_balance::Column::Condition.eq(condition))
        .filter(stock_balance::Column::OnHand.gt(0))
        .order_by_asc(stock_balance::Column::PartId)
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.part_id, b.on_hand, b.reserved))
        .collect())
}

/// The start of month `m` of the two years that begin at `start`.
fn month_start(start: DateTime<Utc>, m: usize) -> DateTime<Utc> {
    start
        .checked_add_months(Months::new(m as u32))
        .unwrap_or(start)
}

/// The first `weekday` at `hour`:00 UTC after `from`.
fn next_weekday(from: DateTime<Utc>, weekday: Weekday, hour: u32) -> DateTime<Utc> {
    let mut day = from.date_naive() + Duration::days(1);
    while day.weekday() != weekday {
        day += Duration::days(1);
    }
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default();
    day.and_time(time).and_utc()
}
