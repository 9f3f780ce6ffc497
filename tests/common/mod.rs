//! Helpers shared by integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether this run is CI's (`CI=true`), where a missing peer is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A `python3` command that can import every module in `modules`, or `None` (after
/// printing why) when there is none outside CI. Under `CI=true` a missing Python or
/// package fails the test instead.
pub fn python_with(modules: &[&str]) -> Option<Command> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let check = format!("import {}", modules.join(", "));
    let ok = Command::new(&python)
        .args(["-c", &check])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(Command::new(python));
    }
    let why = format!(
        "{python} with {modules:?} is not available; install them with \
         `python3 -m pip install -r tests/interop/requirements.txt`"
    );
    assert!(!in_ci(), "CI=true and {why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// Runs `command` with `input` on standard input and returns standard output,
/// failing the test with its standard error when it does not succeed.
pub fn run_with_input(mut command: Command, input: &str) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the committed vector generator `tests/interop/SCRIPT` with the installed
/// Python peers and checks that it writes exactly the committed `tests/vectors/FILE`.
pub fn assert_generator_reproduces(modules: &[&str], script: &str, file: &str) {
    let Some(mut python) = python_with(modules) else {
        return;
    };
    let dir = env!("CARGO_MANIFEST_DIR");
    python.arg(format!("{dir}/tests/interop/{script}"));
    let fresh = run_with_input(python, "");
    let committed = std::fs::read_to_string(format!("{dir}/tests/vectors/{file}")).unwrap();
    assert!(
        fresh == committed,
        "tests/vectors/{file} differs from what tests/interop/{script} makes with the \
         installed {modules:?}"
    );
}

// ---- The example apps (examples/axum.rs, examples/actix_web.rs) on loopback. ----

/// The example apps that the HTTP and browser tests start.
pub const EXAMPLES: [&str; 2] = ["axum", "actix_web"];

/// A running example server on 127.0.0.1, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The port it listens on.
    pub port: u16,
    /// The example's name.
    pub name: &'static str,
}

impl Server {
    /// Starts the example `name` on a free port with only the `SESSIONLIB_*`
    /// variables given in `env`, and waits until it listens.
    pub fn start(name: &'static str, env: &[(&str, &str)]) -> Server {
        Server::spawn(Server::command(name, env), name)
    }

    /// Like [`Server::start`], on `port`.
    pub fn start_on(name: &'static str, env: &[(&str, &str)], port: u16) -> Server {
        Server::spawn_on(Server::command(name, env), name, port)
    }

