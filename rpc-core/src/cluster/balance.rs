//! Load balancing as a tower service: picks the provider of each attempt.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tower::Service;

use crate::client::invocation::{Invocation, TriedProviders};
use crate::cluster::directory::Directory;
use crate::cluster::invoker::{CallFuture, Invoker};
use crate::cluster::loadbalance::{self, LoadBalance};
use crate::codec::body::DecodedResponse;
use crate::error::RpcError;

/// Middleware that chooses a provider from the directory with the method's load balancer,
/// skipping unavailable (disconnected or readonly) providers and, when others remain, those
/// this call already tried.
///
/// The pick happens synchronously in `call`, and is recorded in the invocation's shared
/// `tried` list there, so a cluster mode that calls this service several times in a row
/// (forking) gets distinct providers.
#[derive(Debug, Clone)]
pub struct Balance<S> {
    shared: Arc<BalanceShared>,
    inner: S,
}

/// What every clone of one client's balancing layer shares (one reference count to clone
/// per call).
#[derive(Debug)]
struct BalanceShared {
    directory: Directory,
    balancers: Mutex<HashMap<String, Arc<dyn LoadBalance>>>,
}

impl<S> Balance<S> {
    /// Balances over `directory`, then calls `inner` with the chosen provider set.
    pub fn new(directory: Directory, inner: S) -> Self {
        Balance {
            shared: Arc::new(BalanceShared {
                directory,
                balancers: Mutex::default(),
            }),
            inner,
        }
    }

    fn balancer(&self, name: &str) -> Arc<dyn LoadBalance> {
        let mut balancers = self
            .shared
            .balancers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(balancer) = balancers.get(name) {
            return balancer.clone();
        }
        let balancer = loadbalance::by_name(name);
        balancers.insert(name.to_owned(), balancer.clone());
        balancer
    }
}

/// The providers a call may use now: available ones (connected or connectable, not
/// readonly), preferring those this call has not tried yet.
///
/// When none is available, every provider is a candidate, as Java's `reselect` falls back to
/// the unavailable invokers rather than failing at once: the attempt then reconnects (a
/// provider restarted on the same address comes back this way) or fails like any other
/// attempt.
pub(crate) fn candidates<'a>(
    all: &'a [Arc<Invoker>],
    tried: Option<&TriedProviders>,
) -> Cow<'a, [Arc<Invoker>]> {
    if all.len() == 1 {
        // One provider is the only candidate, available or not, tried or not.
        return Cow::Borrowed(all);
    }
    let tried = tried.map(|t| t.lock().unwrap_or_else(|e| e.into_inner()));
    let tried = tried.as_deref().map_or(&[][..], Vec::as_slice);
    let untried = |i: &Arc<Invoker>| !tried.iter().any(|t| Arc::ptr_eq(t, i));
    // The common case, every provider available and none tried yet, borrows the list.
    if all.iter().all(|i| i.is_available()) && all.iter().all(untried) {
        return Cow::Borrowed(all);
    }
    let mut pool: Vec<_> = all.iter().filter(|i| i.is_available()).cloned().collect();
    if pool.is_empty() {
        pool = all.to_vec();
    }
    let fresh: Vec<_> = pool.iter().filter(|i| untried(i)).cloned().collect();
    if fresh.is_empty() {
        Cow::Owned(pool)
    } else {
        Cow::Owned(fresh)
    }
}

impl<S> Service<Invocation> for Balance<S>
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError>,
    S::Future: Send + 'static,
{
    type Response = DecodedResponse;
    type Error = RpcError;
    type Future = futures_util::future::Either<
        S::Future,
        std::future::Ready<Result<DecodedResponse, RpcError>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        use futures_util::future::Either;
        if invocation.invoker.is_none() {
            let all = match invocation.providers.take() {
                Some(listed) => listed,
                None => self.shared.directory.list(),
            };
            let candidates = candidates(&all, invocation.tried.as_ref());
            if candidates.is_empty() {
                return Either::Right(std::future::ready(Err(RpcError::NoProvider {
                    service: invocation.target().service_key(),
                })));
            }
            let chosen = if candidates.len() == 1 {
                // Every balancer picks the only candidate; skip the lookups.
                candidates[0].clone()
            } else {
                let settings = invocation.settings(Some(&candidates[0]));
                self.balancer(&settings.loadbalance)
                    .select(&candidates, &invocation)
            };
            if let Some(tried) = &invocation.tried {
                tried
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(chosen.clone());
            }
            invocation.invoker = Some(chosen);
        }
        Either::Left(self.inner.call(invocation))
    }
}

/// The innermost service: sends the invocation to its chosen provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct Invoke;

impl Service<Invocation> for Invoke {
    type Response = DecodedResponse;
    type Error = RpcError;
    type Future = futures_util::future::Either<
        CallFuture,
        std::future::Ready<Result<DecodedResponse, RpcError>>,
    >;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        use futures_util::future::Either;
        // The request is encoded and queued here, synchronously; the future only waits.
        match invocation.invoker.take() {
            Some(invoker) => Either::Left(invoker.call(invocation)),
            None => Either::Right(std::future::ready(Err(RpcError::NoProvider {
                service: invocation.target().service_key(),
            }))),
        }
    }
}
