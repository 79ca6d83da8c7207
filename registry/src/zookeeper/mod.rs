//! [`ZookeeperRegistry`]: Java Dubbo's interface-level ZooKeeper layout over `zookeeper-client`.
//!
//! # Tasks and session handling
//!
//! One background *session task* follows the ZooKeeper session:
//!
//! * `Disconnected` → `SyncConnected` (a reconnect inside the session) is transparent to
//!   ZooKeeper's ephemerals and watches; the task only asks every subscription to list again,
//!   as Java does on `RECONNECTED`.
//! * `Expired` (or any other terminal state it did not cause) makes it build a **new** client
//!   (retrying with back-off, forever, until shutdown), re-create every node this registry
//!   registered, and only then publish the new client. A node that still exists from the old
//!   session (ZooKeeper restored the old session from its data dir, or the old session is not
//!   yet expired server-side) is recognised by its `ephemeral_owner`, deleted and created again.
//!
//! Each [`Subscription`] has its own task: it lists `providers` and `configurators` with
//! one-shot child watches (never persistent watches, so ZOOKEEPER-4466 cannot bite), publishes
//! the matching set, and lists again when a watch fires, the session is replaced, or the
//! connection comes back. A failed listing publishes nothing, so a consumer keeps its last
//! provider list through every failure. The task ends when every receiver is dropped.
//!
//! All tasks are owned by the registry: [`Registry::shutdown`] (and `Drop`) aborts them.
//! Operations that fail with `ConnectionLoss` or another transient error (including the
//! `Custom("no response from connection …")` a ping timeout produces) are retried until the
//! registry URL's `timeout` elapses; operations that hit an expired session wait for the new
//! session.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dubbo_rpc::registry::{
    is_match, publish, ProviderSet, Registry, RegistryError, Subscription, CONFIGURATORS_CATEGORY,
    PROVIDERS_CATEGORY, ROUTERS_CATEGORY,
};
use dubbo_rpc::Url;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zookeeper_client as zk;

mod paths;

const PERSISTENT_OPEN: zk::CreateOptions<'static> =
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
const EPHEMERAL_OPEN: zk::CreateOptions<'static> =
    zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
const PERSISTENT_CREATOR: zk::CreateOptions<'static> =
    zk::CreateMode::Persistent.with_acls(zk::Acls::creator_all());
const EPHEMERAL_CREATOR: zk::CreateOptions<'static> =
    zk::CreateMode::Ephemeral.with_acls(zk::Acls::creator_all());

