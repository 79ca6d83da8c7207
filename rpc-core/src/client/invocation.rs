//! The request type that flows through the consumer stack.

use std::sync::Arc;

use crate::attachments::Attachments;
use crate::client::settings::ConsumerSettings;
use crate::cluster::invoker::Invoker;
use crate::codec::body::EncodedArgs;
use crate::service::{MethodDescriptor, ServiceDescriptor};

/// The service a client calls, with the consumer's settings for it.
#[derive(Debug)]
pub struct ServiceTarget {
    /// The Java interface, default version/group, and methods.
    pub descriptor: Arc<ServiceDescriptor>,
    /// The version this consumer asks for (`None` = unversioned).
    pub version: Option<String>,
    /// The group this consumer asks for.
    pub group: Option<String>,
    /// The consumer's application name (sent as `remote.application`).
    pub application: String,
    /// Timeouts, retries, load balancing and cluster mode.
    pub settings: ConsumerSettings,
}

impl ServiceTarget {
    /// Java's service key, `group/interface:version`, for messages.
    pub fn service_key(&self) -> String {
        let mut key = String::new();
        if let Some(g) = &self.group {
            key.push_str(g);
            key.push('/');
        }
        key.push_str(&self.descriptor.interface);
        if let Some(v) = &self.version {
            key.push(':');
            key.push_str(v);
        }
        key
    }
}

/// The providers one call has tried so far.
pub type TriedProviders = Arc<std::sync::Mutex<Vec<Arc<Invoker>>>>;

/// One call on its way to a provider.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The service called.
    pub target: Arc<ServiceTarget>,
    /// Index of the method in the service descriptor.
    pub method_index: usize,
    /// The arguments, encoded once.
    pub args: EncodedArgs,
    /// Attachments sent with the call.
    pub attachments: Attachments,
    /// The provider chosen for this attempt (set by load balancing, or pinned by a cluster
    /// mode such as forking or broadcast).
    pub invoker: Option<Arc<Invoker>>,
    /// Providers already tried by this call, shared by every clone of it: the balancer
    /// records each pick here and failover retries skip them when it can.
    pub tried: TriedProviders,
}

impl Invocation {
    /// The called method.
    pub fn method(&self) -> &MethodDescriptor {
        &self.target.descriptor.methods[self.method_index]
    }
}
