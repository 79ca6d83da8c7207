//! Shared helpers of the ZooKeeper tests: real servers started with `scripts/zk`, one chroot
//! per test, raw clients to look at what the registry wrote.
#![allow(dead_code)] // each test binary uses a subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use dubbo_registry::ZookeeperRegistry;
use dubbo_rpc::registry::{
    consumer_url, provider_url, ConsumerSpec, ProviderSet, ProviderSpec, Subscription,
};
use dubbo_rpc::Url;
use zookeeper_client as zk;

pub(crate) const PERSISTENT: zk::CreateOptions<'static> =
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
pub(crate) const EPHEMERAL: zk::CreateOptions<'static> =
    zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());

pub(crate) fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/zk")
}

pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

/// Runs a script from `scripts/zk` and returns its stdout; panics with its stderr on failure.
pub(crate) fn run_script(name: &str, args: &[&str], env: &[(&str, String)]) -> String {
    let mut cmd = Command::new(scripts_dir().join(name));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({}):\n{stderr}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub(crate) async fn run_script_async(
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> String {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_script(name, &args, &env)
    })
    .await
    .unwrap()
}

/// The shared server of this test binary: `ZK_CONNECT` when set (CI), otherwise a server
/// started once with `zk-start.sh auto`, stopped by the script's owner watchdog when this
/// process exits.
pub(crate) fn shared_connect() -> &'static str {
    static CONNECT: OnceLock<String> = OnceLock::new();
    CONNECT.get_or_init(|| {
        if let Ok(cs) = std::env::var("ZK_CONNECT") {
            if !cs.trim().is_empty() {
                return cs.trim().to_owned();
            }
        }
        run_script("install.sh", &[], &[]);
        let dir = std::env::temp_dir().join(format!("zk-registry-tests-{}", std::process::id()));
        let cs = run_script(
            "zk-start.sh",
            &["auto"],
            &[
                ("ZK_DIR", dir.display().to_string()),
                ("ZK_OWNER_PID", std::process::id().to_string()),
                ("ZK_LOG_LEVEL", "warn".to_owned()),
            ],
        );
        eprintln!("ZK_CONNECT not set: started ZooKeeper on {cs} (stops when the tests exit)");
        cs
    })
}

/// A dedicated standalone server for a fault test (own port and state dir), stopped and
/// purged on drop.
#[derive(Debug)]
pub(crate) struct ZkServer {
    pub(crate) connect: String,
    pub(crate) port: u16,
    dir: PathBuf,
    tick_ms: u32,
}

impl ZkServer {
    pub(crate) async fn start(tick_ms: u32) -> ZkServer {
        run_script_async("install.sh", vec![], vec![]).await;
        let dir = std::env::temp_dir().join(format!("zk-fault-{:x}", random_u64()));
        let mut server = ZkServer {
            connect: String::new(),
            port: 0,
            dir,
            tick_ms,
        };
        server.connect =
            run_script_async("zk-start.sh", vec!["auto".into()], server.env(false)).await;
        server.port = server.connect.rsplit(':').next().unwrap().parse().unwrap();
        server
    }

    fn env(&self, keep_data: bool) -> Vec<(&'static str, String)> {
        vec![
            ("ZK_DIR", self.dir.display().to_string()),
            ("ZK_TICK_TIME", self.tick_ms.to_string()),
            ("ZK_OWNER_PID", std::process::id().to_string()),
            ("ZK_KEEP_DATA", if keep_data { "1" } else { "0" }.to_owned()),
            ("ZK_LOG_LEVEL", "warn".to_owned()),
        ]
    }

    pub(crate) fn pid(&self) -> i32 {
        std::fs::read_to_string(self.dir.join("zookeeper.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// SIGKILL (a crash); the data dir is kept.
    pub(crate) async fn kill(&self) {
        let mut env = self.env(true);
        env.push(("ZK_STOP_TIMEOUT", "5".to_owned()));
        run_script_async(
            "zk-stop.sh",
            vec![self.port.to_string(), "--kill".into()],
            env,
        )
        .await;
    }

    /// Starts the server again on the same port, keeping its data (sessions and ephemerals).
    pub(crate) async fn restart_keep_data(&self) {
        run_script_async("zk-start.sh", vec![self.port.to_string()], self.env(true)).await;
    }

    /// Sends a signal (`STOP`, `CONT`) to the server process.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        let _ = Command::new(scripts_dir().join("zk-stop.sh"))
            .arg(self.port.to_string())
            .arg("--purge")
            .env("ZK_DIR", &self.dir)
            .output();
    }
}

/// A 3-node ensemble on a distinct base port, stopped and purged on drop.
#[derive(Debug)]
pub(crate) struct Ensemble {
    pub(crate) connect: String,
    base: u16,
    dir: PathBuf,
}

impl Ensemble {
    pub(crate) async fn start() -> Ensemble {
        run_script_async("install.sh", vec![], vec![]).await;
        // client ports base+1..3, quorum base+101.., election base+201..
        let base = 24_000 + (random_u64() % 500) as u16 * 10;
        let dir = std::env::temp_dir().join(format!("zk-ensemble-test-{base}"));
        let mut ensemble = Ensemble {
            connect: String::new(),
            base,
            dir,
        };
        ensemble.connect =
            run_script_async("zk-ensemble.sh", vec!["start".into()], ensemble.env()).await;
        ensemble
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ZK_ENSEMBLE_BASE", self.base.to_string()),
            ("ZK_ENSEMBLE_DIR", self.dir.display().to_string()),
            ("ZK_OWNER_PID", std::process::id().to_string()),
            ("ZK_LOG_LEVEL", "warn".to_owned()),
        ]
    }

    pub(crate) async fn run(&self, args: &[&str]) -> String {
        run_script_async(
            "zk-ensemble.sh",
            args.iter().map(|s| s.to_string()).collect(),
            self.env(),
        )
        .await
    }
}

impl Ensemble {
    /// Like [`Ensemble::run`], but `None` instead of a panic when the script fails.
    pub(crate) async fn try_run(&self, args: &[&str]) -> Option<String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env = self.env();
        tokio::task::spawn_blocking(move || {
            let out = Command::new(scripts_dir().join("zk-ensemble.sh"))
                .args(&args)
                .envs(env)
                .output()
                .ok()?;
            let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            (out.status.success() && !stdout.is_empty()).then_some(stdout)
        })
        .await
        .ok()?
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        let mut cmd = Command::new(scripts_dir().join("zk-ensemble.sh"));
        cmd.args(["stop", "--purge"]);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        let _ = cmd.output();
    }
}

