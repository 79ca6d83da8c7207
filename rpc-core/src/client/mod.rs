//! The consumer side: a cheap-to-clone [`Client`] bound to one service, whose calls run
//! through a stack of tower layers down to a multiplexed connection.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::codec::body::EncodedArgs;
use crate::error::RpcError;
use crate::service::ServiceDescriptor;

/// A handle for calling one service. Cloning is cheap; clones share connections.
#[derive(Clone, Debug)]
pub struct Client {
    descriptor: Arc<ServiceDescriptor>,
}

impl Client {
    /// Calls method `method_index` of the service with pre-encoded arguments and decodes the
    /// result as `R`.
    pub async fn call<R: DeserializeOwned>(
        &self,
        method_index: usize,
        args: EncodedArgs,
    ) -> Result<R, RpcError> {
        let _ = (method_index, args, &self.descriptor);
        todo!("client stack")
    }
}
