//! Warehouses: the stocking locations of the supply network, linked into a
//! replenishment tree by their parent (the warehouse each is restocked from).
//!
//! The tree must stay a tree: a parent must exist, be active, and not be the
//! warehouse itself or one of its descendants. On PostgreSQL the chain is
//! read `FOR UPDATE`, so two admins re-parenting A under B and B under A at
//! the same moment deadlock and one retries and sees the cycle; on SQLite
//! write transactions are serialised anyway.
use std::collections::HashSet;

use chrono::Utc;
use entities::vocabulary::WarehouseKind;
use entities::warehouse;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::Validator;
use crate::core::input::double_option;
use crate::core::validate::MAX_NAME;
use crate::store::error::{AppError, AppResult, unique_as};
use crate::store::paging::{Page, PageParams, text_search};

/// The editable fields of a warehouse; the body of `POST /api/v1/warehouses`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseFields {
    /// Unique warehouse code.
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$", example = "DEP-EU")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        example = "Central depot Europe"
    )]
    pub name: String,
    pub kind: WarehouseKind,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        example = "EMEA"
    )]
    pub region: String,
    /// The warehouse this one is replenished from (none for a central
    /// depot). It must exist, be active, and not make the tree a cycle.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub parent_id: Option<i64>,
}

/// A partial update: only the fields given change; `"parent_id": null`
/// clears the parent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehousePatch {
    #[schema(pattern = r"^[A-Za-z0-9\-_./]{1,64}$")]
    pub code: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    pub kind: Option<WarehouseKind>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub parent_id: Option<Option<i64>>,
}

