//! The one way a document changes state: a conditional `UPDATE ... SET
//! status = to WHERE id = ? AND status IN (from..)`, decided by the rows
//! affected, in the caller's transaction. Two racing actions on one
//! document cannot both win: on PostgreSQL the loser waits for the
//! winner's row lock and then finds the status changed; on SQLite the
//! write transaction is exclusive. A refused action is 409
//! `invalid_transition` naming the state the row is in now and the actions
//! allowed from it, read after the update failed.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, EntityTrait, IdenStatic, PrimaryKeyTrait, Value};

use crate::store::error::{AppError, AppResult};

/// A table whose rows are documents with a status.
pub trait StateMachine: EntityTrait {
    /// The document's name in problems, e.g. `transfer`.
    const WHAT: &'static str;
    /// The status as stored.
    type Status: Copy + Into<Value>;
    const ID: Self::Column;
    const STATUS: Self::Column;
    /// The row's last-change stamp, set by every transition, if it has one.
    const UPDATED_AT: Option<Self::Column>;
    /// The row's state as named in problems, and the actions allowed from it.
    fn state(row: &Self::Model) -> (String, Vec<&'static str>);
}

/// One state change of document `id`.
pub struct Transition<E: StateMachine> {
    pub id: i64,
    /// The states the action is allowed from.
    pub from: Vec<E::Status>,
    /// The state after it; `None` keeps the state and only takes the row's
    /// lock (and bumps its change stamp), so concurrent actions on one
    /// document queue behind each other.
    pub to: Option<E::Status>,
    /// The action as named in the API, e.g. `ship`.
    pub action: &'static str,
    /// More columns the action sets.
    pub set: Vec<(E::Column, SimpleExpr)>,
    /// A further condition the row must meet.
    pub guard: Option<SimpleExpr>,
}

impl<E: StateMachine> Transition<E> {
    /// `action` moving document `id` from one of `from` to `to`.
    pub fn new(id: i64, from: &[E::Status], to: E::Status, action: &'static str) -> Self {
        Self {
            id,
            from: from.to_vec(),
            to: Some(to),
            action,
            set: Vec::new(),
            guard: None,
        }
    }

    /// `action` on document `id` in one of `from`, keeping its state: the
    /// row is locked for the rest of the transaction.
    pub fn lock(id: i64, from: &[E::Status], action: &'static str) -> Self {
        Self {
            id,
            from: from.to_vec(),
            to: None,
            action,
            set: Vec::new(),
            guard: None,
        }
    }

    /// Also sets `column` to `value`.
    pub fn set(mut self, column: E::Column, value: impl Into<SimpleExpr>) -> Self {
        self.set.push((column, value.into()));
        self
    }

    /// Also requires `condition` of the row.
    pub fn guard(mut self, condition: SimpleExpr) -> Self {
        self.guard = Some(condition);
        self
    }

    /// Applies the change at `now`, or explains from the row as it is now
    /// why it cannot be made.
    pub async fn apply(self, db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()>
    where
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
        E::Column: IdenStatic,
    {
        let mut stmt = Query::update();
        stmt.table(E::default());
        match self.to {
            Some(to) => stmt.value(E::STATUS, to),
            None => stmt.value(E::STATUS, Expr::col(E::STATUS)),
        };
        if let Some(col) = E::UPDATED_AT {
            stmt.value(col, now);
        }
        for (col, value) in self.set {
            stmt.value(col, value);
        }
        stmt.and_where(Expr::col(E::ID).eq(self.id))
            .and_where(Expr::col(E::STATUS).is_in(self.from));
        if let Some(guard) = self.guard {
            stmt.and_where(guard);
        }
        if db.execute(&stmt).await?.rows_affected() == 1 {
            return Ok(());
        }
        let row = E::find_by_id(self.id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound(E::WHAT))?;
        Err(refusal::<E>(&row, self.action))
    }
}

/// The 409 for `action` on `row` in its current state.
pub fn refusal<E: StateMachine>(row: &E::Model, action: &'static str) -> AppError {
    let (current, allowed) = E::state(row);
    AppError::InvalidTransition {
        what: E::WHAT,
        action,
        current,
        allowed,
    }
}
