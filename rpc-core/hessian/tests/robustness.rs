//! Malformed input: every truncation and thousands of random mutations of every
//! vector, and 10 000-deep nesting, must give `Err` with a byte offset inside the
//! input, never a panic or a stack overflow. (Allocation bounds are checked by the
//! huge-length cases below; the workspace forbids the `unsafe` a counting global
//! allocator would need.)

mod common;

use common::{load, Case, Set};
use dubbo_hessian2::{from_slice, Deserializer, ErrorKind, Limits, Value};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::de::IgnoredAny;
use serde::Deserialize;

fn check_err(input: &[u8], e: &dubbo_hessian2::Error) {
    assert!(
        e.offset() <= input.len(),
        "offset {} beyond input {}: {e}",
        e.offset(),
        input.len()
    );
    let text = e.to_string();
    assert!(
        text.starts_with("hessian: ") && text.contains(" at byte "),
        "{text}"
    );
}

/// Reads values with `read_value` and, independently, skips them with `skip_value`;
/// both must stop at the same place. Returns how many values `read_value` decoded.
fn exercise_fast(input: &[u8], values: usize) -> usize {
    let mut de = Deserializer::new(input);
    let mut read = 0;
    let mut read_end = None;
    while read < values + 1 && !de.is_end() {
        match de.read_value() {
            Ok(_) => read += 1,
            Err(e) => {
                check_err(input, &e);
                read_end = Some(e.offset());
                break;
            }
        }
    }
    let mut de = Deserializer::new(input);
    let mut skipped = 0;
    while skipped < values + 1 && !de.is_end() {
        match de.skip_value() {
            Ok(()) => skipped += 1,
            Err(e) => {
                check_err(input, &e);
                assert_eq!(
                    Some(e.offset()),
                    read_end,
                    "skip and read fail at different offsets"
                );
                break;
            }
        }
    }
    assert_eq!(
        read, skipped,
        "skip_value and read_value disagree on {input:02x?}"
    );
    read
}

/// `exercise_fast` plus the serde paths (`deserialize_any` all the way down, and
/// `IgnoredAny`).
fn exercise(input: &[u8], values: usize) -> usize {
    let read = exercise_fast(input, values);
    let mut de = Deserializer::new(input);
    while !de.is_end() {
        if let Err(e) = Serde::deserialize(&mut de) {
            check_err(input, &e);
            break;
        }
    }
    if let Err(e) = from_slice::<IgnoredAny>(input) {
        check_err(input, &e);
    }
    read
}

/// A generic serde consumer (deserialize_any all the way down, as serde_json's
/// Value or an untagged enum would do).
#[derive(Debug)]
enum Serde {
    Unit,
    Int,
    Float,
    Str,
    Bytes,
    Seq,
    Map,
}

