//! `RedisRevocation` against a real Redis (Debian's `redis-server`, started by each
//! test on a free loopback port with its own data directory, and stopped after). Two
//! stores on one Redis stand for two servers of a fleet.
//!
//! Without `redis-server` these tests print SKIPPED and pass, except under `CI=true`,
//! where they fail (`.ci/run` installs it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sessionlib::redis::{RedisRevocation, RedisRevocationBuilder};
use sessionlib::{
    CookieConfig, Key, Keyring, Revocation, Session, SessionConfig, SessionData, SessionSource,
};

use crate::common::RedisServer;

/// A server of the fleet: its store and its sessions, all with the same key.
struct Node {
    store: Arc<RedisRevocation>,
    sessions: SessionConfig,
}

fn node(builder: RedisRevocationBuilder) -> Node {
    node_with(builder, None)
}

/// A server of the fleet with the session registry on, keeping at most `limit` sessions
/// per user.
fn registry_node(builder: RedisRevocationBuilder, limit: usize) -> Node {
    node_with(builder, Some(limit))
}

fn node_with(builder: RedisRevocationBuilder, registry: Option<usize>) -> Node {
    let store = Arc::new(builder.build());
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .try_build()
        .unwrap();
    let mut sessions = SessionConfig::builder(cookie)
        .absolute_lifetime(time::Duration::hours(2))
        .revocation(store.clone());
    if let Some(limit) = registry {
        sessions = sessions.registry_limit(limit);
    }
    Node {
        store,
        sessions: sessions.build(),
    }
}

/// A store on the local cluster, with a short per-call timeout.
fn on_cluster(cluster: &crate::common::RedisCluster) -> RedisRevocationBuilder {
    RedisRevocation::cluster_builder(cluster.seeds())
        .unwrap()
        .timeout(Duration::from_millis(500))
}

fn builder(redis: &RedisServer) -> RedisRevocationBuilder {
    RedisRevocation::builder(&redis.url).unwrap()
}

/// Logs `user` in on `node` and returns the `Cookie:` header of the new session.
fn log_in(node: &Node, user: &str) -> String {
    let mut s = node.sessions.load("");
    s.log_in(user);
    let u = node.sessions.save(&s).unwrap().unwrap();
    // Logins are stamped to the millisecond: keep them apart from revocations.
    std::thread::sleep(Duration::from_millis(2));
    format!("{}={}", u.cookie().name(), u.cookie().value())
}

async fn source(node: &Node, header: &str) -> SessionSource {
    node.sessions.load_async(header).await.source()
}

async fn loaded(node: &Node, header: &str) -> SessionData {
    let s = node.sessions.load_async(header).await;
    assert_eq!(s.source(), SessionSource::Cookie);
    s
}

