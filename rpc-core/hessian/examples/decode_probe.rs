//! Instruction-count probe for the decode paths of `benches/codec.rs`: decodes the
//! bench's body (same types, same `decode` functions) `N` times, so that
//! `valgrind --tool=callgrind` gives a load-independent cost per decode.
//!
//! ```text
//! cargo build --release -p dubbo-hessian2 --example decode_probe
//! # MODE: typed (the bench's `decode`, default), zero-copy (`decode_borrowed`) or value
//! for n in 1000 11000; do
//!   valgrind --tool=callgrind --callgrind-out-file=cg.$n target/release/examples/decode_probe $n MODE
//! done
//! # Ir per decode = (total Ir of cg.11000 - total Ir of cg.1000) / 10000 (setup cancels
//! # out); `calls=` lines to malloc in the two files give the mallocs per decode the same way.
//! ```
//!
//! Run without valgrind it prints the body length and the number of decodes.

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::{attachments, decode, decode_borrowed, decode_value, encode, sample_user};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let mode = args.next().unwrap_or_else(|| "typed".into());
    let user = sample_user();
    let att = attachments();
    let mut body = Vec::new();
    encode(&mut body, &user, &att);
    let r = decode(&body);
    assert_eq!(r.user, user);
    assert_eq!(r.attachments, att);
    match mode.as_str() {
        "typed" => (0..n).for_each(|_| drop(black_box(decode(black_box(&body))))),
        "zero-copy" => (0..n).for_each(|_| drop(black_box(decode_borrowed(black_box(&body))))),
        "value" => (0..n).for_each(|_| drop(black_box(decode_value(black_box(&body))))),
        _ => panic!("mode: typed, zero-copy or value"),
    }
    println!("{} bytes, {n} {mode} decodes", body.len());
}
