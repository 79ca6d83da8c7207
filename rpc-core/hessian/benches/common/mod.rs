//! The request body both `codec.rs` and `examples/decode_probe.rs` measure: its Rust types,
//! a sample value, and the encode and decode functions (typed, zero-copy, `Value`).

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;

use dubbo_hessian2::{Date, Deserializer, Serializer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.example.Address")]
pub(crate) struct Address {
    zip: String,
    city: String,
    street: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.example.Status")]
pub(crate) enum Status {
    #[serde(rename = "ACTIVE")]
    Active,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.example.User")]
pub(crate) struct User {
    tags: Vec<String>,
    props: HashMap<String, String>,
    address: Address,
    status: Status,
    created: Date,
    phone: Option<String>,
    email: Option<String>,
    vip: bool,
    balance: f64,
    score: f64,
    level: i32,
    age: i32,
    id: i64,
    name: String,
}

#[derive(Debug)]
#[allow(dead_code)]
pub(crate) struct Request<'a> {
    version: &'a str,
    path: &'a str,
    service_version: &'a str,
    method: &'a str,
    descriptor: &'a str,
    tenant: String,
    trace: String,
    pub(crate) user: User,
    pub(crate) attachments: HashMap<String, String>,
}

pub(crate) fn sample_user() -> User {
    User {
        tags: vec![
            "vip".into(),
            "beta".into(),
            "cn-north".into(),
            "mobile".into(),
        ],
        props: [
            ("locale", "zh_CN"),
            ("theme", "dark"),
            ("plan", "enterprise"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect(),
        address: Address {
            zip: "100080".into(),
            city: "Beijing".into(),
            street: "No. 5 Zhongguancun South Street".into(),
        },
        status: Status::Active,
        created: Date(1_700_000_000_000),
        phone: Some("+86-10-5555-0100".into()),
        email: Some("alice@example.com".into()),
        vip: true,
        balance: 1024.5,
        level: 7,
        score: 97.25,
        age: 30,
        id: 1_234_567_890_123,
        name: "Alice Zhang".into(),
    }
}

pub(crate) fn attachments() -> HashMap<String, String> {
    [
        ("path", "org.example.UserService"),
        ("interface", "org.example.UserService"),
        ("version", "0.0.0"),
        ("timeout", "3000"),
        ("remote.application", "bench-consumer"),
    ]
    .into_iter()
    .map(|(k, v)| (k.into(), v.into()))
    .collect()
}

pub(crate) fn encode(out: &mut Vec<u8>, user: &User, att: &HashMap<String, String>) {
    let mut ser = Serializer::new(out);
    for s in [
        "2.0.2",
        "org.example.UserService",
        "0.0.0",
        "updateUser",
        "Ljava/lang/String;Ljava/lang/String;Lorg/example/User;",
        "tenant-42",
        "trace-5f2a9c",
    ] {
        s.serialize(&mut ser).unwrap();
    }
    user.serialize(&mut ser).unwrap();
    att.serialize(&mut ser).unwrap();
}

#[inline(never)]
pub(crate) fn decode(body: &[u8]) -> Request<'_> {
    let mut de = Deserializer::new(body);
    let mut s = || <&str>::deserialize(&mut de).unwrap();
    let (version, path, service_version, method, descriptor) = (s(), s(), s(), s(), s());
    let tenant = String::deserialize(&mut de).unwrap();
    let trace = String::deserialize(&mut de).unwrap();
    let user = User::deserialize(&mut de).unwrap();
    let attachments = HashMap::deserialize(&mut de).unwrap();
    assert!(de.is_end());
    Request {
        version,
        path,
        service_version,
        method,
        descriptor,
        tenant,
        trace,
        user,
        attachments,
    }
}

/// The same POJO with every string borrowed from the body (zero-copy).
#[derive(Debug, Deserialize)]
#[serde(rename = "org.example.User")]
#[allow(dead_code)]
pub(crate) struct UserRef<'a> {
    #[serde(borrow)]
    tags: Vec<&'a str>,
    #[serde(borrow)]
    props: HashMap<&'a str, &'a str>,
    #[serde(borrow)]
    address: AddressRef<'a>,
    status: Status,
    created: Date,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    vip: bool,
    balance: f64,
    score: f64,
    level: i32,
    age: i32,
    id: i64,
    name: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(rename = "org.example.Address")]
#[allow(dead_code)]
pub(crate) struct AddressRef<'a> {
    zip: &'a str,
    city: &'a str,
    street: &'a str,
}

#[inline(never)]
pub(crate) fn decode_borrowed(body: &[u8]) -> (Vec<&str>, UserRef<'_>, HashMap<&str, &str>) {
    let mut de = Deserializer::new(body);
    let head: Vec<&str> = (0..7)
        .map(|_| <&str>::deserialize(&mut de).unwrap())
        .collect();
    let user = UserRef::deserialize(&mut de).unwrap();
    let att = HashMap::deserialize(&mut de).unwrap();
    (head, user, att)
}

#[inline(never)]
pub(crate) fn decode_value(body: &[u8]) -> Vec<dubbo_hessian2::Value> {
    let mut de = Deserializer::new(body);
    (0..9).map(|_| de.read_value().unwrap()).collect()
}
