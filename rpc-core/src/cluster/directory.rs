//! The live set of providers of one service, fed by the registry or by fixed URLs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cluster::invoker::Invoker;
use crate::transport::client::ConnectionConfig;
use crate::url::Url;

type InvokerList = Arc<Vec<Arc<Invoker>>>;

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
    /// registry notifies). Invokers of URLs that stay are kept, with their statistics.
    pub fn follow(mut urls: watch::Receiver<Arc<Vec<Url>>>, config: ConnectionConfig) -> Directory {
        let first = build(&HashMap::new(), &urls.borrow_and_update(), &config);
        let (tx, rx) = watch::channel(first);
        let feeder = tokio::spawn(async move {
            while urls.changed().await.is_ok() {
                let current: HashMap<String, Arc<Invoker>> = tx
                    .borrow()
                    .iter()
                    .map(|i| (i.url().to_string(), i.clone()))
                    .collect();
                let next = build(&current, &urls.borrow_and_update(), &config);
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

fn build(current: &HashMap<String, Arc<Invoker>>, urls: &[Url], config: &ConnectionConfig) -> InvokerList {
    Arc::new(
        urls.iter()
            .map(|u| match current.get(&u.to_string()) {
                Some(existing) => existing.clone(),
                None => Invoker::new(u.clone(), config),
            })
            .collect(),
    )
}
