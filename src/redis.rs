//! A [`Revocation`] store in Redis, shared by a fleet of servers (feature `redis`).
//!
//! [`RedisRevocation`] keeps the operations of
//! [`MemoryRevocation`](crate::MemoryRevocation) in Redis so that every server sees
//! them. Call them through the session configuration, which reads its clock and
//! margin ([`crate::revocation`]):
//!
//! - **log out everywhere** ([`SessionConfig::revoke_user`](crate::SessionConfig::revoke_user)):
//!   a per-user epoch; every session of the user logged in at or before it is refused;
//! - **ban** ([`SessionConfig::ban`](crate::SessionConfig::ban),
//!   [`SessionConfig::unban`](crate::SessionConfig::unban));
//! - **revoke one session**
//!   ([`SessionConfig::revoke_session`](crate::SessionConfig::revoke_session)): a
//!   per-session deny list keyed by the [session id](crate::SessionData::id), each entry
//!   with a Redis TTL of as long as any cookie of the session can be valid, so entries
//!   expire by themselves.
//!
//! # Keys
//!
//! With the default prefix `sessionlib:`, a user's state is the string
//! `sessionlib:{u:<user>}` (the epoch in Unix milliseconds, or `banned`), a revoked
//! session of that user is `sessionlib:{u:<user>}:s:<id>`, and a revoked session
//! without a user is `sessionlib:s:<id>`. The braces are a Redis Cluster hash tag: all
//! keys of one user are in one slot, on one node. User keys have no TTL: like the
//! in-memory store, Redis holds one key per user ever revoked or banned.
//!
//! # Redis Cluster
//!
//! [`RedisRevocation::cluster_builder`] takes one or more nodes of a cluster instead of
//! one URL; everything else is the same. A check is still one `MGET` to the one node
//! that holds the user's slot, and the client follows the slots when they move, so a
//! failover (a replica promoted with `CLUSTER FAILOVER`, or after its master dies) is
//! seen as an outage of at most the time the cluster takes to promote the replica:
//! checks fail (closed, or open within the bound) and then go to the new master.
//!
//! # Per request
//!
//! One round trip at most: a single `MGET` of the user key and the session key (none
//! for a session with neither a user nor an id). With a
//! [local cache](RedisRevocationBuilder::cache_ttl), answers are reused for that long:
//! a revocation made on another server is seen at most `cache_ttl` late (revocations
//! made through the same `RedisRevocation` are seen at once). Every call, the
//! revocation operations included, is bounded by the
//! [timeout](RedisRevocationBuilder::timeout): none waits longer, whatever Redis does.
//!
//! # When Redis cannot answer
//!
//! Choose per app ([`RedisRevocationBuilder::fail_open_for`]):
//!
//! - **fail closed** (the default): [`Revocation::is_revoked`] returns `Err`; the
//!   request gets no session (source
//!   [`RevocationUnavailable`](crate::SessionSource::RevocationUnavailable)) and its
//!   cookie is kept, so users are logged in again as soon as Redis answers;
//! - **fail open for at most a bound**: while the outage is younger than the bound,
//!   sessions are accepted without the check (`Ok(false)`: a revoked session is
//!   accepted too); after it, as fail closed.
//!
//! The outage starts at the first failed call and ends only once Redis has answered
//! every call for a steady period as long as the bound. A Redis that fails on and off
//! is one outage: calls it answers in between are checked as usual, but no failure
//! starts a new allowance, so revoked sessions are accepted unchecked for at most the
//! bound in all until Redis has been steady for that long again. The connection is
//! re-established in the background, so the store recovers by itself when Redis is
//! back. Failures are logged with `tracing` (the start and the end of an outage), with
//! no key, user or session data.
//!
//! Revocations and bans are as durable as Redis makes them: with the default
//! snapshotting, a crash can lose the last writes; configure `appendonly yes` (and
//! `appendfsync always` or `everysec`) to keep them.
//!
//! # Runtime
//!
//! The store runs on tokio (it needs a runtime with timers, as `#[tokio::main]`,
//! axum and actix-web have); outside one it answers `Err`. It connects on first use:
//! building it needs no Redis.
//!
//! ```no_run
//! use sessionlib::redis::RedisRevocation;
//! use sessionlib::{CookieConfig, Key, Keyring, SessionConfig};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let revocations = RedisRevocation::builder("redis://127.0.0.1:6379/")?
//!     .timeout(std::time::Duration::from_millis(200))
//!     .cache_ttl(std::time::Duration::from_millis(500))
//!     .build();
//! let cookie = CookieConfig::builder(Keyring::new(Key::generate())).try_build()?;
//! let sessions = SessionConfig::builder(cookie)
//!     .revocation(revocations)
//!     .build();
//! // "Log out everywhere", on every server of the fleet:
//! sessions.revoke_user("cobra").await?;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::{ClusterClient, ClusterClientBuilder};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Client, ConnectionInfo, IntoConnectionInfo, RedisError, RedisFuture};
use time::OffsetDateTime;