/// Java's default `session` (ms).
const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_millis(60_000);
/// Java's default `timeout` (ms): how long to try to connect, and to retry one operation.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(30_000);
/// The ZooKeeper port when the registry URL has none.
const DEFAULT_PORT: u16 = 2181;
/// Upper bound of the wait for `Closed` on shutdown.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// A [`Registry`] on ZooKeeper, in Java Dubbo 3.3's interface-level layout.
///
/// ```text
/// /<root>                                      persistent   (registry URL group, default dubbo)
/// /<root>/<URL.encode(interface)>/providers    persistent
/// /<root>/<…>/providers/<URL.encode(url)>      EPHEMERAL    (persistent when dynamic=false)
/// /<root>/<…>/consumers/<URL.encode(url)>      EPHEMERAL
/// /<root>/<…>/configurators, /routers          persistent   (created by subscribers)
/// ```
///
/// # Registry URL
///
/// `zookeeper://host:port?backup=host2:port2,host3:port3&group=dubbo&session=60000&timeout=30000`
///
/// | parameter | meaning | default |
/// | --- | --- | --- |
/// | `backup` | further ensemble members | none |
/// | `group` | the root node (`foo` → `/foo`) | `dubbo` |
/// | `session` | requested session timeout, ms (the server clamps it to 2–20 ticks) | 60000 |
/// | `timeout` | how long `connect` and each operation keep retrying, ms | 30000 |
/// | `chroot` | *not Java*: a ZooKeeper chroot (`/t-123`) that must exist; for test isolation | none |
///
/// `user:password@` in the URL enables digest authentication; nodes are then created with the
/// creator-only ACL, as Java does.
///
/// A tokio runtime must be running: the ZooKeeper client spawns its session task on it.
#[derive(Debug)]
pub struct ZookeeperRegistry {
    shared: Arc<Shared>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

#[derive(Debug)]
struct Shared {
    config: Config,
    /// The current session. Every task and operation reads the client from here.
    session: watch::Sender<Session>,
    /// What this registry registered (node path → how to create it); re-created on a new
    /// session.
    registered: Mutex<BTreeMap<String, NodeKind>>,
}

#[derive(Debug, Clone)]
struct Config {
    registry_url: Url,
    /// `host:port,host:port[/chroot]`
    connect_string: String,
    root: String,
    session_timeout: Duration,
    op_timeout: Duration,
    auth: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
struct Session {
    /// Incremented for every new ZooKeeper session (the first is 1).
    generation: u64,
    /// Incremented whenever the connection came back inside the session.
    resyncs: u64,
    /// `None` while a new session is being established, and after shutdown.
    client: Option<zk::Client>,
    closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Ephemeral,
    Persistent,
}

/// How a failed ZooKeeper operation is handled.
enum Failure {
    /// The session is gone: wait for the next one.
    Session,
    /// Transient (connection loss, ping timeout, throttling…): retry after a pause.
    Retry,
    /// A semantic error: give up.
    Fatal,
}

fn classify(e: &zk::Error) -> Failure {
    use zk::Error::*;
    match e {
        SessionExpired | ClientClosed | AuthFailed => Failure::Session,
        NoNode
        | NodeExists
        | BadVersion
        | NotEmpty
        | NoAuth
        | InvalidAcl
        | BadArguments(_)
        | NoChildrenForEphemerals
        | QuotaExceeded
        | Unimplemented
        | MarshallingError
        | UnmarshalError { .. }
        | ReconfigDisabled
        | RuntimeInconsistent => Failure::Fatal,
        // ConnectionLoss, Custom("no response …"), Timeout, Throttled, SessionMoved, NoHosts,
        // NotReadOnly and anything added later.
        _ => Failure::Retry,
    }
}

/// Exponential back-off from 50 ms up to a cap.
#[derive(Debug)]
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    const MIN: Duration = Duration::from_millis(50);

    /// For operations: up to 2 s.
    fn new() -> Backoff {
        Backoff::up_to(Duration::from_secs(2))
    }

    /// For (re)connecting: a refused connection costs nothing, and every moment without a
    /// session is a moment without registrations, so retry at least every 250 ms.
    fn reconnect() -> Backoff {
        Backoff::up_to(Duration::from_millis(250))
    }

    fn up_to(max: Duration) -> Backoff {
        Backoff {
            next: Self::MIN,
            max,
        }
    }

    fn next(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }
}

impl Config {
    fn from_url(url: &Url) -> Result<Config, RegistryError> {
        let invalid = |reason: &str| RegistryError::InvalidUrl {
            url: format!("{url:?}"),
            reason: reason.to_owned(),
        };
        if url.host().is_empty() {
            return Err(invalid("no ZooKeeper host"));
        }
        let hosts: Vec<String> = url
            .backup_addresses()
            .into_iter()
            .map(|a| with_default_port(&a))
            .collect();
        let mut connect_string = hosts.join(",");
        if let Some(chroot) = url.param("chroot") {
            if !chroot.starts_with('/') || chroot.len() < 2 {
                return Err(invalid("chroot must be an absolute path like /t-1"));
            }
            connect_string.push_str(chroot.trim_end_matches('/'));
        }
        let ms = |key: &str, default: Duration| match url.param(key) {
            None => Ok(default),
            Some(_) => url
                .param_duration_ms(key)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| invalid(&format!("{key} must be a positive number of ms"))),
        };
        let auth = url
            .username()
            .map(|user| format!("{user}:{}", url.password().unwrap_or_default()).into_bytes());
        Ok(Config {
            registry_url: url.clone(),
            connect_string,
            root: paths::root(url.group()),
            session_timeout: ms("session", DEFAULT_SESSION_TIMEOUT)?,
            op_timeout: ms("timeout", DEFAULT_CONNECT_TIMEOUT)?,
            auth,
        })
    }

    fn create_options(&self, kind: NodeKind) -> &'static zk::CreateOptions<'static> {
        match (kind, self.auth.is_some()) {
            (NodeKind::Ephemeral, false) => &EPHEMERAL_OPEN,
            (NodeKind::Persistent, false) => &PERSISTENT_OPEN,
            (NodeKind::Ephemeral, true) => &EPHEMERAL_CREATOR,
            (NodeKind::Persistent, true) => &PERSISTENT_CREATOR,
        }
    }

