//! The peers some tests need: a Python with given packages, Node with the pinned
//! packages of `tests/interop/package.json`, Chromium with its
//! WebDriver, and `redis-server`. Each finder returns `None` after printing
//! `SKIPPED: why` when the peer is missing, except under `CI=true`, where a missing
//! peer fails the test (`.ci/run` installs them all).

use std::path::PathBuf;
use std::process::Command;

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

/// Chromium and chromedriver (`$CHROMIUM`, `$CHROMEDRIVER`, or Debian's paths under
/// `/usr/bin`), or `None` (after printing why) when they are missing outside CI.
pub fn browser_paths() -> Option<(PathBuf, PathBuf)> {
    let path = |var: &str, default: &str| {
        PathBuf::from(std::env::var_os(var).unwrap_or_else(|| default.into()))
    };
    let chromium = path("CHROMIUM", "/usr/bin/chromium");
    let driver = path("CHROMEDRIVER", "/usr/bin/chromedriver");
    let missing: Vec<String> = [&chromium, &driver]
        .iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some((chromium, driver));
    }
    let why = format!(
        "{} not found; install Debian's chromium and chromium-driver \
         (`apt-get install chromium chromium-driver`) to run the browser tests",
        missing.join(" and ")
    );
    assert!(!in_ci(), "CI=true and {why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// The directory of the Node peers, `tests/interop`, whose `package.json` pins them.
pub const NODE_INTEROP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop");

/// A `node` command (`$NODE` or `node`) run in `tests/interop`, where `npm ci` has
/// installed the pinned packages of `package.json` (iron-session, iron-webcrypto,
/// @hapi/iron, h3); `None` (after printing why) when node or a package is missing
/// outside CI. Under `CI=true` that fails the test instead (`.ci/run` runs `npm ci`).
pub fn node_with_packages() -> Option<Command> {
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let dir = std::path::Path::new(NODE_INTEROP_DIR);
    let node_ok = Command::new(&node)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = ["iron-session", "iron-webcrypto", "@hapi/iron", "h3"]
        .into_iter()
        .filter(|p| {
            !dir.join("node_modules")
                .join(p)
                .join("package.json")
                .is_file()
        })
        .collect();
    if node_ok && missing.is_empty() {
        let mut command = Command::new(node);
        command.current_dir(dir);
        return Some(command);
    }
    let why = if node_ok {
        format!(
            "the Node packages {missing:?} are not installed; run `npm ci` in tests/interop \
             (bash .ci/run does)"
        )
    } else {
        format!("{node} is not installed (Node 20 or later is needed for the Iron peers)")
    };
    assert!(!in_ci(), "CI=true and {why}");
    eprintln!("SKIPPED: {why}");
    None
}
