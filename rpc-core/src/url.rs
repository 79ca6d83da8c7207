//! The Dubbo URL: the configuration currency of providers, consumers and registries.
//!
//! Java Dubbo describes everything it registers, subscribes to or connects to with one URL type,
//! `org.apache.dubbo.common.URL`, and so do we: what a provider writes to ZooKeeper and what a
//! consumer reads back round-trip through [`Url`].
//!
//! # Format
//!
//! ```text
//! protocol://[username[:password]@]host[:port][/path][?key=value&key=value…]
//! dubbo://192.168.1.20:20880/org.example.Greeter?application=demo&interface=org.example.Greeter
//! zookeeper://127.0.0.1:2181?backup=127.0.0.1:2182,127.0.0.1:2183
//! consumer://10.0.0.1/org.example.Greeter?category=consumers&side=consumer
//! ```
//!
//! * Parameters live in a sorted map, so [`Url::to_full_string`] writes them **sorted by key**,
//!   exactly like Java's `URL.toFullString()` (which iterates a `TreeMap`).
//! * A parameter is either non-empty or absent: empty keys and empty values are dropped when
//!   parsing and never stored, so they are never written (Java's config appenders never write
//!   them either, and an empty `version=` would hide a provider from Java consumers).
//! * Values are not escaped individually. The whole string is escaped once, with
//!   [`Url::encoded`], when it becomes a ZooKeeper node name.
//! * An IPv6 host keeps its brackets (`[::1]`), so [`Url::address`] is always `host:port`
//!   that [`std::net::SocketAddr`] parses.
//!
//! # Examples
//!
//! ```
//! use dubbo_rpc::Url;
//!
//! let url: Url = "dubbo://10.0.0.5:20880/org.example.Greeter?version=1.0.0&application=demo"
//!     .parse()
//!     .unwrap();
//! assert_eq!(url.address(), "10.0.0.5:20880");
//! assert_eq!(url.interface(), "org.example.Greeter");
//! assert_eq!(url.service_key(), "org.example.Greeter:1.0.0");
//! // parameters come out sorted, like Java's toFullString()
//! assert_eq!(
//!     url.to_string(),
//!     "dubbo://10.0.0.5:20880/org.example.Greeter?application=demo&version=1.0.0"
//! );
//! assert_eq!(Url::decode_encoded(&url.encoded()).unwrap(), url);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Parameter key: the Java interface name (`interface`).
pub const INTERFACE_KEY: &str = "interface";
/// Parameter key: the service version (`version`).
pub const VERSION_KEY: &str = "version";
/// Parameter key: the service group (`group`).
pub const GROUP_KEY: &str = "group";
/// Parameter key: the registry category of a URL (`category`).
pub const CATEGORY_KEY: &str = "category";
/// Parameter key: the backup addresses of a registry URL (`backup`).
pub const BACKUP_KEY: &str = "backup";

/// Why a string is not a Dubbo URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The string is empty (or only whitespace).
    #[error("empty URL")]
    Empty,
    /// There is no `protocol://` prefix.
    #[error("URL has no protocol (expected protocol://...): {0:?}")]
    MissingProtocol(String),
    /// The port is not a number in `0..=65535`.
    #[error("invalid port in URL {0:?}")]
    InvalidPort(String),
    /// An IPv6 host has an opening `[` without its `]`.
    #[error("unterminated IPv6 host in URL {0:?}")]
    InvalidHost(String),
    /// A `%` escape of an encoded URL is not followed by two hex digits, or the decoded bytes
    /// are not UTF-8.
    #[error("invalid percent-encoding in {0:?}")]
    InvalidEncoding(String),
}

/// A Dubbo URL: `protocol://[user[:password]@]host[:port][/path]?key=value&…`.
///
/// Parameters are kept sorted by key and never hold an empty key or value. See the
/// [module documentation](self) for the format. [`Display`](fmt::Display) writes Java's
/// `toFullString()`; [`Debug`](fmt::Debug) writes the same with the password masked.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Url {
    protocol: String,
    username: Option<String>,
    password: Option<String>,
    host: String,
    port: u16,
    path: String,
    params: BTreeMap<String, String>,
}

impl Url {
    /// A URL without parameters. `port` 0 means "no port" (it is not written), and a leading
    /// `/` of `path` is dropped, as Java does.
    pub fn new(
        protocol: impl Into<String>,
        host: impl Into<String>,
        port: u16,
        path: impl Into<String>,
    ) -> Url {
        let path = path.into();
        Url {
            protocol: protocol.into(),
            host: host.into(),
            port,
            path: path.trim_start_matches('/').to_owned(),
            ..Url::default()
        }
    }

