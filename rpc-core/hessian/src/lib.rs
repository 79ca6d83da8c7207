//! Java-exact Hessian 2.0 codec for Apache Dubbo's `dubbo://` protocol, with serde.
//!
//! Writes the bytes Dubbo's hessian-lite (`Hessian2Output`) writes and reads everything
//! it (and Caucho Hessian) sends:
//!
//! - [`Serializer`] / [`Deserializer`] stream serde data straight to and from bytes
//!   (no intermediate [`Value`] on the typed path; `&str` and `&[u8]` are borrowed from
//!   the input whenever the wire form allows it).
//! - [`Value`] is an ordered dynamic value that keeps class names, list/map types,
//!   field and key order, and back-references, so a decoded body re-encodes byte for
//!   byte. It is what unknown classes, Java exceptions and generic calls decode to.
//! - One `Serializer` (or `Deserializer`) handles one Dubbo body: class definitions,
//!   the type table and the reference table are shared by all its top-level values,
//!   exactly as in Java.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! #[serde(rename = "org.example.User")] // the Java class name
//! struct User {
//!     name: String,
//!     age: i32,
//!     email: Option<String>,
//! }
//!
//! let alice = User { name: "Alice".into(), age: 30, email: None };
//! let bytes = dubbo_hessian2::to_vec(&alice)?;
//! assert_eq!(dubbo_hessian2::from_slice::<User>(&bytes)?, alice);
//!
//! // The same bytes as a dynamic value.
//! let v: dubbo_hessian2::Value = dubbo_hessian2::from_slice(&bytes)?;
//! assert_eq!(v.class_name(), Some("org.example.User"));
//! assert_eq!(v.field("age").and_then(|a| a.as_i64()), Some(30));
//! # Ok::<(), dubbo_hessian2::Error>(())
//! ```
//!
//! # Java types and Rust types
//!
//! | Java (declared type) | Hessian on the wire | Rust |
//! |---|---|---|
//! | `null` | `N` | `Option::None`, `()`, unit struct |
//! | `boolean`, `Boolean` | `T` / `F` | `bool` |
//! | `int`, `Integer`; `short`, `Short`; `byte`, `Byte` | int (Java sends Short/Byte as int) | `i32`; `i16`; `i8` (also `u8` outside sequences, `u16`) |
//! | `long`, `Long` | long | `i64` (also `u32`; `u64` up to `i64::MAX`) |
//! | `double`, `Double` | double, every compact form (`0x5B`..`0x5F`, `D`) | `f64` |
//! | `float`, `Float` | double `Double.parseDouble(String.valueOf(f))` | `f32` |
//! | `char`, `Character` | 1-character string | `char` |
//! | `String` | string: UTF-16 length, CESU-8, Java's chunking | `String`, `&str`, `Cow<str>` |
//! | `byte[]` | binary, Java's chunking | `Vec<u8>`, `&[u8]`, [`JavaArray<u8>`](JavaArray) |
//! | `char[]` | string | [`JavaArray<char>`](JavaArray) |
//! | `int[]`, `long[]`, `String[]`, `Object[]`, `Foo[]` | typed list `"[int"`, `"[long"`, `"[string"`, `"[object"`, `"[com.acme.Foo"` | [`JavaArray<T>`](JavaArray) |
//! | `List`, `ArrayList`, `Set`, `Collection` | untyped list (`0x78+n`, `0x58`) | `Vec<T>`, slices, `HashSet`, `BTreeSet`, `VecDeque` |
//! | `Map`, `HashMap` | untyped map `H` | `HashMap`, `BTreeMap` |
//! | a POJO `com.acme.Foo` | class definition + object | `#[derive(Serialize, Deserialize)] #[serde(rename = "com.acme.Foo")] struct Foo` |
//! | an enum `com.acme.Color` | object `{name}` | unit-variant enum with `#[serde(rename = "com.acme.Color")]` |
//! | `java.util.Date` | date (`K` minutes when whole, else `J` ms) | [`Date`] |
//! | `java.math.BigDecimal` | object `java.math.BigDecimal {value}` | [`BigDecimal`] |
//! | `java.time.LocalDateTime` | hessian-lite's `LocalDateTimeHandle {date, time}` | [`LocalDateTime`] |
//! | `Object`, unknown classes, exceptions, `LinkedList`/`TreeMap`/…, shared references | anything | [`Value`] |
//! | (tuples) | untyped fixed list | `(A, B, ..)` |
//!
//! Decoding is lenient where Java is: numbers convert when lossless (an `i64` field
//! takes an int, an `i32` field a long or an integral double); structs match fields
//! **by name** (hessian-lite writes them in reversed order), skip unknown fields, take
//! any class name (Java sends subclasses) and also accept `H`/`M` maps; enums accept a
//! Java enum object or a plain string; `Vec<u8>` accepts binary or a list of ints;
//! `null` decodes as an empty `Vec`/map for non-`Option` collections; a back-reference
//! is decoded by re-reading the referenced value (a *cycle* cannot become a typed value
//! and is an error: use [`Value`]). Standard 4-byte UTF-8 (which Java never sends) is
//! accepted as two UTF-16 units; invalid UTF-8 and unpaired surrogates are errors.
//!
//! Encoding notes: `#[serde(skip_serializing_if)]` fields are written as `null`, so that
//! every instance of a class matches its one class definition; non-unit enum variants
//! (no Java equivalent) are written as a one-entry map `{variant: value}`; an **empty**
//! `Vec<u8>` cannot be told apart from other empty sequences in serde's data model and
//! is written as an empty list; use [`JavaArray<u8>`](JavaArray) (always binary) where
//! Java declares `byte[]`.
//!
//! # Limits and errors
//!
//! Every malformed input gives an [`Error`] with the byte offset where it was detected,
//! never a panic. Nesting is limited by [`Limits::max_depth`] (default 128); string and
//! binary chunk chains and class definitions are read iteratively, and no allocation
//! is sized from a length prefix beyond the bytes that remain.
#![forbid(unsafe_code)]

mod de;
mod error;
pub mod java;
mod ser;
mod tag;
mod value;

pub use de::{Deserializer, Limits};
pub use error::{Error, ErrorKind};
pub use java::{BigDecimal, Date, JavaArray, LocalDateTime};
pub use ser::{EncoderState, Serializer};
pub use value::Value;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Encodes one value as a complete Hessian body.
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let r = value.serialize(&mut Serializer::new(&mut out));
    r.map_err(|e| e.at(out.len()))?;
    Ok(out)
}

/// Decodes one value from `input`; the whole input must be consumed.
pub fn from_slice<'de, T: serde::Deserialize<'de>>(input: &'de [u8]) -> Result<T> {
    let mut de = Deserializer::new(input);
    let v = T::deserialize(&mut de).map_err(|e| e.at(de.position()))?;
    if !de.is_end() {
        return Err(Error::new(ErrorKind::TrailingBytes, de.position()));
    }
    Ok(v)
}