    fn dir_options(&self) -> &'static zk::CreateOptions<'static> {
        self.create_options(NodeKind::Persistent)
    }

    /// One connection attempt (fails fast when no server answers).
    async fn connect_once(&self) -> Result<zk::Client, zk::Error> {
        let mut connector = zk::Client::connector()
            .with_session_timeout(self.session_timeout)
            .with_fail_eagerly();
        if let Some(auth) = &self.auth {
            connector = connector.with_auth("digest", auth);
        }
        connector.connect(&self.connect_string).await
    }
}

fn with_default_port(address: &str) -> String {
    let has_port = match address.rfind(']') {
        Some(i) => address[i..].contains(':'),
        None => address.contains(':'),
    };
    if has_port {
        address.to_owned()
    } else {
        format!("{address}:{DEFAULT_PORT}")
    }
}

impl ZookeeperRegistry {
    /// Connects to the ZooKeeper ensemble of a registry URL (see the [type docs](Self) for its
    /// parameters) and starts the session task.
    ///
    /// # Errors
    ///
    /// [`RegistryError::InvalidUrl`] for a bad URL, [`RegistryError::Timeout`] when no server
    /// could be reached within the URL's `timeout`, [`RegistryError::Backend`] when the
    /// connection was refused (for example failed authentication).
    pub async fn connect(url: &Url) -> Result<ZookeeperRegistry, RegistryError> {
        let config = Config::from_url(url)?;
        let deadline = Instant::now() + config.op_timeout;
        let mut backoff = Backoff::reconnect();
        let client = loop {
            match config.connect_once().await {
                Ok(client) => break client,
                Err(e) if matches!(e, zk::Error::AuthFailed) => {
                    return Err(RegistryError::Backend {
                        operation: format!("connect {}", config.connect_string),
                        source: Box::new(e),
                    })
                }
                Err(e) => {
                    if Instant::now() >= deadline {
                        tracing::warn!(error = %e, connect = %config.connect_string, "ZooKeeper unreachable");
                        return Err(RegistryError::Timeout {
                            operation: format!("connect {}", config.connect_string),
                        });
                    }
                    tokio::time::sleep(backoff.next()).await;
                }
            }
        };
        tracing::info!(
            connect = %config.connect_string,
            session = %client.session_id(),
            session_timeout = ?client.session_timeout(),
            root = %config.root,
            "connected to ZooKeeper"
        );
        let state = client.state_watcher();
        let (session, _) = watch::channel(Session {
            generation: 1,
            resyncs: 0,
            client: Some(client),
            closed: false,
        });
        let shared = Arc::new(Shared {
            config,
            session,
            registered: Mutex::new(BTreeMap::new()),
        });
        let supervisor = tokio::spawn(supervise(shared.clone(), state));
        Ok(ZookeeperRegistry {
            shared,
            tasks: Mutex::new(vec![supervisor]),
        })
    }

    /// The registry URL this registry was created from.
    pub fn registry_url(&self) -> &Url {
        &self.shared.config.registry_url
    }

    /// The root node (`/dubbo` unless the registry URL's `group` says otherwise).
    pub fn root(&self) -> &str {
        &self.shared.config.root
    }

    /// The ZooKeeper path a URL is (or would be) registered at:
    /// `/<root>/<encoded interface>/<category>/<encoded URL>`.
    pub fn node_path(&self, url: &Url) -> String {
        paths::node_path(&self.shared.config.root, url)
    }

    /// The id of the current ZooKeeper session; `None` while a new session is being
    /// established and after shutdown. It changes when a session expired and was replaced.
    pub fn session_id(&self) -> Option<i64> {
        self.shared
            .session
            .borrow()
            .client
            .as_ref()
            .map(|c| c.session_id().0)
    }

    /// The session timeout the server granted (it clamps the requested `session` to
    /// 2–20 ticks); `None` while reconnecting and after shutdown.
    pub fn session_timeout(&self) -> Option<Duration> {
        self.shared
            .session
            .borrow()
            .client
            .as_ref()
            .map(|c| c.session_timeout())
    }

