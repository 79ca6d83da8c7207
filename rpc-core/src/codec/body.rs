//! Request and response bodies (Hessian 2, serialization id 2).
//!
//! # Request body
//!
//! One Hessian stream holding, in order: the dubbo protocol version (`"2.0.2"`), the service
//! path (the interface name), the service version (`"0.0.0"` when none), the method name, the
//! concatenated JVM descriptors of the declared parameter types, one value per parameter, and
//! the attachments map (always present, `H Z` when empty).
//!
//! # Response body (status OK)
//!
//! A result flag written as a Hessian int (`0x90 + flag`), then depending on the flag a value,
//! a `Throwable`, or nothing, and for flags 3–5 an attachments map. Non-OK responses carry a
//! single Hessian string: the error message.

use bytes::Bytes;
use dubbo_hessian2::{Deserializer, EncoderState, Serializer, Value};
use serde::{Deserialize, Serialize};

use crate::attachments::{Attachments, SharedAttachments};
use crate::error::JavaException;

/// The dubbo protocol version every request carries. Java providers send response
/// attachments only to versions in 2.0.2..=2.0.99, so this must not be our crate version.
pub const DUBBO_VERSION: &str = "2.0.2";

/// Result flags of an OK response body, as Java's `DubboCodec` defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ResultFlag {
    /// A `Throwable` follows.
    Exception = 0,
    /// A value follows.
    Value = 1,
    /// Nothing follows (the method returned null or void).
    Null = 2,
    /// A `Throwable`, then attachments.
    ExceptionWithAttachments = 3,
    /// A value, then attachments.
    ValueWithAttachments = 4,
    /// Attachments only.
    NullWithAttachments = 5,
}

impl ResultFlag {
    fn from_int(v: i32) -> Option<Self> {
        Some(match v {
            0 => ResultFlag::Exception,
            1 => ResultFlag::Value,
            2 => ResultFlag::Null,
            3 => ResultFlag::ExceptionWithAttachments,
            4 => ResultFlag::ValueWithAttachments,
            5 => ResultFlag::NullWithAttachments,
            _ => return None,
        })
    }

    /// The Hessian encoding of the flag: a compact int.
    fn byte(self) -> u8 {
        0x90 + self as u8
    }
}

/// Arguments encoded once, at call time, so retries and failover re-send the same bytes.
///
/// The parameter values are a slice of the body's single Hessian stream; `state` carries its
/// class-definition, type and reference tables so the attachments that follow stay consistent.
///
/// The bytes are a plain `Vec`: the attempts of a call share its request, arguments included,
/// behind one `Arc` (see [`Invocation`](crate::client::invocation::Invocation)), and turning
/// the encoder's buffer into `Bytes` would cost an allocation per call.
#[derive(Debug, Clone, Default)]
pub struct EncodedArgs {
    /// The encoded parameter values.
    pub bytes: Vec<u8>,
    /// The encoder tables after the last parameter.
    pub state: EncoderState,
}

/// Encodes a complete request body.
pub fn encode_request(
    out: &mut Vec<u8>,
    path: &str,
    version: Option<&str>,
    method: &str,
    parameter_types: &str,
    args: &EncodedArgs,
    attachments: &Attachments,
) -> Result<(), dubbo_hessian2::Error> {
    encode_request_head(out, path, version, method, parameter_types)?;
    encode_request_tail(out, args, attachments, None)
}

/// Encodes the part of a request body that is the same for every call of a method: the
/// dubbo version, path, version, method name and parameter descriptor. A client encodes it
/// once per method and starts each body with these bytes.
pub fn encode_request_head(
    out: &mut Vec<u8>,
    path: &str,
    version: Option<&str>,
    method: &str,
    parameter_types: &str,
) -> Result<(), dubbo_hessian2::Error> {
    let mut ser = Serializer::new(out);
    DUBBO_VERSION.serialize(&mut ser)?;
    path.serialize(&mut ser)?;
    version.unwrap_or("0.0.0").serialize(&mut ser)?;
    method.serialize(&mut ser)?;
    parameter_types.serialize(&mut ser)
}

