//! Building the provider and consumer URLs a Java Dubbo 3.3 process would register.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::CONSUMERS_CATEGORY;
use crate::url::Url;

/// The `dubbo=` protocol version every Dubbo 2.7+/3.x process writes.
pub const DUBBO_PROTOCOL_VERSION: &str = "2.0.2";

/// The `release=` value: this crate's version.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// The environment variable that overrides the IP written to the registry, as in Java Dubbo
/// (`DUBBO_IP_TO_REGISTRY`).
pub const IP_TO_REGISTRY_ENV: &str = "DUBBO_IP_TO_REGISTRY";

/// The inputs of [`provider_url`].
///
/// Build it with struct-update syntax over [`ProviderSpec::default()`].
#[derive(Debug, Clone, Default)]
pub struct ProviderSpec {
    /// The application name (`application=`).
    pub application: String,
    /// The Java interface name (path and `interface=`).
    pub interface: String,
    /// The Java method names; written sorted, de-duplicated and comma-joined (`*` when empty).
    pub methods: Vec<String>,
    /// The host consumers connect to; `None` for [`local_host()`]. Never `0.0.0.0`.
    pub host: Option<String>,
    /// The port consumers connect to (Dubbo's default is 20880).
    pub port: u16,
    /// The service version; `None` or empty writes no `version` key.
    pub version: Option<String>,
    /// The service group; `None` or empty writes no `group` key.
    pub group: Option<String>,
    /// Whether the service is a generic implementation (`generic=true`).
    pub generic: bool,
    /// Further configured parameters, written as given (empty values are skipped): `timeout`,
    /// `retries`, `weight`, `loadbalance`, `cluster`, `warmup`, `token`, method-level
    /// `<method>.<key>`… They are applied last and may override the standard keys (for
    /// example `dynamic=false` for a persistent registration).
    pub params: BTreeMap<String, String>,
    /// The `timestamp=` in milliseconds since the epoch; `None` for now.
    pub timestamp_ms: Option<u64>,
}

/// The inputs of [`consumer_url`].
///
/// Build it with struct-update syntax over [`ConsumerSpec::default()`].
#[derive(Debug, Clone, Default)]
pub struct ConsumerSpec {
    /// The application name (`application=`).
    pub application: String,
    /// The Java interface name (path and `interface=`).
    pub interface: String,
    /// The Java method names; written sorted, de-duplicated and comma-joined (`*` when empty).
    pub methods: Vec<String>,
    /// The consumer's own host; `None` for [`local_host()`].
    pub host: Option<String>,
    /// The wanted version; `None` or empty writes no `version` key (and then only providers
    /// without a version match; `*` matches any).
    pub version: Option<String>,
    /// The wanted group; `None` or empty writes no `group` key (`*` or a comma list match
    /// several).
    pub group: Option<String>,
    /// Further reference parameters (`timeout`, `retries`, `loadbalance`, `protocol`…), applied
    /// last.
    pub params: BTreeMap<String, String>,
    /// The `timestamp=` in milliseconds since the epoch; `None` for now.
    pub timestamp_ms: Option<u64>,
    /// The `pid=`; `None` for this process's id.
    pub pid: Option<u32>,
}