#[tokio::test]
async fn revocations_reach_every_server() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = node(builder(&redis));
    let b = node(builder(&redis));

    // Log out everywhere on A: B refuses every earlier session of the user.
    let phone = log_in(&b, "cobra");
    let laptop = log_in(&a, "cobra");
    let other = log_in(&b, "viper");
    assert_eq!(source(&b, &phone).await, SessionSource::Cookie);
    a.sessions.revoke_user("cobra").await.unwrap();
    assert_eq!(source(&b, &phone).await, SessionSource::Revoked);
    assert_eq!(source(&b, &laptop).await, SessionSource::Revoked);
    assert_eq!(source(&a, &phone).await, SessionSource::Revoked);
    assert_eq!(source(&b, &other).await, SessionSource::Cookie);
    // A new login works at once (from the next millisecond, the resolution of login
    // times), and an older epoch does not move it back.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let again = log_in(&b, "cobra");
    assert_eq!(source(&a, &again).await, SessionSource::Cookie);
    a.store
        .revoke_user_until("cobra", time::OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(source(&a, &phone).await, SessionSource::Revoked);

    // Ban and unban.
    a.sessions.ban("viper").await.unwrap();
    assert!(b.store.is_banned("viper").await.unwrap());
    assert_eq!(source(&b, &other).await, SessionSource::Revoked);
    let during_ban = log_in(&b, "viper");
    assert_eq!(source(&b, &during_ban).await, SessionSource::Revoked);
    a.sessions.revoke_user("viper").await.unwrap();
    assert!(b.store.is_banned("viper").await.unwrap(), "still banned");
    b.sessions.unban("viper").await.unwrap();
    assert!(!a.store.is_banned("viper").await.unwrap());
    assert_eq!(source(&a, &other).await, SessionSource::Revoked);
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let after_ban = log_in(&a, "viper");
    assert_eq!(source(&b, &after_ban).await, SessionSource::Cookie);

    // One session: its id is denied on every server, the user's others are not.
    let stolen = log_in(&a, "asp");
    let kept = log_in(&a, "asp");
    let session = loaded(&b, &stolen).await;
    assert!(b.sessions.revoke_session(&session).await.unwrap());
    assert!(a
        .store
        .is_session_revoked(Some("asp"), session.id().unwrap())
        .await
        .unwrap());
    assert_eq!(source(&a, &stolen).await, SessionSource::Revoked);
    assert_eq!(source(&a, &kept).await, SessionSource::Cookie);
    // The entry expires by itself when no cookie of the session can be valid: TTL =
    // creation + the longest lifetime (2 h) + the margin (0 here) - now.
    let key = format!("sessionlib:{{u:asp}}:s:{}", session.id().unwrap());
    let pttl: i64 = redis.command(&["PTTL", &key]).unwrap()[1..]
        .parse()
        .unwrap();
    let expected = (session.created_at().unwrap() + time::Duration::hours(2)
        - time::OffsetDateTime::now_utc())
    .whole_milliseconds() as i64;
    assert!(
        (expected - 5_000..=expected + 100).contains(&pttl),
        "PTTL {pttl}, expected about {expected}"
    );
    // Nothing to revoke in a session that never came from a cookie.
    assert!(!a
        .sessions
        .revoke_session(&SessionData::new())
        .await
        .unwrap());

    // Key prefixes keep apps apart.
    let c = node(builder(&redis).key_prefix("other-app:"));
    let early = log_in(&c, "cobra");
    a.sessions.revoke_user("cobra").await.unwrap();
    assert_eq!(source(&c, &early).await, SessionSource::Cookie);
}

#[tokio::test]
async fn one_round_trip_per_check() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = node(builder(&redis));
    let anonymous = {
        let mut s = a.sessions.load("");
        s.insert("n", &1).unwrap();
        let u = a.sessions.save(&s).unwrap().unwrap();
        format!("{}={}", u.cookie().name(), u.cookie().value())
    };
    let user = log_in(&a, "cobra");
    // Warm the connection (its handshake is not a check).
    assert_eq!(source(&a, &user).await, SessionSource::Cookie);
    let mget = || -> u64 {
        let stats = redis.info("commandstats");
        stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_mget:calls="))
            .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
    };
    let total = || redis.info_field("stats", "total_commands_processed");
    // Each INFO counts itself: measure what two INFOs in a row count.
    let (t0, t1) = (total(), total());
    let info_cost = t1 - t0;
    let (m0, t0) = (mget(), total());
    for _ in 0..10 {
        assert_eq!(source(&a, &user).await, SessionSource::Cookie);
        assert_eq!(source(&a, &anonymous).await, SessionSource::Cookie);
    }
    let (t1, m1) = (total(), mget());
    let commands = t1 - t0 - info_cost;
    println!("20 checks: {commands} Redis commands, {} MGET", m1 - m0);
    assert_eq!(m1 - m0, 20, "one MGET per check");
    assert_eq!(commands, 20, "nothing but the MGETs");
}

