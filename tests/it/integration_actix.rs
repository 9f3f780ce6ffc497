//! The actix-web integration, driven in-process with `actix_web::test`: what every
//! handler can rely on.

use std::sync::Arc;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::test::{self, TestRequest};
use actix_web::{web, App, HttpResponse, Responder};
use sessionlib::actix::{Session, SessionMiddleware};
use sessionlib::OriginGuard;
use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, SessionConfig};

use crate::common::FlakyStore;

fn sessions_with(
    f: impl FnOnce(sessionlib::SessionConfigBuilder) -> sessionlib::SessionConfigBuilder,
) -> SessionConfig {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .name("__Host-s")
        .try_build()
        .unwrap();
    f(SessionConfig::builder(cookie)).build()
}

fn sessions() -> SessionConfig {
    sessions_with(|b| b)
}

async fn count(session: Session) -> impl Responder {
    let visits: u32 = session.get("visits").unwrap_or(0);
    session.insert("visits", &(visits + 1)).unwrap();
    format!("visit #{}", visits + 1)
}

async fn read(session: Session) -> impl Responder {
    format!("{:?}:{:?}", session.get::<u32>("visits"), session.source())
}

async fn login(session: Session) -> impl Responder {
    session.log_in("cobra");
    match session.is_revoked().await {
        Ok(false) => "logged in",
        _ => {
            session.clear();
            "refused"
        }
    }
}

async fn flash_and_redirect(session: Session) -> impl Responder {
    session.flash("info", "saved before the redirect");
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/flashes"))
        .finish()
}

async fn fail(session: Session) -> Result<String, actix_web::Error> {
    session.insert("attempts", &1).unwrap();
    Err(actix_web::error::ErrorUnprocessableEntity("nope"))
}

async fn flashes(session: Session) -> impl Responder {
    let f = session.take_flashes();
    f.iter()
        .map(|f| f.message.clone())
        .collect::<Vec<_>>()
        .join(",")
}

async fn huge(session: Session) -> impl Responder {
    session.insert("blob", &"secret-data-".repeat(500)).unwrap();
    "handler output"
}

async fn public_cache(session: Session) -> impl Responder {
    session.insert("x", &1).unwrap();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body("cached")
}

macro_rules! app {
    ($middleware:expr) => {
        test::init_service(
            App::new()
                .wrap($middleware)
                .route("/count", web::get().to(count))
                .route("/read", web::get().to(read))
                .route("/login", web::post().to(login))
                .route("/go", web::post().to(flash_and_redirect))
                .route("/fail", web::post().to(fail))
                .route("/flashes", web::get().to(flashes))
                .route("/huge", web::get().to(huge))
                .route("/public", web::get().to(public_cache))
                .route("/change", web::post().to(count)),
        )
        .await
    };
}

fn get(uri: &str, cookie: Option<&str>) -> actix_http::Request {
    let mut r = TestRequest::get().uri(uri);
    if let Some(c) = cookie {
        r = r.insert_header((header::COOKIE, c));
    }
    r.to_request()
}

fn cookie_pair<B>(response: &ServiceResponse<B>) -> Option<String> {
    let set = response.headers().get(header::SET_COOKIE)?;
    Some(set.to_str().unwrap().split(';').next().unwrap().to_owned())
}

