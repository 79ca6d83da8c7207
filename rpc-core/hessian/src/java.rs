//! Java type descriptors and Java-specific Rust types.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Visitor};
use serde::ser::{self, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::tag::{DATE_TOKEN, LIST_TOKEN};
use crate::value::ListRepr;

/// Maps a Rust type to the Java type it is declared as (JVM descriptor form).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no Java type",
    note = "derive it: #[derive(JavaType)] with #[serde(rename = \"org.example.Class\")], or declare the method's types with #[dubbo(parameter_types = \"...\")]"
)]
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

/// Converts one JVM field descriptor to `Class.getName()` form, as generic
/// `$invoke` calls name parameter types: `"I"` -> `"int"`,
/// `"Ljava/lang/String;"` -> `"java.lang.String"`, `"[B"` -> `"[B"`,
/// `"[Ljava/lang/String;"` -> `"[Ljava.lang.String;"`.
pub fn descriptor_to_class_name(desc: &str) -> String {
    let primitive = match desc {
        "Z" => "boolean",
        "B" => "byte",
        "C" => "char",
        "S" => "short",
        "I" => "int",
        "J" => "long",
        "F" => "float",
        "D" => "double",
        "V" => "void",
        _ => "",
    };
    if !primitive.is_empty() {
        primitive.to_owned()
    } else if desc.starts_with('[') {
        desc.replace('/', ".")
    } else if let Some(inner) = desc.strip_prefix('L').and_then(|d| d.strip_suffix(';')) {
        inner.replace('/', ".")
    } else {
        desc.to_owned()
    }
}

