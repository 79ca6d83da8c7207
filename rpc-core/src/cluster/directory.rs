//! The live set of providers of one service, fed by the registry or by fixed URLs.
//!
//! # Empty listings
//!
//! A registry only ever publishes the result of a *successful* listing (see
//! [`crate::registry`]): a lost connection, a ZooKeeper restart or a session being
//! re-established publishes nothing, so the directory keeps its providers through every
//! transient registry failure.
//!
//! A real listing that is empty (every provider unregistered, or their sessions expired) is a
//! different matter. Java Dubbo 3.2+/3.3 clears the consumer's providers on it by default
//! (`enable-empty-protection=false`, `RegistryConstants.DEFAULT_ENABLE_EMPTY_PROTECTION`;
//! 3.0.x briefly defaulted to `true`), and so does [`Directory::follow`]. With empty
//! protection on ([`Directory::follow_with`], `ClientBuilder::empty_protection`, or the
//! client parameter `enable-empty-protection=true`) an empty listing is ignored and the last
//! non-empty list stays, as Java's `CacheableFailbackRegistry` does with the key set: useful
//! when a registry may briefly list nothing while the providers are in fact alive (a provider
//! session expiring during a ZooKeeper freeze), at the price of calling providers that really
//! left until they fail or refuse.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cluster::invoker::Invoker;
use crate::transport::client::ConnectionConfig;
use crate::url::Url;

/// A snapshot of the providers: shared, replaced (never mutated) on every change.
pub type InvokerList = Arc<Vec<Arc<Invoker>>>;

/// The providers a client may call. Cheap to clone; clones share the list.
#[derive(Debug, Clone)]
pub struct Directory {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    invokers: watch::Receiver<InvokerList>,
    feeder: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = &self.feeder {
            task.abort();
        }
    }
}

impl Directory {
    /// A directory of fixed provider URLs (Java's direct `url=`).
    pub fn fixed(urls: Vec<Url>, config: &ConnectionConfig) -> Directory {
        let invokers: Vec<_> = urls.into_iter().map(|u| Invoker::new(u, config)).collect();
        let (_tx, rx) = watch::channel(Arc::new(invokers));
        Directory {
            inner: Arc::new(Inner {
                invokers: rx,
                feeder: None,
            }),
        }
    }

    /// A directory that follows a stream of provider lists (each a full snapshot, as a
    /// registry notifies). Invokers of URLs that stay are kept, with their statistics. An
    /// empty list clears the directory, as in Java by default (see the [module
    /// docs](self#empty-listings)).
    pub fn follow(urls: watch::Receiver<Arc<Vec<Url>>>, config: ConnectionConfig) -> Directory {
        Directory::follow_with(urls, config, false)
    }

    /// Like [`follow`](Self::follow); with `empty_protection`, an empty list is ignored and the
    /// last non-empty one stays (Java's `enable-empty-protection=true`).
    pub fn follow_with(
        mut urls: watch::Receiver<Arc<Vec<Url>>>,
        config: ConnectionConfig,
        empty_protection: bool,
    ) -> Directory {
        let first = build(&HashMap::new(), &urls.borrow_and_update(), &config);
        let (tx, rx) = watch::channel(first);
        let feeder = tokio::spawn(async move {
            while urls.changed().await.is_ok() {
                let listed = urls.borrow_and_update().clone();
                if listed.is_empty() && empty_protection && !tx.borrow().is_empty() {
                    tracing::warn!(
                        kept = tx.borrow().len(),
                        "the registry listed no provider; empty protection keeps the last list"
                    );
                    continue;
                }
                if listed.is_empty() && !tx.borrow().is_empty() {
                    tracing::warn!("the registry listed no provider; clearing the directory");
                }
                let current: HashMap<String, Arc<Invoker>> = tx
                    .borrow()
                    .iter()
                    .map(|i| (i.url().to_string(), i.clone()))
                    .collect();
                let next = build(&current, &listed, &config);
                tracing::debug!(providers = next.len(), "directory updated");
                if tx.send(next).is_err() {
                    return;
                }
            }
        });
        Directory {
            inner: Arc::new(Inner {
                invokers: rx,
                feeder: Some(feeder),
            }),
        }
    }

    /// The providers now.
    pub fn list(&self) -> InvokerList {
        self.inner.invokers.borrow().clone()
    }

    /// A receiver of every new provider list (to watch the directory change).
    pub fn watch(&self) -> watch::Receiver<InvokerList> {
        self.inner.invokers.clone()
    }

    /// Waits until at least one provider is known, or `timeout` passes.
    pub async fn wait_for_providers(&self, timeout: Duration) -> bool {
        let mut rx = self.inner.invokers.clone();
        tokio::time::timeout(timeout, async move {
            rx.wait_for(|list| !list.is_empty()).await.is_ok()
        })
        .await
        .unwrap_or(false)
    }
}

fn build(
    current: &HashMap<String, Arc<Invoker>>,
    urls: &[Url],
    config: &ConnectionConfig,
) -> InvokerList {
    Arc::new(
        urls.iter()
            .map(|u| match current.get(&u.to_string()) {
                Some(existing) => existing.clone(),
                None => Invoker::new(u.clone(), config),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(ports: &[u16]) -> Arc<Vec<Url>> {
        Arc::new(
            ports
                .iter()
                .map(|p| Url::parse(&format!("dubbo://127.0.0.1:{p}/org.example.Svc")).unwrap())
                .collect(),
        )
    }

    async fn next_len(directory: &Directory, mut rx: watch::Receiver<InvokerList>) -> usize {
        let _ = tokio::time::timeout(Duration::from_millis(200), rx.changed()).await;
        directory.list().len()
    }

    #[tokio::test]
    async fn an_empty_listing_clears_the_directory_by_default() {
        let (tx, rx) = watch::channel(urls(&[1, 2]));
        let directory = Directory::follow(rx, ConnectionConfig::default());
        assert_eq!(directory.list().len(), 2);
        let changes = directory.watch();
        tx.send(urls(&[])).unwrap();
        assert_eq!(next_len(&directory, changes).await, 0);
    }

    #[tokio::test]
    async fn empty_protection_keeps_the_last_providers() {
        let (tx, rx) = watch::channel(urls(&[1, 2]));
        let directory = Directory::follow_with(rx, ConnectionConfig::default(), true);
        let changes = directory.watch();
        tx.send(urls(&[])).unwrap();
        assert_eq!(next_len(&directory, changes).await, 2);
        // a real change still applies
        let changes = directory.watch();
        tx.send(urls(&[3])).unwrap();
        assert_eq!(next_len(&directory, changes).await, 1);
        assert_eq!(directory.list()[0].address(), "127.0.0.1:3");
    }

    #[tokio::test]
    async fn invokers_of_providers_that_stay_are_kept() {
        let (tx, rx) = watch::channel(urls(&[1, 2]));
        let directory = Directory::follow(rx, ConnectionConfig::default());
        let before = directory.list();
        let changes = directory.watch();
        tx.send(urls(&[2, 3])).unwrap();
        assert_eq!(next_len(&directory, changes).await, 2);
        let after = directory.list();
        assert!(
            Arc::ptr_eq(&before[1], &after[0]),
            "provider 2 kept its invoker"
        );
    }

    #[tokio::test]
    async fn the_registry_going_away_keeps_the_last_providers() {
        let (tx, rx) = watch::channel(urls(&[1, 2]));
        let directory = Directory::follow(rx, ConnectionConfig::default());
        drop(tx);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(directory.list().len(), 2);
    }
}
