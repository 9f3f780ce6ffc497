//! The recipes' app (`docs/recipes.md`), in axum and in actix-web, driven in-process
//! (tower's `oneshot`, `actix_web::test`) through every recipe: log in, remember me, a
//! browser session, the flash message of a logout, log out everywhere, and the
//! same-origin guard. The apps stand here verbatim (the page's hidden lines aside), and
//! `recipe_apps_are_the_ones_tested` fails when the page and this file drift apart.

use crate::readme::{rust_blocks, shown_lines};

// docs/recipes.md: "The app", axum.
#[rustfmt::skip]
mod axum_app {
    use axum::extract::Form;
    use axum::http::StatusCode;
    use axum::response::Redirect;
    use axum::routing::{get, post};
    use axum::Router;
    use serde::Deserialize;
    use sessionlib::axum::{Session, SessionLayer};
    use sessionlib::time::Duration;
    use sessionlib::{CookieConfig, CookieConfigError, Keyring, MemoryRevocation, SessionConfig};

    /// The one session configuration of the app.
    fn sessions(keys: Keyring) -> Result<SessionConfig, CookieConfigError> {
        let cookie = CookieConfig::builder(keys).try_build()?; // `__Host-session`, Secure, HttpOnly, SameSite=Lax
        Ok(SessionConfig::builder(cookie)
            .idle_timeout(Duration::hours(2))      // ends after two hours without a request
            .max_lifetime(Duration::days(30))      // the longest "remember me"
            .browser_session(true)                 // no Expires: gone when the browser closes, unless remembered
            .revocation(MemoryRevocation::new())   // "log out everywhere" (one process; Redis for a fleet)
            .build())
    }

    #[derive(Deserialize)]
    struct Login {
        user: String,
        password: String,
        remember_me: Option<String>, // a checkbox: present when ticked
    }

    /// Stands in for your user store.
    fn password_is_right(user: &str, password: &str) -> bool {
        user == "cobra" && password == "pw"
    }

    async fn home(session: Session) -> String {
        let flashes: Vec<String> = session.take_flashes().into_iter().map(|f| f.message).collect();
        match session.user_id() {
            Some(user) => format!("Logged in as {user}. {}", flashes.join(" ")),
            None => format!("You are not logged in. {}", flashes.join(" ")),
        }
    }

    async fn login(session: Session, Form(form): Form<Login>) -> Result<Redirect, StatusCode> {
        if !password_is_right(&form.user, &form.password) {
            return Err(StatusCode::UNAUTHORIZED);
        }
        session.log_in(form.user);                 // a new session id; another user's data is dropped
        if form.remember_me.is_some() {
            session.set_lifetime(Duration::days(30)).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        }
        session.flash("info", "Logged in.");
        Ok(Redirect::to("/"))
    }

    async fn logout(session: Session) -> Redirect {
        session.flash("info", "Logged out.");      // set before clear: shown on the next page
        session.clear();                           // the data and the user go; the cookie is replaced
        Redirect::to("/")
    }

    async fn logout_everywhere(session: Session) -> Result<Redirect, StatusCode> {
        // Every session of the user logged in until now, on every device; then clears this one.
        session.log_out_everywhere().await.map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
        session.flash("info", "Logged out on every device.");
        Ok(Redirect::to("/"))
    }

    fn app(sessions: SessionConfig) -> Router {
        Router::new()
            .route("/", get(home))
            .route("/login", post(login))
            .route("/logout", post(logout))
            .route("/logout-everywhere", post(logout_everywhere))
            .layer(SessionLayer::new(sessions)) // same-origin guard included
    }

    #[tokio::main]
    async fn main() -> Result<(), Box<dyn std::error::Error>> {
        let keys = Keyring::from_env("MYAPP_SECRET_KEY", &["MYAPP_PREVIOUS_KEY"])?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
        axum::serve(listener, app(sessions(keys)?)).await?;
        Ok(())
    }

