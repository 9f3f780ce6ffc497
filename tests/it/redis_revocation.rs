//! `RedisRevocation` against a real Redis (Debian's `redis-server`, started by each
//! test on a free loopback port with its own data directory, and stopped after). Two
//! stores on one Redis stand for two servers of a fleet.
//!
//! Without `redis-server` these tests print SKIPPED and pass, except under `CI=true`,
//! where they fail (`.ci/run` installs it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sessionlib::redis::{RedisRevocation, RedisRevocationBuilder};
use sessionlib::{CookieConfig, Key, Keyring, Revocation, Session, SessionConfig, SessionSource};

use crate::common::RedisServer;

/// A server of the fleet: its store and its sessions, all with the same key.
struct Node {
    store: Arc<RedisRevocation>,
    sessions: SessionConfig,
}

fn node(builder: RedisRevocationBuilder) -> Node {
    let store = Arc::new(builder.build());
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .try_build()
        .unwrap();
    let sessions = SessionConfig::builder(cookie)
        .absolute_lifetime(time::Duration::hours(2))
        .revocation(store.clone())
        .build();
    Node { store, sessions }
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

async fn loaded(node: &Node, header: &str) -> Session {
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
        .is_session_revoked(session.id().unwrap())
        .await
        .unwrap());
    assert_eq!(source(&a, &stolen).await, SessionSource::Revoked);
    assert_eq!(source(&a, &kept).await, SessionSource::Cookie);
    // The entry expires by itself when no cookie of the session can be valid: TTL =
    // creation + the longest lifetime (2 h) + the margin (0 here) - now.
    let key = format!("sessionlib:s:{}", session.id().unwrap());
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
    assert!(!a.sessions.revoke_session(&Session::new()).await.unwrap());

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
fn loaded_unchecked(header: &str) -> Session {
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
    let key = format!("sessionlib:s:{}", copy.id().unwrap());
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
        .revoke_session_for(copy.id().unwrap(), Duration::from_secs(1))
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
