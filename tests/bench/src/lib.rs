//! Benchmark harness of dubbo-rpc: the pieces shared by the `loadgen`, `raw-echo` and
//! `rust-provider` binaries.
//!
//! * [`Args`]: a tiny `--key value` reader.
//! * [`Workload`]: the three request shapes (`sayHello`, a ~1 KiB `User` echo, a 64 KiB
//!   `byte[]` echo), encoded once into a real Dubbo request body with our codec, so the same
//!   bytes go to the raw echo server, our provider and the Java provider.
//! * [`DemoService`] and [`EchoService`]: the Java interop interfaces
//!   (`org.apache.dubbo.demo.DemoService`, `org.apache.dubbo.interop.api.InteropService`) with
//!   the Java names and descriptors, for our provider and our client.
//! * [`User`], [`Address`], [`Color`], [`Blob`]: the Java peer's types.
//! * [`read_rss`]: a process's current and peak resident set size from `/proc`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};
use dubbo_rpc::codec::body::{self, EncodedArgs};
use dubbo_rpc::codec::{write_frame, Header};
use dubbo_rpc::hessian::java::JavaType;
use dubbo_rpc::hessian::Serializer;
use dubbo_rpc::{Attachments, RpcError};
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// `--key value` (or `--key=value`) pairs from the command line.
#[derive(Debug, Default)]
pub struct Args {
    pairs: Vec<(String, String)>,
}

impl Args {
    /// Parses `std::env::args()`; `--help` prints `usage` and exits.
    pub fn from_env(usage: &str) -> Args {
        Args::parse(std::env::args().skip(1), usage)
    }

    /// Parses the given arguments (without the program name); exits with `usage` on
    /// `--help` or a malformed list.
    pub fn parse(args: impl IntoIterator<Item = String>, usage: &str) -> Args {
        let mut pairs = Vec::new();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "--help" || arg == "-h" {
                println!("{usage}");
                std::process::exit(0);
            }
            let Some(key) = arg.strip_prefix("--") else {
                eprintln!("unexpected argument {arg:?}\n{usage}");
                std::process::exit(2);
            };
            if let Some((k, v)) = key.split_once('=') {
                pairs.push((k.to_owned(), v.to_owned()));
                continue;
            }
            let Some(value) = it.next() else {
                eprintln!("--{key} needs a value\n{usage}");
                std::process::exit(2);
            };
            pairs.push((key.to_owned(), value));
        }
        Args { pairs }
    }

    /// The value of `--name` parsed as `T`, or `default`; exits with a message when it does
    /// not parse.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.pairs.iter().rev().find(|(k, _)| k == name) {
            None => default,
            Some((_, v)) => v.parse().unwrap_or_else(|_| {
                eprintln!("bad value for --{name}: {v:?}");
                std::process::exit(2);
            }),
        }
    }

    /// The raw value of `--name`, if given.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Builds a tokio runtime: current-thread for `threads <= 1`, multi-thread otherwise.
pub fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
}

// ---- the Java peer's types --------------------------------------------------------------

/// Java: `org.apache.dubbo.interop.api.Address` (fields in Java's write order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, dubbo_rpc::JavaType)]
#[serde(rename = "org.apache.dubbo.interop.api.Address")]
pub struct Address {
    /// City.
    pub city: Option<String>,
    /// Street.
    pub street: Option<String>,
}

/// Java: the enum `org.apache.dubbo.interop.api.Color`, which Hessian writes as an object
/// with one field, `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.apache.dubbo.interop.api.Color")]
pub struct Color {
    /// `RED`, `GREEN` or `BLUE`.
    pub name: String,
}

/// Java: `org.apache.dubbo.interop.api.User`, fields in the order hessian-lite writes them,
/// so our bytes match Java's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, dubbo_rpc::JavaType)]
#[serde(rename = "org.apache.dubbo.interop.api.User")]
pub struct User {
    /// Nullable enum.
    pub color: Option<Color>,
    /// `Map<String, String>`.
    pub attributes: Option<HashMap<String, String>>,
    /// `List<Address>`.
    pub friends: Option<Vec<Address>>,
    /// `List<String>`.
    pub tags: Option<Vec<String>>,
    /// Nullable nested POJO.
    pub address: Option<Address>,
    /// Nullable.
    pub nickname: Option<String>,
    /// `double`.
    pub score: f64,
    /// `boolean`.
    pub vip: bool,
    /// Nullable `Long`.
    pub id: Option<i64>,
    /// `int`.
    pub age: i32,
    /// Nullable.
    pub name: Option<String>,
}

