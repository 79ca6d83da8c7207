//! Graceful shutdown seen from a consumer: the provider unregisters first, then sends the
//! readonly event; consumers stop choosing it at once; calls in flight complete.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dubbo_integration_tests::cluster_support::{probe_client, start_probe, Probe, ProbeHandler};
use dubbo_integration_tests::{arg, method};
use dubbo_rpc::cluster::Invoker;
use dubbo_rpc::registry::{MemoryRegistry, Registry, RegistryError, Subscription};
use dubbo_rpc::server::Server;
use dubbo_rpc::{Client, Url};

/// The consumer's invoker for `address`.
fn invoker(client: &Client, address: &str) -> Arc<Invoker> {
    client
        .directory()
        .list()
        .iter()
        .find(|i| i.address() == address)
        .cloned()
        .expect("provider listed")
}

/// Spins on another thread until `invoker` is no longer available (readonly or closed) and
/// returns when that was first seen.
fn unavailable_at(invoker: Arc<Invoker>) -> std::thread::JoinHandle<Instant> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while invoker.is_available() {
            assert!(
                Instant::now() < deadline,
                "provider never became unavailable"
            );
            std::hint::spin_loop();
        }
        Instant::now()
    })
}

/// `sayHello("<seq>")` from `workers` loops; the start instant of every call by sequence
/// number, and the number of failed calls.
struct SeqLoad {
    stop: Arc<AtomicBool>,
    started: Arc<Mutex<Vec<Instant>>>,
    tasks: Vec<tokio::task::JoinHandle<usize>>,
}