use crate::clock::unix_millis;
use crate::data::{SessionData, SessionEntry};
use crate::revocation::{user_revokes, BoxFuture, Revocation, RevocationError, UserState};

/// The per-call timeout used when none is set: 250 milliseconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// The key prefix used when none is set.
pub const DEFAULT_KEY_PREFIX: &str = "sessionlib:";

/// The most entries the local cache holds; it is emptied when full.
const CACHE_CAPACITY: usize = 100_000;

/// The longest TTL written: a century, in milliseconds.
const MAX_TTL_MS: u128 = 100 * 365 * 86_400 * 1000;

/// The value of a banned user's key.
const BANNED: &str = "banned";

/// Raises a user's epoch to ARGV[1] unless the user is banned.
const REVOKE_USER_SCRIPT: &str = "local v = redis.call('GET', KEYS[1]) \
    if v == 'banned' then return 0 end \
    if (not v) or (tonumber(v) or 0) < tonumber(ARGV[1]) then \
    redis.call('SET', KEYS[1], ARGV[1]) end return 1";

/// Replaces a ban by the epoch ARGV[1]; leaves any other state alone.
const UNBAN_SCRIPT: &str = "if redis.call('GET', KEYS[1]) == 'banned' then \
    redis.call('SET', KEYS[1], ARGV[1]) return 1 end return 0";

/// Sets a session's deny-list entry with a TTL of ARGV[1] milliseconds, unless it
/// already has a longer one (or none: `PTTL` -1).
const REVOKE_SESSION_SCRIPT: &str = "local t = redis.call('PTTL', KEYS[1]) \
    if t == -1 then return 0 end \
    if t < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], 1, 'PX', ARGV[1]) end \
    return 1";

/// Records a registry entry: sets field ARGV[1] of the user's registry hash to
/// ARGV[2], makes the hash live at least ARGV[3] milliseconds, and returns how many
/// entries it holds.
const RECORD_SCRIPT: &str = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) \
    if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then \
    redis.call('PEXPIRE', KEYS[1], ARGV[3]) end \
    return redis.call('HLEN', KEYS[1])";

/// A [`Revocation`] store in Redis; see the [module docs](self).
pub struct RedisRevocation {
    target: Target,
    connection: Mutex<Option<Connection>>,
    prefix: String,
    timeout: Duration,
    cache_ttl: Duration,
    fail_open_for: Duration,
    cache: Mutex<HashMap<String, (Option<String>, Instant)>>,
    outage: Mutex<Option<Outage>>,
}

/// An outage of Redis: from the first failed call until Redis has answered every call
/// for a steady period (the fail-open bound), so that a Redis failing on and off is
/// one outage, not many.
#[derive(Debug, Clone, Copy)]
struct Outage {
    since: Instant,
    last_failure: Instant,
}

impl fmt::Debug for RedisRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client holds the URL, which may hold a password: not shown.
        f.debug_struct("RedisRevocation")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field("fail_open_for", &self.fail_open_for)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`RedisRevocation`]; made by [`RedisRevocation::builder`].
#[must_use]
pub struct RedisRevocationBuilder {
    target: Seeds,
    prefix: String,
    timeout: Duration,
    cache_ttl: Duration,
    fail_open_for: Duration,
}

impl fmt::Debug for RedisRevocationBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocationBuilder")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field("fail_open_for", &self.fail_open_for)
            .finish_non_exhaustive()
    }
}