impl User {
    /// The benchmark's user: the Java consumer's `--bench user` object (40 tags, two
    /// friends) plus a few attributes, about 1 KiB of Hessian.
    pub fn sample() -> User {
        let addr = |street: &str, city: &str| Address {
            city: Some(city.to_owned()),
            street: Some(street.to_owned()),
        };
        User {
            color: None,
            attributes: Some(
                (0..4)
                    .map(|i| (format!("attribute-{i}"), format!("value-number-{i}")))
                    .collect(),
            ),
            friends: Some(vec![addr("a", "b"), addr("c", "d")]),
            tags: Some((0..40).map(|i| format!("tag-number-{i}")).collect()),
            address: Some(addr("1 Bench Road", "Loadtown")),
            nickname: Some("benchy".to_owned()),
            score: 99.5,
            vip: true,
            id: Some(42),
            age: 33,
            name: Some("bench user".to_owned()),
        }
    }
}

/// A Java `byte[]`: written as a Hessian binary, read without going through a list of ints.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl JavaType for Blob {
    fn descriptor() -> Cow<'static, str> {
        "[B".into()
    }
}

impl Serialize for Blob {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte[]")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Blob, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(b) = seq.next_element::<i8>()? {
                    out.push(b as u8);
                }
                Ok(Blob(out))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

// ---- the services ---------------------------------------------------------------------------

/// Apache Dubbo's demo interface, as the Java peer exports it.
#[dubbo_rpc::service(interface = "org.apache.dubbo.demo.DemoService")]
pub trait DemoService {
    /// Java: `String sayHello(String name)`, answering `"Hello " + name`.
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
}

/// The two echo methods of the Java peer's `InteropService` that the benchmark uses.
#[dubbo_rpc::service(interface = "org.apache.dubbo.interop.api.InteropService")]
pub trait EchoService {
    /// Java: `User echoUser(User v)`.
    async fn echo_user(&self, v: User) -> Result<User, RpcError>;
    /// Java: `byte[] echoBytes(byte[] v)`.
    async fn echo_bytes(&self, v: Blob) -> Result<Blob, RpcError>;
}

/// Our implementation of both services, answering as the Java peer does.
#[derive(Debug, Clone, Default)]
pub struct BenchServices;

#[dubbo_rpc::async_trait]
impl DemoService for BenchServices {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        // Sized once, as Java's string concatenation is (`format!` guesses the capacity and
        // grows the string once more).
        Ok(["Hello ", name.as_str()].concat())
    }
}

#[dubbo_rpc::async_trait]
impl EchoService for BenchServices {
    async fn echo_user(&self, v: User) -> Result<User, RpcError> {
        Ok(v)
    }
    async fn echo_bytes(&self, v: Blob) -> Result<Blob, RpcError> {
        Ok(v)
    }
}

// ---- workloads ------------------------------------------------------------------------------

/// Interface name of [`DemoService`].
pub const DEMO_SERVICE: &str = "org.apache.dubbo.demo.DemoService";
/// Interface name of [`EchoService`].
pub const INTEROP_SERVICE: &str = "org.apache.dubbo.interop.api.InteropService";

/// One of the benchmark's request shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// `DemoService.sayHello(String)` with a short name; the request body is exactly 100
    /// bytes.
    SayHello,
    /// `InteropService.echoUser(User)` with [`User::sample`] (about 1 KiB).
    User,
    /// `InteropService.echoBytes(byte[])` with 64 KiB.
    Bytes64k,
}

impl FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sayHello" => Ok(Workload::SayHello),
            "user" => Ok(Workload::User),
            "bytes64k" => Ok(Workload::Bytes64k),
            other => Err(format!("unknown workload {other} (sayHello|user|bytes64k)")),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Workload::SayHello => "sayHello",
            Workload::User => "user",
            Workload::Bytes64k => "bytes64k",
        })
    }
}

/// Size of the `echoBytes` argument.
pub const BYTES_LEN: usize = 64 * 1024;
/// Size of the `sayHello` request body.
pub const SAY_HELLO_BODY_LEN: usize = 100;

/// The `sayHello` argument: a short name, padded so the whole request body is
/// [`SAY_HELLO_BODY_LEN`] bytes.
pub fn say_hello_name() -> String {
    let base = encode_call(DEMO_SERVICE, "sayHello", "Ljava/lang/String;", &"")
        .expect("encodes")
        .len();
    // A short string's Hessian length is one byte plus its characters.
    "d".repeat(SAY_HELLO_BODY_LEN.saturating_sub(base))
}

/// The `echoBytes` argument: byte `i` is `i % 251`.
pub fn sample_bytes() -> Blob {
    Blob((0..BYTES_LEN).map(|i| (i % 251) as u8).collect())
}

