//! The request type that flows through the consumer stack.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;

use crate::attachments::{Attachments, SharedAttachments};
use crate::client::settings::{ConsumerSettings, ResolvedSettings};
use crate::cluster::directory::InvokerList;
use crate::cluster::invoker::Invoker;
use crate::codec::body::{encode_request_head, EncodedArgs};
use crate::service::{MethodDescriptor, ServiceDescriptor};

/// The service a client calls, with the consumer's settings for it.
///
/// What every call of the service sends the same way is prepared here once: the standard
/// attachments and, per method, the head of the request body.
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
    standard_attachments: SharedAttachments,
    request_heads: Vec<Bytes>,
}

impl ServiceTarget {
    /// A target for `descriptor`, asking for `version` and `group` (`None`: unversioned,
    /// no group).
    pub fn new(
        descriptor: Arc<ServiceDescriptor>,
        version: Option<String>,
        group: Option<String>,
        application: String,
        settings: ConsumerSettings,
    ) -> ServiceTarget {
        let interface = descriptor.interface.as_str();
        let mut standard = vec![
            ("path", interface),
            ("interface", interface),
            ("version", version.as_deref().unwrap_or("0.0.0")),
        ];
        if let Some(group) = &group {
            standard.push(("group", group));
        }
        standard.push(("remote.application", &application));
        let standard_attachments = SharedAttachments::new(standard);
        let request_heads = descriptor
            .methods
            .iter()
            .map(|m| {
                let mut head = Vec::new();
                // Strings always encode.
                let _ = encode_request_head(
                    &mut head,
                    interface,
                    version.as_deref(),
                    &m.name,
                    &m.parameter_types,
                );
                Bytes::from(head)
            })
            .collect();
        ServiceTarget {
            descriptor,
            version,
            group,
            application,
            settings,
            standard_attachments,
            request_heads,
        }
    }

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

    /// The attachments every call of this service sends, as a Java 3.3 consumer does:
    /// `path`, `interface`, `version`, `group` (when set) and `remote.application`.
    pub fn standard_attachments(&self) -> &SharedAttachments {
        &self.standard_attachments
    }

    /// The encoded head of a request body for method `method_index` (dubbo version, path,
    /// version, method name, parameter descriptor).
    pub fn request_head(&self, method_index: usize) -> &[u8] {
        &self.request_heads[method_index]
    }
}

/// The providers one call has tried so far.
pub type TriedProviders = Arc<std::sync::Mutex<Vec<Arc<Invoker>>>>;

/// What a call asks for: shared by every attempt of the call, so a cluster mode that keeps
/// the invocation for another attempt copies a pointer, not the arguments and attachments.
#[derive(Debug, Clone)]
struct CallRequest {
    target: Arc<ServiceTarget>,
    method_index: usize,
    args: EncodedArgs,
    attachments: Attachments,
}

/// One call on its way to a provider.
///
/// The request (service, method, arguments, attachments) is shared by the clones of an
/// invocation; the fields are what each attempt decides for itself.
#[derive(Debug, Clone)]
pub struct Invocation {
    request: Arc<CallRequest>,
    /// The provider chosen for this attempt (set by load balancing, or pinned by a cluster
    /// mode such as forking or broadcast).
    pub invoker: Option<Arc<Invoker>>,
    /// Providers already tried by this call, shared by every clone of it, when the cluster
    /// mode makes several attempts (failover over several providers, forking): the balancer
    /// records each pick here and the next attempt skips them when it can. `None` otherwise,
    /// which spares a call with one attempt the allocation.
    pub tried: Option<TriedProviders>,
    /// How long this attempt may wait for its response, set by the timeout layer, enforced
    /// by the connection and sent to the provider as the `timeout` attachment, which wins
    /// over one the caller put in the attachments, as in Java (`None`: no limit, and no
    /// attachment).
    pub timeout: Option<std::time::Duration>,
    /// The providers the cluster layer listed for this attempt, for the balancer to choose
    /// from, as Java's cluster invoker lists once and hands the list to its load balancer
    /// (`None`: the balancer lists the directory itself). Taken by the balancer.
    pub(crate) providers: Option<InvokerList>,
}

impl Invocation {
    /// A call of method `method_index` of `target` with encoded arguments and the caller's
    /// attachments.
    pub fn new(
        target: Arc<ServiceTarget>,
        method_index: usize,
        args: EncodedArgs,
        attachments: Attachments,
    ) -> Invocation {
        Invocation {
            request: Arc::new(CallRequest {
                target,
                method_index,
                args,
                attachments,
            }),
            invoker: None,
            tried: None,
            timeout: None,
            providers: None,
        }
    }

    /// The service called.
    pub fn target(&self) -> &Arc<ServiceTarget> {
        &self.request.target
    }

    /// Index of the method in the service descriptor.
    pub fn method_index(&self) -> usize {
        self.request.method_index
    }

    /// The arguments, encoded once.
    pub fn args(&self) -> &EncodedArgs {
        &self.request.args
    }

    /// Attachments sent with the call.
    pub fn attachments(&self) -> &Attachments {
        &self.request.attachments
    }

    /// The attachments, to change. When clones of this invocation share the request (a
    /// cluster mode kept one for another attempt), the request is copied first, so the
    /// change stays with this invocation.
    pub fn attachments_mut(&mut self) -> &mut Attachments {
        self.target_and_attachments_mut().1
    }

    /// The service called, and the attachments to change (see
    /// [`attachments_mut`](Self::attachments_mut)).
    pub(crate) fn target_and_attachments_mut(&mut self) -> (&ServiceTarget, &mut Attachments) {
        let request = Arc::make_mut(&mut self.request);
        (&request.target, &mut request.attachments)
    }

    /// The called method.
    pub fn method(&self) -> &MethodDescriptor {
        &self.target().descriptor.methods[self.method_index()]
    }

    /// The settings of this call against `provider` (the provider's URL parameters count
    /// where the consumer set nothing), resolved once per provider and method.
    pub fn settings<'a>(&'a self, provider: Option<&'a Invoker>) -> Cow<'a, ResolvedSettings> {
        match provider {
            Some(invoker) => invoker.settings(self.target(), self.method_index()),
            None => Cow::Owned(self.target().settings.resolve(&self.method().name, None)),
        }
    }
}
