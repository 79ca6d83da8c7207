//! The consumer side: a cheap-to-clone [`Client`] bound to one service, whose calls run
//! through a stack of tower layers down to a multiplexed connection.
//!
//! # Layer order
//!
//! Outer to inner, as [`ClientBuilder`] assembles it:
//!
//! ```text
//! Attachments → Cluster (failover …) → Balance (directory + load balancer) → Timeout → Invoke
//! ```
//!
//! * `Attachments` adds what every Java consumer sends (`path`, `interface`, `version`,
//!   `group`, `remote.application`).
//! * `Cluster` applies the fault-tolerance mode; failover re-enters the layers below for each
//!   attempt.
//! * `Balance` picks a provider per attempt, skipping unavailable ones and those already tried.
//! * `Timeout` sets each attempt's effective timeout (consumer method, consumer service,
//!   provider method, provider service, 1000 ms), which the connection enforces and the
//!   invoker sends as the `timeout` attachment.
//! * `Invoke` encodes the request and waits on the connection to that provider: one shared
//!   by every client of the process, or one of the client's own `connections`.
//!
//! # What a call costs
//!
//! Everything that is the same for every call is prepared once: per service the standard
//! attachments, encoded ([`SharedAttachments`](crate::attachments::SharedAttachments)); per
//! method the head of the request body; per provider and method the resolved settings
//! ([`ResolvedSettings`](settings::ResolvedSettings), cached on the invoker), including the
//! encoded `timeout` attachment. A call then encodes only its arguments, copies its frame
//! into the connection's send buffer and waits in the connection's pending table; its
//! attempts share one request behind an `Arc`. Failover and failfast, the common modes, run
//! as named futures, so the arguments' buffer, that shared request and the decoded result
//! are the call's only allocations.

mod builder;
pub mod generic;
pub mod invocation;
pub mod settings;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use serde::de::DeserializeOwned;
use tower::Service;

pub use self::builder::ClientBuilder;
use self::invocation::{Invocation, ServiceTarget};
use crate::attachments::Attachments;
use crate::cluster::mode::ClusterFuture;
use crate::cluster::{Balance, Cluster, Directory, Invoke};
use crate::codec::body::{DecodedResponse, EncodedArgs};
use crate::error::RpcError;
use crate::middleware::{AttachmentsService, Timeout};

/// The consumer stack, named rather than boxed: a call goes through a shared reference to it,
/// with no clone and no allocation.
pub type ConsumerStack = AttachmentsService<Cluster<Balance<Timeout<Invoke>>>>;

/// A handle for calling one service. Cloning is cheap; clones share connections.
#[derive(Clone)]
pub struct Client {
    target: Arc<ServiceTarget>,
    directory: Directory,
    stack: ConsumerStack,
    /// Keeps the consumer registration alive as long as a clone of this client is.
    _registration: Option<Arc<builder::Registration>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("service", &self.target.service_key())
            .field("providers", &self.directory.list().len())
            .finish()
    }
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The service this client calls.
    pub fn target(&self) -> &Arc<ServiceTarget> {
        &self.target
    }

    /// The live provider directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Calls method `method_index` of the service with pre-encoded arguments and decodes the
    /// result as `R`.
    pub fn call<R: DeserializeOwned>(
        &self,
        method_index: usize,
        args: EncodedArgs,
    ) -> DecodeFuture<'_, R> {
        self.call_with(method_index, args, Attachments::new())
    }

    /// Like [`call`](Self::call), with extra attachments.
    pub fn call_with<R: DeserializeOwned>(
        &self,
        method_index: usize,
        args: EncodedArgs,
        attachments: Attachments,
    ) -> DecodeFuture<'_, R> {
        DecodeFuture {
            response: self.invoke(method_index, args, attachments),
            _decoded: PhantomData,
        }
    }

    /// Runs one call through the stack and returns the undecoded response. Nothing is sent
    /// before the future is polled.
    pub fn invoke(
        &self,
        method_index: usize,
        args: EncodedArgs,
        attachments: Attachments,
    ) -> InvokeFuture<'_> {
        // The invocation is made here, before the future, so that only a pointer to the
        // request moves with the future, not the arguments and attachments; and the future
        // is a named type rather than an `async fn`, which would hold the invocation twice
        // (as its argument and in the stack's future). Copying large futures on every call
        // was a measurable part of it.
        let state = if method_index < self.target.descriptor.methods.len() {
            let invocation = Invocation::new(self.target.clone(), method_index, args, attachments);
            InvokeState::Ready {
                invocation: Some(invocation),
            }
        } else {
            InvokeState::Failed {
                error: Some(RpcError::application(format!(
                    "method index {method_index} out of range for {}",
                    self.target.service_key()
                ))),
            }
        };
        InvokeFuture {
            client: self,
            method_index,
            state,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Client::invoke`]: the call through the stack, with a timeout error
    /// named after the method.
    #[must_use = "futures do nothing unless polled"]
    pub struct InvokeFuture<'a> {
        client: &'a Client,
        method_index: usize,
        #[pin]
        state: InvokeState,
    }
}

pin_project_lite::pin_project! {
    #[project = InvokeStateProj]
    enum InvokeState {
        // Waiting for the stack to be ready.
        Ready { invocation: Option<Invocation> },
        // In the stack.
        Calling { #[pin] future: ClusterFuture<Balance<Timeout<Invoke>>> },
        // Failed before it started.
        Failed { error: Option<RpcError> },
    }
}

impl Future for InvokeFuture<'_> {
    type Output = Result<DecodedResponse, RpcError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                InvokeStateProj::Ready { invocation } => {
                    // Called through a shared reference: no clone of the stack per call.
                    let mut stack = &this.client.stack;
                    ready!(stack.poll_ready(cx))?;
                    let Some(invocation) = invocation.take() else {
                        return Poll::Ready(Err(RpcError::application(
                            "call polled after it completed",
                        )));
                    };
                    let future = stack.call(invocation);
                    this.state.set(InvokeState::Calling { future });
                }
                InvokeStateProj::Calling { future } => {
                    return Poll::Ready(match ready!(future.poll(cx)) {
                        // The connection fails a request at its deadline without knowing
                        // the method.
                        Err(RpcError::Timeout { method, elapsed }) if method.is_empty() => {
                            let methods = &this.client.target.descriptor.methods;
                            Err(RpcError::Timeout {
                                method: methods[*this.method_index].name.clone(),
                                elapsed,
                            })
                        }
                        other => other,
                    });
                }
                InvokeStateProj::Failed { error } => {
                    return Poll::Ready(Err(error.take().unwrap_or_else(|| {
                        RpcError::application("call polled after it completed")
                    })));
                }
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Client::call`] and [`Client::call_with`]: the call, then the result
    /// decoded as `R`.
    #[must_use = "futures do nothing unless polled"]
    pub struct DecodeFuture<'a, R> {
        #[pin]
        response: InvokeFuture<'a>,
        _decoded: PhantomData<fn() -> R>,
    }
}

impl<R: DeserializeOwned> Future for DecodeFuture<'_, R> {
    type Output = Result<R, RpcError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response = ready!(self.project().response.poll(cx))?;
        Poll::Ready(Ok(response.decode::<R>()?))
    }
}
