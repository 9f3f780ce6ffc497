//! The property of `registry_user_agent`: whatever `User-Agent` header a request
//! carries (any bytes, not only UTF-8), the session registry records its session with a
//! device description made only of fixed names, never text of the header.

use sessionlib::session::describe_user_agent;
use sessionlib::{MemoryRevocation, Session, SessionConfig};

use super::common::{native_ring, MAX_INPUT};

/// The longest description the fixed names make ("Headless Chrome on ChromeOS").
const MAX_DESCRIPTION: usize = 32;

pub fn registry_user_agent(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let expected = describe_user_agent(&String::from_utf8_lossy(data));
    assert!(
        !expected.is_empty()
            && expected.len() <= MAX_DESCRIPTION
            && expected
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b' '),
        "description {expected:?} is not made of fixed names"
    );

    // The whole path an integration takes: a login from that header, saved, recorded,
    // and listed (a store of its own for each input, so nothing accumulates).
    let cookie = sessionlib::CookieConfig::builder(native_ring())
        .try_build()
        .unwrap();
    let sessions = SessionConfig::builder(cookie)
        .revocation(MemoryRevocation::new())
        .registry(true)
        .build();
    let session = Session::for_request(sessions.load(""), sessions.clone(), Some(data));
    session.log_in("cobra");
    assert!(session.save().unwrap().is_some(), "a login writes a cookie");
    ready(session.update_registry()).unwrap();
    let listed = ready(sessions.list_sessions("cobra")).unwrap();
    assert_eq!(listed.len(), 1, "the login is listed once");
    assert_eq!(listed[0].device(), expected);
    assert_eq!(
        listed[0].address(),
        None,
        "no address unless the app passes one"
    );
    assert_eq!(Some(listed[0].id()), session.id().as_deref());
}

/// The output of a future that is ready at once (the memory store never waits).
fn ready<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the memory store waited"),
    }
}
