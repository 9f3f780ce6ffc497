//! The tower layer without axum, and what only the synchronous API does; the
//! behaviour every framework shares is in `integration` (run for axum there).

use axum::http::{header, Request, Response};
use sessionlib::axum::SessionLayer;
use sessionlib::SessionSource;
use tower::ServiceExt;

use crate::common::FlakyStore;
use crate::integration::{sessions, sessions_with, NAME};

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
