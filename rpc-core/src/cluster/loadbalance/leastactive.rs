use std::sync::Arc;

use super::{select_lowest, LoadBalance};
use crate::client::invocation::Invocation;
use crate::cluster::invoker::Invoker;

/// Fewest calls in flight, Java's `LeastActiveLoadBalance`.
///
/// Picks the provider with the lowest [`Invoker::active`]; when several share it, picks among
/// them in proportion to their (warmed-up) weights, or uniformly when those weights are all
/// equal or all zero.
///
/// Java counts active calls per provider *and method* (`RpcStatus`); here the count is the
/// provider's calls in flight from this process over all methods.
#[derive(Debug, Default, Clone, Copy)]
pub struct LeastActive;

impl LeastActive {
    fn select_with(
        invokers: &[Arc<Invoker>],
        method: &str,
        active: impl Fn(&Invoker) -> usize,
        rng: &mut impl rand::Rng,
    ) -> Arc<Invoker> {
        let weights: Vec<u32> = invokers.iter().map(|i| i.weight(method)).collect();
        let actives: Vec<usize> = invokers.iter().map(|i| active(i)).collect();
        select_lowest(invokers, &weights, |i| actives[i], rng)
    }
}

impl LoadBalance for LeastActive {
    fn select(&self, invokers: &[Arc<Invoker>], invocation: &Invocation) -> Arc<Invoker> {
        if invokers.len() == 1 {
            return invokers[0].clone();
        }
        Self::select_with(
            invokers,
            &invocation.method().name,
            Invoker::active,
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

    /// Active counts by port, standing in for calls in flight.
    fn actives(table: &'static [(u16, usize)]) -> impl Fn(&Invoker) -> usize {
        move |i| {
            table
                .iter()
                .find(|(p, _)| *p == i.url().port())
                .map_or(0, |(_, a)| *a)
        }
    }

    #[test]
    fn picks_the_least_active() {
        let invokers = weighted(&[100, 100, 100]);
        let mut rng = StdRng::seed_from_u64(1);
        let active = actives(&[(20001, 5), (20002, 1), (20003, 3)]);
        let counts = histogram(&invokers, 1_000, || {
            LeastActive::select_with(&invokers, "m", &active, &mut rng)
        });
        assert_eq!(counts, vec![0, 1_000, 0]);
    }

    #[test]
    fn least_active_beats_a_heavier_weight() {
        let invokers = weighted(&[1, 1_000]);
        let mut rng = StdRng::seed_from_u64(2);
        let active = actives(&[(20001, 0), (20002, 1)]);
        let counts = histogram(&invokers, 1_000, || {
            LeastActive::select_with(&invokers, "m", &active, &mut rng)
        });
        assert_eq!(counts, vec![1_000, 0]);
    }

    #[test]
    fn ties_go_to_weighted_random() {
        // A and C tie at 2 active calls with weights 100 and 300; B is busier.
        let invokers = weighted(&[100, 500, 300]);
        let mut rng = StdRng::seed_from_u64(3);
        let active = actives(&[(20001, 2), (20002, 4), (20003, 2)]);
        let counts = histogram(&invokers, 40_000, || {
            LeastActive::select_with(&invokers, "m", &active, &mut rng)
        });
        assert_eq!(counts[1], 0);
        let ratio = counts[2] as f64 / counts[0] as f64;
        assert!((2.8..3.2).contains(&ratio), "{counts:?}");
    }

    #[test]
    fn idle_providers_share_by_weight() {
        // Nothing in flight anywhere: plain weighted random over everyone.
        let invokers = weighted(&[100, 200]);
        let lb = LeastActive;
        let inv = invocation();
        let counts = histogram(&invokers, 30_000, || lb.select(&invokers, &inv));
        let ratio = counts[1] as f64 / counts[0] as f64;
        assert!((1.85..2.15).contains(&ratio), "{counts:?}");
    }

    #[test]
    fn warm_up_weight_applies_to_ties() {
        // A started 6 s ago with the default 10 min warm-up, so its weight is 1 against B's 100.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let started = now - 6_000;
        let invokers = vec![
            super::super::test_support::invoker(20001, &format!("timestamp={started}")),
            super::super::test_support::invoker(20002, "weight=100"),
        ];
        let mut rng = StdRng::seed_from_u64(4);
        let counts = histogram(&invokers, 10_000, || {
            LeastActive::select_with(&invokers, "m", |_| 0, &mut rng)
        });
        assert_eq!(invokers[0].weight("m"), 1);
        assert!(counts[0] < 300, "{counts:?}");
    }
}
