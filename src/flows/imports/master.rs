//! Master data from a file: parts, vendors, warehouses, lanes, SLA classes
//! and sites, each through the resource's own fields, field checks and
//! row writer ([`MasterResource`]), in one path.
//!
//! A batch is read with one query for the stored rows it names and one per
//! table its references name; the rows that are new or changed are then
//! written with one upsert (`INSERT .. ON CONFLICT (natural key) DO
//! UPDATE`), which never touches `created_at` or whether a row is active.
//! A row that refers to another of the same kind earlier in the batch (a
//! warehouse's parent) splits the batch there, so the parent is written
//! and found first.
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::marker::PhantomData;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IdenStatic, Iterable,
    QueryFilter,
};

use super::{Change, File, Importer};
use crate::core::import::source::Record;
use crate::core::import::{BATCH_ROWS, CellError, Cells, Header};
use crate::flows::master::resource::{
    Active, Column as TableColumn, MasterResource, MasterTable, Row,
};
use crate::store::error::{AppError, AppResult};

/// A master resource as a file holds it.
pub(crate) trait MasterImport: MasterResource<Fields: PartialEq, Checked: Sync> {
    /// The column naming a row (the natural key, or its first column).
    const KEY_COLUMN: &'static str;
    /// The request fields the file names otherwise, as `(field, column)`:
    /// a reference by id in the API is one by code in a file.
    const RENAMED: &'static [(&'static str, &'static str)] = &[];
    /// What the references of a batch resolve to (nothing for a resource
    /// that names no other).
    type Refs: Send + Sync + Default;

    /// The columns of the table's unique natural key.
    fn conflict_columns() -> Vec<TableColumn<Self>>;

    /// The natural key of a row as the file writes it; `None` (and the
    /// cell refused) when it is missing or malformed.
    fn row_key(cells: &mut Cells) -> Option<String> {
        cells.value(Self::KEY_COLUMN, crate::core::import::cells::text::<String>)
    }

    /// How messages name a row by its key, e.g. ``part_number `P-1` ``.
    fn describe_key(key: &str) -> String {
        format!("{} `{key}`", Self::KEY_COLUMN)
    }

    /// Looks up what the rows refer to by code.
    fn references(
        _db: &DatabaseTransaction,
        _rows: &[Cells<'_>],
    ) -> impl Future<Output = AppResult<Self::Refs>> + Send {
        async { Ok(Self::Refs::default()) }
    }

    /// The stored rows with these natural keys, by key.
    fn existing(
        db: &DatabaseTransaction,
        keys: &[String],
        refs: &Self::Refs,
    ) -> impl Future<Output = AppResult<HashMap<String, Row<Self>>>> + Send;

    /// The row's fields: the stored row's (`ctx.base`) where the file has
    /// no column, the API's defaults where a cell is empty.
    fn read(cells: &mut Cells, ctx: &Context<'_, Self>) -> Self::Fields;

    /// Checks of the batch's accepted rows that need the database.
    fn check_rows(
        _db: &DatabaseTransaction,
        _rows: &[Planned<Self>],
    ) -> impl Future<Output = AppResult<Vec<CellError>>> + Send {
        async { Ok(Vec::new()) }
    }

    /// The key of another row of the same kind this row refers to.
    fn depends_on<'c>(_cells: &'c Cells<'c>) -> Option<&'c str> {
        None
    }
}

/// What reading a row's fields may use.
pub(crate) struct Context<'a, R: MasterImport> {
    /// The stored row's fields; none for a new row.
    pub base: Option<&'a R::Fields>,
    pub refs: &'a R::Refs,
    pub file: &'a File,
    /// The row's natural key.
    pub key: &'a str,
}

impl<R: MasterImport> Context<'_, R> {
    pub fn creating(&self) -> bool {
        self.base.is_none()
    }
}

/// A row that passed every check, about to be written.
pub(crate) struct Planned<R: MasterResource> {
    pub line: u64,
    pub key: String,
    /// The stored row's id, when the row exists.
    pub id: Option<i64>,
    pub before: Option<R::Fields>,
    pub fields: R::Fields,
    pub checked: R::Checked,
}

/// The importer of resource `R`.
pub(crate) struct Master<R>(PhantomData<fn() -> R>);

impl<R> Master<R> {
    pub fn new() -> Self {
        Master(PhantomData)
    }
}

impl<R: MasterImport> Importer for Master<R> {
    async fn batch(
        &mut self,
        db: &DatabaseTransaction,
        header: &Header,
        file: &mut File,
        rows: &[Record],
    ) -> AppResult<()> {
        for part in split_at_dependencies::<R>(header, rows) {
            import_part::<R>(db, header, file, part).await?;
        }
        Ok(())
    }
}

/// The batch cut before every row that refers to a row of the same kind
/// earlier in the same piece.
fn split_at_dependencies<'r, R: MasterImport>(
    header: &Header,
    rows: &'r [Record],
) -> Vec<&'r [Record]> {
    let mut parts = Vec::new();
    let (mut start, mut keys) = (0, HashSet::new());
    for (at, row) in rows.iter().enumerate() {
        let cells = Cells::new(header, row);
        if R::depends_on(&cells).is_some_and(|key| keys.contains(key)) {
            parts.push(&rows[start..at]);
            start = at;
            keys.clear();
        }
        if let Some(key) = cells.raw(R::KEY_COLUMN) {
            keys.insert(key.to_owned());
        }
    }
    parts.push(&rows[start..]);
    parts
}

