//! `test-provider`: a provider process for crash and restart tests.
//!
//! Serves [`GreeterHandler`] on 127.0.0.1, registers it (as 127.0.0.1) in a ZooKeeper
//! registry, prints `READY <port>` on stdout once registered, and shuts down gracefully on
//! SIGTERM (unregister, readonly event, drain, close, close the ZooKeeper session). It exits
//! at once when the `--owner-pid` process is gone, so a crashed test leaves nothing behind.
//!
//! ```text
//! test-provider --registry zookeeper://127.0.0.1:2181?session=2000 --tag p1 [--port 0] [--owner-pid PID]
//! ```

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dubbo_integration_tests::GreeterHandler;
use dubbo_registry::ZookeeperRegistry;
use dubbo_rpc::registry::Registry;
use dubbo_rpc::server::Server;
use dubbo_rpc::Url;
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    let (mut registry, mut tag, mut port, mut owner) = (None, "provider".to_owned(), 0u16, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--registry" => registry = Some(value()),
            "--tag" => tag = value(),
            "--port" => port = value().parse().unwrap_or_else(|_| usage("bad --port")),
            "--owner-pid" => owner = Some(value()),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let registry = registry.unwrap_or_else(|| usage("--registry is required"));
    let registry_url = Url::parse(&registry).unwrap_or_else(|e| usage(&format!("{e}")));
    let registry = Arc::new(
        ZookeeperRegistry::connect(&registry_url)
            .await
            .expect("registry connects"),
    );
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let server = Server::builder()
        .application("test-provider")
        .bind_host("127.0.0.1")
        .registry_host("127.0.0.1")
        .port(port)
        .shutdown_timeout(Duration::from_secs(10))
        .registry(registry.clone())
        .add_service(GreeterHandler::new(&tag))
        .serve()
        .await
        .expect("server starts");
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "READY {}", server.local_addr().port());
    let _ = stdout.flush();

    let owner_gone = async {
        let Some(pid) = owner else {
            return std::future::pending().await;
        };
        let proc = format!("/proc/{pid}");
        while std::path::Path::new(&proc).exists() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = owner_gone => {
            // the test is gone (and probably its ZooKeeper too): no goodbyes
            eprintln!("test-provider {tag}: owner gone, exiting");
            std::process::exit(0);
        }
    }
    let started = Instant::now();
    server.shutdown().await;
    registry.shutdown().await;
    eprintln!(
        "test-provider {tag}: graceful shutdown took {:?}",
        started.elapsed()
    );
}

fn usage(problem: &str) -> ! {
    eprintln!("test-provider: {problem}\nusage: test-provider --registry URL --tag TAG [--port N] [--owner-pid PID]");
    std::process::exit(2)
}
