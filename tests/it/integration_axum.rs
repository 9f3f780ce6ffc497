//! The axum integration (and its tower layer), driven in-process with tower's
//! `oneshot`: what every handler can rely on.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use sessionlib::axum::{Session, SessionLayer};
use sessionlib::OriginGuard;
use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, SessionConfig, SessionSource};
use tower::ServiceExt;

use crate::common::FlakyStore;

const NAME: &str = "__Host-s";

fn sessions() -> SessionConfig {
    sessions_with(|b| b)
}

fn sessions_with(
    f: impl FnOnce(sessionlib::SessionConfigBuilder) -> sessionlib::SessionConfigBuilder,
) -> SessionConfig {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .name(NAME)
        .try_build()
        .unwrap();
    f(SessionConfig::builder(cookie)).build()
}

async fn count(session: Session) -> String {
    let visits: u32 = session.get("visits").unwrap_or(0);
    session.insert("visits", &(visits + 1)).unwrap();
    format!("visit #{}", visits + 1)
}

async fn read(session: Session) -> String {
    format!("{:?}:{:?}", session.get::<u32>("visits"), session.source())
}

fn routes() -> Router {
    Router::new()
        .route("/count", get(count))
        .route("/read", get(read))
        .route("/login", post(login))
}

fn app(sessions: SessionConfig) -> Router {
    routes().layer(SessionLayer::new(sessions))
}

async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.unwrap()
}

fn get_with(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The `name=value` pair of the response's session cookie.
fn cookie_pair(response: &Response<Body>) -> Option<String> {
    let set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .next()?;
    let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
    Some(pair)
}

fn set_cookies(response: &Response<Body>) -> usize {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .count()
}

#[tokio::test]
async fn loads_before_the_handler_and_saves_after() {
    let app = app(sessions());
    let first = send(&app, get_with("/count", None)).await;
    assert_eq!(first.status(), StatusCode::OK);
    let cookie = cookie_pair(&first).expect("a new session sets a cookie");
    assert!(cookie.starts_with("__Host-s="));
    assert_eq!(text(first).await, "visit #1");
    let second = send(&app, get_with("/count", Some(&cookie))).await;
    assert_eq!(text(second).await, "visit #2");
}

#[tokio::test]
async fn responses_that_set_or_remove_the_cookie_are_private() {
    let app = routes().route_layer(axum::middleware::from_fn(
        |req: axum::extract::Request, next: axum::middleware::Next| async move {
            let mut r = next.run(req).await;
            r.headers_mut()
                .insert(header::CACHE_CONTROL, "public, max-age=60".parse().unwrap());
            r
        },
    ));
    let app = app.layer(SessionLayer::new(sessions()));
    let set = send(&app, get_with("/count", None)).await;
    assert_eq!(set.headers()[header::VARY], "Cookie");
    assert_eq!(set.headers()[header::CACHE_CONTROL], "private, max-age=60");
    // A forged cookie is removed, with the same headers.
    let removed = send(&app, get_with("/read", Some("__Host-s=forged.AA.BB"))).await;
    let set_cookie = removed.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert_eq!(removed.headers()[header::VARY], "Cookie");
    assert_eq!(
        removed.headers()[header::CACHE_CONTROL],
        "private, max-age=60"
    );
}

#[tokio::test]
async fn an_unchanged_session_sends_no_cookie() {
    let app = app(sessions());
    let cookie = cookie_pair(&send(&app, get_with("/count", None)).await).unwrap();
    let read = send(&app, get_with("/read", Some(&cookie))).await;
    assert_eq!(set_cookies(&read), 0);
    assert!(read.headers().get(header::VARY).is_none());
    assert_eq!(text(read).await, "Some(1):Cookie");
    // No cookie and nothing written: nothing sent either.
    let empty = send(&app, get_with("/read", None)).await;
    assert_eq!(set_cookies(&empty), 0);
}

#[tokio::test]
async fn several_cookie_headers_are_joined() {
    let app = app(sessions());
    let cookie = cookie_pair(&send(&app, get_with("/count", None)).await).unwrap();
    // HTTP/2 clients send one `Cookie` header per cookie.
    let request = Request::get("/read")
        .header(header::COOKIE, "theme=dark")
        .header(header::COOKIE, &cookie)
        .header(header::COOKIE, "lang=en")
        .body(Body::empty())
        .unwrap();
    assert_eq!(text(send(&app, request).await).await, "Some(1):Cookie");
}

#[tokio::test]
async fn error_and_redirect_responses_are_saved() {
    async fn flash_and_redirect(session: Session) -> Redirect {
        session.flash("info", "saved before the redirect");
        Redirect::to("/")
    }
    async fn fail(session: Session) -> Result<String, StatusCode> {
        session.insert("attempts", &1).unwrap();
        Err(StatusCode::UNPROCESSABLE_ENTITY)
    }
    async fn flashes(session: Session) -> String {
        let f = session.take_flashes();
        f.iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
    let app = Router::new()
        .route("/go", post(flash_and_redirect))
        .route("/fail", post(fail))
        .route("/", get(flashes))
        .layer(SessionLayer::new(sessions()));
    let redirect = send(&app, Request::post("/go").body(Body::empty()).unwrap()).await;
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_pair(&redirect).expect("the flash is saved into the redirect");
    assert_eq!(
        text(send(&app, get_with("/", Some(&cookie))).await).await,
        "saved before the redirect"
    );
    let failed = send(&app, Request::post("/fail").body(Body::empty()).unwrap()).await;
    assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        cookie_pair(&failed).is_some(),
        "an error response carries the session too"
    );
}

#[tokio::test]
async fn a_session_too_large_is_a_500_that_shows_no_data() {
    async fn huge(session: Session) -> &'static str {
        session.insert("blob", &"secret-data-".repeat(500)).unwrap();
        "handler output"
    }
    let app = Router::new()
        .route("/", get(huge))
        .layer(SessionLayer::new(sessions()));
    let response = send(&app, get_with("/", None)).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(set_cookies(&response), 0);
    let body = text(response).await;
    assert_eq!(
        body,
        "500 Internal Server Error: the session could not be saved"
    );
}