async fn text<B: actix_web::body::MessageBody>(response: ServiceResponse<B>) -> String {
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

#[actix_web::test]
async fn loads_before_the_handler_and_saves_after() {
    let app = app!(SessionMiddleware::new(sessions()));
    let first = test::call_service(&app, get("/count", None)).await;
    let cookie = cookie_pair(&first).expect("a new session sets a cookie");
    assert!(cookie.starts_with("__Host-s="));
    assert_eq!(first.headers().get(header::VARY).unwrap(), "Cookie");
    assert_eq!(
        first.headers().get(header::CACHE_CONTROL).unwrap(),
        "private"
    );
    assert_eq!(text(first).await, "visit #1");
    let second = test::call_service(&app, get("/count", Some(&cookie))).await;
    assert_eq!(text(second).await, "visit #2");
    // Unchanged: no cookie; forged: removed, privately.
    let unchanged = test::call_service(&app, get("/read", Some(&cookie))).await;
    assert!(unchanged.headers().get(header::SET_COOKIE).is_none());
    assert!(unchanged.headers().get(header::VARY).is_none());
    let forged = test::call_service(&app, get("/read", Some("__Host-s=forged.AA.BB"))).await;
    let removal = forged
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(
        forged.headers().get(header::CACHE_CONTROL).unwrap(),
        "private"
    );
    let public = test::call_service(&app, get("/public", None)).await;
    assert_eq!(
        public.headers().get(header::CACHE_CONTROL).unwrap(),
        "private, max-age=60"
    );
}

#[actix_web::test]
async fn several_cookie_headers_are_joined() {
    let app = app!(SessionMiddleware::new(sessions()));
    let cookie = cookie_pair(&test::call_service(&app, get("/count", None)).await).unwrap();
    let request = TestRequest::get()
        .uri("/read")
        .append_header((header::COOKIE, "theme=dark"))
        .append_header((header::COOKIE, cookie.as_str()))
        .append_header((header::COOKIE, "lang=en"))
        .to_request();
    assert_eq!(
        text(test::call_service(&app, request).await).await,
        "Some(1):Cookie"
    );
}

#[actix_web::test]
async fn error_and_redirect_responses_are_saved() {
    let app = app!(SessionMiddleware::new(sessions()));
    let redirect = test::call_service(&app, TestRequest::post().uri("/go").to_request()).await;
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_pair(&redirect).expect("the flash is saved into the redirect");
    let shown = test::call_service(&app, get("/flashes", Some(&cookie))).await;
    assert_eq!(text(shown).await, "saved before the redirect");
    let failed = app
        .call(TestRequest::post().uri("/fail").to_request())
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        cookie_pair(&failed).is_some(),
        "an error response carries the session too"
    );
}

#[actix_web::test]
async fn a_session_too_large_is_a_500_that_shows_no_data() {
    let app = app!(SessionMiddleware::new(sessions()));
    let response = test::call_service(&app, get("/huge", None)).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(
        text(response).await,
        "500 Internal Server Error: the session could not be saved"
    );
}

#[actix_web::test]
async fn a_handle_kept_past_the_response_changes_nothing() {
    let kept: Arc<std::sync::Mutex<Option<Session>>> = Arc::default();
    let slot = kept.clone();
    let app = test::init_service(
        App::new()
            .wrap(SessionMiddleware::new(sessions()))
            .route(
                "/keep",
                web::get().to(move |session: Session| {
                    let slot = slot.clone();
                    async move {
                        session.insert("user", "alice").unwrap();
                        *slot.lock().unwrap() = Some(session.clone());
                        "kept"
                    }
                }),
            )
            .route(
                "/read",
                web::get().to(|s: Session| async move { format!("{:?}", s.get::<String>("user")) }),
            ),
    )
    .await;
    let response = test::call_service(&app, get("/keep", None)).await;
    let cookie = cookie_pair(&response).unwrap();
    let handle = kept.lock().unwrap().take().unwrap();
    handle.insert("user", "mallory").unwrap();
    handle.clear();
    let read = test::call_service(&app, get("/read", Some(&cookie))).await;
    assert_eq!(text(read).await, "Some(\"alice\")");
    assert_eq!(
        text(test::call_service(&app, get("/read", None)).await).await,
        "None"
    );
}

#[actix_web::test]
async fn the_extractor_without_the_middleware_is_a_500_naming_it() {
    let app = test::init_service(App::new().route("/", web::get().to(read))).await;
    let response = test::call_service(&app, get("/", None)).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = text(response).await;
    assert!(
        body.contains("sessionlib::actix::SessionMiddleware"),
        "{body}"
    );
}

#[actix_web::test]
async fn log_out_everywhere_revokes_every_earlier_session() {
    let sessions = sessions_with(|b| b.revocation(MemoryRevocation::new()));
    let app = app!(SessionMiddleware::new(sessions.clone()));
    let post_login = || TestRequest::post().uri("/login").to_request();
    let laptop = cookie_pair(&test::call_service(&app, post_login()).await).unwrap();
    let phone = cookie_pair(&test::call_service(&app, post_login()).await).unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(3)).await;
    sessions.revoke_user("cobra").await.unwrap();
    for device in [&laptop, &phone] {
        let response = test::call_service(&app, get("/read", Some(device))).await;
        let removal = response
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(removal.contains("Max-Age=0"), "{removal}");
        assert_eq!(text(response).await, "None:Revoked");
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
    let again = cookie_pair(&test::call_service(&app, post_login()).await).unwrap();
    assert_eq!(
        text(test::call_service(&app, get("/read", Some(&again))).await).await,
        "None:Cookie"
    );
    sessions.ban("cobra").await.unwrap();
    assert_eq!(
        text(test::call_service(&app, post_login()).await).await,
        "refused"
    );
    assert_eq!(
        text(test::call_service(&app, get("/read", Some(&again))).await).await,
        "None:Revoked"
    );
}