    /// How many ZooKeeper sessions this registry has had (1 until the first expiry).
    pub fn session_generation(&self) -> u64 {
        self.shared.session.borrow().generation
    }

    fn tasks(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Shared {
    fn registered(&self) -> MutexGuard<'_, BTreeMap<String, NodeKind>> {
        self.registered.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `op` with the current client until it succeeds, retrying transient failures and
    /// waiting for a new session after expiry, for at most the URL's `timeout`.
    async fn retrying<T, F, Fut>(&self, operation: &str, mut op: F) -> Result<T, RegistryError>
    where
        F: FnMut(zk::Client) -> Fut,
        Fut: Future<Output = Result<T, zk::Error>>,
    {
        let timeout = || RegistryError::Timeout {
            operation: operation.to_owned(),
        };
        let work = async {
            let mut rx = self.session.subscribe();
            let mut min_generation = 0;
            let mut backoff = Backoff::new();
            loop {
                let (client, generation) = wait_client(&mut rx, min_generation).await?;
                match op(client).await {
                    Ok(v) => return Ok(v),
                    Err(e) => match classify(&e) {
                        Failure::Session => min_generation = generation + 1,
                        Failure::Retry => {
                            tracing::debug!(error = %e, operation, "retrying ZooKeeper operation");
                            tokio::time::sleep(backoff.next()).await;
                        }
                        Failure::Fatal => {
                            return Err(RegistryError::Backend {
                                operation: operation.to_owned(),
                                source: Box::new(e),
                            })
                        }
                    },
                }
            }
        };
        tokio::time::timeout(self.config.op_timeout, work)
            .await
            .unwrap_or_else(|_| Err(timeout()))
    }
}

/// Waits for a client of at least `min_generation`.
async fn wait_client(
    rx: &mut watch::Receiver<Session>,
    min_generation: u64,
) -> Result<(zk::Client, u64), RegistryError> {
    loop {
        {
            let session = rx.borrow_and_update();
            if session.closed {
                return Err(RegistryError::Closed);
            }
            if let Some(client) = &session.client {
                if session.generation >= min_generation {
                    return Ok((client.clone(), session.generation));
                }
            }
        }
        rx.changed().await.map_err(|_| RegistryError::Closed)?;
    }
}

/// Creates a node, replacing a stale one. `NodeExists` is success only when the node is ours:
/// an ephemeral owned by this session, or a persistent node when persistent is wanted. A node
/// left by another (older) session is deleted and created again, as Java Dubbo does.
async fn ensure_node(
    client: &zk::Client,
    config: &Config,
    path: &str,
    kind: NodeKind,
) -> Result<(), zk::Error> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let err = match client.create(path, b"", config.create_options(kind)).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if attempts > 5 {
            return Err(err);
        }
        match err {
            zk::Error::NoNode => {
                client
                    .mkdir(paths::parent(path), config.dir_options())
                    .await?
            }
            zk::Error::NodeExists => {
                let Some(stat) = client.check_stat(path).await? else {
                    continue; // vanished meanwhile
                };
                let ours = match kind {
                    NodeKind::Ephemeral => stat.ephemeral_owner == client.session_id().0,
                    NodeKind::Persistent => stat.ephemeral_owner == 0,
                };
                if ours {
                    return Ok(());
                }
                tracing::info!(
                    path,
                    stale_owner = %zk::SessionId(stat.ephemeral_owner),
                    session = %client.session_id(),
                    "replacing a node left by another session"
                );
                // Delete and create in one transaction: consumers listing meanwhile see the
                // node all the time, never a gap (Java deletes, then creates).
                let mut multi = client.new_multi_writer();
                multi.add_delete(path, Some(stat.version))?;
                multi.add_create(path, b"", config.create_options(kind))?;
                match multi.commit().await {
                    Ok(_) => return Ok(()),
                    // the node changed or vanished meanwhile: look again
                    Err(zk::MultiWriteError::OperationFailed { .. }) => {}
                    Err(zk::MultiWriteError::RequestFailed { source }) => return Err(source),
                }
            }
            e => return Err(e),
        }
    }
}

