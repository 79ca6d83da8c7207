use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{method_key, LoadBalance};
use crate::client::invocation::Invocation;
use crate::cluster::invoker::Invoker;
use crate::url::Url;

/// How long a provider's counter survives without being a candidate (Java's
/// `RECYCLE_PERIOD`, 60 s).
pub const RECYCLE_PERIOD: Duration = Duration::from_secs(60);

/// Smooth weighted round robin per method, Java's `RoundRobinLoadBalance`.
///
/// Every provider has a counter per method. On each pick every candidate's counter grows by
/// its (warmed-up) weight, the largest counter wins (the first one on a tie) and the winner's
/// counter drops by the total weight. With weights 1, 2, 3 the picks repeat
/// `C B A C B C`: each provider gets its share and heavy ones are spread out, not bunched.
///
/// Counters are keyed by the provider's identity, `protocol://host:port/path` (Java's
/// `toIdentityString`); a weight change resets that counter. Counters of providers that have
/// not been candidates for [`RECYCLE_PERIOD`] are dropped.
#[derive(Debug, Default)]
pub struct RoundRobin {
    methods: Mutex<HashMap<String, HashMap<String, Counter>>>,
}

#[derive(Debug)]
struct Counter {
    weight: u32,
    current: i64,
    last_update: Instant,
}

/// Java's `URL.toIdentityString()`: the URL without its parameters (password left out).
fn identity(url: &Url) -> String {
    let user = url.username().map(|u| format!("{u}@")).unwrap_or_default();
    format!(
        "{}://{}{}/{}",
        url.protocol(),
        user,
        url.address(),
        url.path()
    )
}

impl RoundRobin {
    fn select_at(
        &self,
        invokers: &[Arc<Invoker>],
        key: String,
        method: &str,
        now: Instant,
    ) -> Arc<Invoker> {
        let mut methods = self.methods.lock().unwrap_or_else(|e| e.into_inner());
        let counters = methods.entry(key).or_default();
        let mut total: i64 = 0;
        let mut best: Option<(usize, i64, String)> = None;
        for (i, invoker) in invokers.iter().enumerate() {
            let id = identity(invoker.url());
            let weight = invoker.weight(method);
            let counter = counters.entry(id.clone()).or_insert(Counter {
                weight,
                current: 0,
                last_update: now,
            });
            if counter.weight != weight {
                counter.weight = weight;
                counter.current = 0;
            }
            counter.current += i64::from(weight);
            counter.last_update = now;
            if best
                .as_ref()
                .map_or(true, |(_, max, _)| counter.current > *max)
            {
                best = Some((i, counter.current, id));
            }
            total += i64::from(weight);
        }
        if counters.len() != invokers.len() {
            counters.retain(|_, c| now.saturating_duration_since(c.last_update) <= RECYCLE_PERIOD);
        }
        match best {
            Some((i, _, id)) => {
                if let Some(c) = counters.get_mut(&id) {
                    c.current -= total;
                }
                invokers[i].clone()
            }
            None => invokers[0].clone(),
        }
    }
}

impl LoadBalance for RoundRobin {
    fn select(&self, invokers: &[Arc<Invoker>], invocation: &Invocation) -> Arc<Invoker> {
        if invokers.len() == 1 {
            return invokers[0].clone();
        }
        self.select_at(
            invokers,
            method_key(invocation),
            &invocation.method().name,
            Instant::now(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{histogram, invocation, invoker, weighted};
    use super::*;

    fn names(invokers: &[Arc<Invoker>], picks: &[Arc<Invoker>]) -> String {
        picks
            .iter()
            .map(|p| {
                let i = invokers.iter().position(|x| Arc::ptr_eq(x, p)).unwrap();
                char::from(b'A' + i as u8)
            })
            .collect()
    }

    #[test]
    fn smooth_sequence_for_weights_1_2_3() {
        // Java: A(1) B(2) C(3); counters after each pick, the winner's minus 6:
        // [1,2,3]->C [2,4,0]->B [3,0,3]->A (first on a tie) [-2,2,6]->C [-1,4,3]->B
        // [0,0,6]->C, and all counters are back to 0.
        let invokers = weighted(&[1, 2, 3]);
        let lb = RoundRobin::default();
        let inv = invocation();
        let picks: Vec<_> = (0..12).map(|_| lb.select(&invokers, &inv)).collect();
        assert_eq!(names(&invokers, &picks), "CBACBCCBACBC");
    }

    #[test]
    fn equal_weights_rotate() {
        let invokers = weighted(&[100, 100, 100]);
        let lb = RoundRobin::default();
        let inv = invocation();
        let picks: Vec<_> = (0..6).map(|_| lb.select(&invokers, &inv)).collect();
        assert_eq!(names(&invokers, &picks), "ABCABC");
    }

    #[test]
    fn exact_shares_over_many_picks() {
        let invokers = weighted(&[100, 200, 0, 300]);
        let lb = RoundRobin::default();
        let inv = invocation();
        let counts = histogram(&invokers, 60_000, || lb.select(&invokers, &inv));
        assert_eq!(counts, vec![10_000, 20_000, 0, 30_000]);
    }

    #[test]
    fn methods_have_separate_counters() {
        let invokers = weighted(&[100, 100]);
        let lb = RoundRobin::default();
        let now = Instant::now();
        let a1 = lb.select_at(&invokers, "s.a".into(), "a", now);
        let b1 = lb.select_at(&invokers, "s.b".into(), "b", now);
        assert!(Arc::ptr_eq(&a1, &b1));
    }

    #[test]
    fn weight_change_resets_the_counter() {
        let lb = RoundRobin::default();
        let now = Instant::now();
        let first = vec![invoker(20001, "weight=100"), invoker(20002, "weight=100")];
        // A wins the tie: A = 100 - 200 = -100, B = 100.
        lb.select_at(&first, "k".into(), "m", now);
        // B's weight drops to 50, so its counter restarts at 0: B = 50 wins and drops by 150.
        let second = vec![first[0].clone(), invoker(20002, "weight=50")];
        let picked = lb.select_at(&second, "k".into(), "m", now);
        assert!(Arc::ptr_eq(&picked, &second[1]));
        let methods = lb.methods.lock().unwrap();
        let b = &methods["k"]["dubbo://127.0.0.1:20002/a.B"];
        assert_eq!((b.weight, b.current), (50, -100));
    }

    #[test]
    fn stale_counters_are_recycled() {
        let lb = RoundRobin::default();
        let t0 = Instant::now();
        let all = weighted(&[100, 100, 100]);
        lb.select_at(&all, "k".into(), "m", t0);
        let count = |lb: &RoundRobin| lb.methods.lock().unwrap()["k"].len();
        assert_eq!(count(&lb), 3);
        let two = &all[..2];
        lb.select_at(two, "k".into(), "m", t0 + Duration::from_secs(30));
        assert_eq!(count(&lb), 3, "not stale yet");
        lb.select_at(two, "k".into(), "m", t0 + Duration::from_secs(61));
        assert_eq!(count(&lb), 2, "the third is gone after 60 s");
    }
}