#[actix_web::test]
async fn an_unreachable_store_keeps_the_cookie() {
    let store = Arc::new(FlakyStore::new());
    let app = app!(SessionMiddleware::new(sessions_with(
        |b| b.revocation(store.clone())
    )));
    let cookie = cookie_pair(&test::call_service(&app, get("/count", None)).await).unwrap();
    store.set_down(true);
    let down = test::call_service(&app, get("/read", Some(&cookie))).await;
    assert!(
        down.headers().get(header::SET_COOKIE).is_none(),
        "an outage never deletes the cookie"
    );
    assert_eq!(text(down).await, "None:RevocationUnavailable");
    // Second review, item 5: a handler that writes during the outage (a visit
    // counter) no longer replaces the user's cookie with a new anonymous one.
    let writes = test::call_service(&app, get("/count", Some(&cookie))).await;
    assert!(
        writes.headers().get(header::SET_COOKIE).is_none(),
        "an outage never overwrites the cookie"
    );
    assert_eq!(text(writes).await, "visit #1");
    store.set_down(false);
    assert_eq!(
        text(test::call_service(&app, get("/read", Some(&cookie))).await).await,
        "Some(1):Cookie"
    );
}

#[actix_web::test]
async fn the_origin_guard_refuses_cross_origin_state_changes() {
    let guard = OriginGuard::new().trust("https://admin.example");
    let app = app!(SessionMiddleware::new(sessions()).origin_guard(guard));
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], StatusCode);
    let cases: &[Case] = &[
        (
            "POST",
            &[("sec-fetch-site", "cross-site")],
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            &[("sec-fetch-site", "same-site")],
            StatusCode::FORBIDDEN,
        ),
        ("POST", &[("sec-fetch-site", "same-origin")], StatusCode::OK),
        ("POST", &[("sec-fetch-site", "none")], StatusCode::OK),
        (
            "POST",
            &[("origin", "https://evil.example")],
            StatusCode::FORBIDDEN,
        ),
        ("POST", &[("origin", "null")], StatusCode::FORBIDDEN),
        ("POST", &[("origin", "http://app.example")], StatusCode::OK),
        ("POST", &[], StatusCode::OK),
        (
            "POST",
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://admin.example"),
            ],
            StatusCode::OK,
        ),
        ("GET", &[("sec-fetch-site", "cross-site")], StatusCode::OK),
    ];
    for (method, headers, expected) in cases {
        let mut request = match *method {
            "GET" => TestRequest::get().uri("/count"),
            _ => TestRequest::post().uri("/change"),
        }
        .insert_header((header::HOST, "app.example"));
        for (name, value) in *headers {
            request = request.insert_header((*name, *value));
        }
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), *expected, "{method} {headers:?}");
        if *expected == StatusCode::FORBIDDEN {
            assert!(response.headers().get(header::SET_COOKIE).is_none());
            assert_eq!(
                text(response).await,
                "403 Forbidden: cross-origin request refused"
            );
        }
    }
}

fn chunked_sessions() -> SessionConfig {
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .clock(crate::common::clock)
        .name("__Host-s")
        .max_chunks(4)
        .try_build()
        .unwrap();
    SessionConfig::builder(cookie).build()
}

async fn grow(session: Session) -> impl Responder {
    let noise: String = (0..7_000)
        .map(|i: usize| char::from(b'a' + ((i * 7919 + i / 26) % 26) as u8))
        .collect();
    session.insert("pad", &noise).unwrap();
    "grown"
}

async fn shrink(session: Session) -> impl Responder {
    session.insert("pad", "small").unwrap();
    "shrunk"
}

async fn pad(session: Session) -> impl Responder {
    let pad: Option<String> = session.get("pad");
    format!("{}:{:?}", pad.map_or(0, |p| p.len()), session.source())
}

/// Every `Set-Cookie` of a response as (name, value, is a removal).
fn all_set_cookies<B>(response: &ServiceResponse<B>) -> Vec<(String, String, bool)> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .map(|v| {
            let text = v.to_str().unwrap();
            assert!(text.len() <= 4096);
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            (name.into(), value.into(), text.contains("Max-Age=0"))
        })
        .collect()
}

