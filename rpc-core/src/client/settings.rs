//! Consumer settings per service and per method, resolved as Java resolves them: the
//! consumer's method setting, then its service setting, then the provider URL's method and
//! service parameters, then Dubbo's default.

use std::collections::HashMap;
use std::time::Duration;

use crate::attachments::SharedAttachments;
use crate::url::Url;

/// Java's default call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Java's default number of failover retries (3 attempts in all).
pub const DEFAULT_RETRIES: u32 = 2;
/// Java's default load balancer.
pub const DEFAULT_LOADBALANCE: &str = "random";
/// Java's default cluster mode.
pub const DEFAULT_CLUSTER: &str = "failover";
/// Java's default number of parallel calls of the `forking` mode.
pub const DEFAULT_FORKS: usize = 2;

/// The settings of one method against one provider, resolved once: looking them up per call
/// (formatting `method.key` names, parsing the provider's parameters) cost more than the
/// rest of the client stack together.
#[derive(Debug, Clone)]
pub struct ResolvedSettings {
    /// Timeout of each attempt.
    pub timeout: Duration,
    /// Retries only when the consumer or the provider set them (failback has its own
    /// default); see [`retries`](Self::retries).
    pub configured_retries: Option<u32>,
    /// Load balancer name.
    pub loadbalance: String,
    /// Cluster mode name.
    pub cluster: String,
    /// Parallel calls of the `forking` mode (`forks`; 0 = every provider).
    pub forks: usize,
    timeout_attachment: SharedAttachments,
}

impl ResolvedSettings {
    /// Failover retries after the first attempt.
    pub fn retries(&self) -> u32 {
        self.configured_retries.unwrap_or(DEFAULT_RETRIES)
    }

    /// The `timeout` attachment (milliseconds as a string, as Java sends it), encoded once.
    pub fn timeout_attachment(&self) -> &SharedAttachments {
        &self.timeout_attachment
    }

    /// The `timeout` attachment for `timeout`.
    pub fn timeout_attachment_for(timeout: Duration) -> SharedAttachments {
        SharedAttachments::new([("timeout", timeout.as_millis().to_string())])
    }
}

/// Settings that may be given per service and per method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallSettings {
    /// Timeout of each attempt.
    pub timeout: Option<Duration>,
    /// Failover retries after the first attempt.
    pub retries: Option<u32>,
    /// Load balancer name: `random`, `roundrobin`, `leastactive`, `shortestresponse`,
    /// `consistenthash`.
    pub loadbalance: Option<String>,
    /// Cluster mode: `failover`, `failfast`, `failsafe`, `failback`, `forking`,
    /// `broadcast`, `available`.
    pub cluster: Option<String>,
}

/// The consumer's settings for one service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerSettings {
    /// Service-level settings.
    pub service: CallSettings,
    /// Method-level settings by Java method name.
    pub methods: HashMap<String, CallSettings>,
    /// Extra parameters (`forks`, `hash.arguments`, `hash.nodes`, …) by key, service-level
    /// or `<method>.<key>`.
    pub parameters: HashMap<String, String>,
}

impl ConsumerSettings {
    /// Every setting of `method` against `provider`, resolved.
    pub fn resolve(&self, method: &str, provider: Option<&Url>) -> ResolvedSettings {
        let timeout = self.timeout(method, provider);
        ResolvedSettings {
            timeout,
            configured_retries: self.configured_retries(method, provider),
            loadbalance: self.loadbalance(method, provider),
            cluster: self.cluster(method, provider),
            forks: self
                .parameter(method, "forks", provider)
                .and_then(|f| f.trim().parse::<i64>().ok())
                .map(|f| f.max(0) as usize)
                .unwrap_or(DEFAULT_FORKS),
            timeout_attachment: ResolvedSettings::timeout_attachment_for(timeout),
        }
    }

    fn consumer<T>(&self, method: &str, pick: impl Fn(&CallSettings) -> Option<T>) -> Option<T> {
        self.methods
            .get(method)
            .and_then(&pick)
            .or_else(|| pick(&self.service))
    }

    /// A raw parameter: consumer method-level, consumer service-level, then the provider's.
    pub fn parameter(&self, method: &str, key: &str, provider: Option<&Url>) -> Option<String> {
        let method_key = format!("{method}.{key}");
        self.parameters
            .get(&method_key)
            .or_else(|| self.parameters.get(key))
            .cloned()
            .or_else(|| {
                provider.and_then(|p| {
                    p.param(&method_key)
                        .or_else(|| p.param(key))
                        .map(str::to_owned)
                })
            })
    }

