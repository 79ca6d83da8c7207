//! The provider side is a tower service: layers added to the server builder wrap it.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use dubbo_integration_tests::{arg, greeter_client, method, GreeterHandler};
use dubbo_rpc::server::handler::ServerReply;
use dubbo_rpc::server::Server;
use dubbo_rpc::Client;
use tower::{Service, ServiceExt};

/// Counts the requests it passes on.
#[derive(Clone)]
struct Counting<S> {
    inner: S,
    seen: Arc<AtomicUsize>,
}

impl<S> Service<Bytes> for Counting<S>
where
    S: Service<Bytes, Response = ServerReply, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = ServerReply;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<ServerReply, Infallible>> + Send>,
    >;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, body: Bytes) -> Self::Future {
        self.seen.fetch_add(1, Ordering::Relaxed);
        Box::pin(self.inner.clone().oneshot(body))
    }
}

#[tokio::test]
async fn server_layer_sees_every_request() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let server = Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .layer(tower::layer::layer_fn(move |inner| Counting {
            inner,
            seen: counter.clone(),
        }))
        .add_service(GreeterHandler::new("a"))
        .serve()
        .await
        .unwrap();
    let client = greeter_client(
        &format!("dubbo://{}", server.local_addr()),
        Client::builder(),
    )
    .await;
    for _ in 0..5 {
        let reply: String = client.call(method::SAY_HELLO, arg("x")).await.unwrap();
        assert_eq!(reply, "Hello x");
    }
    assert_eq!(seen.load(Ordering::Relaxed), 5);
    server.shutdown().await;
}
