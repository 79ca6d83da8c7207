//! The provider side: export services on a TCP port.
//!
//! ```no_run
//! # async fn demo<H: dubbo_rpc::server::handler::ServiceHandler>(handler: H) -> Result<(), dubbo_rpc::server::ServeError> {
//! use dubbo_rpc::server::Server;
//!
//! let server = Server::builder().port(20880).add_service(handler).serve().await?;
//! println!("listening on {}", server.local_addr());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod handler;
pub(crate) mod router;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use self::handler::{BoxFuture, ServerReply, ServiceHandler};
use self::router::{Exported, Router};
use crate::registry::{provider_url, ProviderSpec, Registry, RegistryError};
use crate::transport::server::{accept_loop, Dispatch, ServerState, TransportConfig};
use crate::url::Url;

/// How long shutdown keeps reading after the readonly event, for requests already sent.
const READONLY_GRACE: Duration = Duration::from_millis(100);

/// Java Dubbo's default port.
pub const DEFAULT_PORT: u16 = 20880;

/// Per-export settings: the version and group a service is exported under, and parameters
/// advertised to consumers in the registry.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Overrides the version from the `#[service]` attribute.
    pub version: Option<String>,
    /// Overrides the group from the `#[service]` attribute.
    pub group: Option<String>,
    /// Extra registry parameters (`weight`, `timeout`, `retries`, `loadbalance`, `cluster`,
    /// `<method>.timeout` …), which Java consumers merge under their own settings.
    pub parameters: std::collections::BTreeMap<String, String>,
}

/// Builds a [`Server`].
pub struct ServerBuilder {
    application: String,
    registries: Vec<Arc<dyn Registry>>,
    registry_host: Option<String>,
    bind_host: String,
    port: u16,
    router: Router,
    layers: Vec<StackLayer>,
    max_frame_len: usize,
    idle_timeout: Duration,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("application", &self.application)
            .field("bind_host", &self.bind_host)
            .field("port", &self.port)
            .field("router", &self.router)
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

/// Entry point of the provider side; see [`Server::builder`].
#[derive(Debug)]
pub struct Server;

impl Server {
    /// A builder with Java's defaults: port 20880, 8 MiB payload, 180 s idle close, 10 s
    /// shutdown wait.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            application: "dubbo-rpc-provider".to_owned(),
            registries: Vec::new(),
            registry_host: None,
            bind_host: "0.0.0.0".to_owned(),
            port: DEFAULT_PORT,
            router: Router::default(),
            layers: Vec::new(),
            max_frame_len: crate::codec::DEFAULT_MAX_FRAME_LEN,
            idle_timeout: Duration::from_secs(180),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A service declares two methods with the same Java name and parameter descriptor, so
    /// calls to them could not be told apart.
    #[error("service {interface} declares {method}({parameter_types}) twice; give one of them another name or descriptor with #[dubbo(...)]")]
    DuplicateMethod {
        /// The Java interface.
        interface: String,
        /// The Java method name.
        method: String,
        /// The parameter descriptor.
        parameter_types: String,
    },
    /// Registering a service failed.
    #[error("cannot register {url} in the registry")]
    Register {
        /// The provider URL.
        url: String,
        /// The cause.
        #[source]
        source: RegistryError,
    },
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ServerBuilder {
    /// The application name written to the registry (default `dubbo-rpc-provider`).
    pub fn application(mut self, name: impl Into<String>) -> Self {
        self.application = name.into();
        self
    }

    /// Registers every exported service in this registry once listening, and unregisters
    /// them first thing at shutdown.
    pub fn registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registries.push(registry);
        self
    }

    /// The host written into registered URLs (default: this machine's routable address, or
    /// the `DUBBO_IP_TO_REGISTRY` environment variable).
    pub fn registry_host(mut self, host: impl Into<String>) -> Self {
        self.registry_host = Some(host.into());
        self
    }

