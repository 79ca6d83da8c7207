use dubbo_rpc::RpcError;

type Alias<T> = Result<T, RpcError>;

#[dubbo_rpc::service(interface = "org.example.Returns")]
pub trait Returns {
    async fn plain(&self) -> String;
    async fn nothing(&self);
    async fn one_parameter(&self) -> std::io::Result<String>;
    async fn alias(&self) -> Alias<String>;
}

fn main() {}
