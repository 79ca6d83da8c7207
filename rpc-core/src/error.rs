//! Errors a call can end with, on either side of the wire.
//!
//! Two kinds of failure are kept apart, as Dubbo does:
//!
//! * a **business exception**: the provider's method ran and threw. It travels as a normal
//!   response (status 20, result flag 0 or 3) carrying a Java `Throwable`, and a failover
//!   cluster never retries it;
//! * everything else (timeouts, non-OK statuses, broken connections, no provider): these are
//!   framework failures, and [`RpcError::is_retryable`] tells the cluster layer which of them
//!   may be tried again on another provider.

use std::fmt;
use std::time::Duration;

use dubbo_hessian2::Value;

use crate::status::StatusCode;

/// The error type of every RPC call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The provider's method threw (or returned) a business exception.
    #[error("{0}")]
    Business(JavaException),

    /// No response arrived within the call's timeout.
    #[error("call to {method} timed out after {elapsed:?}")]
    Timeout {
        /// The Java method that was called.
        method: String,
        /// The timeout that elapsed.
        elapsed: Duration,
    },

    /// The provider answered with a non-OK status (for example 40 `BAD_REQUEST` or
    /// 70 `SERVICE_ERROR`); the message is the provider's.
    #[error("provider answered status {code}: {message}")]
    Status {
        /// The status byte of the response.
        code: StatusCode,
        /// The provider's message.
        message: String,
    },

    /// The connection to the provider failed or closed before the response arrived.
    #[error("transport error talking to {addr}: {message}")]
    Transport {
        /// The provider address.
        addr: String,
        /// What went wrong.
        message: String,
    },

    /// The directory has no (usable) provider for the service.
    #[error("no provider available for {service}; check the registry or the direct URL")]
    NoProvider {
        /// The service key (`group/interface:version`).
        service: String,
    },

    /// A request or response body exceeds the payload limit.
    #[error("data length too large: {size} bytes, max payload: {limit}")]
    PayloadTooLarge {
        /// The encoded size.
        size: usize,
        /// The configured limit (the `payload` URL key, 8 MiB by default).
        limit: usize,
    },

    /// Encoding or decoding a Hessian body failed.
    #[error("serialization failed: {0}")]
    Codec(#[from] dubbo_hessian2::Error),

    /// An error raised by a service implementation or by middleware, carried as text.
    ///
    /// A provider sends it to the consumer as a `java.lang.RuntimeException` whose
    /// `detailMessage` is this text.
    #[error("{0}")]
    Application(String),

    /// The client or server was shut down.
    #[error("shut down")]
    Shutdown,
}

impl RpcError {
    /// A business error with the given message, sent to consumers as a
    /// `java.lang.RuntimeException`.
    pub fn application(message: impl Into<String>) -> Self {
        RpcError::Application(message.into())
    }

    /// Whether a failover cluster may retry the call on another provider.
    ///
    /// Business exceptions are never retried (the method ran); timeouts, non-OK statuses,
    /// transport failures and missing providers are, as in Java Dubbo.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            RpcError::Timeout { .. }
                | RpcError::Status { .. }
                | RpcError::Transport { .. }
                | RpcError::NoProvider { .. }
        )
    }

    /// Whether this is a business exception thrown by the provider's method.
    pub fn is_business(&self) -> bool {
        matches!(self, RpcError::Business(_) | RpcError::Application(_))
    }
}

/// A Java exception received from (or sent to) a Dubbo peer.
#[derive(Debug, Clone, PartialEq)]
pub struct JavaException {
    /// The Java class name, e.g. `java.lang.RuntimeException`.
    pub class: String,
    /// The exception's `detailMessage`, if any.
    pub message: Option<String>,
    /// The whole decoded exception object, for fields beyond the message (boxed: errors
    /// travel inside every call's future, and a rarely used field should not make them large).
    pub object: Option<Box<Value>>,
}

impl JavaException {
    /// A `java.lang.RuntimeException` with the given message.
    pub fn runtime(message: impl Into<String>) -> Self {
        JavaException {
            class: "java.lang.RuntimeException".to_owned(),
            message: Some(message.into()),
            object: None,
        }
    }

    /// A string field of the exception object, e.g. `exceptionClass` and `exceptionMessage`
    /// of the `GenericException` a generic (`$invoke`) call fails with.
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.object.as_ref()?.field(name)?.as_str()
    }

    /// Builds an exception from a decoded Hessian value (a Java `Throwable` object).
    pub fn from_value(value: Value) -> Self {
        match &value {
            Value::Object { class, fields } => {
                let message = fields
                    .iter()
                    .find_map(|(name, v)| match (name.as_str(), v) {
                        ("detailMessage", Value::String(s)) => Some(s.clone()),
                        _ => None,
                    });
                JavaException {
                    class: class.clone(),
                    message,
                    object: Some(Box::new(value)),
                }
            }
            Value::Map { entries, .. } => {
                // A consumer that cannot resolve the class (or a peer that sends maps) may
                // give us a map; keep whatever message it carries.
                let message = entries.iter().find_map(|(k, v)| match (k, v) {
                    (Value::String(k), Value::String(s))
                        if k == "detailMessage" || k == "message" =>
                    {
                        Some(s.clone())
                    }
                    _ => None,
                });
                JavaException {
                    class: "java.util.HashMap".to_owned(),
                    message,
                    object: Some(Box::new(value)),
                }
            }
            other => JavaException {
                class: "unknown".to_owned(),
                message: Some(format!("{other:?}")),
                object: Some(Box::new(value)),
            },
        }
    }
}

impl fmt::Display for JavaException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {}", self.class, m),
            None => f.write_str(&self.class),
        }
    }
}