impl<'de> Deserialize<'de> for Serde {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Serde;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("anything")
            }
            fn visit_unit<E>(self) -> Result<Serde, E> {
                Ok(Serde::Unit)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Serde, E> {
                Ok(Serde::Int)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Serde, E> {
                Ok(Serde::Int)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Serde, E> {
                Ok(Serde::Float)
            }
            fn visit_str<E>(self, _: &str) -> Result<Serde, E> {
                Ok(Serde::Str)
            }
            fn visit_bytes<E>(self, _: &[u8]) -> Result<Serde, E> {
                Ok(Serde::Bytes)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Serde, A::Error> {
                while a.next_element::<Serde>()?.is_some() {}
                Ok(Serde::Seq)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Serde, A::Error> {
                while a.next_entry::<Serde, Serde>()?.is_some() {}
                Ok(Serde::Map)
            }
        }
        d.deserialize_any(V)
    }
}

fn all_cases() -> Vec<Case> {
    let mut v = load(Set::Caucho);
    v.extend(load(Set::Lite));
    v
}

/// Every truncation of every vector, each decoded four ways (`read_value`, `skip_value`,
/// serde `deserialize_any`, `IgnoredAny`): `Err` with an offset inside the input, and
/// never all the values Java wrote. About 1.1 million prefixes; the codec is compiled
/// with optimisations in test builds (workspace `Cargo.toml`) so this takes seconds.
#[test]
fn every_truncation_of_every_vector_fails_cleanly() {
    let mut tested = 0;
    let mut vectors = 0;
    for case in all_cases() {
        vectors += 1;
        for cut in 0..case.bytes.len() {
            tested += 1;
            let read = exercise(&case.bytes[..cut], case.values);
            // A strict prefix never holds all the values Java wrote.
            assert!(
                read < case.values,
                "{}: prefix of {cut} bytes decoded",
                case.name
            );
        }
    }
    println!("{tested} truncations of {vectors} vectors decoded four ways");
    assert_eq!(vectors, 297);
    assert_eq!(tested, 1_107_282);
}

fn mutate(rng: &mut SmallRng, src: &[u8]) -> Vec<u8> {
    const INTERESTING: &[u8] = &[
        0x00, 0x1f, 0x20, 0x30, 0x34, 0x3f, 0x41, 0x42, 0x43, 0x44, 0x48, 0x49, 0x4a, 0x4b, 0x4c,
        0x4d, 0x4e, 0x4f, 0x51, 0x52, 0x53, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5f, 0x60, 0x6f,
        0x70, 0x78, 0x7f, 0x80, 0xbf, 0xc0, 0xd0, 0xd7, 0xd8, 0xed, 0xef, 0xf0, 0xff,
    ];
    let mut v = src.to_vec();
    let ops = rng.gen_range(1..=3);
    for _ in 0..ops {
        let len = v.len();
        match rng.gen_range(0..8) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                v[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if len > 0 => {
                for _ in 0..rng.gen_range(1..=4) {
                    let i = rng.gen_range(0..len);
                    v[i] = rng.gen();
                }
            }
            2 if len > 0 => {
                let i = rng.gen_range(0..len);
                v[i] = INTERESTING[rng.gen_range(0..INTERESTING.len())];
            }
            3 => {
                let i = rng.gen_range(0..=len);
                let n = rng.gen_range(1..=8);
                let ins: Vec<u8> = (0..n)
                    .map(|_| {
                        if rng.gen() {
                            rng.gen()
                        } else {
                            INTERESTING[rng.gen_range(0..INTERESTING.len())]
                        }
                    })
                    .collect();
                v.splice(i..i, ins);
            }
            4 if len > 1 => {
                let i = rng.gen_range(0..len);
                let j = (i + rng.gen_range(1..=16)).min(len);
                v.drain(i..j);
            }
            5 if len > 1 => {
                // Duplicate a slice (repeats class definitions, chunks, headers).
                let i = rng.gen_range(0..len);
                let j = (i + rng.gen_range(1..=32)).min(len);
                let s = v[i..j].to_vec();
                let at = rng.gen_range(0..=len);
                v.splice(at..at, s);
            }
            6 if len > 0 => v.truncate(rng.gen_range(0..len)),
            _ => {
                let n = rng.gen_range(1..=64);
                v = (0..n).map(|_| rng.gen()).collect();
            }
        }
    }
    v
}

#[test]
fn thousands_of_random_mutations_of_every_vector_fail_cleanly() {
    let mut rng = SmallRng::seed_from_u64(0x4865_7373_6961_6e32);
    let mut total = 0;
    let mut failed = 0;
    for case in all_cases() {
        for _ in 0..2000 {
            let input = mutate(&mut rng, &case.bytes);
            if exercise(&input, case.values) < case.values {
                failed += 1;
            }
            total += 1;
        }
    }
    println!("{total} mutations, {failed} rejected by the dynamic decoder");
    assert_eq!(total, 297 * 2000);
}

// ---- deep nesting --------------------------------------------------------------

const DEEP: usize = 10_000;

/// Runs `f` on a thread with tokio's 2 MiB worker stack: a stack overflow would
/// abort the whole test process instead of failing one test.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn expect_depth_error(input: Vec<u8>) {
    on_small_stack(move || {
        let is_depth = |e: &dubbo_hessian2::Error| {
            matches!(e.kind(), ErrorKind::DepthLimitExceeded(128)) && e.offset() < input.len()
        };
        let e = Deserializer::new(&input).read_value().unwrap_err();
        assert!(is_depth(&e), "read_value: {e}");
        let e = Deserializer::new(&input).skip_value().unwrap_err();
        assert!(is_depth(&e), "skip_value: {e}");
        let e = Serde::deserialize(&mut Deserializer::new(&input)).unwrap_err();
        assert!(is_depth(&e), "deserialize_any: {e}");
        let e = from_slice::<Value>(&input).unwrap_err();
        assert!(is_depth(&e), "Value: {e}");
    });
}

#[test]
fn ten_thousand_nested_variable_lists_hit_the_depth_limit() {
    expect_depth_error(vec![0x57; DEEP]);
}

#[test]
fn ten_thousand_nested_compact_lists_hit_the_depth_limit() {
    expect_depth_error(vec![0x79; DEEP]);
}

#[test]
fn ten_thousand_nested_typed_lists_hit_the_depth_limit() {
    let mut v = vec![0x71, 0x01, b't'];
    v.extend(std::iter::repeat_n([0x71, 0x90], DEEP).flatten());
    expect_depth_error(v);
}

#[test]
fn ten_thousand_nested_maps_hit_the_depth_limit() {
    expect_depth_error(vec![b'H'; DEEP]);
    // Maps nested as values: H 0x90 H 0x90 ...
    expect_depth_error(std::iter::repeat_n([b'H', 0x90], DEEP).flatten().collect());
}

#[test]
fn ten_thousand_nested_objects_hit_the_depth_limit() {
    // C "a" 1 "f", then 0x60 0x60 0x60 ...: each object's field is the next object.
    let mut v = vec![b'C', 0x01, b'a', 0x91, 0x01, b'f'];
    v.extend(std::iter::repeat_n(0x60, DEEP));
    expect_depth_error(v);
}

#[test]
fn ten_thousand_class_definitions_in_a_row_do_not_recurse() {
    let mut v = Vec::new();
    for _ in 0..DEEP {
        v.extend_from_slice(&[b'C', 0x01, b'a', 0x91, 0x01, b'f']);
    }
    v.extend_from_slice(&[0x60, 0x91]);
    on_small_stack(move || {
        let got = Deserializer::new(&v).read_value().unwrap();
        assert_eq!(got.field("f"), Some(&Value::Int(1)));
        Deserializer::new(&v).skip_value().unwrap();
        Serde::deserialize(&mut Deserializer::new(&v)).unwrap();
    });
}

#[test]
fn ten_thousand_chained_string_chunks_are_read_iteratively() {
    let mut v = Vec::new();
    for _ in 0..DEEP {
        v.extend_from_slice(&[b'R', 0x00, 0x01, b'x']);
    }
    v.push(0x00);
    on_small_stack(move || {
        let s: String = from_slice(&v).unwrap();
        assert_eq!(s.len(), DEEP);
        Deserializer::new(&v).skip_value().unwrap();
    });
}

#[test]
fn ten_thousand_chained_binary_chunks_are_read_iteratively() {
    let mut v = Vec::new();
    for _ in 0..DEEP {
        v.extend_from_slice(&[b'A', 0x00, 0x01, 0x07]);
    }
    v.push(0x20);
    on_small_stack(move || {
        let b: Vec<u8> = from_slice(&v).unwrap();
        assert_eq!(b.len(), DEEP);
    });
}

#[test]
fn ten_thousand_refs_are_rejected_without_recursion() {
    // A list whose items are refs to itself: fine for Value (refs are kept) ...
    let mut v = vec![0x58, 0xd4, 0x27, 0x10];
    v.extend(std::iter::repeat_n([0x51, 0x90], DEEP).flatten());
    on_small_stack(move || {
        let got = Deserializer::new(&v).read_value().unwrap();
        assert_eq!(got.as_list().unwrap().len(), DEEP);
        // ... and a cycle error for typed values, never an unbounded replay.
        let e = from_slice::<Vec<Vec<i32>>>(&v).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Unsupported(_)), "{e}");
        // Dangling refs.
        let e = Deserializer::new(&[0x51; DEEP]).read_value().unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidRef(_) | ErrorKind::UnexpectedTag { .. }
            ),
            "{e}"
        );
    });
}

