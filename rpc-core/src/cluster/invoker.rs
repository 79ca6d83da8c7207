//! One provider as the consumer sees it: its URL, its connection (shared, or several
//! dedicated ones), and the live statistics load balancers use.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::client::invocation::{Invocation, ServiceTarget};
use crate::client::settings::ResolvedSettings;
use crate::codec::body::{self, DecodedResponse};
use crate::codec::Frame;
use crate::error::RpcError;
use crate::transport::client::{
    decode_response_frame, Connection, ConnectionConfig, ConnectionHandle, ConnectionPool,
    PendingResponse,
};
use crate::url::Url;

/// Consecutive calls a provider's dedicated connections take in turn (Java alternates on
/// every call). Calls started together, such as the callers woken by one read, then leave in
/// one write and come back in one read instead of being split over every connection: over 4
/// connections with 1 024 calls in flight, turns of 128 calls took the consumer from about
/// 31 000 writes a second to about 7 000 and from 1.23–1.34 to 0.98–1.05 µs of CPU per
/// call, and the provider from 1.10–1.24 to 0.83–0.90 µs. Over time the calls still spread
/// evenly over the connections.
const CALLS_PER_TURN: usize = 128;
/// At most this many dedicated connections per provider, whatever a URL says.
const MAX_CONNECTIONS: u32 = 64;
/// Java's default provider weight.
pub const DEFAULT_WEIGHT: u32 = 100;
/// Java's default warm-up period.
pub const DEFAULT_WARMUP: Duration = Duration::from_secs(600);

/// A provider of the service.
#[derive(Debug)]
pub struct Invoker {
    url: Url,
    /// One handle shared through the process-wide pool, or the invoker's own `connections`
    /// handles, used in turn.
    connections: Box<[Arc<ConnectionHandle>]>,
    /// Round-robin position over `connections`.
    next_connection: AtomicUsize,
    max_payload: usize,
    active: AtomicUsize,
    succeeded: AtomicU64,
    succeeded_elapsed_micros: AtomicU64,
    /// Whether calls are counted for [`active`](Self::active) and timed for
    /// [`average_response`](Self::average_response): off until a balancer asks, which spares
    /// every other call two atomic operations and two clock reads.
    tracked: AtomicBool,
    weight: WeightParams,
    /// The consumer's settings for each method against this provider, resolved on first
    /// use for the first service target that asks (an invoker belongs to one client's
    /// directory, so one target in practice).
    resolved: OnceLock<ResolvedFor>,
}

#[derive(Debug)]
struct ResolvedFor {
    /// Held weakly: the target owns no invoker, and a live `Weak` keeps its address from
    /// being reused by another target.
    target: Weak<ServiceTarget>,
    methods: Box<[ResolvedSettings]>,
}

/// The URL's weight parameters, parsed once.
#[derive(Debug)]
struct WeightParams {
    /// `weight` (default 100).
    service: u32,
    /// `<method>.weight` overrides.
    methods: Vec<(String, u32)>,
    /// `timestamp`: when the provider started, in ms since the epoch.
    started_ms: Option<u64>,
    /// `warmup` in ms (default 10 min).
    warmup_ms: u64,
    /// Set once the warm-up is over, so later calls skip the clock.
    warmed_up: AtomicBool,
}

impl WeightParams {
    fn parse(url: &Url) -> WeightParams {
        let parse_weight = |w: &str| w.parse::<i64>().ok().map(|w| w.max(0) as u32);
        let methods = url
            .params()
            .iter()
            .filter_map(|(k, v)| {
                let method = k.strip_suffix(".weight")?;
                Some((method.to_owned(), parse_weight(v)?))
            })
            .collect();
        let started_ms = url.param("timestamp").and_then(|t| t.parse::<u64>().ok());
        WeightParams {
            service: url
                .param("weight")
                .and_then(parse_weight)
                .unwrap_or(DEFAULT_WEIGHT),
            methods,
            started_ms,
            warmup_ms: url
                .param("warmup")
                .and_then(|w| w.parse::<u64>().ok())
                .unwrap_or(DEFAULT_WARMUP.as_millis() as u64),
            warmed_up: AtomicBool::new(started_ms.is_none()),
        }
    }
}