#[tokio::test]
async fn a_handle_kept_past_the_response_changes_nothing() {
    let (tx, rx) = tokio::sync::oneshot::channel::<Session>();
    let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
    let app = Router::new()
        .route(
            "/keep",
            get(move |session: Session| {
                let tx = tx.clone();
                async move {
                    session.insert("user", "alice").unwrap();
                    if let Some(tx) = tx.lock().unwrap().take() {
                        let _ = tx.send(session.clone());
                    }
                    "kept"
                }
            }),
        )
        .route(
            "/read",
            get(|s: Session| async move { format!("{:?}", s.get::<String>("user")) }),
        )
        .layer(SessionLayer::new(sessions()));
    let response = send(&app, get_with("/keep", None)).await;
    let cookie = cookie_pair(&response).unwrap();
    // The kept handle is changed after its response left.
    let kept = rx.await.unwrap();
    kept.insert("user", "mallory").unwrap();
    kept.clear();
    // Another request (with the first one's cookie, and without) is not affected.
    assert_eq!(
        text(send(&app, get_with("/read", Some(&cookie))).await).await,
        "Some(\"alice\")"
    );
    assert_eq!(
        text(send(&app, get_with("/read", None)).await).await,
        "None"
    );
}

#[tokio::test]
async fn the_extractor_without_the_layer_is_a_500_naming_it() {
    let app: Router = Router::new().route("/", get(read));
    let response = app.oneshot(get_with("/", None)).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = text(response).await;
    assert!(body.contains("sessionlib::axum::SessionLayer"), "{body}");
}

async fn login(session: Session) -> String {
    session.log_in("cobra");
    match session.is_revoked().await {
        Ok(false) => "logged in".into(),
        _ => {
            session.clear();
            "refused".into()
        }
    }
}

