//! The provider's view of a request body: the head decoded in place, the arguments and
//! the attachments left as bytes.
//!
//! A provider routes on the path, version, method and descriptor of the head and on the
//! `group` attachment; everything else waits for the handler. So [`decode_request_head`]
//! borrows the head strings from the body instead of copying them, skips the arguments,
//! and walks the attachments map only to validate it and pick out `group` and `generic`.
//! [`RequestAttachments`] decodes the full map on first use, which most calls never make.
//! [`body::decode_request`] remains the owned, eager decoder of the same bytes.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use bytes::Bytes;
use dubbo_hessian2::Deserializer;
use serde::de::{Deserialize, Unexpected, Visitor};

use crate::attachments::Attachments;
use crate::codec::body;

/// The head of a request body, borrowed from it, plus where its arguments and
/// attachments lie.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestHead<'a> {
    /// The dubbo protocol version the consumer sent (empty when null).
    pub dubbo_version: Cow<'a, str>,
    /// The service path (the interface name).
    pub path: Cow<'a, str>,
    /// The service version; `None` for empty, `"0.0.0"`, `"*"` or null, as Java treats them.
    pub version: Option<Cow<'a, str>>,
    /// The method name.
    pub method: Cow<'a, str>,
    /// The JVM parameter descriptors (empty when null).
    pub parameter_types: Cow<'a, str>,
    /// How many parameters `parameter_types` declares: the number of argument values.
    pub parameter_count: usize,
    /// Byte range of the argument values inside the body.
    pub args: Range<usize>,
    /// Byte range of the attachments map inside the body.
    pub attachments: Range<usize>,
    /// The first `group` attachment: `Some(None)` when its value is not a string.
    group: Option<Option<Cow<'a, str>>>,
    /// The first `generic` attachment, likewise.
    generic: Option<Option<Cow<'a, str>>>,
}

impl<'a> RequestHead<'a> {
    /// Whether the consumer understands response attachments (flags 3–5); see
    /// [`body::supports_response_attachments`].
    pub fn supports_response_attachments(&self) -> bool {
        body::supports_response_attachments(&self.dubbo_version)
    }

    /// The group attachment, if set to a string and not empty.
    pub fn group(&self) -> Option<&str> {
        self.group.as_ref()?.as_deref().filter(|g| !g.is_empty())
    }

    /// The `generic` attachment, if set to a string.
    pub fn generic(&self) -> Option<&str> {
        self.generic.as_ref()?.as_deref()
    }
}

/// Decodes the head of a request body, skips its arguments and validates its attachments.
///
/// Accepts and rejects exactly the bodies [`body::decode_request`] does, with the same
/// errors; allocates only for strings the wire form does not let it borrow (chunked or
/// CESU-8 encoded ones).
pub fn decode_request_head(body: &[u8]) -> Result<RequestHead<'_>, dubbo_hessian2::Error> {
    let mut de = Deserializer::new(body);
    let dubbo_version = match ascii_str(&mut de) {
        Some(s) => s,
        None => Option::<Str<'_>>::deserialize(&mut de)?.map_or(Cow::Borrowed(""), |s| s.0),
    };
    let path = match ascii_str(&mut de) {
        Some(s) => s,
        None => Str::deserialize(&mut de)?.0,
    };
    let version = match ascii_str(&mut de) {
        Some(s) => Some(s),
        None => Option::<Str<'_>>::deserialize(&mut de)?.map(|s| s.0),
    }
    .filter(|v| !(v.is_empty() || v == "0.0.0" || v == "*"));
    let method = match ascii_str(&mut de) {
        Some(s) => s,
        None => Str::deserialize(&mut de)?.0,
    };
    let parameter_types = match ascii_str(&mut de) {
        Some(s) => s,
        None => Option::<Str<'_>>::deserialize(&mut de)?.map_or(Cow::Borrowed(""), |s| s.0),
    };
    let start = de.position();
    let parameter_count = body::count_parameters(&parameter_types).ok_or_else(|| {
        <dubbo_hessian2::Error as serde::de::Error>::custom(format!(
            "malformed parameter descriptor {parameter_types:?} at byte {start}"
        ))
    })?;
    for _ in 0..parameter_count {
        de.skip_value()?;
    }
    let end = de.position();
    // Searching the map validates it as reading it would; a value that is not a map reads
    // as no attachments, as `Attachments::from_value` has it.
    let [group, generic] = de.lookup_str_map(["group", "generic"])?.unwrap_or_default();
    Ok(RequestHead {
        dubbo_version,
        path,
        version,
        method,
        parameter_types,
        parameter_count,
        args: start..end,
        attachments: end..de.position(),
        group,
        generic,
    })
}

