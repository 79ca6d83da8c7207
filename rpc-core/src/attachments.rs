//! Invocation attachments: the `Map<String, Object>` that ends every Dubbo request body
//! (and, from dubbo 2.0.2 on, every response body).

use std::sync::Arc;

use dubbo_hessian2::{Serializer, Value};
use serde::Serialize;

/// An ordered string-keyed map of attachment values.
///
/// Java sends a `HashMap`, so order carries no meaning on the wire; keeping insertion order
/// makes our own encoding deterministic. Lookups are linear: a call carries a handful of keys.
///
/// Besides its own entries, a map can hold up to two [`SharedAttachments`]: sets of string
/// attachments encoded once and sent with many calls (the consumer's `path`, `interface`,
/// `version` … and the per-method `timeout`). Building and encoding those per call was a
/// large part of a call's cost. The map's own entries win over shared ones with the same key,
/// and a shared set added earlier wins over one added later.
#[derive(Debug, Clone, Default)]
pub struct Attachments {
    entries: Vec<(String, Value)>,
    shared: [Option<SharedAttachments>; 2],
}

/// String attachments encoded once, for many calls; see [`Attachments::extend_shared`].
///
/// ```
/// use dubbo_rpc::attachments::{Attachments, SharedAttachments};
///
/// let standard = SharedAttachments::new([("interface", "com.example.Greeter")]);
/// let mut attachments = Attachments::new();
/// attachments.extend_shared(&standard);
/// assert_eq!(attachments.get_str("interface"), Some("com.example.Greeter"));
/// ```
#[derive(Debug, Clone)]
pub struct SharedAttachments(Arc<SharedInner>);

#[derive(Debug)]
struct SharedInner {
    entries: Vec<(String, Value)>,
    /// The entries as Hessian key/value pairs, without the map's start and end.
    encoded: Vec<u8>,
    /// The [`key_bit`]s of the entries' keys.
    key_bits: u64,
}

/// One of 64 bits for `key`, so that sets of keys can be told apart without comparing
/// strings: two sets whose bits do not meet share no key. Keys that meet are compared.
fn key_bit(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let (first, last) = (bytes.first().copied(), bytes.last().copied());
    let mix = bytes.len() + 3 * first.unwrap_or(0) as usize + 5 * last.unwrap_or(0) as usize;
    1 << (mix % 64)
}

fn key_bits<'a>(keys: impl IntoIterator<Item = &'a str>) -> u64 {
    keys.into_iter().fold(0, |bits, k| bits | key_bit(k))
}

impl SharedAttachments {
    /// A set of string attachments. Later duplicates of a key are dropped.
    pub fn new<K, V>(entries: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut pairs: Vec<(String, Value)> = Vec::new();
        for (k, v) in entries {
            let k = k.into();
            if !pairs.iter().any(|(existing, _)| *existing == k) {
                pairs.push((k, Value::String(v.into())));
            }
        }
        let mut encoded = Vec::new();
        {
            let mut ser = Serializer::new(&mut encoded);
            for (k, v) in &pairs {
                // Strings never fail to encode.
                let _ = k.serialize(&mut ser);
                let _ = ser.write_value(v);
            }
        }
        SharedAttachments(Arc::new(SharedInner {
            key_bits: key_bits(pairs.iter().map(|(k, _)| k.as_str())),
            entries: pairs,
            encoded,
        }))
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn contains(&self, key: &str) -> bool {
        self.0.entries.iter().any(|(k, _)| k == key)
    }
}

impl Attachments {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .or_else(|| self.shared().find_map(|s| s.get(key)))
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