#[tokio::test]
async fn log_out_everywhere_revokes_every_earlier_session() {
    let store = Arc::new(MemoryRevocation::new());
    let sessions = sessions_with(|b| b.revocation(store.clone()));
    let app = app(sessions.clone());
    let post_login = || Request::post("/login").body(Body::empty()).unwrap();
    let laptop = cookie_pair(&send(&app, post_login()).await).unwrap();
    let phone = cookie_pair(&send(&app, post_login()).await).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    sessions.revoke_user("cobra").await.unwrap();
    for device in [&laptop, &phone] {
        let response = send(&app, get_with("/read", Some(device))).await;
        let removal = response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            removal.contains("Max-Age=0"),
            "the revoked cookie is deleted: {removal}"
        );
        assert_eq!(text(response).await, "None:Revoked");
    }
    // Logging in again works at once (from the next millisecond: the resolution of
    // the login time).
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let again = cookie_pair(&send(&app, post_login()).await).unwrap();
    assert_eq!(
        text(send(&app, get_with("/read", Some(&again))).await).await,
        "None:Cookie"
    );
    assert_eq!(store.len(), 1);
    // A banned user cannot log in, and existing sessions end.
    sessions.ban("cobra").await.unwrap();
    assert_eq!(text(send(&app, post_login()).await).await, "refused");
    assert_eq!(
        text(send(&app, get_with("/read", Some(&again))).await).await,
        "None:Revoked"
    );
}

#[tokio::test]
async fn an_unreachable_store_keeps_the_cookie() {
    let store = Arc::new(FlakyStore::new());
    let app = app(sessions_with(|b| b.revocation(store.clone())));
    let cookie = cookie_pair(&send(&app, get_with("/count", None)).await).unwrap();
    assert_eq!(
        text(send(&app, get_with("/read", Some(&cookie))).await).await,
        "Some(1):Cookie"
    );
    store.set_down(true);
    let down = send(&app, get_with("/read", Some(&cookie))).await;
    assert_eq!(set_cookies(&down), 0, "an outage never deletes the cookie");
    assert_eq!(text(down).await, "None:RevocationUnavailable");
    // Second review, item 5: a handler that writes during the outage (a visit
    // counter) no longer replaces the user's cookie with a new anonymous one.
    let writes = send(&app, get_with("/count", Some(&cookie))).await;
    assert_eq!(
        set_cookies(&writes),
        0,
        "an outage never overwrites the cookie"
    );
    assert_eq!(text(writes).await, "visit #1");
    store.set_down(false);
    assert_eq!(
        text(send(&app, get_with("/read", Some(&cookie))).await).await,
        "Some(1):Cookie"
    );
}

fn guarded() -> Router {
    Router::new()
        .route("/change", post(count).get(count))
        .layer(
            SessionLayer::new(sessions())
                .origin_guard(OriginGuard::new().trust("https://admin.example")),
        )
}

async fn status(app: &Router, method: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut b = Request::builder()
        .method(method)
        .uri("/change")
        .header(header::HOST, "app.example");
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    let response = send(app, b.body(Body::empty()).unwrap()).await;
    let status = response.status();
    if status == StatusCode::FORBIDDEN {
        assert_eq!(
            set_cookies(&response),
            0,
            "a refused request reaches no handler"
        );
        assert_eq!(
            text(response).await,
            "403 Forbidden: cross-origin request refused"
        );
    }
    status
}

#[tokio::test]
async fn the_origin_guard_refuses_cross_origin_state_changes() {
    let app = guarded();
    let forbidden = StatusCode::FORBIDDEN;
    let ok = StatusCode::OK;
    assert_eq!(
        status(&app, "POST", &[("sec-fetch-site", "cross-site")]).await,
        forbidden
    );
    assert_eq!(
        status(&app, "POST", &[("sec-fetch-site", "same-site")]).await,
        forbidden
    );
    assert_eq!(
        status(&app, "POST", &[("sec-fetch-site", "same-origin")]).await,
        ok
    );
    assert_eq!(
        status(&app, "POST", &[("sec-fetch-site", "none")]).await,
        ok
    );
    assert_eq!(
        status(&app, "POST", &[("origin", "https://evil.example")]).await,
        forbidden
    );
    assert_eq!(status(&app, "POST", &[("origin", "null")]).await, forbidden);
    assert_eq!(
        status(&app, "POST", &[("origin", "http://app.example")]).await,
        ok
    );
    assert_eq!(
        status(&app, "POST", &[]).await,
        ok,
        "no browser headers: not a browser"
    );
    assert_eq!(
        status(
            &app,
            "POST",
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://admin.example")
            ]
        )
        .await,
        ok,
        "a trusted origin"
    );
    assert_eq!(
        status(&app, "GET", &[("sec-fetch-site", "cross-site")]).await,
        ok
    );
}

