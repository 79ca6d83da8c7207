//! Invocation attachments: the `Map<String, Object>` that ends every Dubbo request body
//! (and, from dubbo 2.0.2 on, every response body).

use dubbo_hessian2::Value;

/// An ordered string-keyed map of attachment values.
///
/// Java sends a `HashMap`, so order carries no meaning on the wire; keeping insertion order
/// makes our own encoding deterministic. Lookups are linear: a call carries a handful of keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attachments {
    entries: Vec<(String, Value)>,
}

impl Attachments {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value under `key` when it is a string (Java sends most attachments as strings).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Sets `key` to `value`, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Sets `key` to a string value, replacing an earlier value.
    pub fn insert_str(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.insert(key, Value::String(value.into()));
    }

    /// Sets `key` to a string value only when it is not present yet.
    pub fn insert_str_if_absent(&mut self, key: &str, value: impl Into<String>) {
        if self.get(key).is_none() {
            self.entries
                .push((key.to_owned(), Value::String(value.into())));
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Builds attachments from a decoded Hessian map; non-string keys are skipped.
    pub fn from_value(value: Value) -> Self {
        let mut out = Attachments::new();
        if let Value::Map { entries, .. } = value {
            for (k, v) in entries {
                if let Value::String(k) = k {
                    out.entries.push((k, v));
                }
            }
        }
        out
    }

    /// The attachments as a Hessian map value (untyped, like Java's `HashMap`).
    pub fn to_value(&self) -> Value {
        Value::Map {
            ty: None,
            entries: self
                .entries
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
        }
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Attachments {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut out = Attachments::new();
        for (k, v) in iter {
            out.insert(k, v);
        }
        out
    }
}
