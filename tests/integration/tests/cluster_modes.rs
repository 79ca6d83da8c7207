//! Every cluster mode's semantics through the real client, counting the attempts each
//! provider receives; and where the `timeout`, `retries`, `loadbalance` and `cluster` of a
//! call come from (consumer method > consumer service > provider URL method > provider URL
//! service > Java default).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dubbo_integration_tests::cluster_support::{probe_client, start_probe, Probe};
use dubbo_integration_tests::{arg, method, no_args};
use dubbo_rpc::attachments::Attachments;
use dubbo_rpc::client::settings::CallSettings;
use dubbo_rpc::client::ClientBuilder;
use dubbo_rpc::registry::{MemoryRegistry, Registry};
use dubbo_rpc::{Client, RpcError};

/// `n` providers registered with the same URL parameters, and a client builder on them.
async fn fleet(n: usize, params: &[(&str, &str)]) -> (Vec<Probe>, ClientBuilder) {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new());
    let mut probes = Vec::new();
    for i in 0..n {
        probes.push(start_probe(&format!("p{i}"), Some(registry.clone()), params).await);
    }
    let builder = Client::builder()
        .registry(registry)
        .wait_for_providers(Duration::from_secs(5));
    (probes, builder)
}

/// Calls of `method` each provider received.
fn attempts(probes: &[Probe], method: usize) -> Vec<usize> {
    probes.iter().map(|p| p.state.calls_of(method)).collect()
}

fn fail_all(probes: &[Probe]) {
    for p in probes {
        p.state.fail_all.store(true, Ordering::Relaxed);
    }
}

