//! Keyset pagination and text search, the same for every list.
use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoColumnRef, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Validator;
use crate::store::error::AppResult;

/// Page size when the client does not ask for one.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 500;

/// One page of a list, in ascending id order. Pass `next_after` back as
/// `after` for the next page; it is absent on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<i64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_after: self.next_after,
        }
    }

    pub fn try_map<U>(self, f: impl FnMut(T) -> AppResult<U>) -> AppResult<Page<U>> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<AppResult<_>>()?,
            next_after: self.next_after,
        })
    }
}

/// Keyset pagination parameters common to every list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Return rows with an id greater than this (the previous page's `next_after`).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl PageParams {
    /// The paging of a list request, refused (422) when out of range.
    pub fn checked(after: Option<i64>, limit: Option<i64>) -> AppResult<Self> {
        let page = Self { after, limit };
        let mut v = Validator::new();
        page.validate(&mut v);
        v.finish()?;
        Ok(page)
    }

    pub fn validate(&self, v: &mut Validator) {
        if let Some(limit) = self.limit {
            v.range_i64("limit", limit, 1, MAX_PAGE_SIZE as i64);
        }
        if let Some(after) = self.after {
            v.range_i64("after", after, 0, i64::MAX);
        }
    }

    /// Runs `select` for one page ordered by `id`.
    pub async fn fetch<E, C>(
        &self,
        db: &impl ConnectionTrait,
        select: Select<E>,
        id: C,
        id_of: impl Fn(&E::Model) -> i64,
    ) -> AppResult<Page<E::Model>>
    where
        E: EntityTrait,
        C: ColumnTrait,
    {
        let limit = self.limit.map_or(DEFAULT_PAGE_SIZE, |l| {
            l.clamp(1, MAX_PAGE_SIZE as i64) as u64
        });
        let mut items = select
            .filter(id.gt(self.after.unwrap_or(0)))
            .order_by_asc(id)
            .limit(limit + 1)
            .all(db)
            .await?;
        let next_after = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(&id_of)
        } else {
            None
        };
        Ok(Page { items, next_after })
    }
}

/// A case-insensitive substring pattern for `LIKE`, with the wildcards of
/// the user's text escaped so `%` searches for a percent sign.
pub fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Case-insensitive substring match of `q` in any of `columns`.
pub fn text_search<C: IntoColumnRef + Copy>(columns: &[C], q: &str) -> Condition {
    let pattern = like_pattern(q);
    columns.iter().fold(Condition::any(), |cond, col| {
        cond.add(
            Expr::expr(Func::lower(Expr::col(*col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}
