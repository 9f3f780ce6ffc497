//! The session registry ("your devices") through the axum integration, in-process:
//! what is recorded when, what leaves the list, and what a listed session's logout
//! does to its cookie.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use sessionlib::axum::{Session, SessionLayer};
use sessionlib::clock::ManualClock;
use sessionlib::revocation::BoxFuture;
use sessionlib::{
    CookieConfig, Key, Keyring, MemoryRevocation, Revocation, RevocationError, SessionConfig,
    SessionData, SessionEntry,
};
use time::{Duration, OffsetDateTime};
use tower::ServiceExt;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

/// The memory store, counting the registry writes it takes.
#[derive(Default)]
struct Counting {
    store: MemoryRevocation,
    records: AtomicUsize,
}

impl Revocation for Counting {
    fn is_revoked<'a>(
        &'a self,
        session: &'a SessionData,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        self.store.is_revoked(session)
    }

    fn revoke_user_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.store.revoke_user_until(user, until)
    }

    fn revoke_session_for<'a>(
        &'a self,
        user: Option<&'a str>,
        id: &'a str,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.store.revoke_session_for(user, id, ttl)
    }

    fn record_session<'a>(
        &'a self,
        entry: &'a SessionEntry,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<usize, RevocationError>> {
        self.records.fetch_add(1, Ordering::SeqCst);
        self.store.record_session(entry, ttl)
    }

    fn list_sessions<'a>(
        &'a self,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionEntry>, RevocationError>> {
        self.store.list_sessions(user)
    }

    fn forget_sessions<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.store.forget_sessions(user, ids)
    }
}

struct App {
    router: Router,
    config: SessionConfig,
    store: Arc<Counting>,
    clock: ManualClock,
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap()
}

fn app_with(limit: usize) -> App {
    let clock = ManualClock::new(t0());
    let store = Arc::new(Counting::default());
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[9; 32]).unwrap()))
        .clock(clock.clone())
        .try_build()
        .unwrap();
    let config = SessionConfig::builder(cookie)
        .idle_timeout(Duration::hours(1))
        .refresh_interval(Duration::minutes(5))
        .revocation(store.clone())
        .registry_limit(limit)
        .build();
    let router = Router::new()
        .route("/login/{user}", post(login))
        .route("/count", get(count))
        .route("/whoami", get(whoami))
        .route("/devices", get(devices))
        .route("/revoke/{id}", post(revoke))
        .route("/revoke-others", post(revoke_others))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .layer(SessionLayer::new(config.clone()).without_origin_guard());
    App {
        router,
        config,
        store,
        clock,
    }
}

fn app() -> App {
    app_with(50)
}

async fn login(
    session: Session,
    axum::extract::Path(user): axum::extract::Path<String>,
) -> &'static str {
    session.log_in(user);
    "welcome"
}

async fn count(session: Session) -> String {
    let n: u32 = session.get("n").unwrap_or(0) + 1;
    session.insert("n", &n).unwrap();
    n.to_string()
}

async fn whoami(session: Session) -> String {
    session.user_id().unwrap_or_else(|| "nobody".into())
}

/// One line per device: `id device [current]`.
async fn devices(session: Session) -> String {
    let current = session.id();
    session
        .list_sessions()
        .await
        .unwrap()
        .iter()
        .map(|e| {
            let mark = if Some(e.id()) == current.as_deref() {
                " current"
            } else {
                ""
            };
            format!("{} {}{mark}\n", e.id(), e.device())
        })
        .collect()
}

async fn revoke(session: Session, axum::extract::Path(id): axum::extract::Path<String>) -> String {
    session.revoke_session_id(&id).await.unwrap().to_string()
}

async fn revoke_others(session: Session) -> String {
    session.log_out_other_devices().await.unwrap().to_string()
}

async fn logout(session: Session) -> &'static str {
    session.clear();
    "bye"
}

