//! An in-process registry for the quickstart and for tests.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::{
    is_match, publish, ProviderSet, Registry, RegistryError, Subscription, CONFIGURATORS_CATEGORY,
    PROVIDERS_CATEGORY,
};
use crate::url::{Url, CATEGORY_KEY};

/// An in-process [`Registry`]: a shared table of URLs with the same matching as ZooKeeper.
///
/// Clones are handles on the same *session*: what one clone registers, another can unregister,
/// and [`shutdown`](Registry::shutdown) on any clone ends the session for all of them.
/// [`MemoryRegistry::new_session`] opens another session on the same table, which behaves like
/// a second process connected to the same ZooKeeper: its registrations are its own and vanish
/// when it shuts down, and everybody's subscriptions see the change at once.
#[derive(Debug, Clone)]
pub struct MemoryRegistry {
    table: Arc<Table>,
    session: u64,
}

#[derive(Debug, Default)]
struct Table {
    next_session: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// (url, owning session)
    registered: BTreeSet<(Url, u64)>,
    subscribers: Vec<Subscriber>,
    closed_sessions: BTreeSet<u64>,
}

#[derive(Debug)]
struct Subscriber {
    consumer: Url,
    session: u64,
    tx: watch::Sender<ProviderSet>,
}

impl Default for MemoryRegistry {
    fn default() -> MemoryRegistry {
        MemoryRegistry::new()
    }
}

impl MemoryRegistry {
    /// A new, empty registry table and a first session on it.
    pub fn new() -> MemoryRegistry {
        MemoryRegistry {
            table: Arc::new(Table::default()),
            session: 0,
        }
    }

    /// A new session on the same table (like a second process on the same ZooKeeper).
    pub fn new_session(&self) -> MemoryRegistry {
        MemoryRegistry {
            table: self.table.clone(),
            session: self.table.next_session.fetch_add(1, Ordering::Relaxed) + 1,
        }
    }

    /// Every URL registered on the table by any live session, sorted.
    pub fn registered(&self) -> Vec<Url> {
        let state = self.state();
        let mut urls: Vec<Url> = state.registered.iter().map(|(u, _)| u.clone()).collect();
        urls.dedup();
        urls
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across an await or user code, so poisoning would mean a bug in
        // this module; recover the data rather than propagate the panic.
        self.table
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check_open(&self, state: &State) -> Result<(), RegistryError> {
        if state.closed_sessions.contains(&self.session) {
            Err(RegistryError::Closed)
        } else {
            Ok(())
        }
    }
}

impl State {
    fn listing(&self, consumer: &Url) -> (Vec<Url>, Vec<Url>) {
        let providers = self
            .registered
            .iter()
            .map(|(u, _)| u)
            .filter(|u| is_match(consumer, u))
            .cloned()
            .collect();
        let configurators = self
            .registered
            .iter()
            .map(|(u, _)| u)
            .filter(|u| {
                u.param(CATEGORY_KEY) == Some(CONFIGURATORS_CATEGORY)
                    && (u.interface() == consumer.interface() || u.interface() == "*")
            })
            .cloned()
            .collect();
        (providers, configurators)
    }

