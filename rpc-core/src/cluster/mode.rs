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

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
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
    shared: Arc<ClusterShared>,
    inner: S,
}

/// What every clone of one client's cluster layer shares (one reference count to clone per
/// call, not one per field).
#[derive(Debug)]
struct ClusterShared {
    directory: Directory,
    failback_pending: Arc<AtomicUsize>,
}

impl<S> Cluster<S> {
    /// Wraps `inner`, a service that performs one balanced attempt.
    pub fn new(directory: Directory, inner: S) -> Self {
        Cluster {
            shared: Arc::new(ClusterShared {
                directory,
                failback_pending: Arc::default(),
            }),
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
    type Future = ClusterFuture<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        (&*self).poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        (&*self).call(invocation)
    }
}

/// Calling through a shared reference: the layer keeps no per-call state, and a client that
/// calls its stack this way spares the clone of the stack per call.
impl<S> Service<Invocation> for &Cluster<S>
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = DecodedResponse;
    type Error = RpcError;
    type Future = ClusterFuture<S>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        // Each attempt readies `inner` itself before calling it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        let directory = &self.shared.directory;
        let list = directory.list();
        // Java resolves the mode and its parameters against the first provider's URL.
        let settings = invocation.settings(list.first().map(|i| &**i));
        let inner = self.inner.clone();
        let boxed = ClusterFuture::boxed;
        match settings.cluster.as_str() {
            "failfast" => {
                drop(settings);
                invocation.providers = Some(list);
                ClusterFuture::failover(inner, invocation, 0)
            }
            "failsafe" => boxed(Box::pin(async move {
                match inner.oneshot(invocation).await {
                    Err(e) if !e.is_business() => {
                        tracing::warn!(error = %e, "failsafe: ignoring failed call");
                        Ok(DecodedResponse::Null)
                    }
                    other => other,
                }
            })),
            "failback" => {
                let pending = self.shared.failback_pending.clone();
                let retries = settings
                    .configured_retries
                    .filter(|r| *r > 0)
                    .unwrap_or(FAILBACK_RETRIES);
                boxed(Box::pin(failback(inner, invocation, pending, retries)))
            }
            "forking" => {
                let forks = settings.forks;
                invocation.tried = Some(TriedProviders::default());
                boxed(Box::pin(forking(
                    inner,
                    invocation,
                    directory.clone(),
                    forks,
                )))
            }
            "broadcast" => boxed(Box::pin(broadcast(inner, invocation, directory.clone()))),
            "available" => {
                let first = list.iter().find(|i| i.is_available()).cloned();
                boxed(Box::pin(async move {
                    match first {
                        Some(invoker) => {
                            invocation.invoker = Some(invoker);
                            inner.oneshot(invocation).await
                        }
                        None => Err(RpcError::NoProvider {
                            service: invocation.target().service_key(),
                        }),
                    }
                }))
            }
            _ => {
                let retries = settings.retries();
                drop(settings);
                if retries > 0 && list.len() > 1 {
                    // Later attempts prefer providers not tried yet; with one provider there
                    // is nothing to prefer, and nothing to record.
                    invocation.tried = Some(TriedProviders::default());
                }
                // The first attempt balances over this list; a retry lists again.
                invocation.providers = Some(list);
                ClusterFuture::failover(inner, invocation, retries)
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Cluster`]: failover and failfast (nearly every call) as a named
    /// future, which costs no allocation; the rarer modes boxed.
    pub struct ClusterFuture<S>
    where
        S: Service<Invocation>,
    {
        #[pin]
        mode: ModeFuture<S>,
    }
}

pin_project_lite::pin_project! {
    #[project = ModeFutureProj]
    enum ModeFuture<S>
    where
        S: Service<Invocation>,
    {
        // Failover (failfast is failover without retries).
        Failover {
            #[pin]
            future: Failover<S>,
        },
        // Any other mode.
        Boxed {
            future: ResponseFuture<Attempt>,
        },
    }
}

impl<S> ClusterFuture<S>
where
    S: Service<Invocation>,
{
    fn failover(inner: S, invocation: Invocation, retries: u32) -> Self {
        ClusterFuture {
            mode: ModeFuture::Failover {
                future: Failover::new(inner, invocation, retries),
            },
        }
    }

    fn boxed(future: ResponseFuture<Attempt>) -> Self {
        ClusterFuture {
            mode: ModeFuture::Boxed { future },
        }
    }
}

impl<S> std::fmt::Debug for ClusterFuture<S>
where
    S: Service<Invocation>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.mode {
            ModeFuture::Failover { .. } => "ClusterFuture::Failover",
            ModeFuture::Boxed { .. } => "ClusterFuture::Boxed",
        })
    }
}

impl<S> Future for ClusterFuture<S>
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError>,
{
    type Output = Attempt;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Attempt> {
        match self.project().mode.project() {
            ModeFutureProj::Failover { future } => future.poll(cx),
            ModeFutureProj::Boxed { future } => future.as_mut().poll(cx),
        }
    }
}

pin_project_lite::pin_project! {
    // Failover: an attempt, and on a retryable failure (not a business exception: the
    // provider's method ran) up to `retries` more, each on a provider not tried yet when
    // there is one (the balancer records its picks in the invocation's shared `tried`).
    struct Failover<S>
    where
        S: Service<Invocation>,
    {
        inner: S,
        // Kept for the attempts still possible; the last attempt takes it.
        invocation: Option<Invocation>,
        retries_left: u32,
        attempt_no: u32,
        #[pin]
        attempt: Option<S::Future>,
    }
}

impl<S> Failover<S>
where
    S: Service<Invocation>,
{
    fn new(inner: S, invocation: Invocation, retries: u32) -> Self {
        Failover {
            inner,
            invocation: Some(invocation),
            retries_left: retries,
            attempt_no: 0,
            attempt: None,
        }
    }
}

impl<S> Future for Failover<S>
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError>,
{
    type Output = Attempt;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Attempt> {
        let mut this = self.project();
        loop {
            if let Some(attempt) = this.attempt.as_mut().as_pin_mut() {
                match ready!(attempt.poll(cx)) {
                    Err(e) if e.is_retryable() && *this.retries_left > 0 => {
                        tracing::debug!(
                            error = %e,
                            attempt = *this.attempt_no,
                            "failover: retrying on another provider"
                        );
                        *this.retries_left -= 1;
                        this.attempt.set(None);
                        if let Some(invocation) = this.invocation.as_mut() {
                            // A provider pinned by the caller counts for the first attempt.
                            invocation.invoker = None;
                        }
                    }
                    other => return Poll::Ready(other),
                }
            }
            ready!(this.inner.poll_ready(cx))?;
            // The last attempt gives the invocation away instead of cloning it. The providers
            // listed for the call go with the first attempt only: a retry lists again.
            let invocation = match this.invocation.as_mut() {
                Some(kept) if *this.retries_left > 0 => {
                    let providers = kept.providers.take();
                    let mut attempt = kept.clone();
                    attempt.providers = providers;
                    Some(attempt)
                }
                _ => this.invocation.take(),
            };
            let Some(invocation) = invocation else {
                return Poll::Ready(Err(RpcError::application(
                    "failover polled after it completed",
                )));
            };
            *this.attempt_no += 1;
            this.attempt.set(Some(this.inner.call(invocation)));
        }
    }
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
            service: invocation.target().service_key(),
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
            service: invocation.target().service_key(),
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