impl RedisRevocationBuilder {
    /// The longest any call may take, connecting included; a call that takes longer
    /// fails (see "When Redis cannot answer" in the module docs). Values below one
    /// millisecond count as one millisecond.
    ///
    /// Defaults to [`DEFAULT_TIMEOUT`] (250 milliseconds).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long an answer from Redis is reused by this process: the staleness bound.
    /// A revocation made on another server takes effect here at most this much later.
    /// Zero turns the cache off.
    ///
    /// Defaults to zero (every check asks Redis).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Fail open for at most `bound`: while Redis has been failing for less than
    /// `bound`, sessions are accepted without the revocation check; after that, and
    /// with a zero bound, the check fails (fail closed: the request gets no session,
    /// the cookie is kept). An outage ends only after Redis has answered every call
    /// for `bound` in a row, so a Redis that fails on and off gets one allowance, not
    /// one per failure (see "When Redis cannot answer" in the module docs).
    ///
    /// Defaults to zero (fail closed).
    pub fn fail_open_for(mut self, bound: Duration) -> Self {
        self.fail_open_for = bound;
        self
    }

    /// The prefix of every key the store writes, to share one Redis database between
    /// apps.
    ///
    /// Defaults to [`DEFAULT_KEY_PREFIX`] (`sessionlib:`).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Builds the store. It connects on first use.
    pub fn build(self) -> RedisRevocation {
        let target = match self.target {
            Seeds::Single(client) => {
                // Reconnect quickly after an outage: a few attempts at most 500 ms
                // apart, each bounded by the timeout; a failed round is started again
                // by the next call.
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(2)
                    .set_min_delay(Duration::from_millis(20))
                    .set_max_delay(Duration::from_millis(500));
                Target::Single(client, config)
            }
            Seeds::Cluster(nodes, checked) => {
                let client = ClusterClientBuilder::new(nodes)
                    .connection_timeout(self.timeout)
                    .response_timeout(self.timeout)
                    .retries(2)
                    .build()
                    // The same nodes built a client when the builder was made.
                    .unwrap_or(*checked);
                Target::Cluster(client)
            }
        };
        RedisRevocation {
            target,
            connection: Mutex::new(None),
            prefix: self.prefix,
            timeout: self.timeout,
            cache_ttl: self.cache_ttl,
            fail_open_for: self.fail_open_for,
            cache: Mutex::new(HashMap::new()),
            outage: Mutex::new(None),
        }
    }
}

/// Where the store connects, as the builder holds it.
enum Seeds {
    Single(Client),
    /// The seed nodes, and a client made from them with the default settings.
    Cluster(Vec<ConnectionInfo>, Box<ClusterClient>),
}

/// Where the store connects.
enum Target {
    Single(Client, ConnectionManagerConfig),
    Cluster(ClusterClient),
}

/// A connection to one Redis (reconnecting by itself) or to a Redis Cluster (following
/// its slots as they move).
#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a ::redis::Cmd,
    ) -> RedisFuture<'a, ::redis::Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a ::redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<::redis::Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(cmd, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

/// Why a call to Redis failed. The `Display` texts are fixed; they never hold a key,
/// a user name or the URL.
#[derive(Debug)]
enum Failure {
    Url,
    NoRuntime,
    Timeout,
    Redis(RedisError),
    UnexpectedValue,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Failure::Url => "invalid Redis URL",
            Failure::NoRuntime => "no tokio runtime to talk to Redis on",
            Failure::Timeout => "Redis did not answer within the timeout",
            Failure::Redis(_) => "Redis failed",
            Failure::UnexpectedValue => "Redis holds a value this store did not write",
        })
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Redis(e) => Some(e),
            _ => None,
        }
    }
}

impl RedisRevocation {
    /// Starts a store on the Redis at `url` (`redis://[:password@]host:port/db`, or
    /// `unix:///path`). Fails only when the URL is invalid (the error does not repeat
    /// it); no connection is made yet.
    pub fn builder(url: &str) -> Result<RedisRevocationBuilder, RevocationError> {
        let client = Client::open(url).map_err(|_| RevocationError::new(Failure::Url))?;
        Ok(Self::with_seeds(Seeds::Single(client)))
    }

