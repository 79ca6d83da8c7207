//! Expansion cases that must compile and describe themselves correctly: descriptors, raw
//! identifiers, docs, `#[cfg]`'d methods, overloads, custom error types, an empty trait.

use std::collections::HashMap;

use dubbo_rpc::service::{NamedService, ServiceClient};
use dubbo_rpc::{JavaType, MethodDescriptor, RpcError, ServiceDescriptor};
use serde::{Deserialize, Serialize};

/// A POJO named through serde, as the encoder writes it.
#[derive(Debug, Clone, Serialize, Deserialize, JavaType)]
#[serde(rename = "org.example.User")]
pub struct User {
    id: i64,
}

/// `#[java(class)]` wins over serde's name; `$` marks a nested class.
#[derive(Debug, Clone, Serialize, Deserialize, JavaType)]
#[serde(rename = "org.example.Ignored")]
#[java(class = "org.example.Outer$Address")]
pub struct Address {
    city: String,
}

/// A Java enum.
#[derive(Debug, Clone, Serialize, Deserialize, JavaType)]
#[serde(rename(serialize = "org.example.Color", deserialize = "org.example.Color"))]
pub enum Color {
    /// Red.
    Red,
    /// Green.
    Green,
}

/// A generic POJO: its class does not depend on the parameter.
#[derive(Debug, Clone, Serialize, Deserialize, JavaType)]
#[serde(rename = "org.example.Page")]
pub struct Page<T> {
    items: Vec<T>,
}

/// Argument types and their JVM descriptors.
#[dubbo_rpc::service(interface = "org.example.TypesService", version = "1.0.0", group = "g")]
pub trait TypesService {
    /// Primitives.
    async fn primitives(&self, a: i32, b: i64, c: bool, d: f64) -> Result<(), RpcError>;
    /// Boxed primitives.
    async fn boxed(&self, a: Option<i32>, b: Option<i64>) -> Result<(), RpcError>;
    /// Collections.
    async fn collections(
        &self,
        list: Vec<String>,
        bytes: Vec<u8>,
        map: HashMap<String, i64>,
    ) -> Result<(), RpcError>;
    /// POJOs and enums.
    async fn pojos(
        &self,
        user: User,
        address: Address,
        color: Color,
        page: Page<User>,
    ) -> Result<User, RpcError>;
    /// Java overloads: same name, different parameters.
    #[dubbo(name = "find")]
    async fn find_by_id(&self, id: i64) -> Result<Option<User>, RpcError>;
    /// Java overloads: same name, different parameters.
    #[dubbo(name = "find")]
    async fn find_by_name(&self, name: String) -> Result<Option<User>, RpcError>;
    /// A declared type that differs from the derived one.
    #[dubbo(parameter_types = "Ljava/lang/Object;")]
    async fn declared(&self, value: String) -> Result<(), RpcError>;
    /// No arguments.
    async fn get_user_by_id(&self) -> Result<(), RpcError>;
}

fn method(name: &str, parameter_types: &str, rust_name: &'static str) -> MethodDescriptor {
    MethodDescriptor {
        name: name.to_owned(),
        parameter_types: parameter_types.to_owned(),
        rust_name,
    }
}

#[test]
fn descriptor_of_argument_types() {
    let d = <TypesServiceClient as ServiceClient>::descriptor();
    assert_eq!(
        *d,
        ServiceDescriptor {
            interface: "org.example.TypesService".to_owned(),
            version: Some("1.0.0".to_owned()),
            group: Some("g".to_owned()),
            methods: vec![
                method("primitives", "IJZD", "primitives"),
                method("boxed", "Ljava/lang/Integer;Ljava/lang/Long;", "boxed"),
                method(
                    "collections",
                    "Ljava/util/List;[BLjava/util/Map;",
                    "collections"
                ),
                method(
                    "pojos",
                    "Lorg/example/User;Lorg/example/Outer$Address;Lorg/example/Color;\
                     Lorg/example/Page;",
                    "pojos"
                ),
                method("find", "J", "find_by_id"),
                method("find", "Ljava/lang/String;", "find_by_name"),
                method("declared", "Ljava/lang/Object;", "declared"),
                method("getUserById", "", "get_user_by_id"),
            ],
        }
    );
    assert_eq!(
        d.method_names(),
        "boxed,collections,declared,find,getUserById,pojos,primitives"
    );
    assert_eq!(d.find_method("find", "Ljava/lang/String;"), Some(5));
}

#[test]
fn derived_java_types() {
    assert_eq!(User::descriptor(), "Lorg/example/User;");
    assert_eq!(Address::descriptor(), "Lorg/example/Outer$Address;");
    assert_eq!(Color::descriptor(), "Lorg/example/Color;");
    assert_eq!(<Page<String>>::descriptor(), "Lorg/example/Page;");
    assert_eq!(<Option<User>>::descriptor(), "Lorg/example/User;");
    assert_eq!(<Vec<User>>::descriptor(), "Ljava/util/List;");
}

