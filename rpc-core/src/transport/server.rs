//! The provider's side of a connection: read frames, dispatch requests concurrently, answer
//! heartbeats, write responses through the coalescing writer.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::codec::Decoder;

use crate::codec::header::{FLAG_EVENT, FLAG_REQUEST, HESSIAN2};
use crate::codec::{write_frame, CodecError, Decoded, DubboCodec, Frame, Header};
use crate::server::handler::{BoxFuture, ServerReply};
use crate::status::StatusCode;
use crate::transport::writer::{Closed, WeakFrameSender};
use crate::transport::{next_request_id, writer, FrameSender, HEARTBEAT_BODY};

/// What the connection loop hands a request body to.
pub(crate) trait Dispatch: Send + Sync + 'static {
    fn dispatch(&self, body: Bytes) -> BoxFuture<ServerReply>;
}

/// Settings of the server transport.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    /// Largest request body accepted.
    pub(crate) max_frame_len: usize,
    /// Close a connection after this long without reading anything (Java: 180 s).
    pub(crate) idle_timeout: Duration,
}

/// Shared state of a running server transport: live connections and in-flight calls.
#[derive(Debug, Default)]
pub(crate) struct ServerState {
    in_flight: AtomicUsize,
    drained: Notify,
    connections: Mutex<Vec<WeakFrameSender>>,
}