#[tokio::test]
async fn the_layer_serves_a_plain_tower_service() {
    // No axum: a hyper-style service_fn reading the handle from the extensions.
    let service = tower::ServiceBuilder::new()
        .layer(SessionLayer::new(sessions()))
        .service_fn(|request: Request<String>| async move {
            let handle = request
                .extensions()
                .get::<sessionlib::Session>()
                .cloned()
                .unwrap();
            let n: u32 = handle.get("n").unwrap_or(0) + 1;
            handle.insert("n", &n).unwrap();
            Ok::<_, std::convert::Infallible>(Response::new(format!("n={n}")))
        });
    let first = service
        .clone()
        .oneshot(Request::new(String::new()))
        .await
        .unwrap();
    let set = first.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let mut second = Request::new(String::new());
    second
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    let second = service.oneshot(second).await.unwrap();
    assert_eq!(second.body(), "n=2");
}

#[test]
fn the_synchronous_load_cannot_wait_for_a_store() {
    let sessions = sessions_with(|b| b.revocation(FlakyStore::new()));
    let mut session = sessions.load("");
    session.insert("visits", &1).unwrap();
    let cookie = sessions.save(&session).unwrap().unwrap();
    let header = format!("{NAME}={}", cookie.cookie().value());
    // The store answers only after a pending poll: `load` cannot wait, so the session
    // is refused for this request, and the cookie is kept.
    let loaded = sessions.load(&header);
    assert_eq!(loaded.source(), SessionSource::RevocationUnavailable);
    assert!(sessions.save(&loaded).unwrap().is_none());
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
fn noise(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7919 + i / 26) % 26) as u8))
        .collect()
}

async fn grow(session: Session) -> &'static str {
    session.insert("pad", &noise(7_000)).unwrap();
    "grown"
}

async fn shrink(session: Session) -> &'static str {
    session.insert("pad", "small").unwrap();
    "shrunk"
}

async fn pad(session: Session) -> String {
    let pad: Option<String> = session.get("pad");
    format!("{}:{:?}", pad.map_or(0, |p| p.len()), session.source())
}

fn chunked_app() -> Router {
    Router::new()
        .route("/grow", post(grow))
        .route("/shrink", post(shrink))
        .route("/pad", get(pad))
        .layer(SessionLayer::new(chunked_sessions()))
}

/// Every `Set-Cookie` of a response as (name, value, is a removal).
fn all_set_cookies(response: &Response<Body>) -> Vec<(String, String, bool)> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| {
            let text = v.to_str().unwrap();
            assert!(text.len() <= 4096);
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            (name.into(), value.into(), text.contains("Max-Age=0"))
        })
        .collect()
}