    fn notify_all(&mut self) {
        self.subscribers.retain(|s| !s.tx.is_closed());
        for s in &self.subscribers {
            let (providers, configurators) = self.listing(&s.consumer);
            publish(&s.tx, providers, configurators);
        }
    }
}

#[async_trait::async_trait]
impl Registry for MemoryRegistry {
    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        let mut state = self.state();
        self.check_open(&state)?;
        if state.registered.insert((url.clone(), self.session)) {
            state.notify_all();
        }
        Ok(())
    }

    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        let mut state = self.state();
        self.check_open(&state)?;
        if state.registered.remove(&(url.clone(), self.session)) {
            state.notify_all();
        }
        Ok(())
    }

    async fn subscribe(&self, consumer: &Url) -> Result<Subscription, RegistryError> {
        let mut state = self.state();
        self.check_open(&state)?;
        let consumer = match consumer.param(CATEGORY_KEY) {
            // the URL a consumer registers: subscribe to what it consumes
            Some(super::CONSUMERS_CATEGORY) => consumer
                .clone()
                .with_param(CATEGORY_KEY, PROVIDERS_CATEGORY),
            _ => consumer.clone(),
        };
        let (tx, rx) = watch::channel(ProviderSet::default());
        let (providers, configurators) = state.listing(&consumer);
        publish(&tx, providers, configurators);
        state.subscribers.push(Subscriber {
            consumer,
            session: self.session,
            tx,
        });
        Ok(rx)
    }

    async fn shutdown(&self) {
        let mut state = self.state();
        if !state.closed_sessions.insert(self.session) {
            return;
        }
        let session = self.session;
        state.registered.retain(|(_, s)| *s != session);
        // dropping the senders ends this session's subscriptions
        state.subscribers.retain(|s| s.session != session);
        state.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const CONSUMER: &str =
        "consumer://10.0.0.9/org.x.Svc?interface=org.x.Svc&category=consumers&version=1.0";

    #[tokio::test]
    async fn register_subscribe_unregister() {
        let provider_side = MemoryRegistry::new();
        let consumer_side = provider_side.new_session();
        let p1 = url("dubbo://10.0.0.1:20880/org.x.Svc?version=1.0");
        let p2 = url("dubbo://10.0.0.2:20880/org.x.Svc?version=1.0");
        let other_version = url("dubbo://10.0.0.3:20880/org.x.Svc?version=2.0");
        let tri = url("tri://10.0.0.4:50051/org.x.Svc?version=1.0");
        for p in [&p1, &other_version, &tri] {
            provider_side.register(p).await.unwrap();
        }

        let consumer = url(CONSUMER);
        consumer_side.register(&consumer).await.unwrap();
        let mut sub = consumer_side.subscribe(&consumer).await.unwrap();
        {
            let set = sub.borrow_and_update();
            assert!(set.is_listed());
            assert_eq!(*set.providers, vec![p1.clone()]);
        }

        provider_side.register(&p2).await.unwrap();
        sub.changed().await.unwrap();
        assert_eq!(
            *sub.borrow_and_update().providers,
            vec![p1.clone(), p2.clone()]
        );

        // unrelated changes publish nothing
        provider_side
            .register(&url("dubbo://10.0.0.5:1/org.y.Other"))
            .await
            .unwrap();
        assert!(!sub.has_changed().unwrap());

        provider_side.unregister(&p1).await.unwrap();
        sub.changed().await.unwrap();
        assert_eq!(*sub.borrow_and_update().providers, vec![p2.clone()]);
        assert!(provider_side.registered().contains(&consumer));
    }

    #[tokio::test]
    async fn shutdown_removes_the_sessions_urls_and_ends_its_subscriptions() {
        let a = MemoryRegistry::new();
        let b = a.new_session();
        let p = url("dubbo://10.0.0.1:20880/org.x.Svc?version=1.0");
        a.register(&p).await.unwrap();
        let mut b_sub = b.subscribe(&url(CONSUMER)).await.unwrap();
        let mut a_sub = a.subscribe(&url(CONSUMER)).await.unwrap();
        assert_eq!(b_sub.borrow_and_update().len(), 1);
        assert_eq!(a_sub.borrow_and_update().len(), 1);

        a.shutdown().await;
        a.shutdown().await; // idempotent
        b_sub.changed().await.unwrap();
        assert!(b_sub.borrow_and_update().is_empty());
        assert!(a_sub.changed().await.is_err(), "a's subscription ended");
        assert_eq!(a_sub.borrow().len(), 1, "the last list stays readable");
        assert!(matches!(a.register(&p).await, Err(RegistryError::Closed)));
        assert!(a.registered().is_empty());
    }

    #[tokio::test]
    async fn configurators_are_carried() {
        let r = MemoryRegistry::new();
        let ov = url("override://0.0.0.0/org.x.Svc?category=configurators&timeout=5000");
        r.register(&ov).await.unwrap();
        let sub = r.subscribe(&url(CONSUMER)).await.unwrap();
        let set = sub.borrow().clone();
        assert!(set.providers.is_empty());
        assert_eq!(*set.configurators, vec![ov]);
    }

    #[tokio::test]
    async fn dropped_subscriptions_are_forgotten() {
        let r = MemoryRegistry::new();
        drop(r.subscribe(&url(CONSUMER)).await.unwrap());
        r.register(&url("dubbo://10.0.0.1:1/org.x.Svc?version=1.0"))
            .await
            .unwrap();
        assert!(r.state().subscribers.is_empty());
    }
}
