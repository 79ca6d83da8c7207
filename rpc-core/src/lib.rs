//! Apache Dubbo's classic `dubbo://` protocol for Rust.
#![forbid(unsafe_code)]

pub mod attachments;
pub mod client;
pub mod cluster;
pub mod codec;
#[doc(hidden)]
pub mod codegen;
pub mod error;
pub mod middleware;
pub mod registry;
pub mod server;
pub mod service;
pub mod status;
pub mod transport;
pub mod url;

pub use async_trait::async_trait;
pub use dubbo_hessian2 as hessian;
pub use dubbo_hessian2::java::JavaType;
pub use dubbo_rpc_macros::{service, JavaType};

pub use crate::attachments::Attachments;
pub use crate::client::Client;
pub use crate::error::{JavaException, RpcError};
pub use crate::service::{MethodDescriptor, ServiceDescriptor};
pub use crate::status::StatusCode;
pub use crate::url::Url;