    /// Parses the decoded (plain) form of a URL, as Java's `URL.valueOf` does.
    ///
    /// Parameters are split on `&` and then on the first `=`; a parameter without `=` maps to
    /// its own name (Java's behaviour), and parameters with an empty key or value are dropped.
    /// Nothing is percent-decoded here: use [`Url::decode_encoded`] for ZooKeeper node names.
    ///
    /// # Errors
    ///
    /// [`UrlError`] when there is no `protocol://`, the port is not a `u16`, or an IPv6 host
    /// misses its `]`.
    pub fn parse(s: &str) -> Result<Url, UrlError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(UrlError::Empty);
        }
        let (body, query) = match s.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (s, None),
        };
        let (protocol, rest) = body
            .split_once("://")
            .filter(|(p, _)| !p.is_empty())
            .ok_or_else(|| UrlError::MissingProtocol(s.to_owned()))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i + 1..].trim_start_matches('/')),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (non_empty(u), non_empty(p)),
                None => (non_empty(ui), None),
            },
            None => (None, None),
        };
        let (host, port) = split_host_port(hostport, s)?;
        let mut url = Url {
            protocol: protocol.to_owned(),
            username,
            password,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
            params: BTreeMap::new(),
        };
        if let Some(query) = query {
            for part in query.split('&') {
                let (k, v) = part.split_once('=').unwrap_or((part, part));
                url.set_param(k, v);
            }
        }
        Ok(url)
    }

    /// Decodes a `java.net.URLEncoder`-encoded URL (a ZooKeeper node name written by
    /// [`Url::encoded`] or by Java Dubbo) and parses it.
    ///
    /// # Errors
    ///
    /// [`UrlError::InvalidEncoding`] for a broken `%` escape or non-UTF-8 bytes, then the errors
    /// of [`Url::parse`].
    pub fn decode_encoded(encoded: &str) -> Result<Url, UrlError> {
        Url::parse(&url_decode(encoded)?)
    }

    /// Java's `toFullString()`: `protocol://user:password@host:port/path?k=v&…`, parameters
    /// sorted by key. The same text as [`Display`](fmt::Display).
    pub fn to_full_string(&self) -> String {
        self.to_string()
    }

    /// `java.net.URLEncoder.encode(toFullString(), "UTF-8")`: the node name Java Dubbo uses
    /// under `/dubbo/<interface>/providers`.
    ///
    /// `A-Z a-z 0-9 . - * _` stay, a space becomes `+`, every other byte becomes `%XX` with
    /// upper-case hex digits.
    pub fn encoded(&self) -> String {
        url_encode(&self.to_full_string())
    }

    /// The protocol (`dubbo`, `zookeeper`, `consumer`, `override`, …).
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// The user name of `user:password@`, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The password of `user:password@`, if any.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The host: a name, an IPv4 address, or an IPv6 address in brackets (`[::1]`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port; 0 when the URL has none.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path without its leading `/` (for a service URL: the interface name).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Java's `getAddress()`: `host:port`, or only `host` when there is no port.
    pub fn address(&self) -> String {
        if self.port == 0 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The primary address followed by every address of the `backup` parameter (a comma list,
    /// as in `zookeeper://h1:2181?backup=h2:2181,h3:2181`). This is Java's
    /// `getBackupAddress()` split on commas: the whole ensemble of a registry URL.
    pub fn backup_addresses(&self) -> Vec<String> {
        let mut all = vec![self.address()];
        if let Some(backup) = self.param(BACKUP_KEY) {
            all.extend(
                backup
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned),
            );
        }
        all
    }

    /// All parameters, sorted by key.
    pub fn params(&self) -> &BTreeMap<String, String> {
        &self.params
    }

    /// The value of a parameter (never empty).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// The value of a parameter, or `default` when it is absent.
    pub fn param_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.param(key).unwrap_or(default)
    }

    /// A parameter parsed as `u64`; `None` when absent or not a number.
    pub fn param_u64(&self, key: &str) -> Option<u64> {
        self.param(key).and_then(|v| v.parse().ok())
    }

    /// A parameter as Java's `Boolean.parseBoolean`: `Some(true)` only for `true` in any case,
    /// `Some(false)` for any other value, `None` when absent.
    pub fn param_bool(&self, key: &str) -> Option<bool> {
        self.param(key).map(|v| v.eq_ignore_ascii_case("true"))
    }

    /// A parameter holding milliseconds (Dubbo's unit for `timeout`, `session`, `warmup`…) as a
    /// [`Duration`]; `None` when absent or not a number.
    pub fn param_duration_ms(&self, key: &str) -> Option<Duration> {
        self.param_u64(key).map(Duration::from_millis)
    }

    /// Java's `getMethodParameter(method, key)`: the method-level `<method>.<key>` parameter,
    /// falling back to the service-level `key`.
    pub fn method_param(&self, method: &str, key: &str) -> Option<&str> {
        self.params
            .get(&format!("{method}.{key}"))
            .map(String::as_str)
            .or_else(|| self.param(key))
    }

    /// The interface: the `interface` parameter, else the path (Java's `getServiceInterface()`).
    pub fn interface(&self) -> &str {
        self.param(INTERFACE_KEY).unwrap_or(&self.path)
    }

    /// The `version` parameter; `None` when absent (an empty value is never stored).
    pub fn version(&self) -> Option<&str> {
        self.param(VERSION_KEY)
    }

    /// The `group` parameter; `None` when absent (an empty value is never stored).
    pub fn group(&self) -> Option<&str> {
        self.param(GROUP_KEY)
    }

    /// Java's `getServiceKey()`: `group/interface:version`, leaving out the group and version
    /// parts when they are absent.
    pub fn service_key(&self) -> String {
        service_key(self.interface(), self.group(), self.version())
    }

    /// Builder style: the URL with `key=value` set. An empty key or value (after trimming) is
    /// skipped, and leaves an existing value in place.
    #[must_use]
    pub fn with_param(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> Url {
        self.set_param(key, value);
        self
    }

    /// Builder style: the URL with the parameter removed.
    #[must_use]
    pub fn without_param(mut self, key: &str) -> Url {
        self.remove_param(key);
        self
    }

    /// Builder style: the URL with another host.
    #[must_use]
    pub fn with_host(mut self, host: impl Into<String>) -> Url {
        self.host = host.into();
        self
    }

    /// Builder style: the URL with another port (0 = none).
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Url {
        self.port = port;
        self
    }

    /// Builder style: the URL with another path (a leading `/` is dropped).
    #[must_use]
    pub fn with_path(mut self, path: impl AsRef<str>) -> Url {
        self.path = path.as_ref().trim_start_matches('/').to_owned();
        self
    }

    /// Builder style: the URL with another protocol.
    #[must_use]
    pub fn with_protocol(mut self, protocol: impl Into<String>) -> Url {
        self.protocol = protocol.into();
        self
    }

    /// Builder style: the URL with `user[:password]@` credentials (empty strings clear them).
    #[must_use]
    pub fn with_credentials(mut self, username: &str, password: &str) -> Url {
        self.username = non_empty(username);
        self.password = non_empty(password);
        self
    }

    /// Sets `key=value` (both trimmed). An empty key or value is ignored; returns whether the
    /// parameter was stored.
    pub fn set_param(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> bool {
        let (key, value) = (key.as_ref().trim(), value.as_ref().trim());
        if key.is_empty() || value.is_empty() {
            return false;
        }
        self.params.insert(key.to_owned(), value.to_owned());
        true
    }

    /// Removes a parameter and returns its value.
    pub fn remove_param(&mut self, key: &str) -> Option<String> {
        self.params.remove(key)
    }
}

/// Java's `URL.buildKey(interface, group, version)`: `group/interface:version`, each optional
/// part left out when absent or empty.
pub fn service_key(interface: &str, group: Option<&str>, version: Option<&str>) -> String {
    let mut key = String::with_capacity(interface.len() + 16);
    if let Some(g) = group.filter(|g| !g.is_empty()) {
        key.push_str(g);
        key.push('/');
    }
    key.push_str(interface);
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        key.push(':');
        key.push_str(v);
    }
    key
}

