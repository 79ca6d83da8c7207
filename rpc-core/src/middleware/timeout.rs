use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tower::{Layer, Service};

use crate::client::invocation::{Invocation, ServiceTarget};
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

/// Middleware that applies the call's timeout to one attempt and tells the provider about
/// it through the `timeout` attachment (a string of milliseconds, as Java sends it).
///
/// It sits below load balancing, so the provider's advertised timeout can apply, and so each
/// failover attempt gets the whole timeout, as in Java.
///
/// The layer sets [`Invocation::timeout`]; the connection enforces it, sweeping its pending
/// requests every 10 ms as Java's timer wheel does every 30 ms (a timer registered and
/// cancelled per call cost about a tenth of a call), and this layer names the method in the
/// resulting [`RpcError::Timeout`]. An inner service must therefore honour
/// `Invocation::timeout`, as [`Invoke`](crate::cluster::Invoke) does.
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
}

impl<S> Service<Invocation> for Timeout<S>
where
    S: Service<Invocation, Response = DecodedResponse, Error = RpcError>,
    S::Future: Send + 'static,
{
    type Response = DecodedResponse;
    type Error = RpcError;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        let settings = invocation.settings(invocation.invoker.as_deref());
        let timeout = settings.timeout;
        let attachment = settings.timeout_attachment().clone();
        drop(settings);
        // The consumer's timeout wins over one the caller put in the attachments, as in Java.
        invocation.attachments.remove("timeout");
        invocation.attachments.extend_shared(&attachment);
        invocation.timeout = Some(timeout);
        let target = invocation.target.clone();
        let method_index = invocation.method_index;
        TimeoutFuture {
            inner: self.inner.call(invocation),
            target,
            method_index,
            timeout,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of one attempt under [`Timeout`]: the inner response, or
    /// [`RpcError::Timeout`] once the attempt's time is up. A named future rather than a
    /// boxed one, so the layer costs no allocation per call.
    #[derive(Debug)]
    pub struct TimeoutFuture<F> {
        #[pin]
        inner: F,
        target: Arc<ServiceTarget>,
        method_index: usize,
        timeout: Duration,
    }
}

impl<F> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<DecodedResponse, RpcError>>,
{
    type Output = Result<DecodedResponse, RpcError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        Poll::Ready(match ready!(this.inner.poll(cx)) {
            // The connection fails a request at its deadline without knowing the method.
            Err(RpcError::Timeout { .. }) => Err(RpcError::Timeout {
                method: this.target.descriptor.methods[*this.method_index]
                    .name
                    .clone(),
                elapsed: *this.timeout,
            }),
            other => other,
        })
    }
}
