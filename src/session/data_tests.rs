//! Tests of [`SessionData`](crate::SessionData) that load and save it through a
//! [`SessionConfig`](crate::SessionConfig).

use super::testing::{header, sessions, t0, At};
use crate::data::*;
use crate::error::Error;
use time::Duration;

#[test]
fn map_operations_and_flags() {
    let mut s = SessionData::new();
    assert!(s.is_new() && s.is_empty() && !s.is_modified());
    assert_eq!(s.get::<String>("a"), None);
    s.insert("a", "x").unwrap();
    s.insert("n", &3u32).unwrap();
    assert!(s.is_modified());
    assert_eq!(s.get::<String>("a").as_deref(), Some("x"));
    assert_eq!(s.get::<u32>("n"), Some(3));
    assert_eq!(s.get::<u32>("a"), None);
    assert!(matches!(s.try_get::<u32>("a"), Err(Error::Deserialize(_))));
    assert_eq!(s.try_get::<u32>("missing"), Ok(None));
    assert_eq!(s.keys().collect::<Vec<_>>(), ["a", "n"]);
    assert_eq!(
        s.remove("a")
            .unwrap()
            .map(|v| v.get().to_owned())
            .as_deref(),
        Some(r#""x""#)
    );
    assert_eq!(s.remove("a").unwrap().map(|v| v.get().to_owned()), None);
    assert_eq!(s.len(), 1);
    for reserved in RESERVED_KEYS {
        let error = Error::ReservedKey { key: reserved };
        assert_eq!(s.insert(reserved, &1), Err(error.clone()));
        assert_eq!(s.remove(reserved).unwrap_err(), error.clone());
        assert!(error.to_string().contains(&format!("{reserved:?}")));
    }
    s.clear();
    assert!(s.is_empty());
}

/// Second review, item 1: `log_in` as another user kept the previous user's data.
#[test]
fn logging_in_as_another_user_does_not_inherit_the_previous_users_data() {
    let c = sessions();
    let mut s = c.load_at("", t0());
    s.insert("cart", &["apple"]).unwrap();
    s.log_in("alice");
    // An anonymous visitor who logs in keeps the cart.
    assert_eq!(s.get::<Vec<String>>("cart"), Some(vec!["apple".to_owned()]));
    s.insert("role", "admin").unwrap();
    s.set_lifetime(Duration::hours(2)).unwrap();
    s.flash("info", "for alice");
    let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
    let mut s = c.load_at(&h, t0());
    let alices = s.id().unwrap().to_owned();

    // The same user logging in again keeps the data and gets a new id.
    s.log_in("alice");
    assert_eq!(s.get::<String>("role").as_deref(), Some("admin"));
    assert_eq!(s.peek_flashes().len(), 1);
    assert_ne!(s.id(), Some(alices.as_str()));
    let h = header(&c.save_at(&s, t0()).unwrap().unwrap());

    // Another user starts from empty data, flashes and lifetime, with a new id.
    let mut s = c.load_at(&h, t0());
    let before = s.id().unwrap().to_owned();
    s.flash("info", "set before the login");
    s.log_in("bob");
    assert_eq!(s.get::<String>("role"), None);
    assert_eq!(s.get::<Vec<String>>("cart"), None);
    assert!(s.peek_flashes().is_empty());
    assert_eq!(s.lifetime(), None);
    assert!(s.id().is_some() && s.id() != Some(before.as_str()));
    assert_eq!(s.user_id(), Some("bob"));
    // Set after the login: kept.
    s.flash("info", "Welcome, bob");
    let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
    let s = c.load_at(&h, t0());
    assert_eq!(s.user_id(), Some("bob"));
    assert_eq!(s.keys().count(), 0);
    assert_eq!(s.peek_flashes(), [Flash::new("info", "Welcome, bob")]);
}

/// The logout recipe: a flash set before `clear` in the same request survives it,
/// in a new anonymous session; the flashes the request brought do not.
#[test]
fn a_flash_set_before_clear_survives_it() {
    let c = sessions();
    let mut s = c.load_at("", t0());
    s.log_in("cobra");
    s.flash("info", "from an earlier page");
    let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
    let mut s = c.load_at(&h, t0());
    let old_id = s.id().unwrap().to_owned();
    s.flash("info", "Logged out");
    s.clear();
    assert_eq!(s.user_id(), None);
    assert_eq!(s.peek_flashes(), [Flash::new("info", "Logged out")]);
    let update = c.save_at(&s, t0()).unwrap().unwrap();
    assert!(!update.is_removal());
    let s = c.load_at(header(&update), t0());
    assert_eq!(s.user_id(), None);
    assert_ne!(s.id(), Some(old_id.as_str()));
    assert_eq!(s.peek_flashes(), [Flash::new("info", "Logged out")]);
    // Without a flash, clear deletes the cookie as before.
    let mut s = c.load_at(&h, t0());
    s.clear();
    assert!(c.save_at(&s, t0()).unwrap().unwrap().is_removal());
}

#[test]
fn debug_hides_data() {
    let mut s = SessionData::new();
    s.insert("secret_key_name", "hunter2").unwrap();
    s.flash("info", "private message");
    let debug = format!("{s:?}");
    assert!(!debug.contains("hunter2") && !debug.contains("secret_key_name"));
    assert!(!debug.contains("private message"));
    let update = sessions().save_at(&s, t0()).unwrap().unwrap();
    let debug = format!("{update:?}");
    assert!(!debug.contains(update.cookie().value()), "{debug}");
}

#[test]
fn flash_messages_are_shown_once() {
    let c = sessions();
    let mut s = c.load_at("", t0());
    s.flash("info", "Logged in successfully");
    s.flash("warning", "Second");
    let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
    let mut s = c.load_at(&h, t0());
    assert_eq!(s.peek_flashes().len(), 2);
    assert!(!s.is_modified());
    let flashes = s.take_flashes();
    assert_eq!(
        flashes,
        [
            Flash {
                category: "info".into(),
                message: "Logged in successfully".into()
            },
            Flash {
                category: "warning".into(),
                message: "Second".into()
            },
        ]
    );
    assert!(s.take_flashes().is_empty());
    // Only flashes were stored: taking them empties the session and deletes it.
    let u = c.save_at(&s, t0()).unwrap().unwrap();
    assert!(u.is_removal());
    assert!(u.header_value().starts_with("session=; "));
}
