//! Closed-loop, pipelined load generator speaking real Dubbo requests.
//!
//! ```text
//! loadgen run  --addr 127.0.0.1:P --workload sayHello|user|bytes64k --conns C --inflight N
//!              [--warmup 2] [--secs 3] [--runs 3] [--pid PID] [--label NAME]
//!              [--target dubbo|echo] [--client frames|rust|conn] [--threads 1]
//! loadgen idle --addr 127.0.0.1:P --conns 1000 --pid PID [--settle 3] [--target dubbo|echo]
//! ```
//!
//! `run` opens C connections and keeps N requests in flight in total (N/C per connection):
//! every response frees its slot for the next request at once. Each request is a real
//! Dubbo frame whose body was encoded once with our codec (`"2.0.2"`, path, `"0.0.0"`,
//! method, descriptor, argument, attachments). After `--warmup` seconds it measures `--runs`
//! consecutive windows of `--secs` seconds each on the same connections, and prints one line
//! per window on stderr and one `RESULT` line on stdout: the median over the windows and
//! their min–max range of QPS and of the p50/p99/p99.9 latency (HdrHistogram), the error
//! count, and the peak RSS (`VmHWM`) of process `--pid` (the provider) after the run.
//!
//! `--target echo` expects the raw echo server (the response body is the request body);
//! `dubbo` (default) expects a provider: status 20 and a value result, and before the run
//! one response is decoded in full and checked against the expected answer.
//!
//! `--client rust` drives the provider through our own client (`dubbo_rpc::Client`) instead:
//! N tasks each with one call in flight, all over the client's one shared connection (C is
//! ignored), to measure "Rust consumer → Rust provider".
//!
//! `--client conn` drives it through the bare client transport
//! (`dubbo_rpc::transport::client::Connection`, no client stack): the request bytes are the
//! pre-encoded ones, the response is decoded up to its result flag.
//!
//! `idle` opens C connections, makes one call on each, leaves them idle for `--settle`
//! seconds and prints the provider's RSS before and after, and the difference per connection.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use dubbo_bench::{
    put_request, read_cpu_secs, read_rss, runtime, sample_bytes, say_hello_name, Args,
    DemoServiceClient, EchoServiceClient, User, Workload,
};
use dubbo_rpc::codec::{Header, HEADER_LEN};
use dubbo_rpc::transport::client::{decode_response_frame, Connection, ConnectionConfig};
use dubbo_rpc::{Client, StatusCode};
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const USAGE: &str = "\
loadgen run  --addr 127.0.0.1:P --workload sayHello|user|bytes64k --conns C --inflight N
             [--warmup 2] [--secs 3] [--runs 3] [--pid PID] [--label NAME]
             [--target dubbo|echo] [--client frames|rust|conn] [--threads 1]
loadgen idle --addr 127.0.0.1:P --conns 1000 --pid PID [--settle 3] [--target dubbo|echo]";

/// Keep at least this much room before each read.
const READ_RESERVE: usize = 64 * 1024;
/// Stop gathering requests into one write past this many bytes.
const MAX_WRITE: usize = 512 * 1024;

#[derive(Clone)]
struct Config {
    addr: String,
    workload: Workload,
    echo: bool,
    conns: usize,
    window: usize,
    body: Bytes,
    warmup: Duration,
    secs: Duration,
    runs: usize,
    /// The provider's process, for CPU and RSS figures.
    pid: Option<u32>,
}

/// CPU seconds used during the measuring windows.
#[derive(Default, Clone, Copy)]
struct CpuUse {
    provider: Option<f64>,
    loadgen: Option<f64>,
}

