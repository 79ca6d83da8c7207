//! Helpers of the cluster, registry and shutdown tests: a provider that counts and logs its
//! calls and fails on demand ([`ProbeHandler`]), in-process provider fleets, a continuous
//! load generator ([`Load`]), provider child processes ([`ChildProvider`], the
//! `test-provider` binary) and real ZooKeeper servers ([`ZkServer`], [`Ensemble`]) started
//! with the project's `scripts/zk`.
//!
//! Everything listens on and dials 127.0.0.1 only.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dubbo_registry::ZookeeperRegistry;
use dubbo_rpc::client::ClientBuilder;
use dubbo_rpc::registry::Registry;
use dubbo_rpc::server::handler::{BoxFuture, ServerCall, ServerReply, ServiceHandler};
use dubbo_rpc::server::{ExportOptions, RunningServer, Server};
use dubbo_rpc::{Client, RpcError, ServiceDescriptor, StatusCode, Url};

use crate::{greeter_descriptor, method, no_args};

/// One call a [`ProbeHandler`] received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Index of the called method (see [`method`]).
    pub method: usize,
    /// The `sayHello` argument (empty for other methods).
    pub name: String,
    /// When the call reached the handler.
    pub at: Instant,
    /// The `timeout` attachment the consumer sent.
    pub timeout: Option<String>,
}

/// What a [`ProbeHandler`] has seen and how it should misbehave; shared with the test.
#[derive(Debug, Default)]
pub struct ProbeState {
    /// Returned by `whoAmI`.
    pub tag: String,
    /// Every call received, in arrival order.
    pub log: Mutex<Vec<Received>>,
    /// Answer the next this-many calls with a status 80 (`SERVER_ERROR`) response: a
    /// non-business failure that failover retries.
    pub fail_next: AtomicU32,
    /// Answer every call with a status 80 response while set.
    pub fail_all: AtomicBool,
    /// Extra delay before answering every call, in milliseconds.
    pub delay_ms: AtomicU64,
}

impl ProbeState {
    /// The number of calls received.
    pub fn calls(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// The number of calls of `method` received.
    pub fn calls_of(&self, method: usize) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// The `sayHello` names received, in arrival order.
    pub fn names(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == method::SAY_HELLO)
            .map(|r| r.name.clone())
            .collect()
    }
}

/// A greeter (same interface and methods as [`crate::GreeterHandler`]) that logs every call
/// and can fail or slow down on demand.
#[derive(Debug, Clone)]
pub struct ProbeHandler {
    /// Shared with the test.
    pub state: Arc<ProbeState>,
}

impl ProbeHandler {
    /// A handler answering `whoAmI` with `tag`.
    pub fn new(tag: &str) -> Self {
        ProbeHandler {
            state: Arc::new(ProbeState {
                tag: tag.to_owned(),
                ..ProbeState::default()
            }),
        }
    }
}

impl ServiceHandler for ProbeHandler {
    fn descriptor(&self) -> &'static ServiceDescriptor {
        greeter_descriptor()
    }

    fn call(&self, call: ServerCall) -> BoxFuture<ServerReply> {
        let state = self.state.clone();
        Box::pin(async move {
            let mut args = call.args();
            let name = if call.method_index() == method::SAY_HELLO {
                args.next::<String>().unwrap_or_default()
            } else {
                String::new()
            };
            state.log.lock().unwrap().push(Received {
                method: call.method_index(),
                name: name.clone(),
                at: Instant::now(),
                timeout: call.attachments().get_str("timeout").map(str::to_owned),
            });
            let delay = state.delay_ms.load(Ordering::Relaxed);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let injected = state.fail_all.load(Ordering::Relaxed)
                || state
                    .fail_next
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok();
            if injected {
                return ServerReply::error(StatusCode::SERVER_ERROR, "injected failure");
            }
            match call.method_index() {
                method::SAY_HELLO => call.reply(Ok(&format!("Hello {name}"))),
                method::SLEEP => match args.next::<i32>() {
                    Ok(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms.max(0) as u64)).await;
                        call.reply(Ok(&format!("slept {ms}")))
                    }
                    Err(e) => call.bad_request(&e),
                },
                method::FAIL => call.reply::<String>(Err(RpcError::application("business"))),
                _ => call.reply(Ok(state.tag.as_str())),
            }
        })
    }
}

