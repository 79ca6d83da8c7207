//! The typed (serde) path against the golden vectors: Rust structs declaring the Java
//! class names decode Java's bytes by field name, and re-encode to hessian-lite's
//! exact bytes.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{load, Case, Set};
use dubbo_hessian2::{
    from_slice, to_vec, BigDecimal, Date, Deserializer, ErrorKind, JavaArray, LocalDateTime,
    Serializer, Value,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// `com.example.hessian.Person`, fields in the order hessian-lite writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.hessian.Person")]
struct Person {
    email: Option<String>,
    age: i32,
    name: String,
}

fn alice() -> Person {
    Person {
        email: Some("alice@example.com".into()),
        age: 30,
        name: "Alice".into(),
    }
}

fn bob() -> Person {
    Person {
        email: None,
        age: 41,
        name: "Bob".into(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.hessian.Team")]
struct Team {
    members: Vec<Person>,
    leader: Person,
    name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.hessian.Color")]
#[allow(clippy::upper_case_acronyms)]
enum Color {
    RED,
    GREEN,
    BLUE,
}

/// Declared `Short, Byte, short, byte, Float, Long, char, Date` (hessian-lite order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.hessian.Boxes")]
struct Boxes {
    d: Option<Date>,
    c: char,
    l: Option<i64>,
    f: Option<f32>,
    pb: i8,
    ps: i16,
    b: Option<i8>,
    s: Option<i16>,
}

/// `java.math.BigInteger` as JDK 17 reflects it (hessian-lite order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "java.math.BigInteger")]
#[allow(non_snake_case)]
struct BigIntegerFields {
    mag: JavaArray<i32>,
    firstNonzeroIntNumPlusTwo: i32,
    lowestSetBitPlusTwo: i32,
    bitLengthPlusOne: i32,
    bitCountPlusOne: i32,
    signum: i32,
}

macro_rules! k_classes {
    ($($k:ident $f:ident $n:literal $cls:literal),*) => {
        $(
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            #[serde(rename = $cls)]
            struct $k { $f: i32 }
        )*
        /// `List of new K0(0) .. new K16(16)`: 17 classes (more than serde's tuple impls).
        #[derive(Debug, Clone, PartialEq)]
        struct Ks($($k),*);
        impl Serialize for Ks {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let Ks($($f),*) = self;
                let mut seq = s.serialize_seq(Some(17))?;
                $(seq.serialize_element($f)?;)*
                seq.end()
            }
        }
        impl<'de> Deserialize<'de> for Ks {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = Ks;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("17 K objects")
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Ks, A::Error> {
                        Ok(Ks($(a.next_element::<$k>()?.ok_or_else(|| serde::de::Error::invalid_length($n, &self))?),*))
                    }
                }
                d.deserialize_seq(V)
            }
        }

    };
}

k_classes!(K0 k0 0 "com.example.hessian.K0", K1 k1 1 "com.example.hessian.K1", K2 k2 2 "com.example.hessian.K2", K3 k3 3 "com.example.hessian.K3", K4 k4 4 "com.example.hessian.K4", K5 k5 5 "com.example.hessian.K5", K6 k6 6 "com.example.hessian.K6", K7 k7 7 "com.example.hessian.K7", K8 k8 8 "com.example.hessian.K8", K9 k9 9 "com.example.hessian.K9", K10 k10 10 "com.example.hessian.K10", K11 k11 11 "com.example.hessian.K11", K12 k12 12 "com.example.hessian.K12", K13 k13 13 "com.example.hessian.K13", K14 k14 14 "com.example.hessian.K14", K15 k15 15 "com.example.hessian.K15", K16 k16 16 "com.example.hessian.K16");

/// A map that keeps insertion order (Java's `HashMap` iteration order in the vector).
#[derive(Debug, Clone, PartialEq)]
struct OrderedMap(Vec<(String, String)>);

impl Serialize for OrderedMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for OrderedMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<OrderedMap, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = a.next_entry()? {
                    v.push(e);
                }
                Ok(OrderedMap(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Decodes a case as `T` (one value, whole input) and re-encodes it.
fn roundtrip<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Vec<u8> {
    let v: T = from_slice(bytes).expect("typed decode");
    to_vec(&v).expect("typed encode")
}

type Codec = fn(&[u8]) -> Vec<u8>;

/// The Rust type used for each case, or why the case is excluded.
fn typed_codec(case: &Case) -> Result<Codec, &'static str> {
    let n = case.name.as_str();
    Ok(match n {
        "null" => roundtrip::<Option<i32>>,
        "bool_true" | "bool_false" => roundtrip::<bool>,
        "short_boxed" => roundtrip::<i16>,
        "byte_boxed" => roundtrip::<i8>,
        _ if n.starts_with("int_") && case.group == "int" => roundtrip::<i32>,
        _ if n.starts_with("long_") && case.group == "long" => roundtrip::<i64>,
        _ if n.starts_with("double_") && case.group == "double" => roundtrip::<f64>,
        // Java Float: decoded as f32, re-encoded with Java's Float->double rule.
        _ if n.starts_with("float_") && case.group == "double" => roundtrip::<f32>,
        _ if n.starts_with("str_") && case.group == "string" => roundtrip::<String>,
        "char_x" => roundtrip::<char>,
        "char_array" => roundtrip::<JavaArray<char>>,
        // An empty `Vec<u8>` is indistinguishable from any other empty sequence in
        // serde's data model (it is written as an empty list); `JavaArray<u8>`
        // declares Java's byte[] and is always binary.
        "bin_0" => roundtrip::<JavaArray<u8>>,
        _ if n.starts_with("bin_") && case.group == "binary" => roundtrip::<Vec<u8>>,
        _ if n.starts_with("date_") && case.group == "date" => roundtrip::<Date>,
        "list_empty" | "list_untyped_7" | "list_untyped_8" | "list_untyped_20" => roundtrip::<Vec<i32>>,
        "list_untyped_3" => roundtrip::<(i32, String, f64)>,
        "list_nested" => roundtrip::<(Vec<i32>, Vec<i32>, Vec<Vec<i32>>)>,
        "string_array" | "string_array_8" => roundtrip::<JavaArray<String>>,
        "int_array" | "int_array_empty" => roundtrip::<JavaArray<i32>>,
        "long_array" => roundtrip::<JavaArray<i64>>,
        "double_array" => roundtrip::<JavaArray<f64>>,
        "boolean_array" => roundtrip::<JavaArray<bool>>,
        "short_array" => roundtrip::<JavaArray<i16>>,
        "object_array" => roundtrip::<JavaArray<Value>>,
        "two_int_arrays" => roundtrip::<Vec<JavaArray<i32>>>,
        "map_empty" => roundtrip::<HashMap<String, i32>>,
        "pojo_person" => roundtrip::<Person>,
        "pojo_two_same_class" => roundtrip::<Vec<Person>>,
        "pojo_nested" => roundtrip::<Team>,
        "pojo_17_classes" => roundtrip::<Ks>,
        "pojo_boxes" => roundtrip::<Boxes>,
        "enum_color" => roundtrip::<Color>,
        "bigdecimal" => roundtrip::<BigDecimal>,
        "biginteger" => roundtrip::<BigIntegerFields>,
        "localdatetime" => roundtrip::<LocalDateTime>,
        "stream_two_persons" => |b| {
            let mut de = Deserializer::new(b);
            let a = Person::deserialize(&mut de).unwrap();
            let c = Person::deserialize(&mut de).unwrap();
            assert!(de.is_end());
            let mut out = Vec::new();
            let mut ser = Serializer::new(&mut out);
            a.serialize(&mut ser).unwrap();
            c.serialize(&mut ser).unwrap();
            out
        },
        "dubbo_request_body" => |b| {
            let mut de = Deserializer::new(b);
            let head: Vec<&str> = (0..6).map(|_| <&str>::deserialize(&mut de).unwrap()).collect();
            let p = Person::deserialize(&mut de).unwrap();
            let att = OrderedMap::deserialize(&mut de).unwrap();
            assert!(de.is_end());
            let mut out = Vec::new();
            let mut ser = Serializer::new(&mut out);
            for h in head {
                h.serialize(&mut ser).unwrap();
            }
            p.serialize(&mut ser).unwrap();
            att.serialize(&mut ser).unwrap();
            out
        },
        "dubbo_response_value" => |b| {
            let mut de = Deserializer::new(b);
            let flag = i32::deserialize(&mut de).unwrap();
            let p = Person::deserialize(&mut de).unwrap();
            let mut out = Vec::new();
            let mut ser = Serializer::new(&mut out);
            flag.serialize(&mut ser).unwrap();
            p.serialize(&mut ser).unwrap();
            out
        },
        "map_string_keys" | "map_int_keys" | "map_nested" | "map_short_byte_values" => {
            return Err("multi-entry HashMap: Rust's HashMap iteration order differs from Java's (Value keeps it)")
        }
        "map_treemap" | "map_linkedhashmap" | "linkedlist" | "treeset" => {
            return Err("typed Java collection (M/V with a class name): no std Rust type carries it (Value does)")
        }
        "pojo_shared_ref" | "pojo_shared_in_team" | "enum_list" | "circular_self" | "circular_pair"
        | "circular_list" => return Err("shared/cyclic references: Rust values have no identity (Value keeps Ref)"),
        "runtime_exception" | "exception_with_cause_and_trace" => {
            return Err("Throwable's cause is a reference to itself (Value keeps it)")
        }
        _ => return Err("no typed mapping"),
    })
}

#[test]
fn typed_structs_reencode_hessian_lite_vectors_byte_identical() {
    let mut identical = Vec::new();
    let mut excluded = Vec::new();
    let mut failures = Vec::new();
    for case in load(Set::Lite) {
        match typed_codec(&case) {
            Ok(codec) => {
                let out = codec(&case.bytes);
                if out == case.bytes {
                    identical.push(case.name.clone());
                } else {
                    failures.push(format!(
                        "{}: ours {:02x?}",
                        case.name,
                        &out[..out.len().min(40)]
                    ));
                }
            }
            Err(why) => excluded.push((case.name.clone(), why)),
        }
    }
    println!(
        "typed re-encode: {} byte-identical, {} excluded:",
        identical.len(),
        excluded.len()
    );
    for (n, why) in &excluded {
        println!("  {n}: {why}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        !excluded.iter().any(|(_, w)| *w == "no typed mapping"),
        "{excluded:?}"
    );
    assert_eq!(identical.len() + excluded.len(), 149);
    assert_eq!(excluded.len(), 16);
}

#[test]
fn person_decodes_by_field_name_from_both_field_orders() {
    for set in [Set::Caucho, Set::Lite] {
        let case = load(set)
            .into_iter()
            .find(|c| c.name == "pojo_person")
            .unwrap();
        let p: Person = from_slice(&case.bytes).unwrap();
        assert_eq!(p, alice(), "{set:?}");
    }
}

#[test]
fn nested_pojos_decode_typed_from_both_sets() {
    for set in [Set::Caucho, Set::Lite] {
        let case = load(set)
            .into_iter()
            .find(|c| c.name == "pojo_nested")
            .unwrap();
        let t: Team = from_slice(&case.bytes).unwrap();
        assert_eq!(t.name, "core");
        assert_eq!(t.leader, alice());
        assert_eq!(
            t.members,
            vec![
                bob(),
                Person {
                    email: Some("c@x".into()),
                    age: 25,
                    name: "Carol".into()
                }
            ]
        );
    }
}

#[test]
fn shared_reference_decodes_typed_by_replaying_the_referenced_object() {
    for set in [Set::Caucho, Set::Lite] {
        let c = load(set)
            .into_iter()
            .find(|c| c.name == "pojo_shared_ref")
            .unwrap();
        let v: Vec<Person> = from_slice(&c.bytes).unwrap();
        assert_eq!(v, vec![alice(), alice()]);
        let c = load(set)
            .into_iter()
            .find(|c| c.name == "pojo_shared_in_team")
            .unwrap();
        let t: Team = from_slice(&c.bytes).unwrap();
        assert_eq!((t.leader, t.members), (alice(), vec![alice()]));
        let c = load(set)
            .into_iter()
            .find(|c| c.name == "enum_list")
            .unwrap();
        let v: Vec<Color> = from_slice(&c.bytes).unwrap();
        assert_eq!(v, vec![Color::RED, Color::GREEN, Color::RED]);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename = "com.example.hessian.Node")]
#[allow(dead_code)]
struct Node {
    value: i32,
    next: Option<Box<Node>>,
}

#[test]
fn cycle_into_typed_value_is_an_error_with_offset_not_a_hang() {
    for name in ["circular_self", "circular_pair"] {
        let c = load(Set::Lite)
            .into_iter()
            .find(|c| c.name == name)
            .unwrap();
        let e = from_slice::<Node>(&c.bytes).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Unsupported(_)), "{e}");
        assert!(e.offset() < c.bytes.len());
    }
}

/// rpc-core's view of a Java exception: `cause` (a self-reference) is skipped.
#[derive(Debug, Deserialize)]
struct Throwable {
    #[serde(rename = "detailMessage")]
    detail_message: Option<String>,
    #[serde(rename = "stackTrace", default)]
    stack_trace: Vec<StackTraceElement>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct StackTraceElement {
    declaring_class: String,
    method_name: String,
    file_name: Option<String>,
    line_number: i32,
}

#[test]
fn exception_decodes_typed_skipping_its_self_referencing_cause() {
    for set in [Set::Caucho, Set::Lite] {
        let c = load(set)
            .into_iter()
            .find(|c| c.name == "exception_with_cause_and_trace")
            .unwrap();
        let t: Throwable = from_slice(&c.bytes).unwrap();
        assert_eq!(t.detail_message.as_deref(), Some("outer"));
        assert_eq!(
            t.stack_trace,
            vec![StackTraceElement {
                declaring_class: "com.example.Svc".into(),
                method_name: "call".into(),
                file_name: Some("Svc.java".into()),
                line_number: 42
            }]
        );
    }
}

#[test]
fn boxes_decode_short_byte_float_char_date_fields() {
    let c = load(Set::Lite)
        .into_iter()
        .find(|c| c.name == "pojo_boxes")
        .unwrap();
    let b: Boxes = from_slice(&c.bytes).unwrap();
    assert_eq!(
        b,
        Boxes {
            d: Some(Date(894621060000)),
            c: 'q',
            l: Some(5),
            f: Some(2.5),
            pb: -1,
            ps: 12,
            b: Some(7),
            s: Some(-300)
        }
    );
}

#[test]
fn localdatetime_and_bigdecimal_decode_from_hessian_lite_handles() {
    let all = load(Set::Lite);
    let c = all.iter().find(|c| c.name == "localdatetime").unwrap();
    let t: LocalDateTime = from_slice(&c.bytes).unwrap();
    assert_eq!(
        t,
        LocalDateTime {
            year: 2024,
            month: 2,
            day: 29,
            hour: 13,
            minute: 45,
            second: 30,
            nano: 123456789
        }
    );
    let c = all.iter().find(|c| c.name == "bigdecimal").unwrap();
    assert_eq!(
        from_slice::<BigDecimal>(&c.bytes).unwrap(),
        BigDecimal("123.4500".into())
    );
}

#[test]
fn borrowed_str_and_bytes_point_into_the_input() {
    let body = to_vec(&("hello", serde_bytes_like(b"abc"))).unwrap();
    let (s, b): (&str, &[u8]) = from_slice(&body).unwrap();
    assert_eq!((s, b), ("hello", &b"abc"[..]));
    let range = body.as_ptr_range();
    assert!(range.contains(&s.as_ptr()) && range.contains(&b.as_ptr()));
}

/// A `&[u8]` that serializes with `serialize_bytes`.
fn serde_bytes_like(b: &[u8]) -> JavaArray<u8> {
    JavaArray(b.to_vec())
}

// ---- typed decode leniency -----------------------------------------------------

#[derive(Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename = "org.example.User")]
struct User {
    name: String,
    age: i32,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[test]
fn struct_skips_unknown_fields_and_defaults_missing_ones() {
    let body = to_vec(&Value::Object {
        class: "org.example.Admin".into(),
        fields: vec![
            (
                "extra".into(),
                Value::List {
                    ty: None,
                    items: vec![Value::Int(1)],
                },
            ),
            ("age".into(), Value::Int(7)),
            ("name".into(), Value::String("x".into())),
            ("more".into(), Value::Null),
        ],
    })
    .unwrap();
    let u: User = from_slice(&body).unwrap();
    assert_eq!(
        u,
        User {
            name: "x".into(),
            age: 7,
            tags: None
        }
    );
}

#[test]
fn struct_decodes_from_untyped_and_typed_maps() {
    let mut m = BTreeMap::new();
    m.insert("name", Value::String("m".into()));
    m.insert("age", Value::Int(3));
    let body = to_vec(&m).unwrap();
    assert_eq!(
        from_slice::<User>(&body).unwrap(),
        User {
            name: "m".into(),
            age: 3,
            tags: None
        }
    );
    let typed = Value::Map {
        ty: Some("org.example.User".into()),
        entries: vec![
            (Value::String("age".into()), Value::Long(4)),
            (Value::String("name".into()), Value::String("t".into())),
        ],
    };
    assert_eq!(
        from_slice::<User>(&to_vec(&typed).unwrap()).unwrap(),
        User {
            name: "t".into(),
            age: 4,
            tags: None
        }
    );
}

#[test]
fn enum_decodes_from_plain_string_and_encodes_as_java_enum_object() {
    assert_eq!(
        from_slice::<Color>(&to_vec("BLUE").unwrap()).unwrap(),
        Color::BLUE
    );
    let bytes = to_vec(&Color::GREEN).unwrap();
    let v = from_slice::<Value>(&bytes).unwrap();
    assert_eq!(v.class_name(), Some("com.example.hessian.Color"));
    assert_eq!(v.field("name").and_then(Value::as_str), Some("GREEN"));
}

#[test]
fn integers_decode_from_any_lossless_numeric_form() {
    assert_eq!(from_slice::<i64>(&to_vec(&5i32).unwrap()).unwrap(), 5);
    assert_eq!(from_slice::<i32>(&to_vec(&5i64).unwrap()).unwrap(), 5);
    assert_eq!(from_slice::<u8>(&to_vec(&200i32).unwrap()).unwrap(), 200);
    assert_eq!(
        from_slice::<i16>(&to_vec(&-300.0f64).unwrap()).unwrap(),
        -300
    );
    assert!(from_slice::<i32>(&to_vec(&1.5f64).unwrap()).is_err());
    assert!(from_slice::<i8>(&to_vec(&300i32).unwrap()).is_err());
    assert!(from_slice::<i32>(&to_vec(&(1i64 << 40)).unwrap()).is_err());
    assert!(from_slice::<u32>(&to_vec(&-1i32).unwrap()).is_err());
    assert_eq!(from_slice::<f64>(&to_vec(&7i32).unwrap()).unwrap(), 7.0);
}

#[test]
fn u64_above_i64_max_fails_to_encode() {
    let e = to_vec(&u64::MAX).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::NumberOutOfRange);
    assert_eq!(
        to_vec(&(i64::MAX as u64)).unwrap(),
        to_vec(&i64::MAX).unwrap()
    );
}

#[test]
fn vec_u8_is_binary_and_decodes_from_binary_or_int_list() {
    let bytes = to_vec(&vec![1u8, 2, 3]).unwrap();
    assert_eq!(bytes, [0x23, 1, 2, 3]);
    assert_eq!(from_slice::<Vec<u8>>(&bytes).unwrap(), vec![1, 2, 3]);
    let list = to_vec(&vec![1i32, 2, 300]).unwrap();
    assert!(from_slice::<Vec<u8>>(&list).is_err());
    let list = to_vec(&vec![1i32, 2, 3]).unwrap();
    assert_eq!(from_slice::<Vec<u8>>(&list).unwrap(), vec![1, 2, 3]);
}

#[test]
fn vec_of_option_u8_falls_back_to_a_list() {
    let v = vec![Some(1u8), None, Some(3)];
    let bytes = to_vec(&v).unwrap();
    assert_eq!(bytes, [0x7b, 0x91, b'N', 0x93]);
    assert_eq!(from_slice::<Vec<Option<u8>>>(&bytes).unwrap(), v);
}

#[test]
fn unit_and_none_are_null() {
    assert_eq!(to_vec(&()).unwrap(), b"N");
    assert_eq!(to_vec(&None::<String>).unwrap(), b"N");
    assert_eq!(from_slice::<Option<String>>(b"N").unwrap(), None);
    from_slice::<()>(b"N").unwrap();
}

#[test]
fn null_collection_decodes_as_empty() {
    assert_eq!(
        from_slice::<Vec<String>>(b"N").unwrap(),
        Vec::<String>::new()
    );
    assert!(from_slice::<HashMap<String, i32>>(b"N").unwrap().is_empty());
}

#[test]
fn f32_is_sent_as_javas_string_parsed_double() {
    assert_eq!(to_vec(&0.1f32).unwrap(), to_vec(&0.1f64).unwrap());
    assert_eq!(
        to_vec(&f32::MAX).unwrap()[1..],
        3.4028235e38f64.to_bits().to_be_bytes()
    );
    assert_eq!(
        from_slice::<f32>(&to_vec(&0.1f32).unwrap()).unwrap(),
        0.1f32
    );
    assert!(from_slice::<f32>(&to_vec(&f32::NAN).unwrap())
        .unwrap()
        .is_nan());
}

#[test]
fn non_unit_enum_variants_use_a_single_entry_map() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum E {
        A(i32),
        B { x: String },
        C(i32, i32),
        D,
    }
    for e in [E::A(5), E::B { x: "y".into() }, E::C(1, 2), E::D] {
        let bytes = to_vec(&e).unwrap();
        assert_eq!(from_slice::<E>(&bytes).unwrap(), e);
    }
}

#[test]
fn struct_with_skipped_field_writes_null_to_keep_one_class_definition() {
    #[derive(Serialize)]
    #[serde(rename = "a.B")]
    struct B {
        #[serde(skip_serializing_if = "Option::is_none")]
        x: Option<i32>,
        y: i32,
    }
    let bytes = to_vec(&vec![B { x: None, y: 1 }, B { x: Some(2), y: 3 }]).unwrap();
    let v: Value = from_slice(&bytes).unwrap();
    let items = v.as_list().unwrap();
    assert_eq!(items[0].field("x"), Some(&Value::Null));
    assert_eq!(items[1].field("x"), Some(&Value::Int(2)));
    // One class definition for both instances.
    assert_eq!(bytes.iter().filter(|&&b| b == b'C').count(), 1);
}

#[test]
fn two_rust_types_with_one_java_name_get_two_class_definitions() {
    #[derive(Serialize)]
    #[serde(rename = "a.Same")]
    struct One {
        p: i32,
    }
    #[derive(Serialize)]
    #[serde(rename = "a.Same")]
    struct Two {
        q: i32,
    }
    let mut out = Vec::new();
    let mut ser = Serializer::new(&mut out);
    One { p: 1 }.serialize(&mut ser).unwrap();
    Two { q: 2 }.serialize(&mut ser).unwrap();
    let mut de = Deserializer::new(&out);
    assert_eq!(de.read_value().unwrap().field("p"), Some(&Value::Int(1)));
    assert_eq!(de.read_value().unwrap().field("q"), Some(&Value::Int(2)));
}

#[test]
fn recursive_struct_reuses_its_class_definition_like_java() {
    #[derive(Serialize)]
    #[serde(rename = "com.example.hessian.Node")]
    struct N {
        next: Option<Box<N>>,
        value: i32,
    }
    let n = N {
        next: Some(Box::new(N {
            next: None,
            value: 2,
        })),
        value: 1,
    };
    let bytes = to_vec(&n).unwrap();
    // C Node [next, value] 0x60 (0x60 N 0x92) 0x91
    let mut want = vec![b'C', 0x18];
    want.extend_from_slice(b"com.example.hessian.Node");
    want.extend_from_slice(&[0x92, 0x04]);
    want.extend_from_slice(b"next");
    want.push(0x05);
    want.extend_from_slice(b"value");
    want.extend_from_slice(&[0x60, 0x60, b'N', 0x92, 0x91]);
    assert_eq!(bytes, want);
}

#[test]
fn encoder_state_resumes_a_body_with_its_class_table() {
    let mut out = Vec::new();
    let mut ser = Serializer::new(&mut out);
    alice().serialize(&mut ser).unwrap();
    let state = ser.into_state();
    let first = out.len();
    let mut tail = Vec::new();
    let mut ser = Serializer::resume(&mut tail, state);
    bob().serialize(&mut ser).unwrap();
    assert_eq!(tail[0], 0x60, "second instance reuses the class definition");
    out.extend_from_slice(&tail);
    let c = load(Set::Lite)
        .into_iter()
        .find(|c| c.name == "stream_two_persons")
        .unwrap();
    assert_eq!(out, c.bytes);
    assert!(first < out.len());
}

#[test]
fn a_wrong_schema_hint_from_another_type_with_the_same_java_name_is_repaired() {
    #[derive(Serialize)]
    #[serde(rename = "a.Hint")]
    struct V1 {
        p: i32,
    }
    #[derive(Serialize)]
    #[serde(rename = "a.Hint")]
    struct V2 {
        inner: Person,
        q: i32,
    }
    let first = to_vec(&V1 { p: 1 }).unwrap();
    // The process now expects a.Hint to have [p]; V2 has [inner, q] and a nested class.
    let v2 = to_vec(&V2 {
        inner: alice(),
        q: 2,
    })
    .unwrap();
    let v: Value = from_slice(&v2).unwrap();
    assert_eq!(v.field("q"), Some(&Value::Int(2)));
    assert_eq!(
        from_slice::<Person>(&to_vec(v.field("inner").unwrap()).unwrap()).unwrap(),
        alice()
    );
    // And back again.
    assert_eq!(to_vec(&V1 { p: 1 }).unwrap(), first);
    let v: Value = from_slice(&to_vec(&vec![V1 { p: 3 }, V1 { p: 4 }]).unwrap()).unwrap();
    assert_eq!(v.as_list().unwrap()[1].field("p"), Some(&Value::Int(4)));
}

#[test]
fn resuming_with_a_fresh_buffer_and_a_nearly_full_java_buffer_is_fine() {
    // Fill Java's emulated 8 KiB buffer almost completely, then continue the body in
    // a new, empty Vec (the caller moved the first part elsewhere).
    let mut first = Vec::new();
    let mut ser = Serializer::new(&mut first);
    "x".repeat(8150).serialize(&mut ser).unwrap();
    let state = ser.into_state();
    let mut rest = Vec::new();
    let mut ser = Serializer::resume(&mut rest, state);
    "y".repeat(60).serialize(&mut ser).unwrap();
    vec![9u8; 20_000].serialize(&mut ser).unwrap();
    first.extend_from_slice(&rest);
    // Same bytes as writing everything in one go.
    let mut whole = Vec::new();
    let mut ser = Serializer::new(&mut whole);
    "x".repeat(8150).serialize(&mut ser).unwrap();
    "y".repeat(60).serialize(&mut ser).unwrap();
    vec![9u8; 20_000].serialize(&mut ser).unwrap();
    assert_eq!(first, whole);
}