/// Encodes the rest of a request body after its head (see [`encode_request_head`]): the
/// arguments and the attachments, then `winning`, whose keys win over the attachments'
/// (the attempt's `timeout`).
pub fn encode_request_tail(
    out: &mut Vec<u8>,
    args: &EncodedArgs,
    attachments: &Attachments,
    winning: Option<&SharedAttachments>,
) -> Result<(), dubbo_hessian2::Error> {
    // Strings take no part in the reference or class tables, so the head and the
    // arguments, encoded earlier by fresh serializers, slot in one after the other unchanged.
    out.extend_from_slice(&args.bytes);
    let mut ser = Serializer::resume(out, args.state.clone());
    attachments.encode_with(&mut ser, winning)
}

/// The fixed part of a decoded request body, plus where its arguments lie.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRequest {
    /// The dubbo protocol version the consumer sent.
    pub dubbo_version: String,
    /// The service path (the interface name).
    pub path: String,
    /// The service version; `None` for empty, `"0.0.0"`, `"*"` or null, as Java treats them.
    pub version: Option<String>,
    /// The method name.
    pub method: String,
    /// The JVM parameter descriptors.
    pub parameter_types: String,
    /// Byte range of the argument values inside the body.
    pub args: std::ops::Range<usize>,
    /// The attachments.
    pub attachments: Attachments,
}

impl DecodedRequest {
    /// Whether the consumer understands response attachments (flags 3–5): dubbo versions
    /// 2.0.2 to 2.0.99, as Java's `Version.isSupportResponseAttachment` decides.
    pub fn supports_response_attachments(&self) -> bool {
        supports_response_attachments(&self.dubbo_version)
    }

    /// The group attachment, if set and not empty.
    pub fn group(&self) -> Option<&str> {
        self.attachments.get_str("group").filter(|g| !g.is_empty())
    }
}

/// Java's rule for response attachments: the version as an integer lies in
/// [2.0.2, 2.0.99].
pub fn supports_response_attachments(dubbo_version: &str) -> bool {
    // Java consumers send "2.0.2" in nearly every request: answer it without splitting and
    // parsing, which cost more than the rest of routing.
    if dubbo_version == "2.0.2" {
        return true;
    }
    let mut parts = dubbo_version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Some(2)), Some(Some(0)), Some(Some(patch)), None) => (2..=99).contains(&patch),
        _ => false,
    }
}

/// Decodes a request body: header strings, arguments (skipped, their range recorded) and
/// attachments.
pub fn decode_request(body: &[u8]) -> Result<DecodedRequest, dubbo_hessian2::Error> {
    let mut de = Deserializer::new(body);
    let dubbo_version = Option::<String>::deserialize(&mut de)?.unwrap_or_default();
    let path = String::deserialize(&mut de)?;
    let version = Option::<String>::deserialize(&mut de)?
        .filter(|v| !(v.is_empty() || v == "0.0.0" || v == "*"));
    let method = String::deserialize(&mut de)?;
    let parameter_types = Option::<String>::deserialize(&mut de)?.unwrap_or_default();
    let start = de.position();
    let count = count_parameters(&parameter_types).ok_or_else(|| {
        <dubbo_hessian2::Error as serde::de::Error>::custom(format!(
            "malformed parameter descriptor {parameter_types:?} at byte {start}"
        ))
    })?;
    for _ in 0..count {
        de.skip_value()?;
    }
    let end = de.position();
    let attachments = Attachments::from_value(de.read_value()?);
    Ok(DecodedRequest {
        dubbo_version,
        path,
        version,
        method,
        parameter_types,
        args: start..end,
        attachments,
    })
}

/// Counts the parameters in a concatenated JVM descriptor string; `None` if it is malformed.
pub fn count_parameters(desc: &str) -> Option<usize> {
    // Runs on every request: walks the descriptor without collecting it.
    let mut count = 0;
    let mut rest = desc;
    while !rest.is_empty() {
        rest = &rest[next_parameter_len(rest)?..];
        count += 1;
    }
    Some(count)
}

/// Splits a concatenated JVM descriptor string into one descriptor per parameter.
pub fn split_parameters(desc: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = desc;
    while !rest.is_empty() {
        let (first, tail) = rest.split_at(next_parameter_len(rest)?);
        out.push(first);
        rest = tail;
    }
    Some(out)
}