    /// The timeout of one attempt of `method` on `provider`.
    pub fn timeout(&self, method: &str, provider: Option<&Url>) -> Duration {
        self.consumer(method, |s| s.timeout)
            .or_else(|| {
                self.parameter(method, "timeout", provider)
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_millis)
            })
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The failover retries of `method`.
    pub fn retries(&self, method: &str, provider: Option<&Url>) -> u32 {
        self.configured_retries(method, provider)
            .unwrap_or(DEFAULT_RETRIES)
    }

    /// The `retries` of `method` when the consumer or the provider set one (failback uses its
    /// own default of 3 otherwise, as Java).
    pub fn configured_retries(&self, method: &str, provider: Option<&Url>) -> Option<u32> {
        self.consumer(method, |s| s.retries).or_else(|| {
            self.parameter(method, "retries", provider)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .map(|r| r.max(0) as u32)
        })
    }

    /// The load balancer of `method`.
    pub fn loadbalance(&self, method: &str, provider: Option<&Url>) -> String {
        self.consumer(method, |s| s.loadbalance.clone())
            .or_else(|| self.parameter(method, "loadbalance", provider))
            .unwrap_or_else(|| DEFAULT_LOADBALANCE.to_owned())
    }

    /// The cluster mode of `method`.
    pub fn cluster(&self, method: &str, provider: Option<&Url>) -> String {
        self.consumer(method, |s| s.cluster.clone())
            .or_else(|| self.parameter(method, "cluster", provider))
            .unwrap_or_else(|| DEFAULT_CLUSTER.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(query: &str) -> Url {
        Url::parse(&format!("dubbo://127.0.0.1:20880/a.B?{query}")).unwrap()
    }

    #[test]
    fn timeout_defaults_to_one_second() {
        assert_eq!(
            ConsumerSettings::default().timeout("m", None),
            DEFAULT_TIMEOUT
        );
    }

    #[test]
    fn provider_timeout_applies_when_consumer_sets_none() {
        let p = provider("timeout=3000");
        assert_eq!(
            ConsumerSettings::default().timeout("m", Some(&p)),
            Duration::from_millis(3000)
        );
    }

    #[test]
    fn provider_method_timeout_beats_provider_service_timeout() {
        let p = provider("timeout=3000&m.timeout=500");
        assert_eq!(
            ConsumerSettings::default().timeout("m", Some(&p)),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn consumer_timeout_beats_provider_timeout() {
        let p = provider("m.timeout=500");
        let mut s = ConsumerSettings::default();
        s.service.timeout = Some(Duration::from_millis(2000));
        assert_eq!(s.timeout("m", Some(&p)), Duration::from_millis(2000));
    }

    #[test]
    fn consumer_method_setting_beats_consumer_service_setting() {
        let mut s = ConsumerSettings::default();
        s.service.retries = Some(5);
        s.methods.insert(
            "m".into(),
            CallSettings {
                retries: Some(0),
                ..Default::default()
            },
        );
        assert_eq!(s.retries("m", None), 0);
        assert_eq!(s.retries("other", None), 5);
    }

    #[test]
    fn resolved_settings_agree_with_each_lookup() {
        let p =
            provider("timeout=3000&m.retries=4&loadbalance=roundrobin&forks=3&m.cluster=forking");
        let mut s = ConsumerSettings::default();
        s.methods.insert(
            "m".into(),
            CallSettings {
                timeout: Some(Duration::from_millis(250)),
                ..Default::default()
            },
        );
        for method in ["m", "other"] {
            let r = s.resolve(method, Some(&p));
            assert_eq!(r.timeout, s.timeout(method, Some(&p)));
            assert_eq!(r.retries(), s.retries(method, Some(&p)));
            assert_eq!(r.configured_retries, s.configured_retries(method, Some(&p)));
            assert_eq!(r.loadbalance, s.loadbalance(method, Some(&p)));
            assert_eq!(r.cluster, s.cluster(method, Some(&p)));
            assert_eq!(
                r.timeout_attachment().get("timeout"),
                Some(&dubbo_hessian2::Value::String(
                    r.timeout.as_millis().to_string()
                ))
            );
        }
        assert_eq!(s.resolve("m", Some(&p)).forks, 3);
        assert_eq!(s.resolve("m", None).forks, DEFAULT_FORKS);
    }
}