#[tokio::test]
async fn the_local_cache_bounds_staleness() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let bound = Duration::from_millis(400);
    let a = node(builder(&redis).cache_ttl(bound));
    let b = node(builder(&redis).cache_ttl(bound));
    let header = log_in(&a, "cobra");
    assert_eq!(source(&a, &header).await, SessionSource::Cookie);
    assert_eq!(source(&b, &header).await, SessionSource::Cookie);
    // Revoked through B: B sees it at once, A within the bound.
    let revoked_at = Instant::now();
    b.sessions.revoke_user("cobra").await.unwrap();
    assert_eq!(source(&b, &header).await, SessionSource::Revoked);
    let seen = loop {
        if source(&a, &header).await == SessionSource::Revoked {
            break revoked_at.elapsed();
        }
        assert!(
            revoked_at.elapsed() < bound + Duration::from_millis(200),
            "A still accepts the session {:?} after the revocation",
            revoked_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    println!("cache bound {bound:?}: the other server saw the revocation after {seen:?}");
    assert!(seen <= bound + Duration::from_millis(100), "{seen:?}");
}

#[tokio::test]
async fn fail_closed_by_default_keeps_cookies_and_recovers() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(200);
    let a = node(builder(&redis).timeout(timeout));
    let header = log_in(&a, "cobra");
    let revoked = log_in(&a, "viper");
    a.sessions.revoke_user("viper").await.unwrap();
    assert_eq!(source(&a, &header).await, SessionSource::Cookie);

    redis.kill();
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let s = a.sessions.load_async(&header).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(s.source(), SessionSource::RevocationUnavailable);
        assert!(s.user_id().is_none(), "no session while Redis is down");
        // The cookie is kept: no removal cookie.
        assert!(a.sessions.save(&s).unwrap().is_none());
        let error = a.store.is_revoked(&loaded_unchecked(&header)).await;
        let text = format!("{:?}", error.unwrap_err());
        assert!(
            !text.contains("cobra") && !text.contains(&header[8..20]),
            "{text}"
        );
    }
    println!("Redis down, fail closed: slowest check {slowest:?} (timeout {timeout:?})");
    assert!(
        slowest < timeout + Duration::from_millis(150),
        "{slowest:?}"
    );
    // Writes fail too, within the timeout, with a clear error.
    let started = Instant::now();
    assert!(a.sessions.revoke_user("asp").await.is_err());
    assert!(started.elapsed() < timeout + Duration::from_millis(150));

    // Back: the same cookie is accepted again, and the revocation made before the
    // outage survived the crash (append-only file, fsync on every write).
    redis.restart();
    let back = Instant::now();
    loop {
        if source(&a, &header).await == SessionSource::Cookie {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "no recovery in 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("Redis back: service resumed after {:?}", back.elapsed());
    assert_eq!(source(&a, &revoked).await, SessionSource::Revoked);
}

/// The session in `header` as the store is asked about it (before the check).
fn loaded_unchecked(header: &str) -> SessionData {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .try_build()
        .unwrap();
    let s = SessionConfig::builder(cookie).build().load(header);
    assert_eq!(s.source(), SessionSource::Cookie);
    s
}

#[tokio::test]
async fn fail_open_lasts_at_most_its_bound() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let bound = Duration::from_millis(800);
    let a = node(
        builder(&redis)
            .timeout(Duration::from_millis(100))
            .fail_open_for(bound),
    );
    let header = log_in(&a, "cobra");
    assert_eq!(source(&a, &header).await, SessionSource::Cookie);
    redis.kill();
    let down = Instant::now();
    let (mut open, mut closed) = (0, 0);
    let mut last_open = Duration::ZERO;
    while down.elapsed() < bound + Duration::from_millis(600) {
        let asked = down.elapsed();
        let answer = source(&a, &header).await;
        // The outage's age is taken when the check has failed (after up to the
        // timeout), and the outage starts at the first failure, after `down`.
        let answered = down.elapsed();
        match answer {
            SessionSource::Cookie => {
                open += 1;
                last_open = asked;
            }
            SessionSource::RevocationUnavailable => {
                closed += 1;
                assert!(
                    answered >= bound,
                    "closed at {answered:?}, before the bound"
                );
            }
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    println!(
        "fail open for {bound:?}: {open} requests accepted (the last {last_open:?} into \
         the outage), {closed} refused after it"
    );
    assert!(open > 0 && closed > 0);
    assert!(last_open < bound);
    redis.restart();
    let back = Instant::now();
    while source(&a, &header).await != SessionSource::Cookie {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "no recovery in 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Once Redis has answered steadily for the bound, the outage is over, and a new
    // outage gets the whole bound again.
    tokio::time::sleep(bound).await;
    assert_eq!(source(&a, &header).await, SessionSource::Cookie);
    redis.kill();
    assert_eq!(source(&a, &header).await, SessionSource::Cookie);
}

#[tokio::test]
async fn a_redis_that_never_answers_is_bounded_by_the_timeout() {
    // A listener that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _accept = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16) {
            held.push(stream);
        }
    });
    let timeout = Duration::from_millis(150);
    let a = node(
        RedisRevocation::builder(&format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .timeout(timeout),
    );
    let header = log_in(&a, "cobra");
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(
            source(&a, &header).await,
            SessionSource::RevocationUnavailable
        );
        let took = started.elapsed();
        assert!(took < timeout + Duration::from_millis(150), "{took:?}");
    }
}