/// The session task: follows session states and replaces an expired session.
async fn supervise(shared: Arc<Shared>, mut state: zk::StateWatcher) {
    loop {
        let ended = loop {
            let s = state.changed().await;
            match s {
                s if s.is_terminated() => break s,
                zk::SessionState::SyncConnected | zk::SessionState::ConnectedReadOnly => {
                    tracing::info!(state = %s, "ZooKeeper connection restored");
                    shared.session.send_modify(|session| session.resyncs += 1);
                }
                s => tracing::warn!(state = %s, "ZooKeeper connection lost; reconnecting"),
            }
        };
        let since = Instant::now();
        tracing::warn!(state = %ended, "ZooKeeper session ended; starting a new session");
        shared.session.send_modify(|session| session.client = None);

        let mut backoff = Backoff::reconnect();
        let client = loop {
            match shared.config.connect_once().await {
                Ok(client) => break client,
                Err(e) => {
                    tracing::debug!(error = %e, "ZooKeeper still unreachable");
                    tokio::time::sleep(backoff.next()).await;
                }
            }
        };
        state = client.state_watcher();
        let nodes: Vec<(String, NodeKind)> = shared
            .registered()
            .iter()
            .map(|(p, k)| (p.clone(), *k))
            .collect();
        let mut restored = 0;
        for (path, kind) in &nodes {
            if reregister(&shared, &client, path, *kind).await {
                restored += 1;
            }
        }
        tracing::info!(
            session = %client.session_id(),
            restored,
            of = nodes.len(),
            elapsed = ?since.elapsed(),
            "new ZooKeeper session; registrations restored"
        );
        shared.session.send_modify(|session| {
            session.generation += 1;
            session.client = Some(client);
        });
    }
}

/// Re-creates one registered node on a new session, retrying transient errors. Gives up when
/// the session ends again (the next session will retry) or the node was unregistered.
async fn reregister(shared: &Shared, client: &zk::Client, path: &str, kind: NodeKind) -> bool {
    let mut backoff = Backoff::new();
    loop {
        if !shared.registered().contains_key(path) {
            return false;
        }
        match ensure_node(client, &shared.config, path, kind).await {
            Ok(()) => return true,
            Err(e) => match classify(&e) {
                Failure::Retry => tokio::time::sleep(backoff.next()).await,
                Failure::Session | Failure::Fatal => {
                    tracing::warn!(error = %e, path, "could not re-register");
                    return false;
                }
            },
        }
    }
}

/// What one subscription lists.
#[derive(Debug)]
struct Watched {
    consumer: Url,
    providers_dir: String,
    configurators_dir: String,
    routers_dir: String,
}

impl Watched {
    fn new(root: &str, consumer: &Url) -> Watched {
        let service = paths::service_dir(root, consumer.interface());
        Watched {
            consumer: consumer.clone(),
            providers_dir: format!("{service}/{PROVIDERS_CATEGORY}"),
            configurators_dir: format!("{service}/{CONFIGURATORS_CATEGORY}"),
            routers_dir: format!("{service}/{ROUTERS_CATEGORY}"),
        }
    }

    fn decode(&self, children: &[String], keep: impl Fn(&Url) -> bool) -> Vec<Url> {
        children
            .iter()
            .filter_map(|child| match Url::decode_encoded(child) {
                Ok(url) => keep(&url).then_some(url),
                Err(e) => {
                    tracing::debug!(child, error = %e, "skipping a node that is not a URL");
                    None
                }
            })
            .collect()
    }
}

