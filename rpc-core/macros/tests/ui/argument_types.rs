use dubbo_rpc::RpcError;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct NoJavaType {
    x: i32,
}

#[derive(Debug)]
pub struct NotAnRpcError;

#[derive(dubbo_rpc::JavaType)]
#[java(class = "org.example.NoSerde")]
pub struct NoSerde;

#[dubbo_rpc::service(interface = "org.example.Types")]
pub trait Types {
    async fn pojo(&self, first: String, value: NoJavaType) -> Result<(), RpcError>;
    async fn error(&self) -> Result<(), NotAnRpcError>;
    async fn serde_arg(&self, value: NoSerde) -> Result<(), RpcError>;
    async fn serde_result(&self) -> Result<NoSerde, RpcError>;
}

fn main() {}