/// A configuration on `store` with its own clock and leeway, and a 30-day "remember me".
fn fleet_node(
    store: Arc<RedisRevocation>,
    clock: impl sessionlib::clock::Clock,
    leeway: time::Duration,
) -> SessionConfig {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(clock)
        .leeway(leeway)
        .try_build()
        .unwrap();
    SessionConfig::builder(cookie)
        .absolute_lifetime(time::Duration::hours(2))
        .max_lifetime(time::Duration::days(30))
        .revocation(store)
        .build()
}

fn log_in_on(sessions: &SessionConfig, user: &str) -> String {
    let mut s = sessions.load("");
    s.log_in(user);
    let u = sessions.save(&s).unwrap().unwrap();
    format!("{}={}", u.cookie().name(), u.cookie().value())
}

/// Second review, item 3, against Redis: a login stamped by a server 2 s ahead half a
/// second before "log out everywhere" on another server is refused everywhere (leeway
/// and margin 4 s); a login beyond the margin is kept.
#[tokio::test]
async fn log_out_everywhere_covers_a_server_whose_clock_runs_ahead() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = Arc::new(builder(&redis).build());
    let clock = sessionlib::clock::ManualClock::new(time::OffsetDateTime::now_utc());
    let ahead = {
        let clock = clock.clone();
        move || clock.now() + time::Duration::seconds(2)
    };
    let leeway = time::Duration::seconds(4);
    let a = fleet_node(store.clone(), ahead, leeway);
    let b = fleet_node(store.clone(), clock.clone(), leeway);
    let thief = log_in_on(&a, "cobra");
    clock.advance(time::Duration::milliseconds(500));
    b.revoke_user("cobra").await.unwrap();
    for node in [&a, &b] {
        assert_eq!(
            node.load_async(&thief).await.source(),
            SessionSource::Revoked
        );
    }
    clock.advance(time::Duration::seconds(5));
    let later = log_in_on(&a, "cobra");
    for node in [&a, &b] {
        assert_eq!(
            node.load_async(&later).await.source(),
            SessionSource::Cookie
        );
    }
}

