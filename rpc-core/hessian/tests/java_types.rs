//! JVM descriptors for Rust types (used for Dubbo's parameter-type descriptor) and
//! the public API's auto traits.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use dubbo_hessian2::java::{array_type_name, descriptor_to_class_name, JavaType};
use dubbo_hessian2::{
    BigDecimal, Date, EncoderState, Error, JavaArray, Limits, LocalDateTime, Value,
};

fn d<T: JavaType + ?Sized>() -> String {
    T::descriptor().into_owned()
}

#[test]
fn primitives_map_to_jvm_descriptors() {
    assert_eq!(
        [
            d::<bool>(),
            d::<i8>(),
            d::<i16>(),
            d::<i32>(),
            d::<i64>(),
            d::<f32>(),
            d::<f64>(),
            d::<char>()
        ],
        ["Z", "B", "S", "I", "J", "F", "D", "C"]
    );
}

#[test]
fn option_declares_the_boxed_type() {
    assert_eq!(d::<Option<i32>>(), "Ljava/lang/Integer;");
    assert_eq!(d::<Option<bool>>(), "Ljava/lang/Boolean;");
    assert_eq!(d::<Option<i64>>(), "Ljava/lang/Long;");
    assert_eq!(d::<Option<String>>(), "Ljava/lang/String;");
}

#[test]
fn collections_declare_java_interfaces_and_bytes_declare_byte_array() {
    assert_eq!(d::<Vec<String>>(), "Ljava/util/List;");
    assert_eq!(d::<Vec<u8>>(), "[B");
    assert_eq!(d::<HashMap<String, i32>>(), "Ljava/util/Map;");
    assert_eq!(d::<BTreeMap<String, i32>>(), "Ljava/util/Map;");
    assert_eq!(d::<HashSet<String>>(), "Ljava/util/Set;");
    assert_eq!(d::<BTreeSet<String>>(), "Ljava/util/Set;");
}

#[test]
fn java_specific_types_and_arrays() {
    assert_eq!(d::<String>(), "Ljava/lang/String;");
    assert_eq!(d::<&str>(), "Ljava/lang/String;");
    assert_eq!(d::<Value>(), "Ljava/lang/Object;");
    assert_eq!(d::<Date>(), "Ljava/util/Date;");
    assert_eq!(d::<BigDecimal>(), "Ljava/math/BigDecimal;");
    assert_eq!(d::<LocalDateTime>(), "Ljava/time/LocalDateTime;");
    assert_eq!(d::<JavaArray<i32>>(), "[I");
    assert_eq!(d::<JavaArray<String>>(), "[Ljava/lang/String;");
    assert_eq!(d::<JavaArray<JavaArray<i64>>>(), "[[J");
}

struct User;
dubbo_hessian2::java_class!(User => "org.example.User");

#[test]
fn java_class_macro_declares_a_class_descriptor() {
    assert_eq!(d::<User>(), "Lorg/example/User;");
    assert_eq!(d::<Option<User>>(), "Lorg/example/User;");
    assert_eq!(d::<JavaArray<User>>(), "[Lorg/example/User;");
}

#[test]
fn descriptors_convert_to_class_get_name_form() {
    for (desc, name) in [
        ("I", "int"),
        ("Z", "boolean"),
        ("J", "long"),
        ("Ljava/lang/String;", "java.lang.String"),
        ("Lcom/acme/Outer$Inner;", "com.acme.Outer$Inner"),
        ("[B", "[B"),
        ("[Ljava/lang/String;", "[Ljava.lang.String;"),
        ("[[I", "[[I"),
    ] {
        assert_eq!(descriptor_to_class_name(desc), name);
    }
}

#[test]
fn array_element_descriptors_give_hessian_list_types() {
    assert_eq!(array_type_name("I"), "[int");
    assert_eq!(array_type_name("Ljava/lang/String;"), "[string");
    assert_eq!(array_type_name("Ljava/lang/Object;"), "[object");
    assert_eq!(array_type_name("Lcom/acme/Foo;"), "[com.acme.Foo");
    assert_eq!(array_type_name("[I"), "[[int");
    assert_eq!(array_type_name("Ljava/util/Date;"), "[date");
}

#[test]
fn public_types_are_send_sync_and_static() {
    fn assert<T: Send + Sync + 'static>() {}
    assert::<Error>();
    assert::<EncoderState>();
    assert::<Limits>();
    assert::<Value>();
    let e: Box<dyn std::error::Error + Send + Sync> =
        Box::new(Error::new(dubbo_hessian2::ErrorKind::UnexpectedEof, 7));
    assert_eq!(e.to_string(), "hessian: unexpected end of input at byte 7");
    assert_eq!(Limits::default().max_depth, 128);
}
