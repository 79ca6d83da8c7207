//! The deserializer slices short ASCII strings out of a run of ASCII input bytes it
//! validated once. Strings of every length, ASCII or not, at every distance from such a
//! run's start and end, read forwards and again through back-references, must decode
//! exactly as the general string reader decodes them.

use dubbo_hessian2::{Deserializer, Serializer, Value};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

fn random_string(rng: &mut SmallRng) -> String {
    let len = match rng.gen_range(0..10) {
        0 => rng.gen_range(250..1100),
        1..=3 => rng.gen_range(0..4),
        _ => rng.gen_range(0..40),
    };
    let non_ascii = rng.gen_range(0..4) == 0;
    (0..len)
        .map(|_| match rng.gen_range(0..20) {
            0 if non_ascii => 'é',
            1 if non_ascii => '中',
            2 if non_ascii => '😀',
            _ => char::from(rng.gen_range(0x00..0x80u8)),
        })
        .collect()
}

#[test]
fn strings_next_to_and_across_ascii_runs_decode_like_values() {
    let mut rng = SmallRng::seed_from_u64(0x5eed_a5c1);
    for _ in 0..300 {
        // Strings, some separated by numbers (non-ASCII tag bytes that end a run).
        let n = rng.gen_range(1..40);
        let mut items: Vec<(String, Option<i32>)> = Vec::new();
        for _ in 0..n {
            let gap = (rng.gen_range(0..3) == 0).then(|| rng.gen_range(-100_000..100_000));
            items.push((random_string(&mut rng), gap));
        }
        let mut body = Vec::new();
        let mut ser = Serializer::new(&mut body);
        for (s, gap) in &items {
            s.serialize(&mut ser).unwrap();
            if let Some(g) = gap {
                g.serialize(&mut ser).unwrap();
            }
        }
        // Owned, borrowed (where the wire form allows), dynamic and skipped.
        let mut owned = Deserializer::new(&body);
        let mut dynamic = Deserializer::new(&body);
        let mut skipped = Deserializer::new(&body);
        for (s, gap) in &items {
            assert_eq!(&String::deserialize(&mut owned).unwrap(), s);
            assert_eq!(dynamic.read_value().unwrap(), Value::String(s.clone()));
            IgnoredAny::deserialize(&mut skipped).unwrap();
            if let Some(g) = gap {
                assert_eq!(i32::deserialize(&mut owned).unwrap(), *g);
                assert_eq!(dynamic.read_value().unwrap(), Value::Int(*g));
                IgnoredAny::deserialize(&mut skipped).unwrap();
            }
            assert_eq!(owned.position(), dynamic.position());
            assert_eq!(owned.position(), skipped.position());
        }
        assert!(owned.is_end());
        // Every truncation fails cleanly.
        for cut in 0..body.len() {
            let mut de = Deserializer::new(&body[..cut]);
            let mut failed = false;
            for (_, gap) in &items {
                if String::deserialize(&mut de).is_err()
                    || (gap.is_some() && i32::deserialize(&mut de).is_err())
                {
                    failed = true;
                    break;
                }
            }
            assert!(failed, "cut at {cut} of {}", body.len());
        }
    }
}

#[test]
fn back_references_reread_strings_before_the_current_run() {
    // [list "abc", "d\u{e9}f", "ghi"], a long ASCII string, then a reference to the list:
    // the replay reads strings that lie before the run the long string was read from.
    let mut body = vec![0x7b];
    for s in ["abc", "d\u{e9}f", "ghi"] {
        s.serialize(&mut Serializer::new(&mut body)).unwrap();
    }
    let long = "z".repeat(600);
    long.serialize(&mut Serializer::new(&mut body)).unwrap();
    body.extend_from_slice(&[b'Q', 0x90]);
    let mut de = Deserializer::new(&body);
    let first = Vec::<String>::deserialize(&mut de).unwrap();
    assert_eq!(first, ["abc", "d\u{e9}f", "ghi"]);
    assert_eq!(String::deserialize(&mut de).unwrap(), long);
    assert_eq!(Vec::<String>::deserialize(&mut de).unwrap(), first);
    assert!(de.is_end());
}

#[test]
fn class_and_field_names_outside_ascii_runs_decode() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename = "org.example.Ünïcode")]
    struct Odd {
        #[serde(rename = "naïve")]
        naive: String,
        plain: i32,
        #[serde(rename = "中文")]
        cjk: Vec<String>,
    }
    let odd = Odd {
        naive: "ça va".into(),
        plain: 7,
        cjk: vec!["a".into(), "中".into()],
    };
    // Twice: the second object reuses the class definition.
    let mut body = Vec::new();
    let mut ser = Serializer::new(&mut body);
    odd.serialize(&mut ser).unwrap();
    odd.serialize(&mut ser).unwrap();
    let mut de = Deserializer::new(&body);
    assert_eq!(Odd::deserialize(&mut de).unwrap(), odd);
    assert_eq!(Odd::deserialize(&mut de).unwrap(), odd);
    assert!(de.is_end());
    let mut de = Deserializer::new(&body);
    let v = de.read_value().unwrap();
    assert_eq!(v.class_name(), Some("org.example.Ünïcode"));
    assert_eq!(v.field("中文").map(|_| ()), Some(()));
}
