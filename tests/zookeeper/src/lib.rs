//! Real ZooKeeper servers for tests, started with the project's `scripts/zk`: the shared
//! server of a test binary ([`shared_connect`]), a dedicated standalone server for fault tests
//! ([`ZkServer`]) and a 3-node ensemble ([`Ensemble`]). Everything listens on 127.0.0.1, and
//! every server is stopped when its owner drops it or when the test process exits (the
//! scripts' owner watchdog), even after a panic.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `scripts/zk` of this repository.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/zk")
}

/// A random number for unique names, ports and chroots.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// Runs a script from `scripts/zk` and returns its stdout; panics with its stderr on failure.
pub fn run_script(name: &str, args: &[&str], env: &[(&str, String)]) -> String {
    let out = Command::new(scripts_dir().join(name))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// [`run_script`] on a blocking thread.
pub async fn run_script_async(
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> String {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_script(name, &args, &env)
    })
    .await
    .expect("script thread")
}

/// The shared server of this test binary: `ZK_CONNECT` when set (CI), otherwise a server
/// started once with `zk-start.sh auto`, stopped by the script's owner watchdog when this
/// process exits.
pub fn shared_connect() -> &'static str {
    static CONNECT: OnceLock<String> = OnceLock::new();
    CONNECT.get_or_init(|| {
        if let Ok(cs) = std::env::var("ZK_CONNECT") {
            if !cs.trim().is_empty() {
                return cs.trim().to_owned();
            }
        }
        run_script("install.sh", &[], &[]);
        let dir = std::env::temp_dir().join(format!("zk-tests-{}", std::process::id()));
        let cs = run_script(
            "zk-start.sh",
            &["auto"],
            &[
                ("ZK_DIR", dir.display().to_string()),
                ("ZK_OWNER_PID", std::process::id().to_string()),
                ("ZK_LOG_LEVEL", "warn".to_owned()),
            ],
        );
        eprintln!("ZK_CONNECT not set: started ZooKeeper on {cs} (stops when the tests exit)");
        cs
    })
}

/// A dedicated standalone server for a fault test (own port and state dir), stopped and
/// purged on drop.
#[derive(Debug)]
pub struct ZkServer {
    /// `127.0.0.1:port`.
    pub connect: String,
    /// The client port.
    pub port: u16,
    dir: PathBuf,
    tick_ms: u32,
}

impl ZkServer {
    /// Starts a server with this `tickTime` (sessions may last 2 to 20 ticks).
    pub async fn start(tick_ms: u32) -> ZkServer {
        run_script_async("install.sh", vec![], vec![]).await;
        let dir = std::env::temp_dir().join(format!("zk-fault-{:x}", random_u64()));
        let mut server = ZkServer {
            connect: String::new(),
            port: 0,
            dir,
            tick_ms,
        };
        server.connect =
            run_script_async("zk-start.sh", vec!["auto".into()], server.env(false)).await;
        server.port = server
            .connect
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("zk-start.sh prints host:port");
        server
    }

    fn env(&self, keep_data: bool) -> Vec<(&'static str, String)> {
        vec![
            ("ZK_DIR", self.dir.display().to_string()),
            ("ZK_TICK_TIME", self.tick_ms.to_string()),
            ("ZK_OWNER_PID", std::process::id().to_string()),
            ("ZK_KEEP_DATA", if keep_data { "1" } else { "0" }.to_owned()),
            ("ZK_LOG_LEVEL", "warn".to_owned()),
        ]
    }

    /// The server's process id.
    pub fn pid(&self) -> i32 {
        std::fs::read_to_string(self.dir.join("zookeeper.pid"))
            .expect("pid file")
            .trim()
            .parse()
            .expect("pid")
    }

    /// SIGKILL (a crash); the data dir is kept.
    pub async fn kill(&self) {
        let mut env = self.env(true);
        env.push(("ZK_STOP_TIMEOUT", "5".to_owned()));
        run_script_async(
            "zk-stop.sh",
            vec![self.port.to_string(), "--kill".into()],
            env,
        )
        .await;
    }

    /// Starts the server again on the same port, keeping its data (sessions and ephemerals).
    pub async fn restart_keep_data(&self) {
        run_script_async("zk-start.sh", vec![self.port.to_string()], self.env(true)).await;
    }

    /// Sends a signal (`STOP`, `CONT`) to the server process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        // Never leave a frozen server behind.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("zookeeper.pid")) {
            let _ = Command::new("kill").arg("-CONT").arg(pid.trim()).status();
        }
        let _ = Command::new(scripts_dir().join("zk-stop.sh"))
            .arg(self.port.to_string())
            .arg("--purge")
            .env("ZK_DIR", &self.dir)
            .output();
    }
}

/// A 3-node ensemble on a distinct base port, stopped and purged on drop.
#[derive(Debug)]
pub struct Ensemble {
    /// `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`.
    pub connect: String,
    base: u16,
    dir: PathBuf,
}

impl Ensemble {
    /// Starts three nodes and waits for a quorum.
    pub async fn start() -> Ensemble {
        run_script_async("install.sh", vec![], vec![]).await;
        // client ports base+1..3, quorum base+101.., election base+201..
        let base = 24_000 + (random_u64() % 900) as u16 * 10;
        let dir = std::env::temp_dir().join(format!("zk-ensemble-test-{base}"));
        let mut ensemble = Ensemble {
            connect: String::new(),
            base,
            dir,
        };
        ensemble.connect = ensemble.run(&["start"]).await;
        ensemble
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ZK_ENSEMBLE_BASE", self.base.to_string()),
            ("ZK_ENSEMBLE_DIR", self.dir.display().to_string()),
            ("ZK_OWNER_PID", std::process::id().to_string()),
            ("ZK_LOG_LEVEL", "warn".to_owned()),
        ]
    }

    /// Runs `zk-ensemble.sh <args>` and returns its stdout; panics when it fails.
    pub async fn run(&self, args: &[&str]) -> String {
        run_script_async(
            "zk-ensemble.sh",
            args.iter().map(|s| s.to_string()).collect(),
            self.env(),
        )
        .await
    }

    /// Like [`Ensemble::run`], but `None` instead of a panic when the script fails or prints
    /// nothing.
    pub async fn try_run(&self, args: &[&str]) -> Option<String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env = self.env();
        tokio::task::spawn_blocking(move || {
            let out = Command::new(scripts_dir().join("zk-ensemble.sh"))
                .args(&args)
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .output()
                .ok()?;
            let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            (out.status.success() && !stdout.is_empty()).then_some(stdout)
        })
        .await
        .ok()?
    }

    /// The id of the current leader, if there is one.
    pub async fn leader(&self) -> Option<String> {
        self.try_run(&["leader"]).await
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        let _ = Command::new(scripts_dir().join("zk-ensemble.sh"))
            .args(["stop", "--purge"])
            .envs(self.env().iter().map(|(k, v)| (*k, v.as_str())))
            .output();
    }
}
