//! The interop matrix with a real Apache Dubbo 3.3 Java peer, through a real ZooKeeper:
//!
//! 1. Java consumer → Rust provider, Java on default settings and with `FORCE_INTERFACE`;
//! 2. Rust consumer → Java provider (`register-mode=all`, Dubbo's default);
//! 3. mixed fleet: a Java and a Rust provider of the same interfaces; a Rust consumer and a
//!    `FORCE_INTERFACE` Java consumer both spread over them, and a default Java consumer is
//!    shown to use only the Java provider (protocol.md §7.2).
//!
//! Each test runs in its own ZooKeeper root (`?group=` of the registry URL), so runs never see
//! each other. ZooKeeper comes from `ZK_CONNECT` (else it is started), the Java peer from
//! `JAVA_PEER_CLASSPATH` (else it is built); if either cannot run, the test fails. Every Java
//! child is killed (its whole process group) when its guard drops, failing or not.

use std::sync::Arc;
use std::time::Duration;

use dubbo_interop_tests::consumer::{self, Clients, Expect, Report};
use dubbo_interop_tests::harness::{self, parse_java_cases, say, JavaProcess};
use dubbo_interop_tests::serve_provider;
use dubbo_rpc::registry::Registry;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn registry(url: &str) -> Arc<dyn Registry> {
    let url = dubbo_rpc::Url::parse(url).expect("registry url");
    Arc::new(
        dubbo_registry::ZookeeperRegistry::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to ZooKeeper at {url}: {e}")),
    )
}

/// Runs the Java consumer driver to the end and returns (passed, failed, failures).
fn java_consumer(direction: &str, args: &[&str]) -> (usize, usize, Vec<String>) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    say(&format!("== {direction}: java consumer {}", args.join(" ")));
    let (status, lines) = JavaProcess::consumer(&args).finish(Duration::from_secs(240));
    let (cases, totals) = parse_java_cases(&lines);
    let passed = cases.iter().filter(|c| c.passed).count();
    let failed = cases.len() - passed;
    let mut failures: Vec<String> = cases
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{direction}: {} {}", c.name, c.detail))
        .collect();
    if cases.is_empty() {
        failures.push(format!(
            "{direction}: the Java consumer ran no case ({status:?})"
        ));
    }
    if totals != Some((passed, failed)) {
        failures.push(format!(
            "{direction}: Java consumer's closing line {totals:?} does not match its CASE lines \
             ({passed} passed, {failed} failed; exit {status:?})"
        ));
    }
    say(&format!(
        "interop {direction}: {passed} passed, {failed} failed"
    ));
    (passed, failed, failures)
}

/// Nothing leaks on the Rust provider: once the consumers are done, every call (the timed-out
/// `sleep` included, which finishes on its own) has completed.
fn assert_no_calls_left(server: &dubbo_rpc::server::RunningServer, failures: &mut Vec<String>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.in_flight() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if server.in_flight() > 0 {
        failures.push(format!(
            "{} calls still in flight on the Rust provider",
            server.in_flight()
        ));
    }
}

fn rust_summary(direction: &str, report: &Report) -> Vec<String> {
    say(&format!(
        "interop {direction}: {} passed, {} failed",
        report.passed(),
        report.failed()
    ));
    report
        .cases
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{direction}: {} {}", c.name, c.detail))
        .collect()
}

#[test]
fn java_consumer_to_rust_provider() {
    let _jvm = harness::jvm_lock();
    let root = harness::unique("interop-j2r");
    let url = harness::registry_url(&root);
    let rt = runtime();
    let server = rt.block_on(async {
        serve_provider(
            Some(registry(&url).await),
            harness::loopback_host(),
            0,
            "rust-interop-provider",
            "rust",
        )
        .await
        .expect("Rust provider serves")
    });
    say(&format!(
        "== Rust provider on port {} registered in /{root}",
        server.local_addr().port()
    ));
    let mut failures = Vec::new();
    for (direction, mode) in [
        ("java->rust (default)", "default"),
        ("java->rust (force-interface)", "force-interface"),
    ] {
        let (_, _, f) = java_consumer(
            direction,
            &[
                "--registry",
                &url,
                "--mode",
                mode,
                "--expect-provider",
                "rust",
            ],
        );
        failures.extend(f);
    }
    assert_no_calls_left(&server, &mut failures);
    rt.block_on(server.shutdown());
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}

