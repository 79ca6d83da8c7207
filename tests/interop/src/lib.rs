//! Interop with Apache Dubbo 3.3 (Java): the shared interface set, its Rust implementation, a
//! Rust consumer driver running every case of the matrix, and the harness the tests use to run
//! ZooKeeper and the Java peer (`tests/interop/java`).
//!
//! The Java side is the source of truth: `tests/interop/java/INTERFACE.md` lists every method
//! with the JVM descriptor a Java consumer writes, and every trait method below matches one of
//! them exactly (a unit test checks the whole table).

pub mod consumer;
pub mod harness;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dubbo_rpc::hessian::{BigDecimal, Date, JavaArray, LocalDateTime, Value};
use dubbo_rpc::{JavaException, RpcError};
use serde::{Deserialize, Serialize};

/// Java interface of [`InteropService`].
pub const INTEROP_SERVICE: &str = "org.apache.dubbo.interop.api.InteropService";
/// Java interface of [`DemoService`].
pub const DEMO_SERVICE: &str = "org.apache.dubbo.demo.DemoService";

/// Java: `org.apache.dubbo.interop.api.Address`. Fields in Java's wire order (`city, street`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, dubbo_rpc::JavaType)]
#[serde(rename = "org.apache.dubbo.interop.api.Address", default)]
pub struct Address {
    /// Java `String city`.
    pub city: Option<String>,
    /// Java `String street`.
    pub street: Option<String>,
}

impl Address {
    /// An address with both fields set.
    pub fn new(street: &str, city: &str) -> Self {
        Address {
            city: Some(city.to_owned()),
            street: Some(street.to_owned()),
        }
    }
}

/// Java: `org.apache.dubbo.interop.api.Color` (on the wire an object with one field `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, dubbo_rpc::JavaType)]
#[serde(rename = "org.apache.dubbo.interop.api.Color")]
pub enum Color {
    /// `RED`.
    RED,
    /// `GREEN`.
    GREEN,
    /// `BLUE`.
    BLUE,
}

/// Java: `org.apache.dubbo.interop.api.User`. Fields in Java's wire order (hessian-lite's
/// reversed introspection order); readers on both sides match them by name.
///
/// `#[serde(default)]` lets a partial map (a generic call's argument) bind, leaving Java's
/// defaults (`0`, `false`, `null`) in the missing fields, as `PojoUtils.realize` does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, dubbo_rpc::JavaType)]
#[serde(rename = "org.apache.dubbo.interop.api.User", default)]
pub struct User {
    /// Java `Color color` (nullable).
    pub color: Option<Color>,
    /// Java `Map<String, String> attributes`.
    pub attributes: Option<HashMap<String, String>>,
    /// Java `List<Address> friends`.
    pub friends: Option<Vec<Address>>,
    /// Java `List<String> tags`.
    pub tags: Option<Vec<String>>,
    /// Java `Address address` (nullable nested POJO).
    pub address: Option<Address>,
    /// Java `String nickname` (nullable).
    pub nickname: Option<String>,
    /// Java `double score`.
    pub score: f64,
    /// Java `boolean vip`.
    pub vip: bool,
    /// Java `Long id` (nullable).
    pub id: Option<i64>,
    /// Java `int age`.
    pub age: i32,
    /// Java `String name`.
    pub name: Option<String>,
}

/// Apache Dubbo's demo interface, `org.apache.dubbo.demo.DemoService`.
#[dubbo_rpc::service(interface = "org.apache.dubbo.demo.DemoService")]
pub trait DemoService {
    /// Java: `String sayHello(String name)`.
    async fn say_hello(&self, name: Option<String>) -> Result<String, RpcError>;
}

/// `"Hello " + name`, as Java's demo answers.
#[derive(Debug, Clone, Default)]
pub struct DemoServiceImpl;

#[dubbo_rpc::async_trait]
impl DemoService for DemoServiceImpl {
    async fn say_hello(&self, name: Option<String>) -> Result<String, RpcError> {
        Ok(format!("Hello {}", name.as_deref().unwrap_or("null")))
    }
}