/// An in-process provider: a running server and its probe.
#[derive(Debug)]
pub struct Probe {
    /// The server (shut it down with [`RunningServer::shutdown`]).
    pub server: RunningServer,
    /// What it has seen.
    pub state: Arc<ProbeState>,
}

impl Probe {
    /// `127.0.0.1:port`.
    pub fn address(&self) -> String {
        self.server.local_addr().to_string()
    }
}

/// Starts a [`ProbeHandler`] provider tagged `tag` on 127.0.0.1, port 0, registered as
/// 127.0.0.1 in `registry` (if any) with the given URL `parameters`.
pub async fn start_probe(
    tag: &str,
    registry: Option<Arc<dyn Registry>>,
    parameters: &[(&str, &str)],
) -> Probe {
    let handler = ProbeHandler::new(tag);
    let state = handler.state.clone();
    let options = ExportOptions {
        parameters: parameters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ExportOptions::default()
    };
    let mut builder = Server::builder()
        .application("probe-provider")
        .bind_host("127.0.0.1")
        .registry_host("127.0.0.1")
        .port(0)
        .shutdown_timeout(Duration::from_secs(5))
        .add_service_with(handler, options);
    if let Some(registry) = registry {
        builder = builder.registry(registry);
    }
    let server = builder.serve().await.expect("probe provider starts");
    Probe { server, state }
}

/// A client of the greeter interface through `builder` (which names the registry or URLs).
pub async fn probe_client(builder: ClientBuilder) -> Client {
    builder
        .application("probe-consumer")
        .registry_host("127.0.0.1")
        .build_for(Arc::new(greeter_descriptor().clone()))
        .await
        .expect("client builds")
}