/// The URL a Java Dubbo 3.3 provider registers, for the same inputs (protocol.md §7.1):
///
/// ```text
/// dubbo://<host>:<port>/<interface>?application=<app>&deprecated=false&dubbo=2.0.2
///   &dynamic=true&generic=false[&group=<g>]&interface=<interface>&methods=<m1,m2>
///   &prefer.serialization=hessian2&release=<RELEASE>&serialization=hessian2&side=provider
///   &timestamp=<ms>[&version=<v>][&<configured params>]
/// ```
///
/// Keys Java 3.2.11+ strips before registering (`pid`, `anyhost`, `threads`…) are not written.
pub fn provider_url(spec: &ProviderSpec) -> Url {
    let host = spec
        .host
        .clone()
        .unwrap_or_else(|| local_host().to_string());
    let mut url = Url::new("dubbo", host, spec.port, spec.interface.as_str())
        .with_param("application", &spec.application)
        .with_param("deprecated", "false")
        .with_param("dubbo", DUBBO_PROTOCOL_VERSION)
        .with_param("dynamic", "true")
        .with_param("generic", if spec.generic { "true" } else { "false" })
        .with_param("interface", &spec.interface)
        .with_param("methods", join_methods(&spec.methods))
        .with_param("prefer.serialization", "hessian2")
        .with_param("release", RELEASE)
        .with_param("serialization", "hessian2")
        .with_param("side", "provider")
        .with_param(
            "timestamp",
            spec.timestamp_ms.unwrap_or_else(now_ms).to_string(),
        );
    if let Some(v) = &spec.version {
        url.set_param("version", v);
    }
    if let Some(g) = &spec.group {
        url.set_param("group", g);
    }
    for (k, v) in &spec.params {
        url.set_param(k, v);
    }
    url
}

/// The URL a Java Dubbo 3.3 consumer registers under `consumers` (protocol.md §7.1), which is
/// also the URL to [`subscribe`](super::Registry::subscribe) with:
///
/// ```text
/// consumer://<host>/<interface>?application=<app>&category=consumers&check=false&dubbo=2.0.2
///   [&group=<g>]&interface=<interface>&methods=<m1,m2>&pid=<pid>&release=<RELEASE>
///   &side=consumer&timestamp=<ms>[&version=<v>][&<reference params>]
/// ```
pub fn consumer_url(spec: &ConsumerSpec) -> Url {
    let host = spec
        .host
        .clone()
        .unwrap_or_else(|| local_host().to_string());
    let mut url = Url::new("consumer", host, 0, spec.interface.as_str())
        .with_param("application", &spec.application)
        .with_param("category", CONSUMERS_CATEGORY)
        .with_param("check", "false")
        .with_param("dubbo", DUBBO_PROTOCOL_VERSION)
        .with_param("interface", &spec.interface)
        .with_param("methods", join_methods(&spec.methods))
        .with_param("pid", spec.pid.unwrap_or_else(std::process::id).to_string())
        .with_param("release", RELEASE)
        .with_param("side", "consumer")
        .with_param(
            "timestamp",
            spec.timestamp_ms.unwrap_or_else(now_ms).to_string(),
        );
    if let Some(v) = &spec.version {
        url.set_param("version", v);
    }
    if let Some(g) = &spec.group {
        url.set_param("group", g);
    }
    for (k, v) in &spec.params {
        url.set_param(k, v);
    }
    url
}

/// The local IP address to write into registered URLs.
///
/// 1. `DUBBO_IP_TO_REGISTRY` ([`IP_TO_REGISTRY_ENV`]) when it holds an IP address (Java Dubbo
///    honours the same variable, for containers and NAT);
/// 2. otherwise the address of the interface holding the default route, found by "connecting"
///    a UDP socket to a public address: this only asks the kernel for a route, **no packet is
///    sent** (looked up once per process);
/// 3. otherwise (no route, e.g. an offline machine) `127.0.0.1`.
pub fn local_host() -> IpAddr {
    if let Some(ip) = std::env::var(IP_TO_REGISTRY_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    static ROUTED: OnceLock<IpAddr> = OnceLock::new();
    *ROUTED.get_or_init(|| routed_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)))
}

