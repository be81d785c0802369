//! The one path every master-data resource takes: create, get, list a
//! page, patch, deactivate and activate.
//!
//! A resource states what is its own — its fields, its rules, the checks
//! that need the database, its filters and its natural key — by
//! implementing [`MasterResource`] on the type the API shows; the functions
//! here do the rest the same way for all of them. In particular a natural
//! key already taken answers `409 already_exists` naming the key's field,
//! both when the pre-check sees the other row and when a concurrent writer
//! slips past it and the unique index refuses the write.
use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, Value,
};

use crate::core::Validator;
use crate::core::validate::MAX_NAME;
use crate::store::error::{AppError, AppResult, unique_as};
use crate::store::paging::{Page, PageParams, text_search};

/// What every master table has: an `id`, an `active` flag (rows are
/// deactivated, never deleted) and the two timestamps. The bounds let the
/// generic path turn a row it read into one it writes, inside a
/// transaction that crosses awaits.
pub trait MasterTable:
    EntityTrait<Model: Sync + IntoActiveModel<<Self as EntityTrait>::ActiveModel>, ActiveModel: Send>
{
    const ID: Self::Column;
    const ACTIVE: Self::Column;
    const CREATED_AT: Self::Column;
    const UPDATED_AT: Self::Column;
    fn id(row: &Self::Model) -> i64;
    fn is_active(row: &Self::Model) -> bool;
}

macro_rules! master_tables {
    ($($table:ident),+ $(,)?) => {$(
        impl MasterTable for entities::$table::Entity {
            const ID: entities::$table::Column = entities::$table::Column::Id;
            const ACTIVE: entities::$table::Column = entities::$table::Column::Active;
            const CREATED_AT: entities::$table::Column = entities::$table::Column::CreatedAt;
            const UPDATED_AT: entities::$table::Column = entities::$table::Column::UpdatedAt;
            fn id(row: &Self::Model) -> i64 {
                row.id
            }
            fn is_active(row: &Self::Model) -> bool {
                row.active
            }
        }
    )+};
}

master_tables!(part, warehouse, lane, site, sla_class, vendor);

/// A column of a resource's table.
pub type Column<R> = <<R as MasterResource>::Entity as EntityTrait>::Column;
/// A stored row of a resource.
pub type Row<R> = <<R as MasterResource>::Entity as EntityTrait>::Model;
/// A row of a resource being written.
pub type Active<R> = <<R as MasterResource>::Entity as EntityTrait>::ActiveModel;

/// One kind of master data, implemented on the type the API shows.
pub trait MasterResource: Sized + Send + 'static {
    type Entity: MasterTable;
    /// Every editable field; the body of a create.
    type Fields: Clone + Send + Sync;
    /// Some editable fields; the body of a PATCH.
    type Patch: Send;
    /// What validation hands on to [`MasterResource::write`], such as an
    /// amount already checked to be valid money.
    type Checked: Send;
    /// The query parameters of the list.
    type Filter: Send;

    /// The resource as errors name it: `not_found`, `already_exists`.
    const RESOURCE: &'static str;
    /// The resource as messages to people name it.
    const LABEL: &'static str = Self::RESOURCE;
    /// The request field that holds the natural key (the last of its
    /// columns, for a key of several).
    const KEY_FIELD: &'static str;
    /// The columns the list's `q` searches, case-insensitively.
    const SEARCH: &'static [Column<Self>] = &[];

    /// The rows whose natural key equals that of `fields`.
    fn key(fields: &Self::Fields) -> Condition;
    /// The row as the API shows it.
    fn view(row: Row<Self>) -> AppResult<Self>;
    /// The editable fields of a stored row, for a patch to start from.
    fn fields(row: &Row<Self>) -> AppResult<Self::Fields>;
    /// Copies the fields a patch gives.
    fn apply(patch: Self::Patch, fields: &mut Self::Fields);
    /// Checks every field at once ([`Validator`]).
    fn validate(fields: &Self::Fields) -> AppResult<Self::Checked>;
    /// Puts the fields into the row to be written.
    fn write(fields: Self::Fields, checked: Self::Checked, row: &mut Active<Self>);
    /// The page and conditions a list filter asks for.
    fn listing(filter: Self::Filter) -> Listing;

    /// Checks that need the database, such as references to other master
    /// data. `current` is the id and fields of the row being patched; none
    /// while it is being created.
    fn check<C: ConnectionTrait>(
        _db: &C,
        _current: Option<(i64, &Self::Fields)>,
        _after: &Self::Fields,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }

    /// How a message names a row, e.g. `warehouse DEP-EU`.
    fn describe(row: &Row<Self>) -> String {
        format!("{} {}", Self::LABEL, Self::Entity::id(row))
    }
}

