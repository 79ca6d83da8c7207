//! Load balancers: which provider gets the next call.
//!
//! The names and algorithms are Java Dubbo's (`org.apache.dubbo.rpc.cluster.loadbalance`):
//!
//! | name | type | picks |
//! | --- | --- | --- |
//! | `random` (default) | [`Random`] | weighted random |
//! | `roundrobin` | [`RoundRobin`] | smooth weighted round robin, per method |
//! | `leastactive` | [`LeastActive`] | fewest calls in flight; ties by weighted random |
//! | `shortestresponse` | [`ShortestResponse`] | lowest average latency × (active + 1); ties by weighted random |
//! | `consistenthash` | [`ConsistentHash`] | a hash ring keyed on chosen arguments |
//!
//! Weights are always [`Invoker::weight`], so warm-up applies everywhere, as in Java.
//!
//! A balancer instance is kept per client and name (see
//! [`Balance`](crate::cluster::Balance)), so the stateful ones (`roundrobin`,
//! `consistenthash`) keep their counters and rings across calls.

mod consistenthash;
mod leastactive;
mod random;
mod roundrobin;
mod shortestresponse;

use std::fmt::Debug;
use std::sync::Arc;

use rand::Rng;

use crate::client::invocation::Invocation;
use crate::cluster::invoker::Invoker;

pub use self::consistenthash::{ConsistentHash, DEFAULT_HASH_ARGUMENTS, DEFAULT_HASH_NODES};
pub use self::leastactive::LeastActive;
pub use self::random::Random;
pub use self::roundrobin::{RoundRobin, RECYCLE_PERIOD};
pub use self::shortestresponse::ShortestResponse;

/// Picks one provider out of the candidates for a call.
pub trait LoadBalance: Send + Sync + Debug + 'static {
    /// Picks from `invokers` (never empty, all available).
    fn select(&self, invokers: &[Arc<Invoker>], invocation: &Invocation) -> Arc<Invoker>;
}

/// The load balancer registered under `name` (Java's extension names: `random`,
/// `roundrobin`, `leastactive`, `shortestresponse`, `consistenthash`); unknown names fall
/// back to `random`, as Java falls back to its default extension.
pub fn by_name(name: &str) -> Arc<dyn LoadBalance> {
    match name.trim() {
        "roundrobin" => Arc::new(RoundRobin::default()),
        "leastactive" => Arc::new(LeastActive),
        "shortestresponse" => Arc::new(ShortestResponse),
        "consistenthash" => Arc::new(ConsistentHash::default()),
        _ => Arc::new(Random),
    }
}

/// Java's service key plus method name (`group/interface:version.method`): the key of the
/// per-method state of `roundrobin` and `consistenthash`.
fn method_key(invocation: &Invocation) -> String {
    format!(
        "{}.{}",
        invocation.target().service_key(),
        invocation.method().name
    )
}

/// Picks among the `tied` candidates (indexes into `weights`) as Java's `leastactive` and
/// `shortestresponse` do: in proportion to their weights, or uniformly when all weights are
/// equal or all are zero.
fn pick_weighted(tied: &[usize], weights: &[u32], rng: &mut impl Rng) -> usize {
    if tied.len() == 1 {
        return tied[0];
    }
    let first = weights[tied[0]];
    let same = tied.iter().all(|&i| weights[i] == first);
    let total: u64 = tied.iter().map(|&i| u64::from(weights[i])).sum();
    if !same && total > 0 {
        let mut offset = rng.gen_range(0..total);
        for &i in tied {
            let w = u64::from(weights[i]);
            if offset < w {
                return i;
            }
            offset -= w;
        }
    }
    tied[rng.gen_range(0..tied.len())]
}

/// Java's tie-breaking selection over a per-invoker score: keeps the invokers with the lowest
/// `score` and picks among them with [`pick_weighted`].
fn select_lowest<K: Ord>(
    invokers: &[Arc<Invoker>],
    weights: &[u32],
    score: impl Fn(usize) -> K,
    rng: &mut impl Rng,
) -> Arc<Invoker> {
    let mut best: Option<K> = None;
    let mut tied: Vec<usize> = Vec::with_capacity(invokers.len());
    for i in 0..invokers.len() {
        let s = score(i);
        match &best {
            Some(b) if s > *b => {}
            Some(b) if s == *b => tied.push(i),
            _ => {
                best = Some(s);
                tied.clear();
                tied.push(i);
            }
        }
    }
    invokers[pick_weighted(&tied, weights, rng)].clone()
}