/// A warehouse as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Warehouse {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: WarehouseKind,
    pub region: String,
    pub parent_id: Option<i64>,
    /// False once deactivated; a deactivated warehouse stays readable.
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl Warehouse {
    pub fn from_row(row: warehouse::Model) -> AppResult<Warehouse> {
        Ok(Warehouse {
            id: row.id,
            kind: row.kind,
            code: row.code,
            name: row.name,
            region: row.region,
            parent_id: row.parent_id,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    fn fields(&self) -> WarehouseFields {
        WarehouseFields {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind,
            region: self.region.clone(),
            parent_id: self.parent_id,
        }
    }
}

impl WarehousePatch {
    fn apply(self, f: &mut WarehouseFields) {
        if let Some(v) = self.code {
            f.code = v;
        }
        if let Some(v) = self.name {
            f.name = v;
        }
        if let Some(v) = self.kind {
            f.kind = v;
        }
        if let Some(v) = self.region {
            f.region = v;
        }
        if let Some(v) = self.parent_id {
            f.parent_id = v;
        }
    }
}

impl WarehouseFields {
    fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        v.code("code", &self.code)
            .text("name", &self.name, MAX_NAME)
            .text("region", &self.region, MAX_NAME);
        Ok(v.finish()?)
    }

    fn write_to(&self, row: &mut warehouse::ActiveModel) {
        row.code = Set(self.code.clone());
        row.name = Set(self.name.clone());
        row.kind = Set(self.kind);
        row.region = Set(self.region.clone());
        row.parent_id = Set(self.parent_id);
        row.updated_at = Set(Utc::now());
    }
}

async fn ensure_unique_code(
    db: &impl ConnectionTrait,
    code: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let mut q = warehouse::Entity::find().filter(warehouse::Column::Code.eq(code));
    if let Some(id) = except {
        q = q.filter(warehouse::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(already_exists());
    }
    Ok(())
}

fn already_exists() -> AppError {
    AppError::AlreadyExists {
        resource: "warehouse",
        field: "code",
    }
}

/// Reads a warehouse and, on PostgreSQL, locks it for the transaction.
async fn find_locked(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<warehouse::Model>> {
    Ok(warehouse::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?)
}

/// A warehouse another record is about to refer to through `field`: it must
/// exist and be active, else a 422 naming `field`.
pub async fn require_active(
    db: &impl ConnectionTrait,
    field: &str,
    id: i64,
) -> AppResult<warehouse::Model> {
    match find_locked(db, id).await? {
        None => Err(AppError::field(field, format!("no warehouse with id {id}"))),
        Some(w) if !w.active => Err(AppError::field(
            field,
            format!("warehouse {} is deactivated", w.code),
        )),
        Some(w) => Ok(w),
    }
}

/// Checks that warehouse `me` (none while it is being created) may be
/// replenished from `parent`.
async fn check_parent(db: &impl ConnectionTrait, me: Option<i64>, parent: i64) -> AppResult<()> {
    if me == Some(parent) {
        return Err(AppError::field(
            "parent_id",
            "a warehouse cannot be its own parent",
        ));
    }
    let parent_row = require_active(db, "parent_id", parent).await?;
    // A new warehouse has no descendants, so only an update can close a loop.
    let Some(me) = me else { return Ok(()) };
    let mut seen = HashSet::from([parent_row.id]);
    let mut next = parent_row.parent_id;
    while let Some(id) = next {
        if id == me {
            return Err(AppError::field(
                "parent_id",
                format!(
                    "would make a cycle: warehouse {} is replenished, directly or \
                     through others, from this warehouse",
                    parent_row.code
                ),
            ));
        }
        if !seen.insert(id) {
            break; // an old cycle not through `me`; the schema cannot hold one, but never loop
        }
        next = find_locked(db, id).await?.and_then(|w| w.parent_id);
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, fields: WarehouseFields) -> AppResult<Warehouse> {
    fields.validate()?;
    if let Some(parent) = fields.parent_id {
        check_parent(db, None, parent).await?;
    }
    ensure_unique_code(db, &fields.code, None).await?;
    let mut row = warehouse::ActiveModel {
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    fields.write_to(&mut row);
    let row = row
        .insert(db)
        .await
        .map_err(|e| unique_as(e, "warehouse", "code"))?;
    Warehouse::from_row(row)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<warehouse::Model> {
    warehouse::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("warehouse"))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Warehouse> {
    Warehouse::from_row(find(db, id).await?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    patch: WarehousePatch,
) -> AppResult<Warehouse> {
    let row = find_locked(db, id)
        .await?
        .ok_or(AppError::NotFound("warehouse"))?;
    let mut fields = Warehouse::from_row(row.clone())?.fields();
    patch.apply(&mut fields);
    fields.validate()?;
    // An unchanged parent is not re-checked: renaming a warehouse whose
    // parent was deactivated later must still work.
    if fields.parent_id != row.parent_id
        && let Some(parent) = fields.parent_id
    {
        check_parent(db, Some(id), parent).await?;
    }
    ensure_unique_code(db, &fields.code, Some(id)).await?;
    let mut model: warehouse::ActiveModel = row.into();
    fields.write_to(&mut model);
    let row = model
        .update(db)
        .await
        .map_err(|e| unique_as(e, "warehouse", "code"))?;
    Warehouse::from_row(row)
}

pub async fn set_active(db: &impl ConnectionTrait, id: i64, active: bool) -> AppResult<Warehouse> {
    let row = find(db, id).await?;
    let mut model: warehouse::ActiveModel = row.into();
    model.active = Set(active);
    model.updated_at = Set(Utc::now());
    Warehouse::from_row(model.update(db).await?)
}

/// Filters of `GET /api/v1/warehouses`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WarehouseFilter {
    /// Case-insensitive text in the code or name.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub kind: Option<WarehouseKind>,
    /// Exact region.
    pub region: Option<String>,
    /// Warehouses replenished from this one.
    pub parent_id: Option<i64>,
    pub active: Option<bool>,
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: WarehouseFilter,
) -> AppResult<Page<Warehouse>> {
    let page = PageParams {
        after: filter.after,
        limit: filter.limit,
    };
    let mut v = Validator::new();
    page.validate(&mut v);
    if let Some(q) = &filter.q {
        v.optional_text("q", q, MAX_NAME);
    }
    v.finish()?;
    let mut select = warehouse::Entity::find();
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        select = select.filter(text_search(
            &[warehouse::Column::Code, warehouse::Column::Name],
            q,
        ));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(warehouse::Column::Kind.eq(kind.as_str()));
    }
    if let Some(region) = filter.region {
        select = select.filter(warehouse::Column::Region.eq(region));
    }
    if let Some(parent) = filter.parent_id {
        select = select.filter(warehouse::Column::ParentId.eq(parent));
    }
    if let Some(a) = filter.active {
        select = select.filter(warehouse::Column::Active.eq(a));
    }
    page.fetch(db, select, warehouse::Column::Id, |m| m.id)
        .await?
        .try_map(Warehouse::from_row)
}
