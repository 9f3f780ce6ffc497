//! The framework integrations, each driven in-process (tower's `oneshot`,
//! `actix_web::test`, Rocket's local client): what every handler can rely on, written
//! once over [`Driver`] and run for every framework (`integration::axum::…`,
//! `integration::actix::…`, `integration::rocket::…`, the same test names).
//!
//! Each framework serves the same routes ([`ROUTES`]) with handlers that do the same
//! thing; a scenario sends requests and reads status, headers and body.

use std::future::Future;
use std::sync::{Arc, Mutex};

use sessionlib::{
    CookieConfig, Key, Keyring, MemoryRevocation, Session, SessionConfig, SessionConfigBuilder,
};

use crate::common::FlakyStore;

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "rocket")]
mod rocket;

pub const NAME: &str = "__Host-s";

/// The routes every driver serves, as `METHOD path: what the handler does`.
#[allow(dead_code)]
pub const ROUTES: &[&str] = &[
    "GET /count, POST /change, GET /change: add one to `visits`, answer `visit #N`",
    "GET /read: `{visits:?}:{source:?}`",
    "POST /login: log in as cobra; `logged in`, or `refused` (and clear) if revoked",
    "POST /go: flash `saved before the redirect`, 303 to /",
    "POST /fail: insert `attempts`, answer 422",
    "GET /: the flashes' messages joined with `,`",
    "GET /huge: insert 6000 bytes of `secret-data-`, answer `handler output`",
    "GET /public: insert `x`, answer with `Cache-Control: public, max-age=60`",
    "GET /public-read: /read with `Cache-Control: public, max-age=60`",
    "GET /keep: insert user alice, put a clone of the handle into the app's `Kept`",
    "GET /user: `{user:?}` (the string under `user`)",
    "POST /grow, POST /shrink, GET /pad: a 7000-letter `pad`, a 5-letter one, `{len}:{source:?}`",
    "POST /login/<user>, POST /promote, GET /me: log in, role admin, `{user_id:?}:{role:?}:{id}`",
    "POST /cart: the typed `Cart`, add `itemN`, answer the items joined with `,`",
    "GET /set-cart: insert 42 under `cart`",
    "POST /everywhere: `log_out_everywhere`, `done` or the error's text",
];

/// The same-origin guard a test app gets.
#[derive(Clone, Copy)]
pub enum Guard {
    /// `new(config)` alone: the default guard.
    Default,
    /// `.origin_guard(OriginGuard::new().trust("https://admin.example"))`.
    TrustAdmin,
    /// `.without_origin_guard()`.
    Off,
}

/// Where `GET /keep` leaves its handle.
pub type Kept = Arc<Mutex<Option<Session>>>;

/// A request: method, path and headers.
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Req {
    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    pub fn new(method: &'static str, path: &str) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn cookie(self, cookie: Option<&str>) -> Self {
        match cookie {
            Some(c) => self.header("cookie", c),
            None => self,
        }
    }
}

/// A response: status, headers (names in lower case) and body.
pub struct Res {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Res {
    /// Every value of header `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.all(name).first().copied()
    }

    /// The `name=value` pair of the response's (first) session cookie.
    pub fn cookie_pair(&self) -> Option<String> {
        let set = self.header("set-cookie")?;
        Some(set.split(';').next().unwrap().to_owned())
    }

    pub fn set_cookies(&self) -> usize {
        self.all("set-cookie").len()
    }

    /// Every `Set-Cookie` as (name, value, is a removal).
    pub fn all_set_cookies(&self) -> Vec<(String, String, bool)> {
        self.all("set-cookie")
            .into_iter()
            .map(|text| {
                assert!(text.len() <= 4096);
                let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
                (name.into(), value.into(), text.contains("Max-Age=0"))
            })
            .collect()
    }
}

/// One framework, serving [`ROUTES`] behind its integration.
pub trait Driver: Sized {
    /// The integration's type, as the `Session` guard's missing-integration answer
    /// names it.
    const INTEGRATION: &'static str;

    /// An app with the integration configured with `sessions` and `guard`.
    fn app(sessions: SessionConfig, guard: Guard, kept: Kept) -> impl Future<Output = Self>;

    /// Sends `request` to the app.
    fn send(&self, request: Req) -> impl Future<Output = Res>;

