//! Extra golden vectors written by hessian-lite 4.0.4 (`tests/java/ExtraVectors.java`):
//! binaries and long strings at non-zero offsets of Java's 8 KiB output buffer, where
//! hessian-lite's binary chunk boundaries depend on how full the buffer is.

use std::collections::HashMap;
use std::path::PathBuf;

use dubbo_hessian2::{Deserializer, Serializer, Value};
use serde::{Deserialize, Serialize};

fn load(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors-extra")
        .join(format!("{name}.bin"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + 7) as u8).collect()
}

fn values(bytes: &[u8]) -> Vec<Value> {
    let mut de = Deserializer::new(bytes);
    let mut v = Vec::new();
    while !de.is_end() {
        v.push(de.read_value().unwrap());
    }
    v
}

fn encode(f: impl FnOnce(&mut Serializer<'_>)) -> Vec<u8> {
    let mut out = Vec::new();
    f(&mut Serializer::new(&mut out));
    out
}

const ALL: [&str; 5] = [
    "body_with_binary_arg",
    "binary_after_nearly_full_buffer",
    "binaries_at_offsets",
    "pojo_with_binary",
    "long_strings_after_data",
];

#[test]
fn extra_vectors_reencode_from_value_byte_identical() {
    for name in ALL {
        let bytes = load(name);
        let vals = values(&bytes);
        let out = encode(|s| vals.iter().for_each(|v| s.write_value(v).unwrap()));
        assert!(out == bytes, "{name}");
    }
}

#[test]
fn binary_argument_after_the_dubbo_header_is_chunked_like_java() {
    let bytes = load("body_with_binary_arg");
    let out = encode(|s| {
        for h in [
            "2.0.2",
            "org.example.UploadService",
            "0.0.0",
            "upload",
            "[B",
        ] {
            h.serialize(&mut *s).unwrap();
        }
        pattern(20000).serialize(&mut *s).unwrap();
        HashMap::<String, String>::new().serialize(&mut *s).unwrap();
    });
    assert_eq!(out, bytes);
}

#[test]
fn binary_after_a_nearly_full_java_buffer_is_chunked_like_java() {
    let bytes = load("binary_after_nearly_full_buffer");
    let out = encode(|s| {
        "x".repeat(8150).serialize(&mut *s).unwrap();
        "y".repeat(60).serialize(&mut *s).unwrap();
        pattern(20000).serialize(&mut *s).unwrap();
    });
    assert_eq!(out, bytes);
}

#[test]
fn binaries_around_the_chunk_size_at_several_offsets_match_java() {
    let bytes = load("binaries_at_offsets");
    let out = encode(|s| {
        for (k, size) in [8186, 8189, 8190, 16000, 100].into_iter().enumerate() {
            "o".repeat(37 * k + 3).serialize(&mut *s).unwrap();
            pattern(size).serialize(&mut *s).unwrap();
        }
    });
    assert_eq!(out, bytes);
}

#[test]
fn long_cjk_and_emoji_strings_after_data_match_java() {
    let bytes = load("long_strings_after_data");
    let out = encode(|s| {
        pattern(5000).serialize(&mut *s).unwrap();
        "\u{4e2d}".repeat(33000).serialize(&mut *s).unwrap();
        "ab\u{1F600}".repeat(8200).serialize(&mut *s).unwrap();
        pattern(12000).serialize(&mut *s).unwrap();
    });
    assert_eq!(out, bytes);
}

/// `ExtraVectors$Blob` in hessian-lite's field order.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "ExtraVectors$Blob")]
struct Blob {
    data: Vec<u8>,
    n: i32,
    name: String,
}

#[test]
fn pojo_holding_a_binary_matches_java_once_the_class_is_known() {
    let bytes = load("pojo_with_binary");
    let blobs = [
        Blob {
            data: pattern(9000),
            n: 1,
            name: "first".into(),
        },
        Blob {
            data: pattern(30000),
            n: 2,
            name: "second".into(),
        },
    ];
    let mut de = Deserializer::new(&bytes);
    for b in &blobs {
        assert_eq!(&Blob::deserialize(&mut de).unwrap(), b);
    }
    let typed = || encode(|s| blobs.iter().for_each(|b| b.serialize(&mut *s).unwrap()));
    // The very first serialization of a struct in a process learns its field names
    // while writing its fields (serde gives no names up front), so its class
    // definition is inserted afterwards and binary chunks inside that one instance
    // may be cut differently from Java's (valid Hessian, same values). From then on
    // the definition is written first and the bytes are Java's.
    let first = typed();
    assert_eq!(values(&first), values(&bytes));
    assert_eq!(typed(), bytes);
}
