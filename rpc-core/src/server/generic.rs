//! `$invoke` on a Rust provider: Java's `GenericService` calling a typed Rust service.
//!
//! Java's `GenericFilter` does this on a Java provider:
//!
//! 1. the arguments `(String method, String[] parameterTypes, Object[] args)` name the real
//!    method by name and `Class.getName()` types;
//! 2. each argument is bound to the declared type with `PojoUtils.realize`: a map whose
//!    `"class"` key names a class becomes an instance of that class (recursively), a map
//!    without one is bound to the declared type;
//! 3. with `generic` = `true` (or empty) the result is `PojoUtils.generalize`d: a POJO becomes
//!    a `HashMap` holding `"class"` and every property, an enum its `name()`, a
//!    `LocalDateTime`/`LocalDate`/`LocalTime` its `toString()`, an array of objects an
//!    `Object[]`; `raw.return` leaves it as it is;
//! 4. a business exception is wrapped in a `GenericException` carrying the original's class
//!    and message (`exceptionClass`, `exceptionMessage`), which is what a Java `GenericService`
//!    caller catches. Java 3.3 sends `com.alibaba.dubbo.rpc.service.GenericException` (its
//!    Dubbo 2 compatibility subclass); we send the base class
//!    `org.apache.dubbo.rpc.service.GenericException`, which is on the default serialization
//!    allowlist of every Java 3.x consumer.
//!
//! Here step 2 turns `"class"` maps into Hessian objects and re-encodes the arguments, so the
//! service's own typed decoding (serde) binds them exactly as for a normal call; step 3
//! decodes the typed reply as a [`Value`] and rewrites it.

use std::sync::Arc;

use dubbo_hessian2::{Deserializer, Serializer, Value};
use serde::Serialize;

use crate::codec::body::{self, DecodedResponse};
use crate::codec::request::RequestAttachments;
use crate::error::JavaException;
use crate::server::handler::{BoxFuture, ServerCall, ServerReply, ServiceHandler};
use crate::status::StatusCode;

const GENERIC_PARAMETER_TYPES: &str = "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;";

/// Nesting depth up to which back-references are inlined.
const MAX_DEPTH: usize = 128;

/// Whether a request is Java's generic call (`RpcUtils.isGenericCall`).
pub(super) fn is_generic_call(method: &str, parameter_types: &str) -> bool {
    (method == "$invoke" || method == "$invokeAsync") && parameter_types == GENERIC_PARAMETER_TYPES
}

fn service_error(message: String) -> BoxFuture<ServerReply> {
    Box::pin(std::future::ready(ServerReply::error(
        StatusCode::SERVICE_ERROR,
        &message,
    )))
}

