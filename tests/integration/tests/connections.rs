//! How many connections a client opens to a provider: one per address shared by every client
//! of the process by default, or `connections` of its own (Java's `connections`), set by the
//! consumer or by the provider's URL, used in turn.
//!
//! A forwarder in front of the provider counts the connections it accepts and the request
//! bytes each one carries.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use dubbo_integration_tests::{arg, greeter_client, method, start_greeter};
use dubbo_rpc::client::ClientBuilder;
use dubbo_rpc::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Consecutive calls a client sends on one of its connections before the next one's turn.
const CALLS_PER_TURN: usize = 128;

/// Request bytes forwarded on each accepted connection, in accept order.
type Forwarded = Arc<Mutex<Vec<usize>>>;

/// Listens on a fresh port and forwards every connection to `target`, counting the bytes
/// each one sends towards it.
async fn counting_forwarder(target: SocketAddr) -> (SocketAddr, Forwarded) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let forwarded: Forwarded = Arc::default();
    let counts = forwarded.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let index = {
                let mut counts = counts.lock().unwrap();
                counts.push(0);
                counts.len() - 1
            };
            let counts = counts.clone();
            tokio::spawn(async move {
                let upstream = TcpStream::connect(target).await.unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut upstream_read, mut upstream_write) = upstream.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut upstream_read, &mut client_write).await;
                });
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match client_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    counts.lock().unwrap()[index] += n;
                    if upstream_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, forwarded)
}

async fn say_hello_times(client: &Client, n: usize) {
    for i in 0..n {
        let name = format!("n{i}");
        let reply: String = client.call(method::SAY_HELLO, arg(&name)).await.unwrap();
        assert_eq!(reply, format!("Hello {name}"));
    }
}

/// Makes `calls` calls through a client built from `builder` on the provider's URL with
/// `query` appended; returns the request bytes of each connection the provider accepted.
async fn forwarded_after(query: &str, builder: ClientBuilder, calls: usize) -> Vec<usize> {
    let server = start_greeter("a").await;
    let (addr, forwarded) = counting_forwarder(server.local_addr()).await;
    let client = greeter_client(&format!("dubbo://{addr}{query}"), builder).await;
    say_hello_times(&client, calls).await;
    let counts = forwarded.lock().unwrap().clone();
    server.shutdown().await;
    counts
}

#[tokio::test]
async fn a_client_with_connections_opens_that_many_and_uses_each_in_turn() {
    let counts = forwarded_after("", Client::builder().connections(3), 3 * CALLS_PER_TURN).await;
    assert_eq!(counts.len(), 3, "connections opened: {counts:?}");
    assert!(counts.iter().all(|bytes| *bytes > 0), "{counts:?}");
}

#[tokio::test]
async fn the_provider_urls_connections_parameter_applies_when_the_client_sets_none() {
    let counts = forwarded_after("?connections=2", Client::builder(), 2 * CALLS_PER_TURN).await;
    assert_eq!(counts.len(), 2);
}

#[tokio::test]
async fn clients_without_connections_share_one_connection_per_address() {
    let server = start_greeter("a").await;
    let (addr, forwarded) = counting_forwarder(server.local_addr()).await;
    let url = format!("dubbo://{addr}");
    let first = greeter_client(&url, Client::builder()).await;
    let second = greeter_client(&url, Client::builder()).await;
    say_hello_times(&first, 2 * CALLS_PER_TURN).await;
    say_hello_times(&second, 2 * CALLS_PER_TURN).await;
    assert_eq!(forwarded.lock().unwrap().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn the_clients_connections_win_over_the_provider_urls() {
    let builder = Client::builder().parameter("connections", "2");
    let counts = forwarded_after("?connections=4", builder, 4 * CALLS_PER_TURN).await;
    assert_eq!(counts.len(), 2);
}
