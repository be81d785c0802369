//! The only code that changes `stock_balances`: guarded conditional updates
//! whose `WHERE` clause carries the rule, with the affected-row count as the
//! verdict. There is no read-modify-write: two concurrent requests can never
//! both see "3 available" and both take 3.
use chrono::{DateTime, Utc};
use entities::stock_balance::{self, Column as B};
use entities::vocabulary::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::store::error::{AppError, AppResult};

/// One balance row's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BalanceKey {
    pub part_id: i64,
    pub warehouse_id: i64,
    pub condition: Condition,
}

fn key_filter(key: BalanceKey) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(B::PartId.eq(key.part_id))
        .add(B::WarehouseId.eq(key.warehouse_id))
        .add(B::Condition.eq(key.condition))
}

/// The most units one balance row may hold. Every quantity the service
/// reads is then far inside a 32-bit integer, on both backends, however
/// many documents are posted; a posting that would pass it is refused.
pub const MAX_BALANCE: i32 = 1_000_000_000;

/// Adds `n` on-hand units, creating the row on first receipt (an atomic
/// upsert on both backends), unless the row would pass [`MAX_BALANCE`]
/// (409 `balance_limit`).
pub async fn increase(
    db: &impl ConnectionTrait,
    key: BalanceKey,
    n: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let stmt = Query::insert()
        .into_table(stock_balance::Entity)
        .columns([
            B::PartId,
            B::WarehouseId,
            B::Condition,
            B::OnHand,
            B::Reserved,
            B::UpdatedAt,
        ])
        .values_panic([
            key.part_id.into(),
            key.warehouse_id.into(),
            key.condition.into(),
            n.into(),
            0.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([B::PartId, B::WarehouseId, B::Condition])
                .value(
                    B::OnHand,
                    Expr::col((stock_balance::Entity, B::OnHand)).add(n),
                )
                .value(B::UpdatedAt, now)
                .action_and_where(
                    Expr::col((stock_balance::Entity, B::OnHand))
                        .add(n)
                        .lte(MAX_BALANCE),
                )
                .to_owned(),
        )
        .to_owned();
    if db.execute(&stmt).await?.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::BalanceLimit {
            part_id: key.part_id,
            warehouse_id: key.warehouse_id,
            limit: MAX_BALANCE.into(),
        })
    }
}

/// Runs a guarded update; zero rows affected means the guard refused.
async fn guarded(
    db: &impl ConnectionTrait,
    key: BalanceKey,
    set: Vec<(B, Expr)>,
    guard: Expr,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut stmt = Query::update();
    stmt.table(stock_balance::Entity);
    for (col, value) in set {
        stmt.value(col, value);
    }
    stmt.value(B::UpdatedAt, now)
        .cond_where(key_filter(key))
        .and_where(guard);
    Ok(db.execute(&stmt).await?.rows_affected() == 1)
}

/// The error for a refused take, with what is actually available now.
async fn shortage(db: &impl ConnectionTrait, key: BalanceKey, requested: i32) -> AppError {
    let available = match available(db, key).await {
        Ok(a) => a,
        Err(e) => return e,
    };
    AppError::short(
        key.part_id,
        key.warehouse_id,
        key.condition,
        requested.into(),
        available.into(),
    )
}

/// Unreserved on-hand units (zero when there is no row).
pub async fn available(db: &impl ConnectionTrait, key: BalanceKey) -> AppResult<i32> {
    Ok(stock_balance::Entity::find()
        .filter(key_filter(key))
        .one(db)
        .await?
        .map_or(0, |b| b.on_hand - b.reserved))
}

/// Removes `n` unreserved units: refused unless `on_hand - reserved >= n`.
pub async fn decrease(
    db: &impl ConnectionTrait,
    key: BalanceKey,
    n: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let set = (B::OnHand, Expr::col(B::OnHand).sub(n));
    take_unreserved(db, key, n, set, now).await
}

/// Holds `n` unreserved units: refused unless `on_hand - reserved >= n`.
pub async fn reserve(
    db: &impl ConnectionTrait,
    key: BalanceKey,
    n: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let set = (B::Reserved, Expr::col(B::Reserved).add(n));
    take_unreserved(db, key, n, set, now).await
}

/// Applies `set` to the row when `n` units are unreserved; a refusal says
/// how many are available now.
async fn take_unreserved(
    db: &impl ConnectionTrait,
    key: BalanceKey,
    n: i32,
    set: (B, Expr),
    now: DateTime<Utc>,
) -> AppResult<()> {
    let unreserved = Expr::col(B::OnHand).sub(Expr::col(B::Reserved)).gte(n);
    if guarded(db, key, vec![set], unreserved, now).await? {
        Ok(())
    } else {
        Err(shortage(db, key, n).await)
    }
}

/// The verdict on units the caller holds: a refusal is a bug, not a
/// shortage.
fn held(ok: bool, what: impl FnOnce() -> String) -> AppResult<()> {
    if ok {
        Ok(())
    } else {
        Err(AppError::Internal(what()))
    }
}

/// Lets go of `n` held units.
pub async fn release(
    db: &impl ConnectionTrait,
    key: BalanceKey,
    n: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let set = vec![(B::Reserved, Expr::col(B::Reserved).sub(n))];
    let ok = guarded(db, key, set, Expr::col(B::Reserved).gte(n), now).await?;
    held(ok, || format!("reservation of {n} not held on {key:?}"))
}

/// Removes `n` units that were held: on-hand and reserved drop together.
pub async fn take_reserved(
    db: &impl ConnectionTrait,
    key: BalanceKey,
    n: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let ok = guarded(
        db,
        key,
        vec![
            (B::OnHand, Expr::col(B::OnHand).sub(n)),
            (B::Reserved, Expr::col(B::Reserved).sub(n)),
        ],
        Expr::col(B::Reserved)
            .gte(n)
            .and(Expr::col(B::OnHand).gte(n)),
        now,
    )
    .await?;
    held(ok, || format!("reserved {n} not on hand on {key:?}"))
}
