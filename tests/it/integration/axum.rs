//! The shared scenarios on axum, through tower's `oneshot`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use sessionlib::axum::{Session, SessionLayer, Typed};
use sessionlib::OriginGuard;
use sessionlib::SessionConfig;
use tower::ServiceExt;

use super::{say, suite, Cart, Driver, Guard, Kept, Req, Res};

pub struct Axum(Router);

const PUBLIC: (header::HeaderName, &str) = (header::CACHE_CONTROL, "public, max-age=60");

fn routes(kept: Kept) -> Router {
    Router::new()
        .route("/count", get(|s: Session| async move { say::count(&s) }))
        .route(
            "/change",
            post(|s: Session| async move { say::count(&s) })
                .get(|s: Session| async move { say::count(&s) }),
        )
        .route("/read", get(|s: Session| async move { say::read(&s) }))
        .route(
            "/login",
            post(|s: Session| async move { say::login(&s).await }),
        )
        .route(
            "/go",
            post(|s: Session| async move {
                s.flash("info", "saved before the redirect");
                Redirect::to("/")
            }),
        )
        .route(
            "/fail",
            post(|s: Session| async move {
                s.insert("attempts", &1).unwrap();
                StatusCode::UNPROCESSABLE_ENTITY
            }),
        )
        .route("/", get(|s: Session| async move { say::flashes(&s) }))
        .route("/huge", get(|s: Session| async move { say::huge(&s) }))
        .route(
            "/public",
            get(|s: Session| async move {
                s.insert("x", &1).unwrap();
                ([PUBLIC], "cached").into_response()
            }),
        )
        .route(
            "/public-read",
            get(|s: Session| async move { ([PUBLIC], say::read(&s)).into_response() }),
        )
        .route(
            "/keep",
            get(|s: Session, State(kept): State<Kept>| async move { say::keep(&s, &kept) }),
        )
        .route("/user", get(|s: Session| async move { say::user(&s) }))
        .route("/grow", post(|s: Session| async move { say::grow(&s) }))
        .route("/shrink", post(|s: Session| async move { say::shrink(&s) }))
        .route("/pad", get(|s: Session| async move { say::pad(&s) }))
        .route(
            "/login/{user}",
            post(|s: Session, Path(user): Path<String>| async move { s.log_in(user) }),
        )
        .route(
            "/promote",
            post(|s: Session| async move { s.insert("role", "admin").unwrap() }),
        )
        .route("/me", get(|s: Session| async move { say::me(&s) }))
        .route(
            "/cart",
            post(|mut cart: Typed<Cart>| async move { say::add_to_cart(&mut cart) }),
        )
        .route(
            "/set-cart",
            get(|s: Session| async move { s.insert("cart", &42).unwrap() }),
        )
        .route(
            "/everywhere",
            post(|s: Session| async move { say::log_out_everywhere(&s).await }),
        )
        .with_state(kept)
}

impl Driver for Axum {
    const INTEGRATION: &'static str = "sessionlib::axum::SessionLayer";

    async fn app(sessions: SessionConfig, guard: Guard, kept: Kept) -> Self {
        let layer = SessionLayer::new(sessions);
        let layer = match guard {
            Guard::Default => layer,
            Guard::TrustAdmin => {
                layer.origin_guard(OriginGuard::new().trust("https://admin.example"))
            }
            Guard::Off => layer.without_origin_guard(),
        };
        Self(routes(kept).layer(layer))
    }

    async fn send(&self, request: Req) -> Res {
        send(&self.0, request).await
    }

    async fn without_integration() -> (Option<u16>, String) {
        let response = send(&routes(Kept::default()), Req::get("/read")).await;
        (Some(response.status), response.body)
    }
}

async fn send(app: &Router, request: Req) -> Res {
    let mut builder = Request::builder().method(request.method).uri(&request.path);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let response = app
        .clone()
        .oneshot(builder.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Res {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

suite!(Axum, tokio::test);