/// The Hessian list type hessian-lite writes for a Java array whose element type
/// has descriptor `elem`: `"I"` -> `"[int"`, `"Ljava/lang/String;"` -> `"[string"`,
/// `"Ljava/lang/Object;"` -> `"[object"`, `"Ljava/util/Date;"` -> `"[date"`,
/// `"Lcom/acme/Foo;"` -> `"[com.acme.Foo"` (hessian-lite's `ArraySerializer`).
pub fn array_type_name(elem: &str) -> String {
    let name = match elem {
        "Z" => "boolean".to_owned(),
        "B" => "byte".to_owned(),
        "C" => "char".to_owned(),
        "S" => "short".to_owned(),
        "I" => "int".to_owned(),
        "J" => "long".to_owned(),
        "F" => "float".to_owned(),
        "D" => "double".to_owned(),
        "Ljava/lang/String;" => "string".to_owned(),
        "Ljava/lang/Object;" => "object".to_owned(),
        "Ljava/util/Date;" => "date".to_owned(),
        _ => match elem.strip_prefix('[') {
            Some(inner) => array_type_name(inner),
            None => descriptor_to_class_name(elem),
        },
    };
    format!("[{name}")
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

// ---- serde ----------------------------------------------------------------------

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(DATE_TOKEN, &self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a java.util.Date")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Date, E> {
                Ok(Date(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Date, E> {
                i64::try_from(v)
                    .map(Date)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Date, D::Error> {
                i64::deserialize(d).map(Date)
            }
        }
        d.deserialize_newtype_struct(DATE_TOKEN, V)
    }
}

const BIG_DECIMAL: &str = "java.math.BigDecimal";

impl Serialize for BigDecimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct(BIG_DECIMAL, 1)?;
        st.serialize_field("value", &self.0)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for BigDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BigDecimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a java.math.BigDecimal {value}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BigDecimal, E> {
                Ok(BigDecimal(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<BigDecimal, E> {
                Ok(BigDecimal(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<BigDecimal, E> {
                Ok(BigDecimal(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<BigDecimal, A::Error> {
                let mut value = None;
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if k == "value" && value.is_none() {
                        value = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                value
                    .map(BigDecimal)
                    .ok_or_else(|| de::Error::missing_field("value"))
            }
        }
        d.deserialize_struct(BIG_DECIMAL, &["value"], V)
    }
}

/// hessian-lite's wire form of `LocalDateTime` (field order as hessian-lite writes).
#[derive(Serialize, Deserialize)]
#[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.LocalDateTimeHandle")]
struct LocalDateTimeHandle {
    time: LocalTimeHandle,
    date: LocalDateHandle,
}

#[derive(Serialize, Deserialize)]
#[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.LocalTimeHandle")]
struct LocalTimeHandle {
    #[serde(default)]
    nano: i32,
    #[serde(default)]
    second: i32,
    #[serde(default)]
    minute: i32,
    #[serde(default)]
    hour: i32,
}

#[derive(Serialize, Deserialize)]
#[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.LocalDateHandle")]
struct LocalDateHandle {
    day: i32,
    month: i32,
    year: i32,
}

impl Serialize for LocalDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LocalDateTimeHandle {
            time: LocalTimeHandle {
                nano: self.nano as i32,
                second: i32::from(self.second),
                minute: i32::from(self.minute),
                hour: i32::from(self.hour),
            },
            date: LocalDateHandle {
                day: i32::from(self.day),
                month: i32::from(self.month),
                year: self.year,
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for LocalDateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let h = LocalDateTimeHandle::deserialize(d)?;
        let t = &h.time;
        let ok = (1..=12).contains(&h.date.month)
            && (1..=31).contains(&h.date.day)
            && (0..=23).contains(&t.hour)
            && (0..=59).contains(&t.minute)
            && (0..=59).contains(&t.second)
            && (0..=999_999_999).contains(&t.nano);
        if !ok {
            return Err(de::Error::custom("LocalDateTime field out of range"));
        }
        Ok(LocalDateTime {
            year: h.date.year,
            month: h.date.month as u8,
            day: h.date.day as u8,
            hour: t.hour as u8,
            minute: t.minute as u8,
            second: t.second as u8,
            nano: t.nano as u32,
        })
    }
}

impl<T: Serialize + JavaType> Serialize for JavaArray<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let elem = T::descriptor();
        match &*elem {
            // byte[] is a Hessian binary and char[] a string, as in Java.
            "B" => {
                let mut bytes = Vec::with_capacity(self.0.len());
                for v in &self.0 {
                    bytes.push(small_int(v)? as u8);
                }
                s.serialize_bytes(&bytes)
            }
            "C" => {
                let mut text = String::with_capacity(self.0.len());
                for v in &self.0 {
                    let c = small_int(v)?;
                    text.push(
                        char::from_u32(c as u32).ok_or_else(|| ser::Error::custom("bad char"))?,
                    );
                }
                s.serialize_str(&text)
            }
            _ => {
                s.serialize_newtype_struct(LIST_TOKEN, &ListRepr(&array_type_name(&elem), &self.0))
            }
        }
    }
}

/// The integer (or char) a `byte`/`char` array element serializes to.
fn small_int<T: Serialize, E: ser::Error>(v: &T) -> Result<i64, E> {
    struct C;
    impl Serializer for C {
        type Ok = i64;
        type Error = fmt::Error;
        type SerializeSeq = ser::Impossible<i64, fmt::Error>;
        type SerializeTuple = ser::Impossible<i64, fmt::Error>;
        type SerializeTupleStruct = ser::Impossible<i64, fmt::Error>;
        type SerializeTupleVariant = ser::Impossible<i64, fmt::Error>;
        type SerializeMap = ser::Impossible<i64, fmt::Error>;
        type SerializeStruct = ser::Impossible<i64, fmt::Error>;
        type SerializeStructVariant = ser::Impossible<i64, fmt::Error>;
        fn serialize_i8(self, v: i8) -> Result<i64, fmt::Error> {
            Ok(i64::from(v))
        }
        fn serialize_u8(self, v: u8) -> Result<i64, fmt::Error> {
            Ok(i64::from(v))
        }
        fn serialize_char(self, v: char) -> Result<i64, fmt::Error> {
            Ok(i64::from(u32::from(v)))
        }
        fn serialize_bool(self, _: bool) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_i16(self, _: i16) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_i32(self, _: i32) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_i64(self, _: i64) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_u16(self, _: u16) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_u32(self, _: u32) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_u64(self, _: u64) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_f32(self, _: f32) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_f64(self, _: f64) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_str(self, _: &str) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_none(self) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_some<U: ?Sized + Serialize>(self, v: &U) -> Result<i64, fmt::Error> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
        ) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_newtype_struct<U: ?Sized + Serialize>(
            self,
            _: &'static str,
            v: &U,
        ) -> Result<i64, fmt::Error> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<U: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &U,
        ) -> Result<i64, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, fmt::Error> {
            Err(fmt::Error)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, fmt::Error> {
            Err(fmt::Error)
        }
    }
    v.serialize(C)
        .map_err(|_| E::custom("byte/char array element is not a byte or char"))
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for JavaArray<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(JavaArray)
    }
}

impl<T> From<Vec<T>> for JavaArray<T> {
    fn from(v: Vec<T>) -> Self {
        JavaArray(v)
    }
}

impl From<i64> for Date {
    fn from(ms: i64) -> Self {
        Date(ms)
    }
}

impl fmt::Display for BigDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<T: JavaType + ?Sized> JavaType for Box<T> {
    fn descriptor() -> Cow<'static, str> {
        T::descriptor()
    }
    fn boxed_descriptor() -> Cow<'static, str> {
        T::boxed_descriptor()
    }
    fn vec_descriptor() -> Cow<'static, str> {
        T::vec_descriptor()
    }
}

impl<T> JavaType for std::collections::VecDeque<T> {
    fn descriptor() -> Cow<'static, str> {
        "Ljava/util/List;".into()
    }
}

/// Implements [`JavaType`] for Rust types that stand for a Java class:
/// `java_class!(User => "org.example.User", Color => "org.example.Color");`
/// gives `User::descriptor() == "Lorg/example/User;"`.
#[macro_export]
macro_rules! java_class {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl $crate::java::JavaType for $t {
            fn descriptor() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Owned(::std::format!("L{};", $name.replace('.', "/")))
            }
        }
    )*};
}