/// Second review, item 6, against Redis: the deny-list entry of a revoked session
/// lasts as long as its longest possible copy (creation + the 30-day maximum
/// lifetime + the margin), not the deadline of the copy used to revoke it.
#[tokio::test]
async fn a_revoked_sessions_entry_outlasts_every_copy_of_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = Arc::new(builder(&redis).build());
    let clock = sessionlib::clock::ManualClock::new(time::OffsetDateTime::now_utc());
    let margin = time::Duration::seconds(4);
    let sessions = fleet_node(store, clock.clone(), margin);
    let short = log_in_on(&sessions, "cobra");
    let mut s = sessions.load_async(&short).await;
    s.set_lifetime(time::Duration::days(30)).unwrap();
    let u = sessions.save(&s).unwrap().unwrap();
    let long = format!("{}={}", u.cookie().name(), u.cookie().value());
    let copy = sessions.load_async(&short).await;
    assert!(sessions.revoke_session(&copy).await.unwrap());
    let key = format!("sessionlib:{{u:cobra}}:s:{}", copy.id().unwrap());
    let pttl: i64 = redis.command(&["PTTL", &key]).unwrap()[1..]
        .parse()
        .unwrap();
    let expected = (time::Duration::days(30) + margin).whole_milliseconds() as i64;
    assert!(
        (expected - 5_000..=expected).contains(&pttl),
        "PTTL {pttl}, expected about {expected}"
    );
    // Past the short copy's deadline (2 h) plus a minute, the long copy is refused.
    clock.advance(time::Duration::hours(2) + time::Duration::seconds(65));
    assert_eq!(
        sessions.load_async(&long).await.source(),
        SessionSource::Revoked
    );
    // A second revocation through a shorter copy never shortens the entry.
    let store = RedisRevocation::builder(&redis.url).unwrap().build();
    store
        .revoke_session_for(Some("cobra"), copy.id().unwrap(), Duration::from_secs(1))
        .await
        .unwrap();
    let again: i64 = redis.command(&["PTTL", &key]).unwrap()[1..]
        .parse()
        .unwrap();
    assert!(again > expected - 10_000, "PTTL {again}");
}

