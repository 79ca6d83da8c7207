//! Encode/decode a typical Dubbo request body with our codec (typed serde path and
//! dynamic `Value`), and decode the same bytes with hessian_rs for comparison.
//!
//! Run: `cargo bench -p dubbo-hessian2 --bench codec`

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use common::{attachments, decode, decode_borrowed, encode, sample_user, User};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dubbo_hessian2::Deserializer;

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