fn routed_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    // connect() on UDP sends nothing; it only selects the route and the source address.
    socket.connect(("8.8.8.8", 53)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

fn join_methods(methods: &[String]) -> String {
    let mut names: Vec<&str> = methods
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
        .collect();
    if names.is_empty() {
        return "*".to_owned();
    }
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::is_match;

    fn provider_spec() -> ProviderSpec {
        ProviderSpec {
            application: "rust-greeter".into(),
            interface: "org.example.interop.Greeter".into(),
            methods: vec!["greet".into(), "echoUser".into(), "greet".into()],
            host: Some("192.168.1.20".into()),
            port: 20880,
            timestamp_ms: Some(1717171717171),
            ..ProviderSpec::default()
        }
    }

    #[test]
    fn provider_url_has_exactly_the_java_keys() {
        let url = provider_url(&provider_spec());
        assert_eq!(
            url.to_string(),
            format!(
                "dubbo://192.168.1.20:20880/org.example.interop.Greeter?application=rust-greeter\
                 &deprecated=false&dubbo=2.0.2&dynamic=true&generic=false\
                 &interface=org.example.interop.Greeter&methods=echoUser,greet\
                 &prefer.serialization=hessian2&release={RELEASE}&serialization=hessian2\
                 &side=provider&timestamp=1717171717171"
            )
        );
    }

    #[test]
    fn provider_url_writes_version_group_and_configured_keys_only_when_set() {
        let mut spec = provider_spec();
        spec.version = Some(String::new());
        spec.group = Some(String::new());
        let url = provider_url(&spec);
        assert_eq!(url.version(), None);
        assert_eq!(url.group(), None);
        assert!(!url.to_string().contains("version"));

        spec.version = Some("1.0.0".into());
        spec.group = Some("g".into());
        spec.params.insert("timeout".into(), "3000".into());
        spec.params.insert("weight".into(), "200".into());
        spec.params.insert("greet.retries".into(), "0".into());
        spec.params.insert("token".into(), String::new());
        let url = provider_url(&spec);
        assert_eq!(url.version(), Some("1.0.0"));
        assert_eq!(url.group(), Some("g"));
        assert_eq!(url.param("timeout"), Some("3000"));
        assert_eq!(url.param("weight"), Some("200"));
        assert_eq!(url.method_param("greet", "retries"), Some("0"));
        assert_eq!(url.param("token"), None);
        assert_eq!(url.service_key(), "g/org.example.interop.Greeter:1.0.0");
    }

    #[test]
    fn generic_and_methodless_providers() {
        let url = provider_url(&ProviderSpec {
            interface: "a.B".into(),
            generic: true,
            host: Some("h".into()),
            ..ProviderSpec::default()
        });
        assert_eq!(url.param("methods"), Some("*"));
        assert_eq!(url.param("generic"), Some("true"));
        assert_eq!(url.param("application"), None);
    }

    #[test]
    fn consumer_url_has_the_java_keys_and_matches_its_providers() {
        let url = consumer_url(&ConsumerSpec {
            application: "app".into(),
            interface: "org.example.interop.Greeter".into(),
            methods: vec!["greet".into()],
            host: Some("10.0.0.1".into()),
            version: Some("1.0.0".into()),
            timestamp_ms: Some(1),
            pid: Some(42),
            ..ConsumerSpec::default()
        });
        assert_eq!(
            url.to_string(),
            format!(
                "consumer://10.0.0.1/org.example.interop.Greeter?application=app\
                 &category=consumers&check=false&dubbo=2.0.2\
                 &interface=org.example.interop.Greeter&methods=greet&pid=42\
                 &release={RELEASE}&side=consumer&timestamp=1&version=1.0.0"
            )
        );
        let mut spec = provider_spec();
        assert!(!is_match(&url, &provider_url(&spec)));
        spec.version = Some("1.0.0".into());
        assert!(is_match(&url, &provider_url(&spec)));
        // a consumer never sees another consumer
        assert!(!is_match(&url, &url.clone().with_protocol("dubbo")));
    }

    #[test]
    fn local_host_is_never_unspecified() {
        let ip = local_host();
        assert!(!ip.is_unspecified());
        assert_eq!(local_host(), ip);
        let url = provider_url(&ProviderSpec {
            interface: "a.B".into(),
            port: 1,
            ..ProviderSpec::default()
        });
        assert_eq!(url.host(), ip.to_string());
    }
}