/// Length of the first descriptor of a non-empty `desc`; `None` if it is malformed.
fn next_parameter_len(desc: &str) -> Option<usize> {
    let bytes = desc.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] == b'[' {
        i += 1;
    }
    match bytes.get(i)? {
        b'Z' | b'B' | b'C' | b'D' | b'F' | b'I' | b'J' | b'S' => Some(i + 1),
        b'L' => {
            let semi = bytes[i..].iter().position(|&b| b == b';')?;
            if semi < 2 {
                return None;
            }
            Some(i + semi + 1)
        }
        _ => None,
    }
}

/// A decoded OK response body, with the value left undecoded for the typed caller.
#[derive(Debug, Clone)]
pub enum DecodedResponse {
    /// A value starts at this byte offset of the body.
    Value {
        /// The body.
        body: Bytes,
        /// Offset of the value.
        start: usize,
    },
    /// The method returned null or void.
    Null,
    /// The method threw.
    Exception(JavaException),
}

impl DecodedResponse {
    /// Decodes the value as `T`; a null result decodes as Hessian null (`None`, `()`).
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, dubbo_hessian2::Error> {
        match self {
            DecodedResponse::Value { body, start } => {
                let mut de = Deserializer::new(&body[*start..]);
                T::deserialize(&mut de)
            }
            DecodedResponse::Null | DecodedResponse::Exception(_) => {
                dubbo_hessian2::from_slice(b"N")
            }
        }
    }
}

/// Decodes the head of an OK response body.
pub fn decode_response(body: Bytes) -> Result<DecodedResponse, dubbo_hessian2::Error> {
    let (flag_value, start) = match body.first() {
        // The flag is a small int, which Hessian writes as one byte (0x90 + value): read
        // without setting up a deserializer.
        Some(&byte @ 0x90..=0x95) => (i32::from(byte) - 0x90, 1),
        _ => {
            let mut de = Deserializer::new(&body);
            (i32::deserialize(&mut de)?, de.position())
        }
    };
    let flag = ResultFlag::from_int(flag_value).ok_or_else(|| {
        <dubbo_hessian2::Error as serde::de::Error>::custom(format!(
            "unknown result flag {flag_value}"
        ))
    })?;
    Ok(match flag {
        ResultFlag::Value | ResultFlag::ValueWithAttachments => {
            DecodedResponse::Value { body, start }
        }
        ResultFlag::Null | ResultFlag::NullWithAttachments => DecodedResponse::Null,
        ResultFlag::Exception | ResultFlag::ExceptionWithAttachments => {
            let mut de = Deserializer::new(&body[start..]);
            DecodedResponse::Exception(JavaException::from_value(de.read_value()?))
        }
    })
}

/// Encodes an OK response carrying `value` (flag 1/4, or 2/5 when it encodes as null).
pub fn encode_value_response<T: Serialize + ?Sized>(
    value: &T,
    with_attachments: bool,
) -> Result<Vec<u8>, dubbo_hessian2::Error> {
    let mut out = Vec::with_capacity(64);
    encode_value_response_into(value, with_attachments, &mut out)?;
    Ok(out)
}

/// [`encode_value_response`] into `out`, which must be empty (the body is a Hessian stream
/// of its own); on error `out` holds a partial body.
pub(crate) fn encode_value_response_into<T: Serialize + ?Sized>(
    value: &T,
    with_attachments: bool,
    out: &mut Vec<u8>,
) -> Result<(), dubbo_hessian2::Error> {
    debug_assert!(out.is_empty());
    out.push(ResultFlag::Value.byte());
    value.serialize(&mut Serializer::new(out))?;
    if out[1..] == [b'N'] {
        out.truncate(1);
        out[0] = if with_attachments {
            ResultFlag::NullWithAttachments.byte()
        } else {
            ResultFlag::Null.byte()
        };
    } else if with_attachments {
        out[0] = ResultFlag::ValueWithAttachments.byte();
    }
    if with_attachments {
        write_response_attachments(out);
    }
    Ok(())
}