#[test]
fn chained_typed_replays_are_bounded_by_the_depth_limit() {
    // list0 = [], list1 = [Q0], list2 = [Q1], ...: replaying Q(n) replays Q(n-1) ...
    let mut v = vec![0x57, 0x78];
    for i in 0..DEEP as i32 {
        v.push(0x79);
        v.push(0x51);
        v.push(b'I');
        v.extend_from_slice(&(i + 1).to_be_bytes());
    }
    v.push(b'Z');
    on_small_stack(move || {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Tree(Vec<Tree>);
        let e = from_slice::<Vec<Tree>>(&v).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DepthLimitExceeded(_)), "{e}");
    });
}

#[test]
fn nesting_up_to_the_default_limit_decodes_on_a_two_mib_stack() {
    let depth = Limits::DEFAULT_MAX_DEPTH;
    let mut v = vec![0x79; depth - 1];
    v.push(0x78);
    on_small_stack(move || {
        Deserializer::new(&v).read_value().unwrap();
        Deserializer::new(&v).skip_value().unwrap();
        Serde::deserialize(&mut Deserializer::new(&v)).unwrap();
        from_slice::<Value>(&v).unwrap();
        let mut deeper = vec![0x79];
        deeper.extend_from_slice(&v);
        let e = Deserializer::new(&deeper).read_value().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DepthLimitExceeded(_)));
    });
}

