//! Connection-level behaviour of the client transport: heartbeats, idle close, cancellation,
//! reconnection, readonly events; and the server's idle close.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use dubbo_integration_tests::GreeterHandler;
use dubbo_rpc::codec::header::{FLAG_EVENT, FLAG_REQUEST, FLAG_TWO_WAY};
use dubbo_rpc::codec::{write_frame, Decoded, DubboCodec, Header};
use dubbo_rpc::server::Server;
use dubbo_rpc::transport::client::{Connection, ConnectionConfig, ConnectionPool};
use dubbo_rpc::StatusCode;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::FramedRead;

fn quick(heartbeat_ms: u64, idle_ms: u64) -> ConnectionConfig {
    ConnectionConfig {
        heartbeat: Duration::from_millis(heartbeat_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        ..ConnectionConfig::default()
    }
}

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    (l, addr)
}

#[tokio::test]
async fn client_sends_a_heartbeat_after_the_heartbeat_interval_without_reads() {
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &quick(150, 10_000))
        .await
        .unwrap();
    let (stream, _) = l.accept().await.unwrap();
    let mut frames = FramedRead::new(stream, DubboCodec::default());
    let frame = tokio::time::timeout(Duration::from_secs(2), frames.next())
        .await
        .expect("a heartbeat within 2 s")
        .unwrap()
        .unwrap();
    match frame {
        Decoded::Frame(f) => {
            assert_eq!(f.header.flags, FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT | 2);
            assert_eq!(&f.body[..], b"N");
        }
        other => panic!("{other:?}"),
    }
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn client_closes_a_connection_that_reads_nothing_for_the_idle_timeout() {
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &quick(100, 300)).await.unwrap();
    let (_silent, _) = l.accept().await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(conn.is_closed());
}

#[tokio::test]
async fn dropping_a_waiting_call_removes_its_pending_entry() {
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &ConnectionConfig::default())
        .await
        .unwrap();
    let (_silent, _) = l.accept().await.unwrap();
    let call = conn.request(b"N");
    assert!(tokio::time::timeout(Duration::from_millis(100), call)
        .await
        .is_err());
    assert_eq!(conn.pending(), 0);
}