/// Encodes an OK response carrying a business exception (flag 0/3).
///
/// The exception is written as Java's minimal `Throwable` shape: a class definition with
/// `detailMessage` and an empty `stackTrace` array, which hessian-lite binds field by field.
pub fn encode_exception_response(
    exception: &JavaException,
    with_attachments: bool,
) -> Result<Vec<u8>, dubbo_hessian2::Error> {
    let mut out = Vec::with_capacity(96);
    out.push(if with_attachments {
        ResultFlag::ExceptionWithAttachments.byte()
    } else {
        ResultFlag::Exception.byte()
    });
    let object = Value::Object {
        class: exception.class.clone(),
        fields: vec![
            (
                "detailMessage".to_owned(),
                exception.message.clone().map_or(Value::Null, Value::String),
            ),
            (
                "stackTrace".to_owned(),
                Value::List {
                    ty: Some("[java.lang.StackTraceElement".to_owned()),
                    items: Vec::new(),
                },
            ),
        ],
    };
    object.serialize(&mut Serializer::new(&mut out))?;
    if with_attachments {
        write_response_attachments(&mut out);
    }
    Ok(out)
}

/// Encodes an OK response carrying an arbitrary `Throwable` object (flag 0/3), for exceptions
/// with fields beyond the message (for example `GenericException`'s `exceptionClass`).
pub fn encode_throwable_response(
    throwable: &Value,
    with_attachments: bool,
) -> Result<Vec<u8>, dubbo_hessian2::Error> {
    let mut out = Vec::with_capacity(128);
    out.push(if with_attachments {
        ResultFlag::ExceptionWithAttachments.byte()
    } else {
        ResultFlag::Exception.byte()
    });
    throwable.serialize(&mut Serializer::new(&mut out))?;
    if with_attachments {
        write_response_attachments(&mut out);
    }
    Ok(out)
}

/// The response attachments every OK response carries, `{"dubbo": "2.0.2"}`, encoded once.
///
/// A map takes a reference index but refers to nothing, and strings take no part in the
/// tables, so these bytes are the same whatever the value before them wrote.
const RESPONSE_ATTACHMENTS: &[u8] = b"H\x05dubbo\x052.0.2Z";

fn write_response_attachments(out: &mut Vec<u8>) {
    out.extend_from_slice(RESPONSE_ATTACHMENTS);
}

/// Encodes the body of a non-OK response: the error message as a Hessian string.
pub fn encode_error_message(message: &str) -> Vec<u8> {
    // Encoding a &str cannot fail.
    dubbo_hessian2::to_vec(message).unwrap_or_else(|_| vec![b'N'])
}

