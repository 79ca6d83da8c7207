//! The provider's side of a connection: read frames, dispatch requests concurrently, answer
//! heartbeats, write responses through the coalescing writer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_util::codec::FramedRead;

use crate::codec::header::{FLAG_EVENT, FLAG_REQUEST, HESSIAN2};
use crate::codec::{write_frame, Decoded, DubboCodec, Frame, Header};
use crate::server::handler::{BoxFuture, ServerReply};
use crate::status::StatusCode;
use crate::transport::writer::WeakFrameSender;
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
        live.iter().filter(|c| c.try_send(frame.clone()).is_ok()).count()
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
    let mut frames = FramedRead::with_capacity(read, DubboCodec::new(config.max_frame_len), 64 * 1024);
    let mut calls = JoinSet::new();
    loop {
        let next = tokio::select! {
            next = tokio::time::timeout(config.idle_timeout, frames.next()) => next,
            _ = signalled(&mut shutdown) => break,
            Some(_) = calls.join_next(), if !calls.is_empty() => continue,
        };
        let decoded = match next {
            Err(_) => {
                tracing::debug!(?peer, "closing idle connection");
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                tracing::debug!(?peer, error = %e, "closing connection");
                break;
            }
            Ok(Some(Ok(d))) => d,
        };
        match decoded {
            Decoded::Frame(frame) => {
                handle_frame(config.max_frame_len, frame, &dispatch, &sender, &state, &mut calls);
            }
            Decoded::Oversized(header) => {
                if header.is_request() && header.is_two_way() && !header.is_event() {
                    let reply = ServerReply::error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "Data length too large: {}, max payload: {}, channel: {peer:?}",
                            header.body_len, config.max_frame_len
                        ),
                    );
                    let _ = sender.send(encode_reply(&header, &reply, config.max_frame_len)).await;
                }
            }
        }
    }
    // Let in-flight calls of this connection finish and write their responses.
    while calls.join_next().await.is_some() {}
    drop(sender);
    let _ = writer_task.await;
}

fn handle_frame(
    max_frame_len: usize,
    frame: Frame,
    dispatch: &Arc<dyn Dispatch>,
    sender: &FrameSender,
    state: &Arc<ServerState>,
    calls: &mut JoinSet<()>,
) {
    let header = frame.header;
    if !header.is_request() {
        // Responses to our readonly events do not exist; heartbeat responses need nothing.
        return;
    }
    if header.is_event() {
        // A heartbeat (or any event we do not understand): echo it byte for byte with the
        // request's serialization id, as Java does; never decode it.
        if header.is_two_way() {
            let response = Header {
                flags: FLAG_EVENT | header.serialization(),
                status: StatusCode::OK,
                id: header.id,
                body_len: 0,
            };
            let body: &[u8] = if frame.body.is_empty() { HEARTBEAT_BODY } else { &frame.body };
            let mut buf = BytesMut::with_capacity(16 + body.len());
            write_frame(&response, body, &mut buf);
            let _ = sender.try_send(buf.freeze());
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
            let _ = sender.try_send(encode_reply(&header, &reply, max_frame_len));
        }
        return;
    }
    state.in_flight.fetch_add(1, Ordering::AcqRel);
    let guard = InFlight(state.clone());
    let dispatch = dispatch.clone();
    let sender = sender.clone();
    // Decoding happens in the spawned task too, so bodies are decoded on every worker
    // thread, not only on this connection's reader.
    calls.spawn(async move {
        let reply = dispatch.dispatch(frame.body).await;
        if header.is_two_way() {
            let _ = sender.send(encode_reply(&header, &reply, max_frame_len)).await;
        }
        drop(guard);
    });
}

/// Decrements the in-flight count when a call ends, however it ends.
struct InFlight(Arc<ServerState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

fn encode_reply(request: &Header, reply: &ServerReply, max_frame_len: usize) -> Bytes {
    if reply.body.len() > max_frame_len {
        // Java replaces an oversized response by status 25 with this message.
        let too_large = ServerReply::error(
            StatusCode::SERIALIZATION_ERROR,
            &format!(
                "Data length too large: {}, max payload: {max_frame_len}",
                reply.body.len()
            ),
        );
        return encode_reply(request, &too_large, max_frame_len);
    }
    let header = Header::response_to(request, reply.status, 0);
    let mut buf = BytesMut::with_capacity(16 + reply.body.len());
    write_frame(&header, &reply.body, &mut buf);
    buf.freeze()
}

/// Resolves once the shutdown flag is set (or its sender is gone).
async fn signalled(shutdown: &mut watch::Receiver<bool>) {
    // The borrow guard `wait_for` returns is not `Send`; drop it here.
    let _ = shutdown.wait_for(|s| *s).await.map(|_| ());
}