async fn logout_everywhere(session: Session) -> &'static str {
    session.log_out_everywhere().await.unwrap();
    "bye"
}

/// A browser: its user agent and its cookie.
struct Device {
    agent: &'static str,
    cookie: Option<String>,
}

impl Device {
    fn new(agent: &'static str) -> Self {
        Self {
            agent,
            cookie: None,
        }
    }

    async fn send(&mut self, app: &App, method: &str, uri: &str) -> (StatusCode, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::USER_AGENT, self.agent);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response: Response<Body> = app
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            self.cookie = if set.contains("Max-Age=0") || set.contains("1970") {
                None
            } else {
                Some(set.split(';').next().unwrap().to_owned())
            };
        }
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn get(&mut self, app: &App, uri: &str) -> String {
        self.send(app, "GET", uri).await.1
    }

    async fn post(&mut self, app: &App, uri: &str) -> String {
        self.send(app, "POST", uri).await.1
    }
}

/// The ids listed for `user`, the most recently seen first.
async fn listed(app: &App, user: &str) -> Vec<String> {
    app.config
        .list_sessions(user)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id().to_owned())
        .collect()
}

async fn id_of(device: &mut Device, app: &App) -> String {
    let page = device.get(app, "/devices").await;
    page.lines()
        .find(|l| l.ends_with(" current"))
        .and_then(|l| l.split(' ').next())
        .expect("the current session is listed")
        .to_owned()
}