    pub(super) fn test_app() -> Router {
        app(sessions(Keyring::new(sessionlib::Key::generate())).unwrap())
    }

    pub(super) fn start() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

// docs/recipes.md: "The app", actix-web.
#[rustfmt::skip]
mod actix_app {
    use sessionlib::time::Duration;
    use sessionlib::{CookieConfig, CookieConfigError, Keyring, MemoryRevocation, SessionConfig};

    // The lines the page hides: `sessions`, `Login` and `password_is_right` of the axum app.
    fn sessions(keys: Keyring) -> Result<SessionConfig, CookieConfigError> {
        let cookie = CookieConfig::builder(keys).try_build()?;
        Ok(SessionConfig::builder(cookie)
            .idle_timeout(Duration::hours(2))
            .max_lifetime(Duration::days(30))
            .browser_session(true)
            .revocation(MemoryRevocation::new())
            .build())
    }

    #[derive(serde::Deserialize)]
    struct Login {
        user: String,
        password: String,
        remember_me: Option<String>,
    }

    fn password_is_right(user: &str, password: &str) -> bool {
        user == "cobra" && password == "pw"
    }

    use actix_web::{web, App, HttpResponse, HttpServer};
    use sessionlib::actix::{Session, SessionMiddleware};

    fn see_other(location: &str) -> HttpResponse {
        HttpResponse::SeeOther().insert_header(("location", location)).finish()
    }

    async fn home(session: Session) -> String {
        let flashes: Vec<String> = session.take_flashes().into_iter().map(|f| f.message).collect();
        match session.user_id() {
            Some(user) => format!("Logged in as {user}. {}", flashes.join(" ")),
            None => format!("You are not logged in. {}", flashes.join(" ")),
        }
    }

    async fn login(session: Session, form: web::Form<Login>) -> HttpResponse {
        let form = form.into_inner();
        if !password_is_right(&form.user, &form.password) {
            return HttpResponse::Unauthorized().finish();
        }
        session.log_in(form.user);
        if form.remember_me.is_some() && session.set_lifetime(Duration::days(30)).is_err() {
            return HttpResponse::InternalServerError().finish();
        }
        session.flash("info", "Logged in.");
        see_other("/")
    }

    async fn logout(session: Session) -> HttpResponse {
        session.flash("info", "Logged out.");
        session.clear();
        see_other("/")
    }

    async fn logout_everywhere(session: Session) -> HttpResponse {
        if session.log_out_everywhere().await.is_err() {
            return HttpResponse::ServiceUnavailable().finish();
        }
        session.flash("info", "Logged out on every device.");
        see_other("/")
    }

    fn routes(config: &mut web::ServiceConfig) {
        config
            .route("/", web::get().to(home))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/logout-everywhere", web::post().to(logout_everywhere));
    }

    #[actix_web::main]
    async fn main() -> std::io::Result<()> {
        let keys = Keyring::from_env("MYAPP_SECRET_KEY", &["MYAPP_PREVIOUS_KEY"]).map_err(std::io::Error::other)?;
        let sessions = sessions(keys).map_err(std::io::Error::other)?;
        HttpServer::new(move || App::new().wrap(SessionMiddleware::new(sessions.clone())).configure(routes))
            .bind(("127.0.0.1", 8000))?
            .run()
            .await
    }

    pub(super) fn test_sessions() -> SessionConfig {
        sessions(Keyring::new(sessionlib::Key::generate())).unwrap()
    }

    pub(super) fn test_routes(config: &mut web::ServiceConfig) {
        routes(config);
    }

    pub(super) fn start() -> std::io::Result<()> {
        main()
    }
}

/// A request of the scenario: method, path, the session cookie (`name=value`), a form
/// body and a `Sec-Fetch-Site` header.
struct Req<'a> {
    post: bool,
    path: &'a str,
    cookie: Option<&'a str>,
    form: Option<&'a str>,
    fetch_site: Option<&'a str>,
}

