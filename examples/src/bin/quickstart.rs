//! A provider and a consumer talking over the real dubbo protocol on loopback, discovered
//! through the in-process registry: no ZooKeeper needed.

use std::sync::Arc;
use std::time::Duration;

use dubbo_examples::user::{Address, User, UserServiceClient, UserServiceServer, UserStore};
use dubbo_examples::{init_tracing, DemoServiceClient, DemoServiceImpl, DemoServiceServer};
use dubbo_rpc::registry::MemoryRegistry;
use dubbo_rpc::server::Server;
use dubbo_rpc::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_tracing();
    let registry = Arc::new(MemoryRegistry::new());

    let server = Server::builder()
        .port(0)
        .registry_host("127.0.0.1")
        .application("quickstart-provider")
        .registry(registry.clone())
        .add_service(DemoServiceServer::new(DemoServiceImpl))
        .add_service(UserServiceServer::new(UserStore::default()))
        .serve()
        .await?;
    println!("provider listening on {}", server.local_addr());
    for url in server.urls() {
        println!("registered {url}");
    }

    let demo: DemoServiceClient = Client::builder()
        .application("quickstart-consumer")
        .registry(registry.clone())
        .wait_for_providers(Duration::from_secs(5))
        .build()
        .await?;
    println!(
        "sayHello(\"world\") -> {:?}",
        demo.say_hello("world".to_owned()).await?
    );

    let users: UserServiceClient = Client::builder()
        .registry(registry.clone())
        .wait_for_providers(Duration::from_secs(5))
        .build()
        .await?;
    let saved = users
        .save_user(User {
            id: 0,
            name: "Alice".to_owned(),
            address: Some(Address {
                street: "1 Main St".to_owned(),
                city: "Hangzhou".to_owned(),
            }),
            tags: vec!["admin".to_owned()],
            attributes: [("team".to_owned(), "core".to_owned())].into(),
            nickname: None,
        })
        .await?;
    println!("saveUser -> {saved:?}");
    println!(
        "getUser({}) -> {:?}",
        saved.id,
        users.get_user(saved.id).await?
    );
    match users.get_user(42).await {
        Err(e) => println!("getUser(42) -> error: {e}"),
        Ok(u) => println!("getUser(42) -> unexpected {u:?}"),
    }

    server.shutdown().await;
    dubbo_rpc::registry::Registry::shutdown(&*registry).await;
    Ok(())
}
