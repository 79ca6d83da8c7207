//! Encode/decode a typical Dubbo request body with our codec (typed serde path and
//! dynamic `Value`), and decode the same bytes with hessian_rs for comparison.
//!
//! Run: `cargo bench -p dubbo-hessian2 --bench codec`

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dubbo_hessian2::{Date, Deserializer, Serializer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.example.Address")]
struct Address {
    zip: String,
    city: String,
    street: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.example.Status")]
enum Status {
    #[serde(rename = "ACTIVE")]
    Active,
}

/// A POJO of typical shape: scalars, an enum, a date, a nested object, a nested list
/// and a nested map (fields in hessian-lite's order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.example.User")]
struct User {
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

/// The decoded body: header strings borrowed from the input, arguments owned.
#[derive(Debug)]
#[allow(dead_code)]
struct Request<'a> {
    version: &'a str,
    path: &'a str,
    service_version: &'a str,
    method: &'a str,
    descriptor: &'a str,
    tenant: String,
    trace: String,
    user: User,
    attachments: HashMap<String, String>,
}

fn sample_user() -> User {
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

fn attachments() -> HashMap<String, String> {
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

fn encode(out: &mut Vec<u8>, user: &User, att: &HashMap<String, String>) {
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

fn decode(body: &[u8]) -> Request<'_> {
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
struct UserRef<'a> {
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
struct AddressRef<'a> {
    zip: &'a str,
    city: &'a str,
    street: &'a str,
}

fn decode_borrowed(body: &[u8]) -> (Vec<&str>, UserRef<'_>, HashMap<&str, &str>) {
    let mut de = Deserializer::new(body);
    let head: Vec<&str> = (0..7)
        .map(|_| <&str>::deserialize(&mut de).unwrap())
        .collect();
    let user = UserRef::deserialize(&mut de).unwrap();
    let att = HashMap::deserialize(&mut de).unwrap();
    (head, user, att)
}

fn decode_hessian_rs(body: &[u8]) -> Vec<hessian_rs::Value> {
    let mut de = hessian_rs::de::Deserializer::new(body);
    (0..9).map(|_| de.read_value().unwrap()).collect()
}

/// Load-robust ratio: alternate short batches of both decoders and compare the
/// fastest batch of each (the machine running this is shared).
fn interleaved_ratio(body: &[u8], user: &User, att: &HashMap<String, String>) {
    use std::time::Instant;
    let (mut ours, mut borrowed, mut theirs) = (f64::MAX, f64::MAX, f64::MAX);
    let (mut enc, mut value) = (f64::MAX, f64::MAX);
    let mut out = Vec::with_capacity(1024);
    for _ in 0..300 {
        let t = Instant::now();
        for _ in 0..200 {
            out.clear();
            encode(&mut out, black_box(user), black_box(att));
            black_box(out.len());
        }
        enc = enc.min(t.elapsed().as_secs_f64() / 200.0);
        let t = Instant::now();
        for _ in 0..200 {
            let mut de = Deserializer::new(black_box(body));
            black_box((0..9).map(|_| de.read_value().unwrap()).collect::<Vec<_>>());
        }
        value = value.min(t.elapsed().as_secs_f64() / 200.0);
        let t = Instant::now();
        for _ in 0..200 {
            black_box(decode(black_box(body)));
        }
        ours = ours.min(t.elapsed().as_secs_f64() / 200.0);
        let t = Instant::now();
        for _ in 0..200 {
            black_box(decode_borrowed(black_box(body)));
        }
        borrowed = borrowed.min(t.elapsed().as_secs_f64() / 200.0);
        let t = Instant::now();
        for _ in 0..200 {
            black_box(decode_hessian_rs(black_box(body)));
        }
        theirs = theirs.min(t.elapsed().as_secs_f64() / 200.0);
    }
    println!(
        "interleaved best-of-300 ({} bytes): hessian_rs {:.0} ns; ours typed {:.0} ns = {:.2}x faster; \
         ours typed zero-copy {:.0} ns = {:.2}x faster",
        body.len(),
        theirs * 1e9,
        ours * 1e9,
        theirs / ours,
        borrowed * 1e9,
        theirs / borrowed,
    );
    println!(
        "interleaved best-of-300: ours encode typed {:.0} ns; ours decode to Value {:.0} ns = {:.2}x faster than hessian_rs",
        enc * 1e9,
        value * 1e9,
        theirs / value
    );
}

fn bench(c: &mut Criterion) {
    let user = sample_user();
    let att = attachments();
    let mut body = Vec::new();
    encode(&mut body, &user, &att);
    assert_eq!(decode(&body).user, user);
    interleaved_ratio(&body, &user, &att);

    let mut g = c.benchmark_group("dubbo_request_body");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.sample_size(30);

    let mut out = Vec::with_capacity(1024);
    g.bench_function("encode/typed", |b| {
        b.iter(|| {
            out.clear();
            encode(&mut out, black_box(&user), black_box(&att));
            black_box(out.len())
        })
    });
    g.bench_function("decode/typed", |b| {
        b.iter(|| black_box(decode(black_box(&body))))
    });
    g.bench_function("decode/typed_zero_copy", |b| {
        b.iter(|| black_box(decode_borrowed(black_box(&body))))
    });
    g.bench_function("decode/value", |b| {
        b.iter(|| {
            let mut de = Deserializer::new(black_box(&body));
            let vals: Vec<_> = (0..9).map(|_| de.read_value().unwrap()).collect();
            black_box(vals)
        })
    });
    g.bench_function("decode/hessian_rs", |b| {
        b.iter(|| black_box(decode_hessian_rs(black_box(&body))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
