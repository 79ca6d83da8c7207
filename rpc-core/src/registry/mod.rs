//! Service registries: where providers announce themselves and consumers find them.
//!
//! The [`Registry`] trait is the seam between the framework and a registry implementation:
//! `dubbo-registry` implements it for ZooKeeper in Java Dubbo's layout, and [`MemoryRegistry`]
//! implements it in-process for the quickstart and for tests.
//!
//! Everything that crosses the seam is a [`Url`], as in Java Dubbo:
//!
//! * a provider registers the URL built by [`provider_url`] (category `providers`),
//! * a consumer registers the URL built by [`consumer_url`] (category `consumers`) and
//!   subscribes with the same URL; the registry answers with a [`Subscription`]: a live view of
//!   the matching provider set, filtered with [`is_match`] (Java's `UrlUtils.isMatch`).
//!
//! # Subscription semantics
//!
//! Like Java's `NotifyListener`, a subscriber always sees the **full** current list, never a
//! diff, and only the latest list matters; a [`tokio::sync::watch`] channel carries exactly
//! that. A [`ProviderSet`] is only ever replaced by the result of a real, successful listing:
//! a transient registry failure (a lost connection, an expired session being re-established)
//! keeps the last list in place, so a consumer never loses its providers because ZooKeeper
//! had a bad minute. When the registry shuts down, the sender side is dropped and
//! [`watch::Receiver::changed`] returns an error; the last list stays readable.
//!
//! # Examples
//!
//! ```
//! use dubbo_rpc::registry::{
//!     consumer_url, provider_url, ConsumerSpec, MemoryRegistry, ProviderSpec, Registry,
//! };
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let registry = MemoryRegistry::new();
//! let provider = provider_url(&ProviderSpec {
//!     application: "demo-provider".into(),
//!     interface: "org.example.Greeter".into(),
//!     methods: vec!["sayHello".into()],
//!     host: Some("10.0.0.5".into()),
//!     port: 20880,
//!     ..ProviderSpec::default()
//! });
//! registry.register(&provider).await.unwrap();
//!
//! let consumer = consumer_url(&ConsumerSpec {
//!     application: "demo-consumer".into(),
//!     interface: "org.example.Greeter".into(),
//!     ..ConsumerSpec::default()
//! });
//! let subscription = registry.subscribe(&consumer).await.unwrap();
//! let set = subscription.borrow().clone();
//! assert_eq!(set.providers.len(), 1);
//! assert_eq!(set.providers[0].address(), "10.0.0.5:20880");
//! # }
//! ```

use std::sync::Arc;

use tokio::sync::watch;

use crate::url::Url;

mod matching;
mod memory;
mod spec;

pub use self::matching::is_match;
pub use self::memory::MemoryRegistry;
pub use self::spec::{
    consumer_url, local_host, provider_url, ConsumerSpec, ProviderSpec, DUBBO_PROTOCOL_VERSION,
    IP_TO_REGISTRY_ENV, RELEASE,
};

/// Category of provider URLs (`category=providers`, the default when the key is absent).
pub const PROVIDERS_CATEGORY: &str = "providers";
/// Category of consumer URLs (`category=consumers`).
pub const CONSUMERS_CATEGORY: &str = "consumers";
/// Category of dynamic configuration URLs (`override://…`, `category=configurators`).
pub const CONFIGURATORS_CATEGORY: &str = "configurators";
/// Category of legacy routing rule URLs (`route://…`, `category=routers`).
pub const ROUTERS_CATEGORY: &str = "routers";

/// A live view of the providers matching one consumer: always the latest full list.
///
/// `subscription.borrow()` reads the current [`ProviderSet`]; `subscription.changed().await`
/// waits for the next one and fails once the registry has shut down (or the subscription
/// ended). Dropping every clone of the receiver ends the subscription in the registry.
pub type Subscription = watch::Receiver<ProviderSet>;

/// The set of providers (and dynamic configuration) a subscription currently sees.
///
/// A new value is only published after a successful listing of the registry, and only when
/// something changed, so [`revision`](ProviderSet::revision) counts real changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSet {
    /// The matching providers (filtered with [`is_match`]), sorted and without duplicates.
    pub providers: Arc<Vec<Url>>,
    /// `override://` URLs found under the service's `configurators` category, sorted. They are
    /// carried for the cluster layer; applying them is its business.
    pub configurators: Arc<Vec<Url>>,
    /// 0 until the first successful listing, then incremented for every published change.
    pub revision: u64,
}