    /// `GET /read` on an app without the integration: the status it got (`None` when
    /// the app refused to start) and the text that names the missing integration.
    fn without_integration() -> impl Future<Output = (Option<u16>, String)>;
}

pub fn sessions() -> SessionConfig {
    sessions_with(|b| b)
}

pub fn sessions_with(
    f: impl FnOnce(SessionConfigBuilder) -> SessionConfigBuilder,
) -> SessionConfig {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .name(NAME)
        .try_build()
        .unwrap();
    f(SessionConfig::builder(cookie)).build()
}

fn chunked_sessions() -> SessionConfig {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .name(NAME)
        .max_chunks(4)
        .try_build()
        .unwrap();
    SessionConfig::builder(cookie).build()
}

/// `len` letters that do not compress away.
pub fn noise(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7919 + i / 26) % 26) as u8))
        .collect()
}

/// The shared handlers' text, so that the three frameworks answer alike.
pub mod say {
    use sessionlib::Session;

    pub fn count(session: &Session) -> String {
        let visits: u32 = session.get("visits").unwrap_or(0);
        session.insert("visits", &(visits + 1)).unwrap();
        format!("visit #{}", visits + 1)
    }

    pub fn read(session: &Session) -> String {
        format!("{:?}:{:?}", session.get::<u32>("visits"), session.source())
    }

    pub async fn login(session: &Session) -> String {
        session.log_in("cobra");
        match session.is_revoked().await {
            Ok(false) => "logged in".into(),
            _ => {
                session.clear();
                "refused".into()
            }
        }
    }

    pub fn flashes(session: &Session) -> String {
        let f = session.take_flashes();
        f.iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn huge(session: &Session) -> &'static str {
        session.insert("blob", &"secret-data-".repeat(500)).unwrap();
        "handler output"
    }

    pub fn keep(session: &Session, kept: &super::Kept) -> &'static str {
        session.insert("user", "alice").unwrap();
        kept.lock().unwrap().replace(session.clone());
        "kept"
    }

    pub fn user(session: &Session) -> String {
        format!("{:?}", session.get::<String>("user"))
    }

    pub fn grow(session: &Session) -> &'static str {
        session.insert("pad", &super::noise(7_000)).unwrap();
        "grown"
    }

    pub fn shrink(session: &Session) -> &'static str {
        session.insert("pad", "small").unwrap();
        "shrunk"
    }

    pub fn pad(session: &Session) -> String {
        let pad: Option<String> = session.get("pad");
        format!("{}:{:?}", pad.map_or(0, |p| p.len()), session.source())
    }

    pub fn me(session: &Session) -> String {
        format!(
            "{:?}:{:?}:{}",
            session.user_id(),
            session.get::<String>("role"),
            session.id().unwrap_or_default()
        )
    }

    pub fn add_to_cart(cart: &mut sessionlib::Typed<super::Cart>) -> String {
        cart.update(|c| c.items.push(format!("item{}", c.items.len())))
            .unwrap();
        cart.items.join(",")
    }

    pub async fn log_out_everywhere(session: &Session) -> String {
        match session.log_out_everywhere().await {
            Ok(()) => "done".into(),
            Err(e) => e.to_string(),
        }
    }
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct Cart {
    pub items: Vec<String>,
}

impl sessionlib::TypedSession for Cart {
    const KEY: &'static str = "cart";
}

async fn app<D: Driver>(sessions: SessionConfig) -> D {
    D::app(sessions, Guard::Default, Kept::default()).await
}

/// The scenarios, each run for every framework by [`suite!`].
pub mod scenarios {
    use super::*;

    pub async fn loads_before_the_handler_and_saves_after<D: Driver>() {
        let app: D = app(sessions()).await;
        let first = app.send(Req::get("/count")).await;
        assert_eq!(first.status, 200);
        let cookie = first.cookie_pair().expect("a new session sets a cookie");
        assert!(cookie.starts_with("__Host-s="));
        assert_eq!(first.body, "visit #1");
        let second = app.send(Req::get("/count").cookie(Some(&cookie))).await;
        assert_eq!(second.body, "visit #2");
    }