fn post_with(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn a_chunked_session_sets_every_chunk_and_removes_stale_ones() {
    let app = chunked_app();
    let grown = send(&app, post_with("/grow", None)).await;
    assert_eq!(grown.headers().get_all(header::VARY).iter().count(), 1);
    assert_eq!(grown.headers()[header::CACHE_CONTROL], "private");
    let chunks = all_set_cookies(&grown);
    let names: Vec<&str> = chunks.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["__Host-s", "__Host-s.1", "__Host-s.2"]);
    assert!(chunks.iter().all(|(_, _, removal)| !removal));
    let pairs: Vec<String> = chunks.iter().map(|(n, v, _)| format!("{n}={v}")).collect();
    let cookie = pairs.join("; ");
    let read = send(&app, get_with("/pad", Some(&cookie))).await;
    assert_eq!(set_cookies(&read), 0);
    assert_eq!(text(read).await, "7000:Cookie");
    // One `Cookie:` header per chunk (HTTP/2) is the same session.
    let mut request = get_with("/pad", None);
    for pair in &pairs {
        request
            .headers_mut()
            .append(header::COOKIE, pair.parse().unwrap());
    }
    assert_eq!(text(send(&app, request).await).await, "7000:Cookie");
    // Shrinking: the new single cookie, and the two stale chunks removed.
    let shrunk = send(&app, post_with("/shrink", Some(&cookie))).await;
    let set = all_set_cookies(&shrunk);
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
    assert_eq!(
        text(send(&app, get_with("/pad", Some(&small))).await).await,
        "5:Cookie"
    );
    // A missing chunk is no session, and the chunks sent are removed.
    let missing = format!("{}; {}", pairs[0], pairs[2]);
    let response = send(&app, get_with("/pad", Some(&missing))).await;
    let removed: Vec<(String, bool)> = all_set_cookies(&response)
        .into_iter()
        .map(|(n, _, r)| (n, r))
        .collect();
    assert_eq!(
        removed,
        [("__Host-s".into(), true), ("__Host-s.2".into(), true)]
    );
    assert_eq!(text(response).await, "0:Invalid");
}

async fn log_in_as(session: Session, axum::extract::Path(user): axum::extract::Path<String>) {
    session.log_in(user);
}

async fn promote(session: Session) {
    session.insert("role", "admin").unwrap();
}

async fn me(session: Session) -> String {
    format!(
        "{:?}:{:?}:{}",
        session.user_id(),
        session.get::<String>("role"),
        session.id().unwrap_or_default()
    )
}

/// Second review, item 1, through the layer: alice logs in and is given a role; bob
/// logs in on the same browser and gets neither her role nor her session id.
#[tokio::test]
async fn logging_in_as_another_user_inherits_nothing() {
    let app = Router::new()
        .route("/login/{user}", post(log_in_as))
        .route("/promote", post(promote))
        .route("/me", get(me))
        .layer(SessionLayer::new(sessions()));
    let post = |uri: &str, cookie: Option<&str>| {
        let mut b = Request::post(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::empty()).unwrap()
    };
    let alice = cookie_pair(&send(&app, post("/login/alice", None)).await).unwrap();
    let alice = cookie_pair(&send(&app, post("/promote", Some(&alice))).await).unwrap();
    let seen = text(send(&app, get_with("/me", Some(&alice))).await).await;
    let (before, alices_id) = seen.rsplit_once(':').unwrap();
    assert_eq!(before, "Some(\"alice\"):Some(\"admin\")");
    let bob = cookie_pair(&send(&app, post("/login/bob", Some(&alice))).await).unwrap();
    let seen = text(send(&app, get_with("/me", Some(&bob))).await).await;
    let (after, bobs_id) = seen.rsplit_once(':').unwrap();
    assert_eq!(after, "Some(\"bob\"):None");
    assert!(!bobs_id.is_empty() && bobs_id != alices_id);
}

/// Second review, item 2, through the layer: a `Cookie:` header made too large by
/// cookies planted for the parent domain gets no cookie at all, not the removal that
/// used to delete the victim's `__Host-` cookie; without them the victim is back.
#[tokio::test]
async fn cookie_bombing_never_deletes_the_session_cookie() {
    let app = app(sessions());
    let victim = cookie_pair(&send(&app, get_with("/count", None)).await).unwrap();
    let bombs: Vec<String> = (0..5)
        .map(|i| format!("bomb{i}={}", "b".repeat(3_500)))
        .collect();
    let bombed = format!("{victim}; {}", bombs.join("; "));
    for uri in ["/read", "/count"] {
        let response = send(&app, get_with(uri, Some(&bombed))).await;
        assert_eq!(set_cookies(&response), 0, "{uri}: a cookie was sent");
    }
    assert_eq!(
        text(send(&app, get_with("/read", Some(&bombed))).await).await,
        "None:Unreadable"
    );
    assert_eq!(
        text(send(&app, get_with("/read", Some(&victim))).await).await,
        "Some(1):Cookie"
    );
}

