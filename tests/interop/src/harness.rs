//! Running the other side: ZooKeeper, the Java peer (provider and consumer as child
//! processes), a loopback host name, and a unique ZooKeeper root per test.
//!
//! Nothing here skips: when ZooKeeper or Java cannot run, the helpers panic and the test
//! fails.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Writes a line straight to stderr, past the test harness's output capture, so the
/// per-case verdicts and pass counts show in every run, passing or not.
pub fn say(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The ZooKeeper to use: `ZK_CONNECT` (as `scripts/test.sh` exports it), else a server started
/// once per test process with `scripts/zk/zk-start.sh auto`, stopped by the script's owner
/// watchdog when this process exits.
pub fn zk_connect() -> &'static str {
    dubbo_test_zookeeper::shared_connect()
}

/// The Java peer's runtime classpath: `JAVA_PEER_CLASSPATH`, else built with
/// `scripts/java-peer.sh classpath` (Maven, cached).
pub fn java_classpath() -> &'static str {
    static CP: OnceLock<String> = OnceLock::new();
    CP.get_or_init(|| {
        if let Ok(cp) = std::env::var("JAVA_PEER_CLASSPATH") {
            if !cp.trim().is_empty() {
                return cp.trim().to_owned();
            }
        }
        let cp = dubbo_test_zookeeper::run_script("java-peer.sh", &["classpath"], &[]);
        cp.lines().last().unwrap_or_default().to_owned()
    })
}

/// A host name that resolves only to loopback addresses (the machine's own name, mapped to
/// 127.0.0.1 by `/etc/hosts`), the name both sides register.
///
/// Java providers refuse to register `127.x`/`localhost` and Java consumers rewrite such hosts
/// to the machine's network address before dialling, so the tests register this name instead;
/// and all test traffic must stay on loopback, so a name that resolves elsewhere is refused.
pub fn loopback_host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        use std::net::ToSocketAddrs;
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        assert!(
            !name.is_empty() && name != "localhost" && !name.starts_with("127."),
            "no usable host name ({name:?}): the interop tests need a host name that resolves \
             to 127.0.0.1 (add `127.0.0.1 <hostname>` to /etc/hosts)"
        );
        let addrs: Vec<_> = (name.as_str(), 0)
            .to_socket_addrs()
            .map(|a| a.collect())
            .unwrap_or_default();
        assert!(
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()),
            "host name {name:?} resolves to {addrs:?}, not only to loopback: the interop tests \
             keep all traffic on 127.0.0.0/8 (map it to 127.0.0.1 in /etc/hosts)"
        );
        name
    })
}

/// A fresh tag for ZooKeeper roots and application names, unique per call.
pub fn unique(tag: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{tag}-{}-{:08x}", std::process::id(), h.finish() as u32)
}

/// The registry URL of a private ZooKeeper root: Java and Rust both take the registry URL's
/// `group` as the root (`/<group>` instead of `/dubbo`), and Java also puts its
/// application-level nodes (`mapping`, `metadata`, instances) under it, so concurrent runs never
/// see each other.
pub fn registry_url(root: &str) -> String {
    format!("zookeeper://{}?group={root}", zk_connect())
}

