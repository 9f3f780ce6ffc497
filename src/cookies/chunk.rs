//! The mechanics of chunked session cookies ([`CookieConfigBuilder::max_chunks`]):
//! chunk names, splitting a token into cookie values and putting it back together.
//! The rules are documented in "Large sessions" in the [`cookies`](crate::cookies)
//! module docs.
//!
//! [`CookieConfigBuilder::max_chunks`]: crate::cookies::CookieConfigBuilder::max_chunks

use crate::cookies::{MAX_CHUNKS, MAX_SAME_NAME_COOKIES};
use crate::error::Error;

/// The separator between the chunk count and the first part of the token in the first
/// chunk's value. It is a cookie-octet that no token contains.
const COUNT_SEPARATOR: u8 = b'~';

/// The name of chunk `index`: the cookie name itself for chunk 0, `name.<index>` for
/// the others.
pub(crate) fn chunk_name(name: &str, index: usize) -> String {
    if index == 0 {
        name.to_owned()
    } else {
        format!("{name}.{index}")
    }
}

/// The chunk index that `pair_name` names for the cookie `name`, among the first
/// `max_chunks` indices that are chunk names; `None` for any other cookie.
fn chunk_index(pair_name: &[u8], name: &[u8], max_chunks: usize) -> Option<usize> {
    if pair_name == name {
        return Some(0);
    }
    if max_chunks < 2 {
        return None;
    }
    let rest = pair_name.strip_prefix(name)?.strip_prefix(b".")?;
    match rest {
        [digit @ b'1'..=b'9'] => {
            let index = usize::from(digit - b'0');
            (index < MAX_CHUNKS).then_some(index)
        }
        _ => None,
    }
}

/// The chunk names a request carried: bit `i` stands for chunk `i`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChunkSet(u8);

impl ChunkSet {
    /// Every chunk name below `count`.
    pub(crate) fn below(count: usize) -> Self {
        Self((0..count.min(MAX_CHUNKS)).fold(0, |bits, i| bits | 1 << i))
    }

    fn insert(&mut self, index: usize) {
        if index < MAX_CHUNKS {
            self.0 |= 1 << index;
        }
    }

    /// Whether chunk `index` is in the set.
    pub(crate) fn contains(self, index: usize) -> bool {
        index < MAX_CHUNKS && self.0 & (1 << index) != 0
    }

    /// The indices in the set, in order.
    pub(crate) fn iter(self) -> impl Iterator<Item = usize> {
        (0..MAX_CHUNKS).filter(move |&i| self.contains(i))
    }
}

/// The values of one chunk name, in order: at most [`MAX_SAME_NAME_COOKIES`], kept
/// without an allocation.
#[derive(Clone, Copy, Default)]
pub(crate) struct Values<'a> {
    items: [&'a [u8]; MAX_SAME_NAME_COOKIES],
    len: usize,
}

impl<'a> Values<'a> {
    fn as_slice(&self) -> &[&'a [u8]] {
        self.items.get(..self.len).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, value: &'a [u8]) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = value;
            self.len += 1;
        }
    }
}

impl<'a> IntoIterator for Values<'a> {
    type Item = &'a [u8];
    type IntoIter = std::iter::Take<std::array::IntoIter<&'a [u8], MAX_SAME_NAME_COOKIES>>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter().take(self.len)
    }
}

/// The cookies of a request that are chunks of one session cookie.
pub(crate) struct Chunks<'a> {
    /// The values of each chunk name, in order, at most [`MAX_SAME_NAME_COOKIES`] each.
    values: [Values<'a>; MAX_CHUNKS],
    /// Whether a chunk name had more values than that.
    overflow: bool,
    /// The chunk names present.
    seen: ChunkSet,
}

/// What [`Chunks::assemble`] found.
pub(crate) enum Assembled<'a> {
    /// No chunk name other than the cookie name itself: its values, each a whole token
    /// (a value that announces several chunks is a chunk with its companions
    /// missing).
    Whole(Values<'a>),
    /// A token put back together from several chunks.
    Chunked(String),
}

impl<'a> Chunks<'a> {
    /// The chunks of the cookie `name` among `pairs` (cookie names and values).
    pub(crate) fn collect(
        pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
        name: &str,
        max_chunks: usize,
    ) -> Self {
        let mut chunks = Chunks {
            values: Default::default(),
            overflow: false,
            seen: ChunkSet::default(),
        };
        for (pair_name, value) in pairs {
            let Some(index) = chunk_index(pair_name, name.as_bytes(), max_chunks) else {
                continue;
            };
            chunks.seen.insert(index);
            let Some(values) = chunks.values.get_mut(index) else {
                continue;
            };
            if values.len() < MAX_SAME_NAME_COOKIES {
                values.push(value);
            } else {
                chunks.overflow = true;
            }
        }
        chunks
    }

    /// The chunk names present.
    pub(crate) fn seen(&self) -> ChunkSet {
        self.seen
    }

