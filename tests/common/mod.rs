//! Helpers shared by integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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

/// A free TCP port on 127.0.0.1 (free when asked; a server binds it right after).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
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
