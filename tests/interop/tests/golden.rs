//! Java's exact bytes, without a JVM: the frames in `tests/interop/golden/` (captured from a
//! Java Dubbo 3.3.6 consumer and provider, see its README) decoded with our codec
//! (`DubboCodec` + the body decoders), every field checked, and re-encoded where the bytes are
//! deterministic (everything but the request id and the order of Java's `HashMap` attachments,
//! which we take from the frame itself).

use std::collections::HashMap;
use std::path::Path;

use bytes::BytesMut;
use dubbo_interop_tests::consumer::{full_user, same_value, sparse_user, EMOJI};
use dubbo_interop_tests::{Color, InteropServiceImpl, InteropServiceServer, User};
use dubbo_rpc::codec::body::{
    self, decode_error_message, decode_request, decode_response, encode_request,
    encode_value_response, DecodedRequest, DecodedResponse, EncodedArgs,
};
use dubbo_rpc::codec::{write_frame, Decoded, DubboCodec, Frame, Header};
use dubbo_rpc::hessian::{BigDecimal, Date, Deserializer, LocalDateTime, Serializer, Value};
use dubbo_rpc::service::NamedService;
use dubbo_rpc::{Attachments, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_util::codec::Decoder;

const INTEROP: &str = "org.apache.dubbo.interop.api.InteropService";
const DEMO: &str = "org.apache.dubbo.demo.DemoService";

fn raw(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The one frame of a golden file, through our stream decoder.
fn frame(name: &str) -> Frame {
    let bytes = raw(name);
    let mut src = BytesMut::from(&bytes[..]);
    let decoded = DubboCodec::default()
        .decode(&mut src)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|| panic!("{name}: incomplete frame"));
    assert!(
        src.is_empty(),
        "{name}: {} bytes after the frame",
        src.len()
    );
    match decoded {
        Decoded::Frame(f) => {
            assert_eq!(f.body.len(), f.header.body_len as usize);
            f
        }
        Decoded::Oversized(h) => panic!("{name}: oversized {h:?}"),
    }
}

/// A two-way Hessian 2 request of `method` with descriptor `desc`, checked field by field.
fn request(name: &str, path: &str, method: &str, desc: &str) -> (Frame, DecodedRequest) {
    let f = frame(name);
    assert_eq!(f.header.flags, 0xc2, "{name}: two-way Hessian 2 request");
    assert!(f.header.is_request() && f.header.is_two_way() && !f.header.is_event());
    assert_eq!(f.header.serialization(), 2);
    let r = decode_request(&f.body).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.dubbo_version, "2.0.2", "{name}");
    assert!(r.supports_response_attachments());
    assert_eq!(r.path, path, "{name}");
    assert_eq!(r.method, method, "{name}");
    assert_eq!(r.parameter_types, desc, "{name}");
    // What every Java 3.3 consumer attaches (protocol.md §2).
    let a = &r.attachments;
    assert_eq!(a.get_str("path"), Some(path), "{name}");
    assert_eq!(a.get_str("interface"), Some(path), "{name}");
    assert_eq!(
        a.get_str("timeout"),
        Some("3000"),
        "{name}: timeout is a String"
    );
    assert_eq!(
        a.get_str("remote.application"),
        Some("java-interop-consumer"),
        "{name}"
    );
    // Our provider would route it: the descriptor is one of our trait's methods.
    if path == INTEROP && !method.starts_with('$') {
        let d = <InteropServiceServer<InteropServiceImpl> as NamedService>::descriptor();
        assert!(
            d.find_method(method, desc).is_some(),
            "{name}: {method}({desc}) not in our InteropService"
        );
    }
    (f, r)
}

/// The arguments of a request, decoded in order.
fn args(f: &Frame, r: &DecodedRequest) -> Deserializer<'static> {
    let bytes: &'static [u8] = Box::leak(f.body[r.args.clone()].to_vec().into_boxed_slice());
    Deserializer::new(bytes)
}