/// Serializes the tests that run JVMs: on 2 cores several JVMs at once only slow each other
/// down (and time out).
pub fn jvm_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A Java child process in its own process group; dropping it kills the whole group.
#[derive(Debug)]
pub struct JavaProcess {
    name: String,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl JavaProcess {
    /// Starts `main` of the Java peer with `args`; its stdout lines are echoed (prefixed with
    /// `name`) and kept, its stderr goes to ours.
    pub fn spawn(name: &str, main: &str, args: &[String]) -> JavaProcess {
        let java = std::env::var("JAVA").unwrap_or_else(|_| "java".to_owned());
        let mut cmd = Command::new(&java);
        cmd.args(["-Xms64m", "-Xmx512m", "-XX:+UseSerialGC"])
            .arg("-Djava.net.preferIPv4Stack=true")
            .arg(format!(
                "-Dorg.slf4j.simpleLogger.defaultLogLevel={}",
                std::env::var("JAVA_PEER_LOG").unwrap_or_else(|_| "warn".to_owned())
            ))
            .arg("-cp")
            .arg(java_classpath())
            .arg(main)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {java} for {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_sink = log.clone();
        // Dubbo's WARN/ERROR logs (stack traces of the expected timeouts and payload errors)
        // are kept, and shown only when something fails.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                log_sink
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line);
            }
        });
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let prefix = name.to_owned();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                say(&format!("[{prefix}] {line}"));
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        JavaProcess {
            name: name.to_owned(),
            child,
            lines,
            log,
            reader: Some(reader),
        }
    }

    /// The Java provider: `--registry URL --port 0 --app APP` plus `extra`; waits for its
    /// `JAVA-PROVIDER READY` line.
    pub fn provider(registry: &str, app: &str, extra: &[&str]) -> JavaProcess {
        let mut args: Vec<String> = [
            "--registry",
            registry,
            "--port",
            "0",
            "--app",
            app,
            "--host",
            loopback_host(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut p = JavaProcess::spawn(
            "java-provider",
            "org.apache.dubbo.interop.provider.Provider",
            &args,
        );
        p.wait_for_line("JAVA-PROVIDER READY", Duration::from_secs(90));
        p
    }

    /// The Java consumer driver with `args`; see [`JavaProcess::finish`].
    pub fn consumer(args: &[String]) -> JavaProcess {
        JavaProcess::spawn(
            "java-consumer",
            "org.apache.dubbo.interop.consumer.Consumer",
            args,
        )
    }

    /// Waits until a stdout line starts with `prefix`; panics if the process exits or the
    /// time runs out first.
    pub fn wait_for_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| l.starts_with(prefix)) {
                return l;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before printing {prefix:?}", self.name);
            }
            assert!(
                Instant::now() < deadline,
                "{} did not print {prefix:?} within {timeout:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Prints the last `max` lines of the process's stderr (Dubbo's log).
    pub fn print_log(&self, max: usize) {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let start = log.len().saturating_sub(max);
        say(&format!(
            "---- {} stderr (last {} of {} lines) ----",
            self.name,
            log.len() - start,
            log.len()
        ));
        for line in &log[start..] {
            say(line);
        }
    }

    /// The stdout lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits for the process to exit (killing it after `timeout`) and returns its status and
    /// every stdout line.
    pub fn finish(mut self, timeout: Duration) -> (Option<ExitStatus>, Vec<String>) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    eprintln!("{} still running after {timeout:?}: killed", self.name);
                    self.kill();
                    break None;
                }
            }
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        if !status.is_some_and(|s| s.success()) {
            self.print_log(200);
        }
        (status, self.lines())
    }

    fn kill(&mut self) {
        // The whole group: the JVM and anything it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for JavaProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_log(200);
        }
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// One line of a Java consumer's verdict: `CASE <name> PASS|FAIL <detail>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaCase {
    /// Case name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// The rest of the line.
    pub detail: String,
}

/// The `CASE` lines of a Java consumer's output, and its closing `N passed, M failed` counts.
pub fn parse_java_cases(lines: &[String]) -> (Vec<JavaCase>, Option<(usize, usize)>) {
    let mut cases = Vec::new();
    let mut totals = None;
    for line in lines {
        if let Some(rest) = line.strip_prefix("CASE ") {
            let mut parts = rest.splitn(3, ' ');
            let name = parts.next().unwrap_or_default().to_owned();
            let verdict = parts.next().unwrap_or_default();
            cases.push(JavaCase {
                name,
                passed: verdict == "PASS",
                detail: parts.next().unwrap_or_default().to_owned(),
            });
        } else if let Some((p, f)) = line.split_once(" passed, ") {
            if let (Ok(p), Some(Ok(f))) = (
                p.trim().parse::<usize>(),
                f.strip_suffix(" failed").map(|f| f.trim().parse::<usize>()),
            ) {
                totals = Some((p, f));
            }
        }
    }
    (cases, totals)
}
