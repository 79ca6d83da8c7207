//! The Rust interop provider: `DemoService` and `InteropService` (unversioned, `1.0.0/g1`,
//! `2.0.0/g2`), as the Java provider of `tests/interop/java` exports them.
//!
//! ```text
//! rust-interop-provider [--registry zookeeper://127.0.0.1:2181[?group=ROOT]] [--port 0]
//!                       [--host NAME] [--app NAME] [--identity rust]
//! ```
//!
//! `--host` is the host written into the registry (default: this machine's host name when it
//! resolves to loopback, which Java consumers dial as is; never `127.x`, which they rewrite).
//! Prints `RUST-PROVIDER READY port=N host=H` once registered, then serves until Ctrl-C.

use std::sync::Arc;

use dubbo_interop_tests::{harness, serve_provider};

const USAGE: &str = "usage: rust-interop-provider [--registry zookeeper://HOST:PORT[?group=ROOT]] \
[--port N (default 0 = any)] [--host NAME-to-register] [--app NAME] [--identity rust]";

fn arg(args: &[String], name: &str) -> Option<String> {
    let flag = format!("--{name}");
    let prefix = format!("--{name}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if *a == flag {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix(&prefix).map(str::to_owned)
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let port: u16 = arg(&args, "port").unwrap_or_else(|| "0".into()).parse()?;
    let host = arg(&args, "host").unwrap_or_else(|| harness::loopback_host().to_owned());
    let app = arg(&args, "app").unwrap_or_else(|| "rust-interop-provider".into());
    let identity = arg(&args, "identity").unwrap_or_else(|| "rust".into());
    let registry: Option<Arc<dyn dubbo_rpc::registry::Registry>> = match arg(&args, "registry") {
        Some(url) => {
            let url = dubbo_rpc::Url::parse(&url)?;
            Some(Arc::new(
                dubbo_registry::ZookeeperRegistry::connect(&url).await?,
            ))
        }
        None => None,
    };
    let server = serve_provider(registry, &host, port, &app, &identity).await?;
    println!(
        "RUST-PROVIDER READY port={} host={host} services={}",
        server.local_addr().port(),
        server.urls().len().max(4)
    );
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
