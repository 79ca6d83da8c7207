//! The seam between the transport and a service implementation.
//!
//! The `#[service]` macro generates a [`ServiceHandler`] for each trait: it decodes the
//! arguments of the method the router picked, awaits the user's `async fn`, and turns the
//! result into a [`ServerReply`]. Handlers never fail: every outcome is a reply frame.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use dubbo_hessian2::Deserializer;
use serde::{Deserialize, Serialize};

use crate::attachments::Attachments;
use crate::codec::body;
use crate::codec::request::RequestAttachments;
use crate::codec::with_scratch;
use crate::error::{JavaException, RpcError};
use crate::service::ServiceDescriptor;
use crate::status::StatusCode;

/// A boxed, sendable future, as handlers return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A service implementation as the server sees it.
pub trait ServiceHandler: Send + Sync + 'static {
    /// The service's interface, default version/group and methods.
    fn descriptor(&self) -> &'static ServiceDescriptor;

    /// Handles one call of the method at `call.method_index()` in
    /// [`descriptor().methods`](ServiceDescriptor::methods).
    fn call(&self, call: ServerCall) -> BoxFuture<ServerReply>;
}

/// One incoming call, routed to a method.
#[derive(Debug)]
pub struct ServerCall {
    method_index: usize,
    body: Bytes,
    args: std::ops::Range<usize>,
    attachments: RequestAttachments,
    response_attachments: bool,
}

impl ServerCall {
    /// A call of method `method_index` whose encoded arguments are `body[args]`.
    pub fn new(
        method_index: usize,
        body: Bytes,
        args: std::ops::Range<usize>,
        attachments: Attachments,
        response_attachments: bool,
    ) -> Self {
        Self::with_request_attachments(
            method_index,
            body,
            args,
            RequestAttachments::decoded(attachments),
            response_attachments,
        )
    }

    /// A call like [`ServerCall::new`] whose attachments may still be undecoded: the router
    /// passes them this way so that calls whose handler never reads them never decode them.
    pub fn with_request_attachments(
        method_index: usize,
        body: Bytes,
        args: std::ops::Range<usize>,
        attachments: RequestAttachments,
        response_attachments: bool,
    ) -> Self {
        ServerCall {
            method_index,
            body,
            args,
            attachments,
            response_attachments,
        }
    }

    /// Index of the called method in the service descriptor.
    pub fn method_index(&self) -> usize {
        self.method_index
    }

    /// The request's attachments, decoded on first use.
    pub fn attachments(&self) -> &Attachments {
        self.attachments.get()
    }

    /// A decoder over the argument values, in declaration order.
    pub fn args(&self) -> ArgsDecoder<'_> {
        ArgsDecoder {
            // The argument values start with fresh Hessian tables: everything before them in
            // the body is strings, which take no part in the tables.
            de: Deserializer::new(&self.body[self.args.clone()]),
            index: 0,
        }
    }

    /// Turns a method's result into a reply: a value (or null) on `Ok`, a Java exception on
    /// `Err`.
    pub fn reply<T: Serialize + ?Sized>(&self, result: Result<&T, RpcError>) -> ServerReply {
        match result {
            Ok(value) => {
                let encoded = with_scratch(|buf| {
                    body::encode_value_response_into(value, self.response_attachments, buf)
                        .map(|()| body_bytes(buf))
                });
                match encoded {
                    Ok(body) => ServerReply {
                        status: StatusCode::OK,
                        body,
                    },
                    Err(e) => ServerReply::error(
                        StatusCode::BAD_RESPONSE,
                        &format!("Failed to send response: {e}"),
                    ),
                }
            }
            Err(err) => self.reply_exception(&exception_for(err)),
        }
    }

    /// A reply carrying a business exception (status OK, result flag 0 or 3).
    pub fn reply_exception(&self, exception: &JavaException) -> ServerReply {
        match body::encode_exception_response(exception, self.response_attachments) {
            Ok(body) => ServerReply::ok(body),
            Err(e) => ServerReply::error(
                StatusCode::BAD_RESPONSE,
                &format!("Failed to send response: {e}"),
            ),
        }
    }

    /// A `BAD_REQUEST` (40) reply for arguments that could not be decoded, worded like
    /// Java's.
    pub fn bad_request(&self, err: &RpcError) -> ServerReply {
        ServerReply::error(
            StatusCode::BAD_REQUEST,
            &format!("Fail to decode request due to: {err}"),
        )
    }
}

