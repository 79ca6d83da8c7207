//! Malformed input from the network gets an error response or a closed connection, never a
//! panic, a hang or an unbounded allocation.

use std::time::Duration;

use bytes::BytesMut;
use dubbo_integration_tests::{start_greeter, GREETER};
use dubbo_rpc::codec::body::decode_error_message;
use dubbo_rpc::codec::header::{FLAG_EVENT, FLAG_REQUEST, FLAG_TWO_WAY};
use dubbo_rpc::codec::{write_frame, Decoded, DubboCodec, Frame, Header};
use dubbo_rpc::hessian::Serializer;
use dubbo_rpc::StatusCode;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

/// A raw connection to a server.
struct Raw {
    write: tokio::net::tcp::OwnedWriteHalf,
    read: FramedRead<tokio::net::tcp::OwnedReadHalf, DubboCodec>,
}

impl Raw {
    async fn connect(addr: std::net::SocketAddr) -> Raw {
        let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        Raw {
            write: w,
            read: FramedRead::new(r, DubboCodec::default()),
        }
    }

    async fn send(&mut self, flags: u8, id: u64, body: &[u8]) {
        let mut buf = BytesMut::new();
        let header = Header {
            flags,
            status: StatusCode(0),
            id,
            body_len: 0,
        };
        write_frame(&header, body, &mut buf);
        self.write.write_all(&buf).await.unwrap();
    }

    async fn next(&mut self) -> Option<Frame> {
        match tokio::time::timeout(Duration::from_secs(5), self.read.next())
            .await
            .expect("server answered within 5 s")
        {
            Some(Ok(Decoded::Frame(f))) => Some(f),
            Some(Ok(Decoded::Oversized(h))) => panic!("oversized response {h:?}"),
            Some(Err(_)) | None => None,
        }
    }
}

const REQUEST: u8 = FLAG_REQUEST | FLAG_TWO_WAY | 2;

/// The head of a request body (five strings) followed by `rest`.
fn body(method: &str, desc: &str, rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut ser = Serializer::new(&mut out);
        for s in ["2.0.2", GREETER, "0.0.0", method, desc] {
            s.serialize(&mut ser).unwrap();
        }
    }
    out.extend_from_slice(rest);
    out
}

fn status_and_message(frame: &Frame) -> (StatusCode, String) {
    (frame.header.status, decode_error_message(&frame.body))
}

#[tokio::test]
async fn bad_magic_closes_the_connection() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.write
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(raw.next().await.is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn oversize_length_is_answered_with_bad_request_before_the_body_arrives() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let mut header = BytesMut::new();
    Header {
        flags: REQUEST,
        status: StatusCode(0),
        id: 77,
        body_len: 1 << 30,
    }
    .write(&mut header);
    raw.write.write_all(&header).await.unwrap();
    let frame = raw.next().await.expect("a response");
    let (status, message) = status_and_message(&frame);
    assert_eq!(frame.header.id, 77);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("Data length too large"), "{message}");
    server.shutdown().await;
}

#[tokio::test]
async fn truncated_body_is_answered_with_bad_request() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let mut b = body("sayHello", "Ljava/lang/String;", &[]);
    b.extend_from_slice(&[0x05, b'w', b'o']); // a 5-char string cut after 2
    raw.send(REQUEST, 1, &b).await;
    let frame = raw.next().await.unwrap();
    assert_eq!(frame.header.status, StatusCode::BAD_REQUEST);
    server.shutdown().await;
}

#[tokio::test]
async fn garbage_hessian_is_answered_with_bad_request_and_the_connection_survives() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(REQUEST, 1, &[0xff, 0xfe, 0x00, 0x13, 0x37]).await;
    let frame = raw.next().await.unwrap();
    assert_eq!(frame.header.id, 1);
    assert_eq!(frame.header.status, StatusCode::BAD_REQUEST);
    // Same connection, a good request now.
    let mut good = body("sayHello", "Ljava/lang/String;", &[]);
    {
        let mut ser = Serializer::new(&mut good);
        "x".serialize(&mut ser).unwrap();
    }
    good.extend_from_slice(b"HZ");
    raw.send(REQUEST, 2, &good).await;
    let frame = raw.next().await.unwrap();
    assert_eq!(frame.header.id, 2);
    assert_eq!(frame.header.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn ten_thousand_deep_nesting_is_rejected_without_crashing() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let nested = vec![0x57u8; 10_000]; // 10 000 open untyped lists
    raw.send(REQUEST, 3, &body("sayHello", "Ljava/lang/String;", &nested))
        .await;
    let frame = raw.next().await.unwrap();
    assert_eq!(frame.header.status, StatusCode::BAD_REQUEST);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_serialization_id_is_answered_with_bad_request() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(FLAG_REQUEST | FLAG_TWO_WAY | 23, 4, b"{}").await;
    let frame = raw.next().await.unwrap();
    let (status, message) = status_and_message(&frame);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        frame.header.serialization(),
        23,
        "replies carry the request's id"
    );
    assert!(message.contains("serialization id"), "{message}");
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_service_is_answered_with_status_70() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let mut b = Vec::new();
    {
        let mut ser = Serializer::new(&mut b);
        for s in ["2.0.2", "org.example.Nope", "0.0.0", "x", ""] {
            s.serialize(&mut ser).unwrap();
        }
    }
    b.extend_from_slice(b"HZ");
    raw.send(REQUEST, 5, &b).await;
    let frame = raw.next().await.unwrap();
    let (status, message) = status_and_message(&frame);
    assert_eq!(status, StatusCode::SERVICE_ERROR);
    assert!(
        message.contains("Not found exported service: org.example.Nope:0.0.0"),
        "{message}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_method_is_answered_with_bad_request() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(REQUEST, 6, &body("nope", "", b"HZ")).await;
    let frame = raw.next().await.unwrap();
    let (status, message) = status_and_message(&frame);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("Service not found"), "{message}");
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_descriptor_is_answered_with_bad_request() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let mut b = body("sayHello", "Ljava/lang/Object;", &[]);
    b.extend_from_slice(&[0x01, b'x', b'H', b'Z']);
    raw.send(REQUEST, 7, &b).await;
    let frame = raw.next().await.unwrap();
    assert_eq!(frame.header.status, StatusCode::BAD_REQUEST);
    server.shutdown().await;
}

#[tokio::test]
async fn heartbeat_is_echoed_with_the_same_id_and_serialization() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    raw.send(FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT | 2, 0x1234, b"N")
        .await;
    let frame = raw.next().await.unwrap();
    assert_eq!(frame.header.id, 0x1234);
    assert_eq!(frame.header.flags, 0x22);
    assert_eq!(frame.header.status, StatusCode::OK);
    assert_eq!(&frame.body[..], b"N");
    server.shutdown().await;
}

#[tokio::test]
async fn echo_answers_for_every_exported_service() {
    let server = start_greeter("a").await;
    let mut raw = Raw::connect(server.local_addr()).await;
    let mut b = body("$echo", "Ljava/lang/Object;", &[]);
    b.extend_from_slice(&[0x04, b'p', b'i', b'n', b'g', b'H', b'Z']);
    raw.send(REQUEST, 8, &b).await;
    let frame = raw.next().await.unwrap();
    assert_eq!(frame.header.status, StatusCode::OK);
    // Flag 4 (value with attachments: the consumer said dubbo 2.0.2), then "ping".
    assert_eq!(&frame.body[..6], &[0x94, 0x04, b'p', b'i', b'n', b'g'][..]);
    server.shutdown().await;
}