    /// Starts a store on a Redis Cluster, from one or more of its nodes
    /// (`redis://host:port`; the others are found from them). Every key of one user
    /// is in one hash slot, so a check stays one round trip to one node; the client
    /// follows slots when they move (a failover, a resharding). Fails only when a URL
    /// is invalid or there is none; no connection is made yet.
    pub fn cluster_builder<S: AsRef<str>>(
        nodes: impl IntoIterator<Item = S>,
    ) -> Result<RedisRevocationBuilder, RevocationError> {
        let nodes = nodes
            .into_iter()
            .map(|url| url.as_ref().into_connection_info())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| RevocationError::new(Failure::Url))?;
        let checked =
            ClusterClient::new(nodes.clone()).map_err(|_| RevocationError::new(Failure::Url))?;
        Ok(Self::with_seeds(Seeds::Cluster(nodes, Box::new(checked))))
    }

    fn with_seeds(target: Seeds) -> RedisRevocationBuilder {
        RedisRevocationBuilder {
            target,
            prefix: DEFAULT_KEY_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            cache_ttl: Duration::ZERO,
            fail_open_for: Duration::ZERO,
        }
    }

    /// Whether `user` is banned (asks Redis, not the cache).
    pub async fn is_banned(&self, user: &str) -> Result<bool, RevocationError> {
        let key = self.user_key(user);
        let mut get = ::redis::cmd("GET");
        get.arg(&key);
        let value = self
            .call(|mut c| async move { get.query_async::<Option<String>>(&mut c).await })
            .await
            .map_err(RevocationError::new)?;
        Ok(value.as_deref() == Some(BANNED))
    }

    /// Whether the session with this id is revoked (asks Redis, not the cache).
    pub async fn is_session_revoked(
        &self,
        user: Option<&str>,
        id: &str,
    ) -> Result<bool, RevocationError> {
        let mut exists = ::redis::cmd("EXISTS");
        exists.arg(self.session_key(user, id));
        let n = self
            .call(|mut c| async move { exists.query_async::<i64>(&mut c).await })
            .await
            .map_err(RevocationError::new)?;
        Ok(n > 0)
    }

    /// A user's state: `PREFIX{u:USER}`. The braces are a Redis Cluster hash tag, so
    /// the user's keys share one slot.
    fn user_key(&self, user: &str) -> String {
        format!("{}{{u:{user}}}", self.prefix)
    }

    /// A revoked session: `PREFIX{u:USER}:s:ID` beside its user's state, or
    /// `PREFIXs:ID` for a session without a user.
    fn session_key(&self, user: Option<&str>, id: &str) -> String {
        match user {
            Some(user) => format!("{}{{u:{user}}}:s:{id}", self.prefix),
            None => format!("{}s:{id}", self.prefix),
        }
    }

    /// A user's session registry: the hash `PREFIX{u:USER}:r`, one field per session
    /// id, in the user's slot.
    fn registry_key(&self, user: &str) -> String {
        format!("{}{{u:{user}}}:r", self.prefix)
    }

    /// Runs one of the store's Lua scripts on `key` with one argument, as a write.
    async fn eval(
        &self,
        script: &str,
        key: String,
        arg: impl ::redis::ToRedisArgs + Send,
    ) -> Result<(), RevocationError> {
        let mut eval = ::redis::cmd("EVAL");
        eval.arg(script).arg(1).arg(&key).arg(arg);
        self.write(&key, |mut c| async move {
            eval.query_async::<i64>(&mut c).await.map(drop)
        })
        .await
    }

    /// Runs a write, then forgets the key's cached value. Writes never fail open.
    async fn write<F, Fut>(&self, key: &str, f: F) -> Result<(), RevocationError>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = Result<(), RedisError>>,
    {
        let result = self.call(f).await;
        self.cache_lock().remove(key);
        result.map_err(RevocationError::new)
    }

    /// Runs `f` on the connection within the timeout, and keeps track of outages.
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, Failure>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let result = self.call_inner(f).await;
        match &result {
            Ok(_) => self.note_success(),
            Err(failure) => {
                self.note_failure(failure);
            }
        }
        result
    }

    async fn call_inner<T, F, Fut>(&self, f: F) -> Result<T, Failure>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        // tokio's timer panics outside a runtime: answer an error instead.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Failure::NoRuntime);
        }
        let attempt = async {
            let connection = self.connection().await?;
            f(connection).await.map_err(|e| {
                if e.is_timeout() {
                    Failure::Timeout
                } else {
                    Failure::Redis(e)
                }
            })
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }

    /// The connection, made on first use (inside the runtime: it starts a task). One
    /// Redis: a connection manager that connects lazily and reconnects by itself. A
    /// cluster: a cluster connection, made when first asked for (within the timeout).
    async fn connection(&self) -> Result<Connection, Failure> {
        if let Some(connection) = self.connection_lock().clone() {
            return Ok(connection);
        }
        let connection = match &self.target {
            Target::Single(client, config) => Connection::Single(
                ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
                    .map_err(Failure::Redis)?,
            ),
            Target::Cluster(client) => Connection::Cluster(
                client
                    .get_async_connection()
                    .await
                    .map_err(Failure::Redis)?,
            ),
        };
        // Two first calls at once may both make one; the first stored wins.
        Ok(self.connection_lock().get_or_insert(connection).clone())
    }

    fn connection_lock(&self) -> std::sync::MutexGuard<'_, Option<Connection>> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the outage once Redis has answered steadily: no failure for as long as
    /// the fail-open bound.
    fn note_success(&self) {
        let mut outage = self.outage_lock();
        if let Some(current) = *outage {
            if current.last_failure.elapsed() >= self.fail_open_for {
                *outage = None;
                tracing::warn!(
                    outage_ms = current.since.elapsed().as_millis() as u64,
                    "sessionlib: Redis revocation store answers again"
                );
            }
        }
    }

    /// Records a failure, starting an outage if there is none.
    fn note_failure(&self, failure: &Failure) {
        let now = Instant::now();
        let mut outage = self.outage_lock();
        match &mut *outage {
            Some(current) => current.last_failure = now,
            None => {
                *outage = Some(Outage {
                    since: now,
                    last_failure: now,
                });
                tracing::error!(
                    error = %failure,
                    cause = ?std::error::Error::source(failure).map(ToString::to_string),
                    fail_open_ms = self.fail_open_for.as_millis() as u64,
                    "sessionlib: Redis revocation store unavailable"
                );
            }
        }
    }

    fn outage_lock(&self) -> std::sync::MutexGuard<'_, Option<Outage>> {
        self.outage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cache_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<String>, Instant)>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The values of `keys`, from the cache when fresh, otherwise with one `MGET`.
    async fn values(&self, keys: &[String]) -> Result<Vec<Option<String>>, Failure> {
        if !self.cache_ttl.is_zero() {
            let cache = self.cache_lock();
            let cached: Option<Vec<Option<String>>> = keys
                .iter()
                .map(|k| {
                    cache
                        .get(k)
                        .filter(|(_, at)| at.elapsed() < self.cache_ttl)
                        .map(|(v, _)| v.clone())
                })
                .collect();
            if let Some(values) = cached {
                return Ok(values);
            }
        }
        let asked = Instant::now();
        let mut mget = ::redis::cmd("MGET");
        for key in keys {
            mget.arg(key);
        }
        let values = self
            .call(|mut c| async move { mget.query_async::<Vec<Option<String>>>(&mut c).await })
            .await?;
        if values.len() != keys.len() {
            return Err(Failure::UnexpectedValue);
        }
        if !self.cache_ttl.is_zero() {
            let mut cache = self.cache_lock();
            if cache.len() + keys.len() > CACHE_CAPACITY {
                cache.clear();
            }
            for (key, value) in keys.iter().zip(&values) {
                // Timed from the question, so an entry is never older than the bound.
                cache.insert(key.clone(), (value.clone(), asked));
            }
        }
        Ok(values)
    }

    async fn check(&self, session: &SessionData) -> Result<bool, Failure> {
        let user = session.user_id();
        let id = session.id();
        let mut keys = Vec::with_capacity(2);
        if let Some(user) = user {
            keys.push(self.user_key(user));
        }
        if let Some(id) = id {
            keys.push(self.session_key(user, id));
        }
        if keys.is_empty() {
            return Ok(false);
        }
        let values = self.values(&keys).await?;
        let mut values = values.into_iter();
        let user_state = match user {
            None => None,
            Some(_) => match values.next().flatten() {
                None => None,
                Some(v) if v == BANNED => Some(UserState::Banned),
                Some(v) => Some(UserState::RevokedUntil(
                    v.parse().map_err(|_| Failure::UnexpectedValue)?,
                )),
            },
        };
        let session_revoked = id.is_some() && values.next().flatten().is_some();
        Ok(session_revoked || user_revokes(user_state, session))
    }
}

