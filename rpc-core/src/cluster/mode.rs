//! Fault-tolerance modes: what a call does when an attempt fails.
//!
//! | `cluster` | behaviour |
//! | --- | --- |
//! | `failover` (default) | retry a non-business failure on another provider, `retries` times (default 2) |
//! | `failfast` | one attempt |
//! | `failsafe` | one attempt; a failure becomes an empty (null) result |
//! | `failback` | one attempt; a failure becomes an empty result and is retried in the background every 5 s, up to `retries` times (default 3) |
//! | `forking` | `forks` distinct providers (default 2) chosen by the load balancer, in parallel; the first success wins |
//! | `broadcast` | every provider in turn; any failure fails the call (the last failure is returned) |
//! | `available` | the first available provider, without load balancing |
//!
//! Business exceptions are never retried: the provider's method ran.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::{Service, ServiceExt};

use crate::client::invocation::{Invocation, TriedProviders};
use crate::cluster::balance::candidates;
use crate::cluster::directory::Directory;
use crate::codec::body::DecodedResponse;
use crate::error::RpcError;
use crate::middleware::ResponseFuture;

/// Java's failback retry period.
const FAILBACK_PERIOD: Duration = Duration::from_secs(5);
/// Java's failback retry count when `retries` is not set (or not positive).
const FAILBACK_RETRIES: u32 = 3;
/// At most this many calls wait for a failback retry at once (Java: 100).
const FAILBACK_MAX_PENDING: usize = 100;

/// Middleware that applies the method's cluster mode around the balanced attempts below it.
#[derive(Debug, Clone)]
pub struct Cluster<S> {
    directory: Directory,
    failback_pending: Arc<AtomicUsize>,
    inner: S,
}

impl<S> Cluster<S> {
    /// Wraps `inner`, a service that performs one balanced attempt.
    pub fn new(directory: Directory, inner: S) -> Self {
        Cluster {
            directory,
            failback_pending: Arc::default(),
            inner,
        }
    }
}

type Attempt = Result<DecodedResponse, RpcError>;

impl<S> Service<Invocation> for Cluster<S>
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = DecodedResponse;
    type Error = RpcError;
    type Future = ResponseFuture<Attempt>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        // Attempts use clones of `inner`, readied one by one with `oneshot`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        let list = self.directory.list();
        // Java resolves the mode and its parameters against the first provider's URL.
        let settings = invocation.settings(list.first().map(|i| &**i));
        let inner = self.inner.clone();
        match settings.cluster.as_str() {
            "failfast" => Box::pin(inner.oneshot(invocation)),
            "failsafe" => Box::pin(async move {
                match inner.oneshot(invocation).await {
                    Err(e) if !e.is_business() => {
                        tracing::warn!(error = %e, "failsafe: ignoring failed call");
                        Ok(DecodedResponse::Null)
                    }
                    other => other,
                }
            }),
            "failback" => {
                let pending = self.failback_pending.clone();
                let retries = settings
                    .configured_retries
                    .filter(|r| *r > 0)
                    .unwrap_or(FAILBACK_RETRIES);
                Box::pin(failback(inner, invocation, pending, retries))
            }
            "forking" => {
                let forks = settings.forks;
                invocation.tried = Some(TriedProviders::default());
                Box::pin(forking(inner, invocation, self.directory.clone(), forks))
            }
            "broadcast" => Box::pin(broadcast(inner, invocation, self.directory.clone())),
            "available" => {
                let first = list.iter().find(|i| i.is_available()).cloned();
                Box::pin(async move {
                    match first {
                        Some(invoker) => {
                            invocation.invoker = Some(invoker);
                            inner.oneshot(invocation).await
                        }
                        None => Err(RpcError::NoProvider {
                            service: invocation.target.service_key(),
                        }),
                    }
                })
            }
            _ => {
                let retries = settings.retries();
                if retries > 0 && list.len() > 1 {
                    // Later attempts prefer providers not tried yet; with one provider there
                    // is nothing to prefer, and nothing to record.
                    invocation.tried = Some(TriedProviders::default());
                }
                Box::pin(failover(inner, invocation, retries))
            }
        }
    }
}

async fn failover<S>(inner: S, mut invocation: Invocation, retries: u32) -> Attempt
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError> + Clone,
{
    for attempt in 1..=retries {
        match inner.clone().oneshot(invocation.clone()).await {
            Err(e) if e.is_retryable() => {
                // The balancer recorded the provider it picked in `tried` (shared by the
                // clones of this invocation), so the next attempt goes elsewhere if it can.
                tracing::debug!(error = %e, attempt, "failover: retrying on another provider");
                invocation.invoker = None;
            }
            other => return other,
        }
    }
    // The last attempt gives the invocation away instead of cloning it.
    inner.oneshot(invocation).await
}

async fn failback<S>(
    inner: S,
    invocation: Invocation,
    pending: Arc<AtomicUsize>,
    retries: u32,
) -> Attempt
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    match inner.clone().oneshot(invocation.clone()).await {
        Err(e) if !e.is_business() => {
            if pending.fetch_add(1, Ordering::AcqRel) < FAILBACK_MAX_PENDING {
                tracing::warn!(error = %e, "failback: will retry in the background");
                tokio::spawn(async move {
                    for _ in 0..retries {
                        tokio::time::sleep(FAILBACK_PERIOD).await;
                        let mut retry = invocation.clone();
                        retry.invoker = None;
                        if inner.clone().oneshot(retry).await.is_ok() {
                            break;
                        }
                    }
                    pending.fetch_sub(1, Ordering::AcqRel);
                });
            } else {
                pending.fetch_sub(1, Ordering::AcqRel);
                tracing::warn!(error = %e, "failback: too many pending retries, dropping");
            }
            Ok(DecodedResponse::Null)
        }
        other => other,
    }
}

async fn forking<S>(inner: S, invocation: Invocation, directory: Directory, forks: usize) -> Attempt
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let available = candidates(&directory.list(), None).len();
    if available == 0 {
        return Err(RpcError::NoProvider {
            service: invocation.target.service_key(),
        });
    }
    // Java: all providers when `forks` <= 0 or >= their number, else `forks` distinct ones
    // chosen by the load balancer. The balancer picks in `call` and records the pick in the
    // shared `tried` list, so calling it `n` times in a row yields `n` distinct providers.
    let n = if forks == 0 {
        available
    } else {
        forks.min(available)
    };
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let mut attempt = invocation.clone();
        attempt.invoker = None;
        let mut service = inner.clone();
        let future = match service.ready().await {
            Ok(ready) => ready.call(attempt),
            Err(e) => return Err(e),
        };
        set.spawn(future);
    }
    let mut last = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(response)) => return Ok(response),
            Ok(Err(e)) => last = Some(e),
            Err(e) => last = Some(RpcError::application(format!("forked call panicked: {e}"))),
        }
    }
    Err(last.unwrap_or(RpcError::Shutdown))
}

async fn broadcast<S>(inner: S, invocation: Invocation, directory: Directory) -> Attempt
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError> + Clone,
{
    // Java's broadcast calls every provider in the directory, available or not.
    let targets = directory.list();
    if targets.is_empty() {
        return Err(RpcError::NoProvider {
            service: invocation.target.service_key(),
        });
    }
    let mut result = None;
    let mut failure = None;
    for invoker in targets.iter() {
        let mut attempt = invocation.clone();
        attempt.invoker = Some(invoker.clone());
        match inner.clone().oneshot(attempt).await {
            Ok(r) => result = Some(r),
            Err(e) => failure = Some(e),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(result.unwrap_or(DecodedResponse::Null)),
    }
}
