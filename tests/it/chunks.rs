//! Sessions split across several cookies (`CookieConfigBuilder::max_chunks`): the
//! round trip at every size, the 4096-byte limit per `Set-Cookie`, the removal of
//! chunks a shrinking session no longer uses, and one test per chunk fault, each of
//! which must fail closed as "no session", never a partial parse.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sessionlib::cookies::{Cookie, CookieJar, MAX_CHUNKS, MAX_COOKIE_HEADER_LEN, MAX_COOKIE_LEN};
use sessionlib::{
    CookieConfig, CookieConfigBuilder, CookieConfigError, Error, Session, SessionConfig,
    SessionSource, SetCookie,
};
use time::Duration;

use crate::common::{key, now};
use crate::common::{At, CookieAt};

const NAME: &str = "__Host-session";

fn cookie_config(
    max_chunks: usize,
    f: fn(CookieConfigBuilder) -> CookieConfigBuilder,
) -> CookieConfig {
    f(CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .max_chunks(max_chunks))
    .try_build()
    .unwrap()
}

fn sessions(max_chunks: usize) -> SessionConfig {
    SessionConfig::builder(cookie_config(max_chunks, |b| b)).build()
}

/// `len` bytes that do not compress: a JSON string of pseudo-random letters.
fn padding(len: usize, seed: u64) -> String {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    [(state >> 58) as usize % 62],
            )
        })
        .collect()
}

/// A browser's cookies for one site: the last `Set-Cookie` of a name wins and a
/// removal cookie (`Max-Age=0`) deletes it.
#[derive(Default, Debug)]
struct Browser(BTreeMap<String, String>);

