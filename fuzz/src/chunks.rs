//! The property of `chunked_cookie_header`: a session cookie split into chunk cookies
//! (`session`, `session.1`, …), read from a `Cookie:` header.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use arbitrary::Unstructured;
use serde_json::Value;
use sessionlib::cookies::{CookieConfig, MAX_CHUNKS, MAX_COOKIE_HEADER_LEN, MAX_SAME_NAME_COOKIES};
use sessionlib::{SessionConfig, SessionData, SessionSource};

use super::common::{native_ring, now, MAX_INPUT};

/// The name of the chunked session cookie.
pub const CHUNKED_NAME: &str = "session";

struct ChunkFixtures {
    config: SessionConfig,
    /// Two valid sessions of three chunks each (two generations): their chunk values,
    /// the token they join to, and their data.
    planted: [Planted; 2],
}

struct Planted {
    chunks: Vec<String>,
    token: String,
    data: Value,
}

fn chunk_fixtures() -> &'static ChunkFixtures {
    static FIXTURES: OnceLock<ChunkFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let cookie = CookieConfig::builder(native_ring())
            .clock(now)
            .name(CHUNKED_NAME)
            .max_chunks(MAX_CHUNKS)
            .try_build()
            .unwrap_or_else(|e| panic!("fixture cookie config refused: {e}"));
        let config = SessionConfig::builder(cookie).build();
        let plant = |seed: usize| {
            let pad: String = (0..7_000)
                .map(|i: usize| char::from(b'a' + ((i * 7919 + i / 26 + seed) % 26) as u8))
                .collect();
            let mut session = SessionData::new();
            session
                .insert("pad", &pad)
                .unwrap_or_else(|e| panic!("fixture session refused: {e}"));
            let set = match config.save(&session) {
                Ok(Some(set)) => set,
                other => panic!("fixture session not saved: {other:?}"),
            };
            let chunks: Vec<String> = set.cookies().iter().map(|c| c.value().to_owned()).collect();
            assert_eq!(chunks.len(), 3, "the fixture session has three chunks");
            let token = format!("{}{}{}", &chunks[0][2..], chunks[1], chunks[2]);
            let loaded = config.load(planted_header(&chunks));
            let data = Value::Object(
                loaded
                    .keys()
                    .map(|k| (k.to_owned(), loaded.get::<Value>(k).unwrap_or_default()))
                    .collect(),
            );
            assert_eq!(data["pad"], Value::from(pad), "the fixture session loads");
            Planted {
                chunks,
                token,
                data,
            }
        };
        ChunkFixtures {
            planted: [plant(0), plant(1)],
            config,
        }
    })
}

fn chunk_name(index: usize) -> String {
    if index == 0 {
        CHUNKED_NAME.to_owned()
    } else {
        format!("{CHUNKED_NAME}.{index}")
    }
}

