//! The generated client and server talking over TCP through the real runtime.

use dubbo_rpc::server::Server;
use dubbo_rpc::{Client, RpcError};

/// Dubbo's demo interface, with an overload and a failing method.
#[dubbo_rpc::service(interface = "org.apache.dubbo.demo.DemoService", version = "1.0.0")]
pub trait DemoService {
    /// Java: `String sayHello(String name)`.
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
    /// Java: `String sayHello(String name, int times)`.
    #[dubbo(name = "sayHello")]
    async fn say_hello_times(&self, name: String, times: i32) -> Result<String, RpcError>;
    /// Returns nothing.
    async fn ping(&self) -> Result<(), RpcError>;
    /// Optional and list values both ways.
    async fn lengths(&self, words: Vec<String>, extra: Option<i32>) -> Result<Vec<i64>, RpcError>;
    /// Always fails.
    async fn fail(&self, reason: String) -> Result<String, RpcError>;
}

struct Demo;

#[dubbo_rpc::async_trait]
impl DemoService for Demo {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("Hello {name}"))
    }

    async fn say_hello_times(&self, name: String, times: i32) -> Result<String, RpcError> {
        Ok(format!("Hello {name}").repeat(times as usize))
    }

    async fn ping(&self) -> Result<(), RpcError> {
        Ok(())
    }

    async fn lengths(&self, words: Vec<String>, extra: Option<i32>) -> Result<Vec<i64>, RpcError> {
        let mut out: Vec<i64> = words.iter().map(|w| w.len() as i64).collect();
        out.extend(extra.map(i64::from));
        Ok(out)
    }

    async fn fail(&self, reason: String) -> Result<String, RpcError> {
        Err(RpcError::application(reason))
    }
}

/// Uses any implementation of the trait: the server's or the client.
async fn greet_twice(service: &dyn DemoService) -> Result<String, RpcError> {
    let first = service.say_hello("a".to_owned()).await?;
    let second = service.say_hello("b".to_owned()).await?;
    Ok(format!("{first}, {second}"))
}

#[tokio::test]
async fn client_calls_server_over_tcp() {
    let server = Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .add_service(DemoServiceServer::new(Demo))
        .serve()
        .await
        .expect("server starts");
    let url = format!("dubbo://127.0.0.1:{}", server.local_addr().port());
    let client: DemoServiceClient = Client::builder()
        .url(url)
        .register_consumer(false)
        .build()
        .await
        .expect("client builds");

    assert_eq!(
        client.say_hello("world".into()).await.unwrap(),
        "Hello world"
    );
    assert_eq!(
        client.say_hello_times("x".into(), 2).await.unwrap(),
        "Hello xHello x"
    );
    client.ping().await.unwrap();
    assert_eq!(
        client
            .lengths(vec!["ab".into(), "abc".into()], Some(9))
            .await
            .unwrap(),
        [2, 3, 9]
    );
    assert_eq!(client.lengths(Vec::new(), None).await.unwrap(), [0i64; 0]);
    let err = client.fail("nope".into()).await.unwrap_err();
    assert!(err.is_business(), "{err:?}");
    assert!(err.to_string().contains("nope"), "{err}");

    // The client is an implementation of the trait too.
    assert_eq!(greet_twice(&client).await.unwrap(), "Hello a, Hello b");
    assert_eq!(greet_twice(&Demo).await.unwrap(), "Hello a, Hello b");

    server.shutdown().await;
}

/// Many calls in flight on one client, each answered with its own argument.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls() {
    let server = Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .add_service(DemoServiceServer::new(Demo))
        .serve()
        .await
        .expect("server starts");
    let client: DemoServiceClient = Client::builder()
        .url(format!("dubbo://127.0.0.1:{}", server.local_addr().port()))
        .register_consumer(false)
        .build()
        .await
        .expect("client builds");
    let calls = (0..64).map(|i| {
        let client = client.clone();
        tokio::spawn(async move { (i, client.say_hello(format!("n{i}")).await) })
    });
    for call in calls {
        let (i, reply) = call.await.unwrap();
        assert_eq!(reply.unwrap(), format!("Hello n{i}"));
    }
    server.shutdown().await;
}