    pub async fn responses_that_set_or_remove_the_cookie_are_private<D: Driver>() {
        let app: D = app(sessions()).await;
        let set = app.send(Req::get("/count")).await;
        assert_eq!(set.all("vary"), ["Cookie"]);
        assert_eq!(set.all("cache-control"), ["private"]);
        let public = app.send(Req::get("/public")).await;
        assert_eq!(public.all("vary"), ["Cookie"]);
        assert_eq!(public.all("cache-control"), ["private, max-age=60"]);
        // A forged cookie is removed, with the same headers.
        let forged = Some("__Host-s=forged.AA.BB");
        let removed = app.send(Req::get("/public-read").cookie(forged)).await;
        let set_cookie = removed.header("set-cookie").unwrap();
        assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
        assert_eq!(removed.all("vary"), ["Cookie"]);
        assert_eq!(removed.all("cache-control"), ["private, max-age=60"]);
    }

    pub async fn an_unchanged_session_sends_no_cookie<D: Driver>() {
        let app: D = app(sessions()).await;
        let cookie = app.send(Req::get("/count")).await.cookie_pair().unwrap();
        let read = app.send(Req::get("/read").cookie(Some(&cookie))).await;
        assert_eq!(read.set_cookies(), 0);
        assert!(read.header("vary").is_none());
        assert_eq!(read.body, "Some(1):Cookie");
        // No cookie and nothing written: nothing sent either.
        let empty = app.send(Req::get("/read")).await;
        assert_eq!(empty.set_cookies(), 0);
    }

    pub async fn several_cookie_headers_are_joined<D: Driver>() {
        let app: D = app(sessions()).await;
        let cookie = app.send(Req::get("/count")).await.cookie_pair().unwrap();
        // HTTP/2 clients send one `Cookie` header per cookie.
        let request = Req::get("/read")
            .header("cookie", "theme=dark")
            .header("cookie", &cookie)
            .header("cookie", "lang=en");
        assert_eq!(app.send(request).await.body, "Some(1):Cookie");
    }

    pub async fn error_and_redirect_responses_are_saved<D: Driver>() {
        let app: D = app(sessions()).await;
        let redirect = app.send(Req::post("/go")).await;
        assert_eq!(redirect.status, 303);
        let cookie = redirect
            .cookie_pair()
            .expect("the flash is saved into the redirect");
        assert_eq!(
            app.send(Req::get("/").cookie(Some(&cookie))).await.body,
            "saved before the redirect"
        );
        let failed = app.send(Req::post("/fail")).await;
        assert_eq!(failed.status, 422);
        assert!(
            failed.cookie_pair().is_some(),
            "an error response carries the session too"
        );
    }

    pub async fn a_session_too_large_is_a_500_that_shows_no_data<D: Driver>() {
        let app: D = app(sessions()).await;
        let response = app.send(Req::get("/huge")).await;
        assert_eq!(response.status, 500);
        assert_eq!(response.set_cookies(), 0);
        assert_eq!(
            response.body,
            "500 Internal Server Error: the session could not be saved"
        );
    }

    pub async fn a_handle_kept_past_the_response_changes_nothing<D: Driver>() {
        let kept = Kept::default();
        let app = D::app(sessions(), Guard::Default, kept.clone()).await;
        let response = app.send(Req::get("/keep")).await;
        let cookie = response.cookie_pair().unwrap();
        // The kept handle is changed after its response left.
        let handle = kept.lock().unwrap().take().expect("the handler kept it");
        handle.insert("user", "mallory").unwrap();
        handle.clear();
        // Another request (with the first one's cookie, and without) is not affected.
        let with = app.send(Req::get("/user").cookie(Some(&cookie))).await;
        assert_eq!(with.body, "Some(\"alice\")");
        assert_eq!(app.send(Req::get("/user")).await.body, "None");
    }

    pub async fn the_guard_without_the_integration_is_refused_naming_it<D: Driver>() {
        let (status, text) = D::without_integration().await;
        if let Some(status) = status {
            assert_eq!(status, 500);
        }
        assert!(text.contains(D::INTEGRATION), "{text}");
    }