/// A consumer of the greeter interface discovering providers in the registry at `url`
/// (`configure` adds settings), built once one provider is listed, then waited for until `n`
/// are listed (within `within`). Returns the consumer's registry too, to shut it down.
pub async fn zk_consumer(
    url: &Url,
    n: usize,
    within: Duration,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> (Arc<ZookeeperRegistry>, Client) {
    let consumer = zk_registry(url).await;
    let client = probe_client(
        configure(Client::builder().registry(consumer.clone()))
            .wait_for_providers(Duration::from_secs(10)),
    )
    .await;
    wait_listed(&client, n, within).await;
    (consumer, client)
}

/// Waits (up to `within`) until `client`'s directory lists `n` providers.
pub async fn wait_listed(client: &Client, n: usize, within: Duration) {
    eventually(within, &format!("{n} providers listed"), || {
        (listed(client).len() == n).then_some(())
    })
    .await;
}

/// Figures of a [`Load`] run.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Calls that succeeded.
    pub ok: u64,
    /// Calls that failed.
    pub failed: u64,
    /// Successful calls per provider tag (`whoAmI`'s answer).
    pub per_tag: BTreeMap<String, u64>,
    /// The first few errors, with the time since the load started.
    pub errors: Vec<String>,
    /// The slowest call.
    pub max_latency: Duration,
    /// How long the load ran.
    pub elapsed: Duration,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls in {:.1?} ({:.0}/s): {} ok, {} failed, slowest {:.1?}, per provider {:?}",
            self.ok + self.failed,
            self.elapsed,
            (self.ok + self.failed) as f64 / self.elapsed.as_secs_f64().max(1e-9),
            self.ok,
            self.failed,
            self.max_latency,
            self.per_tag
        )?;
        if !self.errors.is_empty() {
            write!(f, "; first errors: {:?}", self.errors)?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct LoadStats {
    ok: AtomicU64,
    failed: AtomicU64,
    max_latency_us: AtomicU64,
    per_tag: Mutex<BTreeMap<String, u64>>,
    errors: Mutex<Vec<String>>,
}

/// Continuous `whoAmI` calls from a few concurrent workers, counting successes per provider
/// and failures.
#[derive(Debug)]
pub struct Load {
    stop: Arc<AtomicBool>,
    stats: Arc<LoadStats>,
    started: Instant,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// Starts `workers` loops of calls, each pausing `pause` between its calls.
    pub fn start(client: &Client, workers: usize, pause: Duration) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(LoadStats::default());
        let started = Instant::now();
        let tasks = (0..workers)
            .map(|_| {
                let (client, stop, stats) = (client.clone(), stop.clone(), stats.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let result = client.call::<String>(method::WHO_AM_I, no_args()).await;
                        let us = t.elapsed().as_micros() as u64;
                        stats.max_latency_us.fetch_max(us, Ordering::Relaxed);
                        match result {
                            Ok(tag) => {
                                stats.ok.fetch_add(1, Ordering::Relaxed);
                                *stats.per_tag.lock().unwrap().entry(tag).or_default() += 1;
                            }
                            Err(e) => {
                                stats.failed.fetch_add(1, Ordering::Relaxed);
                                let mut errors = stats.errors.lock().unwrap();
                                if errors.len() < 5 {
                                    errors.push(format!("at {:.2?}: {e}", started.elapsed()));
                                }
                            }
                        }
                        if !pause.is_zero() {
                            tokio::time::sleep(pause).await;
                        }
                    }
                })
            })
            .collect();
        Load {
            stop,
            stats,
            started,
            tasks,
        }
    }

    /// The figures so far.
    pub fn report(&self) -> LoadReport {
        LoadReport {
            ok: self.stats.ok.load(Ordering::Relaxed),
            failed: self.stats.failed.load(Ordering::Relaxed),
            per_tag: self.stats.per_tag.lock().unwrap().clone(),
            errors: self.stats.errors.lock().unwrap().clone(),
            max_latency: Duration::from_micros(self.stats.max_latency_us.load(Ordering::Relaxed)),
            elapsed: self.started.elapsed(),
        }
    }

    /// Successful calls so far answered by `tag`.
    pub fn calls_to(&self, tag: &str) -> u64 {
        self.stats
            .per_tag
            .lock()
            .unwrap()
            .get(tag)
            .copied()
            .unwrap_or(0)
    }

    /// Stops the workers (after their current call) and returns the final figures.
    pub async fn stop(mut self) -> LoadReport {
        self.stop.store(true, Ordering::Relaxed);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
        self.report()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Polls `f` every 5 ms until it returns `Some`; panics after `timeout`.
pub async fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The provider addresses (`host:port`) a client's directory lists now, sorted.
pub fn listed(client: &Client) -> Vec<String> {
    let mut v: Vec<String> = client
        .directory()
        .list()
        .iter()
        .map(|i| i.address())
        .collect();
    v.sort();
    v
}

/// Follows a client's directory and records the fewest providers it listed since the last
/// [`take`](DirectoryMin::take): proof that a failure never emptied it.
#[derive(Debug)]
pub struct DirectoryMin {
    min: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl DirectoryMin {
    /// Starts following `client`'s directory.
    pub fn new(client: &Client) -> DirectoryMin {
        let mut watch = client.directory().watch();
        let min = Arc::new(std::sync::atomic::AtomicUsize::new(
            watch.borrow_and_update().len(),
        ));
        let task = tokio::spawn({
            let min = min.clone();
            async move {
                while watch.changed().await.is_ok() {
                    let len = watch.borrow_and_update().len();
                    min.fetch_min(len, Ordering::SeqCst);
                }
            }
        });
        DirectoryMin { min, task }
    }

    /// The minimum since the last call; starts over from `current`.
    pub fn take(&self, current: usize) -> usize {
        self.min.swap(current, Ordering::SeqCst)
    }
}

impl Drop for DirectoryMin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Logs of the tests (`RUST_LOG`, default `warn`) to the test output.
pub fn init_test_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

// ---------------------------------------------------------------------------------------
// Provider child processes

/// A `test-provider` child process (SIGKILLed on drop if still running).
#[derive(Debug)]
pub struct ChildProvider {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its `whoAmI` answer.
    pub tag: String,
}

impl ChildProvider {
    /// Starts `binary` (the `test-provider` executable: pass
    /// `env!("CARGO_BIN_EXE_test-provider")`) registering in `registry` as `tag` on `port`
    /// (0: any), and waits until it has registered.
    pub async fn start(binary: &str, registry: &Url, tag: &str, port: u16) -> ChildProvider {
        let mut cmd = Command::new(binary);
        cmd.arg("--registry")
            .arg(registry.to_string())
            .arg("--tag")
            .arg(tag)
            .arg("--port")
            .arg(port.to_string())
            .arg("--owner-pid")
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("RUST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        let mut child = cmd.spawn().expect("test-provider starts");
        let stdout = child.stdout.take().unwrap();
        let mut guard = ChildProvider {
            child: Some(child),
            port: 0,
            tag: tag.to_owned(),
        };
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            line
        });
        let line = tokio::time::timeout(Duration::from_secs(30), line)
            .await
            .expect("test-provider ready within 30 s")
            .unwrap();
        guard.port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("test-provider did not start: {line:?}"));
        guard
    }

    /// `127.0.0.1:port`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// SIGKILL (a crash), and reap it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM (graceful shutdown: unregister, readonly, drain, close, close the registry
    /// session) and waits until it exited; returns how long that took.
    pub async fn terminate(&mut self) -> Duration {
        let started = Instant::now();
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status()
                .expect("kill runs");
            assert!(status.success(), "kill -TERM failed");
            let waited = tokio::task::spawn_blocking(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Ok(status);
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
            .await
            .unwrap();
            let status = waited.expect("test-provider exits within 20 s of SIGTERM");
            assert!(status.success(), "test-provider exited with {status}");
        }
        started.elapsed()
    }
}

