use dubbo_rpc::RpcError;

#[dubbo_rpc::service(interface = "org.example.Args")]
pub trait Args {
    async fn tuple(&self, (a, b): (i32, i32)) -> Result<(), RpcError>;
    async fn wild(&self, _: i32) -> Result<(), RpcError>;
    async fn by_ref(&self, ref name: String) -> Result<(), RpcError>;
    async fn borrowed(&self, name: &str) -> Result<(), RpcError>;
    async fn opaque(&self, name: impl ToString) -> Result<(), RpcError>;
}

fn main() {}