/// `SessionLayer::new` guards by default; `without_origin_guard` is the explicit
/// opt-out. Requests without `Origin`/`Sec-Fetch-Site` (non-browser clients) pass.
#[tokio::test]
async fn the_origin_guard_is_on_by_default() {
    let route = || Router::new().route("/change", post(count));
    let default = route().layer(SessionLayer::new(sessions()));
    let open = route().layer(SessionLayer::new(sessions()).without_origin_guard());
    let evil = [("origin", "https://evil.example")];
    let cross = [("sec-fetch-site", "cross-site")];
    assert_eq!(status(&default, "POST", &evil).await, StatusCode::FORBIDDEN);
    assert_eq!(
        status(&default, "POST", &cross).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(status(&default, "POST", &[]).await, StatusCode::OK);
    assert_eq!(status(&open, "POST", &evil).await, StatusCode::OK);
    assert_eq!(status(&open, "POST", &cross).await, StatusCode::OK);
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Cart {
    items: Vec<String>,
}

impl sessionlib::TypedSession for Cart {
    const KEY: &'static str = "cart";
}

async fn add_to_cart(mut cart: sessionlib::axum::Typed<Cart>) -> String {
    cart.update(|c| c.items.push(format!("item{}", c.items.len())))
        .unwrap();
    cart.items.join(",")
}

async fn log_out_everywhere(session: Session) -> String {
    match session.log_out_everywhere().await {
        Ok(()) => "done".into(),
        Err(e) => e.to_string(),
    }
}

/// A struct-typed session through the extractor: read, changed, written back.
#[tokio::test]
async fn a_typed_session_reads_and_writes_one_struct() {
    let app = Router::new()
        .route("/cart", post(add_to_cart))
        .layer(SessionLayer::new(sessions()));
    let first = send(&app, Request::post("/cart").body(Body::empty()).unwrap()).await;
    let cookie = cookie_pair(&first).unwrap();
    assert_eq!(text(first).await, "item0");
    let request = Request::post("/cart")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(text(send(&app, request).await).await, "item0,item1");
    // A value of another shape under the key reads as the default.
    let other = Router::new()
        .route(
            "/set",
            get(|s: Session| async move { s.insert("cart", &42).unwrap() }),
        )
        .route("/cart", post(add_to_cart))
        .layer(SessionLayer::new(sessions()));
    let cookie = cookie_pair(&send(&other, get_with("/set", None)).await).unwrap();
    let request = Request::post("/cart")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(text(send(&other, request).await).await, "item0");
}

/// `Session::log_out_everywhere` from a handler, with no application state: the
/// other device's session is refused, and without a store the handler is told.
#[tokio::test]
async fn log_out_everywhere_needs_no_app_state() {
    let with_store = sessions_with(|b| b.revocation(MemoryRevocation::new()));
    for (config, expected) in [
        (with_store, "done"),
        (sessions(), "no revocation store is configured"),
    ] {
        let app = routes()
            .route("/everywhere", post(log_out_everywhere))
            .layer(SessionLayer::new(config));
        let post_login = || Request::post("/login").body(Body::empty()).unwrap();
        let laptop = cookie_pair(&send(&app, post_login()).await).unwrap();
        let phone = cookie_pair(&send(&app, post_login()).await).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let request = Request::post("/everywhere")
            .header(header::COOKIE, &laptop)
            .body(Body::empty())
            .unwrap();
        let response = send(&app, request).await;
        let removed = set_cookies(&response) == 1;
        assert_eq!(text(response).await, expected);
        let phone_now = text(send(&app, get_with("/read", Some(&phone))).await).await;
        if expected == "done" {
            assert!(removed, "this device's cookie is deleted");
            assert_eq!(phone_now, "None:Revoked");
        } else {
            assert!(!removed, "nothing changes when it fails");
            assert_eq!(phone_now, "None:Cookie");
        }
    }
}