fn planted_header(chunks: &[String]) -> String {
    chunks
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{}={v}", chunk_name(i)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `Cookie:` header of the planted session `which` (0 or 1), for the seeds.
pub fn planted_chunked_header(which: usize) -> String {
    planted_header(&chunk_fixtures().planted[which % 2].chunks)
}

/// `chunked_cookie_header`: the chunk reader (`CookieConfig::decode_header_at` with
/// `max_chunks` 4) and the session loader never panic, agree, and load a session only
/// when the header carries exactly one of the two planted sessions' tokens, whole:
///
/// - the input itself, as a `Cookie:` header: whatever loads is one of the planted
///   sessions, with all of its data;
/// - the input as instructions that build a header from chunk cookies (planted chunks
///   of either generation, under any chunk name, cut short, or made of the input's
///   bytes) and other cookies: the result must be exactly what the rules predict (no
///   session, ambiguous, or one planted session), and the removal cookies of a refused
///   session must name exactly the chunk names the header carried (none when
///   ambiguous).
pub fn chunked_cookie_header(data: &[u8]) {
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    check(data, None);
    let (header, expected) = build(&mut Unstructured::new(data));
    check(header.as_bytes(), Some(expected));
}

/// What reading a built header must give.
#[derive(Debug, PartialEq)]
enum Expected {
    NoCookie,
    Invalid(Vec<String>),
    Ambiguous,
    /// A header too large to read: no session and no cookie sent.
    Unreadable,
    Loaded(usize),
}

/// Builds a header from `u`, and predicts the result from the chunk rules.
fn build(u: &mut Unstructured<'_>) -> (String, Expected) {
    let f = chunk_fixtures();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let count = u.int_in_range(0..=12).unwrap_or(0);
    for _ in 0..count {
        // Names 0..=4: the four chunk names and `session.4`, which is not one.
        let index = u.int_in_range(0..=MAX_CHUNKS).unwrap_or(0);
        let which = usize::from(u.arbitrary::<bool>().unwrap_or(false));
        let chunk = u.int_in_range(0..=2).unwrap_or(0);
        let planted = &f.planted[which].chunks[chunk];
        let value = match u.int_in_range(0..=4).unwrap_or(0) {
            0 | 1 => planted.clone(),
            2 => {
                let keep = u.int_in_range(0..=planted.len()).unwrap_or(0);
                planted[..keep].to_owned()
            }
            3 => {
                // Bytes of the input in the token alphabet, `~` included.
                let len = u.int_in_range(0..=40).unwrap_or(0);
                (0..len)
                    .map(|_| {
                        let b = u.arbitrary::<u8>().unwrap_or(0);
                        const ALPHABET: &[u8] =
                            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
                        char::from(ALPHABET[usize::from(b) % ALPHABET.len()])
                    })
                    .collect()
            }
            _ => {
                // The first chunk re-headed with another count.
                let digit = u.int_in_range(0..=9).unwrap_or(0);
                format!("{digit}{}", &f.planted[which].chunks[0][1..])
            }
        };
        pairs.push((chunk_name(index), value));
    }
    let filler = u.int_in_range(0..=3).unwrap_or(0);
    for i in 0..filler {
        pairs.push((
            format!("other{i}"),
            "x".repeat(u.int_in_range(0..=6000).unwrap_or(0)),
        ));
    }
    // Shuffle by the input.
    for i in (1..pairs.len()).rev() {
        let j = u.int_in_range(0..=i).unwrap_or(0);
        pairs.swap(i, j);
    }
    let header = pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let expected = predict(&header, &pairs);
    (header, expected)
}

fn predict(header: &str, pairs: &[(String, String)]) -> Expected {
    let f = chunk_fixtures();
    if header.len() > MAX_COOKIE_HEADER_LEN {
        return Expected::Unreadable;
    }
    let mut groups: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (name, value) in pairs {
        if let Some(index) = (0..MAX_CHUNKS).find(|&i| chunk_name(i) == *name) {
            groups.entry(index).or_default().push(value.as_str());
        }
    }
    let removals: Vec<String> = std::iter::once(0)
        .chain(groups.keys().copied().filter(|&i| i > 0))
        .map(chunk_name)
        .collect();
    if groups.values().any(|g| g.len() > MAX_SAME_NAME_COOKIES) {
        return Expected::Ambiguous;
    }
    if groups.keys().all(|&i| i == 0) {
        // No planted value is a whole token, so nothing loads.
        return match groups.get(&0) {
            None => Expected::NoCookie,
            Some(_) => Expected::Invalid(removals),
        };
    }
    let mut values = Vec::new();
    for group in groups.values() {
        if group.iter().any(|v| *v != group[0]) {
            return Expected::Ambiguous;
        }
        values.push(group[0]);
    }
    let head = groups.get(&0).map(|g| g[0].as_bytes());
    let count = match head {
        Some([d @ b'2'..=b'4', b'~', ..]) => usize::from(d - b'0'),
        _ => return Expected::Invalid(removals),
    };
    // Exactly the announced chunk names, none empty.
    if groups.keys().copied().ne(0..count)
        || values.iter().skip(1).any(|v| v.is_empty())
        || values[0].len() <= 2
    {
        return Expected::Invalid(removals);
    }
    let joined = format!("{}{}", &values[0][2..], values[1..].concat());
    match f.planted.iter().position(|p| p.token == joined) {
        Some(which) => Expected::Loaded(which),
        None => Expected::Invalid(removals),
    }
}

fn check(header: &[u8], expected: Option<Expected>) {
    let f = chunk_fixtures();
    let decoded = f.config.cookie().decode_header::<Value>(header);
    let session = f.config.load(header);
    let loaded = session.source() == SessionSource::Cookie;
    assert_eq!(
        loaded,
        matches!(decoded, Ok(Some(_))),
        "loader and reader disagree"
    );
    let which = if loaded {
        let data = Value::Object(
            session
                .keys()
                .map(|k| (k.to_owned(), session.get::<Value>(k).unwrap_or_default()))
                .collect(),
        );
        let which = f.planted.iter().position(|p| p.data == data);
        assert!(which.is_some(), "a session other than a planted one loaded");
        which
    } else {
        None
    };
    let saved = f.config.save(&session);
    let saved = match saved {
        Ok(saved) => saved,
        Err(e) => panic!("saving a loaded session failed: {e}"),
    };
    if let Some(set) = &saved {
        assert!(set.header_values().iter().all(|v| v.len() <= 4096));
    }
    let Some(expected) = expected else {
        if session.source() == SessionSource::Ambiguous {
            assert!(saved.is_none(), "an ambiguous request got removal cookies");
        }
        return;
    };
    let actual = match session.source() {
        SessionSource::Cookie => Expected::Loaded(which.unwrap_or(9)),
        SessionSource::NoCookie => Expected::NoCookie,
        SessionSource::Ambiguous => Expected::Ambiguous,
        SessionSource::Unreadable => Expected::Unreadable,
        SessionSource::Invalid | SessionSource::Expired => {
            let removed = saved
                .as_ref()
                .map(|s| s.cookies().iter().map(|c| c.name().to_owned()).collect())
                .unwrap_or_default();
            Expected::Invalid(removed)
        }
        other => panic!("unexpected source {other:?}"),
    };
    assert_eq!(actual, expected, "the chunk rules predict another result");
    if matches!(actual, Expected::Ambiguous | Expected::Unreadable) {
        assert!(
            saved.is_none(),
            "an unattributable request got removal cookies"
        );
    }
}
