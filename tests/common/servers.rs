//! Processes the tests start and stop on loopback: the example apps
//! (`examples/*.rs`) and a `redis-server` of the test's own.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::peers::redis_server_binary;

/// The example apps that the HTTP and browser tests start.
pub const EXAMPLES: [&str; 3] = ["axum", "actix_web", "rocket"];

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
            "SESSIONLIB_REGISTRY",
            "SESSIONLIB_REDIS_CLUSTER",
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
    /// Arguments beyond the common ones (cluster mode).
    extra: Vec<String>,
    /// The port it listens on.
    pub port: u16,
    /// `redis://127.0.0.1:PORT/`.
    pub url: String,
}

impl RedisServer {
    /// Starts one, or returns `None` when Redis is not installed (see
    /// [`redis_server_binary`]).
    pub fn start() -> Option<RedisServer> {
        Self::start_with(&[])
    }

    /// Starts one with `extra` arguments for `redis-server`.
    pub fn start_with(extra: &[&str]) -> Option<RedisServer> {
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
            extra: extra.iter().map(|&a| a.to_owned()).collect(),
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
            .args(&self.extra)
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
        self.text(&["INFO", section])
    }

    /// The bulk-string answer to a command (`INFO`, `CLUSTER NODES`, …) as text.
    pub fn text(&self, args: &[&str]) -> String {
        use std::io::{BufRead, BufReader, Read, Write};
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
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

/// A Redis Cluster on loopback: three masters with a replica each, six `redis-server`
/// processes in cluster mode (each on a free port, data in a temporary directory),
/// joined by `redis-cli --cluster create`. Stopped when dropped.
pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts one and waits until every node reports `cluster_state:ok`, or returns
    /// `None` when Redis is not installed (see [`redis_server_binary`]).
    pub fn start() -> Option<RedisCluster> {
        let args = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "1000",
            // Replicas sync at once (the default waits 5 s to gather replicas), so that
            // a replica can take over as soon as the cluster is up.
            "--repl-diskless-sync-delay",
            "0",
            // The other masters keep answering while one master's slots are being taken
            // over (the default refuses every query until all slots are covered).
            "--cluster-require-full-coverage",
            "no",
        ];
        let nodes = (0..6)
            .map(|_| RedisServer::start_with(&args))
            .collect::<Option<Vec<_>>>()?;
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let output = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli (Debian's redis-tools, installed with redis-server)");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        let cluster = RedisCluster { nodes };
        cluster.wait_until_ok();
        Some(cluster)
    }

    /// `redis://127.0.0.1:PORT` of every node (any of them is a seed).
    pub fn seeds(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// Waits until every running node reports `cluster_state:ok`, sees every master
    /// with a replica, and every replica has synced (20 s at most).
    pub fn wait_until_ok(&self) {
        let running = self.nodes.iter().filter(|n| n.is_running()).count();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let ok = self.nodes.iter().filter(|n| n.is_running()).all(|n| {
                let replicas = n
                    .text(&["CLUSTER", "NODES"])
                    .lines()
                    .filter(|l| {
                        l.split_whitespace()
                            .nth(2)
                            .is_some_and(|f| f.contains("slave"))
                    })
                    .count();
                // A replica can take over only once it has synced with its master.
                let info = n.info("replication");
                let synced = !info.contains("role:slave") || info.contains("master_link_status:up");
                n.text(&["CLUSTER", "INFO"]).contains("cluster_state:ok")
                    && replicas * 2 == running
                    && synced
            });
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the cluster did not reach cluster_state:ok within 20 s");
    }

    /// The index in `nodes` of the master that holds `key`'s slot, and of its replica
    /// (waiting up to 20 s for the cluster to show both).
    pub fn master_and_replica_of(&self, key: &str) -> (usize, usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(found) = self.find_master_and_replica(key) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no master with a replica for {key} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn find_master_and_replica(&self, key: &str) -> Option<(usize, usize)> {
        let any = self.nodes.iter().find(|n| n.is_running())?;
        let slot: u16 = any.command(&["CLUSTER", "KEYSLOT", key])?[1..]
            .parse()
            .ok()?;
        let table = any.text(&["CLUSTER", "NODES"]);
        let rows: Vec<Vec<&str>> = table
            .lines()
            .map(|l| l.split_whitespace().collect())
            .filter(|row: &Vec<&str>| row.len() >= 8)
            .collect();
        let port_of = |row: &Vec<&str>| -> Option<u16> {
            let address = row[1].split('@').next()?;
            address.rsplit(':').next()?.parse().ok()
        };
        let master = rows.iter().find(|row| {
            row[2].contains("master")
                && row[8..].iter().any(|range| {
                    let (start, end) = range.split_once('-').unwrap_or((range, range));
                    match (start.parse::<u16>(), end.parse::<u16>()) {
                        (Ok(start), Ok(end)) => (start..=end).contains(&slot),
                        _ => false,
                    }
                })
        })?;
        let replica = rows.iter().find(|row| row[3] == master[0])?;
        let index = |port: u16| self.nodes.iter().position(|n| n.port == port);
        Some((index(port_of(master)?)?, index(port_of(replica)?)?))
    }

    /// Promotes the replica of the master holding `key` (`CLUSTER FAILOVER` on the
    /// replica, a manual failover without data loss) and waits until it is the master.
    /// Returns the index of the new master.
    pub fn fail_over(&self, key: &str) -> usize {
        let (_, replica) = self.master_and_replica_of(key);
        assert_eq!(
            self.nodes[replica]
                .command(&["CLUSTER", "FAILOVER"])
                .as_deref(),
            Some("+OK")
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self
                .find_master_and_replica(key)
                .is_some_and(|(master, _)| master == replica)
            {
                self.wait_until_ok();
                return replica;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the replica was not promoted within 20 s");
    }
}
