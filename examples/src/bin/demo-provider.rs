//! Serves Dubbo's demo interface `org.apache.dubbo.demo.DemoService`.
//!
//! ```text
//! demo-provider [--port 20880] [--registry zookeeper://127.0.0.1:2181] [--host IP]
//! ```

use dubbo_examples::{connect_registry, init_tracing, Args, DemoServiceImpl, DemoServiceServer};
use dubbo_rpc::server::Server;

const USAGE: &str = "usage: demo-provider [--port N (default 20880)] [--registry zookeeper://HOST:PORT] [--host IP-to-register] [--app NAME]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_tracing();
    let args = Args::from_env(USAGE);
    let port: u16 = args.get("port").unwrap_or("20880").parse()?;
    let mut builder = Server::builder()
        .port(port)
        .application(args.get("app").unwrap_or("rust-demo-provider"))
        .add_service(DemoServiceServer::new(DemoServiceImpl));
    if let Some(host) = args.get("host") {
        builder = builder.registry_host(host);
    }
    if let Some(registry) = args.get("registry") {
        builder = builder.registry(connect_registry(registry).await?);
    }
    let server = builder.serve().await?;
    match server.urls().first() {
        Some(url) => println!("{url}"),
        None => println!("dubbo://{}", server.local_addr()),
    }
    tokio::signal::ctrl_c().await?;
    eprintln!("shutting down");
    server.shutdown().await;
    Ok(())
}