impl Invoker {
    /// An invoker for `url`: with `connections` set (by the consumer's config, else by the
    /// provider URL's `connections` parameter) to n > 0, n connections of its own used in
    /// turn, as Java; otherwise the process-wide connection to the provider's address.
    pub fn new(url: Url, config: &ConnectionConfig) -> Arc<Invoker> {
        let address = url.address();
        let dedicated = config
            .connections
            .or_else(|| url.param("connections")?.trim().parse::<u32>().ok())
            .unwrap_or(0)
            .min(MAX_CONNECTIONS);
        let connections: Box<[_]> = if dedicated == 0 {
            Box::new([ConnectionPool::global().handle(&address, config)])
        } else {
            (0..dedicated)
                .map(|_| ConnectionHandle::new(&address, config.clone()))
                .collect()
        };
        let max_payload = url
            .param("payload")
            .and_then(|p| p.parse::<i64>().ok())
            .map(|p| if p <= 0 { usize::MAX } else { p as usize })
            .unwrap_or(config.max_frame_len);
        Arc::new(Invoker {
            connections,
            next_connection: AtomicUsize::new(0),
            max_payload,
            active: AtomicUsize::new(0),
            succeeded: AtomicU64::new(0),
            succeeded_elapsed_micros: AtomicU64::new(0),
            tracked: AtomicBool::new(false),
            weight: WeightParams::parse(&url),
            resolved: OnceLock::new(),
            url,
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

    /// Whether calls can go here now: one of its connections is connected (or connectable)
    /// and the provider is not readonly.
    pub fn is_available(&self) -> bool {
        self.connections.iter().any(|c| c.is_available())
    }

    /// Runs `f` on the connection the next call uses, or returns the handle to connect: with
    /// several connections, the next in turn every [`CALLS_PER_TURN`] calls.
    ///
    /// A connection never connected is connected on its turn; one that is down
    /// (reconnecting in the background) is passed over for a live one when there is one.
    fn on_connection<R>(
        &self,
        mut f: impl FnMut(&Arc<Connection>) -> R,
    ) -> Result<R, &Arc<ConnectionHandle>> {
        let handles = &self.connections;
        let turn = match handles.len() {
            1 => 0,
            n => self.next_connection.fetch_add(1, Ordering::Relaxed) / CALLS_PER_TURN % n,
        };
        let handle = &handles[turn];
        if let Some(result) = handle.with_live(&mut f) {
            return Ok(result);
        }
        if handles.len() > 1 && !handle.is_available() {
            for other in handles.iter() {
                if let Some(result) = other.with_live(&mut f) {
                    return Ok(result);
                }
            }
        }
        Err(handle)
    }

    /// Switches on the counting and timing of calls for the balancers that use them.
    fn track(&self) {
        if !self.tracked.load(Ordering::Relaxed) {
            self.tracked.store(true, Ordering::Relaxed);
        }
    }

    /// Calls in flight on this provider from this process (for `leastactive`). Calls are
    /// counted from the first time this is asked.
    pub fn active(&self) -> usize {
        self.track();
        self.active.load(Ordering::Relaxed)
    }

    /// Average latency of successful calls, and how many there were (for
    /// `shortestresponse`). Calls are timed from the first time this is asked.
    pub fn average_response(&self) -> (Duration, u64) {
        self.track();
        let n = self.succeeded.load(Ordering::Relaxed);
        if n == 0 {
            return (Duration::ZERO, 0);
        }
        let total = self.succeeded_elapsed_micros.load(Ordering::Relaxed);
        (Duration::from_micros(total / n), n)
    }

    /// The provider's weight after warm-up, as Java computes it: the `weight` parameter
    /// (default 100; `<method>.weight` first), ramped linearly over `warmup` ms (default
    /// 10 min) from the provider's `timestamp`.
    pub fn weight(&self, method: &str) -> u32 {
        let params = &self.weight;
        let weight = params
            .methods
            .iter()
            .find(|(m, _)| m == method)
            .map_or(params.service, |(_, w)| *w);
        if weight == 0 || params.warmed_up.load(Ordering::Relaxed) {
            return weight;
        }
        let Some(start) = params.started_ms else {
            return weight;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let uptime = now.saturating_sub(start);
        let warmup = params.warmup_ms;
        if warmup == 0 || uptime >= warmup {
            params.warmed_up.store(true, Ordering::Relaxed);
            return weight;
        }
        if uptime == 0 {
            return weight;
        }
        // Java: (int)(uptime / ((float) warmup / weight)), at least 1.
        let ramped = (uptime as f64 / (warmup as f64 / weight as f64)) as u32;
        ramped.clamp(1, weight)
    }

    /// The consumer's settings of method `method_index` of `target` against this provider.
    pub fn settings(
        &self,
        target: &Arc<ServiceTarget>,
        method_index: usize,
    ) -> Cow<'_, ResolvedSettings> {
        let resolved = self.resolved.get_or_init(|| ResolvedFor {
            target: Arc::downgrade(target),
            methods: target
                .descriptor
                .methods
                .iter()
                .map(|m| target.settings.resolve(&m.name, Some(&self.url)))
                .collect(),
        });
        match resolved.methods.get(method_index) {
            Some(settings) if Weak::as_ptr(&resolved.target) == Arc::as_ptr(target) => {
                Cow::Borrowed(settings)
            }
            _ => Cow::Owned(target.settings.resolve(
                &target.descriptor.methods[method_index].name,
                Some(&self.url),
            )),
        }
    }

    /// Sends the invocation to this provider; the future resolves to the response, or to
    /// [`RpcError::Timeout`] once [`Invocation::timeout`] has passed (connecting included).
    ///
    /// On a live connection the request is encoded and queued before this returns, and the
    /// future only waits for the answer; connecting first (rare) happens inside the future.
    pub fn call(self: Arc<Self>, invocation: Invocation) -> CallFuture {
        let state = match self.on_connection(|connection| self.start(connection, &invocation)) {
            Ok(Ok(response)) => CallState::Waiting {
                response,
                active: ActiveCall::new(self),
            },
            Ok(Err(e)) => CallState::Failed(Some(e)),
            Err(handle) => {
                let handle = handle.clone();
                CallState::Connecting(Box::pin(async move {
                    let call = async {
                        let connection = handle.get().await?;
                        let response = self.start(&connection, &invocation)?;
                        let active = ActiveCall::new(self);
                        finish(response.await, &active)
                    };
                    // Connecting counts against the attempt's timeout too.
                    match invocation.timeout {
                        Some(timeout) => tokio::time::timeout(timeout, call).await.unwrap_or(Err(
                            RpcError::Timeout {
                                method: String::new(),
                                elapsed: timeout,
                            },
                        )),
                        None => call.await,
                    }
                }))
            }
        };
        CallFuture { state }
    }

    /// Encodes and queues the request on `connection`.
    fn start(
        &self,
        connection: &Connection,
        invocation: &Invocation,
    ) -> Result<PendingResponse, RpcError> {
        let (target, method_index) = (invocation.target(), invocation.method_index());
        let head = target.request_head(method_index);
        // The attempt's timeout goes with it, encoded once per provider and method for the
        // timeout its settings give (the timeout layer's).
        let settings;
        let timeout_attachment = match invocation.timeout {
            None => None,
            Some(timeout) => {
                settings = self.settings(target, method_index);
                Some(if settings.timeout == timeout {
                    Cow::Borrowed(settings.timeout_attachment())
                } else {
                    Cow::Owned(ResolvedSettings::timeout_attachment_for(timeout))
                })
            }
        };
        let response = connection.start_request(self.max_payload, invocation.timeout, |frame| {
            // The method's head was encoded once per client, the arguments once per call.
            frame.extend_from_slice(head);
            body::encode_request_tail(
                frame,
                invocation.args(),
                invocation.attachments(),
                timeout_attachment.as_deref(),
            )?;
            Ok(())
        })?;
        Ok(response)
    }
}

/// The future of [`Invoker::call`]: a named type rather than a boxed one, so the common path
/// (connected provider) allocates nothing for it.
#[derive(Debug)]
pub struct CallFuture {
    state: CallState,
}

enum CallState {
    /// Failed before anything was sent.
    Failed(Option<RpcError>),
    /// Connecting first.
    Connecting(Pin<Box<dyn Future<Output = Result<DecodedResponse, RpcError>> + Send>>),
    /// Sent; waiting for the response.
    Waiting {
        response: PendingResponse,
        active: ActiveCall,
    },
}

impl std::fmt::Debug for CallState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CallState::Failed(_) => "Failed",
            CallState::Connecting(_) => "Connecting",
            CallState::Waiting { .. } => "Waiting",
        })
    }
}

