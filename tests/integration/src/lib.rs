//! Shared helpers of the integration tests: a hand-written service (so protocol tests do not
//! depend on the macro), servers on port 0, and raw-frame helpers.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dubbo_rpc::codegen::{ArgsEncoder, EncodedArgs};
use dubbo_rpc::server::handler::{BoxFuture, ServerCall, ServerReply, ServiceHandler};
use dubbo_rpc::server::{RunningServer, Server};
use dubbo_rpc::{MethodDescriptor, RpcError, ServiceDescriptor};

/// The interface of [`GreeterHandler`].
pub const GREETER: &str = "org.example.test.Greeter";

/// Method indexes of [`greeter_descriptor`].
pub mod method {
    /// `String sayHello(String)`
    pub const SAY_HELLO: usize = 0;
    /// `String sleep(int millis)`: answers after `millis`.
    pub const SLEEP: usize = 1;
    /// `String fail(String message)`: always a business exception.
    pub const FAIL: usize = 2;
    /// `String whoAmI()`: the server's tag.
    pub const WHO_AM_I: usize = 3;
}

/// The greeter service's descriptor.
pub fn greeter_descriptor() -> &'static ServiceDescriptor {
    static D: OnceLock<ServiceDescriptor> = OnceLock::new();
    D.get_or_init(|| ServiceDescriptor {
        interface: GREETER.to_owned(),
        version: None,
        group: None,
        methods: vec![
            m("sayHello", "Ljava/lang/String;"),
            m("sleep", "I"),
            m("fail", "Ljava/lang/String;"),
            m("whoAmI", ""),
        ],
    })
}

fn m(name: &str, desc: &str) -> MethodDescriptor {
    MethodDescriptor {
        name: name.to_owned(),
        parameter_types: desc.to_owned(),
        rust_name: "test",
    }
}

/// A hand-written handler, shaped like what the `#[service]` macro generates.
#[derive(Debug, Clone)]
pub struct GreeterHandler {
    /// Returned by `whoAmI`.
    pub tag: Arc<str>,
}

impl GreeterHandler {
    /// A handler answering `whoAmI` with `tag`.
    pub fn new(tag: &str) -> Self {
        GreeterHandler { tag: tag.into() }
    }
}

impl ServiceHandler for GreeterHandler {
    fn descriptor(&self) -> &'static ServiceDescriptor {
        greeter_descriptor()
    }

    fn call(&self, call: ServerCall) -> BoxFuture<ServerReply> {
        let tag = self.tag.clone();
        Box::pin(async move {
            let mut args = call.args();
            match call.method_index() {
                method::SAY_HELLO => match args.next::<String>() {
                    Ok(name) => call.reply(Ok(&format!("Hello {name}"))),
                    Err(e) => call.bad_request(&e),
                },
                method::SLEEP => match args.next::<i32>() {
                    Ok(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms.max(0) as u64)).await;
                        call.reply(Ok(&format!("slept {ms}")))
                    }
                    Err(e) => call.bad_request(&e),
                },
                method::FAIL => match args.next::<String>() {
                    Ok(msg) => call.reply::<String>(Err(RpcError::application(msg))),
                    Err(e) => call.bad_request(&e),
                },
                _ => call.reply(Ok(&*tag)),
            }
        })
    }
}

/// Starts a server on 127.0.0.1:0 exporting a [`GreeterHandler`] tagged `tag`.
pub async fn start_greeter(tag: &str) -> RunningServer {
    Server::builder()
        .bind_host("127.0.0.1")
        .port(0)
        .add_service(GreeterHandler::new(tag))
        .serve()
        .await
        .expect("server starts")
}

/// Encodes one argument.
pub fn arg<T: serde::Serialize + ?Sized>(value: &T) -> EncodedArgs {
    let mut e = ArgsEncoder::new();
    e.push(value).expect("encodes");
    e.finish()
}

/// Encodes no arguments.
pub fn no_args() -> EncodedArgs {
    ArgsEncoder::new().finish()
}

/// A client of the greeter at a direct URL.
pub async fn greeter_client(
    url: &str,
    builder: dubbo_rpc::client::ClientBuilder,
) -> dubbo_rpc::Client {
    builder
        .url(url)
        .build_for(Arc::new(greeter_descriptor().clone()))
        .await
        .expect("client builds")
}

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// Helpers of the cluster, registry and shutdown tests.
pub mod cluster_support;
