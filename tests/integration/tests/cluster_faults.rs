//! Faults under continuous load, against real ZooKeeper servers started for each test (their
//! own ports) and, where a crash matters, provider processes (`test-provider`): a provider
//! killed with SIGKILL, a rolling restart with graceful shutdown, a ZooKeeper leader killed.
//! Every test runs a consumer calling without pause and requires **0 failed calls**.
//!
//! The tests of this binary run one at a time ([`serial`]).

use std::time::{Duration, Instant};

use dubbo_integration_tests::cluster_support::{
    eventually, init_test_tracing, listed, serial, start_zk_probe, stop_zk_probe, unique_root,
    wait_listed, zk_consumer, zk_node_owner, zk_url, ChildProvider, Ensemble, Load, ZkServer,
};
use dubbo_rpc::registry::Registry;

const PROVIDER: &str = env!("CARGO_BIN_EXE_test-provider");

/// Concurrent callers of the load, each pausing this long between calls.
const WORKERS: usize = 4;
const PAUSE: Duration = Duration::from_millis(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_killed_with_sigkill_loses_no_call() {
    let _serial = serial().await;
    init_test_tracing();
    // tickTime 200 ms: a 2 s session really lasts 2 s
    let zk = ZkServer::start(200).await;
    let url = zk_url(&zk.connect, &unique_root("kill"), "session=2000");
    let mut providers = Vec::new();
    for i in 0..3 {
        providers.push(ChildProvider::start(PROVIDER, &url, &format!("k{i}"), 0).await);
    }
    let (consumer, client) = zk_consumer(&url, 3, Duration::from_secs(15), |b| b).await;
    let load = Load::start(&client, WORKERS, PAUSE);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let victim = providers[1].address();
    let invoker = client
        .directory()
        .list()
        .iter()
        .find(|i| i.address() == victim)
        .cloned()
        .unwrap();
    let before = load.calls_to("k1");
    let killed = Instant::now();
    providers[1].kill9();
    let unavailable = eventually(
        Duration::from_secs(5),
        "killed provider unavailable",
        || (!invoker.is_available()).then(|| killed.elapsed()),
    )
    .await;
    let removed = eventually(Duration::from_secs(15), "killed provider dropped", || {
        (!listed(&client).contains(&victim)).then(|| killed.elapsed())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = load.stop().await;
    println!(
        "SIGKILL provider k1 (pid killed) under load: its connection was seen closed after {unavailable:?}; \
         dropped from the directory after {removed:?} (session 2000 ms, tick 200 ms); k1 served {before} calls \
         before the kill; load: {report}"
    );
    assert_eq!(report.failed, 0, "failed calls: {:?}", report.errors);
    assert!(
        removed >= Duration::from_millis(1000) && removed < Duration::from_secs(6),
        "removal after {removed:?} does not match the 2 s session"
    );
    consumer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_with_graceful_shutdown_loses_no_call() {
    let _serial = serial().await;
    init_test_tracing();
    let zk = ZkServer::start(200).await;
    let url = zk_url(&zk.connect, &unique_root("rolling"), "session=2000");
    let mut providers = Vec::new();
    for i in 0..3 {
        providers.push(ChildProvider::start(PROVIDER, &url, &format!("g{i}"), 0).await);
    }
    let (consumer, client) = zk_consumer(&url, 3, Duration::from_secs(15), |b| b).await;
    let load = Load::start(&client, WORKERS, PAUSE);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut steps = Vec::new();
    for (i, provider) in providers.iter_mut().enumerate() {
        let port = provider.port;
        let stopped = provider.terminate().await;
        let started = Instant::now();
        // the same port, as a real rolling restart
        let tag = format!("r{i}");
        *provider = ChildProvider::start(PROVIDER, &url, &tag, port).await;
        let serving = eventually(
            Duration::from_secs(15),
            "restarted provider gets calls",
            || (load.calls_to(&tag) > 0).then(|| started.elapsed()),
        )
        .await;
        steps.push(format!(
            "g{i} stopped gracefully in {stopped:.0?}, r{i} on the same port serving after {serving:.0?}"
        ));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = load.stop().await;
    println!("ROLLING {}; load: {report}", steps.join("; "));
    assert_eq!(report.failed, 0, "failed calls: {:?}", report.errors);
    assert_eq!(listed(&client).len(), 3);
    consumer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_leader_killed_under_load_loses_no_call() {
    let _serial = serial().await;
    init_test_tracing();
    let ensemble = Ensemble::start().await;
    let url = zk_url(&ensemble.connect, &unique_root("leader"), "session=10000");
    let mut providers = Vec::new();
    for i in 0..3 {
        providers.push(start_zk_probe(&format!("e{i}"), &url).await);
    }
    let (consumer, client) = zk_consumer(&url, 3, Duration::from_secs(15), |b| b).await;
    let sessions: Vec<_> = providers.iter().map(|(_, s)| s.session_id()).collect();
    let load = Load::start(&client, WORKERS, PAUSE);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let killed = Instant::now();
    let leader = ensemble.run(&["kill", "leader"]).await;
    let mut new_leader = None;
    while new_leader.is_none() {
        assert!(killed.elapsed() < Duration::from_secs(30), "no new leader");
        new_leader = ensemble.leader().await;
    }
    let elected = killed.elapsed();
    // writes work again: a provider registered now is seen
    let (late, late_session) = start_zk_probe("late", &url).await;
    wait_listed(&client, 4, Duration::from_secs(15)).await;
    let late_seen = killed.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = load.stop().await;

    // no registration lost: every node is still there, owned by the same session
    let mut kept = 0;
    for ((probe, session), before) in providers.iter().zip(&sessions) {
        let path = session.node_path(&probe.server.urls()[0]);
        let owner = zk_node_owner(&ensemble.connect, &path).await;
        assert_eq!(owner, *before, "registration of {} lost", probe.address());
        kept += 1;
    }
    println!(
        "LEADER n{leader} killed -> n{} elected after {elected:?}; a provider registered afterwards was \
         seen after {late_seen:?}; {kept}/3 registrations kept in their sessions; load: {report}",
        new_leader.unwrap()
    );
    assert_eq!(report.failed, 0, "failed calls: {:?}", report.errors);
    stop_zk_probe(late, late_session).await;
    for (probe, session) in providers {
        stop_zk_probe(probe, session).await;
    }
    consumer.shutdown().await;
}
