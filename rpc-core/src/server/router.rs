//! Routes a decoded request to an exported service, as Java's `DubboProtocol` does: by
//! `path:version` first, then by the `group` attachment, then by method name **and**
//! parameter descriptor.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use dubbo_hessian2::{Deserializer, Value};

use crate::codec::body;
use crate::codec::request::{decode_request_head, RequestAttachments, RequestHead};
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
    /// interface → its exports, one per version and group. Looked up by the request's path
    /// without copying it; the handful of exports of one interface are scanned.
    services: HashMap<String, Vec<Exported>, BuildHasherDefault<WordHasher>>,
    port: u16,
}

impl Router {
    pub(crate) fn set_port(&mut self, port: u16) {
        self.port = port;
    }

    pub(crate) fn add(&mut self, exported: Exported) {
        let key = exported.handler.descriptor().interface.clone();
        self.services.entry(key).or_default().push(exported);
    }

    pub(crate) fn exports(&self) -> impl Iterator<Item = &Exported> {
        self.services.values().flatten()
    }

    /// The export of `path:version` in `group`.
    fn find(&self, path: &str, version: Option<&str>, group: Option<&str>) -> Option<&Exported> {
        self.services
            .get(path)?
            .iter()
            .find(|e| e.version.as_deref() == version && e.group.as_deref() == group)
    }

    /// Handles one request body; never fails: every outcome is a reply.
    pub(crate) fn dispatch(&self, body: Bytes) -> BoxFuture<ServerReply> {
        let head = match decode_request_head(&body) {
            Ok(r) => r,
            Err(e) => {
                return ready(ServerReply::error(
                    StatusCode::BAD_REQUEST,
                    &format!("Fail to decode request due to: java.io.IOException: {e}"),
                ))
            }
        };
        let Some(exported) = self.find(&head.path, head.version.as_deref(), head.group()) else {
            return ready(self.not_found(&head));
        };
        let with_attachments = head.supports_response_attachments();
        if head.method == ECHO_METHOD && head.parameter_types == ECHO_DESCRIPTOR {
            return ready(echo(&body, head.args, with_attachments));
        }
        let descriptor = exported.handler.descriptor();
        let method = descriptor.find_method(&head.method, &head.parameter_types);
        if method.is_none() && generic::is_generic_call(&head.method, &head.parameter_types) {
            let generic = head.generic().unwrap_or("true").to_owned();
            let attachments = RequestAttachments::from_body(body.clone(), &head);
            return generic::invoke(
                exported.handler.clone(),
                &body[head.args.clone()],
                generic,
                attachments,
                with_attachments,
            );
        }
        let Some(index) = method else {
            return ready(ServerReply::error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Fail to decode request due to: java.lang.IllegalArgumentException: \
                     Service not found:{}, {} (parameter types {:?})",
                    head.path, head.method, head.parameter_types
                ),
            ));
        };
        let attachments = RequestAttachments::from_body(body.clone(), &head);
        let args = head.args;
        let call =
            ServerCall::with_request_attachments(index, body, args, attachments, with_attachments);
        exported.handler.call(call)
    }

    /// Java's status-70 reply for a missing exporter.
    fn not_found(&self, request: &RequestHead<'_>) -> ServerReply {
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

/// The word-at-a-time hash of rustc's `FxHasher`: the table is keyed by a few interface
/// names fixed at startup, so SipHash's flooding resistance buys nothing here, and this
/// hashes a 30-byte name in four multiplications.
#[derive(Debug, Clone, Copy, Default)]
struct WordHasher(u64);

impl WordHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut last = [0; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(last));
    }
}

fn ready(reply: ServerReply) -> BoxFuture<ServerReply> {
    Box::pin(std::future::ready(reply))
}

/// `$echo(Object)`: answer with the argument, whatever it is.
fn echo(body: &Bytes, args: Range<usize>, with_attachments: bool) -> ServerReply {
    let mut de = Deserializer::new(&body[args]);
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
