//! Services shared by the example binaries.
//!
//! [`DemoService`] is Apache Dubbo's own demo interface, `org.apache.dubbo.demo.DemoService`
//! with `String sayHello(String name)`, so any Dubbo client can call the Rust provider and the
//! Rust consumer can call any Dubbo provider of it.

pub mod user;

use dubbo_rpc::RpcError;

/// Apache Dubbo's demo interface.
#[dubbo_rpc::service(interface = "org.apache.dubbo.demo.DemoService")]
pub trait DemoService {
    /// Java: `String sayHello(String name)`.
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
}

/// The demo implementation: `"Hello " + name`, as Dubbo's Java demo answers.
#[derive(Debug, Clone, Default)]
pub struct DemoServiceImpl;

#[dubbo_rpc::async_trait]
impl DemoService for DemoServiceImpl {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("Hello {name}"))
    }
}

/// Reads `--key value` pairs from the command line.
#[derive(Debug, Default)]
pub struct Args {
    pairs: Vec<(String, String)>,
}

impl Args {
    /// Parses `std::env::args()`; `--help` prints `usage` and exits.
    pub fn from_env(usage: &str) -> Args {
        let mut pairs = Vec::new();
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            if arg == "--help" || arg == "-h" {
                println!("{usage}");
                std::process::exit(0);
            }
            let Some(key) = arg.strip_prefix("--") else {
                eprintln!("unexpected argument {arg:?}\n{usage}");
                std::process::exit(2);
            };
            let value = match key.split_once('=') {
                Some((k, v)) => {
                    pairs.push((k.to_owned(), v.to_owned()));
                    continue;
                }
                None => it.next().unwrap_or_else(|| {
                    eprintln!("--{key} needs a value\n{usage}");
                    std::process::exit(2);
                }),
            };
            pairs.push((key.to_owned(), value));
        }
        Args { pairs }
    }

    /// The value of `--key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Logs to stderr, `RUST_LOG` style filtering (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Connects to the registry named by a `zookeeper://…` URL.
pub async fn connect_registry(
    url: &str,
) -> Result<std::sync::Arc<dyn dubbo_rpc::registry::Registry>, Box<dyn std::error::Error>> {
    let url = dubbo_rpc::Url::parse(url)?;
    let registry = dubbo_registry::ZookeeperRegistry::connect(&url).await?;
    Ok(std::sync::Arc::new(registry))
}
