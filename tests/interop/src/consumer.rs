//! The Rust consumer driver: every case of the interop matrix, run against whatever provider
//! of `InteropService`/`DemoService` the registry offers (Java, Rust or both), with a verdict
//! per case. The case names are the Java consumer driver's (`Consumer.runCases()`), so the two
//! directions line up in the matrix.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dubbo_rpc::client::generic::GenericClient;
use dubbo_rpc::client::settings::CallSettings;
use dubbo_rpc::client::ClientBuilder;
use dubbo_rpc::hessian::{BigDecimal, Date, JavaArray, LocalDateTime, Value};
use dubbo_rpc::registry::Registry;
use dubbo_rpc::{Client, RpcError, StatusCode};

use crate::harness::say;
use crate::{
    Address, Color, DemoServiceClient, InteropServiceClient, User, DEMO_SERVICE, INTEROP_SERVICE,
};

/// Who must answer `whoAmI` (the first part of its answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Only Java providers.
    Java,
    /// Only Rust providers.
    Rust,
    /// Anyone.
    Any,
    /// Both kinds must answer `provider_spread`.
    Both,
}

/// The verdict of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case name (as the Java driver names it).
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What happened.
    pub detail: String,
}

/// The verdicts of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per case, in run order.
    pub cases: Vec<CaseResult>,
}

impl Report {
    /// Number of passed cases.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }

    /// Number of failed cases.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// The failed cases, one per line.
    pub fn failures(&self) -> String {
        self.cases
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The clients one run uses.
#[derive(Debug, Clone)]
pub struct Clients {
    /// `InteropService`, no version/group; `sleep` has a 500 ms timeout.
    pub svc: InteropServiceClient,
    /// `InteropService` 1.0.0/g1.
    pub v1: InteropServiceClient,
    /// `InteropService` 2.0.0/g2.
    pub v2: InteropServiceClient,
    /// `DemoService`.
    pub demo: DemoServiceClient,
    /// Generic client of `InteropService`.
    pub generic: GenericClient,
    /// Generic client of `DemoService`.
    pub generic_demo: GenericClient,
}

/// The `sleep` method's timeout in the `timeout` case.
pub const SLEEP_TIMEOUT: Duration = Duration::from_millis(500);

impl Clients {
    /// Clients discovering providers in `registry`, each waiting up to `wait` for one.
    /// Calls time out after 5 s and are not retried, so no failure is hidden.
    pub async fn connect(registry: Arc<dyn Registry>, wait: Duration) -> Result<Self, RpcError> {
        let base = || {
            Client::builder()
                .registry(registry.clone())
                .application("rust-interop-consumer")
                .timeout(Duration::from_secs(5))
                .retries(0)
                .wait_for_providers(wait)
        };
        let sleep = CallSettings {
            timeout: Some(SLEEP_TIMEOUT),
            retries: Some(0),
            ..Default::default()
        };
        let with = |b: ClientBuilder, v: &str, g: &str| b.version(v).group(g);
        Ok(Clients {
            svc: base().method("sleep", sleep).build().await?,
            v1: with(base(), "1.0.0", "g1").build().await?,
            v2: with(base(), "2.0.0", "g2").build().await?,
            demo: base().build().await?,
            generic: GenericClient::build(base(), INTEROP_SERVICE).await?,
            generic_demo: GenericClient::build(base(), DEMO_SERVICE).await?,
        })
    }
}

/// A failed check.
type Check = Result<String, String>;

fn fail<T>(msg: impl Into<String>) -> Result<T, String> {
    Err(msg.into())
}

fn rpc(e: RpcError) -> String {
    let s = format!("unexpected {e:?}");
    cut(&s, 400)
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}...", s.chars().take(max).collect::<String>())
    } else {
        s.to_owned()
    }
}

fn show<T: Debug>(v: &T) -> String {
    cut(&format!("{v:?}"), 160)
}

/// Echoes every value through `f` and compares the answer with `same`.
async fn echo_with<T, F, Fut>(values: Vec<T>, f: F, same: impl Fn(&T, &T) -> bool) -> Check
where
    T: Clone + Debug,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<T, RpcError>>,
{
    let n = values.len();
    for v in values {
        let r = f(v.clone()).await.map_err(rpc)?;
        if !same(&v, &r) {
            return fail(format!("expected {} got {}", show(&v), show(&r)));
        }
    }
    Ok(format!("{n} value(s) ok"))
}

