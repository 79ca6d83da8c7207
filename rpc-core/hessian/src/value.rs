//! Ordered dynamic Hessian value.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, SerializeTuple};
use serde::{Deserialize, Serialize};

use crate::de::{take_stashed_value, VALUE_STASH_MARKER};
use crate::tag::{DATE_TOKEN, LIST_TOKEN, MAP_TOKEN, OBJECT_TOKEN, REF_TOKEN, VALUE_TOKEN};

/// A dynamically typed Hessian value that keeps order, class names, list/map types
/// and references, so that a decoded body re-encodes byte for byte.
///
/// Used for unknown classes, Java exceptions and generic (`$invoke`) calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `boolean`.
    Bool(bool),
    /// 32-bit int (Java `int`, and `short`/`byte`, which Java sends as int).
    Int(i32),
    /// 64-bit long.
    Long(i64),
    /// Double (Java `double`, and `float`, which Java sends as double).
    Double(f64),
    /// String.
    String(String),
    /// `byte[]`.
    Binary(Vec<u8>),
    /// `java.util.Date` as milliseconds since the epoch (UTC).
    Date(i64),
    /// A list (or Java array), with its Java type if one was written.
    List {
        /// Type name (`"[int"`, `"java.util.LinkedList"`), if typed.
        ty: Option<String>,
        /// Items.
        items: Vec<Value>,
    },
    /// A map, with its Java type if one was written; insertion order kept.
    Map {
        /// Type name (`"java.util.TreeMap"`), if typed.
        ty: Option<String>,
        /// Entries in wire order.
        entries: Vec<(Value, Value)>,
    },
    /// An object instance.
    Object {
        /// Java class name.
        class: String,
        /// Fields in wire order.
        fields: Vec<(String, Value)>,
    },
    /// Back-reference to the n-th list/map/object of the body, counted in the order
    /// they begin (as Java numbers them). Kept as is so that cycles survive.
    Ref(u32),
}

impl Value {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer value of an int or long.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(i64::from(*i)),
            Value::Long(l) => Some(*l),
            _ => None,
        }
    }

    /// The numeric value of an int, long or double.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(f64::from(*i)),
            Value::Long(l) => Some(*l as f64),
            Value::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The bytes, if this is a binary.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The items, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List { items, .. } => Some(items),
            _ => None,
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The class name, if this is an object.
    pub fn class_name(&self) -> Option<&str> {
        match self {
            Value::Object { class, .. } => Some(class),
            _ => None,
        }
    }

    /// The value of the field `name`, if this is an object with that field.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object { fields, .. } => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value for the string key `key`, if this is a map with that key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a [`Value::Ref`] using `table` (see [`Value::ref_table`]); other
    /// values are returned as they are.
    pub fn resolve<'a>(&'a self, table: &[&'a Value]) -> Option<&'a Value> {
        match self {
            Value::Ref(n) => table.get(*n as usize).copied(),
            v => Some(v),
        }
    }

    /// The lists, maps and objects of the given top-level values in reference order
    /// (pre-order), i.e. `table[n]` is what `Value::Ref(n)` points to.
    pub fn ref_table<'a>(values: impl IntoIterator<Item = &'a Value>) -> Vec<&'a Value> {
        fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
            // Explicit stack: the value may be arbitrarily deep.
            let mut stack = vec![v];
            while let Some(v) = stack.pop() {
                match v {
                    Value::List { items, .. } => {
                        out.push(v);
                        stack.extend(items.iter().rev());
                    }
                    Value::Map { entries, .. } => {
                        out.push(v);
                        for (k, val) in entries.iter().rev() {
                            stack.push(val);
                            stack.push(k);
                        }
                    }
                    Value::Object { fields, .. } => {
                        out.push(v);
                        stack.extend(fields.iter().rev().map(|(_, v)| v));
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for v in values {
            walk(v, &mut out);
        }
        out
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Long(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Binary(v)
    }
}

// ---- Serialize ------------------------------------------------------------------
//
// Hessian-specific variants go through reserved newtype names that our Serializer
// recognises (see `tag.rs`); other serializers see plain tuples/numbers.

struct ObjectRepr<'a>(&'a str, &'a [(String, Value)]);

impl Serialize for ObjectRepr<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.1.len();
        let mut t = s.serialize_tuple(2 + 2 * n)?;
        t.serialize_element(self.0)?;
        t.serialize_element(&(n as u64))?;
        for (name, _) in self.1 {
            t.serialize_element(name)?;
        }
        for (_, v) in self.1 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

pub(crate) struct ListRepr<'a, T>(pub(crate) &'a str, pub(crate) &'a [T]);

impl<T: Serialize> Serialize for ListRepr<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(1 + self.1.len())?;
        t.serialize_element(self.0)?;
        for v in self.1 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

struct MapRepr<'a>(&'a str, &'a [(Value, Value)]);

impl Serialize for MapRepr<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(1 + 2 * self.1.len())?;
        t.serialize_element(self.0)?;
        for (k, v) in self.1 {
            t.serialize_element(k)?;
            t.serialize_element(v)?;
        }
        t.end()
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i32(*i),
            Value::Long(l) => s.serialize_i64(*l),
            Value::Double(d) => s.serialize_f64(*d),
            Value::String(v) => s.serialize_str(v),
            Value::Binary(b) => s.serialize_bytes(b),
            Value::Date(ms) => s.serialize_newtype_struct(DATE_TOKEN, ms),
            Value::Ref(n) => s.serialize_newtype_struct(REF_TOKEN, n),
            Value::List { ty: None, items } => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for it in items {
                    seq.serialize_element(it)?;
                }
                seq.end()
            }
            Value::List {
                ty: Some(ty),
                items,
            } => s.serialize_newtype_struct(LIST_TOKEN, &ListRepr(ty, items)),
            Value::Map { ty: None, entries } => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Value::Map {
                ty: Some(ty),
                entries,
            } => s.serialize_newtype_struct(MAP_TOKEN, &MapRepr(ty, entries)),
            Value::Object { class, fields } => {
                s.serialize_newtype_struct(OBJECT_TOKEN, &ObjectRepr(class, fields))
            }
        }
    }
}

// ---- Deserialize ----------------------------------------------------------------

impl<'de> Deserialize<'de> for Value {
    /// Through this crate's [`crate::Deserializer`] the value is decoded natively
    /// (class names, list/map types and references kept). Other deserializers give
    /// the plain serde data model (maps become untyped `Map`s).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any Hessian value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i32<E>(self, v: i32) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(match i32::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Long(v),
        })
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(match i64::try_from(v) {
            Ok(l) => match i32::try_from(l) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Long(l),
            },
            Err(_) => Value::Double(v as f64),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        if v == VALUE_STASH_MARKER {
            if let Some(v) = take_stashed_value() {
                return Ok(v);
            }
        }
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        if v == VALUE_STASH_MARKER {
            return self.visit_str(&v);
        }
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Binary(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Binary(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        // Not `Value::deserialize(d)`: buffering deserializers (serde's Content) answer
        // a newtype request with `visit_newtype_struct(self)` again.
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::List { ty: None, items })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some((k, v)) = map.next_entry()? {
            entries.push((k, v));
        }
        Ok(Value::Map { ty: None, entries })
    }
}
