//! Our provider for the benchmark: `org.apache.dubbo.demo.DemoService` (`sayHello`) and the
//! `echoUser`/`echoBytes` methods of `org.apache.dubbo.interop.api.InteropService`, with the
//! Java peer's names and descriptors, on 127.0.0.1 without a registry.
//!
//! Usage: `rust-provider [--port 0] [--threads N]` (N worker threads, default: one per CPU).
//! Prints `READY port=N` once listening; runs until killed.

use dubbo_bench::{Args, BenchServices, DemoServiceServer, EchoServiceServer};
use dubbo_rpc::server::Server;

const USAGE: &str = "rust-provider [--port 0] [--threads N]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::from_env(USAGE);
    let port: u16 = args.get("port", 0);
    let threads: usize = args.get(
        "threads",
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let server = Server::builder()
            .bind_host("127.0.0.1")
            .port(port)
            .add_service(DemoServiceServer::new(BenchServices))
            .add_service(EchoServiceServer::new(BenchServices))
            .serve()
            .await?;
        println!("READY port={}", server.local_addr().port());
        std::future::pending::<()>().await;
        Ok(())
    })
}
