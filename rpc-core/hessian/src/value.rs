//! Ordered dynamic Hessian value.

/// A dynamically typed Hessian value that keeps order, class names, list/map types and references.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `boolean`.
    Bool(bool),
    /// 32-bit int (Java `int`, `short`, `byte`).
    Int(i32),
    /// 64-bit long.
    Long(i64),
    /// Double.
    Double(f64),
    /// String.
    String(String),
    /// `byte[]`.
    Binary(Vec<u8>),
    /// `java.util.Date` as milliseconds since the epoch (UTC).
    Date(i64),
    /// A list, with the Java type if one was written.
    List {
        /// Type name (`"[int"`, `"java.util.LinkedList"`), if typed.
        ty: Option<String>,
        /// Items.
        items: Vec<Value>,
    },
    /// A map, with the Java type if one was written; insertion order kept.
    Map {
        /// Type name, if typed.
        ty: Option<String>,
        /// Entries in wire order.
        entries: Vec<(Value, Value)>,
    },
    /// An object instance.
    Object {
        /// Java class name.
        class: String,
        /// Fields in wire order.
        fields: Vec<(String, Value)>,
    },
    /// Back-reference to the n-th list/map/object of the body (pre-order).
    Ref(u32),
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
        todo!()
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(_d: D) -> Result<Self, D::Error> {
        todo!()
    }
}