#[test]
fn configurable_depth_limit_applies() {
    let v = [0x79, 0x79, 0x79, 0x78];
    let limits = Limits { max_depth: 3 };
    let e = Deserializer::with_limits(&v, limits)
        .read_value()
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (&ErrorKind::DepthLimitExceeded(3), 3)
    );
    Deserializer::with_limits(&v, Limits { max_depth: 4 })
        .read_value()
        .unwrap();
}

// ---- specific malformed inputs -------------------------------------------------

fn err(input: &[u8]) -> dubbo_hessian2::Error {
    Deserializer::new(input).read_value().unwrap_err()
}

#[test]
fn huge_length_prefixes_fail_before_allocating() {
    for input in [
        &[0x58, b'I', 0x7f, 0xff, 0xff, 0xff][..], // list of i32::MAX items
        &[0x58, b'I', 0xff, 0xff, 0xff, 0xff][..], // negative length
        &[b'C', 0x01, b'a', b'I', 0x7f, 0xff, 0xff, 0xff][..], // i32::MAX fields
        &[b'S', 0xff, 0xff, b'a'][..],             // 65535 units, 1 byte
    ] {
        let e = err(input);
        assert!(e.offset() <= input.len());
        assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidLength(_) | ErrorKind::UnexpectedEof
            ),
            "{e}"
        );
    }
}

#[test]
fn invalid_utf8_is_an_error_never_dropped() {
    for (input, at) in [
        (&[0x03, 0x80, 0x80, 0x80][..], 1usize), // continuation bytes without a lead
        (&[0x01, 0xc3][..], 2),                  // cut multi-byte sequence (EOF)
        (&[0x01, 0xc0, 0x80][..], 1),            // overlong NUL
        (&[0x01, 0xed, 0xa0, 0xbd][..], 4),      // lone high surrogate
        (&[0x01, 0xed, 0xb8, 0x80][..], 1),      // lone low surrogate
        (&[0x01, 0xff][..], 1),                  // never valid
    ] {
        let e = err(input);
        assert!(
            matches!(e.kind(), ErrorKind::InvalidUtf8 | ErrorKind::UnexpectedEof),
            "{input:02x?}: {e}"
        );
        assert_eq!(e.offset(), at, "{input:02x?}: {e}");
    }
}

#[test]
fn standard_four_byte_utf8_is_accepted_as_two_units() {
    // Java never sends it, but other peers do; length counts UTF-16 units.
    let s: String = from_slice(&[0x02, 0xf0, 0x9f, 0x98, 0x80]).unwrap();
    assert_eq!(s, "\u{1F600}");
}

#[test]
fn bad_tags_report_their_offset() {
    let e = err(&[0x7a, 0x90, b'Z']);
    assert_eq!(e.offset(), 2);
    assert!(e.to_string().contains("at byte 2"), "{e}");
    let e = err(&[b'R', 0x00, 0x01, b'a', b'B']);
    assert_eq!(e.offset(), 4);
    let e = err(&[b'A', 0x00, 0x00, 0x90]);
    assert_eq!(e.offset(), 3);
    let e = err(&[0x61]);
    assert_eq!(e.kind(), &ErrorKind::InvalidClassRef(1));
    let e = err(&[0x71, 0x91]);
    assert_eq!(e.kind(), &ErrorKind::InvalidTypeRef(1));
    let e = err(&[b'Q', 0x8f]);
    assert_eq!(e.kind(), &ErrorKind::InvalidRef(-1));
}

#[test]
fn typed_recursion_at_the_default_limit_fits_a_two_mib_stack() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Tree(Vec<Tree>);
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Node {
        next: Option<Box<Node>>,
        items: Vec<Value>,
    }
    let depth = Limits::DEFAULT_MAX_DEPTH;
    let mut lists = vec![0x79; depth - 1];
    lists.push(0x78);
    // depth-1 objects {next, items} nested through `next`; the innermost object's
    // empty `items` list is the 128th level.
    let mut objs = vec![b'C', 0x01, b'N', 0x92, 0x04];
    objs.extend_from_slice(b"next");
    objs.extend_from_slice(&[0x05]);
    objs.extend_from_slice(b"items");
    objs.extend(std::iter::repeat_n(0x60, depth - 1));
    objs.extend_from_slice(&[b'N', 0x78]);
    objs.extend(std::iter::repeat_n(0x78, depth - 2));
    on_small_stack(move || {
        from_slice::<Tree>(&lists).unwrap();
        from_slice::<Node>(&objs).unwrap();
        from_slice::<Value>(&objs).unwrap();
    });
}