#[tokio::test]
async fn pending_calls_fail_when_the_connection_drops() {
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &ConnectionConfig::default())
        .await
        .unwrap();
    let (stream, _) = l.accept().await.unwrap();
    let call = tokio::spawn(async move { conn.request(b"N").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(stream);
    let result = tokio::time::timeout(Duration::from_secs(2), call)
        .await
        .expect("the call ends")
        .unwrap();
    assert!(
        matches!(result, Err(dubbo_rpc::RpcError::Transport { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn readonly_event_marks_the_connection_unavailable() {
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &ConnectionConfig::default())
        .await
        .unwrap();
    let (mut stream, _) = l.accept().await.unwrap();
    assert!(conn.is_available());
    let mut buf = BytesMut::new();
    let header = Header {
        flags: FLAG_REQUEST | FLAG_EVENT | 2,
        status: StatusCode(0),
        id: 1,
        body_len: 0,
    };
    write_frame(&header, &[0x01, b'R'], &mut buf);
    stream.write_all(&buf).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(conn.is_readonly());
    assert!(!conn.is_available());
}

#[tokio::test]
async fn shared_handle_reconnects_after_the_provider_restarts() {
    let server = Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .add_service(GreeterHandler::new("a"))
        .serve()
        .await
        .unwrap();
    let addr = server.local_addr();
    let handle = ConnectionPool::global().handle(&addr.to_string(), &ConnectionConfig::default());
    let first = handle.get().await.unwrap();
    server.shutdown().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(first.is_closed());
    assert!(
        !handle.is_available(),
        "a dropped connection is unavailable"
    );
    // Same port again.
    let server = Server::builder()
        .bind_host("127.0.0.1")
        .port(addr.port())
        .add_service(GreeterHandler::new("b"))
        .serve()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !handle.is_available() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reconnected within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = handle.get().await.unwrap();
    assert!(!Arc::ptr_eq(&first, &again));
    server.shutdown().await;
}

#[tokio::test]
async fn server_closes_connections_idle_for_its_idle_timeout() {
    let server = Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .idle_timeout(Duration::from_millis(300))
        .add_service(GreeterHandler::new("a"))
        .serve()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf))
        .await
        .expect("closed within 3 s")
        .unwrap();
    assert_eq!(n, 0, "EOF");
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_over_the_payload_limit_is_refused_before_it_is_sent() {
    use tokio::io::AsyncReadExt;
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &ConnectionConfig::default())
        .await
        .unwrap();
    let (mut stream, _) = l.accept().await.unwrap();
    let refused = conn.start_request(8, None, |body| {
        body.extend_from_slice(&[b'N'; 9]);
        Ok(())
    });
    assert!(
        matches!(
            refused,
            Err(dubbo_rpc::RpcError::PayloadTooLarge { size: 9, limit: 8 })
        ),
        "{refused:?}"
    );
    assert_eq!(conn.pending(), 0);
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut byte)).await;
    assert!(read.is_err(), "nothing reaches the provider: {read:?}");
}

#[tokio::test]
async fn requests_started_from_many_tasks_reach_the_provider_whole() {
    use dubbo_rpc::codec::{Decoded, DubboCodec};
    use tokio::io::AsyncReadExt;
    use tokio_util::codec::Decoder;
    let (l, addr) = listener().await;
    let conn = std::sync::Arc::new(
        Connection::connect(&addr, &ConnectionConfig::default())
            .await
            .unwrap(),
    );
    let (mut stream, _) = l.accept().await.unwrap();
    let mut waiting = Vec::new();
    for task in 0..8u8 {
        let conn = conn.clone();
        waiting.push(tokio::spawn(async move {
            let mut responses = Vec::new();
            for len in 0..50usize {
                let response = conn
                    .start_request(usize::MAX, None, |body| {
                        body.extend(std::iter::repeat_n(task, len));
                        Ok(())
                    })
                    .unwrap();
                responses.push(response);
                tokio::task::yield_now().await;
            }
            responses
        }));
    }
    let mut held = Vec::new();
    for w in waiting {
        held.extend(w.await.unwrap());
    }
    let mut codec = DubboCodec::default();
    let mut buf = bytes::BytesMut::new();
    let mut frames = 0;
    while frames < 8 * 50 {
        match codec.decode(&mut buf).unwrap() {
            Some(Decoded::Frame(f)) => {
                assert_eq!(f.header.body_len as usize, f.body.len());
                if let Some(first) = f.body.first() {
                    assert!(f.body.iter().all(|b| b == first), "a frame mixes callers");
                }
                frames += 1;
            }
            Some(other) => panic!("{other:?}"),
            None => {
                let n = tokio::time::timeout(Duration::from_secs(2), stream.read_buf(&mut buf))
                    .await
                    .expect("frames arrive")
                    .unwrap();
                assert!(n > 0, "connection closed after {frames} frames");
            }
        }
    }
    assert_eq!(conn.pending(), 8 * 50);
    drop(held);
    assert_eq!(conn.pending(), 0);
}

#[tokio::test]
async fn a_request_past_its_timeout_fails_with_a_timeout_and_leaves_no_entry() {
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &ConnectionConfig::default())
        .await
        .unwrap();
    let (_silent, _) = l.accept().await.unwrap();
    let started = std::time::Instant::now();
    let call = conn
        .start_request(usize::MAX, Some(Duration::from_millis(100)), |body| {
            body.push(b'N');
            Ok(())
        })
        .unwrap();
    let result = tokio::time::timeout(Duration::from_secs(2), call)
        .await
        .expect("the connection ends the call");
    let waited = started.elapsed();
    assert!(
        matches!(result, Err(dubbo_rpc::RpcError::Timeout { .. })),
        "{result:?}"
    );
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_millis(400),
        "{waited:?}"
    );
    assert_eq!(conn.pending(), 0);
}

#[tokio::test]
async fn a_timeout_too_long_for_the_clock_means_no_deadline() {
    let (l, addr) = listener().await;
    let conn = Connection::connect(&addr, &ConnectionConfig::default())
        .await
        .unwrap();
    let (_silent, _) = l.accept().await.unwrap();
    let call = conn
        .start_request(usize::MAX, Some(Duration::MAX), |body| {
            body.push(b'N');
            Ok(())
        })
        .unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(100), call)
        .await
        .is_err());
    assert_eq!(conn.pending(), 0);
}