impl ProviderSet {
    /// Whether a real listing has been published yet (`revision > 0`). An empty set that is not
    /// listed means "not known yet", not "no providers".
    pub fn is_listed(&self) -> bool {
        self.revision > 0
    }

    /// The number of providers.
    pub fn len(&self) -> usize {
        self.providers.len()
    }

    /// Whether there is no provider.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

/// Publishes the result of a successful listing on a subscription channel.
///
/// Sorts and de-duplicates both lists, and sends a new [`ProviderSet`] (with the next
/// revision) only when the lists differ from the current ones or nothing was listed before.
/// Returns whether a new set was sent. Registry implementations call this and nothing else to
/// feed a [`Subscription`]; never call it with the outcome of a failed listing.
pub fn publish(
    tx: &watch::Sender<ProviderSet>,
    mut providers: Vec<Url>,
    mut configurators: Vec<Url>,
) -> bool {
    providers.sort();
    providers.dedup();
    configurators.sort();
    configurators.dedup();
    tx.send_if_modified(|current| {
        if current.is_listed()
            && *current.providers == providers
            && *current.configurators == configurators
        {
            return false;
        }
        *current = ProviderSet {
            providers: Arc::new(providers),
            configurators: Arc::new(configurators),
            revision: current.revision + 1,
        };
        true
    })
}

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry URL (or a URL given to the registry) cannot be used.
    #[error("invalid registry URL {url}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The registry has been shut down.
    #[error("the registry has been shut down")]
    Closed,
    /// The operation did not complete in time (the registry stayed unreachable).
    #[error("registry operation {operation} timed out")]
    Timeout {
        /// What was attempted, e.g. `register /dubbo/org.x.Svc/providers/…`.
        operation: String,
    },
    /// The registry backend refused the operation or failed.
    #[error("registry operation {operation} failed")]
    Backend {
        /// What was attempted, e.g. `register /dubbo/org.x.Svc/providers/…`.
        operation: String,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The registry does not support this request (for example subscribing to interface `*`).
    #[error("unsupported registry request: {0}")]
    Unsupported(String),
}

/// A service registry: providers register, consumers register and subscribe.
///
/// Implementations are shared behind an `Arc` by providers and consumers of one process and
/// must be cheap to call concurrently.
#[async_trait::async_trait]
pub trait Registry: Send + Sync + std::fmt::Debug + 'static {
    /// Registers a provider URL (category `providers`, the default) or a consumer URL
    /// (category `consumers`). The registration lasts until [`unregister`](Registry::unregister)
    /// or [`shutdown`](Registry::shutdown), and survives reconnects and session expiry.
    async fn register(&self, url: &Url) -> Result<(), RegistryError>;

    /// Removes a registration made by [`register`](Registry::register). Unregistering a URL
    /// that is not registered is not an error.
    async fn unregister(&self, url: &Url) -> Result<(), RegistryError>;

    /// Subscribes to the providers matching a consumer URL (its interface, version, group and
    /// optional `protocol` filter; see [`is_match`]). The returned [`Subscription`] holds the
    /// first listing when this returns normally, and follows every change until the registry
    /// shuts down or every clone of the subscription is dropped.
    async fn subscribe(&self, consumer: &Url) -> Result<Subscription, RegistryError>;

    /// Closes the registry: removes everything this process registered and waits until it is
    /// really gone (for ZooKeeper: the session is closed, so its ephemeral nodes vanish at once
    /// instead of after the session timeout). Ends every subscription. Idempotent.
    async fn shutdown(&self);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn publish_sorts_dedups_and_counts_only_changes() {
        let (tx, mut rx) = watch::channel(ProviderSet::default());
        assert!(!rx.borrow().is_listed());
        // an empty first listing is still a listing
        assert!(publish(&tx, vec![], vec![]));
        assert!(rx.borrow_and_update().is_listed());
        assert!(!publish(&tx, vec![], vec![]));
        assert!(!rx.has_changed().unwrap());

        let (a, b) = (url("dubbo://a:1/x"), url("dubbo://b:1/x"));
        assert!(publish(&tx, vec![b.clone(), a.clone(), b.clone()], vec![]));
        let set = rx.borrow_and_update().clone();
        assert_eq!(*set.providers, vec![a.clone(), b.clone()]);
        assert_eq!(set.revision, 2);
        assert_eq!(set.len(), 2);
        assert!(!publish(&tx, vec![a.clone(), b.clone()], vec![]));
        assert!(publish(&tx, vec![a], vec![]));
        assert_eq!(rx.borrow().revision, 3);
    }
}
