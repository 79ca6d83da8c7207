use std::sync::Arc;

use dubbo_rpc::RpcError;

#[dubbo_rpc::service(interface = "org.example.Receivers")]
pub trait Receivers {
    async fn by_value(self) -> Result<(), RpcError>;
    async fn by_mut(&mut self) -> Result<(), RpcError>;
    async fn typed(self: Arc<Self>) -> Result<(), RpcError>;
    async fn none(name: String) -> Result<(), RpcError>;
    async fn nothing() -> Result<(), RpcError>;
}

fn main() {}