/// Java: `org.apache.dubbo.interop.api.InteropService` (see `INTERFACE.md`).
///
/// Boxed Java types are `Option`s (null travels) and arrays are [`JavaArray`]. `byte[]` is
/// declared both ways: `Vec<u8>` (`echoBytes`) and `JavaArray<u8>` (`echoLarge`, `makeBytes`);
/// both are a Hessian binary, an empty one included.
#[dubbo_rpc::service(interface = "org.apache.dubbo.interop.api.InteropService")]
pub trait InteropService {
    /// `boolean echoBoolean(boolean)`.
    async fn echo_boolean(&self, v: bool) -> Result<bool, RpcError>;
    /// `Boolean echoBoxedBoolean(Boolean)`.
    async fn echo_boxed_boolean(&self, v: Option<bool>) -> Result<Option<bool>, RpcError>;
    /// `byte echoByte(byte)`.
    async fn echo_byte(&self, v: i8) -> Result<i8, RpcError>;
    /// `Byte echoBoxedByte(Byte)`.
    async fn echo_boxed_byte(&self, v: Option<i8>) -> Result<Option<i8>, RpcError>;
    /// `short echoShort(short)`.
    async fn echo_short(&self, v: i16) -> Result<i16, RpcError>;
    /// `Short echoBoxedShort(Short)`.
    async fn echo_boxed_short(&self, v: Option<i16>) -> Result<Option<i16>, RpcError>;
    /// `int echoInt(int)`.
    async fn echo_int(&self, v: i32) -> Result<i32, RpcError>;
    /// `Integer echoBoxedInt(Integer)`.
    async fn echo_boxed_int(&self, v: Option<i32>) -> Result<Option<i32>, RpcError>;
    /// `long echoLong(long)`.
    async fn echo_long(&self, v: i64) -> Result<i64, RpcError>;
    /// `Long echoBoxedLong(Long)`.
    async fn echo_boxed_long(&self, v: Option<i64>) -> Result<Option<i64>, RpcError>;
    /// `float echoFloat(float)`.
    async fn echo_float(&self, v: f32) -> Result<f32, RpcError>;
    /// `Float echoBoxedFloat(Float)`.
    async fn echo_boxed_float(&self, v: Option<f32>) -> Result<Option<f32>, RpcError>;
    /// `double echoDouble(double)`.
    async fn echo_double(&self, v: f64) -> Result<f64, RpcError>;
    /// `Double echoBoxedDouble(Double)`.
    async fn echo_boxed_double(&self, v: Option<f64>) -> Result<Option<f64>, RpcError>;
    /// `char echoChar(char)`.
    async fn echo_char(&self, v: char) -> Result<char, RpcError>;
    /// `Character echoBoxedChar(Character)`.
    async fn echo_boxed_char(&self, v: Option<char>) -> Result<Option<char>, RpcError>;
    /// `String echoString(String)`.
    async fn echo_string(&self, v: Option<String>) -> Result<Option<String>, RpcError>;
    /// `byte[] echoBytes(byte[])`.
    async fn echo_bytes(&self, v: Option<Vec<u8>>) -> Result<Option<Vec<u8>>, RpcError>;
    /// `List<String> echoList(List<String>)`.
    async fn echo_list(
        &self,
        v: Option<Vec<Option<String>>>,
    ) -> Result<Option<Vec<Option<String>>>, RpcError>;
    /// `Set<String> echoSet(Set<String>)`.
    async fn echo_set(
        &self,
        v: Option<HashSet<String>>,
    ) -> Result<Option<HashSet<String>>, RpcError>;
    /// `Map<String, Object> echoMap(Map<String, Object>)`.
    async fn echo_map(
        &self,
        v: Option<HashMap<String, Value>>,
    ) -> Result<Option<HashMap<String, Value>>, RpcError>;
    /// `Map<Long, User> echoPojoMap(Map<Long, User>)`.
    async fn echo_pojo_map(
        &self,
        v: Option<HashMap<i64, Option<User>>>,
    ) -> Result<Option<HashMap<i64, Option<User>>>, RpcError>;
    /// `int[] echoIntArray(int[])`.
    async fn echo_int_array(
        &self,
        v: Option<JavaArray<i32>>,
    ) -> Result<Option<JavaArray<i32>>, RpcError>;
    /// `String[] echoStringArray(String[])`.
    async fn echo_string_array(
        &self,
        v: Option<JavaArray<Option<String>>>,
    ) -> Result<Option<JavaArray<Option<String>>>, RpcError>;
    /// `User[] echoPojoArray(User[])`.
    async fn echo_pojo_array(
        &self,
        v: Option<JavaArray<Option<User>>>,
    ) -> Result<Option<JavaArray<Option<User>>>, RpcError>;
    /// `User echoUser(User)`.
    async fn echo_user(&self, v: Option<User>) -> Result<Option<User>, RpcError>;
    /// `Color echoColor(Color)`.
    async fn echo_color(&self, v: Option<Color>) -> Result<Option<Color>, RpcError>;
    /// `Date echoDate(Date)`.
    async fn echo_date(&self, v: Option<Date>) -> Result<Option<Date>, RpcError>;
    /// `BigDecimal echoDecimal(BigDecimal)`.
    async fn echo_decimal(&self, v: Option<BigDecimal>) -> Result<Option<BigDecimal>, RpcError>;
    /// `LocalDateTime echoLocalDateTime(LocalDateTime)`.
    async fn echo_local_date_time(
        &self,
        v: Option<LocalDateTime>,
    ) -> Result<Option<LocalDateTime>, RpcError>;
    /// `void ping()`.
    async fn ping(&self) -> Result<(), RpcError>;
    /// `void record(String)`.
    async fn record(&self, v: Option<String>) -> Result<(), RpcError>;
    /// `void recordOneway(String)` (Java consumers send it one-way).
    async fn record_oneway(&self, v: Option<String>) -> Result<(), RpcError>;
    /// `String lastRecorded()`.
    async fn last_recorded(&self) -> Result<Option<String>, RpcError>;
    /// `long now()`.
    async fn now(&self) -> Result<i64, RpcError>;
    /// `String greet(String name)`.
    async fn greet(&self, name: Option<String>) -> Result<Option<String>, RpcError>;
    /// `String greet(String name, int times)`: the overload.
    #[dubbo(name = "greet")]
    async fn greet_times(
        &self,
        name: Option<String>,
        times: i32,
    ) -> Result<Option<String>, RpcError>;
    /// `String fail(String message) throws InteropException`.
    async fn fail(&self, message: Option<String>) -> Result<Option<String>, RpcError>;
    /// `String sleep(int millis)`.
    async fn sleep(&self, millis: i32) -> Result<Option<String>, RpcError>;
    /// `byte[] echoLarge(byte[])`.
    async fn echo_large(&self, v: Option<JavaArray<u8>>)
        -> Result<Option<JavaArray<u8>>, RpcError>;
    /// `byte[] makeBytes(int size)`.
    async fn make_bytes(&self, size: i32) -> Result<Option<JavaArray<u8>>, RpcError>;
    /// `String whoAmI()`.
    async fn who_am_i(&self) -> Result<Option<String>, RpcError>;
}

