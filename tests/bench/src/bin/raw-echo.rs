//! The raw limit: a minimal framed echo server. It reads Dubbo frames (16-byte header, any
//! body) and answers each with a response frame (status OK, same id, same body). No Hessian,
//! no dispatch, no per-request task: what is left is the kernel's loopback path and tokio.
//!
//! Usage: `raw-echo [--port 0] [--dispatch inline|split] [--threads 1]`
//!
//! * `inline`: one task per connection reads, encodes every response of the read into one
//!   buffer and writes it with one syscall: the ceiling for small bodies.
//! * `split`: a reader task encodes and hands each read's batch to a writer task, so reading
//!   never waits for writing: the ceiling for large bodies with many in flight.
//!
//! Prints `READY port=N` once listening on 127.0.0.1.

use std::io;

use bytes::{Buf, BytesMut};
use dubbo_bench::{runtime, Args};
use dubbo_rpc::codec::{write_frame, Header, HEADER_LEN};
use dubbo_rpc::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const USAGE: &str = "raw-echo [--port 0] [--dispatch inline|split] [--threads 1]";
/// Keep at least this much room before each read.
const READ_RESERVE: usize = 64 * 1024;

fn main() -> io::Result<()> {
    let args = Args::from_env(USAGE);
    let port: u16 = args.get("port", 0);
    let split = match args.opt("dispatch").unwrap_or("inline") {
        "inline" => false,
        "split" => true,
        other => {
            eprintln!("unknown --dispatch {other}\n{USAGE}");
            std::process::exit(2);
        }
    };
    runtime(args.get("threads", 1))?.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("READY port={}", listener.local_addr()?.port());
        loop {
            let (sock, _) = listener.accept().await?;
            sock.set_nodelay(true)?;
            tokio::spawn(async move {
                let served = if split {
                    serve_split(sock).await
                } else {
                    serve_inline(sock).await
                };
                if let Err(e) = served {
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                    ) {
                        eprintln!("raw-echo: connection error: {e}");
                    }
                }
            });
        }
    })
}

/// Appends the echo response of every complete frame in `inbuf` to `out`.
fn echo_frames(inbuf: &mut BytesMut, out: &mut BytesMut) -> io::Result<()> {
    while inbuf.len() >= HEADER_LEN {
        let header = Header::read(&inbuf[..HEADER_LEN])
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad magic"))?;
        let len = HEADER_LEN + header.body_len as usize;
        if inbuf.len() < len {
            inbuf.reserve(len - inbuf.len());
            break;
        }
        let response = Header::response_to(&header, StatusCode::OK, 0);
        write_frame(&response, &inbuf[HEADER_LEN..len], out);
        inbuf.advance(len);
    }
    Ok(())
}

async fn read_some(rd: &mut (impl AsyncReadExt + Unpin), buf: &mut BytesMut) -> io::Result<bool> {
    if buf.capacity() - buf.len() < READ_RESERVE / 4 {
        buf.reserve(READ_RESERVE);
    }
    Ok(rd.read_buf(buf).await? > 0)
}

async fn serve_inline(mut sock: TcpStream) -> io::Result<()> {
    let mut inbuf = BytesMut::with_capacity(READ_RESERVE);
    let mut out = BytesMut::with_capacity(READ_RESERVE);
    while read_some(&mut sock, &mut inbuf).await? {
        echo_frames(&mut inbuf, &mut out)?;
        if !out.is_empty() {
            sock.write_all(&out).await?;
            out.clear();
        }
    }
    Ok(())
}

async fn serve_split(sock: TcpStream) -> io::Result<()> {
    let (rd, mut wr) = sock.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<BytesMut>();
    let writer = tokio::spawn(async move {
        while let Some(mut batch) = rx.recv().await {
            while let Ok(more) = rx.try_recv() {
                batch.unsplit(more);
            }
            wr.write_all(&batch).await?;
        }
        io::Result::Ok(())
    });
    let read = read_split(rd, tx).await;
    let written = writer.await.map_err(io::Error::other)?;
    read.and(written)
}

async fn read_split(mut rd: OwnedReadHalf, tx: mpsc::UnboundedSender<BytesMut>) -> io::Result<()> {
    let mut inbuf = BytesMut::with_capacity(READ_RESERVE);
    let mut out = BytesMut::with_capacity(READ_RESERVE);
    while read_some(&mut rd, &mut inbuf).await? {
        echo_frames(&mut inbuf, &mut out)?;
        if !out.is_empty() && tx.send(out.split()).is_err() {
            break;
        }
    }
    Ok(())
}