impl Browser {
    fn store(&mut self, update: Option<&SetCookie>) {
        for cookie in update.map(SetCookie::cookies).unwrap_or_default() {
            if cookie.max_age() == Some(Duration::ZERO) {
                self.0.remove(cookie.name());
            } else {
                self.0
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The chunk cookies of a new session holding `len` bytes of padding, as
/// `(name, value)` pairs.
fn chunked(config: &SessionConfig, len: usize, seed: u64) -> Vec<(String, String)> {
    let mut session = config.load_at("", now());
    session.insert("pad", &padding(len, seed)).unwrap();
    let update = config.save_at(&session, now()).unwrap().unwrap();
    update
        .cookies()
        .iter()
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect()
}

fn header(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn removed_names(update: &SetCookie) -> Vec<&str> {
    update
        .cookies()
        .iter()
        .filter(|c| c.max_age() == Some(Duration::ZERO))
        .map(Cookie::name)
        .collect()
}

/// Loads `header` and checks that it is no session with `source`, then returns what
/// saving that (empty) session sends.
fn refused(config: &SessionConfig, header: &str, source: SessionSource) -> Option<SetCookie> {
    let session = config.load_at(header, now());
    assert_eq!(session.source(), source, "{header:.80}");
    assert!(session.is_empty() && session.get_value("pad").is_none());
    config.save_at(&session, now()).unwrap()
}

#[test]
fn a_9_kb_session_round_trips_in_three_prefixed_chunks() {
    let c = sessions(4);
    let pad = padding(7_000, 1);
    let mut session = c.load_at("", now());
    session.insert("pad", &pad).unwrap();
    let update = c.save_at(&session, now()).unwrap().unwrap();
    let names: Vec<&str> = update.cookies().iter().map(Cookie::name).collect();
    assert_eq!(names, [NAME, "__Host-session.1", "__Host-session.2"]);
    assert!(!update.is_removal());
    for text in update.header_values() {
        assert!(text.len() <= MAX_COOKIE_LEN, "{}", text.len());
        assert!(text.starts_with("__Host-session"));
        assert!(text.contains("; HttpOnly; SameSite=Lax; Secure; Path=/; Expires="));
        assert!(!text.contains("Domain"));
    }
    assert!(update.cookie().value().starts_with("3~"));
    // One `set-cookie` per chunk, then the cache headers.
    let header_names: Vec<&str> = update.headers().iter().map(|(n, _)| *n).collect();
    assert_eq!(
        header_names,
        [
            "set-cookie",
            "set-cookie",
            "set-cookie",
            "vary",
            "cache-control"
        ]
    );
    let mut browser = Browser::default();
    browser.store(Some(&update));
    let loaded = c.load_at(browser.header(), now() + Duration::seconds(5));
    assert_eq!(loaded.source(), SessionSource::Cookie);
    assert_eq!(loaded.get::<String>("pad"), Some(pad));
    // Nothing changed: nothing is sent.
    assert!(c
        .save_at(&loaded, now() + Duration::seconds(5))
        .unwrap()
        .is_none());
    // The order of the cookies in the header does not matter: the names carry it.
    let mut pairs: Vec<(String, String)> = browser.0.clone().into_iter().collect();
    pairs.reverse();
    assert_eq!(
        c.load_at(header(&pairs), now()).source(),
        SessionSource::Cookie
    );
}

#[cfg(feature = "sealed")]
#[test]
fn sealed_sessions_are_chunked_the_same_way() {
    let c = SessionConfig::builder(cookie_config(4, |b| b.sealed(true))).build();
    let pairs = chunked(&c, 6_500, 2);
    assert_eq!(pairs.len(), 3);
    assert!(pairs.iter().all(|(_, v)| !v.contains("abcdefgh")));
    let s = c.load_at(header(&pairs), now());
    assert_eq!(s.get::<String>("pad"), Some(padding(6_500, 2)));
    // A swapped pair of chunks does not open.
    let mut swapped = pairs.clone();
    let second = swapped[1].1.clone();
    swapped[1].1 = swapped[2].1.clone();
    swapped[2].1 = second;
    assert!(refused(&c, &header(&swapped), SessionSource::Invalid)
        .unwrap()
        .is_removal());
    // Signed and sealed chunks do not mix.
    let signed = chunked(&sessions(4), 6_500, 2);
    let mixed = vec![pairs[0].clone(), signed[1].clone(), signed[2].clone()];
    refused(&c, &header(&mixed), SessionSource::Invalid);
}

#[test]
fn small_sessions_stay_one_plain_cookie() {
    let chunking = sessions(4);
    let pairs = chunked(&chunking, 100, 3);
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0, NAME);
    assert!(!pairs[0].1.contains('~'));
    // The same cookie as without chunking: each configuration reads the other's.
    let plain = sessions(1);
    assert_eq!(
        plain.load_at(header(&pairs), now()).source(),
        SessionSource::Cookie
    );
    let plain_pairs = chunked(&plain, 100, 3);
    assert_eq!(
        chunking.load_at(header(&plain_pairs), now()).source(),
        SessionSource::Cookie
    );
    // Without chunking, a large session is an error as before, and chunk names are
    // other cookies.
    let mut big = plain.load_at("", now());
    big.insert("pad", &padding(3_500, 3)).unwrap();
    assert!(matches!(
        plain.save_at(&big, now()),
        Err(Error::CookieTooLarge { .. })
    ));
    let with_stray = format!("{}; {NAME}.1=x", header(&plain_pairs));
    assert_eq!(
        plain.load_at(with_stray, now()).source(),
        SessionSource::Cookie
    );
}

#[test]
fn every_set_cookie_fits_in_4096_bytes_at_every_size() {
    let configs = [
        cookie_config(4, |b| b),
        cookie_config(4, |b| {
            b.name("__Secure-a-rather-long-session-cookie-name")
                .path(format!("/{}", "p".repeat(300)))
                .domain(Some("sub.example.com".into()))
                .partitioned(true)
        }),
    ];
    for config in &configs {
        let mut seen_counts = [false; MAX_CHUNKS + 1];
        let mut len = 2_000;
        while len < 17_000 {
            let data = json!({ "pad": padding(len, len as u64) });
            match config.encode_chunks_until(&data, now() + Duration::hours(1)) {
                Ok(cookies) => {
                    seen_counts[cookies.len()] = true;
                    for cookie in &cookies {
                        assert!(cookie.to_string().len() <= MAX_COOKIE_LEN, "{len}");
                    }
                    // The request header our chunks make is always readable.
                    let request: Vec<String> = cookies
                        .iter()
                        .map(|c| format!("{}={}", c.name(), c.value()))
                        .collect();
                    let request = request.join("; ");
                    assert!(request.len() <= MAX_COOKIE_HEADER_LEN);
                    let back = config
                        .decode_header_at::<Value>(&request, now())
                        .unwrap()
                        .unwrap();
                    assert_eq!(back.data, data);
                }
                Err(Error::CookieTooLarge { len: l, max }) => {
                    assert_eq!(max, MAX_COOKIE_LEN);
                    assert!(l > 4 * (MAX_COOKIE_LEN - 500), "{len}: {l}");
                    assert!(len > 11_000, "{len}");
                }
                Err(other) => panic!("{len}: {other:?}"),
            }
            len += 397;
        }
        assert_eq!(seen_counts, [false, true, true, true, true], "{config:?}");
    }
    // Each chunk is filled to the limit: the first three of a 4-chunk session are
    // within a few bytes of 4096.
    let cookies = configs[0]
        .encode_chunks_until(&json!({ "pad": padding(11_000, 9) }), now())
        .unwrap();
    assert_eq!(cookies.len(), 4);
    for cookie in &cookies[..3] {
        assert_eq!(cookie.to_string().len(), MAX_COOKIE_LEN);
    }
}

#[test]
fn a_session_larger_than_max_chunks_is_an_error_at_save() {
    let c = sessions(2);
    let mut s = c.load_at("", now());
    s.insert("pad", &padding(5_000, 4)).unwrap();
    assert_eq!(c.save_at(&s, now()).unwrap().unwrap().cookies().len(), 2);
    s.insert("pad", &padding(7_000, 4)).unwrap();
    match c.save_at(&s, now()) {
        Err(Error::CookieTooLarge { len, max }) => {
            assert!(len > 9_000);
            assert_eq!(max, MAX_COOKIE_LEN);
        }
        other => panic!("{:?}", other.map(|u| u.map(|u| u.cookies().len()))),
    }
}

#[test]
fn max_chunks_is_checked_at_build() {
    for bad in [0, MAX_CHUNKS + 1, 100] {
        let r = CookieConfig::builder(key(1))
            .clock(crate::common::clock)
            .max_chunks(bad)
            .try_build();
        assert_eq!(r.map(|_| ()), Err(CookieConfigError::InvalidMaxChunks));
    }
    for good in 1..=MAX_CHUNKS {
        let c = CookieConfig::builder(key(1))
            .clock(crate::common::clock)
            .max_chunks(good)
            .try_build()
            .unwrap();
        assert_eq!(c.max_chunks(), good);
        assert_eq!(c.removal_cookies().len(), good);
    }
    assert_eq!(
        CookieConfig::builder(key(1))
            .clock(crate::common::clock)
            .try_build()
            .unwrap()
            .max_chunks(),
        1
    );
}

#[test]
fn stale_chunks_are_removed_when_the_session_shrinks_or_ends() {
    let c = sessions(4);
    let mut browser = Browser::default();
    let mut session = c.load_at("", now());
    session.insert("pad", &padding(7_000, 5)).unwrap();
    browser.store(c.save_at(&session, now()).unwrap().as_ref());
    assert_eq!(browser.0.len(), 3);
    // 3 chunks to 2: chunk 2 is removed in the same response.
    let mut session = c.load_at(browser.header(), now());
    session.insert("pad", &padding(4_000, 5)).unwrap();
    let update = c.save_at(&session, now()).unwrap().unwrap();
    assert_eq!(update.cookies().len(), 3);
    assert_eq!(removed_names(&update), ["__Host-session.2"]);
    browser.store(Some(&update));
    assert_eq!(browser.0.len(), 2);
    // 2 chunks to 1.
    let mut session = c.load_at(browser.header(), now());
    assert_eq!(session.source(), SessionSource::Cookie);
    session.insert("pad", "small").unwrap();
    let update = c.save_at(&session, now()).unwrap().unwrap();
    assert_eq!(removed_names(&update), ["__Host-session.1"]);
    browser.store(Some(&update));
    assert_eq!(browser.0.keys().collect::<Vec<_>>(), [NAME]);
    // Growing again removes nothing.
    let mut session = c.load_at(browser.header(), now());
    session.insert("pad", &padding(8_000, 6)).unwrap();
    let update = c.save_at(&session, now()).unwrap().unwrap();
    assert_eq!(update.cookies().len(), 3);
    assert!(removed_names(&update).is_empty());
    browser.store(Some(&update));
    // Logout removes every chunk and nothing more.
    let mut session = c.load_at(browser.header(), now());
    assert_eq!(session.get::<String>("pad"), Some(padding(8_000, 6)));
    session.clear();
    let update = c.save_at(&session, now()).unwrap().unwrap();
    assert!(update.is_removal());
    assert_eq!(
        removed_names(&update),
        [NAME, "__Host-session.1", "__Host-session.2"]
    );
    assert_eq!(update.cookies().len(), 3);
    browser.store(Some(&update));
    assert!(browser.0.is_empty());
}

#[test]
fn a_revoked_or_expired_chunked_session_loses_every_chunk() {
    let c = SessionConfig::builder(cookie_config(4, |b| b))
        .idle_timeout(Duration::minutes(30))
        .validate(|s| s.get::<bool>("banned") != Some(true))
        .build();
    let mut s = c.load_at("", now());
    s.insert("pad", &padding(3_500, 7)).unwrap();
    s.insert("banned", &true).unwrap();
    let pairs: Vec<(String, String)> = c
        .save_at(&s, now())
        .unwrap()
        .unwrap()
        .cookies()
        .iter()
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect();
    assert_eq!(pairs.len(), 2);
    let update = refused(&c, &header(&pairs), SessionSource::Revoked).unwrap();
    assert_eq!(removed_names(&update), [NAME, "__Host-session.1"]);
    let plain = SessionConfig::builder(cookie_config(4, |b| b))
        .idle_timeout(Duration::minutes(30))
        .build();
    let later = plain.load_at(header(&pairs), now() + Duration::hours(1));
    assert_eq!(later.source(), SessionSource::Expired);
    let update = plain
        .save_at(&later, now() + Duration::hours(1))
        .unwrap()
        .unwrap();
    assert_eq!(removed_names(&update).len(), 2);
}

#[test]
fn jars_hold_chunks_too() {
    let c = sessions(4);
    let mut jar = CookieJar::new();
    for (name, value) in chunked(&c, 7_000, 8) {
        jar.add_original(Cookie::new(name, value));
    }
    let s = c.load_jar_at(&jar, now());
    assert_eq!(s.get::<String>("pad"), Some(padding(7_000, 8)));
    jar.remove(Cookie::from("__Host-session.1"));
    assert_eq!(c.load_jar_at(&jar, now()).source(), SessionSource::Invalid);
}

// The chunk faults. Each must leave the request without a session.

/// Fault 1: a chunk is missing (the first, a middle one, the last, or all but the
/// first). Invalid, and every chunk the request carried is removed.
#[test]
fn fault_missing_chunk() {
    let c = sessions(4);
    let pairs = chunked(&c, 7_000, 10);
    assert_eq!(pairs.len(), 3);
    for missing in 0..3 {
        let mut rest = pairs.clone();
        rest.remove(missing);
        let update = refused(&c, &header(&rest), SessionSource::Invalid).unwrap();
        let mut expected: Vec<&str> = rest.iter().map(|(n, _)| n.as_str()).collect();
        if missing == 0 {
            expected.insert(0, NAME);
        }
        assert_eq!(removed_names(&update), expected);
    }
    // The first chunk alone announces companions that are not there.
    let update = refused(&c, &header(&pairs[..1]), SessionSource::Invalid).unwrap();
    assert_eq!(removed_names(&update), [NAME]);
    // A chunk with an empty value is missing too.
    let mut emptied = pairs.clone();
    emptied[2].1.clear();
    refused(&c, &header(&emptied), SessionSource::Invalid);
}

/// Fault 2: an extra chunk beyond the count the first chunk announces (a stale chunk
/// of a larger generation, or a planted one). Invalid, and the extra one is removed.
#[test]
fn fault_extra_chunk() {
    let c = sessions(4);
    let mut pairs = chunked(&c, 3_500, 11);
    assert_eq!(pairs.len(), 2);
    let bigger = chunked(&c, 7_000, 11);
    pairs.push(bigger[2].clone());
    let update = refused(&c, &header(&pairs), SessionSource::Invalid).unwrap();
    assert_eq!(
        removed_names(&update),
        [NAME, "__Host-session.1", "__Host-session.2"]
    );
    // Even an empty one.
    let mut pairs = chunked(&c, 3_500, 11);
    pairs.push(("__Host-session.3".into(), String::new()));
    refused(&c, &header(&pairs), SessionSource::Invalid);
    // A chunk name next to a whole (one-cookie) session.
    let mut pairs = chunked(&c, 100, 11);
    pairs.push(("__Host-session.1".into(), "abc".into()));
    refused(&c, &header(&pairs), SessionSource::Invalid);
}

/// Fault 3: a chunk name twice. With the same value it is one cookie; with two
/// different values the request is ambiguous (possibly a planted cookie), which is no
/// session and never answered with removal cookies, even when the handler then
/// writes a new session.
#[test]
fn fault_duplicated_chunk() {
    let c = sessions(4);
    let pairs = chunked(&c, 7_000, 12);
    let other = chunked(&c, 7_000, 13);
    let mut same = pairs.clone();
    same.push(pairs[1].clone());
    assert_eq!(
        c.load_at(header(&same), now()).source(),
        SessionSource::Cookie
    );
    for (index, planted) in other.iter().enumerate() {
        let mut doubled = pairs.clone();
        doubled.push(planted.clone());
        assert!(refused(&c, &header(&doubled), SessionSource::Ambiguous).is_none());
        let mut session = c.load_at(header(&doubled), now());
        session.insert("pad", "small").unwrap();
        let update = c.save_at(&session, now()).unwrap().unwrap();
        assert!(removed_names(&update).is_empty(), "{index}");
        assert_eq!(update.cookies().len(), 1);
    }
    // More cookies of one chunk name than are examined (all the same value).
    let pairs = chunked(&c, 3_500, 12);
    assert_eq!(pairs.len(), 2);
    let mut many = pairs.clone();
    many.extend(std::iter::repeat_n(pairs[1].clone(), 7));
    assert_eq!(
        c.load_at(header(&many), now()).source(),
        SessionSource::Cookie
    );
    many.push(pairs[1].clone());
    assert!(refused(&c, &header(&many), SessionSource::Ambiguous).is_none());
}

/// Fault 4: chunks in the wrong order (their values swapped between names).
#[test]
fn fault_reordered_chunks() {
    let c = sessions(4);
    let pairs = chunked(&c, 7_500, 14);
    assert_eq!(pairs.len(), 3);
    let values: Vec<&str> = pairs.iter().map(|(_, v)| v.as_str()).collect();
    for order in [[0, 2, 1], [1, 0, 2], [2, 1, 0]] {
        let reordered: Vec<(String, String)> = (0..3)
            .map(|i| (pairs[i].0.clone(), values[order[i]].to_owned()))
            .collect();
        let update = refused(&c, &header(&reordered), SessionSource::Invalid).unwrap();
        assert_eq!(removed_names(&update).len(), 3);
    }
}

/// Fault 5: chunks of two generations of the session mixed (say, two responses that
/// crossed). The first chunks are equal in length, so only the MAC tells them apart.
#[test]
fn fault_mixed_generations() {
    let c = sessions(4);
    let mut session = c.load_at("", now());
    session.insert("pad", &padding(7_000, 15)).unwrap();
    let first = c.save_at(&session, now()).unwrap().unwrap();
    let mut browser = Browser::default();
    browser.store(Some(&first));
    let mut loaded = c.load_at(browser.header(), now());
    loaded.insert("pad", &padding(7_000, 115)).unwrap();
    let second = c
        .save_at(&loaded, now() + Duration::seconds(1))
        .unwrap()
        .unwrap();
    let (a, b) = (first.cookies(), second.cookies());
    assert_eq!(a.len(), 3);
    assert_eq!(b.len(), 3);
    for i in 0..3 {
        assert_eq!(a[i].value().len(), b[i].value().len());
    }
    for take_from_b in 0..3 {
        let mixed: Vec<(String, String)> = (0..3)
            .map(|i| {
                let c = if i == take_from_b { &b[i] } else { &a[i] };
                (c.name().to_owned(), c.value().to_owned())
            })
            .collect();
        refused(&c, &header(&mixed), SessionSource::Invalid);
    }
}

/// Fault 6: chunks taken from another cookie name (the cookie name is bound into the
/// MAC of the whole token).
#[test]
fn fault_chunks_of_another_cookie_name() {
    let c = sessions(4);
    let other = SessionConfig::builder(cookie_config(4, |b| b.name("__Host-other"))).build();
    let pairs = chunked(&other, 7_000, 16);
    assert_eq!(pairs[1].0, "__Host-other.1");
    let renamed: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (n.replace("__Host-other", NAME), v.clone()))
        .collect();
    refused(&c, &header(&renamed), SessionSource::Invalid);
    // One chunk of the other name among ours.
    let mut ours = chunked(&c, 7_000, 16);
    ours[1].1 = pairs[1].1.clone();
    refused(&c, &header(&ours), SessionSource::Invalid);
    // And the other name's cookies are not ours at all.
    assert_eq!(
        c.load_at(header(&pairs), now()).source(),
        SessionSource::NoCookie
    );
}

/// Fault 7: more chunks than the configuration allows (it was lowered, or a first
/// chunk announces more): invalid, and the chunks beyond the maximum are removed too.
#[test]
fn fault_too_many_chunks() {
    let four = sessions(4);
    let two = sessions(2);
    let pairs = chunked(&four, 7_000, 17);
    assert_eq!(pairs.len(), 3);
    let update = refused(&two, &header(&pairs), SessionSource::Invalid).unwrap();
    assert_eq!(
        removed_names(&update),
        [NAME, "__Host-session.1", "__Host-session.2"]
    );
    // A count above the maximum, or a nonsense count.
    for count in ["5", "9", "0", "1"] {
        let mut forged = chunked(&four, 3_500, 18);
        forged[0].1.replace_range(..1, count);
        refused(&four, &header(&forged), SessionSource::Invalid);
    }
    // Chunk names beyond MAX_CHUNKS are not chunk names: other cookies.
    let mut pairs = chunked(&four, 3_500, 19);
    pairs.push(("__Host-session.4".into(), "x".into()));
    pairs.push(("__Host-session.01".into(), "x".into()));
    assert_eq!(
        four.load_at(header(&pairs), now()).source(),
        SessionSource::Cookie
    );
}

/// Fault 8: a `Cookie:` header longer than `MAX_COOKIE_HEADER_LEN` is refused unread.
/// It proves nothing about the session (other cookies of the site may have filled it),
/// so no cookie is sent at all: no removal of any chunk name, and no new session even
/// when the handler stores something.
#[test]
fn fault_oversized_header() {
    let c = sessions(4);
    let pairs = chunked(&c, 7_000, 20);
    let mut h = header(&pairs);
    h.push_str("; other=");
    let fill = MAX_COOKIE_HEADER_LEN - h.len();
    h.push_str(&"x".repeat(fill));
    assert_eq!(c.load_at(&h, now()).source(), SessionSource::Cookie);
    h.push('x');
    assert!(refused(&c, &h, SessionSource::Unreadable).is_none());
    let mut session = c.load_at(&h, now());
    session.insert("visits", &1).unwrap();
    assert!(c.save_at(&session, now()).unwrap().is_none());
}

/// Any changed byte in any chunk (and any truncated chunk) fails verification.
#[test]
fn fault_tampered_chunk() {
    let c = sessions(4);
    let pairs = chunked(&c, 3_500, 21);
    for chunk in 0..pairs.len() {
        let value = pairs[chunk].1.clone();
        for position in (0..value.len()).step_by(97) {
            let mut bytes = value.clone().into_bytes();
            if chunk == 0 && position < 2 {
                continue;
            }
            bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
            let mut tampered = pairs.clone();
            tampered[chunk].1 = String::from_utf8(bytes).unwrap();
            refused(&c, &header(&tampered), SessionSource::Invalid);
        }
        let mut cut = pairs.clone();
        cut[chunk].1.pop();
        refused(&c, &header(&cut), SessionSource::Invalid);
    }
}

#[test]
fn session_debug_and_set_cookie_debug_show_no_values() {
    let c = sessions(4);
    let mut s: Session = c.load_at("", now());
    s.insert("pad", &padding(6_500, 22)).unwrap();
    let update = c.save_at(&s, now()).unwrap().unwrap();
    let debug = format!("{update:?}");
    assert!(debug.contains("__Host-session.2"), "{debug}");
    for cookie in update.cookies() {
        assert!(!debug.contains(&cookie.value()[..20]));
    }
}
