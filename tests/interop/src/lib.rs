//! Interop with Apache Dubbo 3.3 (Java): the shared interface and its Rust implementation.
