use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use dubbo_hessian2::{Deserializer, Value};

use super::{method_key, LoadBalance};
use crate::client::invocation::Invocation;
use crate::cluster::invoker::Invoker;

/// Java's default number of virtual nodes per provider (`hash.nodes`).
pub const DEFAULT_HASH_NODES: usize = 160;
/// Java's default argument indexes the key is made of (`hash.arguments`): the first.
pub const DEFAULT_HASH_ARGUMENTS: &str = "0";

/// Consistent hashing on call arguments, Java's `ConsistentHashLoadBalance`.
///
/// Each provider puts `hash.nodes` (default 160) points on a ring of `u32`s: for `i` in
/// `0..hash.nodes / 4`, the MD5 digest of `"<host>:<port><i>"` split into four little-endian
/// `u32`s. A call's key is the concatenated text of the arguments at the comma-separated
/// indexes of `hash.arguments` (default `0`, the first argument); the call goes to the
/// provider of the first point at or after the first `u32` of the key's MD5 digest, wrapping
/// around. So equal arguments always reach the same provider, and when a provider leaves
/// only the keys it held move.
///
/// The layout and hash are Java's, so for arguments whose text is the same as Java's
/// `String.valueOf` (strings, integers, booleans, `null`, and lists and maps of them) Rust
/// and Java consumers send the same key to the same provider. Other values use a stable
/// text of their own (objects as `class{field=value, …}`, dates as epoch milliseconds,
/// binary as its bytes). If the arguments cannot be decoded, the key is their raw encoding.
///
/// `hash.nodes` and `hash.arguments` are read per method from the consumer's parameters,
/// then from the first provider's URL. One ring is kept per service and method, and rebuilt
/// only when the candidate providers (or `hash.nodes`) change.
#[derive(Debug, Default)]
pub struct ConsistentHash {
    rings: Mutex<HashMap<String, Arc<Ring>>>,
}

/// The virtual nodes of one provider set.
#[derive(Debug)]
struct Ring {
    /// The providers it was built from (their addresses in memory, sorted): the ring holds
    /// them, so the addresses cannot be reused while it lives.
    members: Vec<usize>,
    /// `hash.nodes` it was built with.
    nodes: usize,
    /// Sorted points.
    points: Vec<(u32, Arc<Invoker>)>,
}

fn members(invokers: &[Arc<Invoker>]) -> Vec<usize> {
    let mut m: Vec<usize> = invokers.iter().map(|i| Arc::as_ptr(i) as usize).collect();
    m.sort_unstable();
    m
}

impl Ring {
    fn new(invokers: &[Arc<Invoker>], nodes: usize) -> Ring {
        // A BTreeMap filled in candidate order, so that on a (rare) collision the later
        // provider wins, as in Java's TreeMap.
        let mut points = BTreeMap::new();
        for invoker in invokers {
            let address = invoker.address();
            for i in 0..(nodes / 4).max(1) {
                let digest = md5(format!("{address}{i}").as_bytes());
                for h in 0..4 {
                    points.insert(point(&digest, h), invoker.clone());
                }
            }
        }
        Ring {
            members: members(invokers),
            nodes,
            points: points.into_iter().collect(),
        }
    }

    /// The provider owning `key`.
    fn locate(&self, key: &[u8]) -> &Arc<Invoker> {
        let hash = point(&md5(key), 0);
        let at = self.points.partition_point(|(p, _)| *p < hash);
        &self.points[if at == self.points.len() { 0 } else { at }].1
    }
}

