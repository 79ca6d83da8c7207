//! ZooKeeper registry for `dubbo-rpc`, in Java Dubbo 3.3's znode layout.
//!
//! [`ZookeeperRegistry`] implements [`dubbo_rpc::registry::Registry`] so that Rust providers
//! appear exactly where Java Dubbo consumers look for them, and Rust consumers find Java (and
//! Rust) providers exactly where Java Dubbo providers register:
//!
//! ```text
//! /dubbo/org.example.Greeter/providers/dubbo%3A%2F%2F10.0.0.5%3A20880%2Forg.example.Greeter%3F…
//! /dubbo/org.example.Greeter/consumers/consumer%3A%2F%2F10.0.0.9%2Forg.example.Greeter%3F…
//! ```
//!
//! * **Providers and consumers** register EPHEMERAL nodes named by
//!   `URLEncoder.encode(url.toFullString())` ([`Url::encoded`](dubbo_rpc::Url::encoded)).
//! * **Subscriptions** watch `providers` (and `configurators`) with one-shot child watches and
//!   publish the full matching list ([`is_match`](dubbo_rpc::registry::is_match)) on a
//!   [`Subscription`](dubbo_rpc::registry::Subscription); a failure never empties the list.
//! * **Sessions**: reconnects inside a session are transparent; an expired session is replaced
//!   by a new one that re-creates every node (replacing stale nodes of the old session) and
//!   re-arms every watch. [`Registry::shutdown`](dubbo_rpc::registry::Registry::shutdown)
//!   waits until the session is closed, so ephemeral nodes vanish at once.
//!
//! `override://` URLs under `configurators` are parsed and handed to subscribers in
//! [`ProviderSet::configurators`](dubbo_rpc::registry::ProviderSet::configurators), but not
//! applied by this crate. Application-level discovery (`/services/<app>`) is not implemented.
//!
//! # Example
//!
//! ```no_run
//! use dubbo_registry::ZookeeperRegistry;
//! use dubbo_rpc::registry::{consumer_url, provider_url, ConsumerSpec, ProviderSpec, Registry};
//! use dubbo_rpc::Url;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry_url = Url::parse("zookeeper://127.0.0.1:2181?backup=127.0.0.1:2182")?;
//! let registry = ZookeeperRegistry::connect(&registry_url).await?;
//!
//! // a provider
//! let provider = provider_url(&ProviderSpec {
//!     application: "greeter".into(),
//!     interface: "org.example.Greeter".into(),
//!     methods: vec!["sayHello".into()],
//!     port: 20880,
//!     version: Some("1.0.0".into()),
//!     ..ProviderSpec::default()
//! });
//! registry.register(&provider).await?;
//!
//! // a consumer: register (for ops tooling), then follow the providers
//! let consumer = consumer_url(&ConsumerSpec {
//!     application: "greeter-client".into(),
//!     interface: "org.example.Greeter".into(),
//!     version: Some("1.0.0".into()),
//!     ..ConsumerSpec::default()
//! });
//! registry.register(&consumer).await?;
//! let mut providers = registry.subscribe(&consumer).await?;
//! while providers.changed().await.is_ok() {
//!     let set = providers.borrow_and_update().clone();
//!     println!("{} providers: {:?}", set.len(), set.providers);
//! #   break;
//! }
//!
//! registry.shutdown().await; // ephemeral nodes are gone when this returns
//! # Ok(()) }
//! ```
//!
//! # Running ZooKeeper
//!
//! `scripts/zk/install.sh` installs Debian's `zookeeper` package, `scripts/zk/zk-start.sh`
//! starts a throwaway standalone server (`zk-start.sh auto` picks a free port) and
//! `scripts/zk/zk-ensemble.sh` a 3-node ensemble. The crate's tests use `ZK_CONNECT` when it is
//! set, and otherwise start their own server with those scripts.
#![forbid(unsafe_code)]

mod zookeeper;

pub use crate::zookeeper::ZookeeperRegistry;
