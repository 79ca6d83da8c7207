//! The consumer's send path: callers append their encoded frames to one shared buffer and a
//! writer task hands the whole buffer to the kernel in one write.
//!
//! The provider side queues whole reply batches through a channel ([`FrameSender`]); a
//! consumer sends one frame per call from many tasks, and a channel message, an allocation
//! per frame and a second copy into the writer's buffer were a large part of a call's cost.
//! Here a call costs one copy under a short lock, and a wake-up only when the buffer was
//! empty.
//!
//! [`FrameSender`]: super::FrameSender

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

/// Frames queued beyond this many bytes are refused: the provider has stopped reading, and
/// callers (and their retries) must not pile up memory behind it.
pub(crate) const MAX_QUEUED_BYTES: usize = 32 * 1024 * 1024;
/// The writer gives back a buffer that grew past this once it is written.
const KEEP_CAPACITY: usize = 64 * 1024;

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The connection is closed.
    Closed,
    /// [`MAX_QUEUED_BYTES`] are already waiting.
    Full,
}

/// Frames waiting to be written, shared by the callers and the writer task.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    buf: Mutex<Vec<u8>>,
    /// Set under the `buf` lock, read without it.
    closed: AtomicBool,
    /// Wakes the writer when the buffer turns non-empty (or the outbox closes).
    ready: Notify,
}

impl Outbox {
    /// Appends one or more encoded frames.
    pub(crate) fn push(&self, frames: &[u8]) -> Result<(), Refused> {
        let was_empty = {
            let mut buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
            if self.is_closed() {
                return Err(Refused::Closed);
            }
            if !buf.is_empty() && buf.len() + frames.len() > MAX_QUEUED_BYTES {
                return Err(Refused::Full);
            }
            let was_empty = buf.is_empty();
            buf.extend_from_slice(frames);
            was_empty
        };
        if was_empty {
            // A stored permit covers a writer that checked the buffer just before this push
            // and has not started waiting yet.
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Refuses every later frame and lets the writer finish what is queued.
    pub(crate) fn close(&self) {
        let _buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        self.closed.store(true, Ordering::Release);
        self.ready.notify_one();
    }

    /// Whether the outbox refuses frames.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Takes everything queued, leaving `spare`'s allocation in its place; `None` once closed
    /// and drained.
    fn take(&self, spare: &mut Vec<u8>) -> Option<bool> {
        let mut buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        if buf.is_empty() {
            return if self.is_closed() { None } else { Some(false) };
        }
        std::mem::swap(&mut *buf, spare);
        Some(true)
    }
}

/// Writes what the outbox gathers until it closes or a write fails (which closes it).
pub(crate) async fn write_loop<W: AsyncWrite + Unpin>(outbox: Arc<Outbox>, mut io: W) {
    let mut batch = Vec::new();
    loop {
        match outbox.take(&mut batch) {
            None => break,
            Some(false) => {
                outbox.ready.notified().await;
                continue;
            }
            Some(true) => {}
        }
        if io.write_all(&batch).await.is_err() {
            outbox.close();
            return;
        }
        batch.clear();
        if batch.capacity() > KEEP_CAPACITY {
            batch = Vec::new();
        }
    }
    let _ = io.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn frames_pushed_from_many_tasks_arrive_whole() {
        let (client, mut server) = tokio::io::duplex(1 << 16);
        let outbox = Arc::new(Outbox::default());
        let writer = tokio::spawn(write_loop(outbox.clone(), client));
        let pushers: Vec<_> = (0..8u8)
            .map(|t| {
                let outbox = outbox.clone();
                tokio::spawn(async move {
                    for _ in 0..100 {
                        outbox.push(&[t; 10]).unwrap();
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for p in pushers {
            p.await.unwrap();
        }
        outbox.close();
        writer.await.unwrap();
        let mut all = Vec::new();
        server.read_to_end(&mut all).await.unwrap();
        assert_eq!(all.len(), 8 * 100 * 10);
        for chunk in all.chunks(10) {
            assert!(chunk.iter().all(|b| *b == chunk[0]), "{chunk:?}");
        }
    }

    #[test]
    fn a_full_outbox_refuses_more_but_always_takes_a_first_frame() {
        let outbox = Outbox::default();
        outbox.push(&vec![0; MAX_QUEUED_BYTES + 1]).unwrap();
        assert_eq!(outbox.push(&[1]), Err(Refused::Full));
    }

    #[test]
    fn a_closed_outbox_refuses_frames() {
        let outbox = Outbox::default();
        outbox.close();
        assert_eq!(outbox.push(&[1]), Err(Refused::Closed));
        assert!(outbox.is_closed());
    }
}
