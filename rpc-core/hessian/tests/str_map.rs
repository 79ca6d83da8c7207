//! `Deserializer::lookup_str_map`: the allocation-free search of a `Map<String, String>`
//! (Dubbo's attachments) must agree with `read_value` on every input: the same values,
//! the same end position, the same errors at the same offsets, and the same tables for
//! the values after it.

mod common;

use std::borrow::Cow;

use common::{load, Set};
use dubbo_hessian2::{Deserializer, Serializer, Value};
use serde::Serialize;

const N: usize = 4;
type Found = [Option<Option<String>>; N];

/// What `lookup_str_map(keys)` should find in a decoded value (`None`: not a map).
fn expected(v: &Value, keys: [&str; N]) -> Option<Found> {
    let Value::Map { entries, .. } = v else {
        return None;
    };
    Some(keys.map(|key| {
        entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v.as_str().map(str::to_owned))
    }))
}

/// Up to `N` keys to look up in the value: some string keys it has, then one it has not.
fn keys_of(input: &[u8]) -> [String; N] {
    let mut keys: Vec<String> = match Deserializer::new(input).read_value() {
        Ok(Value::Map { entries, .. }) => entries
            .iter()
            .filter_map(|(k, _)| k.as_str().map(str::to_owned))
            .take(N - 1)
            .collect(),
        _ => Vec::new(),
    };
    while keys.len() < N {
        keys.push(format!("\u{0}absent{}", keys.len()));
    }
    keys.try_into().unwrap()
}

/// The lookup result, the position after the first value, and the values after it (read
/// with `read_value`, so differing tables would show).
type Walked = (Option<Found>, usize, Vec<Result<Value, usize>>);

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

/// Reads the first value of `input` with `read_value`, and looks `keys` up in it with
/// `lookup_str_map`; either way the error offset on failure.
fn both_ways(input: &[u8], keys: [&str; N]) -> (Result<Walked, usize>, Result<Walked, usize>) {
    let mut de = Deserializer::new(input);
    let read = de
        .read_value()
        .map_err(|e| e.offset())
        .map(|v| (expected(&v, keys), de.position(), rest(&mut de)));
    let mut de = Deserializer::new(input);
    let walked = de
        .lookup_str_map(keys)
        .map_err(|e| e.offset())
        .map(|found| {
            let found = found.map(|f| f.map(|v| v.map(|v| v.map(Cow::into_owned))));
            (found, de.position(), rest(&mut de))
        });
    (read, walked)
}

/// `both_ways` with the keys of the (untruncated) value.
fn both_ways_own_keys(full: &[u8], input: &[u8]) -> (Result<Walked, usize>, Result<Walked, usize>) {
    let keys = keys_of(full);
    let keys: [&str; N] = std::array::from_fn(|i| keys[i].as_str());
    both_ways(input, keys)
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
    let found = de
        .lookup_str_map(["group", "timeout", "absent", "path"])
        .unwrap()
        .unwrap();
    assert!(de.is_end());
    assert!(matches!(&found[0], Some(Some(Cow::Borrowed("g1")))));
    assert!(matches!(&found[1], Some(Some(Cow::Borrowed("3000")))));
    assert!(found[2].is_none());
    assert!(matches!(
        &found[3],
        Some(Some(Cow::Borrowed("org.example.Greeter")))
    ));
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
    let (read, walked) = both_ways(&bytes, ["a", "b", "c", "x"]);
    assert_eq!(read, walked);
    let (found, _, rest) = walked.unwrap();
    assert_eq!(
        found.unwrap(),
        [Some(None), Some(None), Some(Some(long)), None]
    );
    assert_eq!(rest.len(), 1);
}

#[test]
fn a_value_that_is_not_a_map_is_skipped() {
    for bytes in [
        vec![b'N'],
        vec![0x91],
        b"\x03abc".to_vec(),
        vec![0x79, 0x91],
    ] {
        let mut de = Deserializer::new(&bytes);
        assert!(de.lookup_str_map(["a"]).unwrap().is_none());
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
        let (read, walked) = both_ways_own_keys(&good, &good[..cut]);
        assert!(walked.is_err(), "prefix of {cut} bytes accepted");
        assert_eq!(read, walked, "prefix of {cut} bytes");
    }
    // Bad UTF-8 in a value, an unknown tag as a key, a reference out of range.
    for bad in [
        b"H\x01a\x02\xff\xffZ".to_vec(),
        b"H\x40Z".to_vec(),
        b"H\x01aQ\x95Z".to_vec(),
    ] {
        let (read, walked) = both_ways(&bad, ["a", "b", "", "group"]);
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
        let (read, walked) = both_ways_own_keys(&case.bytes, &case.bytes);
        assert_eq!(read, walked, "{}", case.name);
        if matches!(walked, Ok((Some(_), _, _))) {
            maps += 1;
        }
        // Truncations are many; a stride keeps this quick while still cutting inside
        // every kind of value.
        for cut in (0..case.bytes.len()).step_by(7) {
            let (read, walked) = both_ways_own_keys(&case.bytes, &case.bytes[..cut]);
            assert_eq!(read, walked, "{} cut at {cut}", case.name);
        }
    }
    assert!(maps > 10, "only {maps} vectors start with a map");
}

#[test]
fn the_first_of_duplicate_keys_wins_and_non_ascii_keys_match() {
    let bytes = encode(|s| {
        Value::Map {
            ty: Some("java.util.HashMap".into()),
            entries: vec![
                (Value::String("a".into()), Value::String("1".into())),
                (Value::String("a".into()), Value::String("2".into())),
                (Value::String("clé".into()), Value::String("vâl".into())),
                (Value::String("n".into()), Value::Null),
                (Value::String("n".into()), Value::String("3".into())),
            ],
        }
        .serialize(s)
        .unwrap()
    });
    let (read, walked) = both_ways(&bytes, ["a", "clé", "n", "zz"]);
    assert_eq!(read, walked);
    assert_eq!(
        walked.unwrap().0.unwrap(),
        [
            Some(Some("1".to_owned())),
            Some(Some("vâl".to_owned())),
            Some(None),
            None
        ]
    );
}