impl SeqLoad {
    fn start(client: &Client, workers: usize) -> SeqLoad {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Arc::new(Mutex::new(Vec::new()));
        let tasks = (0..workers)
            .map(|_| {
                let (client, stop, started) = (client.clone(), stop.clone(), started.clone());
                tokio::spawn(async move {
                    let mut failed = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let seq = {
                            let mut s = started.lock().unwrap();
                            s.push(Instant::now());
                            s.len() - 1
                        };
                        if let Err(e) = client
                            .call::<String>(method::SAY_HELLO, arg(&seq.to_string()))
                            .await
                        {
                            eprintln!("call {seq} failed: {e}");
                            failed += 1;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    failed
                })
            })
            .collect();
        SeqLoad {
            stop,
            started,
            tasks,
        }
    }

    /// Stops; returns the start instant of every call (by sequence number) and the number
    /// of failed calls.
    async fn stop(self) -> (Vec<Instant>, usize) {
        self.stop.store(true, Ordering::Relaxed);
        let mut failed = 0;
        for t in self.tasks {
            failed += t.await.unwrap();
        }
        let started = self.started.lock().unwrap().clone();
        (started, failed)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_stop_choosing_a_provider_once_it_sends_readonly() {
    // direct URLs: no registry tells the consumer anything, only the readonly event can
    let a = start_probe("a", None, &[]).await;
    let b = start_probe("b", None, &[]).await;
    let client = probe_client(
        Client::builder()
            .url(format!("dubbo://{},dubbo://{}", a.address(), b.address()))
            .loadbalance("roundrobin"),
    )
    .await;
    let load = SeqLoad::start(&client, 4);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(a.state.calls() > 0, "a received calls before its shutdown");

    let seen = unavailable_at(invoker(&client, &a.address()));
    let Probe { server, state } = a;
    let shutdown_started = Instant::now();
    let shutdown = tokio::spawn(server.shutdown());
    let seen = tokio::task::spawn_blocking(move || seen.join().unwrap())
        .await
        .unwrap();
    shutdown.await.unwrap();
    let shutdown_took = shutdown_started.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (started, failed) = load.stop().await;

    let seq = |name: &String| name.parse::<usize>().unwrap();
    let at_a: Vec<usize> = state.names().iter().map(seq).collect();
    let late: Vec<usize> = at_a
        .iter()
        .copied()
        .filter(|s| started[*s] > seen)
        .collect();
    let during = at_a
        .iter()
        .filter(|s| started[**s] > shutdown_started)
        .count();
    let after_seen_total = started.iter().filter(|t| **t > seen).count();
    println!(
        "READONLY consumer saw a readonly {:?} after its shutdown began; shutdown took {shutdown_took:?}; \
         {} calls in all, {failed} failed; a got {} calls, {during} of them started after its shutdown \
         began (before the event arrived); of the {after_seen_total} calls started after the event, {} reached a",
        seen - shutdown_started,
        started.len(),
        at_a.len(),
        late.len()
    );
    assert!(
        late.is_empty(),
        "calls started after the readonly event reached a: {late:?}"
    );
    assert!(
        after_seen_total > 0,
        "the load kept running after the event"
    );
    assert_eq!(failed, 0);
    b.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_during_shutdown_completes() {
    let a = start_probe("a", None, &[]).await;
    let client = probe_client(
        Client::builder()
            .url(format!("dubbo://{}", a.address()))
            .timeout(Duration::from_secs(5)),
    )
    .await;
    let slow = {
        let client = client.clone();
        tokio::spawn(async move { client.call::<String>(method::SLEEP, arg(&800i32)).await })
    };
    while a.state.calls_of(method::SLEEP) == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let arrived = Instant::now();
    let Probe { server, .. } = a;
    server.shutdown().await;
    let shutdown_took = arrived.elapsed();
    let reply = slow.await.unwrap();
    println!("IN-FLIGHT sleep(800) in flight at shutdown -> {reply:?}; shutdown returned {shutdown_took:?} after the call arrived");
    assert_eq!(reply.unwrap(), "slept 800");
    assert!(
        shutdown_took >= Duration::from_millis(700),
        "shutdown waited for the call"
    );
}

/// A registry that records when `unregister` returned.
#[derive(Debug)]
struct Recording {
    inner: MemoryRegistry,
    unregistered: Mutex<Option<Instant>>,
}

#[dubbo_rpc::async_trait]
impl Registry for Recording {
    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        self.inner.register(url).await
    }

    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        let r = self.inner.unregister(url).await;
        *self.unregistered.lock().unwrap() = Some(Instant::now());
        r
    }

    async fn subscribe(&self, consumer: &Url) -> Result<Subscription, RegistryError> {
        self.inner.subscribe(consumer).await
    }

    async fn shutdown(&self) {
        self.inner.shutdown().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_unregisters_before_it_sends_readonly() {
    let table = MemoryRegistry::new();
    let recording = Arc::new(Recording {
        inner: table.new_session(),
        unregistered: Mutex::new(None),
    });
    let a = start_probe("a", Some(recording.clone()), &[]).await;
    let b = start_probe("b", Some(Arc::new(table.new_session())), &[]).await;
    let client = probe_client(
        Client::builder()
            .registry(Arc::new(table.clone()))
            .wait_for_providers(Duration::from_secs(5)),
    )
    .await;
    tokio::time::timeout(
        Duration::from_secs(5),
        client.directory().watch().wait_for(|l| l.len() == 2),
    )
    .await
    .unwrap()
    .unwrap();
    let address = a.address();
    // connect to a (an invoker only connects on its first call)
    for _ in 0..20 {
        let _: String = client.call(method::SAY_HELLO, arg("warm")).await.unwrap();
    }
    let readonly = unavailable_at(invoker(&client, &address));
    let mut directory = client.directory().watch();
    let removed = tokio::spawn(async move {
        directory
            .wait_for(|l| l.iter().all(|i| i.address() != address))
            .await
            .unwrap();
        Instant::now()
    });
    let started = Instant::now();
    a.server.shutdown().await;
    let removed = removed.await.unwrap();
    let readonly = tokio::task::spawn_blocking(move || readonly.join().unwrap())
        .await
        .unwrap();
    let unregistered = recording
        .unregistered
        .lock()
        .unwrap()
        .expect("unregistered");
    println!(
        "ORDER shutdown began at 0: unregister returned {:?}, consumer dropped it from the directory {:?}, \
         consumer saw the readonly event {:?}",
        unregistered - started,
        removed - started,
        readonly - started
    );
    assert!(unregistered <= readonly, "readonly before unregister");
    assert_eq!(listed_len(&client), 1);
    b.server.shutdown().await;
}

fn listed_len(client: &Client) -> usize {
    client.directory().list().len()
}

/// A stuck call must not hold shutdown forever: Java closes the channels once
/// `shutdown.wait` elapses, and so do we (plus a short grace).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_calls_in_flight_only_up_to_its_limit() {
    let server = Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .shutdown_timeout(Duration::from_millis(300))
        .add_service(ProbeHandler::new("a"))
        .serve()
        .await
        .unwrap();
    let client = probe_client(
        Client::builder()
            .url(format!("dubbo://{}", server.local_addr()))
            .timeout(Duration::from_secs(10))
            .retries(0),
    )
    .await;
    let slow = {
        let client = client.clone();
        tokio::spawn(async move { client.call::<String>(method::SLEEP, arg(&5000i32)).await })
    };
    while server.in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(3), server.shutdown())
        .await
        .expect("shutdown returns within 3 s although a 5 s call is in flight");
    let took = started.elapsed();
    println!("BOUNDED shutdown_timeout 300 ms with a 5 s call in flight: shutdown took {took:?}; the call: {:?}", slow.await.unwrap());
}