/// Copies each field a patch gives onto the fields; the patch is taken
/// apart whole, so a patch field left out of the list does not compile.
macro_rules! apply_patch {
    ($patch:expr, $Patch:ident { $($field:ident),+ $(,)? } => $fields:expr) => {{
        let $Patch { $($field),+ } = $patch;
        let fields = $fields;
        $(
            if let Some(value) = $field {
                fields.$field = value;
            }
        )+
    }};
}
pub(crate) use apply_patch;

/// What one page of a list asks for: the paging, the text searched and
/// the conditions of the other filters.
#[derive(Debug, Clone)]
pub struct Listing {
    page: PageParams,
    q: Option<String>,
    condition: Condition,
}

impl Listing {
    pub fn page(after: Option<i64>, limit: Option<i64>) -> Listing {
        Listing {
            page: PageParams { after, limit },
            q: None,
            condition: Condition::all(),
        }
    }

    /// Text to find in the resource's [`MasterResource::SEARCH`] columns.
    pub fn search(mut self, q: Option<String>) -> Listing {
        self.q = q;
        self
    }

    /// Rows whose `column` equals `value`, if one is given.
    pub fn when(mut self, column: impl ColumnTrait, value: Option<impl Into<Value>>) -> Listing {
        if let Some(value) = value {
            self.condition = self.condition.add(column.eq(value));
        }
        self
    }
}

/// A stored row, or 404.
pub async fn find<R: MasterResource>(db: &impl ConnectionTrait, id: i64) -> AppResult<Row<R>> {
    R::Entity::find()
        .filter(R::Entity::ID.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound(R::RESOURCE))
}

/// A stored row, locked for the transaction on PostgreSQL: a patch reads,
/// changes and writes back every field, and two at once must not lose one.
pub async fn find_locked<R: MasterResource>(
    db: &impl ConnectionTrait,
    id: i64,
) -> AppResult<Option<Row<R>>> {
    Ok(R::Entity::find()
        .filter(R::Entity::ID.eq(id))
        .lock_exclusive()
        .one(db)
        .await?)
}

/// A row another record is about to refer to through `field`: it must
/// exist and be active, else a 422 naming `field`. A record keeps working
/// after what it refers to is deactivated, but cannot newly point at it.
pub async fn require_active<R: MasterResource>(
    db: &impl ConnectionTrait,
    field: &str,
    id: i64,
) -> AppResult<Row<R>> {
    match find_locked::<R>(db, id).await? {
        None => Err(AppError::field(
            field,
            format!("no {} with id {id}", R::LABEL),
        )),
        Some(row) if !R::Entity::is_active(&row) => Err(AppError::field(
            field,
            format!("{} is deactivated", R::describe(&row)),
        )),
        Some(row) => Ok(row),
    }
}

pub async fn get<R: MasterResource>(db: &impl ConnectionTrait, id: i64) -> AppResult<R> {
    R::view(find::<R>(db, id).await?)
}