/// Samples the CPU time of the provider and of this process at the start and at the end
/// of the measuring windows, on a thread of its own.
fn sample_cpu(pid: Option<u32>, clock: &Clock) -> std::thread::JoinHandle<CpuUse> {
    let (from, end) = (clock.measure_from, clock.end());
    std::thread::spawn(move || {
        let me = std::process::id();
        std::thread::sleep(from.saturating_duration_since(Instant::now()));
        let p0 = pid.and_then(read_cpu_secs);
        let s0 = read_cpu_secs(me);
        std::thread::sleep(end.saturating_duration_since(Instant::now()));
        let p1 = pid.and_then(read_cpu_secs);
        let s1 = read_cpu_secs(me);
        CpuUse {
            provider: p0.zip(p1).map(|(a, b)| b - a),
            loadgen: s0.zip(s1).map(|(a, b)| b - a),
        }
    })
}

/// Measurements of one measuring window.
struct Stats {
    completed: u64,
    errors: u64,
    /// Round-trip latency in nanoseconds.
    hist: Histogram<u64>,
}

impl Stats {
    fn new() -> Self {
        Stats {
            completed: 0,
            errors: 0,
            hist: Histogram::new_with_bounds(1, 120_000_000_000, 3).expect("histogram bounds"),
        }
    }

    fn add(&mut self, other: &Stats) {
        self.completed += other.completed;
        self.errors += other.errors;
        self.hist.add(&other.hist).expect("same histogram bounds");
    }
}

/// Where a completion falls: `None` during the warm-up and after the last window.
struct Clock {
    epoch: Instant,
    measure_from: Instant,
    secs: Duration,
    runs: usize,
}

impl Clock {
    fn window(&self, now: Instant) -> Option<usize> {
        let since = now.checked_duration_since(self.measure_from)?;
        let k = (since.as_nanos() / self.secs.as_nanos()) as usize;
        (k < self.runs).then_some(k)
    }

    fn end(&self) -> Instant {
        self.measure_from + self.secs * self.runs as u32
    }
}

fn main() -> io::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let args = Args::parse(std::env::args().skip(2), USAGE);
    let addr = args.opt("addr").unwrap_or("127.0.0.1:20880").to_owned();
    let workload: Workload = args
        .opt("workload")
        .unwrap_or("sayHello")
        .parse()
        .unwrap_or_else(|e: String| die(&e));
    let echo = match args.opt("target").unwrap_or("dubbo") {
        "dubbo" => false,
        "echo" => true,
        other => die(&format!("unknown --target {other}")),
    };
    let pid: Option<u32> = args
        .opt("pid")
        .map(|p| p.parse().unwrap_or_else(|_| die("bad --pid")));
    let rt = runtime(args.get("threads", 1))?;
    match mode.as_str() {
        "run" => {
            let conns: usize = args.get("conns", 1);
            let inflight: usize = args.get("inflight", 1);
            if conns == 0 || inflight < conns || inflight % conns != 0 {
                die("--inflight must be a positive multiple of --conns");
            }
            let cfg = Config {
                addr,
                workload,
                echo,
                conns,
                window: inflight / conns,
                body: workload.request_body(),
                warmup: Duration::from_secs_f64(args.get("warmup", 2.0)),
                secs: Duration::from_secs_f64(args.get("secs", 3.0)),
                runs: args.get::<usize>("runs", 3).max(1),
                pid,
            };
            let label = args.opt("label").unwrap_or("target").to_owned();
            let (windows, cpu) = match args.opt("client").unwrap_or("frames") {
                "frames" => rt.block_on(run_frames(cfg.clone()))?,
                "rust" => rt.block_on(run_rust_client(cfg.clone(), inflight, false))?,
                "conn" => rt.block_on(run_rust_client(cfg.clone(), inflight, true))?,
                other => die(&format!("unknown --client {other}")),
            };
            report(&label, &cfg, inflight, &windows, cpu);
            Ok(())
        }
        "idle" => {
            let pid = pid.unwrap_or_else(|| die("idle needs --pid"));
            let conns: usize = args.get("conns", 1000);
            let settle = Duration::from_secs_f64(args.get("settle", 3.0));
            rt.block_on(idle(&addr, echo, conns, pid, settle))
        }
        _ => die(USAGE),
    }
}

