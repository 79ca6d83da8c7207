use std::sync::Arc;
use std::time::Duration;

use super::{select_lowest, LoadBalance};
use crate::client::invocation::Invocation;
use crate::cluster::invoker::Invoker;

/// Lowest expected latency, Java's `ShortestResponseLoadBalance`.
///
/// Each provider's estimate is its average successful response time times its calls in
/// flight plus one ([`Invoker::average_response`] × ([`Invoker::active`] + 1)); a provider
/// without successful calls yet estimates 0, so new providers get tried. The lowest estimate
/// wins; ties are broken by weighted random as in [`LeastActive`](super::LeastActive).
///
/// Java averages over a sliding window (statistics reset every 30 s,
/// `dubbo.shortestresponse.slide-period`) and per method; this averages over every
/// successful call the provider has served in this process, over all methods, so it adapts
/// more slowly when a provider's latency changes.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShortestResponse;

/// Java's estimate in microseconds: average × (active + 1).
fn estimate(average: Duration, active: usize) -> u128 {
    average.as_micros() * (active as u128 + 1)
}

impl ShortestResponse {
    fn select_with(
        invokers: &[Arc<Invoker>],
        method: &str,
        stats: impl Fn(&Invoker) -> (Duration, usize),
        rng: &mut impl rand::Rng,
    ) -> Arc<Invoker> {
        let weights: Vec<u32> = invokers.iter().map(|i| i.weight(method)).collect();
        let estimates: Vec<u128> = invokers
            .iter()
            .map(|i| {
                let (average, active) = stats(i);
                estimate(average, active)
            })
            .collect();
        select_lowest(invokers, &weights, |i| estimates[i], rng)
    }
}

impl LoadBalance for ShortestResponse {
    fn select(&self, invokers: &[Arc<Invoker>], invocation: &Invocation) -> Arc<Invoker> {
        if invokers.len() == 1 {
            return invokers[0].clone();
        }
        Self::select_with(
            invokers,
            &invocation.method().name,
            |i| (i.average_response().0, i.active()),
            &mut rand::thread_rng(),
        )
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::super::test_support::{histogram, invocation, weighted};
    use super::*;

    /// (average ms, active) by port.
    fn stats(table: &'static [(u16, u64, usize)]) -> impl Fn(&Invoker) -> (Duration, usize) {
        move |i| {
            table
                .iter()
                .find(|(p, _, _)| *p == i.url().port())
                .map_or((Duration::ZERO, 0), |(_, ms, a)| {
                    (Duration::from_millis(*ms), *a)
                })
        }
    }

    #[test]
    fn prefers_the_faster_provider() {
        let invokers = weighted(&[100, 100, 100]);
        let mut rng = StdRng::seed_from_u64(1);
        let s = stats(&[(20001, 30, 0), (20002, 10, 0), (20003, 20, 0)]);
        let counts = histogram(&invokers, 1_000, || {
            ShortestResponse::select_with(&invokers, "m", &s, &mut rng)
        });
        assert_eq!(counts, vec![0, 1_000, 0]);
    }

    #[test]
    fn load_counts_against_a_fast_provider() {
        // B is twice as fast but has 2 calls in flight: 10 × 3 = 30 > 20 × 1.
        let invokers = weighted(&[100, 100]);
        let mut rng = StdRng::seed_from_u64(2);
        let s = stats(&[(20001, 20, 0), (20002, 10, 2)]);
        let counts = histogram(&invokers, 1_000, || {
            ShortestResponse::select_with(&invokers, "m", &s, &mut rng)
        });
        assert_eq!(counts, vec![1_000, 0]);
    }

    #[test]
    fn ties_go_to_weighted_random() {
        // A: 10 ms × 2 = 20, B: 20 ms × 1 = 20, C: 30 ms; A and B tie, weights 100 and 200.
        let invokers = weighted(&[100, 200, 900]);
        let mut rng = StdRng::seed_from_u64(3);
        let s = stats(&[(20001, 10, 1), (20002, 20, 0), (20003, 30, 0)]);
        let counts = histogram(&invokers, 30_000, || {
            ShortestResponse::select_with(&invokers, "m", &s, &mut rng)
        });
        assert_eq!(counts[2], 0);
        let ratio = counts[1] as f64 / counts[0] as f64;
        assert!((1.85..2.15).contains(&ratio), "{counts:?}");
    }

    #[test]
    fn providers_without_calls_share_by_weight() {
        let invokers = weighted(&[100, 200]);
        let lb = ShortestResponse;
        let inv = invocation();
        let counts = histogram(&invokers, 30_000, || lb.select(&invokers, &inv));
        let ratio = counts[1] as f64 / counts[0] as f64;
        assert!((1.85..2.15).contains(&ratio), "{counts:?}");
    }
}