/// The Rust implementation of [`InteropService`]: echoes, plus the semantics of
/// `INTERFACE.md`. `whoAmI` answers `"<identity>:<version>:<group>"`.
#[derive(Debug)]
pub struct InteropServiceImpl {
    identity: String,
    last_recorded: Mutex<Option<String>>,
}

impl InteropServiceImpl {
    /// An implementation answering `whoAmI` with `"{impl_name}:{version}:{group}"` (`-` for
    /// none).
    pub fn new(impl_name: &str, version: Option<&str>, group: Option<&str>) -> Self {
        let dash = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or("-").to_owned();
        InteropServiceImpl {
            identity: format!("{impl_name}:{}:{}", dash(version), dash(group)),
            last_recorded: Mutex::new(None),
        }
    }

    fn store(&self, v: Option<String>) {
        *self.last_recorded.lock().unwrap_or_else(|e| e.into_inner()) = v;
    }
}

/// The bytes `makeBytes(size)` answers: byte `i` is `i % 251`.
pub fn pattern_bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

#[dubbo_rpc::async_trait]
impl InteropService for InteropServiceImpl {
    async fn echo_boolean(&self, v: bool) -> Result<bool, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_boolean(&self, v: Option<bool>) -> Result<Option<bool>, RpcError> {
        Ok(v)
    }
    async fn echo_byte(&self, v: i8) -> Result<i8, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_byte(&self, v: Option<i8>) -> Result<Option<i8>, RpcError> {
        Ok(v)
    }
    async fn echo_short(&self, v: i16) -> Result<i16, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_short(&self, v: Option<i16>) -> Result<Option<i16>, RpcError> {
        Ok(v)
    }
    async fn echo_int(&self, v: i32) -> Result<i32, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_int(&self, v: Option<i32>) -> Result<Option<i32>, RpcError> {
        Ok(v)
    }
    async fn echo_long(&self, v: i64) -> Result<i64, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_long(&self, v: Option<i64>) -> Result<Option<i64>, RpcError> {
        Ok(v)
    }
    async fn echo_float(&self, v: f32) -> Result<f32, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_float(&self, v: Option<f32>) -> Result<Option<f32>, RpcError> {
        Ok(v)
    }
    async fn echo_double(&self, v: f64) -> Result<f64, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_double(&self, v: Option<f64>) -> Result<Option<f64>, RpcError> {
        Ok(v)
    }
    async fn echo_char(&self, v: char) -> Result<char, RpcError> {
        Ok(v)
    }
    async fn echo_boxed_char(&self, v: Option<char>) -> Result<Option<char>, RpcError> {
        Ok(v)
    }
    async fn echo_string(&self, v: Option<String>) -> Result<Option<String>, RpcError> {
        Ok(v)
    }
    async fn echo_bytes(&self, v: Option<Vec<u8>>) -> Result<Option<Vec<u8>>, RpcError> {
        Ok(v)
    }
    async fn echo_list(
        &self,
        v: Option<Vec<Option<String>>>,
    ) -> Result<Option<Vec<Option<String>>>, RpcError> {
        Ok(v)
    }
    async fn echo_set(
        &self,
        v: Option<HashSet<String>>,
    ) -> Result<Option<HashSet<String>>, RpcError> {
        Ok(v)
    }
    async fn echo_map(
        &self,
        v: Option<HashMap<String, Value>>,
    ) -> Result<Option<HashMap<String, Value>>, RpcError> {
        Ok(v)
    }
    async fn echo_pojo_map(
        &self,
        v: Option<HashMap<i64, Option<User>>>,
    ) -> Result<Option<HashMap<i64, Option<User>>>, RpcError> {
        Ok(v)
    }
    async fn echo_int_array(
        &self,
        v: Option<JavaArray<i32>>,
    ) -> Result<Option<JavaArray<i32>>, RpcError> {
        Ok(v)
    }
    async fn echo_string_array(
        &self,
        v: Option<JavaArray<Option<String>>>,
    ) -> Result<Option<JavaArray<Option<String>>>, RpcError> {
        Ok(v)
    }
    async fn echo_pojo_array(
        &self,
        v: Option<JavaArray<Option<User>>>,
    ) -> Result<Option<JavaArray<Option<User>>>, RpcError> {
        Ok(v)
    }
    async fn echo_user(&self, v: Option<User>) -> Result<Option<User>, RpcError> {
        Ok(v)
    }
    async fn echo_color(&self, v: Option<Color>) -> Result<Option<Color>, RpcError> {
        Ok(v)
    }
    async fn echo_date(&self, v: Option<Date>) -> Result<Option<Date>, RpcError> {
        Ok(v)
    }
    async fn echo_decimal(&self, v: Option<BigDecimal>) -> Result<Option<BigDecimal>, RpcError> {
        Ok(v)
    }
    async fn echo_local_date_time(
        &self,
        v: Option<LocalDateTime>,
    ) -> Result<Option<LocalDateTime>, RpcError> {
        Ok(v)
    }
    async fn ping(&self) -> Result<(), RpcError> {
        Ok(())
    }
    async fn record(&self, v: Option<String>) -> Result<(), RpcError> {
        self.store(v);
        Ok(())
    }
    async fn record_oneway(&self, v: Option<String>) -> Result<(), RpcError> {
        self.store(v);
        Ok(())
    }
    async fn last_recorded(&self) -> Result<Option<String>, RpcError> {
        Ok(self
            .last_recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }
    async fn now(&self) -> Result<i64, RpcError> {
        Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default())
    }
    async fn greet(&self, name: Option<String>) -> Result<Option<String>, RpcError> {
        Ok(Some(format!(
            "Hello, {}",
            name.as_deref().unwrap_or("null")
        )))
    }
    async fn greet_times(
        &self,
        name: Option<String>,
        times: i32,
    ) -> Result<Option<String>, RpcError> {
        let one = format!("Hello, {}", name.as_deref().unwrap_or("null"));
        let parts: Vec<&str> = (0..times.max(0)).map(|_| one.as_str()).collect();
        Ok(Some(parts.join(" ")))
    }
    async fn fail(&self, message: Option<String>) -> Result<Option<String>, RpcError> {
        Err(RpcError::Business(JavaException {
            class: "java.lang.RuntimeException".to_owned(),
            message,
            object: None,
        }))
    }
    async fn sleep(&self, millis: i32) -> Result<Option<String>, RpcError> {
        tokio::time::sleep(Duration::from_millis(millis.max(0) as u64)).await;
        Ok(Some(format!("slept {millis}")))
    }
    async fn echo_large(
        &self,
        v: Option<JavaArray<u8>>,
    ) -> Result<Option<JavaArray<u8>>, RpcError> {
        Ok(v)
    }
    async fn make_bytes(&self, size: i32) -> Result<Option<JavaArray<u8>>, RpcError> {
        Ok(Some(JavaArray(pattern_bytes(size.max(0) as usize))))
    }
    async fn who_am_i(&self) -> Result<Option<String>, RpcError> {
        Ok(Some(self.identity.clone()))
    }
}

