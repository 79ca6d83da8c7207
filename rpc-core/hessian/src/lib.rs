//! Java-exact Hessian 2.0 codec for Apache Dubbo (hessian-lite dialect), with serde support.
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