impl Future for CallFuture {
    type Output = Result<DecodedResponse, RpcError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            CallState::Failed(error) => Poll::Ready(Err(error
                .take()
                .unwrap_or_else(|| RpcError::application("call polled after it completed")))),
            CallState::Connecting(future) => future.as_mut().poll(cx),
            CallState::Waiting { response, active } => {
                let frame = std::task::ready!(Pin::new(response).poll(cx));
                Poll::Ready(finish(frame, active))
            }
        }
    }
}

/// A call in flight on a provider: when a balancer asked for them, counted in its active
/// calls until dropped, and timed.
#[derive(Debug)]
struct ActiveCall {
    invoker: Arc<Invoker>,
    /// When the call started, if it is counted and timed.
    started: Option<Instant>,
}

impl ActiveCall {
    fn new(invoker: Arc<Invoker>) -> ActiveCall {
        let started = invoker.tracked.load(Ordering::Relaxed).then(|| {
            invoker.active.fetch_add(1, Ordering::Relaxed);
            Instant::now()
        });
        ActiveCall { invoker, started }
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        if self.started.is_some() {
            self.invoker.active.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Decodes a response frame and records the call's latency.
fn finish(
    frame: Result<Frame, RpcError>,
    active: &ActiveCall,
) -> Result<DecodedResponse, RpcError> {
    let result = decode_response_frame(frame?);
    if let (Ok(_), Some(started)) = (&result, active.started) {
        let invoker = &active.invoker;
        invoker.succeeded.fetch_add(1, Ordering::Relaxed);
        invoker
            .succeeded_elapsed_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
    result
}
