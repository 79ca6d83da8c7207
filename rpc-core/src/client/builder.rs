use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tower::ServiceBuilder;

use super::invocation::ServiceTarget;
use super::settings::{CallSettings, ConsumerSettings};
use super::Client;
use crate::cluster::{Balance, Cluster, Directory, Invoke};
use crate::error::RpcError;
use crate::middleware::{AttachmentsLayer, TimeoutLayer};
use crate::registry::{consumer_url, ConsumerSpec, Registry};
use crate::service::{ServiceClient, ServiceDescriptor};
use crate::transport::client::ConnectionConfig;
use crate::url::Url;

/// Builds a [`Client`]: where the providers are (a direct URL or a registry), which version
/// and group, and the call settings.
///
/// ```no_run
/// # async fn demo() -> Result<(), dubbo_rpc::RpcError> {
/// # type DemoServiceClient = dubbo_rpc::Client;
/// # fn build() -> dubbo_rpc::client::ClientBuilder { dubbo_rpc::Client::builder() }
/// use std::time::Duration;
/// let builder = dubbo_rpc::Client::builder()
///     .url("dubbo://127.0.0.1:20880")
///     .timeout(Duration::from_secs(3))
///     .retries(0);
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder {
    urls: Vec<String>,
    registry: Option<Arc<dyn Registry>>,
    application: Option<String>,
    version: Option<String>,
    group: Option<String>,
    settings: ConsumerSettings,
    connection: ConnectionConfig,
    register_consumer: bool,
    wait_for_providers: Option<Duration>,
    empty_protection: Option<bool>,
    registry_host: Option<String>,
}

/// A consumer node registered for as long as a client lives.
#[derive(Debug)]
pub(crate) struct Registration {
    registry: Arc<dyn Registry>,
    url: Url,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let registry = self.registry.clone();
        let url = self.url.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = registry.unregister(&url).await;
            });
        }
    }
}

impl ClientBuilder {
    /// A builder with Java's defaults (timeout 1000 ms, retries 2, random, failover).
    pub fn new() -> Self {
        ClientBuilder {
            register_consumer: true,
            ..Default::default()
        }
    }

