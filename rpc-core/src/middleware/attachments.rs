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
        let target = invocation.target.clone();
        let a = &mut invocation.attachments;
        a.insert_str("path", target.descriptor.interface.clone());
        a.insert_str("interface", target.descriptor.interface.clone());
        a.insert_str(
            "version",
            target.version.clone().unwrap_or_else(|| "0.0.0".to_owned()),
        );
        if let Some(group) = &target.group {
            a.insert_str("group", group.clone());
        }
        a.insert_str_if_absent("remote.application", target.application.clone());
        self.inner.call(invocation)
    }
}
