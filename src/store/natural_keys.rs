//! Natural keys beside ids: the rule that pairs an id field naming a part,
//! warehouse, site, vendor or SLA class with the key people use for it
//! (`part_id` with `part_number`, `from_warehouse_id` with
//! `from_warehouse_code`), and the lookups both ways.
//!
//! The domain speaks ids; people speak part numbers and codes. The API's
//! edge translates with this one rule: responses and exports carry the
//! natural key beside every id, request bodies may give the natural key
//! instead of the id.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use entities::{part, site, sla_class, vendor, warehouse};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, SimpleExpr};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;

use crate::store::error::{AppError, AppResult, FieldError};

/// The master data a natural key can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Master {
    Part,
    Warehouse,
    Site,
    Vendor,
    SlaClass,
}

impl Master {
    /// What a person calls one, for messages: "part", "warehouse", ...
    pub fn noun(self) -> &'static str {
        match self {
            Master::Part => "part",
            Master::Warehouse => "warehouse",
            Master::Site => "site",
            Master::Vendor => "vendor",
            Master::SlaClass => "SLA class",
        }
    }

    /// The name of the natural key's column on the master row.
    pub fn key_column(self) -> &'static str {
        match self {
            Master::Part => "part_number",
            _ => "code",
        }
    }
}

/// Field stems (the part before `_id`) and the master each names. A field
/// names it when the field is the stem itself or ends with `_` + stem
/// (`warehouse_id`, `from_warehouse_id`, `serving_warehouse_id`).
const STEMS: [(&str, Master); 5] = [
    ("part", Master::Part),
    ("warehouse", Master::Warehouse),
    ("site", Master::Site),
    ("vendor", Master::Vendor),
    ("sla_class", Master::SlaClass),
];

/// A warehouse's parent is a warehouse too.
const PARENT: &str = "parent";

fn master_of_stem(stem: &str) -> Option<Master> {
    if stem == PARENT {
        return Some(Master::Warehouse);
    }
    STEMS.iter().find_map(|(name, master)| {
        let names = stem == *name
            || stem
                .strip_suffix(name)
                .is_some_and(|head| head.ends_with('_'));
        names.then_some(*master)
    })
}

fn natural_suffix(master: Master) -> &'static str {
    match master {
        Master::Part => "_number",
        _ => "_code",
    }
}

/// The natural-key field written beside an id field, and what it names:
/// `part_id` → (`part_number`, part), `to_warehouse_id` →
/// (`to_warehouse_code`, warehouse). `None` for ids of anything else.
pub fn natural_key_for(id_field: &str) -> Option<(String, Master)> {
    let stem = id_field.strip_suffix("_id")?;
    let master = master_of_stem(stem)?;
    Some((format!("{stem}{}", natural_suffix(master)), master))
}

/// The id field a natural-key field stands for: `part_number` →
/// (`part_id`, part), `warehouse_code` → (`warehouse_id`, warehouse).
/// `None` for any other field (a part's own `part_number`, a warehouse's
/// own `code`, are not references).
pub fn id_field_for(natural_field: &str) -> Option<(String, Master)> {
    let (stem, suffix) = natural_field
        .strip_suffix("_number")
        .map(|s| (s, "_number"))
        .or_else(|| natural_field.strip_suffix("_code").map(|s| (s, "_code")))?;
    let master = master_of_stem(stem)?;
    (natural_suffix(master) == suffix).then(|| (format!("{stem}_id"), master))
}

/// Writes the natural key beside every id field that names master data, in
/// every object of `value` however deep (`"part_id": 7` gains
/// `"part_number": "RRU-4402"` right after it), with one query per kind of
/// master named. A null id, or one that names no row, gets a null key; a
/// key the object already has is left alone.
pub async fn name_ids(db: &impl ConnectionTrait, value: &mut Value) -> AppResult<()> {
    let mut wanted: BTreeMap<Master, BTreeSet<i64>> = BTreeMap::new();
    collect_ids(value, &mut wanted);
    let mut keys = HashMap::with_capacity(wanted.len());
    for (master, ids) in wanted {
        keys.insert(master, keys_by_id(db, master, ids).await?);
    }
    write_keys(value, &keys);
    Ok(())
}