/// What a business error becomes on the wire.
fn exception_for(err: RpcError) -> JavaException {
    match err {
        RpcError::Business(e) => e,
        RpcError::Application(message) => JavaException::runtime(message),
        other => JavaException::runtime(other.to_string()),
    }
}

/// Decodes the argument values of a call one by one.
#[derive(Debug)]
pub struct ArgsDecoder<'a> {
    de: Deserializer<'a>,
    index: usize,
}

impl<'a> ArgsDecoder<'a> {
    /// Decodes the next argument.
    // Not an `Iterator`: each call decodes a different type.
    #[allow(clippy::should_implement_trait)]
    pub fn next<T: Deserialize<'a>>(&mut self) -> Result<T, RpcError> {
        let index = self.index;
        self.index += 1;
        T::deserialize(&mut self.de)
            .map_err(|e| RpcError::Application(format!("cannot decode argument {index}: {e}")))
    }
}

/// Reply bodies up to this size are copied into the thread's reply arena instead of being
/// given a buffer of their own.
const SMALL_BODY: usize = 1024;
/// Size of each buffer of the reply arena.
const ARENA_CHUNK: usize = 16 * 1024;

thread_local! {
    /// Small reply bodies are cut from this buffer: two allocations and two frees per
    /// reply (the body's `Vec` and the header `Bytes` adds to a `Vec` whose length is not
    /// its capacity) become a copy of a few dozen bytes. A buffer is freed once the replies
    /// cut from it are gone.
    static ARENA: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// The bytes of an encoded body, taking a large one's buffer as it is.
fn body_bytes(buf: &mut Vec<u8>) -> Bytes {
    if buf.len() > SMALL_BODY {
        return std::mem::take(buf).into();
    }
    ARENA.with(|arena| match arena.try_borrow_mut() {
        Ok(mut arena) => {
            if arena.capacity() < buf.len() {
                *arena = BytesMut::with_capacity(ARENA_CHUNK);
            }
            arena.extend_from_slice(buf);
            arena.split().freeze()
        }
        Err(_) => Bytes::copy_from_slice(buf),
    })
}

/// The response a handler produces: a status and an encoded body.
#[derive(Debug, Clone)]
pub struct ServerReply {
    /// The response status.
    pub status: StatusCode,
    /// The encoded response body.
    pub body: Bytes,
}

impl ServerReply {
    /// An OK reply with an encoded result body.
    pub fn ok(body: Vec<u8>) -> Self {
        ServerReply {
            status: StatusCode::OK,
            body: body.into(),
        }
    }

    /// A non-OK reply whose body is `message`.
    pub fn error(status: StatusCode, message: &str) -> Self {
        ServerReply {
            status,
            body: body::encode_error_message(message).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> ServerCall {
        ServerCall::new(0, Bytes::new(), 0..0, Attachments::new(), true)
    }

    /// Java refuses an empty list where it expects a `byte[]` result; the codec writes an
    /// empty `Vec<u8>` as an empty binary, as Java does.
    #[test]
    fn empty_byte_vectors_are_written_as_an_empty_binary() {
        let reply = call().reply(Ok(&Vec::<u8>::new()));
        assert_eq!(&reply.body[..2], [0x94, 0x20]);
        let reply = call().reply(Ok(&Some(Vec::<u8>::new())));
        assert_eq!(&reply.body[..2], [0x94, 0x20]);
        let reply = call().reply(Ok(&vec![1u8, 2]));
        assert_eq!(&reply.body[..4], [0x94, 0x22, 1, 2]);
        // Other empty sequences stay lists.
        let reply = call().reply(Ok(&Vec::<String>::new()));
        assert_eq!(&reply.body[..2], [0x94, 0x78]);
    }

    /// Small bodies are cut from a shared per-thread buffer: replies kept alive across
    /// several of its buffers, and large bodies, stay intact.
    #[test]
    fn reply_bodies_stay_intact_across_arena_buffers() {
        let expected = |s: &str| body::encode_value_response(s, true).unwrap();
        let texts: Vec<String> = (0..2 * ARENA_CHUNK / 100)
            .map(|i| format!("{i:0>90}"))
            .chain([
                "x".repeat(SMALL_BODY),
                "y".repeat(3 * ARENA_CHUNK),
                String::new(),
            ])
            .collect();
        let replies: Vec<ServerReply> = texts.iter().map(|t| call().reply(Ok(t))).collect();
        for (text, reply) in texts.iter().zip(&replies) {
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.body, expected(text));
        }
    }
}
