//! `Deserializer::visit_str_map`: the allocation-free walk of a `Map<String, String>`
//! (Dubbo's attachments) must agree with `read_value` on every input: the same entries,
//! the same end position, the same errors at the same offsets, and the same tables for
//! the values after it.

mod common;

use std::borrow::Cow;

use common::{load, Set};
use dubbo_hessian2::{Deserializer, Serializer, Value};
use serde::Serialize;

/// The string-keyed entries of a decoded value, as `visit_str_map` reports them.
fn entries_of(v: &Value) -> Option<Vec<(String, Option<String>)>> {
    match v {
        Value::Map { entries, .. } => Some(
            entries
                .iter()
                .filter_map(|(k, v)| match k {
                    Value::String(k) => Some((k.clone(), v.as_str().map(str::to_owned))),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The string-keyed entries (`None`: not a map), the position after the first value,
/// and the values after it (read with `read_value`, so differing tables would show).
type Walked = (Option<Vec<(String, Option<String>)>>, usize, Vec<Result<Value, usize>>);

fn rest(de: &mut Deserializer<'_>) -> Vec<Result<Value, usize>> {
    let mut out = Vec::new();
    while !de.is_end() {
        let r = de.read_value().map_err(|e| e.offset());
        let failed = r.is_err();
        out.push(r);
        if failed {
            break;
        }
    }
    out
}

/// Reads the first value of `input` with `read_value`, and walks it with
/// `visit_str_map`; either way the error offset on failure.
fn both_ways(input: &[u8]) -> (Result<Walked, usize>, Result<Walked, usize>) {
    let mut de = Deserializer::new(input);
    let read = de
        .read_value()
        .map_err(|e| e.offset())
        .map(|v| (entries_of(&v), de.position(), rest(&mut de)));
    let mut de = Deserializer::new(input);
    let mut seen = Vec::new();
    let walked = de
        .visit_str_map(|k, v| seen.push((k.to_owned(), v.map(Cow::into_owned))))
        .map_err(|e| e.offset())
        .map(|is_map| (is_map.then_some(seen), de.position(), rest(&mut de)));
    (read, walked)
}

fn encode(build: impl FnOnce(&mut Serializer<'_>)) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = Serializer::new(&mut out);
    build(&mut ser);
    out
}

#[test]
fn attachments_are_walked_with_borrowed_strings() {
    let mut map = std::collections::BTreeMap::new();
    map.insert("group", "g1");
    map.insert("path", "org.example.Greeter");
    map.insert("timeout", "3000");
    let bytes = encode(|s| map.serialize(s).unwrap());
    let mut de = Deserializer::new(&bytes);
    let mut seen = Vec::new();
    assert!(de
        .visit_str_map(|k, v| {
            assert!(matches!(v, Some(Cow::Borrowed(_))), "{k}: {v:?}");
            seen.push((k.to_owned(), v.unwrap().into_owned()));
        })
        .unwrap());
    assert!(de.is_end());
    assert_eq!(
        seen,
        [
            ("group".to_owned(), "g1".to_owned()),
            ("path".to_owned(), "org.example.Greeter".to_owned()),
            ("timeout".to_owned(), "3000".to_owned()),
        ]
    );
}

#[test]
fn other_values_and_keys_are_skipped() {
    // H "a" 1  2 "x"  "b" [list]  "c" "long…"  Z, then a back-reference to the list.
    let long = "y".repeat(70_000); // written in chunks: decoded as owned
    let bytes = encode(|s| {
        let map = Value::Map {
            ty: None,
            entries: vec![
                (Value::String("a".into()), Value::Int(1)),
                (Value::Int(2), Value::String("x".into())),
                (
                    Value::String("b".into()),
                    Value::List {
                        ty: None,
                        items: vec![Value::Int(3)],
                    },
                ),
                (Value::String("c".into()), Value::String(long.clone())),
            ],
        };
        map.serialize(&mut *s).unwrap();
        Value::Ref(1).serialize(&mut *s).unwrap();
    });
    let (read, walked) = both_ways(&bytes);
    assert_eq!(read, walked);
    let (entries, _, _) = walked.unwrap();
    let entries = entries.unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0], ("a".to_owned(), None));
    assert_eq!(entries[1], ("b".to_owned(), None));
    assert_eq!(entries[2].1.as_deref(), Some(long.as_str()));
}

#[test]
fn a_value_that_is_not_a_map_is_skipped() {
    for bytes in [vec![b'N'], vec![0x91], b"\x03abc".to_vec(), vec![0x79, 0x91]] {
        let mut de = Deserializer::new(&bytes);
        assert!(!de.visit_str_map(|_, _| panic!("no entries")).unwrap());
        assert!(de.is_end(), "{bytes:02x?}");
    }
}

#[test]
fn truncated_and_malformed_maps_fail_where_read_value_fails() {
    let mut map = std::collections::BTreeMap::new();
    map.insert("group", "g1");
    map.insert("interface", "org.example.Greeter");
    let good = encode(|s| map.serialize(s).unwrap());
    for cut in 0..good.len() {
        let (read, walked) = both_ways(&good[..cut]);
        assert!(walked.is_err(), "prefix of {cut} bytes accepted");
        assert_eq!(read, walked, "prefix of {cut} bytes");
    }
    // Bad UTF-8 in a value, an unknown tag as a key, a reference out of range.
    for bad in [
        b"H\x01a\x02\xff\xffZ".to_vec(),
        b"H\x40Z".to_vec(),
        b"H\x01aQ\x95Z".to_vec(),
    ] {
        let (read, walked) = both_ways(&bad);
        assert!(walked.is_err(), "{bad:02x?} accepted");
        assert_eq!(read, walked, "{bad:02x?}");
    }
}

/// Every vector of both sets, and every truncation of it: `visit_str_map` and
/// `read_value` agree.
#[test]
fn every_vector_and_truncation_agrees_with_read_value() {
    let mut cases = load(Set::Caucho);
    cases.extend(load(Set::Lite));
    let mut maps = 0;
    for case in &cases {
        let (read, walked) = both_ways(&case.bytes);
        assert_eq!(read, walked, "{}", case.name);
        if matches!(walked, Ok((Some(_), _, _))) {
            maps += 1;
        }
        // Truncations are many; a stride keeps this quick while still cutting inside
        // every kind of value.
        for cut in (0..case.bytes.len()).step_by(7) {
            let (read, walked) = both_ways(&case.bytes[..cut]);
            assert_eq!(read, walked, "{} cut at {cut}", case.name);
        }
    }
    assert!(maps > 10, "only {maps} vectors start with a map");
}