#[tokio::test]
async fn every_login_is_listed_newest_first_with_its_device() {
    let app = app();
    let mut laptop = Device::new(FIREFOX);
    let mut phone = Device::new(IPHONE);
    let mut tablet = Device::new(ANDROID);
    laptop.post(&app, "/login/cobra").await;
    app.clock.advance(Duration::seconds(10));
    phone.post(&app, "/login/cobra").await;
    app.clock.advance(Duration::seconds(10));
    tablet.post(&app, "/login/cobra").await;
    let page = phone.get(&app, "/devices").await;
    let lines: Vec<&str> = page.lines().collect();
    assert_eq!(lines.len(), 3, "{page}");
    assert!(lines[0].ends_with(" Chrome on Android"), "{page}");
    assert!(lines[1].ends_with(" Safari on iPhone current"), "{page}");
    assert!(lines[2].ends_with(" Firefox on Linux"), "{page}");
    let entries = app.config.list_sessions("cobra").await.unwrap();
    assert_eq!(entries[2].created_at(), t0());
    assert_eq!(entries[0].last_seen(), t0() + Duration::seconds(20));
    assert_eq!(
        entries[0].address(),
        None,
        "no address unless the application sets one"
    );
    // Another user's list is their own.
    assert!(listed(&app, "viper").await.is_empty());
    // An anonymous session is never listed.
    let mut anonymous = Device::new(FIREFOX);
    anonymous.get(&app, "/count").await;
    assert_eq!(app.store.records.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_registry_is_written_at_most_once_per_refresh_interval() {
    let app = app();
    let mut laptop = Device::new(FIREFOX);
    laptop.post(&app, "/login/cobra").await;
    assert_eq!(app.store.records.load(Ordering::SeqCst), 1);
    // A request every 30 s for 20 minutes, each one changing the session (so each
    // sends a cookie): the entry is refreshed once per 5-minute step, not per request.
    for _ in 0..40 {
        app.clock.advance(Duration::seconds(30));
        laptop.get(&app, "/count").await;
    }
    let records = app.store.records.load(Ordering::SeqCst);
    assert!(
        (4..=5).contains(&records),
        "{records} registry writes for 40 requests over 20 minutes"
    );
    // Reads that send no cookie never touch it.
    for _ in 0..10 {
        laptop.get(&app, "/whoami").await;
    }
    assert_eq!(app.store.records.load(Ordering::SeqCst), records);
    // And the entry says when it was last seen, within one step.
    let entry = &app.config.list_sessions("cobra").await.unwrap()[0];
    assert!(app.clock.now() - entry.last_seen() <= Duration::minutes(5));
}

#[tokio::test]
async fn revoking_one_device_ends_it_and_takes_it_off_the_list() {
    let app = app();
    let mut laptop = Device::new(FIREFOX);
    let mut phone = Device::new(IPHONE);
    laptop.post(&app, "/login/cobra").await;
    phone.post(&app, "/login/cobra").await;
    let phone_id = id_of(&mut phone, &app).await;
    let stolen_copy = phone.cookie.clone();
    assert_eq!(
        laptop.post(&app, &format!("/revoke/{phone_id}")).await,
        "true"
    );
    assert_eq!(phone.get(&app, "/whoami").await, "nobody");
    let mut thief = Device::new(ANDROID);
    thief.cookie = stolen_copy;
    assert_eq!(thief.get(&app, "/whoami").await, "nobody");
    assert_eq!(listed(&app, "cobra").await.len(), 1);
    assert_eq!(laptop.get(&app, "/whoami").await, "cobra");
    // Another user cannot end cobra's sessions by id.
    let laptop_id = id_of(&mut laptop, &app).await;
    let mut viper = Device::new(ANDROID);
    viper.post(&app, "/login/viper").await;
    assert_eq!(
        viper.post(&app, &format!("/revoke/{laptop_id}")).await,
        "false"
    );
    assert_eq!(laptop.get(&app, "/whoami").await, "cobra");
}

#[tokio::test]
async fn logging_out_other_devices_keeps_only_this_one() {
    let app = app();
    let mut devices: Vec<Device> = [FIREFOX, IPHONE, ANDROID, FIREFOX]
        .into_iter()
        .map(Device::new)
        .collect();
    for device in &mut devices {
        device.post(&app, "/login/cobra").await;
    }
    assert_eq!(listed(&app, "cobra").await.len(), 4);
    let (first, rest) = devices.split_first_mut().unwrap();
    assert_eq!(first.post(&app, "/revoke-others").await, "3");
    assert_eq!(first.get(&app, "/whoami").await, "cobra");
    for device in rest {
        assert_eq!(device.get(&app, "/whoami").await, "nobody");
    }
    let page = first.get(&app, "/devices").await;
    assert_eq!(page.lines().count(), 1);
    assert!(page.ends_with(" current\n"), "{page}");
}

#[tokio::test]
async fn a_logged_out_or_replaced_session_leaves_the_list_and_its_cookie_dies() {
    let app = app();
    let mut laptop = Device::new(FIREFOX);
    laptop.post(&app, "/login/cobra").await;
    let copy = laptop.cookie.clone();
    laptop.post(&app, "/logout").await;
    assert!(listed(&app, "cobra").await.is_empty());
    let mut thief = Device::new(ANDROID);
    thief.cookie = copy;
    assert_eq!(thief.get(&app, "/whoami").await, "nobody");

    // Another user logging in on the same browser: the first one's entry goes.
    laptop.post(&app, "/login/cobra").await;
    let cobra_copy = laptop.cookie.clone();
    laptop.post(&app, "/login/viper").await;
    assert!(listed(&app, "cobra").await.is_empty());
    assert_eq!(listed(&app, "viper").await.len(), 1);
    thief.cookie = cobra_copy;
    assert_eq!(thief.get(&app, "/whoami").await, "nobody");

    // Logging in again as the same user: one entry, under the new id.
    laptop.post(&app, "/login/viper").await;
    let ids = listed(&app, "viper").await;
    assert_eq!(ids, vec![id_of(&mut laptop, &app).await]);
}

#[tokio::test]
async fn log_out_everywhere_empties_the_list() {
    let app = app();
    let mut laptop = Device::new(FIREFOX);
    let mut phone = Device::new(IPHONE);
    laptop.post(&app, "/login/cobra").await;
    phone.post(&app, "/login/cobra").await;
    laptop.post(&app, "/logout-everywhere").await;
    assert!(listed(&app, "cobra").await.is_empty());
    assert_eq!(phone.get(&app, "/whoami").await, "nobody");
    // A later login is listed again.
    app.clock.advance(Duration::seconds(1));
    phone.post(&app, "/login/cobra").await;
    assert_eq!(listed(&app, "cobra").await.len(), 1);
}

#[tokio::test]
async fn past_the_limit_the_least_recently_seen_session_is_logged_out() {
    let app = app_with(2);
    let mut laptop = Device::new(FIREFOX);
    let mut phone = Device::new(IPHONE);
    let mut tablet = Device::new(ANDROID);
    laptop.post(&app, "/login/cobra").await;
    app.clock.advance(Duration::minutes(1));
    phone.post(&app, "/login/cobra").await;
    // The laptop is used again, after a refresh step: it is now the most recently seen.
    app.clock.advance(Duration::minutes(6));
    laptop.get(&app, "/count").await;
    app.clock.advance(Duration::minutes(1));
    tablet.post(&app, "/login/cobra").await;
    assert_eq!(listed(&app, "cobra").await.len(), 2);
    assert_eq!(phone.get(&app, "/whoami").await, "nobody");
    assert_eq!(laptop.get(&app, "/whoami").await, "cobra");
    assert_eq!(tablet.get(&app, "/whoami").await, "cobra");
}

#[tokio::test]
async fn entries_end_with_their_sessions() {
    let app = app();
    let mut laptop = Device::new(FIREFOX);
    laptop.post(&app, "/login/cobra").await;
    // Idle for longer than the idle timeout plus a refresh step: the session is over
    // and so is its entry.
    app.clock.advance(Duration::hours(1) + Duration::minutes(6));
    assert!(listed(&app, "cobra").await.is_empty());
    assert_eq!(laptop.get(&app, "/whoami").await, "nobody");
}

#[tokio::test]
async fn the_registry_needs_to_be_turned_on_and_a_store_that_keeps_it() {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[9; 32]).unwrap()))
        .try_build()
        .unwrap();
    let off = SessionConfig::builder(cookie.clone())
        .revocation(MemoryRevocation::new())
        .build();
    assert!(off
        .list_sessions("cobra")
        .await
        .unwrap_err()
        .is_not_configured());
    struct CheckOnly;
    impl Revocation for CheckOnly {
        fn is_revoked<'a>(
            &'a self,
            _: &'a SessionData,
        ) -> BoxFuture<'a, Result<bool, RevocationError>> {
            Box::pin(std::future::ready(Ok(false)))
        }
    }
    let unsupported = SessionConfig::builder(cookie)
        .revocation(CheckOnly)
        .registry(true)
        .build();
    assert!(unsupported
        .list_sessions("cobra")
        .await
        .unwrap_err()
        .is_unsupported());
    // A login still works: the registry write fails and is logged, the cookie is sent.
    let router = Router::new()
        .route("/login/{user}", post(login))
        .route("/whoami", get(whoami))
        .layer(SessionLayer::new(unsupported).without_origin_guard());
    let response = router
        .clone()
        .oneshot(Request::post("/login/cobra").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key(header::SET_COOKIE));
}

#[tokio::test]
async fn the_application_may_record_the_client_address() {
    let app = app();
    let router = Router::new()
        .route(
            "/login",
            post(|session: Session| async move {
                session.set_client_address("192.0.2.7");
                session.log_in("cobra");
            }),
        )
        .layer(SessionLayer::new(app.config.clone()).without_origin_guard());
    router
        .oneshot(Request::post("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let entries = app.config.list_sessions("cobra").await.unwrap();
    assert_eq!(entries[0].address(), Some("192.0.2.7"));
    assert_eq!(entries[0].device(), "Unknown device");
}