fn die(msg: &str) -> ! {
    eprintln!("loadgen: {msg}");
    std::process::exit(2)
}

/// Median and min–max of `values`.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.total_cmp(b));
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

fn report(label: &str, cfg: &Config, inflight: usize, windows: &[Stats], cpu: CpuUse) {
    let secs = cfg.secs.as_secs_f64();
    let us = |s: &Stats, q: f64| s.hist.value_at_quantile(q) as f64 / 1000.0;
    for (i, w) in windows.iter().enumerate() {
        eprintln!(
            "  {label} {} C={} N={inflight} window {}/{}: qps={:.0} p50={:.1}us p99={:.1}us \
             p999={:.1}us errors={}",
            cfg.workload,
            cfg.conns,
            i + 1,
            windows.len(),
            w.completed as f64 / secs,
            us(w, 0.5),
            us(w, 0.99),
            us(w, 0.999),
            w.errors
        );
    }
    let (qps, qps_lo, qps_hi) = spread(windows.iter().map(|w| w.completed as f64 / secs).collect());
    let (p50, p50_lo, p50_hi) = spread(windows.iter().map(|w| us(w, 0.5)).collect());
    let (p99, p99_lo, p99_hi) = spread(windows.iter().map(|w| us(w, 0.99)).collect());
    let (p999, p999_lo, p999_hi) = spread(windows.iter().map(|w| us(w, 0.999)).collect());
    let errors: u64 = windows.iter().map(|w| w.errors).sum();
    let rss = cfg.pid.and_then(read_rss);
    let calls: u64 = windows.iter().map(|w| w.completed).sum();
    // CPU microseconds per completed call, of the provider and of the load generator.
    let per_call = |secs: Option<f64>| {
        secs.filter(|_| calls > 0)
            .map_or(-1.0, |s| s * 1e6 / calls as f64)
    };
    println!(
        "RESULT label={label} workload={} conns={} inflight={inflight} body={} \
         qps={qps:.0} qps_lo={qps_lo:.0} qps_hi={qps_hi:.0} \
         p50_us={p50:.1} p50_lo={p50_lo:.1} p50_hi={p50_hi:.1} \
         p99_us={p99:.1} p99_lo={p99_lo:.1} p99_hi={p99_hi:.1} \
         p999_us={p999:.1} p999_lo={p999_lo:.1} p999_hi={p999_hi:.1} \
         errors={errors} rss_kib={} rss_peak_kib={} cpu_us_provider={:.2} cpu_us_loadgen={:.2}",
        cfg.workload,
        cfg.conns,
        cfg.body.len(),
        rss.map_or(-1, |r| r.current_kib as i64),
        rss.map_or(-1, |r| r.peak_kib as i64),
        per_call(cpu.provider),
        per_call(cpu.loadgen),
    );
}

// ---- frames mode ------------------------------------------------------------------------------

async fn connect(addr: &str) -> io::Result<TcpStream> {
    let sock = TcpStream::connect(addr).await?;
    sock.set_nodelay(true)?;
    Ok(sock)
}

/// Reads one whole response frame from `sock`.
async fn read_frame(sock: &mut TcpStream, buf: &mut BytesMut) -> io::Result<(Header, Bytes)> {
    loop {
        if buf.len() >= HEADER_LEN {
            let header = Header::read(&buf[..HEADER_LEN])
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad magic"))?;
            let len = HEADER_LEN + header.body_len as usize;
            if buf.len() >= len {
                buf.advance(HEADER_LEN);
                return Ok((header, buf.split_to(len - HEADER_LEN).freeze()));
            }
            buf.reserve(len - buf.len());
        } else {
            buf.reserve(READ_RESERVE);
        }
        if sock.read_buf(buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed by peer",
            ));
        }
    }
}

