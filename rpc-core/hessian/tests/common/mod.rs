//! Shared test helpers: the golden vectors in `tests/vectors/hessian2/` (copied from the
//! team's shared golden set, written by the reference Java libraries).
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use dubbo_hessian2::{Deserializer, Value};

/// The two vector sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// Caucho Hessian 4.0.38 (`tests/vectors/hessian2/`).
    Caucho,
    /// Dubbo hessian-lite 4.0.4 (`tests/vectors/hessian2/dubbo-hessian-lite/`): what Dubbo sends.
    Lite,
}

/// One manifest entry with its bytes.
#[derive(Debug, Clone)]
pub struct Case {
    pub set: Set,
    pub name: String,
    pub group: String,
    pub values: usize,
    pub expect: Option<serde_json::Value>,
    pub bytes: Vec<u8>,
}

/// `$HESSIAN_VECTORS_DIR`, else `tests/vectors/hessian2` in this crate.
/// A missing directory fails the test: silently skipping would hide a broken checkout.
pub fn vectors_root() -> PathBuf {
    let dir = match std::env::var_os("HESSIAN_VECTORS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/hessian2"),
    };
    assert!(
        dir.join("manifest.json").is_file(),
        "golden vectors not found at {} (set HESSIAN_VECTORS_DIR)",
        dir.display()
    );
    dir
}

/// All cases of one set, in manifest order.
pub fn load(set: Set) -> Vec<Case> {
    let mut dir = vectors_root();
    if set == Set::Lite {
        dir = dir.join("dubbo-hessian-lite");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest.json"))
            .expect("manifest is JSON");
    let cases = manifest["cases"].as_array().expect("cases array");
    let out: Vec<Case> = cases
        .iter()
        .map(|c| {
            let file = c["file"].as_str().expect("file");
            let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(
                bytes.len() as u64,
                c["bytes"].as_u64().unwrap(),
                "{file} size"
            );
            Case {
                set,
                name: c["name"].as_str().unwrap().to_owned(),
                group: c["group"].as_str().unwrap().to_owned(),
                values: c["values"].as_u64().unwrap() as usize,
                expect: c.get("expect").filter(|e| !e.is_null()).cloned(),
                bytes,
            }
        })
        .collect();
    let expected = if set == Set::Caucho { 148 } else { 149 };
    assert_eq!(out.len(), expected, "{set:?} case count");
    out
}

/// Decodes all `values` top-level values of a case with one Deserializer and checks
/// that exactly the whole input was consumed.
pub fn decode_all(case: &Case) -> Vec<Value> {
    let mut de = Deserializer::new(&case.bytes);
    let vals: Vec<Value> = (0..case.values)
        .map(|i| {
            de.read_value()
                .unwrap_or_else(|e| panic!("{:?}/{} value {i}: {e}", case.set, case.name))
        })
        .collect();
    assert!(
        de.is_end(),
        "{:?}/{}: {} bytes left",
        case.set,
        case.name,
        de.remaining()
    );
    vals
}

/// `byte[i] = (byte)(i*31+7)`, the manifest's binary pattern.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31).wrapping_add(7)) as u8)
        .collect()
}