/// Encodes a request body calling `path.method(arg)` with the given descriptor: dubbo
/// version `"2.0.2"`, version `"0.0.0"`, empty attachments, exactly as a Java consumer
/// lays it out.
pub fn encode_call<T: Serialize + ?Sized>(
    path: &str,
    method: &str,
    descriptor: &str,
    arg: &T,
) -> Result<Vec<u8>, dubbo_rpc::hessian::Error> {
    let mut arg_bytes = Vec::new();
    let state = {
        let mut ser = Serializer::new(&mut arg_bytes);
        arg.serialize(&mut ser)?;
        ser.into_state()
    };
    let args = EncodedArgs {
        bytes: arg_bytes,
        state,
    };
    let mut out = Vec::new();
    body::encode_request(
        &mut out,
        path,
        None,
        method,
        descriptor,
        &args,
        &Attachments::new(),
    )?;
    Ok(out)
}

impl Workload {
    /// The encoded request body of this workload.
    pub fn request_body(self) -> Bytes {
        let body = match self {
            Workload::SayHello => encode_call(
                DEMO_SERVICE,
                "sayHello",
                "Ljava/lang/String;",
                &say_hello_name(),
            ),
            Workload::User => encode_call(
                INTEROP_SERVICE,
                "echoUser",
                "Lorg/apache/dubbo/interop/api/User;",
                &User::sample(),
            ),
            Workload::Bytes64k => encode_call(INTEROP_SERVICE, "echoBytes", "[B", &sample_bytes()),
        };
        body.expect("benchmark request encodes").into()
    }

    /// Checks a decoded OK response body of this workload; `Err` says what is wrong.
    pub fn check_response(self, body: Bytes) -> Result<(), String> {
        let decoded = body::decode_response(body).map_err(|e| e.to_string())?;
        match self {
            Workload::SayHello => {
                let got: String = decoded.decode().map_err(|e| e.to_string())?;
                let want = format!("Hello {}", say_hello_name());
                (got == want)
                    .then_some(())
                    .ok_or_else(|| format!("sayHello answered {got:?}"))
            }
            Workload::User => {
                let got: User = decoded.decode().map_err(|e| e.to_string())?;
                (got == User::sample())
                    .then_some(())
                    .ok_or_else(|| format!("echoUser answered {got:?}"))
            }
            Workload::Bytes64k => {
                let got: Blob = decoded.decode().map_err(|e| e.to_string())?;
                (got == sample_bytes())
                    .then_some(())
                    .ok_or_else(|| format!("echoBytes answered {got:?}"))
            }
        }
    }
}

/// Appends a two-way Hessian 2 request frame with id `id` and `body` to `dst`.
pub fn put_request(id: u64, body: &[u8], dst: &mut BytesMut) {
    write_frame(&Header::request(id, 0), body, dst);
}

// ---- memory ---------------------------------------------------------------------------------

/// Resident set size of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`: current resident set, KiB.
    pub current_kib: u64,
    /// `VmHWM`: peak resident set, KiB.
    pub peak_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of process `pid`; `None` if it is gone or unreadable.
pub fn read_rss(pid: u32) -> Option<Rss> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some(Rss {
        current_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// CPU time (user + system) a process has used so far, in seconds, from
/// `/proc/<pid>/stat`; `None` if it is gone. Assumes the usual 100 clock ticks per second.
pub fn read_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; count fields after its closing bracket.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dubbo_rpc::codec::body::decode_request;

    #[test]
    fn say_hello_body_is_100_bytes_and_decodes() {
        let body = Workload::SayHello.request_body();
        assert_eq!(body.len(), SAY_HELLO_BODY_LEN);
        let req = decode_request(&body).unwrap();
        assert_eq!(req.dubbo_version, "2.0.2");
        assert_eq!(req.path, DEMO_SERVICE);
        assert_eq!(req.method, "sayHello");
        assert_eq!(req.parameter_types, "Ljava/lang/String;");
        assert!(req.attachments.is_empty());
    }

    #[test]
    fn user_body_is_about_one_kib() {
        let body = Workload::User.request_body();
        assert!((800..1400).contains(&body.len()), "{} bytes", body.len());
        let req = decode_request(&body).unwrap();
        assert_eq!(req.method, "echoUser");
    }

    #[test]
    fn bytes_body_carries_64_kib() {
        let body = Workload::Bytes64k.request_body();
        assert!(body.len() > BYTES_LEN && body.len() < BYTES_LEN + 200);
        let req = decode_request(&body).unwrap();
        assert_eq!(req.parameter_types, "[B");
    }

    #[test]
    fn blob_round_trips_as_binary() {
        let b = Blob(vec![1, 2, 3, 250]);
        let bytes = dubbo_rpc::hessian::to_vec(&b).unwrap();
        assert_eq!(bytes[0], 0x24); // short binary, length 4
        let back: Blob = dubbo_rpc::hessian::from_slice(&bytes).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn rss_of_this_process_is_readable() {
        let rss = read_rss(std::process::id()).unwrap();
        assert!(rss.peak_kib >= rss.current_kib && rss.current_kib > 0);
        let spin = std::time::Instant::now();
        while spin.elapsed() < std::time::Duration::from_millis(30) {}
        assert!(read_cpu_secs(std::process::id()).unwrap() > 0.0);
    }
}
