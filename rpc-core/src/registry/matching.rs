//! Java's `UrlUtils.isMatch(consumerUrl, providerUrl)`, plus the protocol filter.

use super::{CONSUMERS_CATEGORY, PROVIDERS_CATEGORY};
use crate::url::{Url, CATEGORY_KEY};

const ANY: &str = "*";

/// Whether a consumer should see a provider URL: Java's `UrlUtils.isMatch` plus the protocol
/// check Java's `RegistryDirectory` applies when it refers providers.
///
/// All of the following must hold:
///
/// 1. **protocol**: the provider speaks `dubbo` (this framework's only protocol; `tri://`,
///    `rest://`, `empty://`… are skipped), and if the consumer sets `protocol=` (a comma list)
///    the provider's protocol is in it;
/// 2. **interface**: equal, or either side is `*`;
/// 3. **category**: the provider's category (default `providers`) is one of the consumer's
///    categories. A consumer URL without `category`, or with `category=consumers` (the URL a
///    consumer registers), subscribes to `providers`; `*` matches everything and `-x` excludes
///    `x`, as in Java's `isMatchCategory`;
/// 4. **enabled / disabled**: the provider's `enabled` is absent or `true` (Java's
///    `Boolean.parseBoolean`, so any other value disables it) unless the consumer says
///    `enabled=*`; the provider's `disabled` is not `true`;
/// 5. **group**: the consumer's group is `*`, or both are equal (absent equals absent), or the
///    consumer's group is a comma list containing the provider's group;
/// 6. **version**: the consumer's version is `*`, or both are equal (absent equals absent only);
/// 7. **classifier**: the consumer's `classifier` is absent or `*`, or equals the provider's.
pub fn is_match(consumer: &Url, provider: &Url) -> bool {
    if provider.protocol() != "dubbo" {
        return false;
    }
    if let Some(protocols) = consumer.param("protocol") {
        if !protocols
            .split(',')
            .any(|p| p.trim() == provider.protocol())
        {
            return false;
        }
    }

    let (ci, pi) = (consumer.interface(), provider.interface());
    if !(ci == ANY || pi == ANY || ci == pi) {
        return false;
    }

    let provider_category = provider.param_or(CATEGORY_KEY, PROVIDERS_CATEGORY);
    let consumer_categories = match consumer.param(CATEGORY_KEY) {
        None | Some(CONSUMERS_CATEGORY) => PROVIDERS_CATEGORY,
        Some(c) => c,
    };
    if !is_match_category(provider_category, consumer_categories) {
        return false;
    }

    if provider.param_bool("enabled") == Some(false) && consumer.param("enabled") != Some(ANY) {
        return false;
    }
    if provider.param_bool("disabled") == Some(true) {
        return false;
    }

    let (cg, pg) = (consumer.group(), provider.group());
    let group_matches = cg == Some(ANY)
        || cg == pg
        || matches!((cg, pg), (Some(list), Some(g)) if list.split(',').any(|x| x == g));

    let cv = consumer.version();
    let version_matches = cv == Some(ANY) || cv == provider.version();

    let cc = consumer.param_or("classifier", ANY);
    let classifier_matches = cc == ANY || Some(cc) == provider.param("classifier");

    group_matches && version_matches && classifier_matches
}

