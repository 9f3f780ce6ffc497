//! The Rust examples in `README.md`, compiled and run. Each example stands here
//! verbatim inside a function that supplies what the README leaves to the reader (the
//! request's `Cookie:` header, a response to add headers to), and
//! `readme_examples_are_the_ones_tested` fails when the README and this file drift apart.

#[rustfmt::skip]
mod api_tour {
    // README: "API tour".
    use sessionlib::{time, Codec, Error, Key, KeyUsed, Keyring, Verified};

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Cart { items: Vec<String> }

    fn demo(secret: &[u8], previous: &[u8], cart: &Cart) -> Result<(), Error> {
        // Keys: at least 32 bytes (Key::generate() makes a random one).
        let ring = Keyring::new(Key::from_bytes(secret)?)   // signs and verifies
            .with_fallback(Key::from_bytes(previous)?);     // verifies only
        let codec = Codec::builder(ring)
            .salt("shop.session")                 // the purpose; defaults to "sessionlib.session"
            .ttl(time::Duration::hours(2))        // defaults to 14 days
            .leeway(time::Duration::seconds(5))   // clock skew allowance; defaults to 0
            .max_token_len(4096)                  // defaults to 4096
            .build();                             // Send + Sync, cheap to clone

        let token: String = codec.encode(cart)?;
        let remember_me = codec.encode_until(cart, time::OffsetDateTime::now_utc() + time::Duration::days(30))?;

        let v: Verified<Cart> = codec.decode(&token)?;
        // v.data, v.expires_at (time::OffsetDateTime), v.key_used (Primary | Fallback(i))
        if v.key_used != KeyUsed::Primary {
            let _fresh = codec.encode_until(&v.data, v.expires_at)?; // re-issue with the primary key
        }
        let _dynamic = codec.decode_value(&remember_me)?; // Verified<serde_json::Value>
        let _at = codec.decode_at::<Cart>(&token, time::OffsetDateTime::now_utc())?; // injectable clock
        let _valid = codec.verify(&token)?; // Verified<()>: the same checks, data not decoded, no allocation
        Ok(())
    }

    #[test]
    fn runs() {
        let cart = Cart { items: vec!["tea".into()] };
        demo(&[1; 32], &[2; 32], &cart).unwrap();
        assert_eq!(
            demo(&[1; 31], &[2; 32], &cart),
            Err(Error::Key(sessionlib::KeyError::TooShort { len: 31, min: 32 }))
        );
    }
}

#[cfg(feature = "sealed")]
#[rustfmt::skip]
mod sealed_sessions {
    // README: "Sealed sessions".
    use sessionlib::{Codec, CookieConfig, Key, Keyring, SessionConfig};

    fn sealed(ring: Keyring) -> Result<SessionConfig, sessionlib::Error> {
        // A sealed codec on its own (a salt, TTL and key rotation as for signed tokens) ...
        let codec = Codec::builder(ring.clone()).salt("shop.session").sealed(true).build();
        let token = codec.encode(&serde_json::json!({"user": "cobra"}))?;
        assert!(!token.contains("cobra"));
        assert_eq!(codec.decode_value(&token)?.data["user"], "cobra");

        // ... or the cookie, and everything above it: SessionConfig and the axum and
        // actix-web integrations need nothing else.
        let cookie = CookieConfig::builder(ring).name("__Host-session").sealed(true).try_build()?;
        Ok(SessionConfig::builder(cookie).build())
    }

    #[test]
    fn runs() {
        let sessions = sealed(Keyring::new(Key::generate())).unwrap();
        assert!(sessions.cookie().codec().is_sealed());
    }
}

