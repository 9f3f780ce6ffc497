//! The shared scenarios on Rocket, through its asynchronous local client.

use rocket::http::{Header, Method, Status};
use rocket::local::asynchronous::Client;
use rocket::response::Redirect;
use rocket::{get, post, routes, Build, Rocket, State};
use sessionlib::rocket::{MissingSessionFairing, Session, SessionFairing, Typed};
use sessionlib::OriginGuard;
use sessionlib::SessionConfig;

use super::{say, suite, Cart, Driver, Guard, Kept, Req, Res};

pub struct RocketApp(Client);

/// A response with `Cache-Control: public, max-age=60`.
#[derive(rocket::Responder)]
#[response(content_type = "text/plain")]
struct Public {
    body: String,
    cache: Header<'static>,
}

fn public(body: String) -> Public {
    Public {
        body,
        cache: Header::new("Cache-Control", "public, max-age=60"),
    }
}

#[get("/count")]
fn count(s: Session) -> String {
    say::count(&s)
}

#[post("/change")]
fn change(s: Session) -> String {
    say::count(&s)
}

#[get("/change")]
fn change_get(s: Session) -> String {
    say::count(&s)
}

#[get("/read")]
fn read(s: Session) -> String {
    say::read(&s)
}

#[post("/login")]
async fn login(s: Session) -> String {
    say::login(&s).await
}

#[post("/go")]
fn go(s: Session) -> Redirect {
    s.flash("info", "saved before the redirect");
    Redirect::to("/")
}

#[post("/fail")]
fn fail(s: Session) -> Status {
    s.insert("attempts", &1).unwrap();
    Status::UnprocessableEntity
}

#[get("/")]
fn flashes(s: Session) -> String {
    say::flashes(&s)
}

#[get("/huge")]
fn huge(s: Session) -> &'static str {
    say::huge(&s)
}

#[get("/public")]
fn public_cache(s: Session) -> Public {
    s.insert("x", &1).unwrap();
    public("cached".into())
}

#[get("/public-read")]
fn public_read(s: Session) -> Public {
    public(say::read(&s))
}

#[get("/keep")]
fn keep(s: Session, kept: &State<Kept>) -> &'static str {
    say::keep(&s, kept)
}

#[get("/user")]
fn user(s: Session) -> String {
    say::user(&s)
}

#[post("/grow")]
fn grow(s: Session) -> &'static str {
    say::grow(&s)
}

#[post("/shrink")]
fn shrink(s: Session) -> &'static str {
    say::shrink(&s)
}

#[get("/pad")]
fn pad(s: Session) -> String {
    say::pad(&s)
}

#[post("/login/<user>")]
fn log_in_as(s: Session, user: String) {
    s.log_in(user);
}

#[post("/promote")]
fn promote(s: Session) {
    s.insert("role", "admin").unwrap();
}

#[get("/me")]
fn me(s: Session) -> String {
    say::me(&s)
}

#[post("/cart")]
fn cart(mut cart: Typed<Cart>) -> String {
    say::add_to_cart(&mut cart)
}

#[get("/set-cart")]
fn set_cart(s: Session) {
    s.insert("cart", &42).unwrap();
}

#[post("/everywhere")]
async fn everywhere(s: Session) -> String {
    say::log_out_everywhere(&s).await
}

fn rocket(kept: Kept) -> Rocket<Build> {
    let config = rocket::Config {
        log_level: rocket::config::LogLevel::Off,
        ..rocket::Config::debug_default()
    };
    rocket::custom(config).manage(kept).mount(
        "/",
        routes![
            count,
            change,
            change_get,
            read,
            login,
            go,
            fail,
            flashes,
            huge,
            public_cache,
            public_read,
            keep,
            user,
            grow,
            shrink,
            pad,
            log_in_as,
            promote,
            me,
            cart,
            set_cart,
            everywhere
        ],
    )
}

impl Driver for RocketApp {
    const INTEGRATION: &'static str = "sessionlib::rocket::SessionFairing";

    async fn app(sessions: SessionConfig, guard: Guard, kept: Kept) -> Self {
        let fairing = SessionFairing::new(sessions);
        let fairing = match guard {
            Guard::Default => fairing,
            Guard::TrustAdmin => {
                fairing.origin_guard(OriginGuard::new().trust("https://admin.example"))
            }
            Guard::Off => fairing.without_origin_guard(),
        };
        // Untracked: the client keeps no cookies; each request sends those it names.
        let client = Client::untracked(rocket(kept).attach(fairing))
            .await
            .unwrap();
        Self(client)
    }

    async fn send(&self, request: Req) -> Res {
        let method: Method = request.method.parse().unwrap();
        let mut local = self.0.req(method, request.path);
        for (name, value) in request.headers {
            local = local.header(Header::new(name, value));
        }
        let response = local.dispatch().await;
        let status = response.status().code;
        let headers = response
            .headers()
            .iter()
            .map(|h| (h.name().as_str().to_ascii_lowercase(), h.value().to_owned()))
            .collect();
        let body = response.into_string().await.unwrap_or_default();
        Res {
            status,
            headers,
            body,
        }
    }

    /// The guards' sentinels stop the launch (reading the error's kind marks it
    /// handled), logging the guard's error, which names the fairing.
    async fn without_integration() -> (Option<u16>, String) {
        let error = Client::untracked(rocket(Kept::default()))
            .await
            .err()
            .unwrap();
        let rocket::error::ErrorKind::SentinelAborts(sentries) = error.kind() else {
            panic!("not a sentinel abort: {:?}", error.kind());
        };
        let names: Vec<&str> = sentries.iter().map(|s| s.type_name).collect();
        assert!(
            names
                .iter()
                .all(|n| n.contains("Session") || n.contains("Typed")),
            "{names:?}"
        );
        (None, MissingSessionFairing.to_string())
    }
}

suite!(RocketApp, tokio::test);

/// The fairing's own route answers only the requests the guard refused: asked for
/// directly, it is not there.
#[tokio::test]
async fn the_refusal_route_is_not_reachable_directly() {
    let app = RocketApp::app(super::sessions(), Guard::Default, Kept::default()).await;
    let response = app.send(Req::get("/__sessionlib/refused")).await;
    assert_eq!(response.status, 404);
    let refused = app
        .send(Req::post("/count").header("sec-fetch-site", "cross-site"))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body, "403 Forbidden: cross-origin request refused");
}