impl fmt::Display for Url {
    /// Java's `toFullString()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, true)
    }
}

impl fmt::Debug for Url {
    /// `Url(<full string>)` with the password masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Url(")?;
        self.write(f, false)?;
        f.write_str(")")
    }
}

impl Url {
    fn write(&self, f: &mut fmt::Formatter<'_>, show_password: bool) -> fmt::Result {
        if !self.protocol.is_empty() {
            write!(f, "{}://", self.protocol)?;
        }
        if let Some(user) = &self.username {
            f.write_str(user)?;
            if self.password.is_some() {
                f.write_str(":")?;
                f.write_str(match (&self.password, show_password) {
                    (Some(p), true) => p,
                    _ => "***",
                })?;
            }
            f.write_str("@")?;
        }
        if !self.host.is_empty() {
            f.write_str(&self.host)?;
            if self.port > 0 {
                write!(f, ":{}", self.port)?;
            }
        }
        if !self.path.is_empty() {
            write!(f, "/{}", self.path)?;
        }
        let mut sep = '?';
        for (k, v) in &self.params {
            write!(f, "{sep}{k}={v}")?;
            sep = '&';
        }
        Ok(())
    }
}

impl FromStr for Url {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Url, UrlError> {
        Url::parse(s)
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn split_host_port<'a>(hostport: &'a str, whole: &str) -> Result<(&'a str, u16), UrlError> {
    let parse_port = |p: &str| {
        if p.is_empty() {
            Ok(0)
        } else {
            p.parse::<u16>()
                .map_err(|_| UrlError::InvalidPort(whole.to_owned()))
        }
    };
    if hostport.starts_with('[') {
        let end = hostport
            .find(']')
            .ok_or_else(|| UrlError::InvalidHost(whole.to_owned()))?;
        let (host, rest) = hostport.split_at(end + 1);
        return match rest.strip_prefix(':') {
            Some(p) => Ok((host, parse_port(p)?)),
            None if rest.is_empty() => Ok((host, 0)),
            None => Err(UrlError::InvalidHost(whole.to_owned())),
        };
    }
    match hostport.rsplit_once(':') {
        // a bare IPv6 address without brackets: no port
        Some((h, _)) if h.contains(':') => Ok((hostport, 0)),
        Some((h, p)) => Ok((h, parse_port(p)?)),
        None => Ok((hostport, 0)),
    }
}

/// `java.net.URLEncoder.encode(s, "UTF-8")`: `A-Z a-z 0-9 . - * _` stay, a space becomes `+`,
/// every other byte becomes `%XX` (upper-case hex). Java Dubbo's `URL.encode`, used for node
/// names and for the interface segment of ZooKeeper paths.
pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `java.net.URLDecoder.decode(s, "UTF-8")`: `+` becomes a space and `%XX` a byte.
///
/// # Errors
///
/// [`UrlError::InvalidEncoding`] for a `%` not followed by two hex digits or bytes that are not
/// UTF-8 (Java throws `IllegalArgumentException` for the first).
pub fn url_decode(s: &str) -> Result<String, UrlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| UrlError::InvalidEncoding(s.to_owned()))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| UrlError::InvalidEncoding(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKED: &str = "dubbo://192.168.1.20:20880/org.example.interop.Greeter?application=rust-greeter&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=org.example.interop.Greeter&methods=greet,echoUser&prefer.serialization=hessian2&release=3.3.1&serialization=hessian2&side=provider&timestamp=1717171717171";
    const WORKED_ENCODED: &str = "dubbo%3A%2F%2F192.168.1.20%3A20880%2Forg.example.interop.Greeter%3Fapplication%3Drust-greeter%26deprecated%3Dfalse%26dubbo%3D2.0.2%26dynamic%3Dtrue%26generic%3Dfalse%26interface%3Dorg.example.interop.Greeter%26methods%3Dgreet%2CechoUser%26prefer.serialization%3Dhessian2%26release%3D3.3.1%26serialization%3Dhessian2%26side%3Dprovider%26timestamp%3D1717171717171";

    #[test]
    fn worked_example_encodes_to_the_java_node_name() {
        let url = Url::parse(WORKED).unwrap();
        assert_eq!(url.to_full_string(), WORKED);
        assert_eq!(url.encoded(), WORKED_ENCODED);
        assert_eq!(Url::decode_encoded(WORKED_ENCODED).unwrap(), url);
    }

    #[test]
    fn worked_example_built_in_any_order_sorts_like_java() {
        let url = Url::new(
            "dubbo",
            "192.168.1.20",
            20880,
            "/org.example.interop.Greeter",
        )
        .with_param("timestamp", "1717171717171")
        .with_param("side", "provider")
        .with_param("serialization", "hessian2")
        .with_param("release", "3.3.1")
        .with_param("prefer.serialization", "hessian2")
        .with_param("methods", "greet,echoUser")
        .with_param("interface", "org.example.interop.Greeter")
        .with_param("generic", "false")
        .with_param("dynamic", "true")
        .with_param("dubbo", "2.0.2")
        .with_param("deprecated", "false")
        .with_param("application", "rust-greeter")
        .with_param("version", "");
        assert_eq!(url.to_string(), WORKED);
        assert_eq!(url.encoded(), WORKED_ENCODED);
    }

    #[test]
    fn parse_registry_url_with_backups() {
        let url =
            Url::parse("zookeeper://127.0.0.1:2181?backup=127.0.0.1:2182,127.0.0.1:2183&group=x")
                .unwrap();
        assert_eq!(url.protocol(), "zookeeper");
        assert_eq!(url.host(), "127.0.0.1");
        assert_eq!(url.port(), 2181);
        assert_eq!(url.path(), "");
        assert_eq!(url.group(), Some("x"));
        assert_eq!(
            url.backup_addresses(),
            ["127.0.0.1:2181", "127.0.0.1:2182", "127.0.0.1:2183"]
        );
        assert_eq!(
            url.to_string(),
            "zookeeper://127.0.0.1:2181?backup=127.0.0.1:2182,127.0.0.1:2183&group=x"
        );
    }

    #[test]
    fn parse_consumer_url_without_port() {
        let url =
            Url::parse("consumer://10.0.0.1/org.x.Svc?category=consumers&side=consumer").unwrap();
        assert_eq!(url.host(), "10.0.0.1");
        assert_eq!(url.port(), 0);
        assert_eq!(url.address(), "10.0.0.1");
        assert_eq!(url.path(), "org.x.Svc");
        assert_eq!(url.interface(), "org.x.Svc");
        assert_eq!(
            url.to_string(),
            "consumer://10.0.0.1/org.x.Svc?category=consumers&side=consumer"
        );
    }

    #[test]
    fn parse_credentials_and_mask_them_in_debug() {
        let url = Url::parse("zookeeper://admin:s3cr@t@zk1:2181/").unwrap();
        assert_eq!(url.username(), Some("admin"));
        assert_eq!(url.password(), Some("s3cr@t"));
        assert_eq!(url.host(), "zk1");
        assert_eq!(url.to_string(), "zookeeper://admin:s3cr@t@zk1:2181");
        assert_eq!(format!("{url:?}"), "Url(zookeeper://admin:***@zk1:2181)");
        let user_only = Url::parse("redis://bob@h").unwrap();
        assert_eq!(user_only.username(), Some("bob"));
        assert_eq!(user_only.password(), None);
        assert_eq!(user_only.to_string(), "redis://bob@h");
    }

    #[test]
    fn parse_ipv6_hosts() {
        let url = Url::parse("dubbo://[::1]:20880/a.B?x=1").unwrap();
        assert_eq!(url.host(), "[::1]");
        assert_eq!(url.port(), 20880);
        assert_eq!(url.address(), "[::1]:20880");
        assert!(url.address().parse::<std::net::SocketAddr>().is_ok());
        assert_eq!(url.to_string(), "dubbo://[::1]:20880/a.B?x=1");
        assert_eq!(Url::parse("dubbo://[fe80::1]/p").unwrap().port(), 0);
        assert!(matches!(
            Url::parse("dubbo://[::1:20880/p"),
            Err(UrlError::InvalidHost(_))
        ));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(Url::parse("  "), Err(UrlError::Empty));
        assert!(matches!(
            Url::parse("127.0.0.1:2181"),
            Err(UrlError::MissingProtocol(_))
        ));
        assert!(matches!(
            Url::parse("dubbo://h:99999/x"),
            Err(UrlError::InvalidPort(_))
        ));
        assert!(matches!(
            Url::parse("dubbo://h:port/x"),
            Err(UrlError::InvalidPort(_))
        ));
        assert!(matches!(
            Url::decode_encoded("dubbo%3A%2F%2Fh%2"),
            Err(UrlError::InvalidEncoding(_))
        ));
        assert!(matches!(
            Url::decode_encoded("dubbo%3A%2F%2Fh%ZZ"),
            Err(UrlError::InvalidEncoding(_))
        ));
    }

    #[test]
    fn empty_keys_and_values_are_never_stored_or_written() {
        let url = Url::parse("dubbo://h:1/p?version=&group=&=x&a=1&flag").unwrap();
        assert_eq!(url.version(), None);
        assert_eq!(url.group(), None);
        assert_eq!(url.param("flag"), Some("flag"));
        assert_eq!(url.to_string(), "dubbo://h:1/p?a=1&flag=flag");
        let mut url = url.with_param("a", "  ");
        assert_eq!(url.param("a"), Some("1"));
        assert!(!url.set_param("b", ""));
        assert!(url.set_param(" b ", " 2 "));
        assert_eq!(url.param("b"), Some("2"));
        assert_eq!(url.remove_param("b").as_deref(), Some("2"));
        assert_eq!(
            url.without_param("a").to_string(),
            "dubbo://h:1/p?flag=flag"
        );
    }

    #[test]
    fn java_ordering_is_byte_order_of_keys() {
        // TreeMap<String> orders by UTF-16 code unit, which equals byte order for ASCII keys:
        // upper case before lower case, '.' before letters.
        let url = Url::new("dubbo", "h", 1, "p")
            .with_param("b", "1")
            .with_param("B", "2")
            .with_param("a.b", "3")
            .with_param("a", "4")
            .with_param("a-b", "5")
            .with_param("ab", "6");
        assert_eq!(
            url.to_string(),
            "dubbo://h:1/p?B=2&a=4&a-b=5&a.b=3&ab=6&b=1"
        );
    }

    #[test]
    fn values_are_not_encoded_individually_but_the_whole_string_is() {
        let url = Url::new("dubbo", "h", 1, "p")
            .with_param("methods", "a,b")
            .with_param("x", "1 2~+%/*");
        assert_eq!(url.to_string(), "dubbo://h:1/p?methods=a,b&x=1 2~+%/*");
        assert_eq!(
            url.encoded(),
            "dubbo%3A%2F%2Fh%3A1%2Fp%3Fmethods%3Da%2Cb%26x%3D1+2%7E%2B%25%2F*"
        );
        assert_eq!(Url::decode_encoded(&url.encoded()).unwrap(), url);
    }

    #[test]
    fn non_ascii_is_utf8_percent_encoded() {
        let url = Url::new("dubbo", "h", 1, "p").with_param("app", "café");
        assert!(url.encoded().ends_with("app%3Dcaf%C3%A9"));
        assert_eq!(Url::decode_encoded(&url.encoded()).unwrap(), url);
    }

    #[test]
    fn round_trips() {
        for s in [
            WORKED,
            "zookeeper://127.0.0.1:2181?backup=127.0.0.1:2182,127.0.0.1:2183",
            "consumer://10.0.0.1/org.x.Svc?application=a&category=consumers",
            "override://0.0.0.0/org.x.Svc?category=configurators&dynamic=false&timeout=5000",
            "empty://10.0.0.1/org.x.Svc?category=providers",
            "dubbo://u:p@[::1]:1/a/b/c?x=y",
            "tri://h",
        ] {
            let url: Url = s.parse().unwrap();
            assert_eq!(url.to_string(), s);
            assert_eq!(Url::parse(&url.to_string()).unwrap(), url);
            assert_eq!(Url::decode_encoded(&url.encoded()).unwrap(), url);
        }
    }

    #[test]
    fn getters_and_typed_params() {
        let url = Url::parse(
            "dubbo://h:20880/path.Svc?interface=org.x.Svc&version=1.0&group=g&timeout=3000&\
             sayHello.timeout=500&retries=x&enabled=TRUE&deprecated=no",
        )
        .unwrap();
        assert_eq!(url.interface(), "org.x.Svc");
        assert_eq!(url.path(), "path.Svc");
        assert_eq!(url.service_key(), "g/org.x.Svc:1.0");
        assert_eq!(url.param_u64("timeout"), Some(3000));
        assert_eq!(url.param_u64("retries"), None);
        assert_eq!(url.param_u64("missing"), None);
        assert_eq!(
            url.param_duration_ms("timeout"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(url.param_bool("enabled"), Some(true));
        assert_eq!(url.param_bool("deprecated"), Some(false));
        assert_eq!(url.param_bool("missing"), None);
        assert_eq!(url.param_or("loadbalance", "random"), "random");
        assert_eq!(url.method_param("sayHello", "timeout"), Some("500"));
        assert_eq!(url.method_param("other", "timeout"), Some("3000"));
        assert_eq!(url.method_param("other", "nothing"), None);
    }

    #[test]
    fn service_keys_omit_absent_parts() {
        assert_eq!(service_key("a.B", None, None), "a.B");
        assert_eq!(service_key("a.B", Some(""), Some("1")), "a.B:1");
        assert_eq!(service_key("a.B", Some("g"), None), "g/a.B");
        let url = Url::parse("dubbo://h:1/a.B").unwrap();
        assert_eq!(url.service_key(), "a.B");
    }
}