    /// Adds a shared set whose entries apply where this map has no value of its own.
    pub fn extend_shared(&mut self, shared: &SharedAttachments) {
        if let Some(slot) = self.shared.iter_mut().find(|s| s.is_none()) {
            *slot = Some(shared.clone());
            return;
        }
        // Both slots taken (not on the consumer's own path): copy the new set in.
        for (k, v) in shared.iter() {
            if self.get(k).is_none() {
                self.entries.push((k.to_owned(), v.clone()));
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        if self.shared().any(|s| s.contains(key)) {
            // A shared set cannot lose a key: copy the shared entries into this map first.
            self.materialize();
        }
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.shared().all(|s| s.0.entries.is_empty())
    }

    /// The entries: this map's own in insertion order, then the shared ones it does not
    /// override.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        let own = self.entries.iter().map(|(k, v)| (k.as_str(), v));
        let shared = self
            .shared()
            .enumerate()
            .flat_map(move |(i, set)| set.iter().filter(move |(k, _)| !self.shadowed(i, k)));
        own.chain(shared)
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
                .iter()
                .map(|(k, v)| (Value::String(k.to_owned()), v.clone()))
                .collect(),
        }
    }

    /// Writes the map as the last value of a body: shared sets go in as the bytes encoded
    /// when they were made, unless some of their keys are overridden.
    pub fn encode(&self, ser: &mut Serializer<'_>) -> Result<(), dubbo_hessian2::Error> {
        self.encode_with(ser, None)
    }

    /// Like [`encode`](Self::encode), with `winning` added last: its keys win over this
    /// map's own entries and shared sets (the consumer's `timeout` over a caller's).
    pub fn encode_with(
        &self,
        ser: &mut Serializer<'_>,
        winning: Option<&SharedAttachments>,
    ) -> Result<(), dubbo_hessian2::Error> {
        let beaten = |k: &str| winning.is_some_and(|w| w.contains(k));
        ser.begin_map()?;
        for (k, v) in &self.entries {
            if !beaten(k) {
                k.serialize(&mut *ser)?;
                ser.write_value(v)?;
            }
        }
        // The keys that beat the next shared set: own entries, earlier sets and `winning`.
        // A set whose keys cannot be among them goes in without comparing any key.
        let mut beating = key_bits(self.entries.iter().map(|(k, _)| k.as_str()))
            | winning.map_or(0, |w| w.0.key_bits);
        for (i, set) in self.shared().enumerate() {
            let overlaps = set.0.key_bits & beating != 0;
            beating |= set.0.key_bits;
            let dropped = |k: &str| self.shadowed(i, k) || beaten(k);
            if overlaps && set.iter().any(|(k, _)| dropped(k)) {
                for (k, v) in set.iter().filter(|(k, _)| !dropped(k)) {
                    k.serialize(&mut *ser)?;
                    ser.write_value(v)?;
                }
            } else {
                ser.write_encoded(&set.0.encoded)?;
            }
        }
        if let Some(winning) = winning {
            ser.write_encoded(&winning.0.encoded)?;
        }
        ser.end_map();
        Ok(())
    }

    fn shared(&self) -> impl Iterator<Item = &SharedAttachments> {
        self.shared.iter().flatten()
    }

    /// Whether `key` of shared set `index` is overridden by an own entry or an earlier set.
    fn shadowed(&self, index: usize, key: &str) -> bool {
        // Sliced rather than `shared().take(index)`: cheaper per key, and `encode_with`
        // asks per key of a set whose key bits meet those before it.
        self.entries.iter().any(|(k, _)| k == key)
            || self.shared[..index]
                .iter()
                .flatten()
                .any(|s| s.contains(key))
    }

    fn materialize(&mut self) {
        // `iter` yields the own entries first, then the shared ones they do not override.
        let copied: Vec<(String, Value)> = self
            .iter()
            .skip(self.entries.len())
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
        self.entries.extend(copied);
        self.shared = Default::default();
    }
}

impl PartialEq for Attachments {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(a: &Attachments) -> Value {
        let mut out = Vec::new();
        let mut ser = Serializer::new(&mut out);
        a.encode(&mut ser).unwrap();
        dubbo_hessian2::Deserializer::new(&out)
            .read_value()
            .unwrap()
    }

    /// What `a` sends with `winning` added, decoded back.
    fn on_the_wire(a: &Attachments, winning: &SharedAttachments) -> Attachments {
        let mut out = Vec::new();
        a.encode_with(&mut Serializer::new(&mut out), Some(winning))
            .unwrap();
        Attachments::from_value(
            dubbo_hessian2::Deserializer::new(&out)
                .read_value()
                .unwrap(),
        )
    }

