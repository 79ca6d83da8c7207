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
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tower::Service;

pub use self::builder::ClientBuilder;
use self::invocation::{Invocation, ServiceTarget};
use crate::attachments::Attachments;
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
    ) -> impl Future<Output = Result<R, RpcError>> + Send + '_ {
        self.call_with(method_index, args, Attachments::new())
    }

    /// Like [`call`](Self::call), with extra attachments.
    pub fn call_with<R: DeserializeOwned>(
        &self,
        method_index: usize,
        args: EncodedArgs,
        attachments: Attachments,
    ) -> impl Future<Output = Result<R, RpcError>> + Send + '_ {
        let invocation = self.invocation(method_index, args, attachments);
        async move {
            let response = self.run(invocation?).await?;
            Ok(response.decode::<R>()?)
        }
    }

    /// Runs one call through the stack and returns the undecoded response.
    pub fn invoke(
        &self,
        method_index: usize,
        args: EncodedArgs,
        attachments: Attachments,
    ) -> impl Future<Output = Result<DecodedResponse, RpcError>> + Send + '_ {
        let invocation = self.invocation(method_index, args, attachments);
        async move { self.run(invocation?).await }
    }

    /// The invocation of a call, made before the call's future: only a pointer to the request
    /// then moves into that future, rather than the arguments and attachments (the moves of
    /// nested futures were a measurable part of a call).
    fn invocation(
        &self,
        method_index: usize,
        args: EncodedArgs,
        attachments: Attachments,
    ) -> Result<Invocation, RpcError> {
        if method_index >= self.target.descriptor.methods.len() {
            return Err(RpcError::application(format!(
                "method index {method_index} out of range for {}",
                self.target.service_key()
            )));
        }
        Ok(Invocation::new(
            self.target.clone(),
            method_index,
            args,
            attachments,
        ))
    }

    async fn run(&self, invocation: Invocation) -> Result<DecodedResponse, RpcError> {
        let method_index = invocation.method_index();
        // Called through a shared reference: no clone of the stack per call.
        let mut stack = &self.stack;
        std::future::poll_fn(|cx| stack.poll_ready(cx)).await?;
        match stack.call(invocation).await {
            // The connection fails a request at its deadline without knowing the method.
            Err(RpcError::Timeout { method, elapsed }) if method.is_empty() => {
                Err(RpcError::Timeout {
                    method: self.target.descriptor.methods[method_index].name.clone(),
                    elapsed,
                })
            }
            other => other,
        }
    }
}
