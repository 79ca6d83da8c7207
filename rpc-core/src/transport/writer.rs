//! The per-connection writer task: many frames per syscall.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// How many frames may wait for the writer before senders wait (backpressure).
const QUEUE_FRAMES: usize = 4096;
/// Stop gathering frames into one write past this many bytes.
const MAX_BATCH: usize = 256 * 1024;
/// Frames at least this large are written on their own instead of being copied.
const LARGE_FRAME: usize = 32 * 1024;

/// Sends encoded frames to a connection's writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FrameSender {
    tx: mpsc::Sender<Bytes>,
}

impl FrameSender {
    /// Queues one encoded frame; fails when the connection is closed.
    pub async fn send(&self, frame: Bytes) -> Result<(), Closed> {
        self.tx.send(frame).await.map_err(|_| Closed)
    }

    /// Queues a frame without waiting; fails when the queue is full or closed.
    pub fn try_send(&self, frame: Bytes) -> Result<(), Closed> {
        self.tx.try_send(frame).map_err(|_| Closed)
    }

    /// Whether the writer has stopped.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// A handle that does not keep the connection open.
    pub(crate) fn downgrade(&self) -> WeakFrameSender {
        WeakFrameSender {
            tx: self.tx.downgrade(),
        }
    }
}

/// A [`FrameSender`] that does not keep the writer alive: the writer stops (and the
/// connection closes) once every strong sender is gone.
#[derive(Debug, Clone)]
pub(crate) struct WeakFrameSender {
    tx: mpsc::WeakSender<Bytes>,
}

impl WeakFrameSender {
    /// The sender, if the connection is still open.
    pub(crate) fn upgrade(&self) -> Option<FrameSender> {
        self.tx.upgrade().map(|tx| FrameSender { tx })
    }
}

/// The connection's writer has stopped.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("connection closed")]
pub struct Closed;

/// Creates the sender and the writer loop; the caller spawns the loop.
pub(crate) fn writer<W>(io: W) -> (FrameSender, impl std::future::Future<Output = ()>)
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::channel(QUEUE_FRAMES);
    (FrameSender { tx }, write_loop(rx, io))
}

async fn write_loop<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Bytes>, mut io: W) {
    let mut batch = BytesMut::with_capacity(64 * 1024);
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        // Gather everything that is ready now into one write.
        while let Some(frame) = next.take() {
            if frame.len() >= LARGE_FRAME {
                if !batch.is_empty() && io.write_all(&batch).await.is_err() {
                    return;
                }
                batch.clear();
                if io.write_all(&frame).await.is_err() {
                    return;
                }
            } else {
                batch.extend_from_slice(&frame);
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            if io.write_all(&batch).await.is_err() {
                return;
            }
            batch.clear();
        }
        if batch.capacity() > 4 * MAX_BATCH {
            // Do not keep a huge buffer around after a burst.
            batch = BytesMut::with_capacity(64 * 1024);
        }
    }
    let _ = io.shutdown().await;
}