/// Java's `UrlUtils.isMatchCategory(category, categories)`.
fn is_match_category(category: &str, categories: &str) -> bool {
    if categories.is_empty() {
        category == PROVIDERS_CATEGORY
    } else if categories.contains(ANY) {
        true
    } else if categories.contains('-') {
        !categories.contains(&format!("-{category}"))
    } else {
        categories.split(',').any(|c| c.trim() == category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "dubbo://10.0.0.1:20880/org.x.Svc?interface=org.x.Svc&side=provider";
    const C: &str = "consumer://10.0.0.2/org.x.Svc?interface=org.x.Svc&category=consumers";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn m(consumer: &str, provider: &str) -> bool {
        is_match(&url(consumer), &url(provider))
    }

    #[test]
    fn plain_match() {
        assert!(m(C, P));
        // a consumer URL without category subscribes to providers too
        assert!(m("consumer://h/org.x.Svc", P));
    }

    #[test]
    fn interface_must_match_or_be_any() {
        assert!(!m(C, "dubbo://h:1/org.x.Other?interface=org.x.Other"));
        assert!(m(
            "consumer://h/org.x.Svc?interface=*",
            "dubbo://h:1/org.x.Other"
        ));
        assert!(m(C, "dubbo://h:1/x?interface=*"));
        // the interface parameter wins over the path
        assert!(m(C, "dubbo://h:1/some.Path?interface=org.x.Svc"));
    }

    #[test]
    fn non_dubbo_protocols_are_skipped() {
        for p in ["tri", "rest", "empty", "grpc", "injvm"] {
            assert!(!m(C, &format!("{p}://10.0.0.1:50051/org.x.Svc")), "{p}");
        }
        assert!(!m(&format!("{C}&protocol=tri"), P));
        assert!(m(&format!("{C}&protocol=tri,dubbo"), P));
    }

    #[test]
    fn category_rules() {
        assert!(m(C, &format!("{P}&category=providers")));
        assert!(!m(C, &format!("{P}&category=consumers")));
        assert!(!m(C, &format!("{P}&category=configurators")));
        let sub = "consumer://h/org.x.Svc?category=providers,configurators,routers";
        assert!(m(sub, &format!("{P}&category=configurators")));
        assert!(m(
            "consumer://h/org.x.Svc?category=*",
            &format!("{P}&category=routers")
        ));
        assert!(!m(
            "consumer://h/org.x.Svc?category=-routers",
            &format!("{P}&category=routers")
        ));
        assert!(m("consumer://h/org.x.Svc?category=-routers", P));
    }

    #[test]
    fn disabled_providers_are_hidden() {
        assert!(m(C, &format!("{P}&enabled=true")));
        assert!(m(C, &format!("{P}&enabled=TRUE")));
        assert!(!m(C, &format!("{P}&enabled=false")));
        assert!(!m(C, &format!("{P}&enabled=yes")), "Boolean.parseBoolean");
        assert!(m(&format!("{C}&enabled=*"), &format!("{P}&enabled=false")));
        assert!(!m(C, &format!("{P}&disabled=true")));
        assert!(m(C, &format!("{P}&disabled=false")));
    }

    #[test]
    fn group_rules() {
        assert!(
            !m(C, &format!("{P}&group=g1")),
            "no group sees only no group"
        );
        assert!(!m(&format!("{C}&group=g1"), P));
        assert!(m(&format!("{C}&group=g1"), &format!("{P}&group=g1")));
        assert!(!m(&format!("{C}&group=g1"), &format!("{P}&group=g2")));
        assert!(m(&format!("{C}&group=*"), &format!("{P}&group=g2")));
        assert!(m(&format!("{C}&group=*"), P));
        assert!(m(&format!("{C}&group=g1,g2"), &format!("{P}&group=g2")));
        assert!(!m(&format!("{C}&group=g1,g2"), &format!("{P}&group=g3")));
        assert!(!m(&format!("{C}&group=g1,g2"), P));
    }

    #[test]
    fn version_rules() {
        assert!(m(
            &format!("{C}&version=1.0.0"),
            &format!("{P}&version=1.0.0")
        ));
        assert!(!m(
            &format!("{C}&version=1.0.0"),
            &format!("{P}&version=2.0.0")
        ));
        assert!(!m(&format!("{C}&version=1.0.0"), P));
        assert!(
            !m(C, &format!("{P}&version=1.0.0")),
            "null only equals null"
        );
        assert!(m(&format!("{C}&version=*"), &format!("{P}&version=2.0.0")));
        assert!(m(&format!("{C}&version=*"), P));
        // an empty version is never stored, so it behaves as absent
        assert!(m(C, &format!("{P}&version=")));
    }

    #[test]
    fn classifier_rules() {
        assert!(m(C, &format!("{P}&classifier=a")));
        assert!(m(
            &format!("{C}&classifier=a"),
            &format!("{P}&classifier=a")
        ));
        assert!(!m(
            &format!("{C}&classifier=a"),
            &format!("{P}&classifier=b")
        ));
        assert!(!m(&format!("{C}&classifier=a"), P));
        assert!(m(&format!("{C}&classifier=*"), P));
    }
}