async fn echo_all<T, F, Fut>(values: Vec<T>, f: F) -> Check
where
    T: Clone + Debug + PartialEq,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<T, RpcError>>,
{
    echo_with(values, f, |a, b| a == b).await
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Equality of decoded values with maps compared as unordered (Java's `HashMap` order is
/// its own).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map { entries: x, .. }, Value::Map { entries: y, .. }) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| same_value(k, k2) && same_value(v, v2))
                })
        }
        (Value::List { items: x, .. }, Value::List { items: y, .. }) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (
            Value::Object {
                class: c1,
                fields: f1,
            },
            Value::Object {
                class: c2,
                fields: f2,
            },
        ) => {
            c1 == c2
                && f1.len() == f2.len()
                && f1
                    .iter()
                    .all(|(n, v)| f2.iter().any(|(n2, v2)| n == n2 && same_value(v, v2)))
        }
        (Value::Double(x), Value::Double(y)) => same_f64(*x, *y),
        _ => a == b,
    }
}

/// A value as Java would hold it (a `User` object, say), by encoding and decoding it.
fn to_value<T: serde::Serialize>(v: &T) -> Value {
    let bytes = dubbo_rpc::hessian::to_vec(v).expect("encodable");
    dubbo_rpc::hessian::from_slice(&bytes).expect("decodable")
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map {
        ty: None,
        entries: entries.into_iter().map(|(k, v)| (s(k), v)).collect(),
    }
}

/// Emoji, a ZWJ family and a CJK extension B character: surrogate pairs on the Java side.
pub const EMOJI: &str =
    "\u{1F600}\u{1F389} family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} \u{2070E}";

fn big(n: usize, unit: &str) -> String {
    unit.chars().cycle().take(n).collect()
}

/// A 100 000 UTF-16-unit string with surrogate pairs straddling Java's 32 768-unit chunks.
fn mixed_100k() -> String {
    let units: Vec<u16> = big(100_000, "ab\u{4E2D}\u{6587}c").encode_utf16().collect();
    let mut units = units;
    let grin: Vec<u16> = "\u{1F600}".encode_utf16().collect();
    let party: Vec<u16> = "\u{1F389}".encode_utf16().collect();
    let thumbs: Vec<u16> = "\u{1F44D}".encode_utf16().collect();
    units.splice(32767..32769, grin);
    units.splice(65535..65537, party);
    units.truncate(99_998);
    units.extend(thumbs);
    String::from_utf16(&units).expect("valid UTF-16")
}

fn bytes(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(7) as u8)
        .collect()
}

/// The fully populated `User` of the Java driver.
pub fn full_user() -> User {
    User {
        name: Some("Alice \u{4E2D}\u{6587} \u{1F600}".into()),
        age: 30,
        id: Some(1_234_567_890_123),
        vip: true,
        score: 98.5,
        address: Some(Address::new("1 Main St", "Springfield")),
        tags: Some(vec!["a".into(), "b".into(), "\u{6807}\u{7B7E}".into()]),
        friends: Some(vec![
            Address::new("2 Side St", "Shelbyville"),
            Address::new("3 Elm St", "Ogdenville"),
        ]),
        attributes: Some(HashMap::from([
            ("k1".to_owned(), "v1".to_owned()),
            ("k2".to_owned(), String::new()),
        ])),
        nickname: Some("Al".into()),
        color: Some(Color::GREEN),
    }
}

/// A `User` with only `name` and `age` set.
pub fn sparse_user() -> User {
    User {
        name: Some("Bob".into()),
        age: -1,
        ..Default::default()
    }
}

fn small_user(name: &str, age: i32) -> User {
    User {
        name: Some(name.into()),
        age,
        id: Some(i64::from(age)),
        address: Some(Address::new(&format!("s{age}"), &format!("c{age}"))),
        ..Default::default()
    }
}

fn who(answer: &str) -> Result<(&str, &str, &str), String> {
    let p: Vec<&str> = answer.split(':').collect();
    match p.as_slice() {
        [i, v, g] => Ok((i, v, g)),
        _ => fail(format!("bad whoAmI answer {answer:?}")),
    }
}