    pub async fn log_out_everywhere_revokes_every_earlier_session<D: Driver>() {
        let store = Arc::new(MemoryRevocation::new());
        let sessions = sessions_with(|b| b.revocation(store.clone()));
        let app: D = app(sessions.clone()).await;
        let laptop = app.send(Req::post("/login")).await.cookie_pair().unwrap();
        let phone = app.send(Req::post("/login")).await.cookie_pair().unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        sessions.revoke_user("cobra").await.unwrap();
        for device in [&laptop, &phone] {
            let response = app.send(Req::get("/read").cookie(Some(device))).await;
            let removal = response.header("set-cookie").unwrap();
            assert!(
                removal.contains("Max-Age=0"),
                "the revoked cookie is deleted: {removal}"
            );
            assert_eq!(response.body, "None:Revoked");
        }
        // Logging in again works at once (from the next millisecond: the resolution of
        // the login time).
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let again = app.send(Req::post("/login")).await.cookie_pair().unwrap();
        let read = app.send(Req::get("/read").cookie(Some(&again))).await;
        assert_eq!(read.body, "None:Cookie");
        assert_eq!(store.len(), 1);
        // A banned user cannot log in, and existing sessions end.
        sessions.ban("cobra").await.unwrap();
        assert_eq!(app.send(Req::post("/login")).await.body, "refused");
        let read = app.send(Req::get("/read").cookie(Some(&again))).await;
        assert_eq!(read.body, "None:Revoked");
    }

    pub async fn an_unreachable_store_keeps_the_cookie<D: Driver>() {
        let store = Arc::new(FlakyStore::new());
        let app: D = app(sessions_with(|b| b.revocation(store.clone()))).await;
        let cookie = app.send(Req::get("/count")).await.cookie_pair().unwrap();
        let read = || Req::get("/read").cookie(Some(&cookie));
        assert_eq!(app.send(read()).await.body, "Some(1):Cookie");
        store.set_down(true);
        let down = app.send(read()).await;
        assert_eq!(down.set_cookies(), 0, "an outage never deletes the cookie");
        assert_eq!(down.body, "None:RevocationUnavailable");
        // Second review, item 5: a handler that writes during the outage (a visit
        // counter) no longer replaces the user's cookie with a new anonymous one.
        let writes = app.send(Req::get("/count").cookie(Some(&cookie))).await;
        assert_eq!(
            writes.set_cookies(),
            0,
            "an outage never overwrites the cookie"
        );
        assert_eq!(writes.body, "visit #1");
        store.set_down(false);
        assert_eq!(app.send(read()).await.body, "Some(1):Cookie");
    }

    /// The status of `METHOD /change` with `Host: app.example` and `headers`; a refused
    /// request is checked to have reached no handler.
    async fn status<D: Driver>(app: &D, method: &'static str, headers: &[(&str, &str)]) -> u16 {
        let mut request = Req::new(method, "/change").header("host", "app.example");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = app.send(request).await;
        if response.status == 403 {
            assert_eq!(
                response.set_cookies(),
                0,
                "a refused request reaches no handler"
            );
            assert_eq!(response.body, "403 Forbidden: cross-origin request refused");
        }
        response.status
    }

    type Headers<'a> = &'a [(&'a str, &'a str)];

