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
        let exe = example_binary(name);
        let mut command = Command::new(&exe);
        for var in [
            "SESSIONLIB_SECRET_KEY",
            "SESSIONLIB_FALLBACK_KEY",
            "SESSIONLIB_DEV",
            "SESSIONLIB_TTL_SECONDS",
            "SESSIONLIB_SEALED",
        ] {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        Server::spawn(command, name)
    }

    /// Runs `command` with `PORT` set to a free port, output discarded, and waits
    /// until it listens on 127.0.0.1.
    pub fn spawn(mut command: Command, name: &'static str) -> Server {
        let port = free_port();
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