#[actix_web::test]
async fn a_chunked_session_sets_every_chunk_and_removes_stale_ones() {
    let app = test::init_service(
        App::new()
            .wrap(SessionMiddleware::new(chunked_sessions()))
            .route("/grow", web::post().to(grow))
            .route("/shrink", web::post().to(shrink))
            .route("/pad", web::get().to(pad)),
    )
    .await;
    let grown = test::call_service(&app, TestRequest::post().uri("/grow").to_request()).await;
    assert_eq!(grown.headers().get_all(header::VARY).count(), 1);
    let chunks = all_set_cookies(&grown);
    let names: Vec<&str> = chunks.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["__Host-s", "__Host-s.1", "__Host-s.2"]);
    assert!(chunks.iter().all(|(_, _, removal)| !removal));
    let pairs: Vec<String> = chunks.iter().map(|(n, v, _)| format!("{n}={v}")).collect();
    let cookie = pairs.join("; ");
    let read = test::call_service(&app, get("/pad", Some(&cookie))).await;
    assert!(read.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(text(read).await, "7000:Cookie");
    let shrink = TestRequest::post()
        .uri("/shrink")
        .insert_header((header::COOKIE, cookie.as_str()))
        .to_request();
    let shrunk = test::call_service(&app, shrink).await;
    let summary: Vec<(String, bool)> = all_set_cookies(&shrunk)
        .into_iter()
        .map(|(n, _, r)| (n, r))
        .collect();
    assert_eq!(
        summary,
        [
            ("__Host-s".into(), false),
            ("__Host-s.1".into(), true),
            ("__Host-s.2".into(), true)
        ]
    );
    // Chunks mixed from two sessions: no session, and the chunks sent are removed.
    let other = test::call_service(&app, TestRequest::post().uri("/grow").to_request()).await;
    let other = all_set_cookies(&other);
    let mixed = format!("{}; {}; __Host-s.2={}", pairs[0], pairs[1], other[2].1);
    let response = test::call_service(&app, get("/pad", Some(&mixed))).await;
    assert_eq!(all_set_cookies(&response).len(), 3);
    assert!(all_set_cookies(&response).iter().all(|(_, _, r)| *r));
    assert_eq!(text(response).await, "0:Invalid");
}

async fn log_in_as(session: Session, user: web::Path<String>) -> impl Responder {
    session.log_in(user.into_inner());
    "ok"
}

async fn promote(session: Session) -> impl Responder {
    session.insert("role", "admin").unwrap();
    "ok"
}

async fn me(session: Session) -> impl Responder {
    format!(
        "{:?}:{:?}:{}",
        session.user_id(),
        session.get::<String>("role"),
        session.id().unwrap_or_default()
    )
}

fn post(uri: &str, cookie: Option<&str>) -> actix_http::Request {
    let mut r = TestRequest::post().uri(uri);
    if let Some(c) = cookie {
        r = r.insert_header((header::COOKIE, c));
    }
    r.to_request()
}

/// Second review, item 1, through the middleware: alice logs in and is given a role;
/// bob logs in on the same browser and gets neither her role nor her session id.
#[actix_web::test]
async fn logging_in_as_another_user_inherits_nothing() {
    let app = test::init_service(
        App::new()
            .wrap(SessionMiddleware::new(sessions()))
            .route("/login/{user}", web::post().to(log_in_as))
            .route("/promote", web::post().to(promote))
            .route("/me", web::get().to(me)),
    )
    .await;
    let alice = cookie_pair(&test::call_service(&app, post("/login/alice", None)).await).unwrap();
    let alice =
        cookie_pair(&test::call_service(&app, post("/promote", Some(&alice))).await).unwrap();
    let seen = text(test::call_service(&app, get("/me", Some(&alice))).await).await;
    let (before, alices_id) = seen.rsplit_once(':').unwrap();
    assert_eq!(before, "Some(\"alice\"):Some(\"admin\")");
    let bob =
        cookie_pair(&test::call_service(&app, post("/login/bob", Some(&alice))).await).unwrap();
    let seen = text(test::call_service(&app, get("/me", Some(&bob))).await).await;
    let (after, bobs_id) = seen.rsplit_once(':').unwrap();
    assert_eq!(after, "Some(\"bob\"):None");
    assert!(!bobs_id.is_empty() && bobs_id != alices_id);
}

