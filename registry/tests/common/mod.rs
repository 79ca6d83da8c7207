//! Shared helpers of the ZooKeeper tests: real servers started with `scripts/zk`, one chroot
//! per test, raw clients to look at what the registry wrote.
#![allow(dead_code)] // each test binary uses a subset

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

#[allow(unused_imports)] // each test binary uses a subset
pub(crate) use dubbo_test_zookeeper::{random_u64, shared_connect, Ensemble, ZkServer};

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
