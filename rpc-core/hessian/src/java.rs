//! Java type descriptors and Java-specific Rust types.

use std::borrow::Cow;

/// Maps a Rust type to the Java type it is declared as (JVM descriptor form).
pub trait JavaType {
    /// The JVM descriptor, e.g. `"I"`, `"Ljava/lang/String;"`, `"[B"`.
    fn descriptor() -> Cow<'static, str>;
    /// The descriptor `Option<Self>` declares (boxed type for primitives).
    fn boxed_descriptor() -> Cow<'static, str> {
        Self::descriptor()
    }
    /// The descriptor `Vec<Self>` declares.
    fn vec_descriptor() -> Cow<'static, str> {
        "Ljava/util/List;".into()
    }
}

/// Converts a JVM descriptor to `Class.getName()` form.
pub fn descriptor_to_class_name(desc: &str) -> String {
    let _ = desc;
    todo!()
}

/// `java.util.Date`: milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(pub i64);

/// `java.math.BigDecimal`, carried as its decimal string (`BigDecimal.toString()`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BigDecimal(pub String);

/// `java.time.LocalDateTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LocalDateTime {
    /// Year.
    pub year: i32,
    /// Month 1..=12.
    pub month: u8,
    /// Day of month 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=59.
    pub second: u8,
    /// Nanosecond 0..=999_999_999.
    pub nano: u32,
}

/// A typed Java array (`int[]`, `String[]`, `Foo[]`), written as a typed Hessian list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct JavaArray<T>(pub Vec<T>);

macro_rules! java_type {
    ($($t:ty => $d:expr, $boxed:expr;)*) => {$(
        impl JavaType for $t {
            fn descriptor() -> Cow<'static, str> { $d.into() }
            fn boxed_descriptor() -> Cow<'static, str> { $boxed.into() }
        }
    )*};
}

java_type! {
    bool => "Z", "Ljava/lang/Boolean;";
    i8 => "B", "Ljava/lang/Byte;";
    i16 => "S", "Ljava/lang/Short;";
    i32 => "I", "Ljava/lang/Integer;";
    i64 => "J", "Ljava/lang/Long;";
    f32 => "F", "Ljava/lang/Float;";
    f64 => "D", "Ljava/lang/Double;";
    char => "C", "Ljava/lang/Character;";
    String => "Ljava/lang/String;", "Ljava/lang/String;";
    &str => "Ljava/lang/String;", "Ljava/lang/String;";
    crate::Value => "Ljava/lang/Object;", "Ljava/lang/Object;";
    Date => "Ljava/util/Date;", "Ljava/util/Date;";
    BigDecimal => "Ljava/math/BigDecimal;", "Ljava/math/BigDecimal;";
    LocalDateTime => "Ljava/time/LocalDateTime;", "Ljava/time/LocalDateTime;";
}

impl JavaType for u8 {
    fn descriptor() -> Cow<'static, str> {
        "B".into()
    }
    fn boxed_descriptor() -> Cow<'static, str> {
        "Ljava/lang/Byte;".into()
    }
    fn vec_descriptor() -> Cow<'static, str> {
        "[B".into()
    }
}

impl<T: JavaType> JavaType for Option<T> {
    fn descriptor() -> Cow<'static, str> {
        T::boxed_descriptor()
    }
}

impl<T: JavaType> JavaType for Vec<T> {
    fn descriptor() -> Cow<'static, str> {
        T::vec_descriptor()
    }
}

impl<T: JavaType> JavaType for JavaArray<T> {
    fn descriptor() -> Cow<'static, str> {
        format!("[{}", T::descriptor()).into()
    }
}

impl<K, V, S> JavaType for std::collections::HashMap<K, V, S> {
    fn descriptor() -> Cow<'static, str> {
        "Ljava/util/Map;".into()
    }
}
impl<K, V> JavaType for std::collections::BTreeMap<K, V> {
    fn descriptor() -> Cow<'static, str> {
        "Ljava/util/Map;".into()
    }
}
impl<T, S> JavaType for std::collections::HashSet<T, S> {
    fn descriptor() -> Cow<'static, str> {
        "Ljava/util/Set;".into()
    }
}
impl<T> JavaType for std::collections::BTreeSet<T> {
    fn descriptor() -> Cow<'static, str> {
        "Ljava/util/Set;".into()
    }
}

macro_rules! stub_serde {
    ($($t:ident $(<$g:ident>)?),*) => {$(
        impl$(<$g: serde::Serialize>)? serde::Serialize for $t$(<$g>)? {
            fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> { todo!() }
        }
        impl<'de $(, $g: serde::Deserialize<'de>)?> serde::Deserialize<'de> for $t$(<$g>)? {
            fn deserialize<D: serde::Deserializer<'de>>(_d: D) -> Result<Self, D::Error> { todo!() }
        }
    )*};
}
stub_serde!(Date, BigDecimal, LocalDateTime, JavaArray<T>);