impl Revocation for RedisRevocation {
    fn is_revoked<'a>(
        &'a self,
        session: &'a SessionData,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(async move {
            match self.check(session).await {
                Ok(revoked) => Ok(revoked),
                // Redis answered, with something this store did not write: never open.
                Err(failure @ Failure::UnexpectedValue) => Err(RevocationError::new(failure)),
                Err(failure) => {
                    let outage = self.outage_duration();
                    if outage < self.fail_open_for {
                        Ok(false)
                    } else {
                        Err(RevocationError::new(failure))
                    }
                }
            }
        })
    }

    /// Raises the user's epoch to `until` (it only moves forward; a ban stays), on
    /// every server.
    fn revoke_user_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            self.eval(REVOKE_USER_SCRIPT, self.user_key(user), unix_millis(until))
                .await
        })
    }

    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            let key = self.user_key(user);
            let mut set = ::redis::cmd("SET");
            set.arg(&key).arg(BANNED);
            self.write(
                &key,
                |mut c| async move { set.query_async::<()>(&mut c).await },
            )
            .await
        })
    }

    fn unban_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            self.eval(UNBAN_SCRIPT, self.user_key(user), unix_millis(until))
                .await
        })
    }

    /// A deny-list entry with a Redis TTL of `ttl` (at least one millisecond). A later
    /// call for the same id never shortens it.
    fn revoke_session_for<'a>(
        &'a self,
        user: Option<&'a str>,
        id: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            self.eval(
                REVOKE_SESSION_SCRIPT,
                self.session_key(user, id),
                ttl_millis(ttl),
            )
            .await
        })
    }

    /// Writes the entry into the user's registry hash, whose TTL is raised to `ttl`
    /// when shorter: one round trip.
    fn record_session<'a>(
        &'a self,
        entry: &'a SessionEntry,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<usize, RevocationError>> {
        Box::pin(async move {
            let mut eval = ::redis::cmd("EVAL");
            eval.arg(RECORD_SCRIPT)
                .arg(1)
                .arg(self.registry_key(entry.user()))
                .arg(entry.id())
                .arg(entry.to_json())
                .arg(ttl_millis(ttl));
            let count = self
                .call(|mut c| async move { eval.query_async::<u64>(&mut c).await })
                .await
                .map_err(RevocationError::new)?;
            Ok(usize::try_from(count).unwrap_or(usize::MAX))
        })
    }

    /// The user's registry hash, with one `HGETALL`. An entry this store did not
    /// write is an error.
    fn list_sessions<'a>(
        &'a self,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionEntry>, RevocationError>> {
        Box::pin(async move {
            let mut hgetall = ::redis::cmd("HGETALL");
            hgetall.arg(self.registry_key(user));
            let fields =
                self.call(|mut c| async move {
                    hgetall.query_async::<Vec<(String, String)>>(&mut c).await
                })
                .await
                .map_err(RevocationError::new)?;
            fields
                .iter()
                .map(|(id, json)| {
                    SessionEntry::from_json(json)
                        .filter(|entry| entry.id() == id && entry.user() == user)
                        .ok_or_else(|| RevocationError::new(Failure::UnexpectedValue))
                })
                .collect()
        })
    }

    fn forget_sessions<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(());
            }
            let mut hdel = ::redis::cmd("HDEL");
            hdel.arg(self.registry_key(user)).arg(ids);
            self.call(|mut c| async move { hdel.query_async::<i64>(&mut c).await.map(drop) })
                .await
                .map_err(RevocationError::new)
        })
    }
}

