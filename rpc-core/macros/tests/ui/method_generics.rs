use dubbo_rpc::RpcError;

#[dubbo_rpc::service(interface = "org.example.Generic")]
pub trait Generic {
    async fn typed<T: serde::Serialize>(&self, value: T) -> Result<(), RpcError>;
    async fn bounded(&self, value: String) -> Result<(), RpcError>
    where
        Self: Sized;
}

fn main() {}
