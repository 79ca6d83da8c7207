//! Procedural macros of `dubbo-rpc`: the [`#[service]`](macro@service) attribute and
//! [`#[derive(JavaType)]`](derive@JavaType).
//!
//! Use them through the runtime crate (`dubbo_rpc::service`, `dubbo_rpc::JavaType`); the code
//! they generate names every runtime item through `::dubbo_rpc::codegen`, a hidden module of
//! re-exports, so it needs no imports in the user's module and no direct dependency on
//! `serde` or `async-trait`.
//!
//! # Layout
//!
//! The entry points below only parse, expand and turn errors into `compile_error!`s:
//!
//! * `parse` turns the macro input into this crate's own structs, validating as it goes and
//!   collecting every error (each spanned on the offending token) before giving up, in an
//!   `errors::Errors` accumulator;
//! * `java` holds the pure string rules: lowerCamelCase, JVM descriptor syntax, class names;
//! * `attrs` reads the `#[service(...)]`, `#[dubbo(...)]` and `#[java(...)]` attributes;
//! * `expand` emits the trait, the server adapter, the client and the descriptor, one
//!   function per generated item;
//! * `derive_java_type` implements `#[derive(JavaType)]`.

mod attrs;
mod derive_java_type;
mod errors;
mod expand;
mod java;
mod parse;

use proc_macro::TokenStream;
use syn::parse_macro_input;

/// Turns a trait into a Dubbo service: a server adapter, a typed client and a descriptor.
///
/// ```no_run
/// use dubbo_rpc::{Client, RpcError};
///
/// #[dubbo_rpc::service(interface = "org.apache.dubbo.demo.DemoService", version = "1.0.0")]
/// pub trait DemoService {
///     /// Java: `String sayHello(String name)`.
///     async fn say_hello(&self, name: String) -> Result<String, RpcError>;
///     /// Java: `String sayHello(String name, int times)`, an overload: the Java name is
///     /// given, and the declared parameter types could be (`"Ljava/lang/String;I"`).
///     #[dubbo(name = "sayHello")]
///     async fn say_hello_times(&self, name: String, times: i32) -> Result<String, RpcError>;
/// }
///
/// struct Demo;
///
/// // Implementations use `async_trait`, as the trait does.
/// #[dubbo_rpc::async_trait]
/// impl DemoService for Demo {
///     async fn say_hello(&self, name: String) -> Result<String, RpcError> {
///         Ok(format!("Hello {name}"))
///     }
///     async fn say_hello_times(&self, name: String, times: i32) -> Result<String, RpcError> {
///         Ok(format!("Hello {name}").repeat(times as usize))
///     }
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // Provider: serve the implementation.
/// let server = dubbo_rpc::server::Server::builder()
///     .add_service(DemoServiceServer::new(Demo))
///     .serve()
///     .await?;
///
/// // Consumer: a typed client.
/// let client: DemoServiceClient = Client::builder()
///     .url("dubbo://127.0.0.1:20880")
///     .build()
///     .await?;
/// assert_eq!(client.say_hello("world".into()).await?, "Hello world");
/// # server.shutdown().await;
/// # Ok(()) }
/// ```
///
/// # Attribute keys
///
/// * `interface = "..."` (required): the Java interface name;
/// * `version = "..."`, `group = "..."`: the service's default version and group;
/// * `crate = "..."`: the path of the runtime crate, `::dubbo_rpc` by default.
///
/// # Methods
///
/// Every method is an `async fn` taking `&self` and owned, typed arguments bound to plain
/// identifiers, and returns `Result<T, E>`:
///
/// * `T` and the argument types implement serde's `Serialize` and `DeserializeOwned` (the
///   server decodes arguments and encodes `T`; the client the other way round);
/// * `E: Into<RpcError> + From<RpcError>`, so the server can send an `Err` as a Java
///   exception and the client can return transport and codec failures as `E`. `RpcError`
///   itself qualifies.
///
/// The Java method name is the lowerCamelCase of the Rust name (`get_user_by_id` is
/// `getUserById`, `r#type` is `type`), and the JVM parameter descriptor the concatenation of
/// each argument type's `JavaType::descriptor()` (`i32` is `I`, `Option<i32>` is
/// `Ljava/lang/Integer;`, `Vec<u8>` is `[B` …). A method can override both with
/// `#[dubbo(name = "...", parameter_types = "...")]`; with `parameter_types` given, the
/// argument types need not implement `JavaType`. Two methods may share a Java name (Java
/// overloads) but not a name and a descriptor. `#[cfg]` on a method applies to everything
/// generated for it; doc comments and other attributes stay on the trait's method.
///
/// # Generated items (for a trait `DemoService`)
///
/// * the trait itself, made object-safe with `async_trait` and given `Send + Sync + 'static`
///   supertraits;
/// * `DemoServiceServer<T>`: `new(T)`, `from_arc(Arc<T>)`, `get_ref()`, `Clone`, `Debug`,
///   and the runtime's `ServiceHandler` and `NamedService` traits;
/// * `DemoServiceClient`: `Clone`, `Debug`, `ServiceClient`, an inherent `async fn` per
///   method, and the trait itself (delegating to those methods), so a client can be used
///   wherever an implementation is expected.
///
/// The server and client get the trait's visibility.
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::service(attr.into(), item.into()).into()
}

/// Implements `JavaType` for a struct or a unit-only enum: its JVM descriptor is the Java class
/// it maps to.
///
/// The class is `#[java(class = "...")]` if given, else serde's container
/// `#[serde(rename = "...")]`:
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, dubbo_rpc::JavaType)]
/// #[serde(rename = "org.example.User")] // descriptor `Lorg/example/User;`
/// struct User { id: i64 }
/// ```
///
/// `#[java(crate = "...")]` overrides the runtime crate path (`::dubbo_rpc` by default).
#[proc_macro_derive(JavaType, attributes(java))]
pub fn derive_java_type(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as derive_java_type::JavaTypeInput);
    derive_java_type::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
