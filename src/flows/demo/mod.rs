//! The demo of `spares serve --demo`: a national operator's spare-part
//! network with two years of history up to today, so a planner, a clerk and
//! an engineer see a living system at once.
//!
//! The network and catalogue ([`network`]) are created through the
//! master-data services; then the demo's users ([`cast`]) operate it for 24
//! months ([`operate`]) through the same service functions the API calls,
//! each call at its simulated time: failures from the car-parts demand
//! series become replacement requests, replenishment follows the stock
//! levels of a plan adopted at the start, repairs, scrap, returns and cycle
//! counts run on their weekly and monthly rounds. The history stops just
//! before now with work in flight and a finished plan of the network as it
//! stands. One seed (`--demo-seed`) draws every choice: the same seed gives
//! the same history, relative to the day it is built.
//!
//! The administrator is created last: a database holding it holds a
//! finished demo, which is started as it is. A database holding anything
//! else is refused, so the demo never mixes with real data.
mod cast;
mod network;
mod operate;

use std::time::Instant;

use chrono::{DateTime, Duration, Months, Utc};
use entities::{part, site, stock_document, user, vendor, warehouse};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

pub use cast::{Member, shell_variable};
pub use operate::Tally;

use crate::store::db;
use crate::store::error::{AppError, AppResult};

/// The seed of `--demo-seed` when none is given.
pub const DEFAULT_SEED: u64 = 421;
/// How far back the history starts.
const HISTORY_MONTHS: u32 = 24;
/// The depot's code: with the administrator, the mark of a demo database.
const DEPOT: &str = "CDC-FRA";

/// What `--demo` found or did.
#[derive(Debug)]
pub enum Opened {
    /// The demo was built now: its users (with their tokens, shown only
    /// now) and what the history holds.
    Built {
        members: Vec<Member>,
        tally: Tally,
        seconds: f64,
    },
    /// The database already held the demo; nothing was added.
    AlreadyThere,
}

/// What the database holds, as far as the demo cares.
enum Found {
    Empty,
    Demo,
    UnfinishedDemo,
    Other { parts: u64, warehouses: u64 },
}

/// Builds the demo on an empty database, leaves a finished demo as it is,
/// and refuses any other database.
pub async fn open(db: &DatabaseConnection, seed: u64, now: DateTime<Utc>) -> AppResult<Opened> {
    match found(db).await? {
        Found::Demo => Ok(Opened::AlreadyThere),
        Found::Empty => build(db, seed, now).await,
        Found::UnfinishedDemo => Err(AppError::Conflict(
            "the database holds a demo whose build was interrupted; delete it and start again"
                .into(),
        )),
        Found::Other { parts, warehouses } => Err(AppError::Conflict(format!(
            "the database holds other data ({parts} parts, {warehouses} warehouses), not the \
             demo; --demo needs an empty database or one it built (e.g. \
             --database-url sqlite://demo.db)"
        ))),
    }
}

async fn found(db: &DatabaseConnection) -> AppResult<Found> {
    let admin = user::Entity::find()
        .filter(user::Column::Name.eq(cast::ADMIN))
        .count(db)
        .await?;
    let depot = warehouse::Entity::find()
        .filter(warehouse::Column::Code.eq(DEPOT))
        .count(db)
        .await?;
    let parts = part::Entity::find().count(db).await?;
    let warehouses = warehouse::Entity::find().count(db).await?;
    let others = site::Entity::find().count(db).await?
        + vendor::Entity::find().count(db).await?
        + stock_document::Entity::find().count(db).await?;
    Ok(match (admin > 0, depot > 0) {
        (true, true) => Found::Demo,
        (false, true) => Found::UnfinishedDemo,
        _ if parts + warehouses + others == 0 => Found::Empty,
        _ => Found::Other { parts, warehouses },
    })
}

/// The whole build: network and users a fortnight before the history
/// starts, the plan and opening stock at its start, two years of
/// operation, the finale, and the administrator last.
async fn build(db: &DatabaseConnection, seed: u64, now: DateTime<Utc>) -> AppResult<Opened> {
    let clock = Instant::now();
    let start = now
        .checked_sub_months(Months::new(HISTORY_MONTHS))
        .ok_or_else(|| AppError::Internal("the demo's start is out of range".into()))?;
    let founded = start - Duration::days(14);
    let tx = db::begin_write(db).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let net = network::build(&tx, &mut rng, founded).await?;
    let cast = cast::hire(&tx, founded).await?;
    tx.commit().await?;
    tracing::info!(
        parts = net.parts.len(),
        "demo: network built; operating two years"
    );
    let mut operation = operate::Operation::new(db, &net, &cast, seed);
    operation.begin(start).await?;
    operation.run(start, now - Duration::hours(2)).await?;
    operation.finale(now).await?;
    let tally = operation.tally.clone();
    let tx = db::begin_write(db).await?;
    let admin = cast::crown(&tx, now).await?;
    tx.commit().await?;
    Ok(Opened::Built {
        members: vec![admin, cast.planner, cast.clerk, cast.engineer],
        tally,
        seconds: clock.elapsed().as_secs_f64(),
    })
}