/// The next value when it is a short ASCII string, borrowed; `None`, having consumed
/// nothing, for any other value. The general path would borrow such a string as well, so
/// both give the same result; this one skips serde's visitor and the chunk loop.
fn ascii_str<'a>(de: &mut Deserializer<'a>) -> Option<Cow<'a, str>> {
    de.next_ascii_str().map(Cow::Borrowed)
}

/// A string decoded as serde's `String` decodes it (from a string, or a binary holding
/// UTF-8), but borrowed from the input when the wire form allows.
struct Str<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // serde's own wording for `String`, so errors read as before.
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v)))
    }

    fn visit_borrowed_bytes<E: serde::de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Str(Cow::Borrowed(s))),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(v), &self)),
        }
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Str(Cow::Owned(s.to_owned()))),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(v), &self)),
        }
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        match String::from_utf8(v) {
            Ok(s) => Ok(Str(Cow::Owned(s))),
            Err(e) => Err(E::invalid_value(Unexpected::Bytes(&e.into_bytes()), &self)),
        }
    }
}

/// A request's attachments, decoded from the body the first time they are asked for.
#[derive(Debug, Default)]
pub struct RequestAttachments {
    /// Where to decode them from; `None` when they were given decoded.
    raw: Option<RawAttachments>,
    decoded: OnceLock<Attachments>,
}

#[derive(Debug)]
struct RawAttachments {
    body: Bytes,
    /// Where the arguments begin: the attachments are decoded after skipping them, so that
    /// class definitions and references in the arguments resolve as they do in one pass.
    args_start: usize,
    parameter_count: usize,
}

impl RequestAttachments {
    /// Attachments that are already decoded.
    pub fn decoded(attachments: Attachments) -> Self {
        RequestAttachments {
            raw: None,
            decoded: OnceLock::from(attachments),
        }
    }

    /// The attachments of `body`, whose head (decoded from the same bytes) is `head`.
    pub fn from_body(body: Bytes, head: &RequestHead<'_>) -> Self {
        RequestAttachments {
            raw: Some(RawAttachments {
                body,
                args_start: head.args.start,
                parameter_count: head.parameter_count,
            }),
            decoded: OnceLock::new(),
        }
    }

    /// The attachments, decoded now if this is the first time.
    pub fn get(&self) -> &Attachments {
        self.decoded.get_or_init(|| {
            self.raw
                .as_ref()
                .map(RawAttachments::decode)
                .unwrap_or_default()
        })
    }
}

