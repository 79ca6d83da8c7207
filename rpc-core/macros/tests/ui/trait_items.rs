use dubbo_rpc::RpcError;

#[dubbo_rpc::service(interface = "org.example.Items")]
pub trait Items: Clone {
    type Output;
    const LIMIT: usize;
    async fn ok(&self) -> Result<(), RpcError>;
}

#[dubbo_rpc::service(interface = "org.example.GenericTrait")]
pub trait GenericTrait<T>
where
    T: Send,
{
    async fn ok(&self) -> Result<(), RpcError>;
}

fn main() {}