fn arg<T: DeserializeOwned>(de: &mut Deserializer<'static>) -> T {
    T::deserialize(de).expect("argument decodes")
}

/// Our encoding of the same request body: Java's bytes exactly, once the attachments are in
/// Java's order (taken from the frame).
fn assert_request_reencodes<F>(f: &Frame, r: &DecodedRequest, write_args: F)
where
    F: FnOnce(&mut Serializer<'_>),
{
    let mut buf = Vec::new();
    let state = {
        let mut ser = Serializer::new(&mut buf);
        write_args(&mut ser);
        ser.into_state()
    };
    let mut body = Vec::new();
    encode_request(
        &mut body,
        &r.path,
        r.version.as_deref(),
        &r.method,
        &r.parameter_types,
        &EncodedArgs { bytes: buf, state },
        &r.attachments,
    )
    .unwrap();
    assert_eq!(
        body,
        &f.body[..],
        "our request body differs from Java's for {}",
        r.method
    );
}

/// An OK response with flag 4 (value + attachments), decoded as `T`; its attachments are
/// exactly `{"dubbo": "2.0.2"}`.
fn response<T: DeserializeOwned>(name: &str) -> (Frame, T) {
    let f = frame(name);
    assert_eq!(
        f.header.flags, 0x02,
        "{name}: Hessian 2 response, no event bit"
    );
    assert_eq!(f.header.status, StatusCode::OK, "{name}");
    assert_eq!(
        f.body[0], 0x94,
        "{name}: flag RESPONSE_VALUE_WITH_ATTACHMENTS"
    );
    let value = match decode_response(f.body.clone()).unwrap() {
        DecodedResponse::Value { .. } => decode_response(f.body.clone())
            .unwrap()
            .decode::<T>()
            .unwrap_or_else(|e| panic!("{name}: {e}")),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(response_attachments(&f.body), dubbo_2_0_2(), "{name}");
    (f, value)
}

fn dubbo_2_0_2() -> Attachments {
    let mut a = Attachments::new();
    a.insert_str("dubbo", "2.0.2");
    a
}

/// The attachments after the flag and the (optional) value of a flag 3/4/5 body.
fn response_attachments(body: &[u8]) -> Attachments {
    let mut de = Deserializer::new(body);
    let flag: i32 = serde::Deserialize::deserialize(&mut de).unwrap();
    assert!((3..=5).contains(&flag), "flag {flag} has no attachments");
    if flag != 5 {
        de.skip_value().unwrap();
    }
    let a = Attachments::from_value(de.read_value().unwrap());
    assert!(de.is_end(), "bytes after the attachments");
    a
}

/// Our provider's response body for `value` is Java's, byte for byte.
fn assert_response_reencodes<T: Serialize + ?Sized>(f: &Frame, value: &T) {
    let ours = encode_value_response(value, true).unwrap();
    assert_eq!(ours, &f.body[..], "our response body differs from Java's");
}

/// Decoding the whole body as values and encoding them again gives Java's bytes.
fn assert_values_roundtrip(name: &str, body: &[u8]) {
    let mut de = Deserializer::new(body);
    let mut values = Vec::new();
    while !de.is_end() {
        values.push(de.read_value().unwrap_or_else(|e| panic!("{name}: {e}")));
    }
    let mut out = Vec::new();
    let mut ser = Serializer::new(&mut out);
    for v in &values {
        v.serialize(&mut ser).unwrap();
    }
    assert_eq!(out, body, "{name}: Value round trip is not byte-identical");
}

#[test]
fn every_golden_frame_decodes_and_its_values_reencode_byte_for_byte() {
    let tsv = String::from_utf8(raw("frames.tsv")).unwrap();
    let mut n = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, flags, status, id, len) = (cols[0], cols[3], cols[4], cols[5], cols[6]);
        let f = frame(file);
        assert_eq!(format!("{:#04x}", f.header.flags), flags, "{file}");
        assert_eq!(f.header.status.0.to_string(), status, "{file}");
        assert_eq!(
            (f.header.id as i64).to_string(),
            id,
            "{file}: id as Java's signed long"
        );
        assert_eq!(f.header.body_len.to_string(), len, "{file}");
        if !f.header.is_event() {
            assert_values_roundtrip(file, &f.body);
        }
        // Our frame writer gives the same header.
        let mut out = BytesMut::new();
        write_frame(&f.header, &f.body, &mut out);
        assert_eq!(&out[..], &raw(file)[..], "{file}: header re-encodes");
        n += 1;
    }
    assert_eq!(n, 38, "frames.tsv lists 38 frames");
}