impl RawAttachments {
    fn decode(&self) -> Attachments {
        let mut de = Deserializer::new(self.body.get(self.args_start..).unwrap_or_default());
        for _ in 0..self.parameter_count {
            if de.skip_value().is_err() {
                return Attachments::new();
            }
        }
        // `decode_request_head` walked these very bytes with the same tables, and walking
        // accepts what reading accepts: this cannot fail for a body whose head decoded.
        de.read_value()
            .map(Attachments::from_value)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use dubbo_hessian2::{Serializer, Value};
    use serde::Serialize;

    use super::*;
    use crate::codec::body::{decode_request, encode_request, EncodedArgs};

    fn request_body(
        version: Option<&str>,
        args: impl FnOnce(&mut Serializer<'_>),
        descriptor: &str,
        attachments: &Attachments,
    ) -> Bytes {
        let mut buf = Vec::new();
        let state = {
            let mut ser = Serializer::new(&mut buf);
            args(&mut ser);
            ser.into_state()
        };
        let args = EncodedArgs { bytes: buf, state };
        let mut body = Vec::new();
        encode_request(
            &mut body,
            "org.example.Greeter",
            version,
            "greet",
            descriptor,
            &args,
            attachments,
        )
        .unwrap();
        body.into()
    }

    fn standard_attachments() -> Attachments {
        let mut a = Attachments::new();
        a.insert_str("path", "org.example.Greeter");
        a.insert_str("interface", "org.example.Greeter");
        a.insert_str("version", "1.0.0");
        a.insert_str("group", "blue");
        a.insert_str("timeout", "3000");
        a.insert("retries", Value::Int(2));
        a
    }

    /// The head and the owned decoder agree on every field.
    fn assert_same_as_owned(body: &[u8]) -> RequestHead<'_> {
        let head = decode_request_head(body).unwrap();
        let owned = decode_request(body).unwrap();
        assert_eq!(head.dubbo_version, owned.dubbo_version);
        assert_eq!(head.path, owned.path);
        assert_eq!(head.version.as_deref(), owned.version.as_deref());
        assert_eq!(head.method, owned.method);
        assert_eq!(head.parameter_types, owned.parameter_types);
        assert_eq!(head.args, owned.args);
        assert_eq!(head.group(), owned.group());
        assert_eq!(head.generic(), owned.attachments.get_str("generic"));
        assert_eq!(
            RequestAttachments::from_body(Bytes::copy_from_slice(body), &head).get(),
            &owned.attachments
        );
        head
    }

    #[test]
    fn head_strings_are_borrowed_from_the_body() {
        let body = request_body(
            Some("1.0.0"),
            |s| "world".serialize(s).unwrap(),
            "Ljava/lang/String;",
            &standard_attachments(),
        );
        let head = assert_same_as_owned(&body);
        for s in [
            &head.dubbo_version,
            &head.path,
            &head.method,
            &head.parameter_types,
        ] {
            assert!(matches!(s, Cow::Borrowed(_)), "{s:?}");
        }
        assert!(matches!(head.version, Some(Cow::Borrowed("1.0.0"))));
        assert_eq!(head.group(), Some("blue"));
        assert_eq!(head.generic(), None);
        assert_eq!(head.parameter_count, 1);
        assert_eq!(head.attachments.end, body.len());
    }

    #[test]
    fn versions_are_normalised_as_java_does() {
        for v in [None, Some(""), Some("0.0.0"), Some("*")] {
            let body = request_body(v, |_| {}, "", &Attachments::new());
            assert_eq!(assert_same_as_owned(&body).version, None, "{v:?}");
        }
    }

    #[test]
    fn group_and_generic_follow_attachments_get_str() {
        let mut a = Attachments::new();
        a.insert("group", Value::Int(1));
        a.insert_str("generic", "raw.return");
        let body = request_body(None, |_| {}, "", &a);
        let head = assert_same_as_owned(&body);
        assert_eq!(head.group(), None);
        assert_eq!(head.generic(), Some("raw.return"));
        let mut a = Attachments::new();
        a.insert_str("group", "");
        let body = request_body(None, |_| {}, "", &a);
        assert_eq!(assert_same_as_owned(&body).group(), None);
    }

    /// An object argument defines a class and takes a reference; an attachment refers back
    /// to it. The lazy decode must see the same tables as the one-pass decode.
    #[test]
    fn lazy_attachments_resolve_references_into_the_arguments() {
        let list = Value::List {
            ty: None,
            items: vec![Value::Int(1)],
        };
        let object = Value::Object {
            class: "org.example.User".into(),
            fields: vec![("name".into(), Value::String("a".into()))],
        };
        let mut a = standard_attachments();
        a.insert("shared", Value::Ref(1));
        a.insert("again", object.clone());
        let body = request_body(
            None,
            |s| {
                object.serialize(&mut *s).unwrap();
                list.serialize(&mut *s).unwrap();
            },
            "Lorg/example/User;Ljava/util/List;",
            &a,
        );
        let head = assert_same_as_owned(&body);
        let lazy = RequestAttachments::from_body(body.clone(), &head);
        assert_eq!(lazy.get().get("shared"), Some(&Value::Ref(1)));
        assert_eq!(lazy.get().get("again"), Some(&object));
    }

    #[test]
    fn malformed_bodies_fail_as_the_owned_decoder_fails() {
        let good = request_body(
            Some("1.0.0"),
            |s| "world".serialize(s).unwrap(),
            "Ljava/lang/String;",
            &standard_attachments(),
        );
        // Every truncation, including the one without an attachments map at all.
        for cut in 0..good.len() {
            let head = decode_request_head(&good[..cut]).map(|_| ());
            let owned = decode_request(&good[..cut]).map(|_| ());
            assert!(head.is_err(), "prefix of {cut} bytes accepted");
            assert_eq!(
                head.unwrap_err().to_string(),
                owned.unwrap_err().to_string(),
                "prefix of {cut} bytes"
            );
        }
        // Every single-byte corruption: same outcome, same error text.
        for i in 0..good.len() {
            for b in [0x00, 0x48, 0x4f, 0x51, 0x5a, 0x7f, 0x91, 0xff] {
                let mut bad = good.to_vec();
                bad[i] = b;
                let head = decode_request_head(&bad);
                let owned = decode_request(&bad);
                match (head, owned) {
                    (Ok(_), Ok(_)) => {
                        assert_same_as_owned(&bad);
                    }
                    (Err(h), Err(o)) => assert_eq!(h.to_string(), o.to_string(), "{bad:02x?}"),
                    (h, o) => panic!("{bad:02x?}: head {h:?}, owned {o:?}"),
                }
            }
        }
        assert!(decode_request_head(b"\x052.0.2\x03a.B\x050.0.0\x01m\x01X").is_err());
    }

    #[test]
    fn eager_attachments_are_kept() {
        let lazy = RequestAttachments::decoded(standard_attachments());
        assert_eq!(lazy.get(), &standard_attachments());
        assert!(RequestAttachments::default().get().is_empty());
    }
}