    /// The command that runs the example `name` with only the `SESSIONLIB_*`
    /// variables given in `env`.
    fn command(name: &'static str, env: &[(&str, &str)]) -> Command {
        let exe = example_binary(name);
        let mut command = Command::new(&exe);
        for var in [
            "SESSIONLIB_SECRET_KEY",
            "SESSIONLIB_FALLBACK_KEY",
            "SESSIONLIB_DEV",
            "SESSIONLIB_TTL_SECONDS",
            "SESSIONLIB_LEEWAY_SECONDS",
            "SESSIONLIB_REDIS_URL",
            "SESSIONLIB_REDIS_TIMEOUT_MS",
            "SESSIONLIB_REDIS_CACHE_MS",
            "SESSIONLIB_REDIS_FAIL_OPEN_MS",
            "SESSIONLIB_CLOCK_SKEW_SECONDS",
            "SESSIONLIB_NO_SESSIONS",
            "SESSIONLIB_SEALED",
            "SESSIONLIB_MAX_CHUNKS",
        ] {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        command
    }

    /// Runs `command` with `PORT` set to a free port, output discarded, and waits
    /// until it listens on 127.0.0.1.
    pub fn spawn(command: Command, name: &'static str) -> Server {
        Server::spawn_on(command, name, free_port())
    }

    /// Like [`Server::spawn`], on `port` (to restart a server where it was).
    pub fn spawn_on(mut command: Command, name: &'static str, port: u16) -> Server {
        command
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            name,
        };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&mut self) {
        let port = self.port;
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("{} exited early: {status}", self.name);
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} did not listen on port {port} within 30 s", self.name);
    }

    /// Whether the process has exited (crashed, when the test did not stop it).
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/<profile>/examples/<name>`, next to the running test's `deps/` directory.
///
/// `cargo test` has built it already, but `cargo test --test NAME` does not rebuild
/// examples, so all examples are (re)built once per test process with the README's
/// `--all-features`: a no-op when they are up to date.
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut command = Command::new(cargo);
        command.args(["build", "--all-features", "--examples"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            command.arg("--release");
        }
        let status = command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building the examples failed");
    });
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} not found", path.display());
    path
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---- A revocation store for the integration tests. ----

/// A revocation store whose backend can be switched off: it answers "not revoked"
/// after one pending poll (as a store doing I/O would), or fails while it is down.
pub struct FlakyStore {
    down: std::sync::atomic::AtomicBool,
}

impl FlakyStore {
    pub fn new() -> Self {
        Self {
            down: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
}

impl sessionlib::Revocation for FlakyStore {
    fn is_revoked<'a>(
        &'a self,
        _: &'a sessionlib::Session,
    ) -> sessionlib::revocation::BoxFuture<'a, Result<bool, sessionlib::RevocationError>> {
        let down = self.down.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            YieldOnce(false).await;
            if down {
                Err(sessionlib::RevocationError::unavailable())
            } else {
                Ok(false)
            }
        })
    }
}

/// A future that is pending once, then ready.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

// ---- A Redis server of its own (Debian's `redis-server`) on loopback. ----

/// The `redis-server` executable: `$REDIS_SERVER`, `/usr/bin/redis-server`, or one on
/// `PATH`; `None` (after printing why) when there is none outside CI. Under `CI=true`
/// a missing Redis fails the test instead (`.ci/run` installs it).
pub fn redis_server_binary() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("REDIS_SERVER").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/redis-server")),
        Some(PathBuf::from("redis-server")),
    ];
    for candidate in candidates.into_iter().flatten() {
        let ok = Command::new(&candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(candidate);
        }
    }
    let why = "redis-server is not installed; install Debian's package with \
               `apt-get install redis-server` (bash .ci/run does)";
    assert!(!in_ci(), "CI=true and {why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// A `redis-server` of the test's own on a free port of 127.0.0.1, with its data in a
/// fresh temporary directory, stopped (and the directory removed) when dropped.
///
/// Persistence: an append-only file written with `appendfsync always`, so every
/// acknowledged write survives a crash (`SIGKILL`) and a restart; no RDB snapshots.
pub struct RedisServer {
    binary: PathBuf,
    child: Option<Child>,
    dir: PathBuf,
    /// The port it listens on.
    pub port: u16,
    /// `redis://127.0.0.1:PORT/`.
    pub url: String,
}

impl RedisServer {
    /// Starts one, or returns `None` when Redis is not installed (see
    /// [`redis_server_binary`]).
    pub fn start() -> Option<RedisServer> {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let binary = redis_server_binary()?;
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "sessionlib-redis-{}-{n}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut server = RedisServer {
            binary,
            child: None,
            dir,
            port,
            url: format!("redis://127.0.0.1:{port}/"),
        };
        server.restart();
        Some(server)
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills it at once (`SIGKILL`, a crash: no shutdown save).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on the same port and data directory, and waits until it
    /// answers `PING` (after loading its append-only file).
    pub fn restart(&mut self) {
        self.kill();
        let dir = self.dir.to_str().unwrap().to_owned();
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--protected-mode", "yes"])
            .args(["--dir", &dir, "--logfile", "redis.log"])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(["--save", "", "--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                panic!("redis-server exited early: {status}\n{log}");
            }
            if self.command(&["PING"]).is_some_and(|r| r == "+PONG") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server did not answer PING on port {} within 20 s",
            self.port
        );
    }

    /// Sends one command and returns the first line of the answer (`+OK`, `:1`,
    /// `$5`, …), or `None` when it cannot be reached.
    pub fn command(&self, args: &[&str]) -> Option<String> {
        use std::io::{BufRead, BufReader, Write};
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).ok()?;
        Some(line.trim_end().to_owned())
    }

    /// The answer to `INFO section` as text.
    pub fn info(&self, section: &str) -> String {
        use std::io::{BufRead, BufReader, Read, Write};
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let request = format!("*2\r\n$4\r\nINFO\r\n${}\r\n{section}\r\n", section.len());
        stream.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let len: usize = header
            .trim_end()
            .strip_prefix('$')
            .unwrap()
            .parse()
            .unwrap();
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        String::from_utf8(body).unwrap()
    }

    /// The integer field `name` of `INFO section`.
    pub fn info_field(&self, section: &str, name: &str) -> u64 {
        let info = self.info(section);
        let prefix = format!("{name}:");
        info.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