/// Creates an active row.
pub async fn create<R: MasterResource>(
    db: &impl ConnectionTrait,
    fields: R::Fields,
    now: DateTime<Utc>,
) -> AppResult<R> {
    let checked = R::validate(&fields)?;
    R::check(db, None, &fields).await?;
    refuse_taken_key::<R>(db, &fields, None).await?;
    let mut row = <Active<R> as ActiveModelTrait>::default();
    row.try_set(R::Entity::ACTIVE, true.into())?;
    row.try_set(R::Entity::CREATED_AT, now.into())?;
    row.try_set(R::Entity::UPDATED_AT, now.into())?;
    R::write(fields, checked, &mut row);
    let row = row.insert(db).await.map_err(key_taken_on_write::<R>)?;
    R::view(row)
}

/// Changes the fields a patch gives; the result is checked whole, as if
/// it were created.
pub async fn update<R: MasterResource>(
    db: &impl ConnectionTrait,
    id: i64,
    patch: R::Patch,
    now: DateTime<Utc>,
) -> AppResult<R> {
    let row = find_locked::<R>(db, id)
        .await?
        .ok_or(AppError::NotFound(R::RESOURCE))?;
    let before = R::fields(&row)?;
    let mut after = before.clone();
    R::apply(patch, &mut after);
    let checked = R::validate(&after)?;
    R::check(db, Some((id, &before)), &after).await?;
    refuse_taken_key::<R>(db, &after, Some(id)).await?;
    let mut model = row.into_active_model();
    R::write(after, checked, &mut model);
    model.try_set(R::Entity::UPDATED_AT, now.into())?;
    let row = model.update(db).await.map_err(key_taken_on_write::<R>)?;
    R::view(row)
}

/// Deactivates (`false`) or reactivates (`true`) a row; a deactivated row
/// stays readable.
pub async fn set_active<R: MasterResource>(
    db: &impl ConnectionTrait,
    id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> AppResult<R> {
    let mut model = find::<R>(db, id).await?.into_active_model();
    model.try_set(R::Entity::ACTIVE, active.into())?;
    model.try_set(R::Entity::UPDATED_AT, now.into())?;
    R::view(model.update(db).await?)
}

/// One page of rows, in id order.
pub async fn list<R: MasterResource>(
    db: &impl ConnectionTrait,
    filter: R::Filter,
) -> AppResult<Page<R>> {
    let Listing { page, q, condition } = R::listing(filter);
    let mut v = Validator::new();
    page.validate(&mut v);
    if let Some(q) = &q {
        v.optional_text("q", q, MAX_NAME);
    }
    v.finish()?;
    let mut select = R::Entity::find().filter(condition);
    if let Some(q) = q.filter(|q| !q.is_empty()) {
        select = select.filter(text_search(R::SEARCH, &q));
    }
    page.fetch(db, select, R::Entity::ID, R::Entity::id)
        .await?
        .try_map(R::view)
}

/// The pre-check of the natural key: the usual duplicate is found here.
async fn refuse_taken_key<R: MasterResource>(
    db: &impl ConnectionTrait,
    fields: &R::Fields,
    except: Option<i64>,
) -> AppResult<()> {
    let mut same_key = Condition::all().add(R::key(fields));
    if let Some(id) = except {
        same_key = same_key.add(R::Entity::ID.ne(id));
    }
    match R::Entity::find().filter(same_key).one(db).await? {
        Some(_) => Err(key_taken::<R>()),
        None => Ok(()),
    }
}

/// A write's error, with a unique violation read as the natural key taken
/// by a writer that raced past the pre-check.
fn key_taken_on_write<R: MasterResource>(err: sea_orm::DbErr) -> AppError {
    unique_as(err, R::RESOURCE, R::KEY_FIELD)
}

fn key_taken<R: MasterResource>() -> AppError {
    AppError::AlreadyExists {
        resource: R::RESOURCE,
        field: R::KEY_FIELD,
    }
}