/// One call on a fresh connection, its answer decoded and checked in full.
async fn check_once(cfg: &Config) -> io::Result<()> {
    let mut sock = connect(&cfg.addr).await?;
    let mut out = BytesMut::new();
    put_request(1, &cfg.body, &mut out);
    sock.write_all(&out).await?;
    let (header, body) = read_frame(&mut sock, &mut BytesMut::new()).await?;
    let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    if header.id != 1 || header.status != StatusCode::OK {
        let message = dubbo_rpc::codec::body::decode_error_message(&body);
        return Err(invalid(format!("status {:?}: {message}", header.status)));
    }
    if cfg.echo {
        return if body == cfg.body {
            Ok(())
        } else {
            Err(invalid("echo body differs".into()))
        };
    }
    cfg.workload.check_response(body).map_err(invalid)
}

async fn run_frames(cfg: Config) -> io::Result<(Vec<Stats>, CpuUse)> {
    check_once(&cfg).await?;
    let mut socks = Vec::with_capacity(cfg.conns);
    for _ in 0..cfg.conns {
        socks.push(connect(&cfg.addr).await?);
    }
    let epoch = Instant::now();
    let clock = Arc::new(Clock {
        epoch,
        measure_from: epoch + cfg.warmup,
        secs: cfg.secs,
        runs: cfg.runs,
    });
    let cpu = sample_cpu(cfg.pid, &clock);
    let tasks: Vec<_> = socks
        .into_iter()
        .map(|sock| tokio::spawn(connection(sock, cfg.clone(), clock.clone())))
        .collect();
    let mut total: Vec<Stats> = (0..cfg.runs).map(|_| Stats::new()).collect();
    for task in tasks {
        let stats = task.await.map_err(io::Error::other)??;
        for (t, s) in total.iter_mut().zip(&stats) {
            t.add(s);
        }
    }
    let cpu = cpu.join().unwrap_or_default();
    Ok((total, cpu))
}

/// Drives one connection until the last window ends; requests still in flight then are
/// abandoned with the connection.
async fn connection(sock: TcpStream, cfg: Config, clock: Arc<Clock>) -> io::Result<Vec<Stats>> {
    let (rd, wr) = sock.into_split();
    let sent_at: Arc<[AtomicU64]> = (0..cfg.window).map(|_| AtomicU64::new(0)).collect();
    let (free_tx, free_rx) = unbounded_channel();
    for slot in 0..cfg.window as u64 {
        free_tx.send(slot).expect("receiver alive");
    }
    let writer = tokio::spawn(write_loop(
        wr,
        free_rx,
        sent_at.clone(),
        cfg.clone(),
        clock.epoch,
    ));
    let mut stats: Vec<Stats> = (0..cfg.runs).map(|_| Stats::new()).collect();
    let reading = read_loop(rd, &free_tx, &sent_at, &cfg, &clock, &mut stats);
    let outcome = tokio::time::timeout_at(clock.end().into(), reading).await;
    writer.abort();
    match outcome {
        Err(_deadline) => Ok(stats),
        Ok(Err(e)) => Err(e),
        Ok(Ok(())) => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "closed by peer",
        )),
    }
}

async fn read_loop(
    mut rd: OwnedReadHalf,
    free_tx: &UnboundedSender<u64>,
    sent_at: &[AtomicU64],
    cfg: &Config,
    clock: &Clock,
    stats: &mut [Stats],
) -> io::Result<()> {
    let window = cfg.window as u64;
    let mut buf = BytesMut::with_capacity(READ_RESERVE);
    loop {
        if buf.capacity() - buf.len() < READ_RESERVE / 4 {
            buf.reserve(READ_RESERVE);
        }
        if rd.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
        // Every frame of this read arrived together: one timestamp for all of them.
        let now = Instant::now();
        let now_ns = now.duration_since(clock.epoch).as_nanos() as u64;
        let current = clock.window(now);
        while buf.len() >= HEADER_LEN {
            let header = Header::read(&buf[..HEADER_LEN])
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad magic"))?;
            let len = HEADER_LEN + header.body_len as usize;
            if buf.len() < len {
                buf.reserve(len - buf.len());
                break;
            }
            let ok = header.status == StatusCode::OK
                && if cfg.echo {
                    header.body_len as usize == cfg.body.len()
                } else {
                    // 0x91 / 0x94: a value, without or with attachments.
                    matches!(buf.get(HEADER_LEN), Some(0x91 | 0x94))
                };
            buf.advance(len);
            let slot = header.id % window;
            if let Some(k) = current {
                let s = &mut stats[k];
                if ok {
                    let sent = sent_at[slot as usize].load(Relaxed);
                    s.hist.saturating_record(now_ns.saturating_sub(sent).max(1));
                    s.completed += 1;
                } else {
                    s.errors += 1;
                }
            }
            // The writer stops only when the connection is being torn down.
            let _ = free_tx.send(slot);
        }
    }
}