/// What the scenario reads of a response.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// The first `Set-Cookie` header, whole.
    set_cookie: Option<String>,
    body: String,
}

impl Reply {
    /// The `name=value` pair of the session cookie set.
    fn cookie(&self) -> String {
        let set = self.set_cookie.as_deref().expect("a Set-Cookie header");
        set.split(';').next().unwrap().to_owned()
    }
}

#[allow(async_fn_in_trait)]
trait Client {
    async fn send(&self, req: Req<'_>) -> Reply;
}

/// One browser: it keeps the session cookie its responses set, as a browser does.
struct Browser<'c, C> {
    client: &'c C,
    cookie: Option<String>,
}

impl<'c, C: Client> Browser<'c, C> {
    fn new(client: &'c C) -> Self {
        Self {
            client,
            cookie: None,
        }
    }

    async fn send(&mut self, path: &str, form: Option<&str>, post: bool) -> Reply {
        let reply = self
            .client
            .send(Req {
                post,
                path,
                cookie: self.cookie.as_deref(),
                form,
                fetch_site: None,
            })
            .await;
        if reply.set_cookie.is_some() {
            let pair = reply.cookie();
            self.cookie = (!pair.ends_with('=')).then_some(pair); // `name=`: a removal
        }
        reply
    }

    /// `GET /`: the page's text.
    async fn home(&mut self) -> String {
        let reply = self.send("/", None, false).await;
        assert_eq!(reply.status, 200);
        reply.body
    }

    async fn post(&mut self, path: &str, form: Option<&str>) -> Reply {
        self.send(path, form, true).await
    }
}

/// Every recipe of the page, against one app.
async fn recipes(client: &impl Client) {
    let mut laptop = Browser::new(client);
    assert_eq!(laptop.home().await, "You are not logged in. ");

    // Log in, in a browser session: the cookie has no Expires.
    let login = laptop.post("/login", Some("user=cobra&password=pw")).await;
    assert_eq!(login.status, 303);
    let set = login.set_cookie.unwrap();
    assert!(set.starts_with("__Host-session="), "{set}");
    assert!(!set.contains("Expires"), "a browser session: {set}");
    assert_eq!(laptop.home().await, "Logged in as cobra. Logged in.");
    assert_eq!(
        laptop.home().await,
        "Logged in as cobra. ",
        "a flash shows once"
    );

    // A wrong password logs nobody in.
    let mut stranger = Browser::new(client);
    let refused = stranger
        .post("/login", Some("user=cobra&password=nope"))
        .await;
    assert_eq!(refused.status, 401);
    assert!(refused.set_cookie.is_none());

    // Remember me: a persistent cookie, 30 days ahead.
    let mut phone = Browser::new(client);
    let remembered = phone
        .post("/login", Some("user=cobra&password=pw&remember_me=on"))
        .await;
    assert_eq!(remembered.status, 303);
    let set = remembered.set_cookie.unwrap();
    let expires = cookie::Cookie::parse(set.as_str())
        .unwrap()
        .expires_datetime()
        .unwrap_or_else(|| panic!("remember me sets Expires: {set}"));
    let days = (expires - sessionlib::time::OffsetDateTime::now_utc()).whole_days();
    assert!((29..=30).contains(&days), "{set}");
    assert_eq!(phone.home().await, "Logged in as cobra. Logged in.");

    // Log out: the flash set before clear shows on the next page.
    let logout = phone.post("/logout", None).await;
    assert_eq!(logout.status, 303);
    assert_eq!(phone.home().await, "You are not logged in. Logged out.");
    assert_eq!(phone.home().await, "You are not logged in. ");

    // Log out everywhere: another device's cookie is refused from its next request.
    let mut tablet = Browser::new(client);
    tablet.post("/login", Some("user=cobra&password=pw")).await;
    assert_eq!(tablet.home().await, "Logged in as cobra. Logged in.");
    let tablet_cookie = tablet.cookie.clone();
    let everywhere = laptop.post("/logout-everywhere", None).await;
    assert_eq!(everywhere.status, 303);
    assert_eq!(
        laptop.home().await,
        "You are not logged in. Logged out on every device."
    );
    assert_eq!(tablet.home().await, "You are not logged in. ");
    assert_eq!(tablet.cookie, None, "the refused cookie is deleted");
    // A copy of the tablet's cookie is refused too.
    let copy = client
        .send(Req {
            post: false,
            path: "/",
            cookie: tablet_cookie.as_deref(),
            form: None,
            fetch_site: None,
        })
        .await;
    assert_eq!(copy.body, "You are not logged in. ");

    // The same-origin guard is on: a cross-site form post is refused before the handler.
    let cross = client
        .send(Req {
            post: true,
            path: "/login",
            cookie: None,
            form: Some("user=cobra&password=pw"),
            fetch_site: Some("cross-site"),
        })
        .await;
    assert_eq!(cross.status, 403);
    assert!(cross.set_cookie.is_none());
}