impl ServerState {
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Waits until no call is in flight, or `limit` passes.
    pub(crate) async fn drain(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.drained.notified();
                if self.in_flight() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    /// Sends Java's readonly event (`"R"`, one-way) on every live connection, so consumers
    /// stop choosing this provider at once.
    pub(crate) fn broadcast_readonly(&self) -> usize {
        let mut conns = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let live: Vec<FrameSender> = conns.iter().filter_map(WeakFrameSender::upgrade).collect();
        conns.retain(|c| c.upgrade().is_some());
        let frame = readonly_event();
        live.iter()
            .filter(|c| c.try_send(frame.clone()).is_ok())
            .count()
    }
}

/// The one-way readonly event: `DA BB A2 00 <id> 00 00 00 02 01 52`.
fn readonly_event() -> Bytes {
    let header = Header {
        flags: FLAG_REQUEST | FLAG_EVENT | HESSIAN2,
        status: StatusCode(0),
        id: next_request_id(),
        body_len: 0,
    };
    let mut buf = BytesMut::new();
    write_frame(&header, &[0x01, b'R'], &mut buf);
    buf.freeze()
}

/// After the shutdown drain limit, how long a connection still waits for its calls.
const SHUTDOWN_CALL_GRACE: Duration = Duration::from_millis(100);

/// Accepts connections until `shutdown` flips to true.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    dispatch: Arc<dyn Dispatch>,
    config: TransportConfig,
    state: Arc<ServerState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let for_connections = shutdown.clone();
    let mut backoff = Duration::from_millis(5);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::from_millis(5);
                    let _ = stream.set_nodelay(true);
                    tracing::debug!(%peer, "accepted connection");
                    connections.spawn(serve_connection(
                        stream,
                        dispatch.clone(),
                        config.clone(),
                        state.clone(),
                        for_connections.clone(),
                    ));
                }
                Err(e) => {
                    // Usually EMFILE: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed; backing off {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            },
            _ = signalled(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    // Connections close themselves once their in-flight calls are answered.
    while connections.join_next().await.is_some() {}
}

/// Room kept free before each socket read.
const READ_CHUNK: usize = 16 * 1024;
/// Requests with bodies up to this size are dispatched on the connection's own task and, when
/// the handler completes without waiting, answered in the same write as the rest of the read;
/// larger ones (and handlers that wait) run in a task of their own.
const INLINE_BODY: usize = 8 * 1024;

async fn serve_connection(
    stream: TcpStream,
    dispatch: Arc<dyn Dispatch>,
    config: TransportConfig,
    state: Arc<ServerState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let peer = stream.peer_addr().ok();
    let (read, write) = stream.into_split();
    let (sender, write_loop) = writer::writer(write);
    let writer_task = tokio::spawn(write_loop);
    state
        .connections
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(sender.downgrade());
    let mut conn = ConnState {
        codec: DubboCodec::new(config.max_frame_len),
        max_frame_len: config.max_frame_len,
        dispatch,
        sender,
        state,
        calls: JoinSet::new(),
        out: BytesMut::new(),
        peer,
    };
    // No buffer is held while the connection is idle: one is taken when data arrives and
    // dropped once every byte of it has been handled.
    let mut inbuf = BytesMut::new();
    let mut last_read = Instant::now();
    let idle = tokio::time::sleep(config.idle_timeout);
    tokio::pin!(idle);
    let stop = signalled(&mut shutdown);
    tokio::pin!(stop);
    let mut stopping = false;
    loop {
        if inbuf.capacity() - inbuf.len() < READ_CHUNK / 4 {
            inbuf.reserve(READ_CHUNK);
        }
        match read.try_read_buf(&mut inbuf) {
            Ok(0) => break,
            Ok(_) => {
                last_read = Instant::now();
                if let Err(e) = conn.handle_read(&mut inbuf).await {
                    tracing::debug!(?peer, error = %e, "closing connection");
                    break;
                }
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => {
                tracing::debug!(?peer, error = %e, "closing connection");
                break;
            }
        }
        if inbuf.is_empty() {
            inbuf = BytesMut::new();
        }
        tokio::select! {
            ready = read.readable() => if ready.is_err() { break },
            _ = &mut idle => {
                let deadline = last_read + config.idle_timeout;
                if Instant::now() >= deadline {
                    tracing::debug!(?peer, "closing idle connection");
                    break;
                }
                idle.as_mut().reset(deadline);
            }
            _ = &mut stop => {
                stopping = true;
                break;
            }
            Some(_) = conn.calls.join_next(), if !conn.calls.is_empty() => {}
        }
    }
    // Let in-flight calls of this connection finish and write their responses. At shutdown
    // the server has already waited its drain limit for them, so calls still running after a
    // last grace are abandoned: one stuck call must not hold shutdown forever.
    let drain_calls = async { while conn.calls.join_next().await.is_some() {} };
    if stopping {
        if tokio::time::timeout(SHUTDOWN_CALL_GRACE, drain_calls)
            .await
            .is_err()
        {
            tracing::warn!(
                ?peer,
                calls = conn.calls.len(),
                "abandoning calls still running at shutdown"
            );
            conn.calls.abort_all();
            while conn.calls.join_next().await.is_some() {}
        }
    } else {
        drain_calls.await;
    }
    drop(conn);
    let _ = writer_task.await;
}

/// Requests answered from one read before their responses are sent on.
const FLUSH_EVERY: usize = 32;

/// One server connection's state, apart from its read buffer.
struct ConnState {
    codec: DubboCodec,
    max_frame_len: usize,
    dispatch: Arc<dyn Dispatch>,
    sender: FrameSender,
    state: Arc<ServerState>,
    calls: JoinSet<()>,
    /// Responses produced while handling one read, written together.
    out: BytesMut,
    peer: Option<std::net::SocketAddr>,
}

impl ConnState {
    /// Handles every complete frame in `inbuf`, then queues the responses produced meanwhile
    /// as one write.
    async fn handle_read(&mut self, inbuf: &mut BytesMut) -> Result<(), CodecError> {
        // The calls answered inline (most of them) count as one in flight until their
        // replies are queued: a graceful shutdown waits for them, and the counter shared by
        // every worker thread changes twice per read instead of twice per call.
        let _batch = InFlight::enter(self.state.clone());
        let mut handled = 0;
        while let Some(decoded) = self.codec.decode(inbuf)? {
            handled += 1;
            if handled % FLUSH_EVERY == 0 {
                // Send what is ready, so the consumer works on these responses while we
                // answer the rest instead of both sides taking turns on whole batches.
                // (Yielding here as well helped one pipelining consumer but cost a quarter
                // of the throughput with several connections: the consumer yields instead.)
                self.flush().await;
            }
            match decoded {
                Decoded::Frame(frame) => self.handle_frame(frame).await,
                Decoded::Oversized(header) => {
                    if header.is_request() && header.is_two_way() && !header.is_event() {
                        let reply = ServerReply::error(
                            StatusCode::BAD_REQUEST,
                            &format!(
                                "Data length too large: {}, max payload: {}, channel: {:?}",
                                header.body_len, self.max_frame_len, self.peer
                            ),
                        );
                        encode_reply_into(&header, &reply, self.max_frame_len, &mut self.out);
                    }
                }
            }
        }
        self.flush().await;
        Ok(())
    }

    /// Queues the gathered responses.
    async fn flush(&mut self) {
        if !self.out.is_empty() {
            let _ = self.sender.send(self.out.split().freeze()).await;
        }
        if self.out.capacity() > 64 * 1024 {
            self.out = BytesMut::new();
        }
    }

    async fn handle_frame(&mut self, frame: Frame) {
        let header = frame.header;
        if !header.is_request() {
            // Responses to our readonly events do not exist; heartbeat responses need nothing.
            return;
        }
        let max_frame_len = self.max_frame_len;
        if header.is_event() {
            // A heartbeat (or any event we do not understand): echo it byte for byte with the
            // request's serialization id, as Java does; never decode it.
            if header.is_two_way() {
                let response = Header::event_response(&header, 0);
                let body: &[u8] = if frame.body.is_empty() {
                    HEARTBEAT_BODY
                } else {
                    &frame.body
                };
                write_frame(&response, body, &mut self.out);
            }
            return;
        }
        if header.serialization() != HESSIAN2 {
            if header.is_two_way() {
                let reply = ServerReply::error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "Fail to decode request due to: java.io.IOException: Unexpected serialization id:{} \
                         received from network, please check if the peer send the right id.",
                        header.serialization()
                    ),
                );
                encode_reply_into(&header, &reply, max_frame_len, &mut self.out);
            }
            return;
        }
        if frame.body.len() > INLINE_BODY {
            let guard = InFlight::enter(self.state.clone());
            // Large bodies are decoded in a task of their own, so they are decoded on every
            // worker thread, not only on this connection's reader.
            let (dispatch, sender) = (self.dispatch.clone(), self.sender.clone());
            self.calls.spawn(async move {
                let reply = dispatch.dispatch(frame.body).await;
                if header.is_two_way() {
                    let _ = send_reply(&sender, &header, reply, max_frame_len).await;
                }
                drop(guard);
            });
            return;
        }
        // Most handlers finish without waiting: answer them here, with no task, no channel
        // message and no write of their own. A panic must not take the connection down.
        let started = catch_unwind(AssertUnwindSafe(|| self.dispatch.dispatch(frame.body)));
        let mut call = match started {
            Ok(call) => call,
            Err(_) => {
                if header.is_two_way() {
                    encode_reply_into(&header, &panicked(), max_frame_len, &mut self.out);
                }
                return;
            }
        };
        let polled = std::future::poll_fn(|cx| {
            Poll::Ready(catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(cx))))
        })
        .await;
        let reply = match polled {
            Ok(Poll::Pending) => {
                // The handler waits for something: let it finish in a task of its own,
                // counted in flight until it does.
                let guard = InFlight::enter(self.state.clone());
                let sender = self.sender.clone();
                self.calls.spawn(async move {
                    let reply = call.await;
                    if header.is_two_way() {
                        let _ = send_reply(&sender, &header, reply, max_frame_len).await;
                    }
                    drop(guard);
                });
                return;
            }
            Ok(Poll::Ready(reply)) => reply,
            Err(_) => panicked(),
        };
        if header.is_two_way() {
            if reply.body.len() >= INLINE_BODY {
                self.flush().await;
                let _ = send_reply(&self.sender, &header, reply, max_frame_len).await;
            } else {
                encode_reply_into(&header, &reply, max_frame_len, &mut self.out);
            }
        }
    }
}