/// Handles a generic call on a typed service; `args` are the encoded arguments of
/// `$invoke` and `generic` the call's `generic` attachment (`"true"` when absent).
pub(super) fn invoke(
    handler: Arc<dyn ServiceHandler>,
    args: &[u8],
    generic: String,
    attachments: RequestAttachments,
    with_attachments: bool,
) -> BoxFuture<ServerReply> {
    if !matches!(generic.as_str(), "" | "true" | "raw.return") {
        return service_error(format!(
            "org.apache.dubbo.rpc.RpcException: Generic serialization [{generic}] is not \
             supported by this provider (only true and raw.return)"
        ));
    }
    let mut de = Deserializer::new(args);
    let mut raw = Vec::with_capacity(3);
    for _ in 0..3 {
        match de.read_value() {
            Ok(v) => raw.push(v),
            Err(e) => {
                return Box::pin(std::future::ready(ServerReply::error(
                    StatusCode::BAD_REQUEST,
                    &format!("Fail to decode request due to: java.io.IOException: {e}"),
                )))
            }
        }
    }
    let table = Value::ref_table(raw.iter());
    let resolved: Vec<Value> = raw.iter().map(|v| resolve(v, &table, 0)).collect();
    let method = resolved[0].as_str().unwrap_or_default().to_owned();
    let types: Option<Vec<String>> = match &resolved[1] {
        Value::List { items, .. } => Some(
            items
                .iter()
                .map(|t| t.as_str().unwrap_or_default().to_owned())
                .collect(),
        ),
        _ => None,
    };
    let args: Vec<Value> = match &resolved[2] {
        Value::List { items, .. } => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let descriptor = handler.descriptor();
    let index = match &types {
        Some(types) if !types.is_empty() || args.is_empty() => {
            let desc: String = types.iter().map(|t| class_name_to_descriptor(t)).collect();
            descriptor.find_method(&method, &desc)
        }
        _ => {
            // No types: Java picks the method by name when it is not overloaded.
            let mut matching = descriptor.methods.iter().enumerate().filter(|(_, m)| {
                m.name == method && body::count_parameters(&m.parameter_types) == Some(args.len())
            });
            match (matching.next(), matching.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        }
    };
    let Some(index) = index else {
        return service_error(format!(
            "org.apache.dubbo.rpc.RpcException: java.lang.NoSuchMethodException: {}.{}({})",
            descriptor.interface,
            method,
            types.unwrap_or_default().join(", ")
        ));
    };
    let mut encoded = Vec::new();
    {
        let mut ser = Serializer::new(&mut encoded);
        for arg in &args {
            if let Err(e) = realize(arg).serialize(&mut ser) {
                return service_error(format!(
                    "org.apache.dubbo.rpc.RpcException: cannot bind the arguments of {method}: {e}"
                ));
            }
        }
    }
    let len = encoded.len();
    let call = ServerCall::with_request_attachments(
        index,
        encoded.into(),
        0..len,
        attachments,
        with_attachments,
    );
    let reply = handler.call(call);
    Box::pin(async move {
        let reply = reply.await;
        if reply.status != StatusCode::OK {
            return reply;
        }
        if let Ok(DecodedResponse::Exception(e)) = body::decode_response(reply.body.clone()) {
            return generic_exception_reply(&e, with_attachments).unwrap_or(reply);
        }
        if generic == "raw.return" {
            return reply;
        }
        generalize_reply(reply, with_attachments)
    })
}

/// Java's generic exception class, as Rust providers send it.
pub(super) const GENERIC_EXCEPTION: &str = "org.apache.dubbo.rpc.service.GenericException";

/// `GenericFilter`'s wrapping of a business exception thrown under `$invoke`.
fn generic_exception_reply(e: &JavaException, with_attachments: bool) -> Option<ServerReply> {
    if e.class == GENERIC_EXCEPTION || e.class == "com.alibaba.dubbo.rpc.service.GenericException" {
        return None;
    }
    let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let throwable = Value::Object {
        class: GENERIC_EXCEPTION.to_owned(),
        fields: vec![
            ("detailMessage".to_owned(), Value::String(e.to_string())),
            (
                "stackTrace".to_owned(),
                Value::List {
                    ty: Some("[java.lang.StackTraceElement".to_owned()),
                    items: Vec::new(),
                },
            ),
            ("exceptionClass".to_owned(), Value::String(e.class.clone())),
            ("exceptionMessage".to_owned(), text(e.message.as_deref())),
        ],
    };
    body::encode_throwable_response(&throwable, with_attachments)
        .ok()
        .map(ServerReply::ok)
}

/// Rewrites an OK reply's value with [`generalize`]; exceptions and nulls pass unchanged.
fn generalize_reply(reply: ServerReply, with_attachments: bool) -> ServerReply {
    let decoded = match body::decode_response(reply.body.clone()) {
        Ok(DecodedResponse::Value { body, start }) => DecodedResponse::Value { body, start },
        _ => return reply,
    };
    let value: Value = match decoded.decode() {
        Ok(v) => v,
        Err(_) => return reply,
    };
    let table = Value::ref_table(std::iter::once(&value));
    let value = generalize(&resolve(&value, &table, 0));
    match body::encode_value_response(&value, with_attachments) {
        Ok(b) => ServerReply::ok(b),
        Err(e) => ServerReply::error(
            StatusCode::BAD_RESPONSE,
            &format!("Failed to send response: {e}"),
        ),
    }
}

/// Replaces back-references by copies of what they point to (up to [`MAX_DEPTH`]; deeper or
/// cyclic references become null), so values can be rewritten without renumbering.
fn resolve(value: &Value, table: &[&Value], depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    match value {
        Value::Ref(_) => match value.resolve(table) {
            Some(target) if !matches!(target, Value::Ref(_)) => resolve(target, table, depth + 1),
            _ => Value::Null,
        },
        Value::List { ty, items } => Value::List {
            ty: ty.clone(),
            items: items.iter().map(|v| resolve(v, table, depth + 1)).collect(),
        },
        Value::Map { ty, entries } => Value::Map {
            ty: ty.clone(),
            entries: entries
                .iter()
                .map(|(k, v)| (resolve(k, table, depth + 1), resolve(v, table, depth + 1)))
                .collect(),
        },
        Value::Object { class, fields } => Value::Object {
            class: class.clone(),
            fields: fields
                .iter()
                .map(|(n, v)| (n.clone(), resolve(v, table, depth + 1)))
                .collect(),
        },
        other => other.clone(),
    }
}

/// `Class.getName()` form to a JVM descriptor: `int` → `I`, `java.lang.String` →
/// `Ljava/lang/String;`, `[Ljava.lang.String;` → `[Ljava/lang/String;`.
pub(super) fn class_name_to_descriptor(name: &str) -> String {
    let name = name.trim();
    match name {
        "boolean" => "Z".to_owned(),
        "byte" => "B".to_owned(),
        "char" => "C".to_owned(),
        "short" => "S".to_owned(),
        "int" => "I".to_owned(),
        "long" => "J".to_owned(),
        "float" => "F".to_owned(),
        "double" => "D".to_owned(),
        "void" => "V".to_owned(),
        _ if name.starts_with('[') => name.replace('.', "/"),
        _ => format!("L{};", name.replace('.', "/")),
    }
}

/// `PojoUtils.realize` as far as the wire is concerned: maps naming a `"class"` become
/// objects of that class, recursively.
fn realize(value: &Value) -> Value {
    match value {
        Value::Map { ty, entries } => {
            let class = entries.iter().find_map(|(k, v)| match (k, v) {
                (Value::String(k), Value::String(c)) if k == "class" => Some(c.clone()),
                _ => None,
            });
            match class {
                Some(class) if !class.is_empty() && !is_map_class(&class) => Value::Object {
                    class,
                    fields: entries
                        .iter()
                        .filter_map(|(k, v)| match k {
                            Value::String(k) if k != "class" => Some((k.clone(), realize(v))),
                            _ => None,
                        })
                        .collect(),
                },
                _ => Value::Map {
                    ty: ty.clone(),
                    entries: entries
                        .iter()
                        .filter(|(k, _)| k.as_str() != Some("class"))
                        .map(|(k, v)| (realize(k), realize(v)))
                        .collect(),
                },
            }
        }
        Value::List { ty, items } => Value::List {
            ty: ty.clone(),
            items: items.iter().map(realize).collect(),
        },
        Value::Object { class, fields } => Value::Object {
            class: class.clone(),
            fields: fields
                .iter()
                .map(|(n, v)| (n.clone(), realize(v)))
                .collect(),
        },
        other => other.clone(),
    }
}

fn is_map_class(class: &str) -> bool {
    matches!(
        class,
        "java.util.HashMap"
            | "java.util.Map"
            | "java.util.LinkedHashMap"
            | "java.util.TreeMap"
            | "java.util.concurrent.ConcurrentHashMap"
    )
}

const LOCAL_DATE_TIME: &str = "com.alibaba.com.caucho.hessian.io.java8.LocalDateTimeHandle";
const LOCAL_DATE: &str = "com.alibaba.com.caucho.hessian.io.java8.LocalDateHandle";
const LOCAL_TIME: &str = "com.alibaba.com.caucho.hessian.io.java8.LocalTimeHandle";

/// Java arrays whose elements `PojoUtils.generalize` leaves alone (`ReflectUtils.isPrimitives`).
fn is_primitive_array(ty: &str) -> bool {
    matches!(
        ty,
        "[boolean" | "[short" | "[int" | "[long" | "[float" | "[double" | "[string" | "[char"
    )
}

/// `PojoUtils.generalize`, on the decoded value.
///
/// Objects become maps with `"class"` and their fields, except `java.math.*` numbers (which
/// Java leaves alone) and the `java.time` handles (which become `toString()`). An object whose
/// only field is a string `name` is taken for an enum and becomes that name: on the wire an enum
/// cannot be told from such a POJO.
pub(super) fn generalize(value: &Value) -> Value {
    match value {
        Value::Object { class, fields } => {
            if class.starts_with("java.math.") {
                return value.clone();
            }
            match class.as_str() {
                LOCAL_DATE_TIME => {
                    let date = value.field("date").map(local_date).unwrap_or_default();
                    let time = value.field("time").map(local_time).unwrap_or_default();
                    return Value::String(format!("{date}T{time}"));
                }
                LOCAL_DATE => return Value::String(local_date(value)),
                LOCAL_TIME => return Value::String(local_time(value)),
                _ => {}
            }
            if let [(name, Value::String(constant))] = fields.as_slice() {
                if name == "name" {
                    return Value::String(constant.clone());
                }
            }
            let mut entries = Vec::with_capacity(fields.len() + 1);
            entries.push((Value::String("class".into()), Value::String(class.clone())));
            for (n, v) in fields {
                entries.push((Value::String(n.clone()), generalize(v)));
            }
            Value::Map { ty: None, entries }
        }
        Value::List { ty, items } => {
            let ty = match ty.as_deref() {
                Some(t) if is_primitive_array(t) => return value.clone(),
                Some(t) if t.starts_with('[') => Some("[object".to_owned()),
                other => other.map(str::to_owned),
            };
            Value::List {
                ty,
                items: items.iter().map(generalize).collect(),
            }
        }
        Value::Map { ty, entries } => Value::Map {
            ty: ty.clone(),
            entries: entries
                .iter()
                .map(|(k, v)| (generalize(k), generalize(v)))
                .collect(),
        },
        other => other.clone(),
    }
}

fn int_field(v: &Value, name: &str) -> i64 {
    v.field(name).and_then(Value::as_i64).unwrap_or_default()
}

/// `LocalDate.toString()`.
fn local_date(v: &Value) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        int_field(v, "year"),
        int_field(v, "month"),
        int_field(v, "day")
    )
}