#[test]
fn say_hello() {
    let (f, r) = request(
        "sayHello.request.bin",
        DEMO,
        "sayHello",
        "Ljava/lang/String;",
    );
    assert_eq!(r.version, None, "0.0.0 means no version");
    assert_eq!(r.attachments.get_str("version"), Some("0.0.0"));
    assert_eq!(r.attachments.get("group"), None);
    let mut a = args(&f, &r);
    assert_eq!(arg::<String>(&mut a), "world");
    assert_request_reencodes(&f, &r, |s| "world".serialize(s).unwrap());

    let (resp, v) = response::<String>("sayHello.response.bin");
    assert_eq!(v, "Hello world");
    assert_eq!(resp.header.id, f.header.id, "the response echoes the id");
    assert_response_reencodes(&resp, "Hello world");
    // The whole frame, as our server would write it.
    let mut out = BytesMut::new();
    write_frame(
        &Header::response_to(&f.header, StatusCode::OK, 0),
        &encode_value_response("Hello world", true).unwrap(),
        &mut out,
    );
    assert_eq!(&out[..], &raw("sayHello.response.bin")[..]);
}

#[test]
fn echo_user() {
    let (f, r) = request(
        "echoUser.request.bin",
        INTEROP,
        "echoUser",
        "Lorg/apache/dubbo/interop/api/User;",
    );
    let mut a = args(&f, &r);
    assert_eq!(arg::<User>(&mut a), full_user());
    let (resp, v) = response::<User>("echoUser.response.bin");
    assert_eq!(v, full_user());
    // Field order is Java's (User declares its fields in it); only the HashMap order of
    // `attributes` may differ, so compare lengths and values.
    let ours = encode_value_response(&full_user(), true).unwrap();
    assert_eq!(ours.len(), resp.body.len());
    let decode = |b: Vec<u8>| -> Value { decode_response(b.into()).unwrap().decode().unwrap() };
    assert!(same_value(&decode(ours), &decode(resp.body.to_vec())));
}