/// The reply to a call whose handler panicked, worded as the generated handlers word it.
fn panicked() -> ServerReply {
    ServerReply::error(
        StatusCode::SERVICE_ERROR,
        "java.lang.RuntimeException: the service method panicked",
    )
}

/// Counts a call (or a read's inline calls) in flight until dropped, however it ends.
struct InFlight(Arc<ServerState>);

impl InFlight {
    fn enter(state: Arc<ServerState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

/// Java replaces an oversized response by status 25 with this message.
fn too_large(reply: &ServerReply, max_frame_len: usize) -> ServerReply {
    ServerReply::error(
        StatusCode::SERIALIZATION_ERROR,
        &format!(
            "Data length too large: {}, max payload: {max_frame_len}",
            reply.body.len()
        ),
    )
}

/// Appends the response frame of `reply` to `out`.
fn encode_reply_into(
    request: &Header,
    reply: &ServerReply,
    max_frame_len: usize,
    out: &mut BytesMut,
) {
    if reply.body.len() > max_frame_len {
        return encode_reply_into(
            request,
            &too_large(reply, max_frame_len),
            max_frame_len,
            out,
        );
    }
    write_frame(
        &Header::response_to(request, reply.status, 0),
        &reply.body,
        out,
    );
}

/// Queues the response frame of `reply`; a large body is written from its own buffer.
async fn send_reply(
    sender: &FrameSender,
    request: &Header,
    reply: ServerReply,
    max_frame_len: usize,
) -> Result<(), Closed> {
    let reply = if reply.body.len() > max_frame_len {
        too_large(&reply, max_frame_len)
    } else {
        reply
    };
    let header = Header::response_to(request, reply.status, 0);
    sender.send_frame(&header, reply.body).await
}

/// Resolves once the shutdown flag is set (or its sender is gone).
async fn signalled(shutdown: &mut watch::Receiver<bool>) {
    // The borrow guard `wait_for` returns is not `Send`; drop it here.
    let _ = shutdown.wait_for(|s| *s).await.map(|_| ());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers with the body, except: `p` panics in `dispatch`, `f` panics when polled, `w`
    /// waits once before answering.
    struct Scripted;

    impl Dispatch for Scripted {
        fn dispatch(&self, body: Bytes) -> BoxFuture<ServerReply> {
            match body.first() {
                Some(b'p') => panic!("panic in dispatch"),
                Some(b'f') => Box::pin(async { panic!("panic when polled") }),
                Some(b'w') => Box::pin(async {
                    tokio::task::yield_now().await;
                    ServerReply::ok(b"waited".to_vec())
                }),
                _ => Box::pin(std::future::ready(ServerReply::ok(body.to_vec()))),
            }
        }
    }

    #[tokio::test]
    async fn inline_panics_are_answered_and_waiting_handlers_still_reply() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, shutdown) = watch::channel(false);
        let config = TransportConfig {
            max_frame_len: 1 << 20,
            idle_timeout: Duration::from_secs(30),
        };
        let server = tokio::spawn(accept_loop(
            listener,
            Arc::new(Scripted),
            config,
            Arc::default(),
            shutdown,
        ));
        let mut sock = TcpStream::connect(addr).await.unwrap();
        let mut out = BytesMut::new();
        let large = vec![b'x'; 3 * INLINE_BODY];
        let bodies: [&[u8]; 5] = [b"p", b"f", b"w", b"ok", &large];
        for (id, body) in bodies.iter().enumerate() {
            write_frame(&Header::request(id as u64, 0), body, &mut out);
        }
        sock.write_all(&out).await.unwrap();
        let mut codec = DubboCodec::default();
        let mut buf = BytesMut::new();
        let mut replies = std::collections::HashMap::new();
        while replies.len() < bodies.len() {
            match codec.decode(&mut buf).unwrap() {
                Some(Decoded::Frame(f)) => {
                    replies.insert(f.header.id, (f.header.status, f.body));
                }
                Some(other) => panic!("{other:?}"),
                None => assert!(sock.read_buf(&mut buf).await.unwrap() > 0, "closed"),
            }
        }
        assert_eq!(replies[&0].0, StatusCode::SERVICE_ERROR);
        assert_eq!(replies[&1].0, StatusCode::SERVICE_ERROR);
        assert_eq!(replies[&2], (StatusCode::OK, Bytes::from_static(b"waited")));
        assert_eq!(replies[&3], (StatusCode::OK, Bytes::from_static(b"ok")));
        assert_eq!(replies[&4], (StatusCode::OK, Bytes::from(large)));
        stop.send(true).unwrap();
        drop(sock);
        server.await.unwrap();
    }
}