async fn who_check(c: &InteropServiceClient, version: &str, group: &str, expect: Expect) -> Check {
    let w = c.who_am_i().await.map_err(rpc)?.unwrap_or_default();
    let (i, v, g) = who(&w)?;
    if v != version || g != group {
        return fail(format!(
            "wrong service answered: {w} (wanted version {version} group {group})"
        ));
    }
    match expect {
        Expect::Java if i != "java" => fail(format!("expected a java provider, got {w}")),
        Expect::Rust if i != "rust" => fail(format!("expected a rust provider, got {w}")),
        _ => Ok(w),
    }
}

/// Runs the cases whose names pass `filter` (all when `None`), printing a `CASE` line per case.
#[allow(clippy::approx_constant)] // the Java driver's values, 3.14f among them
pub async fn run_cases(c: &Clients, expect: Expect, filter: Option<&[&str]>) -> Report {
    let mut report = Report::default();
    macro_rules! case {
        ($name:expr, $body:expr) => {
            if filter.map_or(true, |f| f.contains(&$name)) {
                let t0 = Instant::now();
                let outcome: Check = $body.await;
                let ms = t0.elapsed().as_millis();
                let (passed, detail) = match outcome {
                    Ok(d) => (true, d),
                    Err(d) => (false, d),
                };
                say(&format!(
                    "CASE {} {} {} ({ms} ms)",
                    $name,
                    if passed { "PASS" } else { "FAIL" },
                    detail.replace('\n', " ")
                ));
                report.cases.push(CaseResult {
                    name: $name.to_owned(),
                    passed,
                    detail,
                });
            }
        };
    }
    let svc = &c.svc;

    // ---- primitives ----
    case!(
        "boolean",
        echo_all(vec![true, false], |v| svc.echo_boolean(v))
    );
    case!(
        "boxed_boolean",
        echo_all(vec![Some(true), Some(false)], |v| svc.echo_boxed_boolean(v))
    );
    case!(
        "boxed_boolean_null",
        echo_all(vec![None], |v| svc.echo_boxed_boolean(v))
    );
    case!(
        "byte",
        echo_all(vec![0i8, 1, -1, i8::MIN, i8::MAX], |v| svc.echo_byte(v))
    );
    case!(
        "boxed_byte",
        echo_all(vec![Some(42i8), Some(i8::MIN)], |v| svc.echo_boxed_byte(v))
    );
    case!(
        "boxed_byte_null",
        echo_all(vec![None], |v| svc.echo_boxed_byte(v))
    );
    case!(
        "short",
        echo_all(vec![0i16, -1, 2047, -2048, i16::MIN, i16::MAX], |v| svc
            .echo_short(v))
    );
    case!(
        "boxed_short",
        echo_all(vec![Some(1234i16), Some(i16::MIN)], |v| svc
            .echo_boxed_short(v))
    );
    case!(
        "boxed_short_null",
        echo_all(vec![None], |v| svc.echo_boxed_short(v))
    );
    case!(
        "int",
        echo_all(
            vec![
                0,
                1,
                -1,
                -16,
                47,
                48,
                -17,
                -2048,
                2047,
                2048,
                -262_144,
                262_143,
                262_144,
                i32::MIN,
                i32::MAX
            ],
            |v| svc.echo_int(v)
        )
    );
    case!(
        "boxed_int",
        echo_all(vec![Some(7), Some(i32::MIN)], |v| svc.echo_boxed_int(v))
    );
    case!(
        "boxed_int_null",
        echo_all(vec![None], |v| svc.echo_boxed_int(v))
    );
    case!(
        "long",
        echo_all(
            vec![
                0i64,
                -8,
                15,
                16,
                -2048,
                2047,
                -262_144,
                262_143,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
                1 << 40,
                i64::MIN,
                i64::MAX
            ],
            |v| svc.echo_long(v)
        )
    );
    case!(
        "boxed_long",
        echo_all(vec![Some(9_000_000_000i64), Some(-1)], |v| svc
            .echo_boxed_long(v))
    );
    case!(
        "boxed_long_null",
        echo_all(vec![None], |v| svc.echo_boxed_long(v))
    );
    case!(
        "float",
        echo_with(
            vec![
                0f32,
                1.0,
                -1.5,
                3.14, // Java `3.14f`, not PI
                0.001,
                1e-30,
                f32::from_bits(1),
                f32::MAX,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY
            ],
            |v| svc.echo_float(v),
            |a, b| same_f32(*a, *b)
        )
    );
    case!(
        "boxed_float",
        echo_all(vec![Some(2.5f32), Some(-0.1)], |v| svc.echo_boxed_float(v))
    );
    case!(
        "boxed_float_null",
        echo_all(vec![None], |v| svc.echo_boxed_float(v))
    );
    case!(
        "double",
        echo_with(
            vec![
                0.0f64,
                1.0,
                -1.0,
                127.0,
                -128.0,
                32767.0,
                -32768.0,
                0.001,
                12.25,
                2_147_483.647,
                std::f64::consts::PI,
                1e300,
                -1e-300,
                f64::from_bits(1),
                f64::MAX,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY
            ],
            |v| svc.echo_double(v),
            |a, b| same_f64(*a, *b)
        )
    );
    case!("double_negative_zero", async {
        let r = svc.echo_double(-0.0).await.map_err(rpc)?;
        if r != 0.0 {
            return fail(format!("expected 0.0 or -0.0 got {r}"));
        }
        Ok(format!(
            "came back as {}",
            if r.is_sign_negative() {
                "-0.0"
            } else {
                "+0.0 (sign lost, as Java does)"
            }
        ))
    });
    case!(
        "boxed_double",
        echo_all(vec![Some(6.022_140_76e23f64), Some(-3.5)], |v| svc
            .echo_boxed_double(v))
    );
    case!(
        "boxed_double_null",
        echo_all(vec![None], |v| svc.echo_boxed_double(v))
    );
    case!(
        "char",
        echo_all(vec!['A', '\u{E9}', '\u{4E2D}', '\0', '\u{FFFD}'], |v| svc
            .echo_char(v))
    );
    case!(
        "boxed_char",
        echo_all(vec![Some('z'), Some('\u{6587}')], |v| svc
            .echo_boxed_char(v))
    );
    case!(
        "boxed_char_null",
        echo_all(vec![None], |v| svc.echo_boxed_char(v))
    );

    // ---- strings / bytes ----
    let text = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
    case!(
        "string_empty",
        echo_all(text(&[""]), |v| svc.echo_string(v))
    );
    case!(
        "string_ascii",
        echo_all(
            vec![
                Some("hello, world".to_owned()),
                Some("x".to_owned()),
                Some(big(31, "a")),
                Some(big(32, "b")),
                Some(big(1023, "c")),
                Some(big(1024, "d")),
            ],
            |v| svc.echo_string(v)
        )
    );
    case!(
        "string_cjk",
        echo_all(
            text(&["\u{4E2D}\u{6587}\u{5B57}\u{7B26}\u{4E32} \u{65E5}\u{672C}\u{8A9E} \u{D55C}\u{AD6D}\u{C5B4}"]),
            |v| svc.echo_string(v)
        )
    );
    case!(
        "string_emoji",
        echo_all(text(&[EMOJI, "\u{1F600}"]), |v| svc.echo_string(v))
    );
    case!(
        "string_100k",
        echo_all(
            vec![Some(big(100_000, "0123456789")), Some(mixed_100k())],
            |v| svc.echo_string(v)
        )
    );
    case!("string_null", echo_all(vec![None], |v| svc.echo_string(v)));
    case!(
        "bytes_empty",
        echo_all(vec![Some(Vec::new())], |v| svc.echo_bytes(v))
    );
    case!(
        "bytes_15",
        echo_all(vec![Some(bytes(15)), Some(bytes(16))], |v| svc
            .echo_bytes(v))
    );
    case!(
        "bytes_1mib",
        echo_all(vec![Some(bytes(1 << 20))], |v| svc.echo_bytes(v))
    );
    case!("bytes_null", echo_all(vec![None], |v| svc.echo_bytes(v)));

    // ---- collections / arrays ----
    case!(
        "list",
        echo_all(
            vec![
                Some(vec![
                    Some("a".to_owned()),
                    Some("\u{4E2D}".to_owned()),
                    Some(String::new()),
                    None,
                    Some(EMOJI.to_owned()),
                ]),
                Some(Vec::new()),
            ],
            |v| svc.echo_list(v)
        )
    );
    case!("list_null", echo_all(vec![None], |v| svc.echo_list(v)));
    case!(
        "set",
        echo_all(
            vec![
                Some(HashSet::from([
                    "x".to_owned(),
                    "y".to_owned(),
                    "z".to_owned()
                ])),
                Some(HashSet::new()),
            ],
            |v| svc.echo_set(v)
        )
    );
    case!("map", async {
        let m: HashMap<String, Value> = HashMap::from([
            ("int".to_owned(), Value::Int(42)),
            ("long".to_owned(), Value::Long(1 << 40)),
            ("double".to_owned(), Value::Double(2.5)),
            ("bool".to_owned(), Value::Bool(true)),
            ("string".to_owned(), s("\u{4E2D}\u{6587}")),
            ("null".to_owned(), Value::Null),
            (
                "list".to_owned(),
                Value::List {
                    ty: None,
                    items: vec![s("p"), s("q")],
                },
            ),
            (
                "map".to_owned(),
                map(vec![("k", s("v")), ("n", Value::Int(1))]),
            ),
            ("user".to_owned(), to_value(&small_user("inmap", 5))),
        ]);
        let values = vec![Some(m), Some(HashMap::new())];
        echo_with(
            values,
            |v| svc.echo_map(v),
            |a, b| match (a, b) {
                (Some(a), Some(b)) => {
                    a.len() == b.len()
                        && a.iter()
                            .all(|(k, v)| b.get(k).is_some_and(|w| same_value(v, w)))
                }
                _ => a.is_none() && b.is_none(),
            },
        )
        .await
    });
    case!("pojo_map", async {
        let m = HashMap::from([
            (1i64, Some(full_user())),
            (2, Some(sparse_user())),
            (-5_000_000_000, Some(small_user("c", 3))),
        ]);
        echo_all(vec![Some(m)], |v| svc.echo_pojo_map(v))
            .await
            .map(|_| "3 entries ok".to_owned())
    });
    case!(
        "int_array",
        echo_all(
            vec![
                Some(JavaArray(vec![1, -2, 300, i32::MAX, i32::MIN])),
                Some(JavaArray(Vec::new())),
            ],
            |v| svc.echo_int_array(v)
        )
    );
    case!(
        "string_array",
        echo_all(
            vec![
                Some(JavaArray(vec![
                    Some("a".to_owned()),
                    None,
                    Some("\u{4E2D}".to_owned()),
                    Some(EMOJI.to_owned()),
                ])),
                Some(JavaArray(Vec::new())),
            ],
            |v| svc.echo_string_array(v)
        )
    );
    case!(
        "pojo_array",
        echo_all(
            vec![
                Some(JavaArray(vec![
                    Some(full_user()),
                    None,
                    Some(sparse_user())
                ])),
                Some(JavaArray(Vec::new())),
            ],
            |v| svc.echo_pojo_array(v)
        )
    );

    // ---- POJO, enum, dates, decimal ----
    case!(
        "user_full",
        echo_all(vec![Some(full_user())], |v| svc.echo_user(v))
    );
    case!(
        "user_sparse",
        echo_all(vec![Some(sparse_user())], |v| svc.echo_user(v))
    );
    case!("user_null", echo_all(vec![None], |v| svc.echo_user(v)));
    case!(
        "enum",
        echo_all(
            vec![Some(Color::RED), Some(Color::GREEN), Some(Color::BLUE)],
            |v| svc.echo_color(v)
        )
    );
    case!("enum_null", echo_all(vec![None], |v| svc.echo_color(v)));
    case!(
        "date",
        echo_all(
            vec![
                Some(Date(1_700_000_000_123)),
                Some(Date(1_700_000_040_000)),
                Some(Date(0)),
                Some(Date(-86_400_000)),
            ],
            |v| svc.echo_date(v)
        )
    );
    case!("date_null", echo_all(vec![None], |v| svc.echo_date(v)));
    case!(
        "decimal",
        echo_all(
            ["0", "-1.50", "12345678901234567890.123456789", "1E+10"]
                .iter()
                .map(|d| Some(BigDecimal((*d).to_owned())))
                .collect(),
            |v| svc.echo_decimal(v)
        )
    );
    case!(
        "decimal_null",
        echo_all(vec![None], |v| svc.echo_decimal(v))
    );
    case!(
        "local_date_time",
        echo_all(
            vec![
                Some(LocalDateTime {
                    year: 2024,
                    month: 2,
                    day: 29,
                    hour: 13,
                    minute: 45,
                    second: 30,
                    nano: 123_456_789,
                }),
                Some(LocalDateTime {
                    year: 1970,
                    month: 1,
                    day: 1,
                    ..Default::default()
                }),
            ],
            |v| svc.echo_local_date_time(v)
        )
    );
    case!(
        "local_date_time_null",
        echo_all(vec![None], |v| svc.echo_local_date_time(v))
    );

    // ---- void / no-arg / overloads ----
    case!("void_ping", async {
        svc.ping().await.map_err(rpc)?;
        Ok("ok".to_owned())
    });
    case!("void_record", async {
        // In a mixed fleet record and lastRecorded may land on different providers: retry.
        for i in 1..=30 {
            let token = format!("rec-{}-{i}", crate::harness::unique("t"));
            svc.record(Some(token.clone())).await.map_err(rpc)?;
            if svc.last_recorded().await.map_err(rpc)?.as_deref() == Some(token.as_str()) {
                return Ok(format!("stored and read back (attempt {i})"));
            }
        }
        fail("lastRecorded never returned the recorded token")
    });
    case!("void_oneway", async {
        // The Rust client calls recordOneway two-way (it has no one-way calls); the Java
        // consumer's direction covers the one-way frame.
        for i in 1..=30 {
            let token = format!("oneway-{}-{i}", crate::harness::unique("t"));
            svc.record_oneway(Some(token.clone())).await.map_err(rpc)?;
            if svc.last_recorded().await.map_err(rpc)?.as_deref() == Some(token.as_str()) {
                return Ok(format!("recordOneway observed (attempt {i})"));
            }
        }
        fail("recordOneway never became visible via lastRecorded")
    });
    case!("noarg_now", async {
        let t = svc.now().await.map_err(rpc)?;
        let local = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        let d = (local - t).abs();
        if d > 60_000 {
            return fail(format!("now() is {d} ms away from local time"));
        }
        Ok(format!("skew {d} ms"))
    });
    case!("overload_greet1", async {
        let r = svc.greet(Some("Ann".into())).await.map_err(rpc)?;
        if r.as_deref() != Some("Hello, Ann") {
            return fail(format!("got {r:?}"));
        }
        Ok("ok".to_owned())
    });
    case!("overload_greet2", async {
        let r = svc.greet_times(Some("Ann".into()), 3).await.map_err(rpc)?;
        if r.as_deref() != Some("Hello, Ann Hello, Ann Hello, Ann") {
            return fail(format!("got {r:?}"));
        }
        let r = svc.greet_times(Some("Ann".into()), 0).await.map_err(rpc)?;
        if r.as_deref() != Some("") {
            return fail(format!("times=0 gave {r:?}"));
        }
        Ok("ok".to_owned())
    });
    case!("demo_say_hello", async {
        let r = c.demo.say_hello(Some("world".into())).await.map_err(rpc)?;
        if r != "Hello world" {
            return fail(format!("got {r:?}"));
        }
        Ok("ok".to_owned())
    });

    // ---- errors / timeout / size limits ----
    case!("exception", async {
        let msg = "business failure \u{4E2D}\u{6587} #42";
        match svc.fail(Some(msg.into())).await {
            Ok(r) => fail(format!("no exception, got {r:?}")),
            Err(RpcError::Business(e)) if e.message.as_deref().is_some_and(|m| m.contains(msg)) => {
                Ok(format!("{e}"))
            }
            Err(e) => fail(format!(
                "not a business exception carrying the message: {}",
                rpc(e)
            )),
        }
    });
    case!("timeout", async {
        let t0 = Instant::now();
        match svc.sleep(SLEEP_TIMEOUT.as_millis() as i32 * 4).await {
            Ok(r) => fail(format!("no timeout, got {r:?}")),
            Err(RpcError::Timeout { elapsed, .. }) => {
                let ms = t0.elapsed().as_millis();
                next_call_ok(svc).await?;
                Ok(format!(
                    "timed out after {ms} ms (timeout {elapsed:?}); next call ok"
                ))
            }
            Err(e) => fail(format!("not a timeout: {}", rpc(e))),
        }
    });
    case!("large_4mib", async {
        let b = bytes(4 << 20);
        let r = svc
            .echo_large(Some(JavaArray(b.clone())))
            .await
            .map_err(rpc)?;
        if r.map(|a| a.0).as_deref() != Some(&b[..]) {
            return fail("4 MiB came back different");
        }
        Ok("4 MiB echoed".to_owned())
    });
    case!("large_request_over_limit", async {
        match svc.echo_large(Some(JavaArray(bytes(9 << 20)))).await {
            Ok(_) => fail("9 MiB request accepted"),
            Err(e @ RpcError::PayloadTooLarge { .. }) => {
                next_call_ok(svc).await?;
                Ok(format!("rejected locally: {e}; next call ok"))
            }
            Err(e) => fail(format!("not a payload error: {}", rpc(e))),
        }
    });
    case!("large_response_over_limit", async {
        match svc.make_bytes(9 << 20).await {
            Ok(_) => fail("9 MiB response accepted"),
            Err(e @ RpcError::Status { code, .. }) if code == StatusCode::SERIALIZATION_ERROR => {
                next_call_ok(svc).await?;
                Ok(format!(
                    "rejected: {}; next call ok",
                    cut(&e.to_string(), 160)
                ))
            }
            Err(e @ RpcError::PayloadTooLarge { .. }) => {
                next_call_ok(svc).await?;
                Ok(format!("rejected on receipt: {e}; next call ok"))
            }
            Err(e) => fail(format!("not a payload error: {}", rpc(e))),
        }
    });

    // ---- version / group ----
    case!("version_default", who_check(svc, "-", "-", expect));
    case!("version_group_v1", who_check(&c.v1, "1.0.0", "g1", expect));
    case!("version_group_v2", who_check(&c.v2, "2.0.0", "g2", expect));
    case!("provider_spread", async {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for _ in 0..40 {
            let w = svc.who_am_i().await.map_err(rpc)?.unwrap_or_default();
            *seen.entry(w).or_default() += 1;
        }
        let impls: HashSet<&str> = seen
            .keys()
            .map(|k| k.split(':').next().unwrap_or(""))
            .collect();
        let ok = match expect {
            Expect::Both => impls.contains("java") && impls.contains("rust"),
            Expect::Java => impls == HashSet::from(["java"]),
            Expect::Rust => impls == HashSet::from(["rust"]),
            Expect::Any => true,
        };
        if ok {
            Ok(format!("answers {seen:?}"))
        } else {
            fail(format!("unexpected answers {seen:?} (expected {expect:?})"))
        }
    });

    // ---- echo service / generic ----
    case!("echo_service", async {
        for v in [s("ping"), Value::Int(12345)] {
            let r = c.generic.echo(v.clone()).await.map_err(rpc)?;
            if r != v {
                return fail(format!("$echo {v:?} gave {r:?}"));
            }
        }
        let r = c
            .generic_demo
            .echo(s("\u{4E2D}\u{6587}"))
            .await
            .map_err(rpc)?;
        if r != s("\u{4E2D}\u{6587}") {
            return fail(format!("$echo on DemoService gave {r:?}"));
        }
        Ok("ok".to_owned())
    });
    case!("generic_echo_user", async {
        let address = map(vec![
            ("class", s("org.apache.dubbo.interop.api.Address")),
            ("street", s("gen street")),
            ("city", s("gen city")),
        ]);
        let user = map(vec![
            ("class", s("org.apache.dubbo.interop.api.User")),
            ("name", s("generic")),
            ("age", Value::Int(7)),
            ("id", Value::Long(99)),
            ("address", address),
            (
                "tags",
                Value::List {
                    ty: None,
                    items: vec![s("t1"), s("t2")],
                },
            ),
            ("color", s("BLUE")),
        ]);
        let r = c
            .generic
            .invoke(
                "echoUser",
                &["org.apache.dubbo.interop.api.User"],
                vec![user],
            )
            .await
            .map_err(rpc)?;
        let get = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
        if !matches!(r, Value::Map { .. }) {
            return fail(format!("expected a map, got {}", show(&r)));
        }
        let checks = [
            (
                "class",
                get("class") == s("org.apache.dubbo.interop.api.User"),
            ),
            ("name", get("name") == s("generic")),
            ("age", get("age") == Value::Int(7)),
            ("id", get("id").as_i64() == Some(99)),
            ("color", get("color") == s("BLUE")),
            (
                "address.city",
                get("address").get("city") == Some(&s("gen city")),
            ),
            (
                "tags",
                get("tags").as_list().map(<[Value]>::to_vec) == Some(vec![s("t1"), s("t2")]),
            ),
            (
                "nickname present (null)",
                r.get("nickname") == Some(&Value::Null),
            ),
        ];
        if let Some((what, _)) = checks.iter().find(|(_, ok)| !ok) {
            return fail(format!("{what} wrong in {}", show(&r)));
        }
        Ok("map back with class, every property, enum as name".to_owned())
    });
    case!("generic_overload", async {
        let r = c
            .generic
            .invoke(
                "greet",
                &["java.lang.String", "int"],
                vec![s("gen"), Value::Int(2)],
            )
            .await
            .map_err(rpc)?;
        if r != s("Hello, gen Hello, gen") {
            return fail(format!("greet(String,int) gave {r:?}"));
        }
        let r = c
            .generic
            .invoke("greet", &["java.lang.String"], vec![s("gen")])
            .await
            .map_err(rpc)?;
        if r != s("Hello, gen") {
            return fail(format!("greet(String) gave {r:?}"));
        }
        Ok("ok".to_owned())
    });
    case!("generic_say_hello", async {
        let r = c
            .generic_demo
            .invoke("sayHello", &["java.lang.String"], vec![s("generic")])
            .await
            .map_err(rpc)?;
        if r != s("Hello generic") {
            return fail(format!("got {r:?}"));
        }
        Ok("ok".to_owned())
    });
    case!("generic_exception", async {
        match c
            .generic
            .invoke("fail", &["java.lang.String"], vec![s("generic boom")])
            .await
        {
            Err(RpcError::Business(e)) => {
                // Both providers wrap it as Java's GenericFilter does: a GenericException
                // carrying exceptionClass and exceptionMessage (Java 3.3 sends the Dubbo 2
                // compatibility subclass com.alibaba.dubbo.rpc.service.GenericException).
                let field = |name: &str| e.field_str(name).map(str::to_owned);
                let inner = field("exceptionClass").unwrap_or_default();
                if e.class.ends_with(".rpc.service.GenericException")
                    && field("exceptionMessage").as_deref() == Some("generic boom")
                    && inner.ends_with("Exception")
                {
                    Ok(format!("{} wrapping {inner}", e.class))
                } else {
                    fail(format!(
                        "not a GenericException carrying the message: {}",
                        cut(&e.to_string(), 300)
                    ))
                }
            }
            Ok(v) => fail(format!("no exception, got {}", show(&v))),
            Err(e) => fail(format!("not a business exception: {}", rpc(e))),
        }
    });
    report
}

async fn next_call_ok(svc: &InteropServiceClient) -> Result<(), String> {
    match svc.sleep(0).await {
        Ok(Some(s)) if s == "slept 0" => Ok(()),
        other => fail(format!("the next call failed: {other:?}")),
    }
}

/// Counts who answers `whoAmI` over `calls` calls: `{"java": n, "rust": m}`.
pub async fn spread(
    svc: &InteropServiceClient,
    calls: usize,
) -> Result<BTreeMap<String, usize>, RpcError> {
    let mut seen = BTreeMap::new();
    for _ in 0..calls {
        let w = svc.who_am_i().await?.unwrap_or_default();
        let kind = w.split(':').next().unwrap_or_default().to_owned();
        *seen.entry(kind).or_default() += 1;
    }
    Ok(seen)
}
