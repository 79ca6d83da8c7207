//! Calls `org.apache.dubbo.demo.DemoService.sayHello` on a Dubbo provider, Rust or Java.
//!
//! ```text
//! demo-consumer --url dubbo://127.0.0.1:20880 --name world
//! demo-consumer --registry zookeeper://127.0.0.1:2181 --name world
//! ```

use dubbo_examples::{connect_registry, init_tracing, Args, DemoServiceClient};
use dubbo_rpc::Client;

const USAGE: &str = "usage: demo-consumer (--url dubbo://HOST:PORT | --registry zookeeper://HOST:PORT) [--name X] [--count N]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_tracing();
    let args = Args::from_env(USAGE);
    let mut builder = Client::builder().application("rust-demo-consumer");
    if let Some(url) = args.get("url") {
        builder = builder.url(url);
    } else if let Some(registry) = args.get("registry") {
        builder = builder
            .registry(connect_registry(registry).await?)
            .wait_for_providers(std::time::Duration::from_secs(10));
    } else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    let client: DemoServiceClient = builder.build().await?;
    let name = args.get("name").unwrap_or("world").to_owned();
    let count: usize = args.get("count").unwrap_or("1").parse()?;
    for _ in 0..count {
        println!("{}", client.say_hello(name.clone()).await?);
    }
    Ok(())
}