    /// Wraps the provider side in a tower layer (access log, limits, metrics …). Layers
    /// added first sit outermost; each sees the raw request body and returns the reply.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<ProviderStack> + Send + 'static,
        L::Service: Service<Bytes, Response = ServerReply, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Bytes>>::Future: Send + 'static,
    {
        // Stored now, applied at `serve` in reverse so the first layer added is outermost.
        self.layers.insert(
            0,
            Box::new(move |inner| ProviderStack::new(layer.layer(inner))),
        );
        self
    }

    /// The TCP port; 0 picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The local address to bind (default `0.0.0.0`).
    pub fn bind_host(mut self, host: impl Into<String>) -> Self {
        self.bind_host = host.into();
        self
    }

    /// The largest request body accepted (default 8 MiB), checked before it is buffered.
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.max_frame_len = bytes;
        self
    }

    /// Connections with nothing to read for this long are closed (default 180 s, as Java).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How long [`RunningServer::shutdown`] waits for in-flight calls (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Exports a service under the version and group of its `#[service]` attribute.
    pub fn add_service<H: ServiceHandler>(self, handler: H) -> Self {
        self.add_service_with(handler, ExportOptions::default())
    }

    /// Exports a service with explicit options.
    pub fn add_service_with<H: ServiceHandler>(
        mut self,
        handler: H,
        options: ExportOptions,
    ) -> Self {
        let descriptor = handler.descriptor();
        let version = options
            .version
            .clone()
            .or_else(|| descriptor.version.clone())
            .filter(|v| !v.is_empty() && v != "0.0.0");
        let group = options
            .group
            .clone()
            .or_else(|| descriptor.group.clone())
            .filter(|g| !g.is_empty());
        self.router.add(Exported {
            handler: Arc::new(handler),
            version,
            group,
            parameters: options.parameters,
        });
        self
    }

    /// Binds the port and starts serving.
    pub async fn serve(mut self) -> Result<RunningServer, ServeError> {
        for export in self.router.exports() {
            let d = export.handler.descriptor();
            for (i, m) in d.methods.iter().enumerate() {
                if d.methods[..i]
                    .iter()
                    .any(|o| o.name == m.name && o.parameter_types == m.parameter_types)
                {
                    return Err(ServeError::DuplicateMethod {
                        interface: d.interface.clone(),
                        method: m.name.clone(),
                        parameter_types: m.parameter_types.clone(),
                    });
                }
            }
        }
        let addr = format!("{}:{}", self.bind_host, self.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
        self.router.set_port(local_addr.port());
        let state = Arc::new(ServerState::default());
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let config = TransportConfig {
            max_frame_len: self.max_frame_len,
            idle_timeout: self.idle_timeout,
        };
        let exported: Vec<Exported> = self.router.exports().cloned().collect();
        let router = Arc::new(self.router);
        let dispatch = Arc::new(if self.layers.is_empty() {
            RouterDispatch::Router(router)
        } else {
            let mut stack = ProviderStack::new(ProviderService { router });
            for layer in self.layers {
                stack = layer(stack);
            }
            RouterDispatch::Stack(stack)
        });
        let task = tokio::spawn(accept_loop(
            listener,
            dispatch,
            config,
            state.clone(),
            shutdown_rx,
        ));
        let mut server = RunningServer {
            local_addr,
            state,
            shutdown_tx,
            task,
            shutdown_timeout: self.shutdown_timeout,
            registries: self.registries,
            urls: Vec::new(),
        };
        for export in &exported {
            let descriptor = export.handler.descriptor();
            let spec = ProviderSpec {
                application: self.application.clone(),
                interface: descriptor.interface.clone(),
                methods: descriptor.methods.iter().map(|m| m.name.clone()).collect(),
                host: self.registry_host.clone(),
                port: local_addr.port(),
                version: export.version.clone(),
                group: export.group.clone(),
                params: export.parameters.clone(),
                ..Default::default()
            };
            server.urls.push(provider_url(&spec));
        }
        for registry in &server.registries {
            for url in &server.urls {
                if let Err(source) = registry.register(url).await {
                    let url = url.to_string();
                    server.shutdown().await;
                    return Err(ServeError::Register { url, source });
                }
            }
        }
        Ok(server)
    }
}

/// The provider side as one boxed tower service: request body in, reply out. Handlers never
/// fail (every outcome is a reply), hence `Infallible`.
pub type ProviderStack = BoxCloneSyncService<Bytes, ServerReply, Infallible>;

type StackLayer = Box<dyn FnOnce(ProviderStack) -> ProviderStack + Send>;

/// The innermost provider service: decodes the request head and routes it to the exported
/// service by `path:version`, group, method name and descriptor.
#[derive(Debug, Clone)]
pub struct ProviderService {
    router: Arc<Router>,
}

impl Service<Bytes> for ProviderService {
    type Response = ServerReply;
    type Error = Infallible;
    type Future = ProviderFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, body: Bytes) -> Self::Future {
        ProviderFuture(self.router.dispatch(body))
    }
}

