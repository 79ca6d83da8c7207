use std::task::{Context, Poll};

use tower::{Layer, Service};

use crate::client::invocation::Invocation;
use crate::codec::body::DecodedResponse;
use crate::error::RpcError;

/// Adds the attachments a Java 3.3 consumer sends on every call.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttachmentsLayer;

impl<S> Layer<S> for AttachmentsLayer {
    type Service = Attachments<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Attachments { inner }
    }
}

/// Middleware that adds `path`, `interface`, `version`, `group` and `remote.application`.
#[derive(Debug, Clone)]
pub struct Attachments<S> {
    inner: S,
}

impl<S> Service<Invocation> for Attachments<S>
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
        add_standard(&mut invocation);
        self.inner.call(invocation)
    }
}

/// Calling through a shared reference, when the inner service can be called so.
impl<'a, S> Service<Invocation> for &'a Attachments<S>
where
    &'a S: Service<Invocation, Response = DecodedResponse, Error = RpcError>,
{
    type Response = DecodedResponse;
    type Error = RpcError;
    type Future = <&'a S as Service<Invocation>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        (&self.inner).poll_ready(cx)
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        add_standard(&mut invocation);
        (&self.inner).call(invocation)
    }
}

/// Puts the target's standard attachments in the invocation.
fn add_standard(invocation: &mut Invocation) {
    // Runs before any cluster mode keeps a copy of the invocation, so this changes the
    // call's only request in place.
    let (target, a) = invocation.target_and_attachments_mut();
    // These name the service called: the target's values win over the caller's (a caller's
    // `group` stays when the target has none). `remote.application` is only a default.
    if !a.is_empty() {
        for key in ["path", "interface", "version"] {
            a.remove(key);
        }
        if target.group.is_some() {
            a.remove("group");
        }
    }
    a.extend_shared(target.standard_attachments());
}