/// A subscription task: list + one-shot watches, re-armed after every event.
async fn follow(shared: Arc<Shared>, watched: Watched, tx: watch::Sender<ProviderSet>) {
    let config = &shared.config;
    let mut rx = shared.session.subscribe();
    let mut min_generation = 0;
    let mut dirs_made_in = 0;
    let mut backoff = Backoff::new();
    loop {
        let (client, generation) = tokio::select! {
            r = wait_client(&mut rx, min_generation) => match r {
                Ok(c) => c,
                Err(_) => return,
            },
            () = tx.closed() => return,
        };
        let listed = async {
            if dirs_made_in != generation {
                for dir in [
                    &watched.providers_dir,
                    &watched.configurators_dir,
                    &watched.routers_dir,
                ] {
                    client.mkdir(dir, config.dir_options()).await?;
                }
            }
            let providers = client
                .list_and_watch_children(&watched.providers_dir)
                .await?;
            let configurators = client
                .list_and_watch_children(&watched.configurators_dir)
                .await?;
            Ok::<_, zk::Error>((providers, configurators))
        }
        .await;
        drop(client);
        match listed {
            Ok(((providers, providers_watch), (configurators, configurators_watch))) => {
                dirs_made_in = generation;
                backoff = Backoff::new();
                let providers = watched.decode(&providers, |u| is_match(&watched.consumer, u));
                let configurators = watched.decode(&configurators, |u| u.protocol() == "override");
                if publish(&tx, providers, configurators) {
                    tracing::debug!(dir = %watched.providers_dir, providers = tx.borrow().len(), "providers changed");
                }
                tokio::select! {
                    ev = providers_watch.changed() => {
                        if ev.event_type == zk::EventType::Session && ev.session_state.is_terminated() {
                            min_generation = generation + 1;
                        }
                    }
                    ev = configurators_watch.changed() => {
                        if ev.event_type == zk::EventType::Session && ev.session_state.is_terminated() {
                            min_generation = generation + 1;
                        }
                    }
                    r = rx.changed() => if r.is_err() { return },
                    () = tx.closed() => return,
                }
            }
            Err(e) => match classify(&e) {
                Failure::Session => min_generation = generation + 1,
                Failure::Retry | Failure::Fatal => {
                    // Fatal here is e.g. NoNode after someone deleted the directories, or
                    // NoAuth: keep the last list, make the directories again, retry slowly.
                    dirs_made_in = 0;
                    tracing::warn!(error = %e, dir = %watched.providers_dir, "listing failed; keeping the last provider list");
                    tokio::select! {
                        () = tokio::time::sleep(backoff.next()) => {}
                        () = tx.closed() => return,
                    }
                }
            },
        }
    }
}

#[async_trait::async_trait]
impl Registry for ZookeeperRegistry {
    /// Creates `/<root>/<interface>/<category>/<encoded URL>`: ephemeral unless the URL says
    /// `dynamic=false`. The node is re-created on every new session until
    /// [`unregister`](Registry::unregister) or [`shutdown`](Registry::shutdown).
    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        if url.interface().is_empty() || url.interface() == "*" {
            return Err(RegistryError::InvalidUrl {
                url: format!("{url:?}"),
                reason: "a registered URL needs a concrete interface".to_owned(),
            });
        }
        let path = self.node_path(url);
        let kind = if url.param_bool("dynamic") == Some(false) {
            NodeKind::Persistent
        } else {
            NodeKind::Ephemeral
        };
        self.shared.registered().insert(path.clone(), kind);
        let config = &self.shared.config;
        let result = self
            .shared
            .retrying(&format!("register {path}"), |client| {
                let path = path.clone();
                async move { ensure_node(&client, config, &path, kind).await }
            })
            .await;
        match result {
            Ok(()) => {
                tracing::info!(%path, "registered");
                Ok(())
            }
            Err(e) => {
                self.shared.registered().remove(&path);
                Err(e)
            }
        }
    }

    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        let path = self.node_path(url);
        self.shared.registered().remove(&path);
        self.shared
            .retrying(&format!("unregister {path}"), |client| {
                let path = path.clone();
                async move {
                    match client.delete(&path, None).await {
                        Ok(()) | Err(zk::Error::NoNode) => Ok(()),
                        Err(e) => Err(e),
                    }
                }
            })
            .await?;
        tracing::info!(%path, "unregistered");
        Ok(())
    }

    /// Watches `providers` (and `configurators`) of the consumer's interface and publishes
    /// the providers that pass [`is_match`]. Returns once the first listing is published, or
    /// after the registry URL's `timeout` with a not-yet-listed set (the task keeps trying).
    async fn subscribe(&self, consumer: &Url) -> Result<Subscription, RegistryError> {
        let interface = consumer.interface();
        if interface.is_empty() || interface == "*" {
            return Err(RegistryError::Unsupported(format!(
                "subscribing to interface {interface:?} (only concrete interfaces)"
            )));
        }
        if self.shared.session.borrow().closed {
            return Err(RegistryError::Closed);
        }
        let (tx, mut rx) = watch::channel(ProviderSet::default());
        let watched = Watched::new(&self.shared.config.root, consumer);
        let task = tokio::spawn(follow(self.shared.clone(), watched, tx));
        {
            let mut tasks = self.tasks();
            tasks.retain(|t| !t.is_finished());
            tasks.push(task);
        }
        let first = tokio::time::timeout(self.shared.config.op_timeout, rx.changed()).await;
        match first {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(RegistryError::Closed),
            Err(_) => tracing::warn!(
                interface,
                "no provider listing yet; the subscription keeps trying"
            ),
        }
        // Leave the first listing marked unseen, so `changed()` returns at once for callers
        // that wait for the first set.
        rx.mark_changed();
        Ok(rx)
    }

    /// Ends every subscription, closes the ZooKeeper session and waits (up to 5 s) until the
    /// server confirms, so the ephemeral nodes vanish at once. Like Java's registry `destroy`,
    /// persistent (`dynamic=false`) registrations are left in place.
    async fn shutdown(&self) {
        let mut already_closed = false;
        self.shared.session.send_modify(|s| {
            already_closed = s.closed;
            s.closed = true;
        });
        let tasks: Vec<_> = std::mem::take(&mut *self.tasks());
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
        if already_closed {
            return;
        }
        self.shared.registered().clear();
        let client = self.shared.session.send_modify_take();
        if let Some(client) = client {
            let session = client.session_id();
            let mut state = client.state_watcher();
            drop(client);
            if !state.peek_state().is_terminated() {
                let closed = tokio::time::timeout(CLOSE_WAIT, async {
                    while !state.changed().await.is_terminated() {}
                })
                .await;
                if closed.is_err() {
                    tracing::warn!(%session, "ZooKeeper session not confirmed closed");
                }
            }
            tracing::info!(%session, "ZooKeeper registry shut down");
        }
    }
}

