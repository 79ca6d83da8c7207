//! Load balancers: which provider gets the next call.
//!
//! The names and algorithms are Java Dubbo's: `random` (weighted, with warm-up; the default),
//! `roundrobin` (smooth weighted), `leastactive`, `shortestresponse` and `consistenthash`.

mod random;

use std::fmt::Debug;
use std::sync::Arc;

use crate::client::invocation::Invocation;
use crate::cluster::invoker::Invoker;

pub use self::random::Random;

/// Picks one provider out of the candidates for a call.
pub trait LoadBalance: Send + Sync + Debug + 'static {
    /// Picks from `invokers` (never empty, all available).
    fn select(&self, invokers: &[Arc<Invoker>], invocation: &Invocation) -> Arc<Invoker>;
}

/// The load balancer registered under `name`; unknown names fall back to `random`, as Java
/// falls back to its default extension.
pub fn by_name(name: &str) -> Arc<dyn LoadBalance> {
    match name {
        _ => Arc::new(Random),
    }
}