/// `LocalTime.toString()`: `HH:mm`, then `:ss` and a 3, 6 or 9 digit fraction when not zero.
fn local_time(v: &Value) -> String {
    let (second, nano) = (int_field(v, "second"), int_field(v, "nano"));
    let mut s = format!("{:02}:{:02}", int_field(v, "hour"), int_field(v, "minute"));
    if second > 0 || nano > 0 {
        s.push_str(&format!(":{second:02}"));
        if nano > 0 {
            if nano % 1_000_000 == 0 {
                s.push_str(&format!(".{:03}", nano / 1_000_000));
            } else if nano % 1_000 == 0 {
                s.push_str(&format!(".{:06}", nano / 1_000));
            } else {
                s.push_str(&format!(".{nano:09}"));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn class_names_become_descriptors() {
        assert_eq!(class_name_to_descriptor("int"), "I");
        assert_eq!(
            class_name_to_descriptor("java.lang.String"),
            "Ljava/lang/String;"
        );
        assert_eq!(
            class_name_to_descriptor("[Ljava.lang.String;"),
            "[Ljava/lang/String;"
        );
        assert_eq!(class_name_to_descriptor("[B"), "[B");
        assert_eq!(class_name_to_descriptor("a.B$C"), "La/B$C;");
    }

    #[test]
    fn class_maps_are_realized_as_objects() {
        let map = Value::Map {
            ty: None,
            entries: vec![
                (s("class"), s("a.User")),
                (s("name"), s("n")),
                (
                    s("address"),
                    Value::Map {
                        ty: None,
                        entries: vec![(s("class"), s("a.Address")), (s("city"), s("c"))],
                    },
                ),
            ],
        };
        let r = realize(&map);
        assert_eq!(r.class_name(), Some("a.User"));
        assert_eq!(r.field("name"), Some(&s("n")));
        assert_eq!(r.field("address").unwrap().class_name(), Some("a.Address"));
    }

    #[test]
    fn generalize_follows_pojo_utils() {
        let user = Value::Object {
            class: "a.User".into(),
            fields: vec![
                (
                    "color".into(),
                    Value::Object {
                        class: "a.Color".into(),
                        fields: vec![("name".into(), s("RED"))],
                    },
                ),
                ("nickname".into(), Value::Null),
            ],
        };
        let g = generalize(&user);
        assert_eq!(g.get("class"), Some(&s("a.User")));
        assert_eq!(g.get("color"), Some(&s("RED")));
        assert_eq!(g.get("nickname"), Some(&Value::Null));
        let ldt = Value::Object {
            class: LOCAL_DATE_TIME.into(),
            fields: vec![
                (
                    "date".into(),
                    Value::Object {
                        class: LOCAL_DATE.into(),
                        fields: vec![
                            ("year".into(), Value::Int(2024)),
                            ("month".into(), Value::Int(2)),
                            ("day".into(), Value::Int(29)),
                        ],
                    },
                ),
                (
                    "time".into(),
                    Value::Object {
                        class: LOCAL_TIME.into(),
                        fields: vec![
                            ("hour".into(), Value::Int(13)),
                            ("minute".into(), Value::Int(45)),
                            ("second".into(), Value::Int(30)),
                            ("nano".into(), Value::Int(123_000_000)),
                        ],
                    },
                ),
            ],
        };
        assert_eq!(generalize(&ldt), s("2024-02-29T13:45:30.123"));
        let ints = Value::List {
            ty: Some("[int".into()),
            items: vec![Value::Int(1)],
        };
        assert_eq!(generalize(&ints), ints);
    }
}
