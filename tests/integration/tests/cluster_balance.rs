//! Every load balancer's distribution through the real client: 5 providers on 127.0.0.1
//! (port 0), found through an in-process registry, called over TCP.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use dubbo_integration_tests::cluster_support::{probe_client, start_probe, Probe};
use dubbo_integration_tests::{arg, method, no_args};
use dubbo_rpc::registry::{MemoryRegistry, Registry};
use dubbo_rpc::Client;

/// Five providers registered with per-provider URL parameters.
async fn fleet(registry: &Arc<dyn Registry>, params: &[&[(&str, &str)]]) -> Vec<Probe> {
    let mut probes = Vec::new();
    for (i, p) in params.iter().enumerate() {
        probes.push(start_probe(&format!("p{i}"), Some(registry.clone()), p).await);
    }
    probes
}

async fn client(registry: &Arc<dyn Registry>, loadbalance: &str, providers: usize) -> Client {
    let client = probe_client(
        Client::builder()
            .registry(registry.clone())
            .loadbalance(loadbalance)
            .wait_for_providers(Duration::from_secs(5)),
    )
    .await;
    assert_eq!(client.directory().list().len(), providers);
    client
}

/// `whoAmI` `n` times, `concurrency` at a time; calls per provider tag.
async fn spread(client: &Client, n: usize, concurrency: usize) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut set = tokio::task::JoinSet::new();
    let mut sent = 0;
    while sent < n || !set.is_empty() {
        while sent < n && set.len() < concurrency {
            let client = client.clone();
            set.spawn(async move { client.call::<String>(method::WHO_AM_I, no_args()).await });
            sent += 1;
        }
        let tag = set
            .join_next()
            .await
            .unwrap()
            .unwrap()
            .expect("call succeeds");
        *counts.entry(tag).or_insert(0) += 1;
    }
    counts
}