async fn write_loop(
    mut wr: OwnedWriteHalf,
    mut free_rx: UnboundedReceiver<u64>,
    sent_at: Arc<[AtomicU64]>,
    cfg: Config,
    epoch: Instant,
) -> io::Result<()> {
    let window = cfg.window as u64;
    let mut seq: u64 = 0;
    let mut out = BytesMut::with_capacity(READ_RESERVE);
    while let Some(first) = free_rx.recv().await {
        let mut next = Some(first);
        while let Some(slot) = next {
            // The id carries the slot, so responses may come back in any order.
            let id = seq * window + slot;
            seq += 1;
            sent_at[slot as usize].store(epoch.elapsed().as_nanos() as u64, Relaxed);
            put_request(id, &cfg.body, &mut out);
            next = if out.len() < MAX_WRITE {
                free_rx.try_recv().ok()
            } else {
                None
            };
        }
        wr.write_all(&out).await?;
        out.clear();
    }
    Ok(())
}

// ---- rust client mode -----------------------------------------------------------------------

async fn run_rust_client(
    cfg: Config,
    inflight: usize,
    transport_only: bool,
) -> io::Result<(Vec<Stats>, CpuUse)> {
    // `--conns` connections, as the frame targets use: the bare transport opens them
    // itself; the client opens them as Java's `connections` setting does.
    let mut conns = Vec::new();
    if transport_only {
        for _ in 0..cfg.conns {
            let c = Connection::connect(&cfg.addr, &ConnectionConfig::default())
                .await
                .map_err(|e| io::Error::other(e.to_string()))?;
            conns.push(Arc::new(c));
        }
    }
    let url = format!("dubbo://{}", cfg.addr);
    let err = |e: dubbo_rpc::RpcError| io::Error::other(e.to_string());
    let demo: DemoServiceClient = Client::builder()
        .url(url.clone())
        .connections(cfg.conns as u32)
        .timeout(Duration::from_secs(30))
        .build()
        .await
        .map_err(err)?;
    let echo: EchoServiceClient = Client::builder()
        .url(url)
        .connections(cfg.conns as u32)
        .timeout(Duration::from_secs(30))
        .build()
        .await
        .map_err(err)?;
    let name = say_hello_name();
    let user = User::sample();
    let bytes = sample_bytes();
    let epoch = Instant::now();
    let clock = Arc::new(Clock {
        epoch,
        measure_from: epoch + cfg.warmup,
        secs: cfg.secs,
        runs: cfg.runs,
    });
    let cpu = sample_cpu(cfg.pid, &clock);
    // One set of histograms shared by every task (uncontended on a current-thread runtime):
    // a set per task would cost hundreds of MiB and the cache misses to go with them.
    let shared: Arc<std::sync::Mutex<Vec<Stats>>> = Arc::new(std::sync::Mutex::new(
        (0..cfg.runs).map(|_| Stats::new()).collect(),
    ));
    let tasks: Vec<_> = (0..inflight)
        .map(|i| {
            let (demo, echo, clock) = (demo.clone(), echo.clone(), clock.clone());
            let (name, user, bytes) = (name.clone(), user.clone(), bytes.clone());
            let mut recorder = Recorder::new(shared.clone());
            let workload = cfg.workload;
            let (conn, body) = (conns.get(i % conns.len().max(1)).cloned(), cfg.body.clone());
            tokio::spawn(async move {
                let end = clock.end();
                // Closed loop: each call starts when the previous one has completed, so that
                // completion time is the next start (one clock read per call, not two).
                let mut t0 = Instant::now();
                while t0 < end {
                    let ok = match (&conn, workload) {
                        // The bare transport: the pre-encoded request, the response decoded.
                        (Some(conn), _) => match conn.request(&body).await {
                            Ok(frame) => decode_response_frame(frame).is_ok(),
                            Err(_) => false,
                        },
                        (None, Workload::SayHello) => demo.say_hello(name.clone()).await.is_ok(),
                        (None, Workload::User) => echo.echo_user(user.clone()).await.is_ok(),
                        (None, Workload::Bytes64k) => echo.echo_bytes(bytes.clone()).await.is_ok(),
                    };
                    let t1 = Instant::now();
                    if let Some(k) = clock.window(t1) {
                        recorder.record(k, ok.then(|| (t1 - t0).as_nanos() as u64));
                    }
                    t0 = t1;
                }
                recorder.flush();
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(io::Error::other)?;
    }
    let total = std::mem::take(&mut *shared.lock().unwrap_or_else(|e| e.into_inner()));
    let cpu = cpu.join().unwrap_or_default();
    Ok((total, cpu))
}

/// A task's outcomes, handed to the shared histograms in batches: the shared lock then costs
/// the measured calls two atomic operations per batch rather than per call.
struct Recorder {
    shared: Arc<std::sync::Mutex<Vec<Stats>>>,
    /// The window of the outcomes held.
    window: usize,
    /// Latencies in nanoseconds (`None`: the call failed).
    held: Vec<Option<u64>>,
}

impl Recorder {
    const BATCH: usize = 64;

    fn new(shared: Arc<std::sync::Mutex<Vec<Stats>>>) -> Self {
        Recorder {
            shared,
            window: 0,
            held: Vec::with_capacity(Self::BATCH),
        }
    }

    fn record(&mut self, window: usize, outcome: Option<u64>) {
        if window != self.window || self.held.len() == Self::BATCH {
            self.flush();
            self.window = window;
        }
        self.held.push(outcome);
    }

    fn flush(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let mut stats = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let stats = &mut stats[self.window];
        for outcome in self.held.drain(..) {
            match outcome {
                Some(ns) => {
                    stats.hist.saturating_record(ns.max(1));
                    stats.completed += 1;
                }
                None => stats.errors += 1,
            }
        }
    }
}

// ---- idle connections -----------------------------------------------------------------------

async fn idle(addr: &str, echo: bool, conns: usize, pid: u32, settle: Duration) -> io::Result<()> {
    let before = read_rss(pid).ok_or_else(|| io::Error::other("cannot read the provider's RSS"))?;
    let body = Workload::SayHello.request_body();
    let mut held = Vec::with_capacity(conns);
    let mut buf = BytesMut::new();
    for i in 0..conns {
        let mut sock = connect(addr).await?;
        let mut out = BytesMut::new();
        put_request(i as u64, &body, &mut out);
        sock.write_all(&out).await?;
        let (header, _) = read_frame(&mut sock, &mut buf).await?;
        if header.status != StatusCode::OK && !echo {
            return Err(io::Error::other(format!(
                "call {i} answered {:?}",
                header.status
            )));
        }
        held.push(sock);
    }
    tokio::time::sleep(settle).await;
    let after = read_rss(pid).ok_or_else(|| io::Error::other("cannot read the provider's RSS"))?;
    let per_conn = (after.current_kib as f64 - before.current_kib as f64) / conns as f64;
    println!(
        "IDLE conns={conns} rss_before_kib={} rss_after_kib={} per_conn_kib={per_conn:.1} \
         rss_peak_kib={}",
        before.current_kib, after.current_kib, after.peak_kib
    );
    drop(held);
    Ok(())
}
