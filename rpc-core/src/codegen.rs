//! Items used by the code the `#[service]` macro generates. Not a stable API.
//!
//! Generated code names everything through `::dubbo_rpc::codegen::…`, so it does not depend
//! on the user's imports or on the user having `serde` or `async-trait` as dependencies.

pub use std::borrow::Cow;
pub use std::boxed::Box;
pub use std::result::Result;
pub use std::string::String;
pub use std::sync::{Arc, OnceLock};
pub use std::vec::Vec;

pub use async_trait::async_trait;
pub use dubbo_hessian2::java::JavaType;
pub use serde;

pub use crate::client::Client;
pub use crate::codec::body::EncodedArgs;
pub use crate::error::RpcError;
pub use crate::server::handler::{ArgsDecoder, BoxFuture, ServerCall, ServerReply, ServiceHandler};
pub use crate::service::{MethodDescriptor, NamedService, ServiceClient, ServiceDescriptor};
pub use crate::status::StatusCode;

use dubbo_hessian2::{EncoderState, Serializer};
use serde::Serialize;

/// Encodes call arguments, in order, into one Hessian stream.
#[derive(Debug, Default)]
pub struct ArgsEncoder {
    buf: Vec<u8>,
    state: EncoderState,
}

impl ArgsEncoder {
    /// An empty encoder.
    pub fn new() -> Self {
        ArgsEncoder {
            // Room for typical small arguments without regrowing.
            buf: Vec::with_capacity(64),
            state: EncoderState::default(),
        }
    }

    /// Appends one argument.
    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RpcError> {
        let state = std::mem::take(&mut self.state);
        let mut ser = Serializer::resume(&mut self.buf, state);
        value.serialize(&mut ser)?;
        self.state = ser.into_state();
        Ok(())
    }

    /// The encoded arguments.
    pub fn finish(self) -> EncodedArgs {
        EncodedArgs {
            bytes: self.buf,
            state: self.state,
        }
    }
}

/// Concatenates the JVM descriptors of a method's declared parameter types.
pub fn parameter_types(descriptors: &[Cow<'static, str>]) -> String {
    descriptors.concat()
}

/// Wraps a handler's future so a panic in user code becomes a `SERVICE_ERROR` reply, not a
/// dead call (the consumer would otherwise wait for its timeout).
pub fn reply_future<F>(future: F) -> BoxFuture<ServerReply>
where
    F: std::future::Future<Output = ServerReply> + Send + 'static,
{
    use futures_util::FutureExt;
    Box::pin(
        std::panic::AssertUnwindSafe(future)
            .catch_unwind()
            .map(|result| {
                result.unwrap_or_else(|_| {
                    ServerReply::error(
                        crate::status::StatusCode::SERVICE_ERROR,
                        "java.lang.RuntimeException: the service method panicked",
                    )
                })
            }),
    )
}

/// A ready reply, for failures found before the user's method runs.
pub fn ready_reply(reply: ServerReply) -> BoxFuture<ServerReply> {
    Box::pin(std::future::ready(reply))
}
