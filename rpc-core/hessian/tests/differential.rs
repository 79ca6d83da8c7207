//! Differential test against `hessian_rs` (GPL, dev-dependency only): on every vector
//! our decoder and hessian_rs agree on every scalar hessian_rs decodes.
//!
//! hessian_rs turns objects into typed maps keyed by field name and keeps maps in a
//! `HashMap`, so containers are matched by key; references are compared as indexes.
//! It rejects Java's CESU-8 surrogate pairs (`str_emoji*`), so those cases are
//! counted as "hessian_rs failed" and must be exactly the emoji cases.

mod common;

use common::{decode_all, load, Set};
use dubbo_hessian2::Value;
use hessian_rs::value::{List as HList, Map as HMap};
use hessian_rs::Value as H;

/// Compares `ours` with `theirs`, counting compared scalars; `Err` on disagreement.
fn agree(ours: &Value, theirs: &H, n: &mut usize, path: &str) -> Result<(), String> {
    let scalar = |ok: bool, n: &mut usize| {
        *n += 1;
        if ok {
            Ok(())
        } else {
            Err(format!("{path}: ours {ours:?} theirs {theirs:?}"))
        }
    };
    match (ours, theirs) {
        (Value::Null, H::Null) => scalar(true, n),
        (Value::Bool(a), H::Bool(b)) => scalar(a == b, n),
        (Value::Int(a), H::Int(b)) => scalar(a == b, n),
        (Value::Long(a), H::Long(b)) => scalar(a == b, n),
        (Value::Double(a), H::Double(b)) => scalar(a.to_bits() == b.to_bits(), n),
        (Value::Date(a), H::Date(b)) => scalar(a == b, n),
        (Value::String(a), H::String(b)) => scalar(a == b, n),
        (Value::Binary(a), H::Bytes(b)) => scalar(a == b, n),
        (Value::Ref(a), H::Ref(b)) => scalar(a == b, n),
        (Value::List { ty, items }, H::List(l)) => {
            let (tty, titems) = match l {
                HList::Typed(t, v) => (Some(t.as_str()), v),
                HList::Untyped(v) => (None, v),
            };
            if ty.as_deref() != tty || items.len() != titems.len() {
                return Err(format!(
                    "{path}: list {ty:?}/{} vs {tty:?}/{}",
                    items.len(),
                    titems.len()
                ));
            }
            for (i, (a, b)) in items.iter().zip(titems).enumerate() {
                agree(a, b, n, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Map { ty, entries }, H::Map(m)) => {
            let (tty, tm) = match m {
                HMap::Typed(t, m) => (Some(t.as_str()), m),
                HMap::Untyped(m) => (None, m),
            };
            if ty.as_deref() != tty || entries.len() != tm.len() {
                return Err(format!("{path}: map {ty:?} vs {tty:?}"));
            }
            for (k, v) in entries {
                let key = to_h(k).ok_or_else(|| format!("{path}: non-scalar key"))?;
                let tv = tm
                    .get(&key)
                    .ok_or_else(|| format!("{path}: hessian_rs lacks key {k:?}"))?;
                agree(v, tv, n, &format!("{path}[{k:?}]"))?;
            }
            Ok(())
        }
        (Value::Object { class, fields }, H::Map(HMap::Typed(t, tm))) => {
            if class != t || fields.len() != tm.len() {
                return Err(format!("{path}: object {class} vs {t}"));
            }
            for (name, v) in fields {
                let tv = tm
                    .get(&H::String(name.clone()))
                    .ok_or_else(|| format!("{path}: hessian_rs lacks field {name}"))?;
                agree(v, tv, n, &format!("{path}.{name}"))?;
            }
            Ok(())
        }
        _ => Err(format!(
            "{path}: shape differs: ours {ours:?} theirs {theirs:?}"
        )),
    }
}

fn to_h(v: &Value) -> Option<H> {
    Some(match v {
        Value::Null => H::Null,
        Value::Bool(b) => H::Bool(*b),
        Value::Int(i) => H::Int(*i),
        Value::Long(l) => H::Long(*l),
        Value::String(s) => H::String(s.clone()),
        _ => return None,
    })
}

fn differential(set: Set) -> (usize, usize, Vec<String>) {
    let mut agreed_cases = 0;
    let mut scalars = 0;
    let mut theirs_failed = Vec::new();
    let mut failures = Vec::new();
    for case in load(set) {
        let ours = decode_all(&case);
        let mut de = hessian_rs::de::Deserializer::new(&case.bytes);
        let theirs: Result<Vec<H>, _> = (0..case.values).map(|_| de.read_value()).collect();
        let Ok(theirs) = theirs else {
            theirs_failed.push(case.name.clone());
            continue;
        };
        let mut n = 0;
        let r = ours
            .iter()
            .zip(&theirs)
            .enumerate()
            .try_for_each(|(i, (a, b))| agree(a, b, &mut n, &format!("value{i}")));
        match r {
            Ok(()) => {
                agreed_cases += 1;
                scalars += n;
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{set:?} disagreements:\n{}",
        failures.join("\n")
    );
    (agreed_cases, scalars, theirs_failed)
}

#[test]
fn caucho_vectors_agree_with_hessian_rs() {
    let (cases, scalars, failed) = differential(Set::Caucho);
    println!("caucho: {cases} cases agree ({scalars} scalars); hessian_rs failed on {failed:?}");
    assert_eq!(
        failed,
        ["str_emoji", "str_emoji_mixed", "str_emoji_chunk_edge"]
    );
    assert_eq!(cases, 145);
}

#[test]
fn hessian_lite_vectors_agree_with_hessian_rs() {
    let (cases, scalars, failed) = differential(Set::Lite);
    println!("lite: {cases} cases agree ({scalars} scalars); hessian_rs failed on {failed:?}");
    assert_eq!(
        failed,
        ["str_emoji", "str_emoji_mixed", "str_emoji_chunk_edge"]
    );
    assert_eq!(cases, 146);
}

/// hessian_rs reads what we write for the values it handles (a sanity check of our
/// encoder against an independent decoder).
#[test]
fn hessian_rs_decodes_our_reencoded_bytes_identically() {
    for set in [Set::Caucho, Set::Lite] {
        for case in load(set) {
            if case.name.starts_with("str_emoji") {
                continue;
            }
            let ours = decode_all(&case);
            let mut out = Vec::new();
            let mut ser = dubbo_hessian2::Serializer::new(&mut out);
            for v in &ours {
                ser.write_value(v).unwrap();
            }
            let mut de = hessian_rs::de::Deserializer::new(&out);
            for (i, v) in ours.iter().enumerate() {
                let t = de
                    .read_value()
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let mut n = 0;
                agree(v, &t, &mut n, &format!("value{i}")).unwrap();
            }
        }
    }
}
