use dubbo_rpc::RpcError;

#[dubbo_rpc::service(interface = "org.example.Overrides")]
pub trait Overrides {
    #[dubbo(java_name = "x")]
    async fn unknown_key(&self) -> Result<(), RpcError>;
    #[dubbo(parameter_types = "Ljava.lang.String;")]
    async fn dotted(&self, name: String) -> Result<(), RpcError>;
    #[dubbo(parameter_types = "Ljava/lang/String;I")]
    async fn too_many(&self, name: String) -> Result<(), RpcError>;
    #[dubbo(name = "say-hello")]
    async fn bad_name(&self) -> Result<(), RpcError>;
    #[dubbo(name = "a", name = "b")]
    async fn repeated(&self) -> Result<(), RpcError>;
}

fn main() {}
