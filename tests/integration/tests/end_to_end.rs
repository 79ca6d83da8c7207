//! A Rust consumer calls a Rust provider over TCP with the real dubbo wire format.

use std::time::Duration;

use dubbo_integration_tests::{arg, greeter_client, init_tracing, method, no_args, start_greeter};
use dubbo_rpc::{Client, RpcError, StatusCode};

#[tokio::test]
async fn say_hello_round_trips() {
    init_tracing();
    let server = start_greeter("a").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder(),
    )
    .await;
    let reply: String = client.call(method::SAY_HELLO, arg("world")).await.unwrap();
    assert_eq!(reply, "Hello world");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_share_one_connection() {
    let server = start_greeter("a").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder(),
    )
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2000 {
        let client = client.clone();
        tasks.spawn(async move {
            let name = format!("n{i}");
            let reply: String = client.call(method::SAY_HELLO, arg(&name)).await.unwrap();
            assert_eq!(reply, format!("Hello {name}"));
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
        done += 1;
    }
    assert_eq!(done, 2000);
    server.shutdown().await;
}

#[tokio::test]
async fn business_error_arrives_as_java_runtime_exception() {
    let server = start_greeter("a").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder(),
    )
    .await;
    let err = client
        .call::<String>(method::FAIL, arg("boom"))
        .await
        .unwrap_err();
    match err {
        RpcError::Business(e) => {
            assert_eq!(e.class, "java.lang.RuntimeException");
            assert_eq!(e.message.as_deref(), Some("boom"));
        }
        other => panic!("expected a business error, got {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn business_error_is_not_retried() {
    let server = start_greeter("a").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder(),
    )
    .await;
    let _ = client.call::<String>(method::FAIL, arg("once")).await;
    // One attempt only: nothing else is in flight and the server answered exactly once.
    assert_eq!(server.in_flight(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn slow_call_times_out_and_the_connection_stays_usable() {
    let server = start_greeter("a").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder()
            .timeout(Duration::from_millis(100))
            .retries(0),
    )
    .await;
    let started = std::time::Instant::now();
    let err = client
        .call::<String>(method::SLEEP, arg(&1000i32))
        .await
        .unwrap_err();
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(900));
    let reply: String = client.call(method::SAY_HELLO, arg("again")).await.unwrap();
    assert_eq!(reply, "Hello again");
    server.shutdown().await;
}

#[tokio::test]
async fn default_timeout_is_one_second() {
    let server = start_greeter("a").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder().retries(0),
    )
    .await;
    let started = std::time::Instant::now();
    let err = client
        .call::<String>(method::SLEEP, arg(&3000i32))
        .await
        .unwrap_err();
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1000) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_version_gets_status_70() {
    let server = start_greeter("a").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder().version("9.9.9").retries(0),
    )
    .await;
    let err = client
        .call::<String>(method::WHO_AM_I, no_args())
        .await
        .unwrap_err();
    match err {
        RpcError::Status { code, message } => {
            assert_eq!(code, StatusCode::SERVICE_ERROR);
            assert!(message.contains("Not found exported service"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn no_argument_method_round_trips() {
    let server = start_greeter("tag-1").await;
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder(),
    )
    .await;
    let reply: String = client.call(method::WHO_AM_I, no_args()).await.unwrap();
    assert_eq!(reply, "tag-1");
    server.shutdown().await;
}