/// Raw identifiers, docs, attributes and `#[cfg]`.
#[dubbo_rpc::service(interface = "org.example.Edge")]
pub trait Edge {
    /// A keyword as method and argument name.
    async fn r#type(&self, r#match: String) -> Result<String, RpcError>;
    /// Compiled out: it must take no index.
    #[cfg(not(test))]
    async fn never(&self) -> Result<(), RpcError>;
    /// Compiled in.
    #[cfg(test)]
    async fn always(&self) -> Result<i32, RpcError>;
    /// Follows the `#[cfg]`'d methods.
    #[deprecated = "kept as written"]
    async fn last_one(&self) -> Result<(), RpcError>;
    /// A default body is allowed.
    async fn with_default(&self) -> Result<i32, RpcError> {
        Ok(7)
    }
}

#[test]
fn raw_identifiers_and_cfg() {
    let names: Vec<_> = <EdgeClient as ServiceClient>::descriptor()
        .methods
        .iter()
        .map(|m| (m.name.as_str(), m.rust_name))
        .collect();
    assert_eq!(
        names,
        [
            ("type", "type"),
            ("always", "always"),
            ("lastOne", "last_one"),
            ("withDefault", "with_default"),
        ]
    );
}

/// The default body is used by implementations that do not override it, and the `#[cfg]`'d
/// indices route to the right methods.
#[tokio::test]
async fn routing_after_cfg_methods() {
    use dubbo_rpc::codec::body::decode_response;
    use dubbo_rpc::codegen::{ArgsEncoder, ServerCall, ServiceHandler};

    struct Impl;
    #[dubbo_rpc::async_trait]
    impl Edge for Impl {
        async fn r#type(&self, r#match: String) -> Result<String, RpcError> {
            Ok(r#match)
        }
        async fn always(&self) -> Result<i32, RpcError> {
            Ok(1)
        }
        #[allow(deprecated)]
        async fn last_one(&self) -> Result<(), RpcError> {
            Ok(())
        }
    }

    let server = EdgeServer::new(Impl);
    for (index, expected) in [(1, 1), (3, 7)] {
        let body = ArgsEncoder::new().finish().bytes;
        let call = ServerCall::new(index, body.into(), 0..0, Default::default(), false);
        let reply = server.call(call).await;
        let value: i32 = decode_response(reply.body).unwrap().decode().unwrap();
        assert_eq!(value, expected);
    }
}

/// A service error type other than `RpcError`.
#[derive(Debug)]
pub struct AppError(String);

impl From<RpcError> for AppError {
    fn from(e: RpcError) -> Self {
        AppError(e.to_string())
    }
}

impl From<AppError> for RpcError {
    fn from(e: AppError) -> Self {
        RpcError::application(e.0)
    }
}

/// Private traits, custom errors.
#[dubbo_rpc::service(interface = "org.example.Custom")]
trait Custom {
    async fn check(&self, input: String) -> Result<bool, AppError>;
}

struct CustomImpl;

#[dubbo_rpc::async_trait]
impl Custom for CustomImpl {
    async fn check(&self, input: String) -> Result<bool, AppError> {
        Err(AppError(format!("bad input {input}")))
    }
}

#[tokio::test]
async fn custom_error_becomes_an_exception() {
    use dubbo_rpc::codec::body::{decode_response, DecodedResponse};
    use dubbo_rpc::codegen::{ArgsEncoder, ServerCall, ServiceHandler};

    let mut args = ArgsEncoder::new();
    args.push("x").unwrap();
    let body = args.finish().bytes;
    let len = body.len();
    let call = ServerCall::new(0, body.into(), 0..len, Default::default(), false);
    let reply = CustomServer::new(CustomImpl).call(call).await;
    match decode_response(reply.body).unwrap() {
        DecodedResponse::Exception(e) => assert_eq!(e.message.as_deref(), Some("bad input x")),
        other => panic!("expected an exception, got {other:?}"),
    }
}

/// A service without methods.
#[dubbo_rpc::service(interface = "org.example.Empty")]
pub trait Empty {}

#[test]
fn empty_service() {
    let d = <EmptyServer<()> as NamedService>::descriptor();
    assert_eq!(d.interface, "org.example.Empty");
    assert!(d.methods.is_empty());
    assert_eq!(d.version, None);
}

/// The client implements the trait, so it can stand in for an implementation.
#[test]
fn clients_implement_their_trait() {
    fn is_service<T: Edge + Clone + std::fmt::Debug>() {}
    fn is_object_safe(_: Option<&dyn Edge>) {}
    is_service::<EdgeClient>();
    is_object_safe(None);
}

/// `crate = "..."` points the expansion at a renamed runtime crate.
pub mod renamed {
    use ::dubbo_rpc as rpc;

    /// Uses the renamed path.
    #[rpc::service(interface = "org.example.Renamed", crate = "rpc")]
    pub trait Renamed {
        /// A method.
        async fn hi(&self) -> Result<(), rpc::RpcError>;
    }

    /// Uses the renamed path.
    #[derive(Debug, rpc::JavaType)]
    #[java(class = "org.example.R", crate = "rpc")]
    pub struct R;
}

#[test]
fn renamed_crate() {
    assert_eq!(
        <renamed::RenamedClient as ServiceClient>::descriptor().interface,
        "org.example.Renamed"
    );
    assert_eq!(renamed::R::descriptor(), "Lorg/example/R;");
}
