//! Wire forms Java's hessian-lite does not write but Hessian 2.0 allows (other peers,
//! older writers): the decoder must accept them all.

use dubbo_hessian2::{from_slice, Deserializer, Value};

fn value(bytes: &[u8]) -> Value {
    let mut de = Deserializer::new(bytes);
    let v = de.read_value().unwrap();
    assert!(de.is_end(), "{} bytes left", de.remaining());
    v
}

fn list(ty: Option<&str>, items: Vec<Value>) -> Value {
    Value::List {
        ty: ty.map(str::to_owned),
        items,
    }
}

#[test]
fn variable_length_typed_and_untyped_lists() {
    assert_eq!(
        value(&[0x55, 0x01, b't', 0x91, 0x92, b'Z']),
        list(Some("t"), vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(value(&[0x57, 0x91, b'Z']), list(None, vec![Value::Int(1)]));
    assert_eq!(
        from_slice::<Vec<i32>>(&[0x57, 0x91, 0x92, b'Z']).unwrap(),
        vec![1, 2]
    );
}

#[test]
fn long_fixed_lists_with_small_lengths() {
    assert_eq!(
        value(&[b'V', 0x01, b't', 0x91, 0x93]),
        list(Some("t"), vec![Value::Int(3)])
    );
    assert_eq!(value(&[0x58, 0x90]), list(None, vec![]));
}

#[test]
fn type_references_by_index() {
    // [ "[int"(1), type#0 (2) ]
    let bytes = [
        0x7a, 0x71, 0x04, b'[', b'i', b'n', b't', 0x91, 0x71, 0x90, 0x92,
    ];
    let v = value(&bytes);
    assert_eq!(
        v.as_list().unwrap()[1],
        list(Some("[int"), vec![Value::Int(2)])
    );
}

#[test]
fn object_with_long_form_class_index() {
    let bytes = [b'C', 0x01, b'A', 0x91, 0x01, b'x', b'O', 0x90, 0x95];
    assert_eq!(value(&bytes).field("x"), Some(&Value::Int(5)));
}

#[test]
fn typed_map_and_reference_to_a_map() {
    let bytes = [0x7a, b'M', 0x01, b'm', 0x01, b'k', 0x91, b'Z', 0x51, 0x91];
    let v = value(&bytes);
    let items = v.as_list().unwrap();
    assert_eq!(items[0].get("k"), Some(&Value::Int(1)));
    assert_eq!(items[1], Value::Ref(1));
    // Typed: the reference is decoded again.
    let typed: Vec<std::collections::HashMap<String, i32>> = from_slice(&bytes).unwrap();
    assert_eq!(typed[0], typed[1]);
}

#[test]
fn every_int_and_long_width_for_small_values() {
    for bytes in [
        &[0x95][..],
        &[0xc8, 0x05],
        &[0xd4, 0x00, 0x05],
        &[b'I', 0, 0, 0, 5],
    ] {
        assert_eq!(value(bytes), Value::Int(5));
        assert_eq!(from_slice::<i64>(bytes).unwrap(), 5);
    }
    for bytes in [
        &[0xe5][..],
        &[0xf8, 0x05],
        &[0x3c, 0x00, 0x05],
        &[0x59, 0, 0, 0, 5],
        &[b'L', 0, 0, 0, 0, 0, 0, 0, 5],
    ] {
        assert_eq!(value(bytes), Value::Long(5));
        assert_eq!(from_slice::<i32>(bytes).unwrap(), 5);
    }
}

#[test]
fn string_chunks_of_any_size_and_final_form() {
    // R(2) "ab" + compact "c"; R(1) + S(1); R(0) + 0x30 form.
    assert_eq!(
        from_slice::<String>(&[b'R', 0, 2, b'a', b'b', 0x01, b'c']).unwrap(),
        "abc"
    );
    assert_eq!(
        from_slice::<String>(&[b'R', 0, 1, b'a', b'S', 0, 1, b'b']).unwrap(),
        "ab"
    );
    assert_eq!(
        from_slice::<String>(&[b'R', 0, 0, 0x30, 0x01, b'z']).unwrap(),
        "z"
    );
    // A surrogate pair split across chunks (Java never does this; others might).
    let split = [b'R', 0, 1, 0xed, 0xa0, 0xbd, 0x01, 0xed, 0xb8, 0x80];
    assert_eq!(from_slice::<String>(&split).unwrap(), "\u{1F600}");
}

#[test]
fn binary_chunks_of_any_size_including_large_ones() {
    assert_eq!(
        from_slice::<Vec<u8>>(&[b'A', 0, 1, 7, 0x21, 8]).unwrap(),
        vec![7, 8]
    );
    // A chunk of 0x8000 bytes or more (u16 length, not i16).
    let mut big = vec![b'B', 0x90, 0x00];
    big.extend(std::iter::repeat_n(3u8, 0x9000));
    assert_eq!(from_slice::<Vec<u8>>(&big).unwrap().len(), 0x9000);
}

#[test]
fn dates_in_both_forms() {
    assert_eq!(value(&[0x4b, 0xff, 0xff, 0xff, 0xff]), Value::Date(-60000));
    assert_eq!(value(&[0x4a, 0, 0, 0, 0, 0, 0, 0, 1]), Value::Date(1));
}

#[test]
fn class_definitions_between_values_of_one_body() {
    let bytes = [
        b'C', 0x01, b'A', 0x91, 0x01, b'x', 0x60, 0x91, b'C', 0x01, b'B', 0x90, 0x61, 0x60, 0x92,
    ];
    let mut de = Deserializer::new(&bytes);
    assert_eq!(de.read_value().unwrap().field("x"), Some(&Value::Int(1)));
    assert_eq!(de.read_value().unwrap().class_name(), Some("B"));
    assert_eq!(de.read_value().unwrap().field("x"), Some(&Value::Int(2)));
    assert!(de.is_end());
}

#[test]
fn chunked_and_cesu8_class_and_field_names() {
    // Class name "Ab" in two chunks; field name "x\u{1F600}" in CESU-8 (not borrowable).
    let bytes = [
        b'C', b'R', 0, 1, b'A', 0x01, b'b', 0x91, 0x03, b'x', 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80,
        0x60, 0x91,
    ];
    let v = value(&bytes);
    assert_eq!(v.class_name(), Some("Ab"));
    assert_eq!(v.field("x\u{1F600}"), Some(&Value::Int(1)));
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(rename = "x\u{1F600}")]
        x: i32,
    }
    assert_eq!(from_slice::<T>(&bytes).unwrap().x, 1);
}