/// The `(version, group)` pairs every interop provider exports `InteropService` under, as
/// the Java provider does: unversioned, `1.0.0/g1`, `2.0.0/g2`.
pub const VARIANTS: [(Option<&str>, Option<&str>); 3] = [
    (None, None),
    (Some("1.0.0"), Some("g1")),
    (Some("2.0.0"), Some("g2")),
];

/// Starts the Rust interop provider: `DemoService` and `InteropService` ×3 (see
/// [`VARIANTS`]), registered in `registry` (if any) under `registry_host`.
pub async fn serve_provider(
    registry: Option<std::sync::Arc<dyn dubbo_rpc::registry::Registry>>,
    registry_host: &str,
    port: u16,
    application: &str,
    identity: &str,
) -> Result<dubbo_rpc::server::RunningServer, dubbo_rpc::server::ServeError> {
    use dubbo_rpc::server::{ExportOptions, Server};
    let mut builder = Server::builder()
        .port(port)
        .registry_host(registry_host)
        .application(application)
        .add_service(DemoServiceServer::new(DemoServiceImpl));
    for (version, group) in VARIANTS {
        builder = builder.add_service_with(
            InteropServiceServer::new(InteropServiceImpl::new(identity, version, group)),
            ExportOptions {
                version: version.map(str::to_owned),
                group: group.map(str::to_owned),
                ..Default::default()
            },
        );
    }
    if let Some(registry) = registry {
        builder = builder.registry(registry);
    }
    builder.serve().await
}

