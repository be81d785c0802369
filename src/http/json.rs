//! Reading a JSON request body exactly as the OpenAPI document describes
//! it, and nothing looser:
//! - a key twice in one object is refused (serde_json keeps the last);
//! - an object field must be an object: serde's derived structs also take
//!   an array and fill the fields by position, which no client of the
//!   documented API means;
//! - no text may hold a NUL character (PostgreSQL refuses it, SQLite
//!   compares it oddly);
//! - an integral float such as `3.0` is an integer, as JSON Schema counts.
//!
//! Each refusal names the field by its path (`lines[2].quantity`).
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};
use serde_json::{Map, Value};

/// Why a body was refused: not JSON at all, or JSON of the wrong shape at
/// a path.
#[derive(Debug)]
pub enum BodyError {
    Syntax(String),
    Shape { path: String, message: String },
}

/// Parses `bytes` into `T` by the rules of the module doc.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    parse_document(bytes).and_then(from_document)
}

/// The body as a JSON tree checked by the rules of the module doc, for a
/// caller that rewrites it before [`from_document`] reads it.
pub fn parse_document(bytes: &[u8]) -> Result<Value, BodyError> {
    let mut document = parse_unique_keys(bytes)?;
    if let Some(path) = nul_in(&document, &mut String::new()) {
        return Err(BodyError::Shape {
            path,
            message: "must not contain NUL characters".to_owned(),
        });
    }
    integral_floats_to_integers(&mut document);
    Ok(document)
}

/// Reads `T` from a document [`parse_document`] returned.
pub fn from_document<T: DeserializeOwned>(document: Value) -> Result<T, BodyError> {
    serde_path_to_error::deserialize(Strict(document)).map_err(|err| BodyError::Shape {
        path: err.path().to_string(),
        message: err.into_inner().to_string(),
    })
}

/// The document as a tree, refusing duplicate keys.
fn parse_unique_keys(bytes: &[u8]) -> Result<Value, BodyError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize::<_, UniqueKeys>(&mut de) {
        Ok(UniqueKeys(value)) => value,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            return Err(if inner.is_data() {
                BodyError::Shape {
                    path,
                    message: inner.to_string(),
                }
            } else {
                BodyError::Syntax(inner.to_string())
            });
        }
    };
    de.end().map_err(|e| BodyError::Syntax(e.to_string()))?;
    Ok(value)
}

/// A JSON value whose objects have no key twice.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        UniqueKeys::deserialize(d).map(|v| v.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate field `{key}`")));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// The path of the first string or key holding a NUL character.
fn nul_in(value: &Value, path: &mut String) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(display(path)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = nul_in(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key.replace('\0', "\\u0000"));
            let found = if key.contains('\0') {
                Some(display(path))
            } else {
                nul_in(item, path)
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

fn display(path: &str) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    }
}

/// JSON Schema (and so OpenAPI 3.1) counts `3.0` as an integer; serde does
/// not. Rewriting integral floats as integers makes the service accept what
/// its published schema accepts. Fractions such as `1.5` stay floats and are
/// still refused for integer fields.
fn integral_floats_to_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// A JSON value deserialized as serde_json does, except that a struct
/// refuses an array.
struct Strict(Value);

impl<'de> Deserializer<'de> for Strict {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                (None, None, Some(f)) => visitor.visit_f64(f),
                (None, None, None) => Err(de::Error::custom("a number out of range")),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(StrictSeq(items.into_iter())),
            Value::Object(map) => visitor.visit_map(StrictMap {
                entries: map.into_iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Strict(other)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &"a JSON object")),
            other => Strict(other).deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

struct StrictSeq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for StrictSeq {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct StrictMap {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for StrictMap {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(key.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Strict(value)),
            None => Err(de::Error::custom("a value without its key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Line {
        part_id: i64,
        quantity: i32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        warehouse_id: i64,
        #[serde(default)]
        note: Option<String>,
        lines: Vec<Line>,
    }

    fn shape(body: &str) -> (String, String) {
        match parse::<Body>(body.as_bytes()) {
            Err(BodyError::Shape { path, message }) => (path, message),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn a_documented_body_parses() {
        let body: Body =
            parse(br#"{"warehouse_id": 1.0, "lines": [{"part_id": 2, "quantity": 3}]}"#).unwrap();
        assert_eq!(
            body.lines,
            vec![Line {
                part_id: 2,
                quantity: 3
            }]
        );
        assert_eq!(body.note, None);
    }

    #[test]
    fn arrays_do_not_stand_for_objects() {
        let (path, message) = shape(r#"[1, null, [[2, 3]]]"#);
        assert_eq!(path, ".");
        assert!(message.contains("expected a JSON object"), "{message}");
        let (path, _) = shape(r#"{"warehouse_id": 1, "lines": [[2, 3]]}"#);
        assert_eq!(path, "lines[0]");
    }

    #[test]
    fn a_key_twice_is_refused() {
        let (path, message) = shape(r#"{"warehouse_id": 1, "lines": [], "warehouse_id": 2}"#);
        assert_eq!(path, ".");
        assert!(
            message.contains("duplicate field `warehouse_id`"),
            "{message}"
        );
        let (path, _) =
            shape(r#"{"warehouse_id": 1, "lines": [{"part_id": 1, "part_id": 2, "quantity": 1}]}"#);
        assert_eq!(path, "lines[0]");
    }

    #[test]
    fn nul_is_refused_wherever_it_hides() {
        let (path, message) = shape(r#"{"warehouse_id": 1, "note": "a\u0000b", "lines": []}"#);
        assert_eq!(
            (path.as_str(), message.as_str()),
            ("note", "must not contain NUL characters")
        );
        let (path, _) = shape(r#"{"warehouse_id": 1, "lines": [], "x\u0000": 1}"#);
        assert_eq!(path, "x\\u0000");
    }

    #[test]
    fn syntax_errors_are_told_apart() {
        for bad in ["{", r#"{"a": 1} trailing"#, ""] {
            assert!(
                matches!(parse::<Body>(bad.as_bytes()), Err(BodyError::Syntax(_))),
                "{bad}"
            );
        }
    }
}
