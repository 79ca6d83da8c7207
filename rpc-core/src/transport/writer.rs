//! The per-connection writer task: many frames per syscall, large bodies never copied.
//!
//! Senders queue either encoded bytes (one frame, or a batch of frames encoded back to back)
//! or a header plus a body kept as its own buffer. The writer drains everything that is ready,
//! copies the small pieces into one contiguous buffer, keeps the large ones as they are, and
//! hands the lot to the kernel with one vectored write.

use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::codec::{Header, HEADER_LEN};

/// How many messages may wait for the writer before senders wait (backpressure).
const QUEUE_FRAMES: usize = 4096;
/// Stop gathering messages into one write past this many bytes.
const MAX_BATCH: usize = 256 * 1024;
/// Pieces at least this large are written from their own buffer instead of being copied.
const LARGE_PIECE: usize = 8 * 1024;
/// At most this many buffers per vectored write.
const MAX_IOV: usize = 64;
/// The gather buffer is released when the queue runs dry and it has grown past this.
const KEEP_BATCH_CAPACITY: usize = 16 * 1024;

/// What a sender queues.
#[derive(Debug)]
enum Out {
    /// Encoded frames.
    Bytes(Bytes),
    /// A frame whose body is written from its own buffer.
    Frame([u8; HEADER_LEN], Bytes),
}

impl Out {
    fn len(&self) -> usize {
        match self {
            Out::Bytes(b) => b.len(),
            Out::Frame(_, body) => HEADER_LEN + body.len(),
        }
    }
}

/// Sends encoded frames to a connection's writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FrameSender {
    tx: mpsc::Sender<Out>,
}

impl FrameSender {
    /// Queues encoded bytes (one frame or several back to back); fails when the connection
    /// is closed.
    pub async fn send(&self, frame: Bytes) -> Result<(), Closed> {
        self.tx.send(Out::Bytes(frame)).await.map_err(|_| Closed)
    }

    /// Queues a frame made of `header` (its body length is set from `body`) and `body`,
    /// without copying a large body.
    pub async fn send_frame(&self, header: &Header, body: Bytes) -> Result<(), Closed> {
        self.tx
            .send(frame_message(header, body))
            .await
            .map_err(|_| Closed)
    }

    /// Queues encoded bytes without waiting; fails when the queue is full or closed.
    pub fn try_send(&self, frame: Bytes) -> Result<(), Closed> {
        self.tx.try_send(Out::Bytes(frame)).map_err(|_| Closed)
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

fn frame_message(header: &Header, body: Bytes) -> Out {
    let header = Header {
        body_len: body.len() as u32,
        ..*header
    };
    if body.len() >= LARGE_PIECE {
        let mut head = [0u8; HEADER_LEN];
        header.write(&mut &mut head[..]);
        Out::Frame(head, body)
    } else {
        let mut buf = BytesMut::with_capacity(HEADER_LEN + body.len());
        header.write(&mut buf);
        buf.extend_from_slice(&body);
        Out::Bytes(buf.freeze())
    }
}

/// A [`FrameSender`] that does not keep the writer alive: the writer stops (and the
/// connection closes) once every strong sender is gone.
#[derive(Debug, Clone)]
pub(crate) struct WeakFrameSender {
    tx: mpsc::WeakSender<Out>,
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

async fn write_loop<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Out>, mut io: W) {
    // Small pieces are copied here; `pieces` lists what one vectored write sends, in order.
    let mut small = BytesMut::new();
    let mut pieces: Vec<Bytes> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut total = 0;
        // Gather everything that is ready now into one write.
        while let Some(out) = next.take() {
            total += out.len();
            match out {
                Out::Bytes(b) if b.len() >= LARGE_PIECE => {
                    cut(&mut small, &mut pieces);
                    pieces.push(b);
                }
                Out::Bytes(b) => small.extend_from_slice(&b),
                Out::Frame(head, body) => {
                    small.extend_from_slice(&head);
                    cut(&mut small, &mut pieces);
                    pieces.push(body);
                }
            }
            if total < MAX_BATCH && pieces.len() < MAX_IOV {
                next = rx.try_recv().ok();
            }
        }
        cut(&mut small, &mut pieces);
        if write_pieces(&mut io, &mut pieces).await.is_err() {
            return;
        }
        if rx.is_empty() && small.capacity() > KEEP_BATCH_CAPACITY {
            // An idle connection keeps no large buffer.
            small = BytesMut::new();
        }
    }
    let _ = io.shutdown().await;
}

/// Moves the gathered small pieces to the piece list.
fn cut(small: &mut BytesMut, pieces: &mut Vec<Bytes>) {
    if !small.is_empty() {
        pieces.push(small.split().freeze());
    }
}

/// Writes every piece, in order, with as few (vectored) writes as the kernel allows; empties
/// `pieces`.
async fn write_pieces<W: AsyncWrite + Unpin>(
    io: &mut W,
    pieces: &mut Vec<Bytes>,
) -> std::io::Result<()> {
    let mut first = 0;
    while first < pieces.len() {
        if pieces.len() - first == 1 {
            io.write_all(&pieces[first]).await?;
            break;
        }
        let slices: Vec<IoSlice<'_>> = pieces[first..].iter().map(|p| IoSlice::new(p)).collect();
        let mut n = io.write_vectored(&slices).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while first < pieces.len() && n >= pieces[first].len() {
            n -= pieces[first].len();
            first += 1;
        }
        if n > 0 {
            pieces[first].advance(n);
        }
    }
    pieces.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Decoded, DubboCodec};
    use tokio::io::AsyncReadExt;
    use tokio_util::codec::Decoder;

    #[tokio::test]
    async fn small_and_large_frames_arrive_whole_and_in_order() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let (sender, write_loop) = writer(client);
        let task = tokio::spawn(write_loop);
        let large = Bytes::from(vec![7u8; 100_000]);
        for id in 0..50u64 {
            let body = if id % 10 == 3 {
                large.clone()
            } else {
                Bytes::from(vec![id as u8; id as usize])
            };
            sender
                .send_frame(&Header::request(id, 0), body)
                .await
                .unwrap();
        }
        drop(sender);
        task.await.unwrap();
        let mut all = BytesMut::new();
        server.read_buf(&mut all).await.unwrap();
        while server.read_buf(&mut all).await.unwrap() > 0 {}
        let mut codec = DubboCodec::default();
        for id in 0..50u64 {
            match codec.decode(&mut all).unwrap() {
                Some(Decoded::Frame(f)) => {
                    assert_eq!(f.header.id, id);
                    if id % 10 == 3 {
                        assert_eq!(f.body, large);
                    } else {
                        assert_eq!(f.body.len(), id as usize);
                        assert!(f.body.iter().all(|b| *b == id as u8));
                    }
                }
                other => panic!("frame {id}: {other:?}"),
            }
        }
        assert!(all.is_empty());
    }
}