async fn stop(probes: Vec<Probe>) {
    for p in probes {
        p.server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_spreads_calls_in_proportion_to_weight() {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    let weights = ["100", "200", "300", "400", "500"];
    let params: Vec<Vec<(&str, &str)>> = weights
        .iter()
        .map(|w| vec![("weight", *w), ("warmup", "0")])
        .collect();
    let probes = fleet(
        &registry,
        &params.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    )
    .await;
    let client = client(&registry, "random", 5).await;
    let n = 3000;
    let counts = spread(&client, n, 8).await;
    println!("RANDOM weights {weights:?}, {n} calls: {counts:?}");
    for (i, w) in weights.iter().enumerate() {
        let expected = n as f64 * w.parse::<f64>().unwrap() / 1500.0;
        let got = counts.get(&format!("p{i}")).copied().unwrap_or(0) as f64;
        assert!(
            (got - expected).abs() < expected * 0.25,
            "p{i} (weight {w}) got {got} calls, expected about {expected}"
        );
    }
    stop(probes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_warms_up_a_provider_that_just_started() {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    // four providers with warm-up off, one with Java's default 10 min warm-up that just
    // started: its weight is ramped down to about 1 of 100
    let warm: &[(&str, &str)] = &[("warmup", "0")];
    let probes = fleet(&registry, &[warm, warm, warm, warm, &[]]).await;
    let client = client(&registry, "random", 5).await;
    let n = 2000;
    let counts = spread(&client, n, 8).await;
    let cold = counts.get("p4").copied().unwrap_or(0);
    println!("WARMUP {n} calls: {counts:?} (p4 started just now with warmup=600000)");
    assert!(cold < n / 50, "a cold provider got {cold} of {n} calls");
    stop(probes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roundrobin_gives_each_provider_exactly_its_weighted_share() {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    let weights = ["100", "200", "300", "400", "500"];
    let params: Vec<Vec<(&str, &str)>> = weights
        .iter()
        .map(|w| vec![("weight", *w), ("warmup", "0")])
        .collect();
    let probes = fleet(
        &registry,
        &params.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    )
    .await;
    let client = client(&registry, "roundrobin", 5).await;
    // sequential calls: the order shows the smoothing
    let mut order = String::new();
    let mut counts = BTreeMap::new();
    for _ in 0..1500 {
        let tag: String = client.call(method::WHO_AM_I, no_args()).await.unwrap();
        if order.len() < 15 {
            order.push_str(&tag[1..]);
        }
        *counts.entry(tag).or_insert(0) += 1;
    }
    println!("ROUNDROBIN weights {weights:?}, 1500 calls: {counts:?}; first cycle {order}");
    for (i, w) in weights.iter().enumerate() {
        assert_eq!(
            counts.get(&format!("p{i}")).copied().unwrap_or(0),
            w.parse::<usize>().unwrap(),
            "p{i}"
        );
    }
    // smooth: the heaviest provider never gets more than 2 calls in a row in a cycle
    assert!(!order.contains("444"), "not smooth: {order}");
    stop(probes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leastactive_avoids_a_provider_with_calls_piling_up() {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    let probes = fleet(&registry, &[&[], &[], &[], &[], &[]]).await;
    probes[0].state.delay_ms.store(100, Ordering::Relaxed);
    let client = client(&registry, "leastactive", 5).await;
    let n = 2000;
    let counts = spread(&client, n, 6).await;
    let slow = counts.get("p0").copied().unwrap_or(0);
    println!(
        "LEASTACTIVE p0 answers in 100 ms, the others at once; {n} calls, 6 in flight: {counts:?}"
    );
    // an even spread would give it 400
    assert!(slow < n / 20, "the slow provider got {slow} of {n} calls");
    stop(probes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shortestresponse_avoids_a_slow_provider() {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    let probes = fleet(&registry, &[&[], &[], &[], &[], &[]]).await;
    probes[0].state.delay_ms.store(30, Ordering::Relaxed);
    let client = client(&registry, "shortestresponse", 5).await;
    let n = 2000;
    let counts = spread(&client, n, 2).await;
    let slow = counts.get("p0").copied().unwrap_or(0);
    println!("SHORTESTRESPONSE p0 answers in 30 ms, the others at once; {n} calls, 2 in flight: {counts:?}");
    assert!(slow < n / 20, "the slow provider got {slow} of {n} calls");
    stop(probes).await;
}

/// `sayHello(name)` for each name; which provider served each name.
async fn served_by(
    client: &Client,
    probes: &[Probe],
    names: &[String],
) -> BTreeMap<String, String> {
    for p in probes {
        p.state.log.lock().unwrap().clear();
    }
    for name in names {
        let _: String = client.call(method::SAY_HELLO, arg(name)).await.unwrap();
    }
    let mut by = BTreeMap::new();
    for p in probes {
        for name in p.state.names() {
            assert!(
                by.insert(name.clone(), p.state.tag.clone()).is_none(),
                "{name} went to two providers"
            );
        }
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistenthash_sends_the_same_argument_to_the_same_provider() {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    let probes = fleet(&registry, &[&[], &[], &[], &[], &[]]).await;
    let client = client(&registry, "consistenthash", 5).await;
    let names: Vec<String> = (0..300).map(|i| format!("user-{i}")).collect();
    let first = served_by(&client, &probes, &names).await;
    let again = served_by(&client, &probes, &names).await;
    assert_eq!(first, again, "an argument moved between two rounds");
    let mut per_provider: BTreeMap<&str, usize> = BTreeMap::new();
    for tag in first.values() {
        *per_provider.entry(tag).or_default() += 1;
    }
    println!(
        "CONSISTENTHASH 300 names, twice: identical mapping; names per provider {per_provider:?}"
    );
    assert_eq!(
        per_provider.len(),
        5,
        "every provider owns part of the ring"
    );
    stop(probes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistenthash_moves_only_the_arguments_of_a_removed_provider() {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    let mut probes = fleet(&registry, &[&[], &[], &[], &[], &[]]).await;
    let client = client(&registry, "consistenthash", 5).await;
    let names: Vec<String> = (0..300).map(|i| format!("user-{i}")).collect();
    let before = served_by(&client, &probes, &names).await;
    let gone = probes.remove(2);
    let gone_tag = gone.state.tag.clone();
    gone.server.shutdown().await;
    let mut watch = client.directory().watch();
    tokio::time::timeout(Duration::from_secs(5), watch.wait_for(|l| l.len() == 4))
        .await
        .expect("provider removed")
        .unwrap();
    let after = served_by(&client, &probes, &names).await;
    let moved: Vec<&String> = names.iter().filter(|n| before[*n] != after[*n]).collect();
    let owned_by_gone = before.values().filter(|t| **t == gone_tag).count();
    println!(
        "CONSISTENTHASH {gone_tag} removed: {} of 300 names moved, {owned_by_gone} were on {gone_tag}",
        moved.len()
    );
    assert!(moved.iter().all(|n| before[*n] == gone_tag));
    assert_eq!(moved.len(), owned_by_gone);
    stop(probes).await;
}