/// Reads, checks and writes one piece of a batch.
async fn import_part<R: MasterImport>(
    db: &DatabaseTransaction,
    header: &Header,
    file: &mut File,
    rows: &[Record],
) -> AppResult<()> {
    let mut cells = Cells::all(header, rows);
    let keys: Vec<Option<String>> = cells
        .iter_mut()
        .map(|c| R::row_key(c).filter(|k| file.claim(c, R::KEY_COLUMN, k, &R::describe_key(k))))
        .collect();
    let refs = R::references(db, &cells).await?;
    let wanted: Vec<String> = keys.iter().flatten().cloned().collect();
    let existing = R::existing(db, &wanted, &refs).await?;
    let (planned, mut errors) = plan::<R>(file, cells, keys, &existing, &refs)?;
    let (planned, refused) = checked::<R>(db, file, planned).await?;
    errors.extend(refused);
    file.reject(errors);
    write::<R>(db, file, planned).await
}

/// Reads each row with a key into fields and runs the field checks;
/// returns the rows that pass and the problems of the others.
fn plan<R: MasterImport>(
    file: &mut File,
    cells: Vec<Cells<'_>>,
    keys: Vec<Option<String>>,
    existing: &HashMap<String, Row<R>>,
    refs: &R::Refs,
) -> AppResult<(Vec<Planned<R>>, Vec<CellError>)> {
    let (mut planned, mut errors) = (Vec::new(), Vec::new());
    for (mut cells, key) in cells.into_iter().zip(keys) {
        let Some(key) = key else {
            errors.extend(cells.finish());
            continue;
        };
        let current = existing.get(&key);
        let before = current.map(R::fields).transpose()?;
        let ctx = Context {
            base: before.as_ref(),
            refs,
            file,
            key: &key,
        };
        let fields = R::read(&mut cells, &ctx);
        let checked = field_checks::<R>(&mut cells, &fields)?;
        let line = cells.line();
        match checked {
            Some(checked) => planned.push(Planned {
                line,
                id: current.map(R::Entity::id),
                key,
                before,
                fields,
                checked,
            }),
            None => {
                file.refuse(&key);
                errors.extend(cells.finish());
            }
        }
    }
    Ok((planned, errors))
}

/// The resource's own field checks, each problem under its column, so a
/// row with several bad cells has each named. A cell already refused keeps
/// its first message (its value here is a stand-in); the row passes only
/// if nothing was refused.
fn field_checks<R: MasterImport>(
    cells: &mut Cells,
    fields: &R::Fields,
) -> AppResult<Option<R::Checked>> {
    match R::validate(fields) {
        Ok(checked) if !cells.has_errors() => Ok(Some(checked)),
        Ok(_) => Ok(None),
        Err(AppError::Validation(errors)) => {
            cells.invalid(errors, R::RENAMED);
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// Runs the resource's database checks on the planned rows; drops the
/// rows they refuse.
async fn checked<R: MasterImport>(
    db: &DatabaseTransaction,
    file: &mut File,
    planned: Vec<Planned<R>>,
) -> AppResult<(Vec<Planned<R>>, Vec<CellError>)> {
    let refused = R::check_rows(db, &planned).await?;
    if refused.is_empty() {
        return Ok((planned, refused));
    }
    let lines: HashSet<u64> = refused.iter().map(|e| e.row).collect();
    let mut kept = Vec::with_capacity(planned.len());
    for p in planned {
        if lines.contains(&p.line) {
            file.refuse(&p.key);
        } else {
            kept.push(p);
        }
    }
    Ok((kept, refused))
}

/// Counts each planned row and writes the new and changed ones.
async fn write<R: MasterImport>(
    db: &DatabaseTransaction,
    file: &mut File,
    planned: Vec<Planned<R>>,
) -> AppResult<()> {
    let mut rows = Vec::with_capacity(planned.len());
    for p in planned {
        let change = match &p.before {
            None => Change::Created,
            Some(before) if *before == p.fields => Change::Unchanged,
            Some(_) => Change::Updated,
        };
        file.count(change);
        if change != Change::Unchanged {
            rows.push(new_row::<R>(p.fields, p.checked, file)?);
        }
    }
    upsert::<R>(db, rows).await
}

/// The row as the upsert writes it: active and created now if it is new.
fn new_row<R: MasterImport>(
    fields: R::Fields,
    checked: R::Checked,
    file: &File,
) -> AppResult<Active<R>> {
    let mut row = <Active<R> as ActiveModelTrait>::default();
    row.try_set(R::Entity::ACTIVE, true.into())?;
    row.try_set(R::Entity::CREATED_AT, file.now().into())?;
    row.try_set(R::Entity::UPDATED_AT, file.now().into())?;
    R::write(fields, checked, &mut row);
    Ok(row)
}

/// One `INSERT .. ON CONFLICT (natural key) DO UPDATE` for all `rows`:
/// a stored row takes every written column but its id, `active` and
/// `created_at`.
async fn upsert<R: MasterImport>(db: &DatabaseTransaction, rows: Vec<Active<R>>) -> AppResult<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let kept = [R::Entity::ID, R::Entity::ACTIVE, R::Entity::CREATED_AT].map(|c| c.as_str());
    let updated: Vec<TableColumn<R>> = TableColumn::<R>::iter()
        .filter(|c| first.get(*c).is_set() && !kept.contains(&c.as_str()))
        .collect();
    debug_assert!(rows.len() <= BATCH_ROWS);
    R::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns(R::conflict_columns())
                .update_columns(updated)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The stored rows of `R` whose `column` is one of `keys`, by `key_of`.
pub(crate) async fn rows_by_key<R: MasterImport>(
    db: &DatabaseTransaction,
    column: TableColumn<R>,
    keys: &[String],
    key_of: impl Fn(&Row<R>) -> String,
) -> AppResult<HashMap<String, Row<R>>> {
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH_ROWS) {
        for row in R::Entity::find()
            .filter(column.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            found.insert(key_of(&row), row);
        }
    }
    Ok(found)
}