#[cfg(test)]
mod test_support {
    //! Invokers and invocations for the balancer tests. No connection is made: invokers only
    //! connect on their first call.

    use std::collections::HashMap;
    use std::sync::Arc;

    use crate::attachments::Attachments;
    use crate::client::invocation::{Invocation, ServiceTarget};
    use crate::client::settings::ConsumerSettings;
    use crate::cluster::invoker::Invoker;
    use crate::codec::body::EncodedArgs;
    use crate::service::{MethodDescriptor, ServiceDescriptor};
    use crate::transport::client::ConnectionConfig;
    use crate::url::Url;

    /// An invoker for `127.0.0.1:<port>` with the given query.
    pub(crate) fn invoker(port: u16, query: &str) -> Arc<Invoker> {
        let url = Url::parse(&format!("dubbo://127.0.0.1:{port}/a.B?{query}")).unwrap();
        Invoker::new(url, &ConnectionConfig::default())
    }

    /// Invokers on consecutive ports from 20001, one per weight.
    pub(crate) fn weighted(weights: &[u32]) -> Vec<Arc<Invoker>> {
        weights
            .iter()
            .enumerate()
            .map(|(i, w)| invoker(20001 + i as u16, &format!("weight={w}")))
            .collect()
    }

    /// A call of `a.B.m` with already encoded argument bytes and consumer parameters.
    pub(crate) fn invocation_with(args: Vec<u8>, parameters: &[(&str, &str)]) -> Invocation {
        let settings = ConsumerSettings {
            parameters: parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
            ..Default::default()
        };
        let target = ServiceTarget::new(
            Arc::new(ServiceDescriptor {
                interface: "a.B".into(),
                version: None,
                group: None,
                methods: vec![MethodDescriptor {
                    name: "m".into(),
                    parameter_types: "Ljava/lang/String;".into(),
                    rust_name: "m",
                }],
            }),
            None,
            None,
            "test".into(),
            settings,
        );
        Invocation::new(
            Arc::new(target),
            0,
            EncodedArgs {
                bytes: args,
                ..Default::default()
            },
            Attachments::new(),
        )
    }

    /// A call of `a.B.m` without arguments.
    pub(crate) fn invocation() -> Invocation {
        invocation_with(Vec::new(), &[])
    }

    /// How often each invoker (by position in `invokers`) is picked in `n` picks.
    pub(crate) fn histogram(
        invokers: &[Arc<Invoker>],
        n: usize,
        mut pick: impl FnMut() -> Arc<Invoker>,
    ) -> Vec<usize> {
        let mut counts = vec![0; invokers.len()];
        for _ in 0..n {
            let chosen = pick();
            let i = invokers
                .iter()
                .position(|x| Arc::ptr_eq(x, &chosen))
                .unwrap();
            counts[i] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn by_name_knows_javas_names() {
        for (name, debug) in [
            ("random", "Random"),
            ("roundrobin", "RoundRobin"),
            ("leastactive", "LeastActive"),
            ("shortestresponse", "ShortestResponse"),
            ("consistenthash", "ConsistentHash"),
            ("nonsense", "Random"),
        ] {
            let lb = format!("{:?}", by_name(name));
            assert!(lb.starts_with(debug), "{name} -> {lb}");
        }
    }

    #[test]
    fn pick_weighted_follows_weights_and_skips_zero() {
        let mut rng = StdRng::seed_from_u64(7);
        let weights = [100, 0, 300];
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[pick_weighted(&[0, 1, 2], &weights, &mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        let ratio = counts[2] as f64 / counts[0] as f64;
        assert!((2.8..3.2).contains(&ratio), "{counts:?}");
    }

    #[test]
    fn pick_weighted_is_uniform_for_equal_or_zero_weights() {
        let mut rng = StdRng::seed_from_u64(7);
        for weights in [[5u32, 5, 5], [0, 0, 0]] {
            let mut counts = [0usize; 3];
            for _ in 0..30_000 {
                counts[pick_weighted(&[0, 1, 2], &weights, &mut rng)] += 1;
            }
            assert!(
                counts.iter().all(|&c| (9_000..11_000).contains(&c)),
                "{counts:?}"
            );
        }
    }
}