/// Second review, item 4: any answer from Redis ended the "outage", so a Redis that
/// paused on and off gave a new fail-open allowance after every pause, and a banned
/// session was accepted again and again. Redis pauses 300 ms about every 460 ms for
/// 6 s (`CLIENT PAUSE`); revoked sessions may be accepted unchecked for at most the
/// bound (1 s) in all.
#[tokio::test]
async fn fail_open_is_bounded_when_redis_fails_on_and_off() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let redis = Arc::new(redis);
    let bound = Duration::from_secs(1);
    let a = node(
        builder(&redis)
            .timeout(Duration::from_millis(100))
            .fail_open_for(bound),
    );
    let banned = log_in(&a, "viper");
    a.sessions.ban("viper").await.unwrap();
    assert_eq!(source(&a, &banned).await, SessionSource::Revoked);

    let flapping = Duration::from_secs(6);
    let flapper = {
        let redis = redis.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut pauses = 0;
            while started.elapsed() < flapping {
                assert_eq!(
                    redis.command(&["CLIENT", "PAUSE", "300", "ALL"]).as_deref(),
                    Some("+OK")
                );
                pauses += 1;
                std::thread::sleep(Duration::from_millis(460));
            }
            pauses
        })
    };
    let started = Instant::now();
    let mut first_failure = None;
    let (mut accepted, mut refused, mut unavailable) = (Vec::new(), 0, 0);
    while started.elapsed() < flapping {
        let asked = started.elapsed();
        match source(&a, &banned).await {
            SessionSource::Cookie => {
                first_failure.get_or_insert(asked);
                accepted.push(asked);
            }
            SessionSource::RevocationUnavailable => {
                first_failure.get_or_insert(asked);
                unavailable += 1;
            }
            SessionSource::Revoked => refused += 1,
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pauses = flapper.join().unwrap();
    println!(
        "{pauses} pauses in {flapping:?}: the banned session was accepted {} times, \
         refused {refused} times, unavailable {unavailable} times",
        accepted.len()
    );
    let first_failure = first_failure.expect("the pauses made checks fail");
    assert!(refused > 0, "Redis answered in between");
    let last = accepted.last().copied().unwrap_or(first_failure);
    assert!(
        last < first_failure + bound,
        "accepted {:?} after the first failure, past the {bound:?} bound",
        last - first_failure
    );
    // After the bound, failed checks fail closed.
    assert!(unavailable > 0);
}

/// The store on a Redis Cluster (three masters with a replica each, on loopback):
/// revocations reach every server, a check is one `MGET` to the one node holding the
/// user's slot, and both survive a manual failover of that node.
#[tokio::test]
// The guard keeps the other heavy tests (browsers, fleets) from running beside these six
// processes; this test's runtime is its own thread, so holding it across awaits blocks
// nothing here.
#[allow(clippy::await_holding_lock)]
async fn revocations_work_on_a_cluster_and_survive_a_failover() {
    let _one = crate::common::one_at_a_time();
    let Some(cluster) = crate::common::RedisCluster::start() else {
        return;
    };
    let (a, b) = (node(on_cluster(&cluster)), node(on_cluster(&cluster)));
    let phone = log_in(&a, "cobra");
    let laptop = log_in(&b, "cobra");
    let other = log_in(&b, "viper");
    assert_eq!(source(&b, &phone).await, SessionSource::Cookie);
    a.sessions.revoke_user("cobra").await.unwrap();
    assert_eq!(source(&b, &phone).await, SessionSource::Revoked);
    assert_eq!(source(&a, &laptop).await, SessionSource::Revoked);
    assert_eq!(source(&a, &other).await, SessionSource::Cookie);
    // One session of viper, and a ban of asp.
    let stolen = log_in(&a, "viper");
    let session = loaded(&b, &stolen).await;
    assert!(b.sessions.revoke_session(&session).await.unwrap());
    assert_eq!(source(&a, &stolen).await, SessionSource::Revoked);
    assert_eq!(source(&a, &other).await, SessionSource::Cookie);
    let asp = log_in(&a, "asp");
    b.sessions.ban("asp").await.unwrap();
    assert_eq!(source(&a, &asp).await, SessionSource::Revoked);

    // A check of viper's session is one MGET, on the node that holds viper's slot.
    let (master, _) = cluster.master_and_replica_of("sessionlib:{u:viper}");
    let mgets = |i: usize| -> u64 {
        cluster.nodes[i]
            .info("commandstats")
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_mget:calls="))
            .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
    };
    let before: Vec<u64> = (0..6).map(mgets).collect();
    for _ in 0..5 {
        assert_eq!(source(&a, &other).await, SessionSource::Cookie);
    }
    let after: Vec<u64> = (0..6).map(mgets).collect();
    for i in 0..6 {
        let expected = if i == master { 5 } else { 0 };
        assert_eq!(after[i] - before[i], expected, "node {i}");
    }

    // Fail over the node holding cobra's keys: the revocation made before it holds,
    // and new revocations work, on both servers.
    let (old_master, _) = cluster.master_and_replica_of("sessionlib:{u:cobra}");
    let promoted = cluster.fail_over("sessionlib:{u:cobra}");
    assert_ne!(promoted, old_master);
    let started = Instant::now();
    let mut refused_during = 0;
    loop {
        match source(&b, &phone).await {
            SessionSource::Revoked => break,
            SessionSource::RevocationUnavailable => refused_during += 1,
            other => panic!("{other:?} after the failover"),
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no recovery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fresh = log_in(&a, "cobra");
    assert_eq!(source(&b, &fresh).await, SessionSource::Cookie);
    tokio::time::sleep(Duration::from_millis(3)).await;
    a.sessions.revoke_user("cobra").await.unwrap();
    assert_eq!(source(&b, &fresh).await, SessionSource::Revoked);
    println!(
        "cluster: failover of the master holding cobra's slot: {refused_during} checks \
         unavailable, back after {:?}; revocations before and after it hold",
        started.elapsed()
    );
}

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

/// Logs `user` in on `node` from a browser with this `User-Agent`, as an integration
/// does (save, then the registry), and returns the `Cookie:` header of the session.
async fn log_in_from(node: &Node, user: &str, user_agent: &str) -> String {
    let session = Session::for_request(
        node.sessions.load(""),
        node.sessions.clone(),
        Some(user_agent.as_bytes()),
    );
    session.log_in(user);
    let update = session.save().unwrap().unwrap();
    session.update_registry().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2)).await;
    format!("{}={}", update.cookie().name(), update.cookie().value())
}

/// The session id of the session behind a `Cookie:` header.
async fn id_of(node: &Node, header: &str) -> String {
    loaded(node, header).await.id().unwrap().to_owned()
}

/// The ids a user's registry lists on `node`, checking that the list is ordered by
/// last seen, newest first.
async fn listed(node: &Node, user: &str) -> Vec<String> {
    let entries = node.sessions.list_sessions(user).await.unwrap();
    assert!(entries
        .windows(2)
        .all(|pair| pair[0].last_seen() >= pair[1].last_seen()));
    let mut ids: Vec<String> = entries.iter().map(|e| e.id().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// The registry on one Redis shared by two servers: what one records the other lists,
/// a logout from one device is refused on the other server, "log out other devices"
/// keeps only the current one, entries carry a TTL, and past the limit the least
/// recently seen session is logged out.
#[tokio::test]
async fn the_registry_lists_and_ends_sessions_across_servers() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, b) = (
        registry_node(builder(&redis), 3),
        registry_node(builder(&redis), 3),
    );
    let phone = log_in_from(&a, "cobra", IPHONE).await;
    let laptop = log_in_from(&b, "cobra", FIREFOX).await;
    let tablet = log_in_from(&a, "cobra", ANDROID).await;
    let viper = log_in_from(&b, "viper", WINDOWS).await;
    let (phone_id, laptop_id, tablet_id) = (
        id_of(&a, &phone).await,
        id_of(&a, &laptop).await,
        id_of(&a, &tablet).await,
    );

    // What A and B recorded, B lists, with the devices.
    assert_eq!(
        listed(&b, "cobra").await,
        sorted(vec![phone_id.clone(), laptop_id.clone(), tablet_id.clone()])
    );
    let mut devices: Vec<String> = b
        .sessions
        .list_sessions("cobra")
        .await
        .unwrap()
        .iter()
        .map(|e| e.device().to_owned())
        .collect();
    devices.sort();
    assert_eq!(
        devices,
        ["Chrome on Android", "Firefox on Linux", "Safari on iPhone"]
    );
    assert_eq!(listed(&a, "viper").await.len(), 1);

    // One hash per user, in the user's slot, expiring with its sessions (2 h here,
    // plus the refresh step and the revocation margin).
    let key = "sessionlib:{u:cobra}:r";
    assert_eq!(redis.command(&["HLEN", key]).as_deref(), Some(":3"));
    let pttl: u64 = redis.command(&["PTTL", key]).unwrap()[1..].parse().unwrap();
    assert!(pttl > 3_600_000 && pttl < 3 * 3_600_000, "PTTL {pttl}");

    // Log out the phone from B: refused on A at its next request, off the list. Only
    // the user's own ids can be revoked this way.
    assert!(b
        .sessions
        .revoke_session_id("cobra", &phone_id)
        .await
        .unwrap());
    assert_eq!(source(&a, &phone).await, SessionSource::Revoked);
    assert_eq!(source(&a, &laptop).await, SessionSource::Cookie);
    assert_eq!(
        listed(&a, "cobra").await,
        sorted(vec![laptop_id.clone(), tablet_id.clone()])
    );
    let viper_id = id_of(&a, &viper).await;
    assert!(!b
        .sessions
        .revoke_session_id("cobra", &viper_id)
        .await
        .unwrap());
    assert!(!b
        .sessions
        .revoke_session_id("cobra", "no-such-id")
        .await
        .unwrap());
    assert_eq!(source(&a, &viper).await, SessionSource::Cookie);

    // "Log out other devices" from the laptop, on A: the tablet ends, the laptop stays.
    let current = Session::for_request(
        a.sessions.load_async(&laptop).await,
        a.sessions.clone(),
        Some(FIREFOX.as_bytes()),
    );
    assert_eq!(current.log_out_other_devices().await.unwrap(), 1);
    assert_eq!(source(&b, &tablet).await, SessionSource::Revoked);
    assert_eq!(source(&b, &laptop).await, SessionSource::Cookie);
    assert_eq!(listed(&b, "cobra").await, vec![laptop_id.clone()]);

    // The bound: a fourth active session logs out the least recently seen one (the
    // laptop's entry was written first; a second apart so that "last seen" differs).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut newer = Vec::new();
    for device in [IPHONE, ANDROID, WINDOWS] {
        newer.push(log_in_from(&b, "cobra", device).await);
    }
    assert_eq!(source(&a, &laptop).await, SessionSource::Revoked);
    let mut newer_ids = Vec::new();
    for header in &newer {
        newer_ids.push(id_of(&a, header).await);
    }
    assert_eq!(listed(&a, "cobra").await, sorted(newer_ids));

    // Log out everywhere empties the list; viper's is untouched.
    a.sessions.revoke_user("cobra").await.unwrap();
    assert!(listed(&b, "cobra").await.is_empty());
    assert_eq!(listed(&b, "viper").await, vec![viper_id]);
    for header in &newer {
        assert_eq!(source(&b, header).await, SessionSource::Revoked);
    }
}

/// The registry on a Redis Cluster: a user's hash lives in the user's slot, beside
/// the user's revocation keys, and no entry is lost when the master holding it fails
/// over to its replica.
#[tokio::test]
#[allow(clippy::await_holding_lock)] // as in the cluster test above
async fn the_registry_works_on_a_cluster_and_survives_a_failover() {
    let _one = crate::common::one_at_a_time();
    let Some(cluster) = crate::common::RedisCluster::start() else {
        return;
    };
    let (a, b) = (
        registry_node(on_cluster(&cluster), 50),
        registry_node(on_cluster(&cluster), 50),
    );
    let mut devices = Vec::new();
    for (i, device) in [IPHONE, FIREFOX, ANDROID, WINDOWS].into_iter().enumerate() {
        let node = if i % 2 == 0 { &a } else { &b };
        devices.push(log_in_from(node, "cobra", device).await);
    }
    let mut ids = Vec::new();
    for header in &devices {
        ids.push(id_of(&a, header).await);
    }
    assert_eq!(listed(&b, "cobra").await, sorted(ids.clone()));
    let (master, _) = cluster.master_and_replica_of("sessionlib:{u:cobra}");
    assert_eq!(
        cluster.nodes[master]
            .command(&["HLEN", "sessionlib:{u:cobra}:r"])
            .as_deref(),
        Some(":4")
    );

    // Fail over the master holding cobra's slot; count the lists that fail meanwhile.
    let promoted = cluster.fail_over("sessionlib:{u:cobra}");
    assert_ne!(promoted, master);
    let started = Instant::now();
    let mut failed_during = 0;
    let after = loop {
        match b.sessions.list_sessions("cobra").await {
            Ok(entries) => break entries,
            Err(_) => failed_during += 1,
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no recovery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut after: Vec<String> = after.iter().map(|e| e.id().to_owned()).collect();
    after.sort();
    assert_eq!(after, sorted(ids.clone()), "entries lost in the failover");

    // Revoking one device and the others works after it, across servers.
    assert!(a
        .sessions
        .revoke_session_id("cobra", &ids[0])
        .await
        .unwrap());
    assert_eq!(source(&b, &devices[0]).await, SessionSource::Revoked);
    let current = Session::for_request(
        b.sessions.load_async(&devices[1]).await,
        b.sessions.clone(),
        Some(FIREFOX.as_bytes()),
    );
    assert_eq!(current.log_out_other_devices().await.unwrap(), 2);
    for header in [&devices[2], &devices[3]] {
        assert_eq!(source(&a, header).await, SessionSource::Revoked);
    }
    assert_eq!(listed(&a, "cobra").await, vec![ids[1].clone()]);
    println!(
        "cluster registry: failover of the master holding cobra's slot: {failed_during} \
         lists failed, back after {:?}; entries lost: 0 of 4",
        started.elapsed()
    );
}