/// Java's `hash(digest, number)`: bytes `4n..4n+4` of the digest as a little-endian `u32`.
fn point(digest: &[u8; 16], number: usize) -> u32 {
    let b = &digest[number * 4..number * 4 + 4];
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// `hash.arguments`: comma-separated argument indexes; invalid or negative ones are ignored.
fn argument_indexes(spec: &str) -> Vec<usize> {
    spec.split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
        .collect()
}

/// The call's key: the text of the chosen arguments, concatenated (Java's `toKey`).
fn call_key(args: &[u8], indexes: &[usize]) -> Vec<u8> {
    let Some(&last) = indexes.iter().max() else {
        return Vec::new();
    };
    let mut values = Vec::new();
    let mut de = Deserializer::new(args);
    while values.len() <= last && !de.is_end() {
        match de.read_value() {
            Ok(v) => values.push(v),
            Err(_) => return args.to_vec(),
        }
    }
    let mut key = String::new();
    for &i in indexes {
        if let Some(v) = values.get(i) {
            java_text(v, &mut key);
        }
    }
    key.into_bytes()
}

/// The text Java's `String.valueOf` gives the value, where that is stable.
fn java_text(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Long(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Double(d) => java_double(*d, out),
        Value::String(s) => out.push_str(s),
        Value::Date(ms) => {
            let _ = write!(out, "{ms}");
        }
        Value::Binary(b) => {
            let _ = write!(out, "{b:?}");
        }
        Value::List { items, .. } => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                java_text(item, out);
            }
            out.push(']');
        }
        Value::Map { entries, .. } => {
            out.push('{');
            for (n, (k, v)) in entries.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                java_text(k, out);
                out.push('=');
                java_text(v, out);
            }
            out.push('}');
        }
        Value::Object { class, fields } => {
            out.push_str(class);
            out.push('{');
            for (n, (name, v)) in fields.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push('=');
                java_text(v, out);
            }
            out.push('}');
        }
        Value::Ref(n) => {
            let _ = write!(out, "@{n}");
        }
    }
}

/// Java's `Double.toString`: `1.0`, `0.25`, and `1.0E10` / `1.0E-5` outside `[1e-3, 1e7)`.
fn java_double(d: f64, out: &mut String) {
    if d.is_nan() {
        out.push_str("NaN");
    } else if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
    } else if d == 0.0 || (1e-3..1e7).contains(&d.abs()) {
        let _ = write!(out, "{d:?}");
    } else {
        let s = format!("{d:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        out.push_str(mantissa);
        if !mantissa.contains('.') {
            out.push_str(".0");
        }
        out.push('E');
        out.push_str(exponent);
    }
}

impl ConsistentHash {
    /// The ring for `key` over `invokers`, rebuilt if the providers or `nodes` changed.
    fn ring(&self, key: String, invokers: &[Arc<Invoker>], nodes: usize) -> Arc<Ring> {
        let wanted = members(invokers);
        let mut rings = self.rings.lock().unwrap_or_else(|e| e.into_inner());
        match rings.get(&key) {
            Some(ring) if ring.members == wanted && ring.nodes == nodes => ring.clone(),
            _ => {
                let ring = Arc::new(Ring::new(invokers, nodes));
                rings.insert(key, ring.clone());
                ring
            }
        }
    }
}

impl LoadBalance for ConsistentHash {
    fn select(&self, invokers: &[Arc<Invoker>], invocation: &Invocation) -> Arc<Invoker> {
        if invokers.len() == 1 {
            return invokers[0].clone();
        }
        let method = &invocation.method().name;
        let settings = &invocation.target().settings;
        let provider = Some(invokers[0].url());
        let nodes = settings
            .parameter(method, "hash.nodes", provider)
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(DEFAULT_HASH_NODES);
        let indexes = argument_indexes(
            settings
                .parameter(method, "hash.arguments", provider)
                .as_deref()
                .unwrap_or(DEFAULT_HASH_ARGUMENTS),
        );
        let ring = self.ring(method_key(invocation), invokers, nodes);
        let key = call_key(&invocation.args().bytes, &indexes);
        ring.locate(&key).clone()
    }
}

