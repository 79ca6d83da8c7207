use dubbo_rpc::RpcError;

#[dubbo_rpc::service(interface = "org.example.Sync")]
pub trait Sync {
    fn blocking(&self) -> Result<(), RpcError>;
}

fn main() {}
