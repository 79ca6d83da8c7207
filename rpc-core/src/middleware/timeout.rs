use std::task::{Context, Poll};

use tower::{Layer, Service};

use crate::client::invocation::Invocation;
use crate::codec::body::DecodedResponse;
use crate::error::RpcError;

/// Bounds every attempt by its effective timeout.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeoutLayer;

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout { inner }
    }
}

/// Middleware that sets each attempt's effective timeout: the connection fails the attempt
/// once it has passed and the provider receives it as the `timeout` attachment (a string of
/// milliseconds, as Java sends it), which wins over one the caller put in the attachments.
///
/// It sits below load balancing, so the provider's advertised timeout can apply, and so each
/// failover attempt gets the whole timeout, as in Java.
///
/// The layer only sets [`Invocation::timeout`]; the connection enforces it, sweeping its
/// pending requests every 10 ms as Java's timer wheel does every 30 ms (a timer registered
/// and cancelled per call cost about a tenth of a call). An inner service must therefore
/// honour `Invocation::timeout`, as [`Invoke`](crate::cluster::Invoke) does. The resulting
/// [`RpcError::Timeout`] names the method once it reaches the [`Client`](crate::Client).
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
}

impl<S> Service<Invocation> for Timeout<S>
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError>,
{
    type Response = DecodedResponse;
    type Error = RpcError;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        let timeout = invocation.settings(invocation.invoker.as_deref()).timeout;
        invocation.timeout = Some(timeout);
        self.inner.call(invocation)
    }
}