    fn standard() -> SharedAttachments {
        SharedAttachments::new([("path", "a.B"), ("remote.application", "app")])
    }

    #[test]
    fn shared_entries_are_visible_through_get_and_iter() {
        let mut a = Attachments::new();
        a.insert_str("k", "v");
        a.extend_shared(&standard());
        assert_eq!(a.get_str("path"), Some("a.B"));
        let keys: Vec<_> = a.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["k", "path", "remote.application"]);
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn own_entries_override_shared_ones_on_the_wire() {
        let mut a = Attachments::new();
        a.insert_str("remote.application", "mine");
        a.extend_shared(&standard());
        assert_eq!(a.get_str("remote.application"), Some("mine"));
        let expected: Attachments = [
            ("remote.application", Value::String("mine".into())),
            ("path", Value::String("a.B".into())),
        ]
        .into_iter()
        .collect();
        assert_eq!(Attachments::from_value(encoded(&a)), expected);
    }

    #[test]
    fn pre_encoded_shared_set_decodes_like_a_map_built_entry_by_entry() {
        let mut fast = Attachments::new();
        fast.extend_shared(&standard());
        fast.extend_shared(&SharedAttachments::new([("timeout", "1000")]));
        let slow: Attachments = fast.iter().map(|(k, v)| (k, v.clone())).collect();
        assert_eq!(encoded(&fast), slow.to_value());
        assert_eq!(Attachments::from_value(encoded(&fast)), slow);
    }

    #[test]
    fn a_winning_set_beats_own_entries_and_shared_sets_on_the_wire() {
        let mut a = Attachments::new();
        a.insert_str("timeout", "7");
        a.insert_str("k", "v");
        a.extend_shared(&SharedAttachments::new([("timeout", "8"), ("x", "y")]));
        let winning = SharedAttachments::new([("timeout", "1000")]);
        let wire = on_the_wire(&a, &winning);
        assert_eq!(wire.get_str("timeout"), Some("1000"));
        assert_eq!(
            (wire.get_str("k"), wire.get_str("x")),
            (Some("v"), Some("y"))
        );
        assert_eq!(wire.len(), 3);
    }

    #[test]
    fn keys_sharing_a_key_bit_are_still_told_apart() {
        assert_eq!(key_bit("path"), key_bit("dubbo"));
        let mut a = Attachments::new();
        a.extend_shared(&SharedAttachments::new([("dubbo", "2.0.2")]));
        let winning = SharedAttachments::new([("path", "a.B")]);
        let wire = on_the_wire(&a, &winning);
        assert_eq!(
            (wire.get_str("dubbo"), wire.get_str("path")),
            (Some("2.0.2"), Some("a.B"))
        );
        assert_eq!(wire.len(), 2);
    }

    #[test]
    fn an_earlier_shared_set_wins_over_a_later_one() {
        let mut a = Attachments::new();
        a.extend_shared(&SharedAttachments::new([("timeout", "5")]));
        a.extend_shared(&SharedAttachments::new([("timeout", "9"), ("x", "y")]));
        assert_eq!(a.get_str("timeout"), Some("5"));
        let wire = Attachments::from_value(encoded(&a));
        assert_eq!(wire.get_str("timeout"), Some("5"));
        assert_eq!(wire.len(), 2);
    }

    #[test]
    fn removing_a_shared_key_hides_it() {
        let mut a = Attachments::new();
        a.extend_shared(&standard());
        assert!(a.remove("path").is_some());
        assert_eq!(a.get("path"), None);
        assert_eq!(Attachments::from_value(encoded(&a)).len(), 1);
    }

    #[test]
    fn a_third_shared_set_is_copied_in() {
        let mut a = Attachments::new();
        a.extend_shared(&SharedAttachments::new([("a", "1")]));
        a.extend_shared(&SharedAttachments::new([("b", "2")]));
        a.extend_shared(&SharedAttachments::new([("a", "x"), ("c", "3")]));
        assert_eq!(a.get_str("a"), Some("1"));
        assert_eq!(a.get_str("c"), Some("3"));
        assert_eq!(Attachments::from_value(encoded(&a)).len(), 3);
    }
}