impl Drop for ChildProvider {
    fn drop(&mut self) {
        self.kill9();
    }
}

// ---------------------------------------------------------------------------------------
// ZooKeeper

pub use dubbo_test_zookeeper::{random_u64, shared_connect as shared_zk, Ensemble, ZkServer};

/// `zookeeper://first?backup=rest&group=<root>&<extra>` for a connect string: `root` isolates
/// a test's nodes.
pub fn zk_url(connect: &str, root: &str, extra: &str) -> Url {
    let mut hosts = connect.split(',');
    let first = hosts.next().unwrap();
    let backup: Vec<&str> = hosts.collect();
    let mut s = format!("zookeeper://{first}?group={root}");
    if !backup.is_empty() {
        s.push_str(&format!("&backup={}", backup.join(",")));
    }
    if !extra.is_empty() {
        s.push('&');
        s.push_str(extra);
    }
    Url::parse(&s).unwrap()
}

/// A unique registry root for one test.
pub fn unique_root(test: &str) -> String {
    format!("t-{test}-{:x}", random_u64() % 0xffff_ffff)
}

/// Connects a registry.
pub async fn zk_registry(url: &Url) -> Arc<ZookeeperRegistry> {
    Arc::new(
        ZookeeperRegistry::connect(url)
            .await
            .expect("registry connects"),
    )
}

/// The session owning the ephemeral node at `path` (a path with the registry root, as
/// [`ZookeeperRegistry::node_path`] gives it), or `None` when there is no such node, looked up
/// by a short-lived raw client.
pub async fn zk_node_owner(connect: &str, path: &str) -> Option<i64> {
    let client = zookeeper_client::Client::connect(connect)
        .await
        .expect("raw client connects");
    let owner = client
        .check_stat(path)
        .await
        .expect("check_stat")
        .map(|stat| stat.ephemeral_owner);
    let mut state = client.state_watcher();
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while !state.changed().await.is_terminated() {}
    })
    .await;
    owner
}

/// The children of `path` (empty when it does not exist), listed by a short-lived raw client.
pub async fn zk_children(connect: &str, path: &str) -> Vec<String> {
    let client = zookeeper_client::Client::connect(connect)
        .await
        .expect("raw client connects");
    let children = client.list_children(path).await.unwrap_or_default();
    let mut state = client.state_watcher();
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while !state.changed().await.is_terminated() {}
    })
    .await;
    children
}

/// A [`ProbeHandler`] provider registered (as 127.0.0.1) through its own ZooKeeper session
/// at `registry` — like a provider process of its own.
pub async fn start_zk_probe(tag: &str, registry: &Url) -> (Probe, Arc<ZookeeperRegistry>) {
    let session = zk_registry(registry).await;
    let probe = start_probe(tag, Some(session.clone()), &[]).await;
    (probe, session)
}

/// Stops a provider started with [`start_zk_probe`]: graceful shutdown, then its session.
pub async fn stop_zk_probe(probe: Probe, session: Arc<ZookeeperRegistry>) {
    probe.server.shutdown().await;
    session.shutdown().await;
}

/// Serializes the tests of one binary that start their own servers and processes, so they do
/// not compete for the 2 cores (hold the guard for the whole test).
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
