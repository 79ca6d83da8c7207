//! Routes a decoded request to an exported service, as Java's `DubboProtocol` does: by
//! `path:version` first, then by the `group` attachment, then by method name **and**
//! parameter descriptor.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use dubbo_hessian2::{Deserializer, Value};

use crate::codec::body::{self, DecodedRequest};
use crate::server::handler::{BoxFuture, ServerCall, ServerReply, ServiceHandler};
use crate::status::StatusCode;

#[path = "generic.rs"]
mod generic;

/// Java's `$echo`: every exported service answers it with its argument.
const ECHO_METHOD: &str = "$echo";
const ECHO_DESCRIPTOR: &str = "Ljava/lang/Object;";

/// One exported service.
#[derive(Clone)]
pub(crate) struct Exported {
    pub(crate) handler: Arc<dyn ServiceHandler>,
    pub(crate) version: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) parameters: std::collections::BTreeMap<String, String>,
}

impl std::fmt::Debug for Exported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exported")
            .field("interface", &self.handler.descriptor().interface)
            .field("version", &self.version)
            .field("group", &self.group)
            .finish()
    }
}

impl Exported {
    /// Java's service key with port: `group/interface:version:port`.
    fn key(&self, port: u16) -> String {
        service_key(
            self.group.as_deref(),
            &self.handler.descriptor().interface,
            self.version.as_deref(),
            Some(port),
        )
    }
}

fn service_key(
    group: Option<&str>,
    path: &str,
    version: Option<&str>,
    port: Option<u16>,
) -> String {
    let mut key = String::new();
    if let Some(g) = group {
        key.push_str(g);
        key.push('/');
    }
    key.push_str(path);
    key.push(':');
    key.push_str(version.unwrap_or("0.0.0"));
    if let Some(p) = port {
        key.push(':');
        key.push_str(&p.to_string());
    }
    key
}

/// The table of exported services of one server.
#[derive(Debug, Default, Clone)]
pub(crate) struct Router {
    /// (interface, version) → the exports of that key, one per group.
    services: HashMap<(String, Option<String>), Vec<Exported>>,
    port: u16,
}

impl Router {
    pub(crate) fn set_port(&mut self, port: u16) {
        self.port = port;
    }

    pub(crate) fn add(&mut self, exported: Exported) {
        let key = (
            exported.handler.descriptor().interface.clone(),
            exported.version.clone(),
        );
        self.services.entry(key).or_default().push(exported);
    }

    pub(crate) fn exports(&self) -> impl Iterator<Item = &Exported> {
        self.services.values().flatten()
    }

    /// Handles one request body; never fails: every outcome is a reply.
    pub(crate) fn dispatch(&self, body: Bytes) -> BoxFuture<ServerReply> {
        let request = match body::decode_request(&body) {
            Ok(r) => r,
            Err(e) => {
                return ready(ServerReply::error(
                    StatusCode::BAD_REQUEST,
                    &format!("Fail to decode request due to: java.io.IOException: {e}"),
                ))
            }
        };
        let Some(candidates) = self
            .services
            .get(&(request.path.clone(), request.version.clone()))
        else {
            return ready(self.not_found(&request));
        };
        let group = request.group();
        let Some(exported) = candidates.iter().find(|e| e.group.as_deref() == group) else {
            return ready(self.not_found(&request));
        };
        let with_attachments = request.supports_response_attachments();
        if request.method == ECHO_METHOD && request.parameter_types == ECHO_DESCRIPTOR {
            return ready(echo(&body, &request, with_attachments));
        }
        let descriptor = exported.handler.descriptor();
        if generic::is_generic_call(&request.method, &request.parameter_types)
            && descriptor
                .find_method(&request.method, &request.parameter_types)
                .is_none()
        {
            return generic::invoke(exported.handler.clone(), body, request, with_attachments);
        }
        let Some(index) = descriptor.find_method(&request.method, &request.parameter_types) else {
            return ready(ServerReply::error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Fail to decode request due to: java.lang.IllegalArgumentException: \
                     Service not found:{}, {} (parameter types {:?})",
                    request.path, request.method, request.parameter_types
                ),
            ));
        };
        let call = ServerCall::new(
            index,
            body,
            request.args,
            request.attachments,
            with_attachments,
        );
        exported.handler.call(call)
    }

    /// Java's status-70 reply for a missing exporter.
    fn not_found(&self, request: &DecodedRequest) -> ServerReply {
        let wanted = service_key(
            request.group(),
            &request.path,
            request.version.as_deref(),
            Some(self.port),
        );
        let mut known: Vec<String> = self.exports().map(|e| e.key(self.port)).collect();
        known.sort();
        ServerReply::error(
            StatusCode::SERVICE_ERROR,
            &format!(
                "org.apache.dubbo.remoting.RemotingException: Not found exported service: {wanted} in [{}], \
                 may be version or group mismatch, message: {}",
                known.join(", "),
                request.method
            ),
        )
    }
}

fn ready(reply: ServerReply) -> BoxFuture<ServerReply> {
    Box::pin(std::future::ready(reply))
}

/// `$echo(Object)`: answer with the argument, whatever it is.
fn echo(body: &Bytes, request: &DecodedRequest, with_attachments: bool) -> ServerReply {
    let mut de = Deserializer::new(&body[request.args.clone()]);
    let value: Value = match de.read_value() {
        Ok(v) => v,
        Err(e) => {
            return ServerReply::error(
                StatusCode::BAD_REQUEST,
                &format!("Fail to decode request due to: {e}"),
            )
        }
    };
    match body::encode_value_response(&value, with_attachments) {
        Ok(b) => ServerReply::ok(b),
        Err(e) => ServerReply::error(
            StatusCode::BAD_RESPONSE,
            &format!("Failed to send response: {e}"),
        ),
    }
}