#[test]
fn business_exception() {
    let (f, r) = request("fail.request.bin", INTEROP, "fail", "Ljava/lang/String;");
    let msg = "business failure \u{4E2D}\u{6587} #42";
    assert_eq!(arg::<String>(&mut args(&f, &r)), msg);
    assert_request_reencodes(&f, &r, |s| msg.serialize(s).unwrap());

    let resp = frame("fail.business-exception.response.bin");
    assert_eq!(
        resp.header.status,
        StatusCode::OK,
        "business errors are status 20"
    );
    assert_eq!(
        resp.body[0], 0x93,
        "flag RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS"
    );
    let e = match decode_response(resp.body.clone()).unwrap() {
        DecodedResponse::Exception(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(e.class, "org.apache.dubbo.interop.api.InteropException");
    assert_eq!(e.message.as_deref(), Some(msg));
    let object = e.object.as_deref().unwrap();
    let fields: Vec<&str> = match object {
        Value::Object { fields, .. } => fields.iter().map(|(n, _)| n.as_str()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        fields,
        [
            "suppressedExceptions",
            "stackTrace",
            "cause",
            "detailMessage"
        ]
    );
    // JDK 17: the empty suppressed list is Collections$EmptyList (protocol.md predicted
    // UnmodifiableList), and `cause` is a reference to the exception itself.
    match object.field("suppressedExceptions").unwrap() {
        Value::List { ty, items } => {
            assert_eq!(ty.as_deref(), Some("java.util.Collections$EmptyList"));
            assert!(items.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(object.field("cause"), Some(&Value::Ref(0)));
    match object.field("stackTrace").unwrap() {
        Value::List { ty, items } => {
            assert_eq!(ty.as_deref(), Some("[java.lang.StackTraceElement"));
            assert!(!items.is_empty());
            let first = &items[0];
            assert_eq!(first.class_name(), Some("java.lang.StackTraceElement"));
            let names: Vec<&str> = match first {
                Value::Object { fields, .. } => fields.iter().map(|(n, _)| n.as_str()).collect(),
                _ => unreachable!(),
            };
            assert_eq!(
                names,
                [
                    "format",
                    "lineNumber",
                    "fileName",
                    "methodName",
                    "declaringClass",
                    "moduleVersion",
                    "moduleName",
                    "classLoaderName"
                ],
                "JDK 17's StackTraceElement"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(response_attachments(&resp.body), dubbo_2_0_2());
}

#[test]
fn void_no_arg_and_one_way() {
    let (f, r) = request("ping.request.bin", INTEROP, "ping", "");
    assert!(
        r.args.is_empty(),
        "no argument values for an empty descriptor"
    );
    assert_request_reencodes(&f, &r, |_| {});
    let resp = frame("ping.void.response.bin");
    assert_eq!(&resp.body[..1], [0x95], "void: null value + attachments");
    assert!(matches!(
        decode_response(resp.body.clone()).unwrap(),
        DecodedResponse::Null
    ));
    assert_eq!(response_attachments(&resp.body), dubbo_2_0_2());
    assert_response_reencodes(&resp, &());

    let f = frame("recordOneway.oneway.request.bin");
    assert_eq!(f.header.flags, 0x82, "one-way: no TWO_WAY bit");
    assert!(f.header.is_request() && !f.header.is_two_way());
    let r = decode_request(&f.body).unwrap();
    assert_eq!(r.method, "recordOneway");
    let token: String = arg(&mut args(&f, &r));
    assert!(token.starts_with("oneway-"), "{token}");
    assert_eq!(
        r.attachments.get_str("timeout"),
        Some("3000"),
        "Java still sends a timeout on one-way calls"
    );
}

#[test]
fn overload() {
    let (f, r) = request(
        "greet2.request.bin",
        INTEROP,
        "greet",
        "Ljava/lang/String;I",
    );
    let mut a = args(&f, &r);
    let name: String = arg(&mut a);
    let times: i32 = arg(&mut a);
    assert_eq!((name.as_str(), times), ("Ann", 3));
    assert_request_reencodes(&f, &r, |s| {
        "Ann".serialize(&mut *s).unwrap();
        3i32.serialize(s).unwrap();
    });
    let (resp, v) = response::<String>("greet2.response.bin");
    assert_eq!(v, "Hello, Ann Hello, Ann Hello, Ann");
    assert_response_reencodes(&resp, &v);
}

#[test]
fn non_bmp_string_is_cesu8() {
    let (f, r) = request(
        "echoString.emoji.request.bin",
        INTEROP,
        "echoString",
        "Ljava/lang/String;",
    );
    assert_eq!(arg::<String>(&mut args(&f, &r)), EMOJI);
    assert_request_reencodes(&f, &r, |s| EMOJI.serialize(s).unwrap());
    let (resp, v) = response::<String>("echoString.emoji.response.bin");
    assert_eq!(v, EMOJI);
    // Surrogates as 3-byte sequences (ED A0..BF ..), never a 4-byte UTF-8 sequence.
    assert!(!resp.body.iter().any(|b| *b >= 0xf0));
    assert_response_reencodes(&resp, EMOJI);
}

fn expected_map() -> HashMap<String, Value> {
    let user = dubbo_rpc::hessian::from_slice::<Value>(
        &dubbo_rpc::hessian::to_vec(&User {
            name: Some("inmap".into()),
            age: 5,
            id: Some(5),
            address: Some(dubbo_interop_tests::Address::new("s5", "c5")),
            ..Default::default()
        })
        .unwrap(),
    )
    .unwrap();
    let s = |v: &str| Value::String(v.into());
    HashMap::from([
        ("int".to_owned(), Value::Int(42)),
        ("long".to_owned(), Value::Long(1 << 40)),
        ("double".to_owned(), Value::Double(2.5)),
        ("bool".to_owned(), Value::Bool(true)),
        ("string".to_owned(), s("\u{4E2D}\u{6587}")),
        ("null".to_owned(), Value::Null),
        (
            "list".to_owned(),
            Value::List {
                ty: None,
                items: vec![s("p"), s("q")],
            },
        ),
        (
            "map".to_owned(),
            Value::Map {
                ty: None,
                entries: vec![(s("k"), s("v")), (s("n"), Value::Int(1))],
            },
        ),
        ("user".to_owned(), user),
    ])
}

fn assert_map(m: &HashMap<String, Value>) {
    let want = expected_map();
    assert_eq!(m.len(), want.len());
    for (k, v) in &want {
        assert!(same_value(v, &m[k]), "{k}: {:?} vs {v:?}", m[k]);
    }
}

#[test]
fn maps() {
    let (f, r) = request("echoMap.request.bin", INTEROP, "echoMap", "Ljava/util/Map;");
    assert_map(&arg::<HashMap<String, Value>>(&mut args(&f, &r)));
    let (_, v) = response::<HashMap<String, Value>>("echoMap.response.bin");
    assert_map(&v);

    let (f, r) = request(
        "echoPojoMap.request.bin",
        INTEROP,
        "echoPojoMap",
        "Ljava/util/Map;",
    );
    let small = User {
        name: Some("c".into()),
        age: 3,
        id: Some(3),
        address: Some(dubbo_interop_tests::Address::new("s3", "c3")),
        ..Default::default()
    };
    let want = HashMap::from([
        (1i64, full_user()),
        (2, sparse_user()),
        (-5_000_000_000, small),
    ]);
    assert_eq!(arg::<HashMap<i64, User>>(&mut args(&f, &r)), want);
    let (_, v) = response::<HashMap<i64, User>>("echoPojoMap.response.bin");
    assert_eq!(v, want);
    // Keys are Hessian longs, not ints (Java reads Map<Long, User> keys as written).
    let keys: Value = decode_response(frame("echoPojoMap.response.bin").body)
        .unwrap()
        .decode()
        .unwrap();
    match keys {
        Value::Map { entries, .. } => {
            assert!(entries.iter().all(|(k, _)| matches!(k, Value::Long(_))))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dates_decimal_local_date_time_enum() {
    for (name, ms, tag) in [
        ("echoDate.ms", 1_700_000_000_123i64, 0x4a),
        ("echoDate.minutes", 1_700_000_040_000, 0x4b),
    ] {
        let (f, r) = request(
            &format!("{name}.request.bin"),
            INTEROP,
            "echoDate",
            "Ljava/util/Date;",
        );
        assert_eq!(f.body[r.args.start], tag, "{name}: Java's date form");
        assert_eq!(arg::<Date>(&mut args(&f, &r)), Date(ms));
        assert_request_reencodes(&f, &r, |s| Date(ms).serialize(s).unwrap());
        let (resp, v) = response::<Date>(&format!("{name}.response.bin"));
        assert_eq!(v, Date(ms));
        assert_response_reencodes(&resp, &Date(ms));
    }

    let d = BigDecimal("12345678901234567890.123456789".into());
    let (f, r) = request(
        "echoDecimal.request.bin",
        INTEROP,
        "echoDecimal",
        "Ljava/math/BigDecimal;",
    );
    assert_eq!(arg::<BigDecimal>(&mut args(&f, &r)), d);
    assert_request_reencodes(&f, &r, |s| d.serialize(s).unwrap());
    let (resp, v) = response::<BigDecimal>("echoDecimal.response.bin");
    assert_eq!(v, d);
    assert_response_reencodes(&resp, &d);

    let t = LocalDateTime {
        year: 2024,
        month: 2,
        day: 29,
        hour: 13,
        minute: 45,
        second: 30,
        nano: 123_456_789,
    };
    let (f, r) = request(
        "echoLocalDateTime.request.bin",
        INTEROP,
        "echoLocalDateTime",
        "Ljava/time/LocalDateTime;",
    );
    assert_eq!(arg::<LocalDateTime>(&mut args(&f, &r)), t);
    assert_request_reencodes(&f, &r, |s| t.serialize(s).unwrap());
    let (resp, v) = response::<LocalDateTime>("echoLocalDateTime.response.bin");
    assert_eq!(v, t);
    assert_response_reencodes(&resp, &t);

    let (f, r) = request(
        "echoColor.request.bin",
        INTEROP,
        "echoColor",
        "Lorg/apache/dubbo/interop/api/Color;",
    );
    assert_eq!(arg::<Color>(&mut args(&f, &r)), Color::RED);
    assert_request_reencodes(&f, &r, |s| Color::RED.serialize(s).unwrap());
    let (resp, v) = response::<Color>("echoColor.response.bin");
    assert_eq!(v, Color::RED);
    assert_response_reencodes(&resp, &Color::RED);
}

#[test]
fn echo_and_generic() {
    let (f, r) = request("echo.request.bin", INTEROP, "$echo", "Ljava/lang/Object;");
    assert_eq!(
        arg::<Value>(&mut args(&f, &r)),
        Value::String("ping".into())
    );
    let (resp, v) = response::<Value>("echo.response.bin");
    assert_eq!(v, Value::String("ping".into()));
    assert_response_reencodes(&resp, &v);

    let (f, r) = request(
        "generic.invoke-echoUser.request.bin",
        INTEROP,
        "$invoke",
        "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;",
    );
    assert_eq!(r.attachments.get_str("generic"), Some("true"));
    let mut a = args(&f, &r);
    assert_eq!(arg::<String>(&mut a), "echoUser");
    let types: Value = a.read_value().unwrap();
    assert_eq!(
        types,
        Value::List {
            ty: Some("[string".into()),
            items: vec![Value::String("org.apache.dubbo.interop.api.User".into())],
        }
    );
    let values: Value = a.read_value().unwrap();
    match &values {
        Value::List { ty, items } => {
            assert_eq!(ty.as_deref(), Some("[object"));
            assert_eq!(
                items[0].get("class").and_then(Value::as_str),
                Some("org.apache.dubbo.interop.api.User")
            );
        }
        other => panic!("{other:?}"),
    }
    let (_, v) = response::<Value>("generic.invoke-echoUser.response.bin");
    // PojoUtils.generalize: a HashMap with "class", every property (nulls and primitive
    // defaults included), the enum as its name, nested POJOs as maps.
    assert!(matches!(v, Value::Map { ty: None, .. }));
    let get = |k: &str| v.get(k).cloned();
    assert_eq!(
        get("class"),
        Some(Value::String("org.apache.dubbo.interop.api.User".into()))
    );
    assert_eq!(get("color"), Some(Value::String("BLUE".into())));
    assert_eq!(get("nickname"), Some(Value::Null));
    assert_eq!(get("vip"), Some(Value::Bool(false)));
    assert_eq!(get("score"), Some(Value::Double(0.0)));
    assert_eq!(
        get("address").unwrap().get("class").and_then(Value::as_str),
        Some("org.apache.dubbo.interop.api.Address")
    );
}

#[test]
fn version_and_group() {
    let (f, r) = request("whoAmI.v1-g1.request.bin", INTEROP, "whoAmI", "");
    assert_eq!(r.version.as_deref(), Some("1.0.0"), "version in the body");
    assert_eq!(r.group(), Some("g1"), "group only as an attachment");
    assert_eq!(r.attachments.get_str("version"), Some("1.0.0"));
    assert_request_reencodes(&f, &r, |_| {});
    let (resp, v) = response::<String>("whoAmI.v1-g1.response.bin");
    assert_eq!(v, "java:1.0.0:g1");
    assert_response_reencodes(&resp, &v);
}

#[test]
fn over_payload_response_is_status_25() {
    let (f, r) = request("makeBytes.request.bin", INTEROP, "makeBytes", "I");
    assert_eq!(arg::<i32>(&mut args(&f, &r)), 9 << 20);
    assert_request_reencodes(&f, &r, |s| (9i32 << 20).serialize(s).unwrap());
    let resp = frame("makeBytes.over-payload.response.bin");
    assert_eq!(resp.header.status, StatusCode::SERIALIZATION_ERROR);
    assert_eq!(resp.header.flags, 0x02);
    let msg = decode_error_message(&resp.body);
    assert!(
        msg.starts_with("Data length too large: 9440658, max payload: 8388608, channel: "),
        "{msg}"
    );
    // Our error body for the same message is Java's.
    assert_eq!(body::encode_error_message(&msg), &resp.body[..]);
}

#[test]
fn heartbeat_and_readonly_events() {
    let req = frame("heartbeat.request.bin");
    assert_eq!(req.header.flags, 0xe2);
    assert!(req.header.is_request() && req.header.is_two_way() && req.header.is_event());
    assert_eq!(&req.body[..], [0x4e], "heartbeat body = Hessian null");
    let resp = frame("heartbeat.response.bin");
    assert_eq!(resp.header.flags, 0x22, "heartbeat response: EVENT bit set");
    assert_eq!(resp.header.status, StatusCode::OK);
    assert_eq!(resp.header.id, req.header.id);
    assert_eq!(&resp.body[..], [0x4e]);

    let ro = frame("readonly-event.bin");
    assert_eq!(ro.header.flags, 0xa2, "one-way event");
    assert!(ro.header.is_request() && !ro.header.is_two_way() && ro.header.is_event());
    assert_eq!(
        dubbo_rpc::hessian::from_slice::<String>(&ro.body).unwrap(),
        "R"
    );
}

/// Reads one frame (header + body) from a stream.
async fn read_frame(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut frame = vec![0u8; 16];
    stream
        .read_exact(&mut frame)
        .await
        .expect("response header");
    let len = u32::from_be_bytes([frame[12], frame[13], frame[14], frame[15]]) as usize;
    frame.resize(16 + len, 0);
    stream
        .read_exact(&mut frame[16..])
        .await
        .expect("response body");
    frame
}

/// Sends a golden request frame and reads the answer.
async fn ask(stream: &mut tokio::net::TcpStream, req: &str) -> Vec<u8> {
    use tokio::io::AsyncWriteExt;
    stream.write_all(&raw(req)).await.unwrap();
    read_frame(stream).await
}

/// The Rust provider, fed Java's captured request frames, answers with Java's response bytes
/// (or, where Java's bytes are not deterministic, the same decoded values).
#[tokio::test]
async fn rust_provider_answers_java_requests_like_java() {
    use dubbo_interop_tests::{DemoServiceImpl, DemoServiceServer, VARIANTS};
    use dubbo_rpc::server::{ExportOptions, Server};

    let mut builder = Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .add_service(DemoServiceServer::new(DemoServiceImpl));
    for (version, group) in VARIANTS {
        // Identity "java", so whoAmI answers exactly what the Java provider did.
        builder = builder.add_service_with(
            InteropServiceServer::new(InteropServiceImpl::new("java", version, group)),
            ExportOptions {
                version: version.map(str::to_owned),
                group: group.map(str::to_owned),
                ..Default::default()
            },
        );
    }
    let server = builder.serve().await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.local_addr().port()))
        .await
        .unwrap();
    for (req, resp) in [
        ("sayHello.request.bin", "sayHello.response.bin"),
        ("greet2.request.bin", "greet2.response.bin"),
        (
            "echoString.emoji.request.bin",
            "echoString.emoji.response.bin",
        ),
        ("echoDate.ms.request.bin", "echoDate.ms.response.bin"),
        (
            "echoDate.minutes.request.bin",
            "echoDate.minutes.response.bin",
        ),
        ("echoDecimal.request.bin", "echoDecimal.response.bin"),
        (
            "echoLocalDateTime.request.bin",
            "echoLocalDateTime.response.bin",
        ),
        ("echoColor.request.bin", "echoColor.response.bin"),
        ("echo.request.bin", "echo.response.bin"),
        ("whoAmI.v1-g1.request.bin", "whoAmI.v1-g1.response.bin"),
        ("ping.request.bin", "ping.void.response.bin"),
        ("heartbeat.request.bin", "heartbeat.response.bin"),
    ] {
        let ours = ask(&mut stream, req).await;
        assert_eq!(
            ours,
            raw(resp),
            "our answer to {req} differs from Java's {resp}"
        );
    }
    // Java's HashMap orders: compare the decoded values and the attachments.
    for (req, resp) in [
        ("echoUser.request.bin", "echoUser.response.bin"),
        ("echoMap.request.bin", "echoMap.response.bin"),
        ("echoPojoMap.request.bin", "echoPojoMap.response.bin"),
        (
            "generic.invoke-echoUser.request.bin",
            "generic.invoke-echoUser.response.bin",
        ),
    ] {
        let ours = ask(&mut stream, req).await;
        let java = raw(resp);
        assert_eq!(ours[..16], java[..16], "{req}: header");
        let decode = |f: &[u8]| -> Value {
            decode_response(bytes::Bytes::copy_from_slice(&f[16..]))
                .unwrap()
                .decode()
                .unwrap()
        };
        assert!(
            same_value(&decode(&ours), &decode(&java)),
            "{req}: {:?}\nvs Java's {:?}",
            decode(&ours),
            decode(&java)
        );
        assert_eq!(response_attachments(&ours[16..]), dubbo_2_0_2());
    }
    // A business exception: Java's class is its own InteropException, ours a
    // RuntimeException; both status 20, flag 0x93, same message.
    let ours = ask(&mut stream, "fail.request.bin").await;
    assert_eq!(ours[3], 20);
    assert_eq!(ours[16], 0x93);
    match decode_response(bytes::Bytes::copy_from_slice(&ours[16..])).unwrap() {
        DecodedResponse::Exception(e) => {
            assert_eq!(e.class, "java.lang.RuntimeException");
            assert_eq!(
                e.message.as_deref(),
                Some("business failure \u{4E2D}\u{6587} #42")
            );
        }
        other => panic!("{other:?}"),
    }
    // Over the payload limit: status 25 and Java's message (the same body size, too).
    let ours = ask(&mut stream, "makeBytes.request.bin").await;
    assert_eq!(ours[2..4], [0x02, 25]);
    let msg = decode_error_message(&ours[16..]);
    assert!(
        msg.starts_with("Data length too large: 9440658, max payload: 8388608"),
        "{msg}"
    );
    server.shutdown().await;
}

/// Java writes an empty `byte[]` as an empty binary (`0x20`) and refuses an empty list where it
/// expects one; so does our codec for `Vec<u8>` and `[u8]`, at top level and inside values.
#[test]
fn empty_byte_arrays_are_binaries() {
    use dubbo_rpc::hessian::to_vec;
    assert_eq!(to_vec(&Vec::<u8>::new()).unwrap(), [0x20]);
    assert_eq!(to_vec(&Some(Vec::<u8>::new())).unwrap(), [0x20]);
    assert_eq!(to_vec(&[0u8; 0][..]).unwrap(), [0x20]);
    assert_eq!(to_vec(&vec![1u8, 2]).unwrap(), [0x22, 1, 2]);
    assert_eq!(to_vec(&vec![Vec::<u8>::new()]).unwrap(), [0x79, 0x20]);
    // Other empty sequences stay lists.
    assert_eq!(to_vec(&Vec::<String>::new()).unwrap(), [0x78]);
    assert_eq!(to_vec(&Vec::<i8>::new()).unwrap(), [0x78]);
}
