//! A 3-node ensemble loses its leader: the registration is kept (same session) and the
//! subscription keeps following.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dubbo_rpc::registry::Registry;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_killed_registration_kept() {
    let ensemble = Ensemble::start().await;
    let cs = ensemble.connect.clone();
    let chroot = new_chroot(&cs).await;
    let iface = interface("Quorum");
    let provider_side = registry(&cs, &chroot, "session=10000").await;
    let consumer_side = registry(&cs, &chroot, "session=10000").await;
    let p = provider(&iface, 20880, None, None);
    provider_side.register(&p).await.unwrap();
    let c = consumer(&iface, None, None);
    consumer_side.register(&c).await.unwrap();
    let mut sub = consumer_side.subscribe(&c).await.unwrap();
    sub.borrow_and_update();
    let min_len = MinTracker::new(sub.clone());
    let session = provider_side.session_id();

    let killed_at = Instant::now();
    let leader = ensemble.run(&["kill", "leader"]).await;
    let new_leader = eventually(Duration::from_secs(20), "a new leader", || {
        ensemble.try_run(&["leader"])
    })
    .await;
    let elected = killed_at.elapsed();

    // registration kept, in the same session, and writes work again
    let p2 = provider(&iface, 20881, None, None);
    provider_side.register(&p2).await.unwrap();
    wait_for(
        &mut sub,
        Duration::from_secs(20),
        "provider added after leader loss",
        |s| s.providers.contains(&p2) && s.providers.contains(&p),
    )
    .await;
    let back = killed_at.elapsed();
    assert_eq!(provider_side.session_id(), session, "same session");
    assert_eq!(provider_side.session_generation(), 1);
    let raw = raw(&cs, &chroot).await;
    let stat = raw
        .check_stat(&provider_side.node_path(&p))
        .await
        .unwrap()
        .expect("registration kept");
    assert_eq!(Some(stat.ephemeral_owner), session);
    println!(
        "ENSEMBLE leader n{leader} killed -> new leader n{new_leader} after {elected:?}; \
         register + consumer sees it {back:?} after the kill; same session, 0 registrations lost"
    );

    assert!(
        min_len.take(0) >= 1,
        "the provider list was emptied by a registry failure"
    );
    provider_side.shutdown().await;
    consumer_side.shutdown().await;
    close(raw).await;
}
