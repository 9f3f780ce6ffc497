//! The shared scenarios on actix-web, through `actix_web::test`.

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{web, App, HttpResponse};
use sessionlib::actix::{Session, SessionMiddleware, Typed};
use sessionlib::OriginGuard;
use sessionlib::SessionConfig;

use super::{say, suite, Cart, Driver, Guard, Kept, Req, Res};

/// The app's parts: actix-web's test service has no nameable type, so each request
/// is served by a new one (the sessions' state lives in the `SessionConfig`).
pub struct Actix {
    middleware: Option<SessionMiddleware>,
    kept: Kept,
}

const PUBLIC: (header::HeaderName, &str) = (header::CACHE_CONTROL, "public, max-age=60");

fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/count",
            web::get().to(|s: Session| async move { say::count(&s) }),
        )
        .route(
            "/change",
            web::post().to(|s: Session| async move { say::count(&s) }),
        )
        .route(
            "/change",
            web::get().to(|s: Session| async move { say::count(&s) }),
        )
        .route(
            "/read",
            web::get().to(|s: Session| async move { say::read(&s) }),
        )
        .route(
            "/login",
            web::post().to(|s: Session| async move { say::login(&s).await }),
        )
        .route(
            "/go",
            web::post().to(|s: Session| async move {
                s.flash("info", "saved before the redirect");
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/"))
                    .finish()
            }),
        )
        .route(
            "/fail",
            web::post().to(|s: Session| async move {
                s.insert("attempts", &1).unwrap();
                Err::<String, _>(actix_web::error::ErrorUnprocessableEntity("nope"))
            }),
        )
        .route(
            "/",
            web::get().to(|s: Session| async move { say::flashes(&s) }),
        )
        .route(
            "/huge",
            web::get().to(|s: Session| async move { say::huge(&s) }),
        )
        .route(
            "/public",
            web::get().to(|s: Session| async move {
                s.insert("x", &1).unwrap();
                HttpResponse::Ok().insert_header(PUBLIC).body("cached")
            }),
        )
        .route(
            "/public-read",
            web::get().to(|s: Session| async move {
                HttpResponse::Ok().insert_header(PUBLIC).body(say::read(&s))
            }),
        )
        .route(
            "/keep",
            web::get().to(|s: Session, kept: web::Data<Kept>| async move { say::keep(&s, &kept) }),
        )
        .route(
            "/user",
            web::get().to(|s: Session| async move { say::user(&s) }),
        )
        .route(
            "/grow",
            web::post().to(|s: Session| async move { say::grow(&s) }),
        )
        .route(
            "/shrink",
            web::post().to(|s: Session| async move { say::shrink(&s) }),
        )
        .route(
            "/pad",
            web::get().to(|s: Session| async move { say::pad(&s) }),
        )
        .route(
            "/login/{user}",
            web::post().to(|s: Session, user: web::Path<String>| async move {
                s.log_in(user.into_inner());
                HttpResponse::Ok().finish()
            }),
        )
        .route(
            "/promote",
            web::post().to(|s: Session| async move {
                s.insert("role", "admin").unwrap();
                HttpResponse::Ok().finish()
            }),
        )
        .route(
            "/me",
            web::get().to(|s: Session| async move { say::me(&s) }),
        )
        .route(
            "/cart",
            web::post().to(|mut cart: Typed<Cart>| async move { say::add_to_cart(&mut cart) }),
        )
        .route(
            "/set-cart",
            web::get().to(|s: Session| async move {
                s.insert("cart", &42).unwrap();
                HttpResponse::Ok().finish()
            }),
        )
        .route(
            "/everywhere",
            web::post().to(|s: Session| async move { say::log_out_everywhere(&s).await }),
        );
}

impl Driver for Actix {
    const INTEGRATION: &'static str = "sessionlib::actix::SessionMiddleware";

    async fn app(sessions: SessionConfig, guard: Guard, kept: Kept) -> Self {
        let middleware = SessionMiddleware::new(sessions);
        let middleware = match guard {
            Guard::Default => middleware,
            Guard::TrustAdmin => {
                middleware.origin_guard(OriginGuard::new().trust("https://admin.example"))
            }
            Guard::Off => middleware.without_origin_guard(),
        };
        Self {
            middleware: Some(middleware),
            kept,
        }
    }

    async fn send(&self, request: Req) -> Res {
        let app = App::new()
            .app_data(web::Data::new(self.kept.clone()))
            .configure(routes);
        let mut test_request = TestRequest::default()
            .method(request.method.parse().unwrap())
            .uri(&request.path);
        for (name, value) in &request.headers {
            test_request = test_request.append_header((name.as_str(), value.as_str()));
        }
        let response = match &self.middleware {
            Some(middleware) => {
                let app = test::init_service(app.wrap(middleware.clone())).await;
                test::call_service(&app, test_request.to_request())
                    .await
                    .map_into_boxed_body()
            }
            None => {
                let app = test::init_service(app).await;
                test::call_service(&app, test_request.to_request()).await
            }
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        Res {
            status,
            headers,
            body,
        }
    }

    async fn without_integration() -> (Option<u16>, String) {
        let app = Self {
            middleware: None,
            kept: Kept::default(),
        };
        let response = app.send(Req::get("/read")).await;
        (Some(response.status), response.body)
    }
}

suite!(Actix, actix_web::test);