#[cfg(test)]
mod tests {
    use dubbo_rpc::service::NamedService;

    use super::*;

    /// Every method and descriptor of `INTERFACE.md`, in its order.
    const JAVA_METHODS: &[(&str, &str)] = &[
        ("echoBoolean", "Z"),
        ("echoBoxedBoolean", "Ljava/lang/Boolean;"),
        ("echoByte", "B"),
        ("echoBoxedByte", "Ljava/lang/Byte;"),
        ("echoShort", "S"),
        ("echoBoxedShort", "Ljava/lang/Short;"),
        ("echoInt", "I"),
        ("echoBoxedInt", "Ljava/lang/Integer;"),
        ("echoLong", "J"),
        ("echoBoxedLong", "Ljava/lang/Long;"),
        ("echoFloat", "F"),
        ("echoBoxedFloat", "Ljava/lang/Float;"),
        ("echoDouble", "D"),
        ("echoBoxedDouble", "Ljava/lang/Double;"),
        ("echoChar", "C"),
        ("echoBoxedChar", "Ljava/lang/Character;"),
        ("echoString", "Ljava/lang/String;"),
        ("echoBytes", "[B"),
        ("echoList", "Ljava/util/List;"),
        ("echoSet", "Ljava/util/Set;"),
        ("echoMap", "Ljava/util/Map;"),
        ("echoPojoMap", "Ljava/util/Map;"),
        ("echoIntArray", "[I"),
        ("echoStringArray", "[Ljava/lang/String;"),
        ("echoPojoArray", "[Lorg/apache/dubbo/interop/api/User;"),
        ("echoUser", "Lorg/apache/dubbo/interop/api/User;"),
        ("echoColor", "Lorg/apache/dubbo/interop/api/Color;"),
        ("echoDate", "Ljava/util/Date;"),
        ("echoDecimal", "Ljava/math/BigDecimal;"),
        ("echoLocalDateTime", "Ljava/time/LocalDateTime;"),
        ("ping", ""),
        ("record", "Ljava/lang/String;"),
        ("recordOneway", "Ljava/lang/String;"),
        ("lastRecorded", ""),
        ("now", ""),
        ("greet", "Ljava/lang/String;"),
        ("greet", "Ljava/lang/String;I"),
        ("fail", "Ljava/lang/String;"),
        ("sleep", "I"),
        ("echoLarge", "[B"),
        ("makeBytes", "I"),
        ("whoAmI", ""),
    ];

