//! One provider as the consumer sees it: its URL, its shared connection, and the live
//! statistics load balancers use.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::client::invocation::Invocation;
use crate::codec::body::{self, DecodedResponse};
use crate::codec::{Header, HEADER_LEN};
use crate::error::RpcError;
use crate::transport::client::{
    decode_response_frame, ConnectionConfig, ConnectionHandle, ConnectionPool,
};
use crate::transport::next_request_id;
use crate::url::Url;

/// Java's default provider weight.
pub const DEFAULT_WEIGHT: u32 = 100;
/// Java's default warm-up period.
pub const DEFAULT_WARMUP: Duration = Duration::from_secs(600);

/// A provider of the service.
#[derive(Debug)]
pub struct Invoker {
    url: Url,
    connection: Arc<ConnectionHandle>,
    max_payload: usize,
    active: AtomicUsize,
    succeeded: AtomicU64,
    succeeded_elapsed_micros: AtomicU64,
}

impl Invoker {
    /// An invoker for `url`, sharing the process-wide connection to its address.
    pub fn new(url: Url, config: &ConnectionConfig) -> Arc<Invoker> {
        let connection = ConnectionPool::global().handle(&url.address(), config);
        let max_payload = url
            .param("payload")
            .and_then(|p| p.parse::<i64>().ok())
            .map(|p| if p <= 0 { usize::MAX } else { p as usize })
            .unwrap_or(config.max_frame_len);
        Arc::new(Invoker {
            url,
            connection,
            max_payload,
            active: AtomicUsize::new(0),
            succeeded: AtomicU64::new(0),
            succeeded_elapsed_micros: AtomicU64::new(0),
        })
    }

    /// The provider URL (as registered, or as given directly).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        self.url.address()
    }

    /// Whether calls can go here now (connected or connectable, and not readonly).
    pub fn is_available(&self) -> bool {
        self.connection.is_available()
    }

    /// Calls in flight on this provider from this process (for `leastactive`).
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    /// Average latency of successful calls, and how many there were (for
    /// `shortestresponse`).
    pub fn average_response(&self) -> (Duration, u64) {
        let n = self.succeeded.load(Ordering::Relaxed);
        if n == 0 {
            return (Duration::ZERO, 0);
        }
        let total = self.succeeded_elapsed_micros.load(Ordering::Relaxed);
        (Duration::from_micros(total / n), n)
    }

    /// The provider's weight after warm-up, as Java computes it: the `weight` parameter
    /// (default 100), ramped linearly over `warmup` ms (default 10 min) from the provider's
    /// `timestamp`.
    pub fn weight(&self, method: &str) -> u32 {
        let weight = self
            .url
            .param(&format!("{method}.weight"))
            .or_else(|| self.url.param("weight"))
            .and_then(|w| w.parse::<i64>().ok())
            .map(|w| w.max(0) as u32)
            .unwrap_or(DEFAULT_WEIGHT);
        if weight == 0 {
            return 0;
        }
        let Some(start) = self
            .url
            .param("timestamp")
            .and_then(|t| t.parse::<u64>().ok())
        else {
            return weight;
        };
        let warmup = self
            .url
            .param("warmup")
            .and_then(|w| w.parse::<u64>().ok())
            .unwrap_or(DEFAULT_WARMUP.as_millis() as u64);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let uptime = now.saturating_sub(start);
        if uptime == 0 || warmup == 0 || uptime >= warmup {
            return weight;
        }
        // Java: (int)(uptime / ((float) warmup / weight)), at least 1.
        let ramped = (uptime as f64 / (warmup as f64 / weight as f64)) as u32;
        ramped.clamp(1, weight)
    }

    /// Sends the invocation to this provider and waits for the response. No timeout here:
    /// the timeout layer wraps this call.
    pub async fn invoke(&self, invocation: &Invocation) -> Result<DecodedResponse, RpcError> {
        let method = invocation.method();
        let id = next_request_id();
        // The frame is built in one buffer: header room first, the body encoded after it,
        // then the header filled in; no second copy of the body.
        let mut frame = Vec::with_capacity(HEADER_LEN + 192 + invocation.args.bytes.len());
        frame.resize(HEADER_LEN, 0);
        body::encode_request(
            &mut frame,
            &invocation.target.descriptor.interface,
            invocation.target.version.as_deref(),
            &method.name,
            &method.parameter_types,
            &invocation.args,
            &invocation.attachments,
        )?;
        let body_len = frame.len() - HEADER_LEN;
        if body_len > self.max_payload {
            // Java fails such a request locally and never sends it.
            return Err(RpcError::PayloadTooLarge {
                size: body_len,
                limit: self.max_payload,
            });
        }
        Header::request(id, body_len as u32).write(&mut &mut frame[..HEADER_LEN]);
        let frame = Bytes::from(frame);
        let connection = self.connection.get().await?;
        self.active.fetch_add(1, Ordering::Relaxed);
        let _active = ActiveGuard(&self.active);
        let started = Instant::now();
        let response = connection.send_request(id, frame).await?;
        let result = decode_response_frame(response);
        if result.is_ok() {
            self.succeeded.fetch_add(1, Ordering::Relaxed);
            self.succeeded_elapsed_micros
                .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        result
    }
}

struct ActiveGuard<'a>(&'a AtomicUsize);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