struct Axum(axum::Router);

impl Client for Axum {
    async fn send(&self, req: Req<'_>) -> Reply {
        use tower::ServiceExt;
        let mut builder = axum::http::Request::builder()
            .method(if req.post { "POST" } else { "GET" })
            .uri(req.path);
        if let Some(cookie) = req.cookie {
            builder = builder.header("cookie", cookie);
        }
        if let Some(site) = req.fetch_site {
            builder = builder.header("sec-fetch-site", site);
        }
        let body = match req.form {
            Some(form) => {
                builder = builder.header("content-type", "application/x-www-form-urlencoded");
                axum::body::Body::from(form.to_owned())
            }
            None => axum::body::Body::empty(),
        };
        let response = self
            .0
            .clone()
            .oneshot(builder.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            set_cookie,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }
}

#[tokio::test]
async fn the_axum_app_does_every_recipe() {
    recipes(&Axum(axum_app::test_app())).await;
}

struct Actix<S>(S);

impl<S, B> Client for Actix<S>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    async fn send(&self, req: Req<'_>) -> Reply {
        use actix_web::test::TestRequest;
        let mut request = if req.post {
            TestRequest::post()
        } else {
            TestRequest::get()
        }
        .uri(req.path);
        if let Some(cookie) = req.cookie {
            request = request.insert_header(("cookie", cookie));
        }
        if let Some(site) = req.fetch_site {
            request = request.insert_header(("sec-fetch-site", site));
        }
        if let Some(form) = req.form {
            request = request
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(form.to_owned());
        }
        let response = actix_web::test::call_service(&self.0, request.to_request()).await;
        let status = response.status().as_u16();
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = actix_web::test::read_body(response).await;
        Reply {
            status,
            set_cookie,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }
}

#[actix_web::test]
async fn the_actix_app_does_every_recipe() {
    use sessionlib::actix::SessionMiddleware;
    let app = actix_web::App::new()
        .wrap(SessionMiddleware::new(actix_app::test_sessions()))
        .configure(actix_app::test_routes);
    recipes(&Actix(actix_web::test::init_service(app).await)).await;
}

#[test]
fn without_a_key_the_apps_say_how_to_make_one() {
    let hint =
        "MYAPP_SECRET_KEY is not set (make a key of at least 32 bytes with: openssl rand -hex 32)";
    assert_eq!(axum_app::start().unwrap_err().to_string(), hint);
    assert_eq!(actix_app::start().unwrap_err().to_string(), hint);
}

/// The page's two apps appear in this file, line for line (indentation and the
/// page's hidden lines aside).
#[test]
fn recipe_apps_are_the_ones_tested() {
    let page = include_str!("../../docs/recipes.md");
    let tested = shown_lines(include_str!("recipes.rs"));
    let blocks = rust_blocks(page);
    for code in blocks.iter().take(2) {
        let example = shown_lines(code);
        assert!(
            tested.contains(&example),
            "this app of docs/recipes.md is not in tests/it/recipes.rs:\n{example}"
        );
    }
}