/// A place written `{"kind": "warehouse", "id": 3, ...}` (a side of a
/// movement) names master data by its kind; it gains a `code`.
fn place_master(map: &serde_json::Map<String, Value>) -> Option<(Master, i64)> {
    let master = match map.get("kind")?.as_str()? {
        "warehouse" => Master::Warehouse,
        "site" => Master::Site,
        "supplier" | "repair_vendor" => Master::Vendor,
        _ => return None,
    };
    Some((master, map.get("id")?.as_i64()?))
}

/// The field a place's natural key is written in.
const PLACE_KEY: &str = "code";

fn collect_ids(value: &Value, wanted: &mut BTreeMap<Master, BTreeSet<i64>>) {
    match value {
        Value::Object(map) => {
            if let Some((master, id)) = place_master(map) {
                wanted.entry(master).or_default().insert(id);
            }
            for (field, v) in map {
                if let (Some((_, master)), Some(id)) = (natural_key_for(field), v.as_i64()) {
                    wanted.entry(master).or_default().insert(id);
                }
                collect_ids(v, wanted);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, wanted)),
        _ => {}
    }
}

fn write_keys(value: &mut Value, keys: &HashMap<Master, HashMap<i64, String>>) {
    match value {
        Value::Object(map) => {
            let place = place_master(map).filter(|_| !map.contains_key(PLACE_KEY));
            let fields = std::mem::take(map);
            let present: BTreeSet<String> = fields.keys().cloned().collect();
            for (field, mut v) in fields {
                if let Some((master, id)) = place.filter(|_| field == "id") {
                    map.insert(field, v);
                    let key = keys.get(&master).and_then(|k| k.get(&id)).cloned();
                    map.insert(PLACE_KEY.to_owned(), key.map_or(Value::Null, Value::String));
                    continue;
                }
                write_keys(&mut v, keys);
                let names_a_row = v.is_i64() || Value::is_null(&v);
                let natural = natural_key_for(&field)
                    .filter(|(natural_field, _)| names_a_row && !present.contains(natural_field))
                    .map(|(natural_field, master)| {
                        let key = v
                            .as_i64()
                            .and_then(|id| keys.get(&master)?.get(&id).cloned())
                            .map_or(Value::Null, Value::String);
                        (natural_field, key)
                    });
                map.insert(field, v);
                if let Some((natural_field, key)) = natural {
                    map.insert(natural_field, key);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| write_keys(v, keys)),
        _ => {}
    }
}

/// In a request body, replaces each natural key given instead of an id
/// (`"part_number": "RRU-4402"` becomes `"part_id": 7`, in place), in every
/// object however deep, with one query per kind of master named. A null
/// key becomes a null id (a patch clearing a warehouse's parent). Refused
/// with a 422 naming each field: a natural key given beside its id, one
/// that is not text, one that names no row.
pub async fn resolve_keys(db: &impl ConnectionTrait, document: &mut Value) -> AppResult<()> {
    let mut wanted: BTreeMap<Master, BTreeSet<String>> = BTreeMap::new();
    let mut errors = Vec::new();
    collect_keys(document, "", &mut wanted, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut ids = HashMap::with_capacity(wanted.len());
    for (master, keys) in wanted {
        ids.insert(master, ids_by_key(db, master, keys).await?);
    }
    replace_keys(document, "", &ids, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

fn field_path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

fn collect_keys(
    value: &Value,
    path: &str,
    wanted: &mut BTreeMap<Master, BTreeSet<String>>,
    errors: &mut Vec<FieldError>,
) {
    match value {
        Value::Object(map) => {
            for (field, v) in map {
                let here = field_path(path, field);
                if let Some((id_field, master)) = id_field_for(field) {
                    if map.contains_key(&id_field) {
                        errors.push(FieldError::new(
                            here,
                            format!("give `{id_field}` or `{field}`, not both"),
                        ));
                        continue;
                    }
                    match v {
                        Value::String(key) => {
                            wanted.entry(master).or_default().insert(key.clone());
                        }
                        Value::Null => {}
                        _ => errors.push(FieldError::new(
                            here,
                            format!(
                                "must be text: the {} of a {}",
                                master.key_column(),
                                master.noun()
                            ),
                        )),
                    }
                } else {
                    collect_keys(v, &here, wanted, errors);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_keys(item, &format!("{path}[{i}]"), wanted, errors);
            }
        }
        _ => {}
    }
}

fn replace_keys(
    value: &mut Value,
    path: &str,
    ids: &HashMap<Master, HashMap<String, i64>>,
    errors: &mut Vec<FieldError>,
) {
    match value {
        Value::Object(map) => {
            for (field, mut v) in std::mem::take(map) {
                let here = field_path(path, &field);
                let Some((id_field, master)) = id_field_for(&field) else {
                    replace_keys(&mut v, &here, ids, errors);
                    map.insert(field, v);
                    continue;
                };
                let id = match &v {
                    Value::String(key) => match ids.get(&master).and_then(|m| m.get(key)) {
                        Some(id) => Value::from(*id),
                        None => {
                            errors.push(FieldError::new(
                                here,
                                format!(
                                    "no {} has the {} `{key}`",
                                    master.noun(),
                                    master.key_column().replace('_', " ")
                                ),
                            ));
                            Value::Null
                        }
                    },
                    _ => Value::Null,
                };
                map.insert(id_field, id);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                replace_keys(item, &format!("{path}[{i}]"), ids, errors);
            }
        }
        _ => {}
    }
}

/// Ids per `IN (...)` list, below every backend's bind-parameter limit.
const CHUNK: usize = 500;

/// The natural keys of the given ids of one master; ids that do not exist
/// are absent from the map.
pub async fn keys_by_id(
    db: &impl ConnectionTrait,
    master: Master,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, String>> {
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let naming = Expr::col(Alias::new("id")).is_in(chunk.iter().copied());
        found.extend(pairs(db, master, naming).await?);
    }
    Ok(found)
}

/// The ids of the given natural keys of one master; keys that match no row
/// are absent from the map.
pub async fn ids_by_key(
    db: &impl ConnectionTrait,
    master: Master,
    keys: impl IntoIterator<Item = String>,
) -> AppResult<HashMap<String, i64>> {
    let keys: Vec<String> = keys
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        let naming = Expr::col(Alias::new(master.key_column())).is_in(chunk.iter().cloned());
        let rows = pairs(db, master, naming).await?;
        found.extend(rows.into_iter().map(|(id, key)| (key, id)));
    }
    Ok(found)
}

/// (id, natural key) of the rows of one master that `naming` selects.
async fn pairs(
    db: &impl ConnectionTrait,
    master: Master,
    naming: SimpleExpr,
) -> AppResult<Vec<(i64, String)>> {
    match master {
        Master::Part => pairs_of::<part::Entity>(db, master, naming).await,
        Master::Warehouse => pairs_of::<warehouse::Entity>(db, master, naming).await,
        Master::Site => pairs_of::<site::Entity>(db, master, naming).await,
        Master::Vendor => pairs_of::<vendor::Entity>(db, master, naming).await,
        Master::SlaClass => pairs_of::<sla_class::Entity>(db, master, naming).await,
    }
}

async fn pairs_of<E: EntityTrait>(
    db: &impl ConnectionTrait,
    master: Master,
    naming: SimpleExpr,
) -> AppResult<Vec<(i64, String)>> {
    Ok(E::find()
        .select_only()
        .column_as(Expr::col(Alias::new("id")), "id")
        .column_as(Expr::col(Alias::new(master.key_column())), "key")
        .filter(naming)
        .into_tuple()
        .all(db)
        .await?)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_fields_pair_with_their_natural_keys() {
        let pairs = [
            ("part_id", Some(("part_number", Master::Part))),
            ("warehouse_id", Some(("warehouse_code", Master::Warehouse))),
            (
                "from_warehouse_id",
                Some(("from_warehouse_code", Master::Warehouse)),
            ),
            (
                "serving_warehouse_id",
                Some(("serving_warehouse_code", Master::Warehouse)),
            ),
            ("parent_id", Some(("parent_code", Master::Warehouse))),
            ("site_id", Some(("site_code", Master::Site))),
            ("vendor_id", Some(("vendor_code", Master::Vendor))),
            ("sla_class_id", Some(("sla_class_code", Master::SlaClass))),
            ("id", None),
            ("document_id", None),
            ("counterparty_id", None),
            ("spare_part", None),
        ];
        for (id_field, expected) in pairs {
            let got = natural_key_for(id_field);
            let want = expected.map(|(k, m)| (k.to_owned(), m));
            assert_eq!(got, want, "{id_field}");
            if let Some((natural, master)) = want {
                assert_eq!(id_field_for(&natural), Some((id_field.to_owned(), master)));
            }
        }
    }

    #[test]
    fn own_keys_and_lookalikes_are_not_references() {
        for field in [
            "code",
            "number",
            "warehouse_number",
            "part_code",
            "sitecode",
            "repart_number",
        ] {
            assert_eq!(id_field_for(field), None, "{field}");
        }
    }
}
