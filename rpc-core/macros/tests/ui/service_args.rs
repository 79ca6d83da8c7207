use dubbo_rpc::RpcError;

// Missing interface, unknown key, repeated key.
#[dubbo_rpc::service(colour = "red", version = "1", version = "2")]
pub trait NoInterface {
    async fn a(&self) -> Result<(), RpcError>;
}

// Not a Java class name; not a string.
#[dubbo_rpc::service(interface = "org.example.Bad Name", group = 3)]
pub trait BadValues {
    async fn a(&self) -> Result<(), RpcError>;
}

// Not a trait.
#[dubbo_rpc::service(interface = "org.example.Struct")]
pub struct NotATrait;

fn main() {}