/// Creates a fresh chroot `/t-<random>` on `connect` and returns it.
pub(crate) async fn new_chroot(connect: &str) -> String {
    let chroot = format!("/t-{:016x}", random_u64());
    let client = zk::Client::connect(connect)
        .await
        .expect("connect to ZooKeeper");
    client
        .create(&chroot, b"", &PERSISTENT)
        .await
        .expect("create chroot");
    close(client).await;
    chroot
}

/// `zookeeper://first?backup=rest&chroot=…&<extra>` for a connect string.
pub(crate) fn registry_url(connect: &str, chroot: &str, extra: &str) -> Url {
    let mut hosts = connect.split(',');
    let first = hosts.next().unwrap();
    let backup: Vec<&str> = hosts.collect();
    let mut s = format!("zookeeper://{first}?chroot={chroot}");
    if !backup.is_empty() {
        s.push_str(&format!("&backup={}", backup.join(",")));
    }
    if !extra.is_empty() {
        s.push('&');
        s.push_str(extra);
    }
    Url::parse(&s).unwrap()
}

/// Logs of the registry (`RUST_LOG`, default `dubbo_registry=info`), shown for failing tests
/// or with `--nocapture`.
pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("dubbo_registry=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

pub(crate) async fn registry(connect: &str, chroot: &str, extra: &str) -> ZookeeperRegistry {
    init_tracing();
    ZookeeperRegistry::connect(&registry_url(connect, chroot, extra))
        .await
        .expect("registry connects")
}

/// A raw client inside the chroot, to inspect what the registry wrote.
pub(crate) async fn raw(connect: &str, chroot: &str) -> zk::Client {
    zk::Client::connect(&format!("{connect}{chroot}"))
        .await
        .expect("raw client connects")
}

/// Drops a client and waits until its session is closed.
pub(crate) async fn close(client: zk::Client) {
    let mut state = client.state_watcher();
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while !state.changed().await.is_terminated() {}
    })
    .await;
}

pub(crate) fn provider(
    interface: &str,
    port: u16,
    version: Option<&str>,
    group: Option<&str>,
) -> Url {
    provider_url(&ProviderSpec {
        application: "rust-test-provider".into(),
        interface: interface.into(),
        methods: vec!["sayHello".into(), "echo".into()],
        host: Some("127.0.0.1".into()),
        port,
        version: version.map(Into::into),
        group: group.map(Into::into),
        ..ProviderSpec::default()
    })
}

pub(crate) fn consumer(interface: &str, version: Option<&str>, group: Option<&str>) -> Url {
    consumer_url(&ConsumerSpec {
        application: "rust-test-consumer".into(),
        interface: interface.into(),
        methods: vec!["sayHello".into()],
        host: Some("127.0.0.1".into()),
        version: version.map(Into::into),
        group: group.map(Into::into),
        ..ConsumerSpec::default()
    })
}

/// A unique interface name per test.
pub(crate) fn interface(name: &str) -> String {
    format!("org.example.test.{name}{:x}", random_u64() % 0xffff)
}

/// Waits until the subscription's set satisfies `pred`; panics after `timeout`.
pub(crate) async fn wait_for(
    sub: &mut Subscription,
    timeout: Duration,
    what: &str,
    pred: impl FnMut(&ProviderSet) -> bool,
) -> ProviderSet {
    let result = tokio::time::timeout(timeout, sub.wait_for(pred))
        .await
        .map(|r| r.map(|set| set.clone()));
    match result {
        Ok(Ok(set)) => set,
        Ok(Err(_)) => panic!("subscription ended while waiting for {what}"),
        Err(_) => panic!(
            "timed out after {timeout:?} waiting for {what}; last set: {:?}",
            sub.borrow().providers
        ),
    }
}

/// Polls `f` every 10 ms until it returns `Some`; panics after `timeout`.
pub(crate) async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Records the smallest provider count a subscription showed since the last
/// [`MinTracker::take`], to prove that a failure never emptied it.
#[derive(Debug)]
pub(crate) struct MinTracker {
    min: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl MinTracker {
    pub(crate) fn new(mut sub: Subscription) -> MinTracker {
        use std::sync::atomic::Ordering;
        let min = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(
            sub.borrow_and_update().len(),
        ));
        let task = tokio::spawn({
            let min = min.clone();
            async move {
                while sub.changed().await.is_ok() {
                    let len = sub.borrow_and_update().len();
                    min.fetch_min(len, Ordering::SeqCst);
                }
            }
        });
        MinTracker { min, task }
    }

    /// The minimum since the last call; starts over from `current`.
    pub(crate) fn take(&self, current: usize) -> usize {
        self.min.swap(current, std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for MinTracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}