    /// Calls this provider directly (`dubbo://host:port`, several separated by `,` or `;`),
    /// as Java's `url=`; a registry is then not consulted.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.urls.push(url.into());
        self
    }

    /// Discovers providers in this registry.
    pub fn registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The consumer's application name (default `dubbo-rpc-consumer`).
    pub fn application(mut self, name: impl Into<String>) -> Self {
        self.application = Some(name.into());
        self
    }

    /// The service version to call (default: the `#[service]` attribute's).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The service group to call (default: the `#[service]` attribute's).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Timeout of each attempt, for every method.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.service.timeout = Some(timeout);
        self
    }

    /// Failover retries after the first attempt, for every method.
    pub fn retries(mut self, retries: u32) -> Self {
        self.settings.service.retries = Some(retries);
        self
    }

    /// Load balancer for every method.
    pub fn loadbalance(mut self, name: impl Into<String>) -> Self {
        self.settings.service.loadbalance = Some(name.into());
        self
    }

    /// Cluster mode for every method.
    pub fn cluster(mut self, name: impl Into<String>) -> Self {
        self.settings.service.cluster = Some(name.into());
        self
    }

    /// Settings for one method (by Java name), which win over the service-wide ones.
    pub fn method(mut self, java_name: impl Into<String>, settings: CallSettings) -> Self {
        self.settings.methods.insert(java_name.into(), settings);
        self
    }

    /// Another parameter (`forks`, `hash.arguments`, `<method>.<key>` …).
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.parameters.insert(key.into(), value.into());
        self
    }

    /// Connection settings (payload limit, heartbeat, connect timeout, connections per
    /// provider).
    pub fn connection(mut self, config: ConnectionConfig) -> Self {
        self.connection = config;
        self
    }

    /// Opens `n` connections of this client's own to each provider and spreads calls over
    /// them in turn, 128 consecutive calls each, so that calls started together leave in one
    /// write (Java's `connections`, which alternates on every call); 0 shares one connection
    /// per address with every client of the process (the default, unless a provider's URL
    /// says `connections`). The client parameter `connections` sets the same.
    pub fn connections(mut self, n: u32) -> Self {
        self.connection.connections = Some(n);
        self
    }

    /// Whether to register a consumer node in the registry (default true, as Java).
    pub fn register_consumer(mut self, register: bool) -> Self {
        self.register_consumer = register;
        self
    }

    /// The host written into the consumer node registered in the registry (default: this
    /// machine's routable address, or the `DUBBO_IP_TO_REGISTRY` environment variable).
    pub fn registry_host(mut self, host: impl Into<String>) -> Self {
        self.registry_host = Some(host.into());
        self
    }

    /// Whether an empty provider listing from the registry is ignored (Java's
    /// `enable-empty-protection`; default `false`, as Java 3.2+: an empty listing clears the
    /// providers). Transient registry failures never produce a listing, so they never empty
    /// the providers either way; see [`Directory`](crate::cluster::Directory). The client
    /// parameter `enable-empty-protection` sets the same.
    pub fn empty_protection(mut self, enabled: bool) -> Self {
        self.empty_protection = Some(enabled);
        self
    }

    /// Makes `build` wait up to `timeout` for at least one provider and fail with
    /// [`RpcError::NoProvider`] if none appears (Java's `check=true`). By default `build`
    /// returns at once and calls fail until providers appear (`check=false`).
    pub fn wait_for_providers(mut self, timeout: Duration) -> Self {
        self.wait_for_providers = Some(timeout);
        self
    }

    /// Builds the typed client the `#[service]` macro generated.
    pub async fn build<C: ServiceClient>(self) -> Result<C, RpcError> {
        let descriptor = Arc::new(C::descriptor().clone());
        Ok(C::from_client(self.build_for(descriptor).await?))
    }

    /// Builds an untyped client for a service descriptor.
    pub async fn build_for(self, descriptor: Arc<ServiceDescriptor>) -> Result<Client, RpcError> {
        let version = self
            .version
            .or_else(|| descriptor.version.clone())
            .filter(|v| !v.is_empty() && v != "0.0.0");
        let group = self
            .group
            .or_else(|| descriptor.group.clone())
            .filter(|g| !g.is_empty());
        let application = self
            .application
            .unwrap_or_else(|| "dubbo-rpc-consumer".to_owned());
        let empty_protection = self.empty_protection.unwrap_or_else(|| {
            self.settings
                .parameters
                .get("enable-empty-protection")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        });
        let mut connection = self.connection;
        if connection.connections.is_none() {
            connection.connections = self
                .settings
                .parameters
                .get("connections")
                .and_then(|n| n.trim().parse().ok());
        }
        let target = Arc::new(ServiceTarget::new(
            descriptor.clone(),
            version.clone(),
            group.clone(),
            application.clone(),
            self.settings,
        ));
        let mut registration = None;
        let directory = if !self.urls.is_empty() {
            let mut urls = Vec::new();
            for part in self.urls.iter().flat_map(|u| u.split([',', ';'])) {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                let url = Url::parse(part).map_err(|e| {
                    RpcError::application(format!("invalid provider url {part:?}: {e}"))
                })?;
                urls.push(url.with_path(descriptor.interface.as_str()));
            }
            Directory::fixed(urls, &connection)
        } else if let Some(registry) = self.registry {
            let mut spec = ConsumerSpec {
                application,
                interface: descriptor.interface.clone(),
                methods: descriptor.methods.iter().map(|m| m.name.clone()).collect(),
                version,
                group,
                host: self.registry_host,
                params: BTreeMap::new(),
                ..Default::default()
            };
            spec.params
                .insert("protocol".to_owned(), "dubbo".to_owned());
            let consumer = consumer_url(&spec);
            let subscription = registry.subscribe(&consumer).await.map_err(|e| {
                RpcError::application(format!("subscribing to {}: {e}", descriptor.interface))
            })?;
            if self.register_consumer {
                let mut node = consumer.clone();
                node.remove_param("protocol");
                if let Err(e) = registry.register(&node).await {
                    tracing::warn!(error = %e, "could not register the consumer node");
                } else {
                    registration = Some(Arc::new(Registration {
                        registry: registry.clone(),
                        url: node,
                    }));
                }
            }
            Directory::follow_with(provider_urls(subscription), connection, empty_protection)
        } else {
            return Err(RpcError::application(
                "no provider source: give the client a url(...) or a registry(...)",
            ));
        };
        if let Some(timeout) = self.wait_for_providers {
            if !directory.wait_for_providers(timeout).await {
                return Err(RpcError::NoProvider {
                    service: target.service_key(),
                });
            }
        }
        let stack = ServiceBuilder::new()
            .layer(AttachmentsLayer)
            .layer_fn(|s| Cluster::new(directory.clone(), s))
            .layer_fn(|s| Balance::new(directory.clone(), s))
            .layer(TimeoutLayer)
            .service(Invoke);
        Ok(Client {
            target,
            directory,
            stack,
            _registration: registration,
        })
    }
}

/// Adapts a registry subscription to the provider-URL stream the directory follows. Only real
/// listings pass ([`ProviderSet::is_listed`](crate::registry::ProviderSet::is_listed)): "not
/// listed yet" is not "no provider".
fn provider_urls(
    mut subscription: crate::registry::Subscription,
) -> watch::Receiver<Arc<Vec<Url>>> {
    let (tx, rx) = watch::channel(subscription.borrow_and_update().providers.clone());
    tokio::spawn(async move {
        loop {
            tokio::select! {
                changed = subscription.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let set = subscription.borrow_and_update().clone();
                    if !set.is_listed() {
                        continue;
                    }
                    if tx.send(set.providers).is_err() {
                        return;
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    rx
}