    pub async fn the_origin_guard_refuses_cross_origin_state_changes<D: Driver>() {
        let app = D::app(sessions(), Guard::TrustAdmin, Kept::default()).await;
        let cases: &[(&str, Headers, u16)] = &[
            ("POST", &[("sec-fetch-site", "cross-site")], 403),
            ("POST", &[("sec-fetch-site", "same-site")], 403),
            ("POST", &[("sec-fetch-site", "same-origin")], 200),
            ("POST", &[("sec-fetch-site", "none")], 200),
            ("POST", &[("origin", "https://evil.example")], 403),
            ("POST", &[("origin", "null")], 403),
            ("POST", &[("origin", "http://app.example")], 200),
            // No browser headers: not a browser.
            ("POST", &[], 200),
            // A trusted origin.
            (
                "POST",
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://admin.example"),
                ],
                200,
            ),
            ("GET", &[("sec-fetch-site", "cross-site")], 200),
        ];
        for (method, headers, expected) in cases {
            assert_eq!(
                status(&app, method, headers).await,
                *expected,
                "{method} {headers:?}"
            );
        }
    }

    /// `new` guards by default; `without_origin_guard` is the explicit opt-out.
    /// Requests without `Origin`/`Sec-Fetch-Site` (non-browser clients) pass.
    pub async fn the_origin_guard_is_on_by_default<D: Driver>() {
        let default: D = app(sessions()).await;
        let open = D::app(sessions(), Guard::Off, Kept::default()).await;
        let evil = [("origin", "https://evil.example")];
        let cross = [("sec-fetch-site", "cross-site")];
        assert_eq!(status(&default, "POST", &evil).await, 403);
        assert_eq!(status(&default, "POST", &cross).await, 403);
        assert_eq!(status(&default, "POST", &[]).await, 200);
        assert_eq!(status(&open, "POST", &evil).await, 200);
        assert_eq!(status(&open, "POST", &cross).await, 200);
    }

    pub async fn a_chunked_session_sets_every_chunk_and_removes_stale_ones<D: Driver>() {
        let app: D = app(chunked_sessions()).await;
        let grown = app.send(Req::post("/grow")).await;
        assert_eq!(grown.all("vary").len(), 1);
        assert_eq!(grown.all("cache-control"), ["private"]);
        let chunks = grown.all_set_cookies();
        let names: Vec<&str> = chunks.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["__Host-s", "__Host-s.1", "__Host-s.2"]);
        assert!(chunks.iter().all(|(_, _, removal)| !removal));
        let pairs: Vec<String> = chunks.iter().map(|(n, v, _)| format!("{n}={v}")).collect();
        let cookie = pairs.join("; ");
        let read = app.send(Req::get("/pad").cookie(Some(&cookie))).await;
        assert_eq!(read.set_cookies(), 0);
        assert_eq!(read.body, "7000:Cookie");
        // One `Cookie:` header per chunk (HTTP/2) is the same session.
        let mut request = Req::get("/pad");
        for pair in &pairs {
            request = request.header("cookie", pair);
        }
        assert_eq!(app.send(request).await.body, "7000:Cookie");
        // Shrinking: the new single cookie, and the two stale chunks removed.
        let shrunk = app.send(Req::post("/shrink").cookie(Some(&cookie))).await;
        let set = shrunk.all_set_cookies();
        let summary: Vec<(&str, bool)> = set.iter().map(|(n, _, r)| (n.as_str(), *r)).collect();
        assert_eq!(
            summary,
            [
                ("__Host-s", false),
                ("__Host-s.1", true),
                ("__Host-s.2", true)
            ]
        );
        let small = format!("__Host-s={}", set[0].1);
        let read = app.send(Req::get("/pad").cookie(Some(&small))).await;
        assert_eq!(read.body, "5:Cookie");
        // A missing chunk is no session, and the chunks sent are removed.
        let missing = format!("{}; {}", pairs[0], pairs[2]);
        let response = app.send(Req::get("/pad").cookie(Some(&missing))).await;
        let removed: Vec<(String, bool)> = response
            .all_set_cookies()
            .into_iter()
            .map(|(n, _, r)| (n, r))
            .collect();
        assert_eq!(
            removed,
            [("__Host-s".into(), true), ("__Host-s.2".into(), true)]
        );
        assert_eq!(response.body, "0:Invalid");
    }

    /// Second review, item 1, through the integration: alice logs in and is given a
    /// role; bob logs in on the same browser and gets neither her role nor her session
    /// id.
    pub async fn logging_in_as_another_user_inherits_nothing<D: Driver>() {
        let app: D = app(sessions()).await;
        let post = |uri: &str, cookie: Option<&str>| Req::post(uri).cookie(cookie);
        let alice = app.send(post("/login/alice", None)).await;
        let alice = alice.cookie_pair().unwrap();
        let alice = app.send(post("/promote", Some(&alice))).await;
        let alice = alice.cookie_pair().unwrap();
        let seen = app.send(Req::get("/me").cookie(Some(&alice))).await.body;
        let (before, alices_id) = seen.rsplit_once(':').unwrap();
        assert_eq!(before, "Some(\"alice\"):Some(\"admin\")");
        let bob = app.send(post("/login/bob", Some(&alice))).await;
        let bob = bob.cookie_pair().unwrap();
        let seen = app.send(Req::get("/me").cookie(Some(&bob))).await.body;
        let (after, bobs_id) = seen.rsplit_once(':').unwrap();
        assert_eq!(after, "Some(\"bob\"):None");
        assert!(!bobs_id.is_empty() && bobs_id != alices_id);
    }

    /// Second review, item 2, through the integration: a `Cookie:` header made too
    /// large by cookies planted for the parent domain gets no cookie at all, not the
    /// removal that used to delete the victim's `__Host-` cookie; without them the
    /// victim is back.
    pub async fn cookie_bombing_never_deletes_the_session_cookie<D: Driver>() {
        let app: D = app(sessions()).await;
        let victim = app.send(Req::get("/count")).await.cookie_pair().unwrap();
        let bombs: Vec<String> = (0..5)
            .map(|i| format!("bomb{i}={}", "b".repeat(3_500)))
            .collect();
        let bombed = format!("{victim}; {}", bombs.join("; "));
        for uri in ["/read", "/count"] {
            let response = app.send(Req::get(uri).cookie(Some(&bombed))).await;
            assert_eq!(response.set_cookies(), 0, "{uri}: a cookie was sent");
        }
        let read = app.send(Req::get("/read").cookie(Some(&bombed))).await;
        assert_eq!(read.body, "None:Unreadable");
        let read = app.send(Req::get("/read").cookie(Some(&victim))).await;
        assert_eq!(read.body, "Some(1):Cookie");
    }

    /// A struct-typed session through the request guard: read, changed, written back;
    /// a value of another shape under the key reads as the default.
    pub async fn a_typed_session_reads_and_writes_one_struct<D: Driver>() {
        let app: D = app(sessions()).await;
        let first = app.send(Req::post("/cart")).await;
        let cookie = first.cookie_pair().unwrap();
        assert_eq!(first.body, "item0");
        let second = app.send(Req::post("/cart").cookie(Some(&cookie))).await;
        assert_eq!(second.body, "item0,item1");
        let cookie = app.send(Req::get("/set-cart")).await.cookie_pair().unwrap();
        let other = app.send(Req::post("/cart").cookie(Some(&cookie))).await;
        assert_eq!(other.body, "item0");
    }

    /// `Session::log_out_everywhere` from a handler, with no application state: the
    /// other device's session is refused, and without a store the handler is told.
    pub async fn log_out_everywhere_needs_no_app_state<D: Driver>() {
        let with_store = sessions_with(|b| b.revocation(MemoryRevocation::new()));
        for (config, expected) in [
            (with_store, "done"),
            (sessions(), "no revocation store is configured"),
        ] {
            let app: D = app(config).await;
            let laptop = app.send(Req::post("/login")).await.cookie_pair().unwrap();
            let phone = app.send(Req::post("/login")).await.cookie_pair().unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            let response = app
                .send(Req::post("/everywhere").cookie(Some(&laptop)))
                .await;
            let removed = response.set_cookies() == 1;
            assert_eq!(response.body, expected);
            let phone_now = app.send(Req::get("/read").cookie(Some(&phone))).await.body;
            if expected == "done" {
                assert!(removed, "this device's cookie is deleted");
                assert_eq!(phone_now, "None:Revoked");
            } else {
                assert!(!removed, "nothing changes when it fails");
                assert_eq!(phone_now, "None:Cookie");
            }
        }
    }
}