/// MD5 (RFC 1321), as Java's `Bytes.getMD5`, for the ring layout only.
fn md5(data: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    const K: [u32; 64] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391,
    ];
    let mut state: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_le_bytes());
    for block in message.chunks_exact(64) {
        let mut m = [0u32; 16];
        for (w, bytes) in m.iter_mut().zip(block.chunks_exact(4)) {
            *w = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(K[i])
                .wrapping_add(m[g])
                .rotate_left(S[i]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
    let mut out = [0u8; 16];
    for (chunk, s) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{invocation, invocation_with, invoker};
    use super::*;

    fn hex(d: [u8; 16]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn providers(n: u16) -> Vec<Arc<Invoker>> {
        (0..n).map(|i| invoker(20001 + i, "")).collect()
    }

    fn position(invokers: &[Arc<Invoker>], chosen: &Arc<Invoker>) -> usize {
        invokers
            .iter()
            .position(|x| Arc::ptr_eq(x, chosen))
            .unwrap()
    }

    #[test]
    fn md5_matches_rfc_1321() {
        for (input, digest) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            assert_eq!(hex(md5(input.as_bytes())), digest, "{input:?}");
        }
    }

    #[test]
    fn ring_has_160_points_per_provider_by_default() {
        let ring = Ring::new(&providers(3), DEFAULT_HASH_NODES);
        assert_eq!(ring.points.len(), 3 * 160);
        assert!(ring.points.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn same_key_same_provider() {
        let invokers = providers(4);
        let ring = Ring::new(&invokers, DEFAULT_HASH_NODES);
        for n in 0..1_000 {
            let key = format!("user-{n}");
            let first = ring.locate(key.as_bytes()).clone();
            for _ in 0..3 {
                assert!(Arc::ptr_eq(ring.locate(key.as_bytes()), &first));
            }
        }
    }

    #[test]
    fn keys_spread_over_providers() {
        let invokers = providers(5);
        let ring = Ring::new(&invokers, DEFAULT_HASH_NODES);
        let mut counts = [0usize; 5];
        for n in 0..50_000 {
            counts[position(&invokers, ring.locate(format!("user-{n}").as_bytes()))] += 1;
        }
        // 10 000 each on a perfect ring; 160 points each keep every share within ±25 %.
        assert!(
            counts.iter().all(|&c| (7_500..12_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn removing_a_provider_moves_only_its_keys() {
        let all = providers(5);
        let before = Ring::new(&all, DEFAULT_HASH_NODES);
        let rest: Vec<_> = all
            .iter()
            .filter(|i| i.url().port() != 20003)
            .cloned()
            .collect();
        let after = Ring::new(&rest, DEFAULT_HASH_NODES);
        let mut moved = 0;
        for n in 0..20_000 {
            let key = format!("user-{n}");
            let old = before.locate(key.as_bytes());
            let new = after.locate(key.as_bytes());
            if old.url().port() == 20003 {
                moved += 1;
                assert_ne!(new.url().port(), 20003);
            } else {
                assert!(
                    Arc::ptr_eq(old, new),
                    "{key} moved off a remaining provider"
                );
            }
        }
        assert!((2_000..6_000).contains(&moved), "{moved}");
    }

    #[test]
    fn adding_a_provider_only_takes_keys() {
        let all = providers(5);
        let before = Ring::new(&all[..4], DEFAULT_HASH_NODES);
        let after = Ring::new(&all, DEFAULT_HASH_NODES);
        for n in 0..20_000 {
            let key = format!("user-{n}");
            let old = before.locate(key.as_bytes());
            let new = after.locate(key.as_bytes());
            assert!(Arc::ptr_eq(old, new) || Arc::ptr_eq(new, &all[4]), "{key}");
        }
    }

    /// `hash(getMD5("127.0.0.1:200010"), 0..4)` as Java Dubbo computes it.
    const JAVA_POINTS_127_0_0_1_20001_0: [u32; 4] =
        [2631629002, 1756202595, 3458161597, 3556472988];

    /// Owners Java Dubbo's selector gives these keys on a default ring of
    /// `127.0.0.1:20001..=20003`.
    const JAVA_OWNERS: [(&str, u16); 14] = [
        ("", 20001),
        ("hello", 20001),
        ("user-0", 20003),
        ("user-1", 20003),
        ("user-2", 20003),
        ("user-3", 20002),
        ("user-4", 20003),
        ("user-5", 20003),
        ("user-6", 20001),
        ("user-7", 20002),
        ("user-8", 20001),
        ("user-9", 20002),
        ("42", 20002),
        ("true", 20002),
    ];

    #[test]
    fn same_layout_as_java() {
        // Computed with Java Dubbo's ConsistentHashSelector arithmetic (MD5 of
        // "127.0.0.1:20001" + i, little-endian u32s; key digest's first u32).
        let digest = md5(b"127.0.0.1:200010");
        let points: Vec<u32> = (0..4).map(|h| point(&digest, h)).collect();
        assert_eq!(points, JAVA_POINTS_127_0_0_1_20001_0);
        let invokers = providers(3);
        let ring = Ring::new(&invokers, DEFAULT_HASH_NODES);
        for (key, port) in JAVA_OWNERS {
            assert_eq!(ring.locate(key.as_bytes()).url().port(), port, "{key}");
        }
    }

    #[test]
    fn ring_is_cached_until_the_providers_change() {
        let lb = ConsistentHash::default();
        let invokers = providers(3);
        let r1 = lb.ring("k".into(), &invokers, 160);
        let mut reordered = invokers.clone();
        reordered.reverse();
        let r2 = lb.ring("k".into(), &reordered, 160);
        assert!(Arc::ptr_eq(&r1, &r2), "order does not matter");
        let r3 = lb.ring("k".into(), &invokers[..2], 160);
        assert!(!Arc::ptr_eq(&r1, &r3));
        let r4 = lb.ring("k".into(), &invokers[..2], 40);
        assert_eq!(r4.points.len(), 80);
    }

    #[test]
    fn hash_nodes_and_arguments_come_from_parameters() {
        assert_eq!(argument_indexes("0"), vec![0]);
        assert_eq!(argument_indexes(" 1, 0 ,x,-1"), vec![1, 0]);
        let lb = ConsistentHash::default();
        let invokers = providers(3);
        let inv = invocation_with(Vec::new(), &[("m.hash.nodes", "8")]);
        lb.select(&invokers, &inv);
        let rings = lb.rings.lock().unwrap();
        assert_eq!(rings["a.B.m"].points.len(), 3 * 8);
    }

    #[test]
    fn calls_without_arguments_share_one_provider() {
        let lb = ConsistentHash::default();
        let invokers = providers(3);
        let inv = invocation();
        let first = lb.select(&invokers, &inv);
        for _ in 0..10 {
            assert!(Arc::ptr_eq(&lb.select(&invokers, &inv), &first));
        }
        // Java's key is "" too.
        assert!(Arc::ptr_eq(&first, Ring::new(&invokers, 160).locate(b"")));
    }

    #[test]
    fn java_text_of_values() {
        let text = |v: Value| {
            let mut s = String::new();
            java_text(&v, &mut s);
            s
        };
        assert_eq!(text(Value::String("abc".into())), "abc");
        assert_eq!(text(Value::Int(-7)), "-7");
        assert_eq!(text(Value::Long(1 << 40)), "1099511627776");
        assert_eq!(text(Value::Bool(true)), "true");
        assert_eq!(text(Value::Null), "null");
        assert_eq!(text(Value::Double(1.0)), "1.0");
        assert_eq!(text(Value::Double(0.25)), "0.25");
        assert_eq!(text(Value::Double(1e10)), "1.0E10");
        assert_eq!(text(Value::Double(1.5e-5)), "1.5E-5");
        let list = Value::List {
            ty: None,
            items: vec![Value::Int(1), Value::String("x".into())],
        };
        assert_eq!(text(list), "[1, x]");
        let map = Value::Map {
            ty: None,
            entries: vec![(Value::String("k".into()), Value::Int(2))],
        };
        assert_eq!(text(map), "{k=2}");
    }

    /// Hessian 2 compact string: length byte then UTF-8 (for < 32 bytes).
    fn hessian_str(s: &str, out: &mut Vec<u8>) {
        out.push(s.len() as u8);
        out.extend_from_slice(s.as_bytes());
    }

    #[test]
    fn arguments_pick_the_provider() {
        let lb = ConsistentHash::default();
        let invokers = providers(4);
        let ring = Ring::new(&invokers, DEFAULT_HASH_NODES);
        for n in 0..200 {
            let user = format!("user-{n}");
            let mut args = Vec::new();
            hessian_str(&user, &mut args);
            args.push(0x90 + (n % 40) as u8); // a second, int argument
            let by_first = invocation_with(args.clone(), &[]);
            assert!(Arc::ptr_eq(
                &lb.select(&invokers, &by_first),
                ring.locate(user.as_bytes())
            ));
            let both = invocation_with(args, &[("hash.arguments", "0,1")]);
            let key = format!("{user}{}", n % 40);
            assert!(Arc::ptr_eq(
                &lb.select(&invokers, &both),
                ring.locate(key.as_bytes())
            ));
        }
    }
}