/// Decodes the body of a non-OK response (a string, or null).
pub fn decode_error_message(body: &[u8]) -> String {
    match dubbo_hessian2::from_slice::<Option<String>>(body) {
        Ok(Some(s)) => s,
        Ok(None) => String::new(),
        Err(e) => format!("<undecodable error message: {e}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_attachments_follow_javas_version_range() {
        assert!(supports_response_attachments("2.0.2"));
        assert!(supports_response_attachments("2.0.99"));
        assert!(!supports_response_attachments("2.0.1"));
        assert!(!supports_response_attachments("3.3.0"));
        assert!(!supports_response_attachments(""));
    }

    #[test]
    fn parameter_descriptors_split_like_the_jvm() {
        assert_eq!(
            split_parameters("Ljava/lang/String;I[J[[Ljava/lang/String;Z").unwrap(),
            ["Ljava/lang/String;", "I", "[J", "[[Ljava/lang/String;", "Z"]
        );
        assert_eq!(count_parameters(""), Some(0));
        assert_eq!(count_parameters("Ljava/lang/String"), None);
        assert_eq!(count_parameters("X"), None);
        assert_eq!(count_parameters("["), None);
        assert_eq!(count_parameters("L;"), None);
        assert_eq!(count_parameters("La;"), Some(1));
        assert_eq!(count_parameters("[[I[Ljava/lang/Object;J"), Some(3));
        assert_eq!(split_parameters("IJ").unwrap(), ["I", "J"]);
        assert_eq!(split_parameters("I;"), None);
    }

    #[test]
    fn say_hello_response_matches_appendix_b_bytes() {
        let body = encode_value_response("Hello world", true).unwrap();
        let mut expected = vec![0x94, 0x0b];
        expected.extend_from_slice(b"Hello world");
        expected.extend_from_slice(&[0x48, 0x05]);
        expected.extend_from_slice(b"dubbo");
        expected.push(0x05);
        expected.extend_from_slice(b"2.0.2");
        expected.push(0x5a);
        assert_eq!(body, expected);
    }

    #[test]
    fn pre_encoded_response_attachments_match_the_serializer() {
        let mut attachments = Attachments::new();
        attachments.insert_str("dubbo", DUBBO_VERSION);
        let mut out = Vec::new();
        attachments.encode(&mut Serializer::new(&mut out)).unwrap();
        assert_eq!(out, RESPONSE_ATTACHMENTS);
        // After a value holding a class definition, a type and references, too.
        let value = Value::List {
            ty: Some("[org.example.User".into()),
            items: vec![Value::Object {
                class: "org.example.User".into(),
                fields: vec![(
                    "name".into(),
                    Value::Map {
                        ty: None,
                        entries: vec![],
                    },
                )],
            }],
        };
        let body = encode_value_response(&value, true).unwrap();
        let mut de = Deserializer::new(&body[1..]);
        de.skip_value().unwrap();
        let start = de.position() + 1;
        assert_eq!(&body[start..], RESPONSE_ATTACHMENTS);
        assert_eq!(
            Attachments::from_value(de.read_value().unwrap()),
            attachments
        );
        assert!(de.is_end());
    }

    #[test]
    fn void_result_uses_null_flag() {
        assert_eq!(encode_value_response(&(), false).unwrap(), [0x92]);
        assert_eq!(
            encode_value_response(&None::<String>, true).unwrap()[0],
            0x95
        );
    }

    #[test]
    fn request_body_round_trips() {
        let mut args_buf = Vec::new();
        let state = {
            let mut ser = Serializer::new(&mut args_buf);
            "world".serialize(&mut ser).unwrap();
            7i32.serialize(&mut ser).unwrap();
            ser.into_state()
        };
        let args = EncodedArgs {
            bytes: args_buf,
            state,
        };
        let mut attachments = Attachments::new();
        attachments.insert_str("timeout", "3000");
        let mut body = Vec::new();
        encode_request(
            &mut body,
            "org.example.Greeter",
            None,
            "greet",
            "Ljava/lang/String;I",
            &args,
            &attachments,
        )
        .unwrap();
        let req = decode_request(&body).unwrap();
        assert_eq!(req.dubbo_version, "2.0.2");
        assert_eq!(req.path, "org.example.Greeter");
        assert_eq!(req.version, None);
        assert_eq!(req.method, "greet");
        assert_eq!(&body[req.args.clone()], &args.bytes[..]);
        assert_eq!(req.attachments.get_str("timeout"), Some("3000"));
    }

    #[test]
    fn request_without_attachments_is_rejected() {
        let mut body = Vec::new();
        let mut ser = Serializer::new(&mut body);
        for s in ["2.0.2", "a.B", "0.0.0", "m", ""] {
            s.serialize(&mut ser).unwrap();
        }
        assert!(decode_request(&body).is_err());
    }

    #[test]
    fn exception_response_decodes_to_class_and_message() {
        let body = encode_exception_response(&JavaException::runtime("boom"), true).unwrap();
        assert_eq!(body[0], 0x93);
        match decode_response(body.into()).unwrap() {
            DecodedResponse::Exception(e) => {
                assert_eq!(e.class, "java.lang.RuntimeException");
                assert_eq!(e.message.as_deref(), Some("boom"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_result_flag_in_the_long_int_form_decodes_too() {
        // 'I' and four bytes: legal Hessian for 1, though Java writes the one-byte form.
        let body = Bytes::from_static(&[b'I', 0, 0, 0, 1, 0x05, b'H', b'e', b'l', b'l', b'o']);
        let response = decode_response(body).unwrap();
        assert_eq!(response.decode::<String>().unwrap(), "Hello");
    }

    #[test]
    fn unknown_result_flag_is_an_error() {
        assert!(decode_response(Bytes::from_static(&[0x97])).is_err());
    }
}