async fn stop(probes: Vec<Probe>) {
    for p in probes {
        p.server.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------
// failover

#[tokio::test]
async fn failover_tries_each_provider_once_then_fails() {
    let (probes, builder) = fleet(3, &[]).await;
    fail_all(&probes);
    let client = probe_client(builder).await;
    let err = client
        .call::<String>(method::SAY_HELLO, arg("x"))
        .await
        .unwrap_err();
    let per_provider = attempts(&probes, method::SAY_HELLO);
    println!("FAILOVER all 3 providers fail (status 80): attempts per provider {per_provider:?}; error: {err}");
    assert!(matches!(err, RpcError::Status { .. }), "{err:?}");
    assert_eq!(
        per_provider,
        vec![1, 1, 1],
        "retries=2: 3 attempts, 3 distinct providers"
    );
    stop(probes).await;
}

#[tokio::test]
async fn failover_hides_failing_providers() {
    let (probes, builder) = fleet(3, &[]).await;
    probes[0].state.fail_all.store(true, Ordering::Relaxed);
    probes[1].state.fail_all.store(true, Ordering::Relaxed);
    let client = probe_client(builder).await;
    for i in 0..100 {
        let reply: String = client
            .call(method::SAY_HELLO, arg(&format!("n{i}")))
            .await
            .expect("failover reaches the healthy provider");
        assert_eq!(reply, format!("Hello n{i}"));
    }
    let per_provider = attempts(&probes, method::SAY_HELLO);
    println!("FAILOVER 2 of 3 providers fail: 100 calls, 0 failed; attempts per provider {per_provider:?}");
    assert_eq!(per_provider[2], 100);
    // a failed provider is never tried twice by one call
    assert!(per_provider[0] <= 100 && per_provider[1] <= 100);
    stop(probes).await;
}

#[tokio::test]
async fn failover_never_retries_a_business_exception() {
    let (probes, builder) = fleet(3, &[]).await;
    let client = probe_client(builder).await;
    for _ in 0..30 {
        let err = client
            .call::<String>(method::FAIL, arg("boom"))
            .await
            .unwrap_err();
        assert!(err.is_business(), "{err:?}");
    }
    let per_provider = attempts(&probes, method::FAIL);
    println!("FAILOVER 30 business exceptions: attempts per provider {per_provider:?} (30 in all)");
    assert_eq!(per_provider.iter().sum::<usize>(), 30);
    stop(probes).await;
}

#[tokio::test]
async fn failover_gives_every_attempt_the_whole_timeout() {
    let (probes, builder) = fleet(3, &[]).await;
    let client = probe_client(builder.timeout(Duration::from_millis(200))).await;
    let started = Instant::now();
    let err = client
        .call::<String>(method::SLEEP, arg(&1000i32))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    let per_provider = attempts(&probes, method::SLEEP);
    println!(
        "FAILOVER timeout 200 ms, provider sleeps 1 s: 3 attempts {per_provider:?} in {elapsed:?}"
    );
    assert!(
        matches!(&err, RpcError::Timeout { method, .. } if method == "sleep"),
        "{err:?}"
    );
    assert_eq!(per_provider, vec![1, 1, 1]);
    assert!(
        elapsed >= Duration::from_millis(590) && elapsed < Duration::from_millis(1000),
        "3 attempts of 200 ms each took {elapsed:?}"
    );
    stop(probes).await;
}

// ---------------------------------------------------------------------------------------
// other modes

#[tokio::test]
async fn every_attempt_sends_the_consumers_timeout_over_one_the_caller_attached() {
    let (probes, builder) = fleet(2, &[]).await;
    let client = probe_client(builder.timeout(Duration::from_millis(750))).await;
    fail_all(&probes);
    let mut attachments = Attachments::new();
    attachments.insert_str("timeout", "5");
    let err = client
        .call_with::<String>(method::SAY_HELLO, arg("x"), attachments)
        .await
        .unwrap_err();
    assert!(!err.is_business(), "{err:?}");
    let sent: Vec<Option<String>> = probes
        .iter()
        .flat_map(|p| {
            p.state
                .log
                .lock()
                .unwrap()
                .iter()
                .map(|r| r.timeout.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    // Failover: three attempts, each with the consumer's timeout.
    assert_eq!(sent, vec![Some("750".to_owned()); 3]);
    stop(probes).await;
}

#[tokio::test]
async fn failfast_makes_a_single_attempt() {
    let (probes, builder) = fleet(3, &[]).await;
    fail_all(&probes);
    let client = probe_client(builder.cluster("failfast")).await;
    let err = client
        .call::<String>(method::SAY_HELLO, arg("x"))
        .await
        .unwrap_err();
    let per_provider = attempts(&probes, method::SAY_HELLO);
    println!("FAILFAST attempts per provider {per_provider:?}");
    assert!(matches!(err, RpcError::Status { .. }), "{err:?}");
    assert_eq!(per_provider.iter().sum::<usize>(), 1);
    stop(probes).await;
}

#[tokio::test]
async fn failsafe_turns_a_failure_into_a_null_result() {
    let (probes, builder) = fleet(2, &[]).await;
    fail_all(&probes);
    let client = probe_client(builder.cluster("failsafe")).await;
    let reply: Option<String> = client
        .call(method::SAY_HELLO, arg("x"))
        .await
        .expect("failsafe swallows the failure");
    let per_provider = attempts(&probes, method::SAY_HELLO);
    println!("FAILSAFE result {reply:?}, attempts per provider {per_provider:?}");
    assert_eq!(reply, None);
    assert_eq!(per_provider.iter().sum::<usize>(), 1);
    stop(probes).await;
}

#[tokio::test]
async fn failsafe_still_reports_a_business_exception() {
    let (probes, builder) = fleet(2, &[]).await;
    let client = probe_client(builder.cluster("failsafe")).await;
    let err = client
        .call::<String>(method::FAIL, arg("x"))
        .await
        .unwrap_err();
    assert!(err.is_business(), "{err:?}");
    stop(probes).await;
}

#[tokio::test]
async fn failback_returns_null_and_retries_in_the_background() {
    let (probes, builder) = fleet(1, &[]).await;
    probes[0].state.fail_next.store(1, Ordering::Relaxed);
    let client = probe_client(builder.cluster("failback")).await;
    let started = Instant::now();
    let reply: Option<String> = client
        .call(method::SAY_HELLO, arg("later"))
        .await
        .expect("failback hides the failure");
    let returned = started.elapsed();
    assert_eq!(reply, None);
    assert_eq!(probes[0].state.names(), vec!["later"]);
    // Java retries every 5 s
    let retried = tokio::time::timeout(Duration::from_secs(8), async {
        while probes[0].state.names().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        started.elapsed()
    })
    .await
    .expect("the call is retried in the background");
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!(
        "FAILBACK null result after {returned:?}; background retry reached the provider after {retried:?}; calls {:?}",
        probes[0].state.names()
    );
    assert!(retried >= Duration::from_millis(4900));
    assert_eq!(
        probes[0].state.names(),
        vec!["later", "later"],
        "one successful retry"
    );
    stop(probes).await;
}

#[tokio::test]
async fn forking_calls_two_distinct_providers_and_the_first_success_wins() {
    let (probes, builder) = fleet(3, &[]).await;
    probes[0].state.delay_ms.store(400, Ordering::Relaxed);
    probes[1].state.delay_ms.store(400, Ordering::Relaxed);
    let client = probe_client(builder.cluster("forking")).await;
    let mut fast_wins = 0;
    let mut slowest = Duration::ZERO;
    for i in 0..20 {
        let name = format!("f{i}");
        let started = Instant::now();
        let _: String = client.call(method::SAY_HELLO, arg(&name)).await.unwrap();
        let took = started.elapsed();
        slowest = slowest.max(took);
        let reached: Vec<usize> = (0..3)
            .filter(|p| probes[*p].state.names().contains(&name))
            .collect();
        assert_eq!(reached.len(), 2, "{name} reached {reached:?}");
        if reached.contains(&2) {
            // the fast provider was one of the two: its answer came first
            assert!(took < Duration::from_millis(300), "{name} took {took:?}");
            fast_wins += 1;
        }
    }
    println!(
        "FORKING forks=2 over 3 providers (2 answer in 400 ms): every call reached 2 distinct providers; \
         {fast_wins}/20 included the fast one and returned in < 300 ms; slowest call {slowest:?}"
    );
    assert!(fast_wins > 0);
    stop(probes).await;
}

#[tokio::test]
async fn forking_succeeds_when_one_fork_fails() {
    let (probes, builder) = fleet(2, &[]).await;
    probes[0].state.fail_all.store(true, Ordering::Relaxed);
    let client = probe_client(builder.cluster("forking")).await;
    for i in 0..10 {
        let _: String = client
            .call(method::SAY_HELLO, arg(&format!("f{i}")))
            .await
            .expect("the healthy fork wins");
    }
    assert_eq!(attempts(&probes, method::SAY_HELLO), vec![10, 10]);
    stop(probes).await;
}

#[tokio::test]
async fn broadcast_calls_every_provider() {
    let (probes, builder) = fleet(5, &[]).await;
    let client = probe_client(builder.cluster("broadcast")).await;
    let reply: String = client.call(method::SAY_HELLO, arg("all")).await.unwrap();
    let per_provider = attempts(&probes, method::SAY_HELLO);
    println!("BROADCAST reply {reply:?}, calls per provider {per_provider:?}");
    assert_eq!(per_provider, vec![1; 5]);
    stop(probes).await;
}

#[tokio::test]
async fn broadcast_fails_when_any_provider_fails_but_still_calls_all() {
    let (probes, builder) = fleet(5, &[]).await;
    probes[3].state.fail_all.store(true, Ordering::Relaxed);
    let client = probe_client(builder.cluster("broadcast")).await;
    let err = client
        .call::<String>(method::SAY_HELLO, arg("all"))
        .await
        .unwrap_err();
    let per_provider = attempts(&probes, method::SAY_HELLO);
    println!("BROADCAST one of 5 fails: error {err}; calls per provider {per_provider:?}");
    assert!(matches!(err, RpcError::Status { .. }), "{err:?}");
    assert_eq!(per_provider, vec![1; 5]);
    stop(probes).await;
}

#[tokio::test]
async fn available_always_calls_the_first_available_provider() {
    let (probes, builder) = fleet(3, &[]).await;
    let client = probe_client(builder.cluster("available")).await;
    let first = client.directory().list()[0].address();
    for _ in 0..30 {
        let _: String = client.call(method::WHO_AM_I, no_args()).await.unwrap();
    }
    let per_provider = attempts(&probes, method::WHO_AM_I);
    println!("AVAILABLE 30 calls: per provider {per_provider:?} (first listed {first})");
    let first_probe = probes.iter().position(|p| p.address() == first).unwrap();
    assert_eq!(per_provider[first_probe], 30);
    stop(probes).await;
}

// ---------------------------------------------------------------------------------------
// where settings come from

#[tokio::test]
async fn provider_url_retries_apply_when_the_consumer_sets_none() {
    let (probes, builder) = fleet(3, &[("retries", "0"), ("whoAmI.retries", "1")]).await;
    fail_all(&probes);
    let client = probe_client(builder).await;
    let _ = client.call::<String>(method::SAY_HELLO, arg("x")).await;
    let _ = client.call::<String>(method::WHO_AM_I, no_args()).await;
    let hello = attempts(&probes, method::SAY_HELLO).iter().sum::<usize>();
    let who = attempts(&probes, method::WHO_AM_I).iter().sum::<usize>();
    println!(
        "SETTINGS provider retries=0, whoAmI.retries=1: sayHello {hello} attempt(s), whoAmI {who}"
    );
    assert_eq!((hello, who), (1, 2));
    stop(probes).await;
}

#[tokio::test]
async fn consumer_retries_win_over_the_provider_url() {
    let (probes, builder) = fleet(3, &[("retries", "0")]).await;
    fail_all(&probes);
    let client = probe_client(builder.retries(2).method(
        "whoAmI",
        CallSettings {
            retries: Some(1),
            ..CallSettings::default()
        },
    ))
    .await;
    let _ = client.call::<String>(method::SAY_HELLO, arg("x")).await;
    let _ = client.call::<String>(method::WHO_AM_I, no_args()).await;
    let hello = attempts(&probes, method::SAY_HELLO).iter().sum::<usize>();
    let who = attempts(&probes, method::WHO_AM_I).iter().sum::<usize>();
    println!("SETTINGS provider retries=0, consumer retries=2, consumer whoAmI retries=1: sayHello {hello}, whoAmI {who}");
    assert_eq!((hello, who), (3, 2));
    stop(probes).await;
}

async fn sleep_outcome(client: &Client, ms: i32) -> (Result<String, RpcError>, Duration) {
    let started = Instant::now();
    let r = client.call::<String>(method::SLEEP, arg(&ms)).await;
    (r, started.elapsed())
}

#[tokio::test]
async fn provider_url_timeouts_apply_method_first() {
    let (probes, builder) = fleet(1, &[("timeout", "100"), ("retries", "0")]).await;
    let client = probe_client(builder).await;
    let (r, took) = sleep_outcome(&client, 300).await;
    println!("SETTINGS provider timeout=100: sleep(300) -> {r:?} after {took:?}");
    assert!(matches!(r, Err(RpcError::Timeout { .. })), "{r:?}");
    assert!(took < Duration::from_millis(250));
    stop(probes).await;

    let (probes, builder) = fleet(
        1,
        &[
            ("timeout", "100"),
            ("sleep.timeout", "600"),
            ("retries", "0"),
        ],
    )
    .await;
    let client = probe_client(builder).await;
    let (r, took) = sleep_outcome(&client, 300).await;
    println!(
        "SETTINGS provider timeout=100, sleep.timeout=600: sleep(300) -> {r:?} after {took:?}"
    );
    assert_eq!(r.unwrap(), "slept 300");
    stop(probes).await;
}

#[tokio::test]
async fn consumer_timeout_wins_over_the_provider_url() {
    let (probes, builder) = fleet(1, &[("sleep.timeout", "600"), ("retries", "0")]).await;
    let client = probe_client(builder.timeout(Duration::from_millis(50))).await;
    let (r, took) = sleep_outcome(&client, 300).await;
    println!("SETTINGS provider sleep.timeout=600, consumer timeout=50: sleep(300) -> {r:?} after {took:?}");
    assert!(matches!(r, Err(RpcError::Timeout { .. })), "{r:?}");
    assert!(took < Duration::from_millis(250));
    stop(probes).await;
}

#[tokio::test]
async fn provider_url_loadbalance_applies_and_consumer_method_setting_wins() {
    // warm-up off: weights ramping over the first minutes would skew the exact split
    let (probes, builder) = fleet(5, &[("loadbalance", "roundrobin"), ("warmup", "0")]).await;
    let client = probe_client(builder.method(
        "whoAmI",
        CallSettings {
            loadbalance: Some("consistenthash".into()),
            ..CallSettings::default()
        },
    ))
    .await;
    for i in 0..100 {
        let _: String = client
            .call(method::SAY_HELLO, arg(&format!("n{i}")))
            .await
            .unwrap();
        let _: String = client.call(method::WHO_AM_I, no_args()).await.unwrap();
    }
    let hello = attempts(&probes, method::SAY_HELLO);
    let who = attempts(&probes, method::WHO_AM_I);
    println!("SETTINGS provider loadbalance=roundrobin: sayHello {hello:?}; consumer whoAmI consistenthash (no argument): {who:?}");
    assert_eq!(hello, vec![20; 5], "roundrobin from the provider URL");
    assert_eq!(
        who.iter().filter(|c| **c > 0).count(),
        1,
        "one hash, one provider"
    );
    stop(probes).await;
}

#[tokio::test]
async fn provider_url_cluster_applies_and_consumer_setting_wins() {
    let (probes, builder) = fleet(3, &[("cluster", "broadcast")]).await;
    let client = probe_client(builder).await;
    let _: String = client.call(method::SAY_HELLO, arg("b")).await.unwrap();
    assert_eq!(
        attempts(&probes, method::SAY_HELLO),
        vec![1, 1, 1],
        "broadcast"
    );
    stop(probes).await;

    let (probes, builder) = fleet(3, &[("cluster", "broadcast")]).await;
    let client = probe_client(builder.cluster("failfast")).await;
    let _: String = client.call(method::SAY_HELLO, arg("b")).await.unwrap();
    let per_provider = attempts(&probes, method::SAY_HELLO);
    println!("SETTINGS provider cluster=broadcast reaches 3 providers; consumer cluster=failfast: {per_provider:?}");
    assert_eq!(per_provider.iter().sum::<usize>(), 1);
    stop(probes).await;
}