#[test]
fn rust_consumer_to_java_provider() {
    let _jvm = harness::jvm_lock();
    let root = harness::unique("interop-r2j");
    let url = harness::registry_url(&root);
    let _provider = JavaProcess::provider(&url, &harness::unique("java-interop-provider"), &[]);
    let rt = runtime();
    let report = rt.block_on(async {
        let clients = Clients::connect(registry(&url).await, Duration::from_secs(30))
            .await
            .expect("Java provider discovered in ZooKeeper");
        consumer::run_cases(&clients, Expect::Java, None).await
    });
    let failures = rust_summary("rust->java", &report);
    assert!(
        report.cases.len() >= 74,
        "only {} cases ran",
        report.cases.len()
    );
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}

#[test]
fn mixed_fleet() {
    let _jvm = harness::jvm_lock();
    let root = harness::unique("interop-mixed");
    let url = harness::registry_url(&root);
    let _java = JavaProcess::provider(&url, &harness::unique("java-interop-provider"), &[]);
    let rt = runtime();
    let (server, report, spread) = rt.block_on(async {
        let reg = registry(&url).await;
        let server = serve_provider(
            Some(reg.clone()),
            harness::loopback_host(),
            0,
            "rust-interop-provider",
            "rust",
        )
        .await
        .expect("Rust provider serves");
        let clients = Clients::connect(reg, Duration::from_secs(30))
            .await
            .expect("providers discovered");
        // The second provider may show up in the directory a moment after the first.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let spread = loop {
            let spread = consumer::spread(&clients.svc, 40)
                .await
                .expect("whoAmI calls");
            if spread.len() >= 2 || tokio::time::Instant::now() >= deadline {
                break spread;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let report = consumer::run_cases(&clients, Expect::Both, None).await;
        (server, report, spread)
    });
    say(&format!(
        "== mixed fleet, Rust consumer: whoAmI x40 answered by {spread:?}"
    ));
    let mut failures = rust_summary("mixed rust-consumer", &report);
    if spread.get("java").copied().unwrap_or(0) == 0
        || spread.get("rust").copied().unwrap_or(0) == 0
    {
        failures.push(format!(
            "Rust consumer did not spread over both providers: {spread:?}"
        ));
    }
    let (_, _, f) = java_consumer(
        "mixed java-consumer (force-interface)",
        &[
            "--registry",
            &url,
            "--mode",
            "force-interface",
            "--expect-provider",
            "both",
        ],
    );
    failures.extend(f);
    // A default (APPLICATION_FIRST) Java 3.x consumer: the Java provider also registered at
    // application level (/services, mapping), so the consumer uses only that address set and
    // never calls the interface-level-only Rust provider (protocol.md §7.2).
    let (_, _, f) = java_consumer(
        "mixed java-consumer (default)",
        &[
            "--registry",
            &url,
            "--expect-provider",
            "java",
            "--cases",
            "provider_spread,version_default,version_group_v1,version_group_v2,user_full,demo_say_hello",
        ],
    );
    failures.extend(f);
    assert_no_calls_left(&server, &mut failures);
    rt.block_on(server.shutdown());
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}

/// Not a Java direction: the same Rust driver against the Rust provider alone, so every case
/// (the Rust provider's `$invoke` from a Rust generic client included) is checked without the
/// randomness of the mixed fleet.
#[test]
fn rust_consumer_to_rust_provider() {
    let root = harness::unique("interop-r2r");
    let url = harness::registry_url(&root);
    let rt = runtime();
    let report = rt.block_on(async {
        let reg = registry(&url).await;
        let server = serve_provider(
            Some(reg.clone()),
            harness::loopback_host(),
            0,
            "rust-interop-provider",
            "rust",
        )
        .await
        .expect("Rust provider serves");
        let clients = Clients::connect(reg, Duration::from_secs(30))
            .await
            .expect("Rust provider discovered in ZooKeeper");
        let report = consumer::run_cases(&clients, Expect::Rust, None).await;
        server.shutdown().await;
        report
    });
    let failures = rust_summary("rust->rust", &report);
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}