/// Second review, item 2, through the middleware: a `Cookie:` header made too large
/// by cookies planted for the parent domain gets no cookie at all, not the removal that
/// used to delete the victim's `__Host-` cookie; without them the victim is back.
#[actix_web::test]
async fn cookie_bombing_never_deletes_the_session_cookie() {
    let app = app!(SessionMiddleware::new(sessions()));
    let victim = cookie_pair(&test::call_service(&app, get("/count", None)).await).unwrap();
    let bombs: Vec<String> = (0..5)
        .map(|i| format!("bomb{i}={}", "b".repeat(3_500)))
        .collect();
    let bombed = format!("{victim}; {}", bombs.join("; "));
    for uri in ["/read", "/count"] {
        let response = test::call_service(&app, get(uri, Some(&bombed))).await;
        assert!(
            response.headers().get(header::SET_COOKIE).is_none(),
            "{uri}: a cookie was sent"
        );
    }
    assert_eq!(
        text(test::call_service(&app, get("/read", Some(&bombed))).await).await,
        "None:Unreadable"
    );
    assert_eq!(
        text(test::call_service(&app, get("/read", Some(&victim))).await).await,
        "Some(1):Cookie"
    );
}

/// `SessionMiddleware::new` guards by default; `without_origin_guard` is the explicit
/// opt-out. Requests without `Origin`/`Sec-Fetch-Site` (non-browser clients) pass.
#[actix_web::test]
async fn the_origin_guard_is_on_by_default() {
    let default = app!(SessionMiddleware::new(sessions()));
    let open = app!(SessionMiddleware::new(sessions()).without_origin_guard());
    let post_from = |headers: &[(&'static str, &'static str)]| {
        let mut request = TestRequest::post()
            .uri("/change")
            .insert_header((header::HOST, "app.example"));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        request.to_request()
    };
    let evil = [("origin", "https://evil.example")];
    let cross = [("sec-fetch-site", "cross-site")];
    for (headers, guarded) in [(&evil[..], true), (&cross[..], true), (&[][..], false)] {
        let response = test::call_service(&default, post_from(headers)).await;
        let expected = if guarded {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        };
        assert_eq!(response.status(), expected, "{headers:?}");
        let response = test::call_service(&open, post_from(headers)).await;
        assert_eq!(response.status(), StatusCode::OK, "{headers:?}");
    }
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Cart {
    items: Vec<String>,
}

impl sessionlib::TypedSession for Cart {
    const KEY: &'static str = "cart";
}

async fn add_to_cart(mut cart: sessionlib::actix::Typed<Cart>) -> impl Responder {
    cart.update(|c| c.items.push(format!("item{}", c.items.len())))
        .unwrap();
    cart.items.join(",")
}

async fn log_out_everywhere(session: Session) -> impl Responder {
    match session.log_out_everywhere().await {
        Ok(()) => "done".to_owned(),
        Err(e) => e.to_string(),
    }
}

/// A struct-typed session through the extractor: read, changed, written back.
#[actix_web::test]
async fn a_typed_session_reads_and_writes_one_struct() {
    let app = test::init_service(
        App::new()
            .wrap(SessionMiddleware::new(sessions()))
            .route("/cart", web::post().to(add_to_cart)),
    )
    .await;
    let first = test::call_service(&app, post("/cart", None)).await;
    let cookie = cookie_pair(&first).unwrap();
    assert_eq!(text(first).await, "item0");
    let second = test::call_service(&app, post("/cart", Some(&cookie))).await;
    assert_eq!(text(second).await, "item0,item1");
}

/// `Session::log_out_everywhere` from a handler, with no application state.
#[actix_web::test]
async fn log_out_everywhere_needs_no_app_state() {
    let app = test::init_service(
        App::new()
            .wrap(SessionMiddleware::new(sessions_with(|b| {
                b.revocation(MemoryRevocation::new())
            })))
            .route("/read", web::get().to(read))
            .route("/login", web::post().to(login))
            .route("/everywhere", web::post().to(log_out_everywhere)),
    )
    .await;
    let laptop = cookie_pair(&test::call_service(&app, post("/login", None)).await).unwrap();
    let phone = cookie_pair(&test::call_service(&app, post("/login", None)).await).unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(3)).await;
    let response = test::call_service(&app, post("/everywhere", Some(&laptop))).await;
    assert!(response.headers().get(header::SET_COOKIE).is_some());
    assert_eq!(text(response).await, "done");
    assert_eq!(
        text(test::call_service(&app, get("/read", Some(&phone))).await).await,
        "None:Revoked"
    );
}
