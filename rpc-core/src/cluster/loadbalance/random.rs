use std::sync::Arc;

use rand::Rng;

use super::LoadBalance;
use crate::client::invocation::Invocation;
use crate::cluster::invoker::Invoker;

/// Weighted random, Java's default: each provider is picked in proportion to its weight
/// (after warm-up); equal weights make it a uniform pick.
#[derive(Debug, Default, Clone, Copy)]
pub struct Random;

impl LoadBalance for Random {
    fn select(&self, invokers: &[Arc<Invoker>], invocation: &Invocation) -> Arc<Invoker> {
        if invokers.len() == 1 {
            return invokers[0].clone();
        }
        let method = &invocation.method().name;
        let weights: Vec<u32> = invokers.iter().map(|i| i.weight(method)).collect();
        let total: u64 = weights.iter().map(|w| *w as u64).sum();
        let mut rng = rand::thread_rng();
        let same = weights.windows(2).all(|w| w[0] == w[1]);
        if total == 0 || same {
            return invokers[rng.gen_range(0..invokers.len())].clone();
        }
        let mut offset = rng.gen_range(0..total);
        for (invoker, weight) in invokers.iter().zip(&weights) {
            if offset < *weight as u64 {
                return invoker.clone();
            }
            offset -= *weight as u64;
        }
        invokers[invokers.len() - 1].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{histogram, invocation, weighted};
    use super::*;

    #[test]
    fn honors_weights() {
        let invokers = weighted(&[100, 200]);
        let inv = invocation();
        let counts = histogram(&invokers, 30_000, || Random.select(&invokers, &inv));
        // Expected 10 000 / 20 000; the bounds are over 5 standard deviations wide.
        let ratio = counts[1] as f64 / counts[0] as f64;
        assert!((1.85..2.15).contains(&ratio), "{counts:?}");
    }

    #[test]
    fn zero_weight_is_never_picked() {
        let invokers = weighted(&[100, 0, 100]);
        let inv = invocation();
        let counts = histogram(&invokers, 10_000, || Random.select(&invokers, &inv));
        assert_eq!(counts[1], 0, "{counts:?}");
    }

    #[test]
    fn equal_weights_are_uniform() {
        let invokers = weighted(&[50, 50, 50]);
        let inv = invocation();
        let counts = histogram(&invokers, 30_000, || Random.select(&invokers, &inv));
        assert!(
            counts.iter().all(|&c| (9_300..10_700).contains(&c)),
            "{counts:?}"
        );
    }
}
