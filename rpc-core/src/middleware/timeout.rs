use std::task::{Context, Poll};

use tower::{Layer, Service};

use super::ResponseFuture;
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

/// Middleware that applies the call's timeout to one attempt and tells the provider about
/// it through the `timeout` attachment (a string of milliseconds, as Java sends it).
///
/// It sits below load balancing, so the provider's advertised timeout can apply, and so each
/// failover attempt gets the whole timeout, as in Java.
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
    type Future = ResponseFuture<Result<DecodedResponse, RpcError>>;

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
        let target = invocation.target.clone();
        let method_index = invocation.method_index;
        let future = tokio::time::timeout(timeout, self.inner.call(invocation));
        Box::pin(async move {
            future.await.unwrap_or_else(|_| {
                Err(RpcError::Timeout {
                    method: target.descriptor.methods[method_index].name.clone(),
                    elapsed: timeout,
                })
            })
        })
    }
}
