//! Registration and discovery against a real ZooKeeper, one behaviour per test, each test in
//! its own chroot on the shared server (`ZK_CONNECT`, or one started by the tests).

mod common;

use std::time::{Duration, Instant};

use common::*;
use dubbo_rpc::registry::Registry;
use dubbo_rpc::Url;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_added_and_removed_is_seen_by_consumer() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Greeter");
    let provider_side = registry(cs, &chroot, "").await;
    let consumer_side = registry(cs, &chroot, "").await;

    let mut sub = consumer_side
        .subscribe(&consumer(&iface, None, None))
        .await
        .unwrap();
    assert!(
        sub.borrow().is_listed(),
        "subscribe returns after the first listing"
    );
    assert!(sub.borrow().is_empty());

    let p = provider(&iface, 20880, None, None);
    let mut adds = Vec::new();
    let mut removes = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        provider_side.register(&p).await.unwrap();
        wait_for(&mut sub, WAIT, "provider added", |s| {
            s.providers.contains(&p)
        })
        .await;
        adds.push(t.elapsed());

        let t = Instant::now();
        provider_side.unregister(&p).await.unwrap();
        wait_for(&mut sub, WAIT, "provider removed", |s| s.is_empty()).await;
        removes.push(t.elapsed());
    }
    adds.sort();
    removes.sort();
    println!(
        "LATENCY register() -> consumer sees provider: min {:?} median {:?} max {:?} (n=10)",
        adds[0], adds[5], adds[9]
    );
    println!(
        "LATENCY unregister() -> consumer sees removal: min {:?} median {:?} max {:?} (n=10)",
        removes[0], removes[5], removes[9]
    );

    provider_side.shutdown().await;
    consumer_side.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_group_matching_follows_java() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Versioned");
    let reg = registry(cs, &chroot, "").await;

    let plain = provider(&iface, 1, None, None);
    let v1 = provider(&iface, 2, Some("1.0.0"), None);
    let v2 = provider(&iface, 3, Some("2.0.0"), None);
    let v1_ga = provider(&iface, 4, Some("1.0.0"), Some("ga"));
    let v1_gb = provider(&iface, 5, Some("1.0.0"), Some("gb"));
    for p in [&plain, &v1, &v2, &v1_ga, &v1_gb] {
        reg.register(p).await.unwrap();
    }
    let cases: Vec<(Option<&str>, Option<&str>, Vec<&Url>)> = vec![
        (None, None, vec![&plain]),
        (Some("1.0.0"), None, vec![&v1]),
        (Some("2.0.0"), None, vec![&v2]),
        (Some("3.0.0"), None, vec![]),
        (Some("*"), None, vec![&plain, &v1, &v2]),
        (Some("1.0.0"), Some("ga"), vec![&v1_ga]),
        (Some("1.0.0"), Some("ga,gb"), vec![&v1_ga, &v1_gb]),
        (Some("1.0.0"), Some("*"), vec![&v1, &v1_ga, &v1_gb]),
        (Some("*"), Some("*"), vec![&plain, &v1, &v2, &v1_ga, &v1_gb]),
    ];
    for (version, group, expected) in cases {
        let sub = reg
            .subscribe(&consumer(&iface, version, group))
            .await
            .unwrap();
        let mut got: Vec<Url> = sub.borrow().providers.to_vec();
        let mut want: Vec<Url> = expected.into_iter().cloned().collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "version {version:?} group {group:?}");
    }
    reg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_dubbo_protocols_and_junk_nodes_are_skipped() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Mixed");
    let raw = raw(cs, &chroot).await;
    let dir = format!("/dubbo/{iface}/providers");
    raw.mkdir(&dir, &PERSISTENT).await.unwrap();
    let dubbo = provider(&iface, 20880, None, None);
    let others = [
        dubbo.clone().with_protocol("tri").with_port(50051),
        dubbo.clone().with_protocol("rest").with_port(8080),
        dubbo.clone().with_protocol("empty"),
        dubbo.clone().with_param("enabled", "false").with_port(1),
        dubbo.clone().with_param("category", "routers").with_port(2),
    ];
    for u in others.iter().chain([&dubbo]) {
        raw.create(&format!("{dir}/{}", u.encoded()), b"", &EPHEMERAL)
            .await
            .unwrap();
    }
    for junk in ["not-a-url", "dubbo%3A%2F%2Fh%ZZ", "%E9"] {
        raw.create(&format!("{dir}/{junk}"), b"", &EPHEMERAL)
            .await
            .unwrap();
    }
    let reg = registry(cs, &chroot, "").await;
    let sub = reg.subscribe(&consumer(&iface, None, None)).await.unwrap();
    assert_eq!(*sub.borrow().providers, vec![dubbo]);
    reg.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn znode_name_is_javas_encoding_of_the_full_url() {
    const WORKED: &str = "dubbo://192.168.1.20:20880/org.example.interop.Greeter?application=rust-greeter&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=org.example.interop.Greeter&methods=greet,echoUser&prefer.serialization=hessian2&release=3.3.1&serialization=hessian2&side=provider&timestamp=1717171717171";
    const NAME: &str = "dubbo%3A%2F%2F192.168.1.20%3A20880%2Forg.example.interop.Greeter%3Fapplication%3Drust-greeter%26deprecated%3Dfalse%26dubbo%3D2.0.2%26dynamic%3Dtrue%26generic%3Dfalse%26interface%3Dorg.example.interop.Greeter%26methods%3Dgreet%2CechoUser%26prefer.serialization%3Dhessian2%26release%3D3.3.1%26serialization%3Dhessian2%26side%3Dprovider%26timestamp%3D1717171717171";
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let reg = registry(cs, &chroot, "").await;
    reg.register(&Url::parse(WORKED).unwrap()).await.unwrap();

    let raw = raw(cs, &chroot).await;
    let dir = "/dubbo/org.example.interop.Greeter/providers";
    assert_eq!(raw.list_children(dir).await.unwrap(), vec![NAME.to_owned()]);
    let stat = raw
        .check_stat(&format!("{dir}/{NAME}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        Some(stat.ephemeral_owner),
        reg.session_id(),
        "ephemeral, ours"
    );
    // the parents are persistent
    for p in ["/dubbo", "/dubbo/org.example.interop.Greeter", dir] {
        assert_eq!(
            raw.check_stat(p).await.unwrap().unwrap().ephemeral_owner,
            0,
            "{p}"
        );
    }
    reg.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_registers_under_consumers_and_creates_java_dirs() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Consumed");
    let reg = registry(cs, &chroot, "").await;
    let c = consumer(&iface, Some("1.0.0"), None);
    reg.register(&c).await.unwrap();
    let _sub = reg.subscribe(&c).await.unwrap();

    let raw = raw(cs, &chroot).await;
    let service = format!("/dubbo/{iface}");
    let children = raw
        .list_children(&format!("{service}/consumers"))
        .await
        .unwrap();
    assert_eq!(children, vec![c.encoded()]);
    let decoded = Url::decode_encoded(&children[0]).unwrap();
    assert_eq!(decoded.protocol(), "consumer");
    assert_eq!(decoded.param("category"), Some("consumers"));
    assert_eq!(decoded.param("side"), Some("consumer"));
    assert_eq!(decoded.version(), Some("1.0.0"));
    let mut dirs = raw.list_children(&service).await.unwrap();
    dirs.sort();
    assert_eq!(dirs, ["configurators", "consumers", "providers", "routers"]);
    reg.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregister_removes_the_node() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Removed");
    let reg = registry(cs, &chroot, "").await;
    let p = provider(&iface, 20880, None, None);
    reg.register(&p).await.unwrap();
    let raw = raw(cs, &chroot).await;
    let path = reg.node_path(&p);
    assert!(raw.check_stat(&path).await.unwrap().is_some());
    reg.unregister(&p).await.unwrap();
    assert!(raw.check_stat(&path).await.unwrap().is_none());
    // unregistering again is fine
    reg.unregister(&p).await.unwrap();
    reg.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_makes_ephemerals_vanish_at_once() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Closing");
    // a long session: without a real close, the node would linger for 30 s
    let provider_side = registry(cs, &chroot, "session=30000").await;
    let consumer_side = registry(cs, &chroot, "").await;
    let p = provider(&iface, 20880, None, None);
    let c = consumer(&iface, None, None);
    provider_side.register(&p).await.unwrap();
    provider_side.register(&c).await.unwrap();
    let persistent = provider(&iface, 20881, None, None).with_param("dynamic", "false");
    provider_side.register(&persistent).await.unwrap();
    let mut sub = consumer_side.subscribe(&c).await.unwrap();
    assert_eq!(sub.borrow().len(), 2);

    let t = Instant::now();
    provider_side.shutdown().await;
    let shutdown_took = t.elapsed();
    let raw = raw(cs, &chroot).await;
    assert!(raw
        .check_stat(&provider_side.node_path(&p))
        .await
        .unwrap()
        .is_none());
    assert!(raw
        .check_stat(&provider_side.node_path(&c))
        .await
        .unwrap()
        .is_none());
    // Java's destroy() leaves dynamic=false registrations in place too
    assert!(raw
        .check_stat(&provider_side.node_path(&persistent))
        .await
        .unwrap()
        .is_some());
    wait_for(&mut sub, WAIT, "provider gone", |s| s.len() == 1).await;
    println!(
        "LATENCY shutdown() took {shutdown_took:?}; consumer saw the removal {:?} after shutdown() began",
        t.elapsed()
    );
    assert!(provider_side.session_id().is_none());
    assert!(matches!(
        provider_side.register(&p).await,
        Err(dubbo_rpc::registry::RegistryError::Closed)
    ));
    consumer_side.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_ephemeral_of_another_session_is_replaced() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Stale");
    let p = provider(&iface, 20880, None, None);
    let reg = registry(cs, &chroot, "").await;
    let path = reg.node_path(&p);

    // an "old session" holds the very same node (as after a restart restored its session)
    let old = raw(cs, &chroot).await;
    old.mkdir(&path[..path.rfind('/').unwrap()], &PERSISTENT)
        .await
        .unwrap();
    old.create(&path, b"", &EPHEMERAL).await.unwrap();
    let old_owner = old.session_id().0;

    reg.register(&p).await.unwrap();
    let raw = raw(cs, &chroot).await;
    let stat = raw.check_stat(&path).await.unwrap().unwrap();
    assert_ne!(stat.ephemeral_owner, old_owner);
    assert_eq!(Some(stat.ephemeral_owner), reg.session_id());
    // the old session closing no longer takes our node away
    close(old).await;
    assert!(raw.check_stat(&path).await.unwrap().is_some());
    reg.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configurators_are_carried_not_applied() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Configured");
    let reg = registry(cs, &chroot, "").await;
    let p = provider(&iface, 20880, None, None);
    reg.register(&p).await.unwrap();
    let mut sub = reg.subscribe(&consumer(&iface, None, None)).await.unwrap();
    sub.borrow_and_update();

    let ov = Url::parse(&format!(
        "override://0.0.0.0/{iface}?category=configurators&dynamic=false&enabled=true&timeout=5000"
    ))
    .unwrap();
    reg.register(&ov).await.unwrap();
    let set = wait_for(&mut sub, WAIT, "configurator", |s| {
        !s.configurators.is_empty()
    })
    .await;
    assert_eq!(*set.configurators, vec![ov.clone()]);
    assert_eq!(*set.providers, vec![p]);
    // dynamic=false: a persistent node, as governance tools write them
    let raw = raw(cs, &chroot).await;
    let stat = raw.check_stat(&reg.node_path(&ov)).await.unwrap().unwrap();
    assert_eq!(stat.ephemeral_owner, 0);
    reg.unregister(&ov).await.unwrap();
    reg.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_group_changes_the_root() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Rooted");
    let reg = registry(cs, &chroot, "group=custom").await;
    assert_eq!(reg.root(), "/custom");
    let p = provider(&iface, 20880, None, None);
    reg.register(&p).await.unwrap();
    let raw = raw(cs, &chroot).await;
    let children = raw
        .list_children(&format!("/custom/{iface}/providers"))
        .await
        .unwrap();
    assert_eq!(children, vec![p.encoded()]);
    reg.shutdown().await;
    close(raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_subscription_stops_its_watch() {
    let cs = shared_connect();
    let chroot = new_chroot(cs).await;
    let iface = interface("Dropped");
    let reg = registry(cs, &chroot, "").await;
    let sub = reg.subscribe(&consumer(&iface, None, None)).await.unwrap();
    drop(sub);
    // the task notices at its next wake-up (here: a change) and ends; nothing observable
    // should break, and shutdown must still be quick
    reg.register(&provider(&iface, 1, None, None))
        .await
        .unwrap();
    let t = Instant::now();
    reg.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_fails_connect_within_timeout() {
    // a port nobody listens on (bound then released)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("zookeeper://127.0.0.1:{port}?timeout=500")).unwrap();
    let t = Instant::now();
    let err = dubbo_registry::ZookeeperRegistry::connect(&url)
        .await
        .unwrap_err();
    assert!(
        matches!(err, dubbo_rpc::registry::RegistryError::Timeout { .. }),
        "{err:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}