/// The future of [`ProviderService`]: the handler's reply (which cannot fail), without
/// boxing it a second time.
pub struct ProviderFuture(BoxFuture<ServerReply>);

impl Future for ProviderFuture {
    type Output = Result<ServerReply, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}

impl std::fmt::Debug for ProviderFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProviderFuture")
    }
}

/// Hands request bodies from the transport to the provider side.
enum RouterDispatch {
    /// No layers: the router itself, called directly. The tower stack would add a service
    /// clone and three boxed futures to every request for nothing.
    Router(Arc<Router>),
    /// The layers around the router.
    Stack(ProviderStack),
}

impl Dispatch for RouterDispatch {
    fn dispatch(&self, body: Bytes) -> BoxFuture<ServerReply> {
        match self {
            RouterDispatch::Router(router) => router.dispatch(body),
            RouterDispatch::Stack(stack) => {
                let service = stack.clone();
                Box::pin(async move {
                    match service.oneshot(body).await {
                        Ok(reply) => reply,
                        Err(never) => match never {},
                    }
                })
            }
        }
    }
}

/// A server that is accepting connections.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    state: Arc<ServerState>,
    shutdown_tx: watch::Sender<bool>,
    task: JoinHandle<()>,
    shutdown_timeout: Duration,
    registries: Vec<Arc<dyn Registry>>,
    urls: Vec<Url>,
}

impl std::fmt::Debug for RouterDispatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RouterDispatch")
    }
}

impl RunningServer {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The number of calls being handled now: each call that waits in a task of its own,
    /// and each connection answering a read's calls inline.
    pub fn in_flight(&self) -> usize {
        self.state.in_flight()
    }

    /// The provider URLs of the exported services, as registered.
    pub fn urls(&self) -> &[Url] {
        &self.urls
    }

    /// Graceful shutdown, in Java Dubbo's order: unregister from every registry, tell
    /// connected consumers (readonly event) so they stop choosing us, wait (bounded) for
    /// in-flight calls, then stop accepting and close every connection once its last response
    /// is written.
    pub async fn shutdown(self) {
        for registry in &self.registries {
            for url in &self.urls {
                if let Err(e) = registry.unregister(url).await {
                    tracing::warn!(%url, error = %e, "unregister failed");
                }
            }
        }
        let told = self.state.broadcast_readonly();
        tracing::info!(addr = %self.local_addr, connections = told, "shutting down: readonly sent");
        if told > 0 {
            // Requests already on the wire when consumers read the readonly event are still
            // to be read and answered: give them a moment to arrive before the drain below
            // may see zero in flight and close the connections under them.
            tokio::time::sleep(READONLY_GRACE.min(self.shutdown_timeout)).await;
        }
        if !self.state.drain(self.shutdown_timeout).await {
            tracing::warn!(
                in_flight = self.state.in_flight(),
                "shutdown wait elapsed with calls in flight"
            );
        }
        let _ = self.shutdown_tx.send(true);
        let _ = self.task.await;
    }
}
