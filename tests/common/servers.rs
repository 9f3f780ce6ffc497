//! Processes the tests start and stop on loopback: the example apps
//! (`examples/*.rs`) and a `redis-server` of the test's own.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::peers::redis_server_binary;

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

/// One heavy test at a time in the whole test binary: a browser (a few processes) or a
/// fleet (four processes and 50 users). CI machines have two cores, and libtest runs
/// two tests at once there.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---- A Redis server of its own (Debian's `redis-server`) on loopback. ----

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
