//! Java Dubbo's ZooKeeper paths: `/<root>/<URL.encode(interface)>/<category>/<URL.encode(url)>`.

use dubbo_rpc::registry::PROVIDERS_CATEGORY;
use dubbo_rpc::url::{url_encode, CATEGORY_KEY};
use dubbo_rpc::Url;

/// Java's default root (`/dubbo`), used when the registry URL has no `group`.
pub(crate) const DEFAULT_ROOT: &str = "dubbo";

/// Java's `ZookeeperRegistry` root: the registry URL's `group` (default `dubbo`) with a leading
/// `/` added when missing. A trailing `/` is dropped (except for the root `/` itself).
pub(crate) fn root(group: Option<&str>) -> String {
    let group = group.unwrap_or(DEFAULT_ROOT);
    let mut root = if group.starts_with('/') {
        group.to_owned()
    } else {
        format!("/{group}")
    };
    while root.len() > 1 && root.ends_with('/') {
        root.pop();
    }
    root
}

/// `toServicePath`: `<root>/<URL.encode(interface)>`.
pub(crate) fn service_dir(root: &str, interface: &str) -> String {
    let sep = if root == "/" { "" } else { "/" };
    format!("{root}{sep}{}", url_encode(interface))
}

/// `toCategoryPath`: `<service dir>/<category>`, the category defaulting to `providers`.
pub(crate) fn category_dir(root: &str, url: &Url) -> String {
    format!(
        "{}/{}",
        service_dir(root, url.interface()),
        url.param_or(CATEGORY_KEY, PROVIDERS_CATEGORY)
    )
}

/// `toUrlPath`: `<category dir>/<URL.encode(url.toFullString())>`.
pub(crate) fn node_path(root: &str, url: &Url) -> String {
    format!("{}/{}", category_dir(root, url), url.encoded())
}

/// The parent of a node path (`/a/b` → `/a`, `/a` → `/`).
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKED: &str = "dubbo://192.168.1.20:20880/org.example.interop.Greeter?application=rust-greeter&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=org.example.interop.Greeter&methods=greet,echoUser&prefer.serialization=hessian2&release=3.3.1&serialization=hessian2&side=provider&timestamp=1717171717171";

    #[test]
    fn roots_follow_the_registry_group() {
        assert_eq!(root(None), "/dubbo");
        assert_eq!(root(Some("foo")), "/foo");
        assert_eq!(root(Some("/foo/bar/")), "/foo/bar");
        assert_eq!(root(Some("/")), "/");
    }

    #[test]
    fn worked_example_path() {
        let url = Url::parse(WORKED).unwrap();
        let path = node_path("/dubbo", &url);
        assert_eq!(
            path,
            "/dubbo/org.example.interop.Greeter/providers/dubbo%3A%2F%2F192.168.1.20%3A20880%2Forg.example.interop.Greeter%3Fapplication%3Drust-greeter%26deprecated%3Dfalse%26dubbo%3D2.0.2%26dynamic%3Dtrue%26generic%3Dfalse%26interface%3Dorg.example.interop.Greeter%26methods%3Dgreet%2CechoUser%26prefer.serialization%3Dhessian2%26release%3D3.3.1%26serialization%3Dhessian2%26side%3Dprovider%26timestamp%3D1717171717171"
        );
        assert_eq!(
            parent(&path),
            "/dubbo/org.example.interop.Greeter/providers"
        );
    }

    #[test]
    fn consumers_and_odd_interfaces() {
        let url = Url::parse("consumer://10.0.0.1/a.B?category=consumers&interface=a.B$C").unwrap();
        assert_eq!(category_dir("/dubbo", &url), "/dubbo/a.B%24C/consumers");
        assert_eq!(service_dir("/", "a.B"), "/a.B");
        assert_eq!(parent("/a"), "/");
    }
}
