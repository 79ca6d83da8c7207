//! ZooKeeper server restarts (kill -9, then start again on the same data dir): registrations
//! and subscriptions come back without any action, and a consumer's list is never emptied.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dubbo_rpc::registry::Registry;

/// A restart shorter than the session timeout: the client reconnects inside its session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_restart_keeps_the_session() {
    let server = ZkServer::start(2000).await;
    let cs = server.connect.clone();
    let chroot = new_chroot(&cs).await;
    let iface = interface("Restarted");
    let provider_side = registry(&cs, &chroot, "session=20000").await;
    let consumer_side = registry(&cs, &chroot, "session=20000").await;
    let p = provider(&iface, 20880, None, None);
    provider_side.register(&p).await.unwrap();
    let c = consumer(&iface, None, None);
    let mut sub = consumer_side.subscribe(&c).await.unwrap();
    sub.borrow_and_update();
    let min_len = MinTracker::new(sub.clone());
    let session = provider_side.session_id();

    let down = Instant::now();
    server.kill().await;
    server.restart_keep_data().await;
    let restarted = down.elapsed();

    // a provider registered after the restart is seen: the consumer's watch is alive
    let p2 = provider(&iface, 20881, None, None);
    provider_side.register(&p2).await.unwrap();
    wait_for(
        &mut sub,
        Duration::from_secs(20),
        "provider added after restart",
        |s| s.providers.contains(&p2) && s.providers.contains(&p),
    )
    .await;
    println!(
        "RESTART kill -9 + restart took {restarted:?}; registrations and subscription back {:?} after the kill",
        down.elapsed()
    );
    assert_eq!(provider_side.session_id(), session, "same session");
    assert_eq!(provider_side.session_generation(), 1);

    assert!(
        min_len.take(0) >= 1,
        "the provider list was emptied by a registry failure"
    );
    provider_side.shutdown().await;
    consumer_side.shutdown().await;
}

/// An outage longer than the session timeout: the clients declare their sessions expired,
/// and the restarted server restores the old sessions (and their ephemerals) from its data
/// dir. Re-registering finds the old node (NodeExists, other owner) and replaces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_outage_replaces_the_stale_ephemeral() {
    let server = ZkServer::start(200).await;
    let cs = server.connect.clone();
    let chroot = new_chroot(&cs).await;
    let iface = interface("Outage");
    // 3 s sessions: the client declares expiry after ~1.4 x 3 s without a server; after the
    // restart the server restores the old session for another 3 s, time enough for the
    // registry to reconnect and replace the old node before the server would delete it
    let provider_side = registry(&cs, &chroot, "session=3000&timeout=30000").await;
    let consumer_side = registry(&cs, &chroot, "session=3000&timeout=30000").await;
    let p = provider(&iface, 20880, None, None);
    provider_side.register(&p).await.unwrap();
    let c = consumer(&iface, None, None);
    let mut sub = consumer_side.subscribe(&c).await.unwrap();
    sub.borrow_and_update();
    let min_len = MinTracker::new(sub.clone());
    let old_session = provider_side.session_id().unwrap();

    server.kill().await;
    tokio::time::sleep(Duration::from_millis(5000)).await;
    assert_ne!(
        provider_side.session_id(),
        Some(old_session),
        "expired locally"
    );
    let restart = Instant::now();
    server.restart_keep_data().await;

    let raw = raw(&cs, &chroot).await;
    let path = provider_side.node_path(&p);
    let took = eventually(
        Duration::from_secs(20),
        "provider node owned by the new session",
        || async {
            let session = provider_side.session_id()?;
            let stat = raw.check_stat(&path).await.ok()??;
            (session != old_session && stat.ephemeral_owner == session).then(|| restart.elapsed())
        },
    )
    .await;

    let p2 = provider(&iface, 20881, None, None);
    provider_side.register(&p2).await.unwrap();
    wait_for(
        &mut sub,
        Duration::from_secs(20),
        "provider added after the outage",
        |s| s.providers.contains(&p2) && s.providers.contains(&p),
    )
    .await;
    println!(
        "OUTAGE restart -> provider node owned by new session: {took:?}; subscription following again: {:?}",
        restart.elapsed()
    );
    // once the server expires the restored old session, our node must survive it
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let stat = raw.check_stat(&path).await.unwrap().expect("node kept");
    assert_eq!(Some(stat.ephemeral_owner), provider_side.session_id());
    assert!(sub.borrow().providers.contains(&p));

    assert!(
        min_len.take(0) >= 1,
        "the provider list was emptied by a registry failure"
    );
    provider_side.shutdown().await;
    consumer_side.shutdown().await;
    close(raw).await;
}
