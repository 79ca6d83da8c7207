//! Dynamic discovery through a real ZooKeeper (`ZK_CONNECT`, or a server started for this
//! binary): providers that come and go are seen by a consumer, with the latency reported.

use std::time::{Duration, Instant};

use dubbo_integration_tests::cluster_support::{
    init_test_tracing, listed, probe_client, shared_zk, start_zk_probe, stop_zk_probe, unique_root,
    zk_children, zk_registry, zk_url,
};
use dubbo_integration_tests::{method, no_args, GREETER};
use dubbo_rpc::registry::Registry;
use dubbo_rpc::Client;

fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    format!(
        "min {:.2?} median {:.2?} max {:.2?}",
        v[0],
        v[v.len() / 2],
        v[v.len() - 1]
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_added_and_removed_are_seen_by_the_consumer() {
    init_test_tracing();
    let url = zk_url(shared_zk(), &unique_root("discovery"), "session=6000");
    let (first, first_session) = start_zk_probe("first", &url).await;
    let consumer = zk_registry(&url).await;
    let client = probe_client(
        Client::builder()
            .registry(consumer.clone())
            .loadbalance("roundrobin")
            .wait_for_providers(Duration::from_secs(10)),
    )
    .await;
    assert_eq!(listed(&client), vec![first.address()]);

    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for round in 0..5 {
        let tag = format!("p{round}");
        let (probe, session) = start_zk_probe(&tag, &url).await;
        let registered = Instant::now();
        let address = probe.address();
        let mut directory = client.directory().watch();
        tokio::time::timeout(
            Duration::from_secs(10),
            directory.wait_for(|l| l.iter().any(|i| i.address() == address)),
        )
        .await
        .expect("new provider seen")
        .unwrap();
        added.push(registered.elapsed());
        // and calls reach it
        let mut answered = false;
        for _ in 0..4 {
            answered |= client
                .call::<String>(method::WHO_AM_I, no_args())
                .await
                .unwrap()
                == tag;
        }
        assert!(answered, "{tag} never answered");

        let stopping = Instant::now();
        let gone = tokio::spawn({
            let mut directory = client.directory().watch();
            let address = address.clone();
            async move {
                directory
                    .wait_for(|l| l.iter().all(|i| i.address() != address))
                    .await
                    .unwrap();
                Instant::now()
            }
        });
        stop_zk_probe(probe, session).await;
        let gone = tokio::time::timeout(Duration::from_secs(10), gone)
            .await
            .expect("removed provider dropped")
            .unwrap();
        removed.push(gone - stopping);
    }
    println!(
        "DISCOVERY provider registered -> in the consumer's directory: {}; graceful stop began -> \
         dropped from the directory: {} (5 rounds, ZooKeeper at {})",
        summary(added),
        summary(removed),
        shared_zk()
    );
    assert_eq!(listed(&client), vec![first.address()]);
    stop_zk_probe(first, first_session).await;
    consumer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_node_lives_as_long_as_the_client() {
    init_test_tracing();
    let root = unique_root("consumers");
    let url = zk_url(shared_zk(), &root, "session=6000");
    let consumer = zk_registry(&url).await;
    let client = probe_client(Client::builder().registry(consumer.clone())).await;
    let dir = format!("/{root}/{GREETER}/consumers");
    let nodes = zk_children(shared_zk(), &dir).await;
    println!("CONSUMER node: {nodes:?}");
    assert_eq!(nodes.len(), 1);
    assert!(nodes[0].starts_with("consumer%3A%2F%2F"), "{}", nodes[0]);
    drop(client);
    let started = Instant::now();
    while !zk_children(shared_zk(), &dir).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "consumer node left behind"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    consumer.shutdown().await;
}