/// A TTL in milliseconds for Redis: at least one, at most a century (Redis refuses
/// TTLs past its clock's range).
fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis().clamp(1, MAX_TTL_MS)).unwrap_or(1)
}

impl RedisRevocation {
    /// How long the current outage has lasted (zero when there is none).
    fn outage_duration(&self) -> Duration {
        self.outage_lock()
            .map_or(Duration::ZERO, |outage| outage.since.elapsed())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_bad_url_is_a_clear_error_that_does_not_repeat_it() {
        let error = RedisRevocation::builder("http://user:hunter2@example/").unwrap_err();
        assert_eq!(error.to_string(), "the revocation store could not answer");
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert_eq!(source, "invalid Redis URL");
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[test]
    fn debug_does_not_show_the_url() {
        let store = RedisRevocation::builder("redis://:hunter2@127.0.0.1:1/")
            .unwrap()
            .build();
        assert!(!format!("{store:?}").contains("hunter2"));
    }

    #[test]
    fn outside_a_runtime_the_check_fails_without_panicking() {
        use crate::{CookieConfig, Key, Keyring, SessionConfig, SessionSource};
        let store = RedisRevocation::builder("redis://127.0.0.1:1/")
            .unwrap()
            .build();
        let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[9; 32]).unwrap()))
            .clock(crate::clock::testing::clock)
            .try_build()
            .unwrap();
        let sessions = SessionConfig::builder(cookie).revocation(store).build();
        let mut s = sessions.load("");
        s.log_in("cobra");
        let u = sessions.save(&s).unwrap().unwrap();
        // The synchronous load polls once, outside any runtime.
        let s = sessions.load(format!("{}={}", u.cookie().name(), u.cookie().value()));
        assert_eq!(s.source(), SessionSource::RevocationUnavailable);
    }
}
