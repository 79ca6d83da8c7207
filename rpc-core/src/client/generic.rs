//! Generic invocation: calling a service without its Rust types, as Java's `GenericService`.
//!
//! A [`GenericClient`] sends Java's `$invoke(String method, String[] parameterTypes,
//! Object[] args)` with the `generic=true` attachment. Arguments and results are dynamic
//! [`Value`]s; a POJO travels as a map whose `"class"` key names its Java class (the provider
//! binds it with `PojoUtils.realize`), and a Java provider answers POJOs generalized the same
//! way (`PojoUtils.generalize`: a map with `"class"` and every property, enums as their
//! name).
//!
//! ```no_run
//! # async fn demo() -> Result<(), dubbo_rpc::RpcError> {
//! use dubbo_rpc::client::generic::GenericClient;
//! use dubbo_rpc::hessian::Value;
//!
//! let client = GenericClient::build(
//!     dubbo_rpc::Client::builder().url("dubbo://127.0.0.1:20880"),
//!     "org.apache.dubbo.demo.DemoService",
//! )
//! .await?;
//! let answer = client
//!     .invoke("sayHello", &["java.lang.String"], vec![Value::String("world".into())])
//!     .await?;
//! assert_eq!(answer.as_str(), Some("Hello world"));
//! # Ok(()) }
//! ```

use std::sync::Arc;

use dubbo_hessian2::{JavaArray, Serializer, Value};
use serde::Serialize;

use super::{Client, ClientBuilder};
use crate::attachments::Attachments;
use crate::codec::body::{DecodedResponse, EncodedArgs};
use crate::error::RpcError;
use crate::service::{MethodDescriptor, ServiceDescriptor};

/// Java's generic method name.
pub const GENERIC_METHOD: &str = "$invoke";
/// Java's asynchronous generic method name (identical on the wire).
pub const GENERIC_ASYNC_METHOD: &str = "$invokeAsync";
/// The parameter descriptor of `$invoke` (`GENERIC_PARAMETER_DESC`).
pub const GENERIC_PARAMETER_TYPES: &str =
    "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;";
/// Java's echo method name (`EchoService.$echo`).
pub const ECHO_METHOD: &str = "$echo";
/// The parameter descriptor of `$echo`.
pub const ECHO_PARAMETER_TYPES: &str = "Ljava/lang/Object;";

const INVOKE_INDEX: usize = 0;
const ECHO_INDEX: usize = 1;

/// A client for any service, called by method name with dynamic values.
#[derive(Debug, Clone)]
pub struct GenericClient {
    client: Client,
    generic: String,
}

/// The descriptor a generic client calls: `$invoke` and `$echo` of `interface`.
pub fn generic_descriptor(interface: &str) -> ServiceDescriptor {
    ServiceDescriptor {
        interface: interface.to_owned(),
        version: None,
        group: None,
        methods: vec![
            MethodDescriptor {
                name: GENERIC_METHOD.to_owned(),
                parameter_types: GENERIC_PARAMETER_TYPES.to_owned(),
                rust_name: "invoke",
            },
            MethodDescriptor {
                name: ECHO_METHOD.to_owned(),
                parameter_types: ECHO_PARAMETER_TYPES.to_owned(),
                rust_name: "echo",
            },
        ],
    }
}

impl GenericClient {
    /// Builds a generic client of `interface` from a configured builder (URL or registry,
    /// version, group, timeouts…).
    pub async fn build(builder: ClientBuilder, interface: &str) -> Result<Self, RpcError> {
        let client = builder
            .build_for(Arc::new(generic_descriptor(interface)))
            .await?;
        Ok(GenericClient {
            client,
            generic: "true".to_owned(),
        })
    }

    /// Sets the `generic` attachment (default `"true"`; `"raw.return"` asks a Java provider
    /// not to generalize the result).
    pub fn with_generic(mut self, generic: impl Into<String>) -> Self {
        self.generic = generic.into();
        self
    }

    /// The underlying untyped client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Calls `method`, whose declared parameter types are `parameter_types` in
    /// `Class.getName()` form (`"int"`, `"java.lang.String"`, `"[Ljava.lang.String;"`,
    /// `"com.acme.User"`), with `args`. A business exception comes back as
    /// [`RpcError::Business`].
    pub async fn invoke(
        &self,
        method: &str,
        parameter_types: &[&str],
        args: Vec<Value>,
    ) -> Result<Value, RpcError> {
        let mut out = Vec::new();
        let state = {
            let mut ser = Serializer::new(&mut out);
            method.serialize(&mut ser)?;
            JavaArray(parameter_types.to_vec()).serialize(&mut ser)?;
            JavaArray(args).serialize(&mut ser)?;
            ser.into_state()
        };
        let mut attachments = Attachments::new();
        attachments.insert_str("generic", self.generic.clone());
        let response = self
            .client
            .invoke(INVOKE_INDEX, EncodedArgs { bytes: out, state }, attachments)
            .await?;
        value_of(response)
    }

    /// Java's `EchoService.$echo(value)`: the provider answers with its argument.
    pub async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        let mut out = Vec::new();
        let state = {
            let mut ser = Serializer::new(&mut out);
            value.serialize(&mut ser)?;
            ser.into_state()
        };
        let response = self
            .client
            .invoke(
                ECHO_INDEX,
                EncodedArgs { bytes: out, state },
                Attachments::new(),
            )
            .await?;
        value_of(response)
    }
}

fn value_of(response: DecodedResponse) -> Result<Value, RpcError> {
    match response {
        DecodedResponse::Exception(e) => Err(RpcError::Business(e)),
        DecodedResponse::Null => Ok(Value::Null),
        other => Ok(other.decode::<Value>()?),
    }
}