/// Collects response headers, standing in for a framework's header map.
#[derive(Default)]
struct Headers(Vec<(&'static str, String)>);

impl Headers {
    fn append(&mut self, name: &'static str, value: String) {
        self.0.push((name, value));
    }
}

// README: "Cookies and sessions".
#[rustfmt::skip]
fn sessions_example(
    cookie_header_bytes: &[u8],
    response_headers: &mut Headers,
) -> Result<(), Box<dyn std::error::Error>> {
    use sessionlib::{time, CookieConfig, Key, Keyring, SessionConfig};

    let cookie = CookieConfig::builder(Keyring::new(Key::generate()))
        .try_build()?;                                 // named `__Host-session`
    let sessions = SessionConfig::builder(cookie)
        .idle_timeout(time::Duration::minutes(30))     // sliding expiry
        .absolute_lifetime(time::Duration::hours(12))  // hard cap from login
        .max_lifetime(time::Duration::days(30))        // the longest "remember me" (set_lifetime)
        .validate(|_session| true /* e.g. compare a session version with your database */)
        .build();

    // In a middleware: load before the handler (never fails: a missing, forged, expired,
    // ambiguous or revoked cookie gives a fresh session) ...
    let mut session = sessions.load(cookie_header_bytes);
    session.insert("user_id", &42)?;
    session.flash("info", "Logged in successfully");
    // ... and save after it. `None` when nothing changed and no refresh is due.
    if let Some(update) = sessions.save(&session)? {
        for (name, value) in update.headers() {
            // set-cookie, vary: Cookie, cache-control: private
            response_headers.append(name, value);
        }
    }
    Ok(())
}

#[test]
fn sessions_example_sets_the_cookie() {
    let mut headers = Headers::default();
    sessions_example(b"__Host-session=forged; theme=dark", &mut headers).unwrap();
    let names: Vec<&str> = headers.0.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["set-cookie", "vary", "cache-control"]);
    assert!(headers.0[0].1.starts_with("__Host-session="));
}

// README: "Cookies and sessions", time in tests.
#[rustfmt::skip]
fn clock_example() -> Result<(), sessionlib::Error> {
    use sessionlib::clock::ManualClock;
    use sessionlib::{time, CookieConfig, Key, SessionConfig, SessionSource};

    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let cookie = CookieConfig::builder(Key::generate())
        .clock(clock.clone())                           // the one clock hook; the session layer reads it too
        .try_build()?;
    let sessions = SessionConfig::builder(cookie)
        .idle_timeout(std::time::Duration::from_secs(30 * 60)) // a std or a time Duration
        .build();

    let mut session = sessions.load("");
    session.insert("user_id", &42)?;
    let update = sessions.save(&session)?.expect("a new session sets its cookie");
    let cookie_header = format!("{}={}", update.cookie().name(), update.cookie().value());

    clock.advance(time::Duration::minutes(29));
    assert_eq!(sessions.load(&cookie_header).source(), SessionSource::Cookie);
    clock.advance(time::Duration::minutes(2));
    assert_eq!(sessions.load(&cookie_header).source(), SessionSource::Expired);
    Ok(())
}

#[test]
fn clock_example_expires_the_session() {
    clock_example().unwrap();
}

// README: "Sharing sessions with Flask".
#[cfg(feature = "flask")]
#[allow(unused_variables)]
#[rustfmt::skip]
fn flask_example(
    cookie_header_bytes: &[u8],
    response_headers: &mut Headers,
) -> Result<(), sessionlib::Error> {
    use sessionlib::flask::{self, FlaskCodec, FlaskValue};

    // The Flask app's SECRET_KEY and SECRET_KEY_FALLBACKS (short keys are accepted here,
    // with the risk spelled out in the docs of Key::from_flask_secret_key).
    let codec = FlaskCodec::from_flask_config(b"flask SECRET_KEY", &[b"an old key".as_slice()])?;
    if let Some(verified) = codec.decode_header(cookie_header_bytes, "session")? {
        let user = verified.data.get("user_id").and_then(FlaskValue::as_str);
        let mut session = verified.data.clone();
        flask::flash(&mut session, "message", "Hello from Rust"); // Flask's get_flashed_messages() shows it
        let cookie_value = codec.encode(&session)?;               // Flask reads it back
        response_headers.append("set-cookie", format!("session={cookie_value}; HttpOnly; Path=/"));
    }
    Ok(())
}

#[cfg(feature = "flask")]
#[test]
fn flask_example_reads_and_writes_a_cookie() {
    use sessionlib::flask::{take_flashes, FlaskCodec, FlaskSession, FlaskValue};
    let old = FlaskCodec::from_flask_config(b"an old key", &[]).unwrap();
    let mut session = FlaskSession::new();
    session.insert("user_id".into(), FlaskValue::from("42"));
    let header = format!("theme=dark; session={}", old.encode(&session).unwrap());

    let mut headers = Headers::default();
    flask_example(header.as_bytes(), &mut headers).unwrap();
    let [(name, value)] = headers.0.as_slice() else {
        panic!("one header expected");
    };
    assert_eq!(*name, "set-cookie");
    let written = value
        .strip_prefix("session=")
        .and_then(|v| v.strip_suffix("; HttpOnly; Path=/"))
        .unwrap();
    let codec = FlaskCodec::from_flask_config(b"flask SECRET_KEY", &[]).unwrap();
    let mut back = codec.decode(written).unwrap().data;
    assert_eq!(back.get("user_id").and_then(FlaskValue::as_str), Some("42"));
    assert_eq!(take_flashes(&mut back).len(), 1);
    // No session cookie: nothing is written.
    let mut headers = Headers::default();
    flask_example(b"theme=dark", &mut headers).unwrap();
    assert!(headers.0.is_empty());
}

// README: "Quick start", the complete app (compiled; its server is not started).
#[cfg(feature = "axum")]
#[rustfmt::skip]
mod quick_start {
    use axum::{routing::get, Router};
    use sessionlib::axum::{OriginGuard, Session, SessionLayer};
    use sessionlib::{CookieConfig, Keyring, SessionConfig};

    async fn visits(session: Session) -> String {
        let n: u32 = session.get("visits").unwrap_or(0) + 1;
        session.insert("visits", &n).expect("a number serializes");
        format!("visit #{n}")
    }

    #[tokio::main]
    async fn main() -> Result<(), Box<dyn std::error::Error>> {
        // At least 32 bytes each; the previous key keeps old cookies valid during a rotation.
        let keys = Keyring::from_env("MYAPP_SECRET_KEY", &["MYAPP_PREVIOUS_KEY"])?;
        let sessions = SessionConfig::builder(CookieConfig::builder(keys).try_build()?).build();
        let app = Router::new()
            .route("/", get(visits))
            .layer(SessionLayer::new(sessions).origin_guard(OriginGuard::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
        axum::serve(listener, app).await?;
        Ok(())
    }

    #[test]
    fn without_keys_it_says_which_variable_is_missing() {
        // The variable is never set in tests: main stops with a clear error.
        let err = main().unwrap_err();
        assert_eq!(err.to_string(), "MYAPP_SECRET_KEY is not set");
        let _ = visits;
    }
}

// README: "Framework integrations", axum.
#[cfg(feature = "axum")]
#[rustfmt::skip]
mod axum_example {
    use axum::{routing::get, Router};
    use sessionlib::axum::{OriginGuard, Session, SessionLayer};

    async fn index(session: Session) -> String {              // an extractor: no lock, no unwrap
        let visits: u32 = session.get("visits").unwrap_or(0);
        session.insert("visits", &(visits + 1)).expect("a number serializes");
        format!("visit #{}", visits + 1)
    }

    fn app(sessions: sessionlib::SessionConfig) -> Router {
        Router::new()
            .route("/", get(index))
            .layer(SessionLayer::new(sessions).origin_guard(OriginGuard::new()))
    }

    #[tokio::test]
    async fn counts_visits() {
        use tower::ServiceExt;
        let app = app(super::example_sessions());
        let request = || axum::http::Request::get("/").body(axum::body::Body::empty()).unwrap();
        let first = app.clone().oneshot(request()).await.unwrap();
        let cookie = first.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut second = request();
        second.headers_mut().insert("cookie", cookie.parse().unwrap());
        let second = app.oneshot(second).await.unwrap();
        let body = axum::body::to_bytes(second.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"visit #2");
    }
}

// README: "Framework integrations", actix-web.
#[cfg(feature = "actix")]
#[rustfmt::skip]
mod actix_example {
    use actix_web::{web, App, HttpServer, Responder};
    use sessionlib::actix::{OriginGuard, Session, SessionMiddleware};

    async fn login(session: Session) -> impl Responder {
        session.log_in("cobra");                    // the login recipe: see below
        session.flash("info", "Logged in successfully");
        "welcome"
    }

    async fn serve(sessions: sessionlib::SessionConfig) -> std::io::Result<()> {
        HttpServer::new(move || {
            App::new()
                .wrap(SessionMiddleware::new(sessions.clone()).origin_guard(OriginGuard::new()))
                .route("/login", web::post().to(login))
        })
        .bind(("127.0.0.1", 8000))?
        .run()
        .await
    }

    #[actix_web::test]
    async fn logs_in() {
        let _ = serve; // compiled, not started
        let sessions = super::example_sessions();
        let app = App::new()
            .wrap(SessionMiddleware::new(sessions).origin_guard(OriginGuard::new()))
            .route("/login", web::post().to(login));
        let app = actix_web::test::init_service(app).await;
        let request = actix_web::test::TestRequest::post().uri("/login").to_request();
        let response = actix_web::test::call_service(&app, request).await;
        assert!(response.headers().get("set-cookie").is_some());
    }
}

// README: "Framework integrations", log out everywhere.
#[rustfmt::skip]
async fn revocation_example() -> Result<sessionlib::SessionConfig, Box<dyn std::error::Error>> {
    use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, SessionConfig};

    let sessions = SessionConfig::builder(CookieConfig::builder(Keyring::new(Key::generate())).try_build()?)
        .revocation(MemoryRevocation::new())   // asked on every request with a valid cookie
        .build();
    // In the "log out everywhere" handler (a handler reaches it as `session.config()`):
    // every session of the user logged in until now ends.
    sessions.revoke_user("cobra").await?;
    // Or keep the user out altogether: sessions.ban("cobra").await?;
    Ok(sessions)
}

#[tokio::test]
async fn revocation_example_builds() {
    revocation_example().await.unwrap();
}

// README: "Framework integrations", any framework with `http` types.
#[cfg(feature = "http")]
mod http_example {
    use sessionlib::SessionConfig;

    #[rustfmt::skip]
    async fn handle(sessions: &SessionConfig, request: http::Request<String>) -> http::Response<String> {
        let session = sessions.load_headers_async(request.headers()).await; // every Cookie header, revocation checked
        let mut response = http::Response::new(format!("hello {:?}", session.user_id()));
        if sessions.save_headers(&session, response.headers_mut()).is_err() { // Set-Cookie, Vary, Cache-Control
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        }
        response
    }

    #[tokio::test]
    async fn answers() {
        let sessions = super::example_sessions();
        let response = handle(&sessions, http::Request::new(String::new())).await;
        assert_eq!(response.body(), "hello None");
        assert!(
            response.headers().get("set-cookie").is_none(),
            "nothing to save"
        );
    }
}

#[allow(dead_code)]
fn example_sessions() -> sessionlib::SessionConfig {
    use sessionlib::{CookieConfig, Key, Keyring, SessionConfig};
    SessionConfig::builder(
        CookieConfig::builder(Keyring::new(Key::generate()))
            .try_build()
            .unwrap(),
    )
    .build()
}

// README: "Sharing sessions with Django".
#[cfg(feature = "django")]
#[allow(unused_variables)]
#[rustfmt::skip]
fn django_example(
    cookie_header_bytes: &[u8],
    response_headers: &mut Headers,
) -> Result<(), sessionlib::Error> {
    use sessionlib::django::{self, DjangoCodec, DjangoSession, Message};

    // The Django app's SECRET_KEY and SECRET_KEY_FALLBACKS (any non-empty string is accepted,
    // with the risk spelled out in the docs of Key::from_django_secret_key).
    let codec = DjangoCodec::from_django_settings("django SECRET_KEY", &["an old key"])?;
    if let Some(verified) = codec.decode_header::<DjangoSession>(cookie_header_bytes, "sessionid")? {
        let user_id = django::auth_user(&verified.data).map(|user| user.user_id); // Django's login
        let mut session = verified.data.clone();
        django::add_message(&mut session, Message::new(django::level::INFO, "Hello from Rust")); // Django's messages show it
        let cookie_value = codec.encode(&session)?;    // Django reads it back
        response_headers.append("set-cookie", format!("sessionid={cookie_value}; HttpOnly; Path=/; SameSite=Lax"));
    }
    Ok(())
}

#[cfg(feature = "django")]
#[test]
fn django_example_reads_and_writes_a_cookie() {
    use sessionlib::django::{self, AuthUser, DjangoCodec, DjangoSession};
    let old = DjangoCodec::from_django_settings("an old key", &[]).unwrap();
    let mut session = DjangoSession::new();
    let user = AuthUser::new("42", django::MODEL_BACKEND, "");
    django::set_auth_user(&mut session, &user);
    let header = format!("csrftoken=x; sessionid={}", old.encode(&session).unwrap());

    let mut headers = Headers::default();
    django_example(header.as_bytes(), &mut headers).unwrap();
    let [(name, value)] = headers.0.as_slice() else {
        panic!("one header expected");
    };
    assert_eq!(*name, "set-cookie");
    let written = value
        .strip_prefix("sessionid=")
        .and_then(|v| v.strip_suffix("; HttpOnly; Path=/; SameSite=Lax"))
        .unwrap();
    let codec = DjangoCodec::from_django_settings("django SECRET_KEY", &[]).unwrap();
    let mut back = codec.decode::<DjangoSession>(written).unwrap().data;
    assert_eq!(django::auth_user(&back), Some(user));
    assert_eq!(
        django::take_messages(&mut back)[0].message,
        "Hello from Rust"
    );
    // No session cookie: nothing is written.
    let mut headers = Headers::default();
    django_example(b"csrftoken=x", &mut headers).unwrap();
    assert!(headers.0.is_empty());
}

/// Every ```rust block of the README appears in this file, line for line (indentation
/// aside), so the examples above are the README's.
#[test]
fn readme_examples_are_the_ones_tested() {
    let readme = include_str!("../../README.md");
    let this = include_str!("readme.rs");
    let normalize = |text: &str| -> String {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let tested = normalize(this);
    let mut blocks = 0;
    for block in readme.split("```rust\n").skip(1) {
        let code = block.split("```").next().unwrap();
        let example = normalize(code);
        assert!(
            tested.contains(&example),
            "this README example is not in tests/it/readme.rs:\n{example}"
        );
        blocks += 1;
    }
    assert_eq!(
        blocks, 11,
        "a README example was added or removed: update tests/it/readme.rs"
    );
}