    #[test]
    fn interop_service_matches_the_java_interface_exactly() {
        let d = <InteropServiceServer<InteropServiceImpl> as NamedService>::descriptor();
        assert_eq!(d.interface, INTEROP_SERVICE);
        let ours: Vec<(&str, &str)> = d
            .methods
            .iter()
            .map(|m| (m.name.as_str(), m.parameter_types.as_str()))
            .collect();
        assert_eq!(ours, JAVA_METHODS);
    }

    #[test]
    fn demo_service_matches_the_java_interface() {
        let d = <DemoServiceServer<DemoServiceImpl> as NamedService>::descriptor();
        assert_eq!(d.interface, DEMO_SERVICE);
        assert_eq!(d.methods.len(), 1);
        assert_eq!(d.methods[0].name, "sayHello");
        assert_eq!(d.methods[0].parameter_types, "Ljava/lang/String;");
    }

    #[test]
    fn greet_times_joins_like_java() {
        let s = InteropServiceImpl::new("rust", None, None);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            assert_eq!(
                s.greet_times(Some("Ann".into()), 3).await.unwrap().unwrap(),
                "Hello, Ann Hello, Ann Hello, Ann"
            );
            assert_eq!(
                s.greet_times(Some("Ann".into()), 0).await.unwrap().unwrap(),
                ""
            );
            assert_eq!(s.who_am_i().await.unwrap().unwrap(), "rust:-:-");
        });
    }
}
