use dubbo_rpc::RpcError;

#[dubbo_rpc::service(interface = "org.example.Overloads")]
pub trait Overloads {
    async fn greet(&self, name: String) -> Result<String, RpcError>;
    // Same Java name, same argument types.
    #[dubbo(name = "greet")]
    async fn greet_again(&self, who: String) -> Result<String, RpcError>;
    #[dubbo(name = "find", parameter_types = "J")]
    async fn find_by_id(&self, id: i64) -> Result<String, RpcError>;
    // Same Java name, same declared parameter types.
    #[dubbo(name = "find", parameter_types = "J")]
    async fn find_by_long(&self, id: i64) -> Result<String, RpcError>;
    // A different arity is a valid overload.
    #[dubbo(name = "find")]
    async fn find_two(&self, a: i64, b: i64) -> Result<String, RpcError>;
}

fn main() {}