trait TakeClient {
    fn send_modify_take(&self) -> Option<zk::Client>;
}

impl TakeClient for watch::Sender<Session> {
    fn send_modify_take(&self) -> Option<zk::Client> {
        let mut client = None;
        self.send_modify(|s| client = s.client.take());
        client
    }
}

impl Drop for ZookeeperRegistry {
    /// Aborts the background tasks. Dropping without [`Registry::shutdown`] still closes the
    /// session (when the runtime lives long enough to send the close request), but does not
    /// wait for it.
    fn drop(&mut self) {
        for task in self.tasks().drain(..) {
            task.abort();
        }
        self.shared.session.send_modify(|s| {
            s.closed = true;
            s.client = None;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_registry_url() {
        let url = Url::parse(
            "zookeeper://127.0.0.1:2181?backup=127.0.0.1:2182,zk3&group=foo&session=4000&timeout=1000",
        )
        .unwrap();
        let c = Config::from_url(&url).unwrap();
        assert_eq!(c.connect_string, "127.0.0.1:2181,127.0.0.1:2182,zk3:2181");
        assert_eq!(c.root, "/foo");
        assert_eq!(c.session_timeout, Duration::from_secs(4));
        assert_eq!(c.op_timeout, Duration::from_secs(1));
        assert!(c.auth.is_none());

        let c = Config::from_url(&Url::parse("zookeeper://u:p@zk?chroot=/t-1/").unwrap()).unwrap();
        assert_eq!(c.connect_string, "zk:2181/t-1");
        assert_eq!(c.root, "/dubbo");
        assert_eq!(c.session_timeout, DEFAULT_SESSION_TIMEOUT);
        assert_eq!(c.auth.as_deref(), Some(&b"u:p"[..]));
        assert_eq!(with_default_port("[::1]"), "[::1]:2181");
        assert_eq!(with_default_port("[::1]:1"), "[::1]:1");
    }

    #[test]
    fn bad_registry_urls() {
        for s in [
            "zookeeper://?x=1",
            "zookeeper://h?session=abc",
            "zookeeper://h?timeout=0",
            "zookeeper://h?chroot=rel",
        ] {
            let url = Url::parse(s).unwrap();
            assert!(
                matches!(
                    Config::from_url(&url),
                    Err(RegistryError::InvalidUrl { .. })
                ),
                "{s}"
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let mut b = Backoff::new();
        let v: Vec<_> = (0..8).map(|_| b.next().as_millis()).collect();
        assert_eq!(v, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
        let mut b = Backoff::reconnect();
        let v: Vec<_> = (0..5).map(|_| b.next().as_millis()).collect();
        assert_eq!(v, [50, 100, 200, 250, 250]);
    }
}