/// One test per scenario for driver `$driver`, each with the test attribute `$test`.
macro_rules! suite {
    ($driver:ty, $test:meta) => {
        suite!(@each $driver, $test,
            loads_before_the_handler_and_saves_after,
            responses_that_set_or_remove_the_cookie_are_private,
            an_unchanged_session_sends_no_cookie,
            several_cookie_headers_are_joined,
            error_and_redirect_responses_are_saved,
            a_session_too_large_is_a_500_that_shows_no_data,
            a_handle_kept_past_the_response_changes_nothing,
            the_guard_without_the_integration_is_refused_naming_it,
            log_out_everywhere_revokes_every_earlier_session,
            an_unreachable_store_keeps_the_cookie,
            the_origin_guard_refuses_cross_origin_state_changes,
            the_origin_guard_is_on_by_default,
            a_chunked_session_sets_every_chunk_and_removes_stale_ones,
            logging_in_as_another_user_inherits_nothing,
            cookie_bombing_never_deletes_the_session_cookie,
            a_typed_session_reads_and_writes_one_struct,
            log_out_everywhere_needs_no_app_state,
        );
    };
    (@each $driver:ty, $test:meta, $($name:ident,)*) => {
        $(
            #[$test]
            async fn $name() {
                $crate::integration::scenarios::$name::<$driver>().await;
            }
        )*
    };
}
pub(crate) use suite;
