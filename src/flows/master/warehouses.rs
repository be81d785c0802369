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
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource::{Column, Listing, MasterResource, apply_patch, find_locked, require_active};
use crate::core::Validator;
use crate::core::fields::{Code, Name};
use crate::core::input::double_option;
use crate::store::error::{AppError, AppResult};

/// The editable fields of a warehouse; the body of `POST /api/v1/warehouses`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseFields {
    /// Unique warehouse code.
    pub code: Code,
    pub name: Name,
    pub kind: WarehouseKind,
    pub region: Name,
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
    pub code: Option<Code>,
    pub name: Option<Name>,
    pub kind: Option<WarehouseKind>,
    pub region: Option<Name>,
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

impl MasterResource for Warehouse {
    type Entity = warehouse::Entity;
    type Fields = WarehouseFields;
    type Patch = WarehousePatch;
    type Checked = ();
    type Filter = WarehouseFilter;

    const RESOURCE: &'static str = "warehouse";
    const KEY_FIELD: &'static str = "code";
    const SEARCH: &'static [Column<Self>] = &[warehouse::Column::Code, warehouse::Column::Name];

    fn key(fields: &WarehouseFields) -> Condition {
        Condition::all().add(warehouse::Column::Code.eq(fields.code.as_str()))
    }

    fn view(row: warehouse::Model) -> AppResult<Warehouse> {
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

    fn fields(row: &warehouse::Model) -> AppResult<WarehouseFields> {
        Ok(WarehouseFields {
            code: row.code.as_str().into(),
            name: row.name.as_str().into(),
            kind: row.kind,
            region: row.region.as_str().into(),
            parent_id: row.parent_id,
        })
    }

    fn apply(patch: WarehousePatch, fields: &mut WarehouseFields) {
        apply_patch!(patch, WarehousePatch { code, name, kind, region, parent_id } => fields);
    }

    fn validate(f: &WarehouseFields) -> AppResult<()> {
        let mut v = Validator::new();
        v.rule("code", &f.code)
            .rule("name", &f.name)
            .rule("region", &f.region);
        Ok(v.finish()?)
    }

    fn write(f: WarehouseFields, (): (), row: &mut warehouse::ActiveModel) {
        row.code = Set(f.code.into());
        row.name = Set(f.name.into());
        row.kind = Set(f.kind);
        row.region = Set(f.region.into());
        row.parent_id = Set(f.parent_id);
    }

    fn listing(f: WarehouseFilter) -> Listing {
        Listing::page(f.after, f.limit)
            .search(f.q)
            .when(warehouse::Column::Kind, f.kind.map(|k| k.as_str()))
            .when(warehouse::Column::Region, f.region)
            .when(warehouse::Column::ParentId, f.parent_id)
            .when(warehouse::Column::Active, f.active)
    }

    /// A new or changed parent must keep the tree a tree. An unchanged
    /// parent is not re-checked: renaming a warehouse whose parent was
    /// deactivated later must still work.
    async fn check<C: ConnectionTrait>(
        db: &C,
        current: Option<(i64, &WarehouseFields)>,
        after: &WarehouseFields,
    ) -> AppResult<()> {
        let me = current.map(|(id, _)| id);
        let parent_before = current.and_then(|(_, before)| before.parent_id);
        match after.parent_id {
            Some(parent) if after.parent_id != parent_before => check_parent(db, me, parent).await,
            _ => Ok(()),
        }
    }

    fn describe(row: &warehouse::Model) -> String {
        format!("warehouse {}", row.code)
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
    let parent_row = require_active::<Warehouse>(db, "parent_id", parent).await?;
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
        next = find_locked::<Warehouse>(db, id)
            .await?
            .and_then(|w| w.parent_id);
    }
    Ok(())
}
