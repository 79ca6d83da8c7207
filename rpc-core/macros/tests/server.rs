//! The generated server adapter at run time: calls built by hand, replies decoded.

use std::sync::atomic::{AtomicUsize, Ordering};

use dubbo_rpc::codec::body::{decode_response, DecodedResponse};
use dubbo_rpc::codegen::{ArgsEncoder, ServerCall, ServerReply, ServiceHandler};
use dubbo_rpc::service::NamedService;
use dubbo_rpc::{Attachments, RpcError, StatusCode};

/// Dubbo's demo interface, plus methods for each reply shape.
#[dubbo_rpc::service(interface = "org.apache.dubbo.demo.DemoService")]
pub trait DemoService {
    /// Java: `String sayHello(String name)`.
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
    /// An overload-style override: the Java name and declared types are given.
    #[dubbo(name = "greet", parameter_types = "Ljava/lang/String;I")]
    async fn greet_times(&self, name: String, times: i32) -> Result<String, RpcError>;
    /// Returns nothing.
    async fn ping(&self) -> Result<(), RpcError>;
    /// Always fails.
    async fn fail(&self, reason: String) -> Result<String, RpcError>;
}

#[derive(Default)]
struct Demo {
    pings: AtomicUsize,
}

#[dubbo_rpc::async_trait]
impl DemoService for Demo {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("Hello {name}"))
    }

    async fn greet_times(&self, name: String, times: i32) -> Result<String, RpcError> {
        Ok(vec![name; times as usize].join(" "))
    }

    async fn ping(&self) -> Result<(), RpcError> {
        self.pings.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn fail(&self, reason: String) -> Result<String, RpcError> {
        Err(RpcError::application(reason))
    }
}

/// A call of method `index` whose body is exactly the encoded arguments.
fn call_with(index: usize, args: ArgsEncoder) -> ServerCall {
    let body = args.finish().bytes;
    let len = body.len();
    ServerCall::new(index, body.into(), 0..len, Attachments::new(), true)
}

fn index_of(name: &str) -> usize {
    let descriptor = <DemoServiceServer<Demo> as NamedService>::descriptor();
    descriptor
        .methods
        .iter()
        .position(|m| m.name == name)
        .expect("method in descriptor")
}

async fn reply(index: usize, args: ArgsEncoder) -> ServerReply {
    let server = DemoServiceServer::new(Demo::default());
    server.call(call_with(index, args)).await
}

#[tokio::test]
async fn say_hello_replies_with_the_greeting() {
    let mut args = ArgsEncoder::new();
    args.push("world").unwrap();
    let reply = reply(index_of("sayHello"), args).await;
    assert_eq!(reply.status, StatusCode::OK);
    let decoded = decode_response(reply.body).unwrap();
    assert_eq!(decoded.decode::<String>().unwrap(), "Hello world");
}

#[tokio::test]
async fn arguments_are_decoded_in_order() {
    let mut args = ArgsEncoder::new();
    args.push("hi").unwrap();
    args.push(&3i32).unwrap();
    let reply = reply(index_of("greet"), args).await;
    assert_eq!(reply.status, StatusCode::OK);
    let decoded = decode_response(reply.body).unwrap();
    assert_eq!(decoded.decode::<String>().unwrap(), "hi hi hi");
}

#[tokio::test]
async fn unit_result_is_a_null_reply() {
    let server = DemoServiceServer::new(Demo::default());
    let reply = server
        .call(call_with(index_of("ping"), ArgsEncoder::new()))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(matches!(
        decode_response(reply.body).unwrap(),
        DecodedResponse::Null
    ));
    assert_eq!(server.get_ref().pings.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_error_is_a_runtime_exception() {
    let mut args = ArgsEncoder::new();
    args.push("no luck").unwrap();
    let reply = reply(index_of("fail"), args).await;
    assert_eq!(reply.status, StatusCode::OK);
    match decode_response(reply.body).unwrap() {
        DecodedResponse::Exception(e) => {
            assert_eq!(e.class, "java.lang.RuntimeException");
            assert_eq!(e.message.as_deref(), Some("no luck"));
        }
        other => panic!("expected an exception, got {other:?}"),
    }
}

#[tokio::test]
async fn undecodable_arguments_are_a_bad_request() {
    // `sayHello` takes a string; send an int.
    let mut args = ArgsEncoder::new();
    args.push(&7i32).unwrap();
    let reply = reply(index_of("sayHello"), args).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn missing_arguments_are_a_bad_request() {
    let reply = reply(index_of("greet"), ArgsEncoder::new()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_unknown_method_index_is_a_service_error() {
    let reply = reply(99, ArgsEncoder::new()).await;
    assert_eq!(reply.status, StatusCode::SERVICE_ERROR);
}

#[test]
fn handler_and_named_service_share_the_descriptor() {
    let server = DemoServiceServer::new(Demo::default());
    let from_handler = ServiceHandler::descriptor(&server);
    let named = <DemoServiceServer<Demo> as NamedService>::descriptor();
    assert!(std::ptr::eq(from_handler, named));
    let client = <DemoServiceClient as dubbo_rpc::service::ServiceClient>::descriptor();
    assert!(std::ptr::eq(client, named));
    assert!(format!("{server:?}").contains("org.apache.dubbo.demo.DemoService"));
}

#[test]
fn server_can_be_boxed_as_a_handler() {
    let server: std::sync::Arc<dyn ServiceHandler> = std::sync::Arc::new(
        DemoServiceServer::from_arc(std::sync::Arc::new(Demo::default())),
    );
    assert_eq!(
        server.descriptor().interface,
        "org.apache.dubbo.demo.DemoService"
    );
}