    /// The token these chunks carry, checked for shape only (the caller verifies it):
    ///
    /// - more than [`MAX_SAME_NAME_COOKIES`] cookies of one chunk name, or (with chunks
    ///   other than the first) two different values of one chunk name:
    ///   [`Error::AmbiguousCookie`];
    /// - only the cookie name itself: its values ([`Assembled::Whole`]);
    /// - otherwise the first chunk must announce `n` chunks, `2 ≤ n ≤ max_chunks`,
    ///   exactly the chunk names `0..n` must be present, each with a non-empty value:
    ///   else [`Error::Malformed`] (a chunk missing, extra or beyond the maximum).
    pub(crate) fn assemble(&self, max_chunks: usize) -> Result<Assembled<'a>, Error> {
        if self.overflow {
            return Err(Error::AmbiguousCookie);
        }
        let [head, rest @ ..] = &self.values;
        if rest.iter().all(Values::is_empty) {
            return Ok(Assembled::Whole(*head));
        }
        let mut parts = Vec::with_capacity(MAX_CHUNKS);
        for values in &self.values {
            match values.as_slice().split_first() {
                None => parts.push(None),
                Some((first, others)) => {
                    if others.iter().any(|other| other != first) {
                        return Err(Error::AmbiguousCookie);
                    }
                    parts.push(Some(*first));
                }
            }
        }
        let Some(Some(head)) = parts.first() else {
            return Err(Error::Malformed);
        };
        let (count, first_part) = split_head(head).ok_or(Error::Malformed)?;
        if count < 2 || count > max_chunks || self.seen != ChunkSet::below(count) {
            return Err(Error::Malformed);
        }
        let mut token = Vec::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        for part in std::iter::once(first_part).chain(parts.iter().skip(1).flatten().copied()) {
            if part.is_empty() {
                return Err(Error::Malformed);
            }
            token.extend_from_slice(part);
        }
        String::from_utf8(token)
            .map(Assembled::Chunked)
            .map_err(|_| Error::Malformed)
    }
}

/// The chunk count and first part of a first chunk's value `<count>~<part>`; `None`
/// for a value without a count (a whole token).
pub(crate) fn split_head(value: &[u8]) -> Option<(usize, &[u8])> {
    match value {
        [digit @ b'0'..=b'9', COUNT_SEPARATOR, part @ ..] => {
            Some((usize::from(digit - b'0'), part))
        }
        _ => None,
    }
}

/// Splits `token` into the values of `n` chunks, the smallest `n` for which it fits:
/// `budgets[i]` is the longest value chunk `i` may have. One chunk holds the token
/// unchanged; with several, the first value is `<n>~` followed by the first part, and
/// each part is as long as its budget allows (so only the last is shorter and none is
/// empty). `None` when the token does not fit in `budgets.len()` chunks.
///
/// The token is ASCII, so every split falls between characters.
pub(crate) fn split(token: &str, budgets: &[usize]) -> Option<Vec<String>> {
    let first = *budgets.first()?;
    if token.len() <= first {
        return Some(vec![token.to_owned()]);
    }
    for count in 2..=budgets.len().min(9) {
        let room = |i: usize| -> usize {
            let budget = budgets.get(i).copied().unwrap_or(0);
            if i == 0 {
                budget.saturating_sub(2)
            } else {
                budget
            }
        };
        let capacity: usize = (0..count).map(room).sum();
        if token.len() > capacity {
            continue;
        }
        let mut values = Vec::with_capacity(count);
        let mut start = 0;
        for i in 0..count {
            let end = (start + room(i)).min(token.len());
            let part = token.get(start..end)?;
            values.push(if i == 0 {
                format!("{count}~{part}")
            } else {
                part.to_owned()
            });
            start = end;
        }
        return Some(values);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_names() {
        assert_eq!(chunk_name("__Host-s", 0), "__Host-s");
        assert_eq!(chunk_name("__Host-s", 3), "__Host-s.3");
        let index = |n: &str| chunk_index(n.as_bytes(), b"s", 4);
        assert_eq!(index("s"), Some(0));
        assert_eq!(index("s.1"), Some(1));
        assert_eq!(index("s.3"), Some(3));
        for other in [
            "s.0", "s.4", "s.9", "s.01", "s.", "s1", "S.1", "s.1.1", "x.1",
        ] {
            assert_eq!(index(other), None, "{other}");
        }
        // With chunking off, only the name itself.
        assert_eq!(chunk_index(b"s.1", b"s", 1), None);
        assert_eq!(chunk_index(b"s", b"s", 1), Some(0));
    }

    #[test]
    fn split_fills_each_chunk_and_announces_the_count() {
        assert_eq!(split("abcdef", &[6, 6]), Some(vec!["abcdef".to_owned()]));
        assert_eq!(
            split("abcdefg", &[6, 6]),
            Some(vec!["2~abcd".to_owned(), "efg".to_owned()])
        );
        assert_eq!(
            split("abcdefghijklmn", &[6, 5, 5]),
            Some(vec!["3~abcd".into(), "efghi".into(), "jklmn".into()])
        );
        assert_eq!(split("abcdefghijklmno", &[6, 5, 5]), None);
        assert_eq!(split("abc", &[]), None);
        // Every split puts the token back together.
        for len in 1..=40 {
            let token: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            if let Some(values) = split(&token, &[9, 8, 7, 6]) {
                let pairs: Vec<(String, &str)> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (chunk_name("s", i), v.as_str()))
                    .collect();
                let chunks = Chunks::collect(
                    pairs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())),
                    "s",
                    4,
                );
                let back = match chunks.assemble(4).unwrap() {
                    Assembled::Whole(v) => String::from_utf8(v.as_slice()[0].to_vec()).unwrap(),
                    Assembled::Chunked(t) => t,
                };
                assert_eq!(back, token);
                assert!(values.iter().all(|v| !v.is_empty()));
            } else {
                assert!(len > 7 + 8 + 7 + 6, "{len}");
            }
        }
    }

    #[test]
    fn chunk_sets() {
        assert_eq!(ChunkSet::below(0), ChunkSet::default());
        assert_eq!(ChunkSet::below(3).iter().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(ChunkSet::below(99), ChunkSet::below(MAX_CHUNKS));
        assert!(!ChunkSet::below(2).contains(2));
    }
}
