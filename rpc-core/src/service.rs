//! Static description of a service: its Java interface, version, group and methods.
//!
//! The `#[service]` macro builds one [`ServiceDescriptor`] per trait. Servers route calls with
//! it and write its `methods` list into the registry; clients take Java method names and JVM
//! parameter descriptors from it.

/// One method of a service as Java sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDescriptor {
    /// The Java method name (lowerCamelCase of the Rust name unless overridden).
    pub name: String,
    /// The concatenated JVM descriptors of the declared parameter types, e.g.
    /// `Ljava/lang/String;I`; empty for no parameters.
    pub parameter_types: String,
    /// The Rust method name, for diagnostics.
    pub rust_name: &'static str,
}

/// A service as Java sees it: interface, default version and group, methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDescriptor {
    /// The Java interface name, e.g. `org.apache.dubbo.demo.DemoService`.
    pub interface: String,
    /// The default version (`None` = unversioned, which Java writes as `0.0.0`).
    pub version: Option<String>,
    /// The default group.
    pub group: Option<String>,
    /// The methods, in declaration order. Overloads appear once per descriptor.
    pub methods: Vec<MethodDescriptor>,
}

impl ServiceDescriptor {
    /// The index of the method with this Java name and parameter descriptor.
    pub fn find_method(&self, name: &str, parameter_types: &str) -> Option<usize> {
        self.methods
            .iter()
            .position(|m| m.name == name && m.parameter_types == parameter_types)
    }

    /// The method names, sorted and de-duplicated, comma-joined: the registry's `methods` key.
    pub fn method_names(&self) -> String {
        let mut names: Vec<&str> = self.methods.iter().map(|m| m.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.join(",")
    }
}

/// Implemented by the typed client the `#[service]` macro generates.
pub trait ServiceClient: Sized {
    /// The service this client calls.
    fn descriptor() -> &'static ServiceDescriptor;
    /// Wraps a consumer stack bound to this service.
    fn from_client(client: crate::client::Client) -> Self;
}

/// Implemented by the server adapter the `#[service]` macro generates.
pub trait NamedService {
    /// The service this adapter serves.
    fn descriptor() -> &'static ServiceDescriptor;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(name: &str, desc: &str) -> MethodDescriptor {
        MethodDescriptor {
            name: name.into(),
            parameter_types: desc.into(),
            rust_name: "m",
        }
    }

    #[test]
    fn method_names_are_sorted_and_overloads_named_once() {
        let d = ServiceDescriptor {
            interface: "a.B".into(),
            version: None,
            group: None,
            methods: vec![
                method("greet", "Ljava/lang/String;"),
                method("echo", "I"),
                method("greet", "Ljava/lang/String;I"),
            ],
        };
        assert_eq!(d.method_names(), "echo,greet");
    }

    #[test]
    fn find_method_matches_name_and_descriptor() {
        let d = ServiceDescriptor {
            interface: "a.B".into(),
            version: None,
            group: None,
            methods: vec![
                method("greet", "Ljava/lang/String;"),
                method("greet", "Ljava/lang/String;I"),
            ],
        };
        assert_eq!(d.find_method("greet", "Ljava/lang/String;I"), Some(1));
        assert_eq!(d.find_method("greet", "I"), None);
    }
}
