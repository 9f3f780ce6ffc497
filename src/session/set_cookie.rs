//! [`SetCookie`]: the response headers of a saved session.

use std::fmt::{self, Write as _};

use ::cookie::{Cookie, SameSite};
use time::{OffsetDateTime, UtcOffset};

/// The headers a response must get for a saved session: one `Set-Cookie` per cookie,
/// plus `Vary: Cookie` and `Cache-Control: private`. `Debug` does not show the cookies'
/// values.
///
/// There is one cookie unless the session is split into chunks
/// ([`CookieConfigBuilder::max_chunks`](crate::CookieConfigBuilder::max_chunks)): then
/// the chunks come first, in order, followed by removal cookies for the chunks the
/// request carried that the session no longer uses.
#[derive(Clone)]
pub struct SetCookie {
    /// Never empty: the session cookie (or its removal) comes first.
    cookies: Vec<Cookie<'static>>,
    /// The `Set-Cookie` header value of each cookie, formatted once.
    values: Vec<String>,
    removal: bool,
}

impl fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.cookies.iter().map(Cookie::name).collect();
        f.debug_struct("SetCookie")
            .field("names", &names)
            .field("removal", &self.removal)
            .finish_non_exhaustive()
    }
}

impl SetCookie {
    /// The `Vary` and `Cache-Control` headers that go with every `Set-Cookie`.
    pub const CACHE_HEADERS: [(&'static str, &'static str); 2] =
        [("vary", "Cookie"), ("cache-control", "private")];

    pub(super) fn new(cookies: Vec<Cookie<'static>>, removal: bool) -> Option<Self> {
        if cookies.is_empty() {
            return None;
        }
        let values = cookies.iter().map(header_value).collect();
        Some(Self {
            cookies,
            values,
            removal,
        })
    }

    /// The session cookie, or its first chunk (see [`SetCookie::cookies`] for all).
    #[allow(clippy::indexing_slicing)] // `SetCookie::new` never makes an empty list
    pub fn cookie(&self) -> &Cookie<'static> {
        &self.cookies[0]
    }

    /// Every cookie to set, in order: the session cookie or its chunks, then removal
    /// cookies for chunks no longer used. Without chunking, exactly one cookie.
    pub fn cookies(&self) -> &[Cookie<'static>] {
        &self.cookies
    }

    /// Whether the session was removed (it was emptied or was invalid): every cookie is
    /// a removal cookie.
    pub fn is_removal(&self) -> bool {
        self.removal
    }

    /// The `Set-Cookie` header value of the first cookie ([`SetCookie::cookie`]). With
    /// chunking there may be more: use [`SetCookie::header_values`].
    pub fn header_value(&self) -> String {
        self.values.first().cloned().unwrap_or_default()
    }

    /// The `Set-Cookie` header values of every cookie, in order.
    pub fn header_values(&self) -> Vec<String> {
        self.values.clone()
    }

    /// Every header to add to a response that has no `Vary` or `Cache-Control` of its
    /// own, with lower-case names: one `set-cookie` per cookie, then `vary: Cookie`
    /// and `cache-control: private` ([`SetCookie::apply`] on an empty response). Add
    /// them with `append`, not `insert`, so that every `Set-Cookie` is kept. When the
    /// response has headers of its own, use [`SetCookie::apply`], which merges with
    /// them.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = HeaderList(Vec::with_capacity(self.values.len() + 2));
        self.clone().apply(&mut headers);
        headers.0
    }

    /// Writes the session into a response's headers, the rule every integration
    /// follows: appends one `Set-Cookie` per cookie; appends `Vary: Cookie` unless a
    /// `Vary` header already names `Cookie` (or `*`); and makes `Cache-Control`
    /// private: `private` when the response has none, unchanged when it already says
    /// `private` or `no-store`, otherwise `private` followed by its directives less
    /// `public`. Other headers are kept.
    pub fn apply<H: ResponseHeaders + ?Sized>(self, headers: &mut H) {
        for value in self.values {
            headers.append("set-cookie", value);
        }
        if !headers.any_value("vary", varies_on_cookie) {
            headers.append_static("vary", "Cookie");
        }
        match headers.first_value("cache-control") {
            None => headers.set_static("cache-control", "private"),
            Some(existing) => {
                if let Some(value) = private_cache_control(existing) {
                    headers.set("cache-control", value);
                }
            }
        }
    }
}

/// The `Set-Cookie` header value of `cookie`: the text of the `cookie` crate's
/// `Display` (the attributes in its order, `Expires` as an IMF-fixdate), written
/// without its formatting machinery, which took more time than the rest of the save's
/// header work. `tests` compare the two over every attribute and many dates.
fn header_value(cookie: &Cookie<'_>) -> String {
    // Room for the attributes, so that writing does not grow the buffer.
    let mut out = String::with_capacity(cookie.name().len() + cookie.value().len() + 160);
    out.push_str(cookie.name());
    out.push('=');
    out.push_str(cookie.value());
    if cookie.http_only() == Some(true) {
        out.push_str("; HttpOnly");
    }
    if let Some(same_site) = cookie.same_site() {
        out.push_str(match same_site {
            SameSite::Strict => "; SameSite=Strict",
            SameSite::Lax => "; SameSite=Lax",
            SameSite::None => "; SameSite=None",
        });
    }
    if cookie.partitioned() == Some(true) {
        out.push_str("; Partitioned");
    }
    if cookie.secure() == Some(true)
        || cookie.partitioned() == Some(true)
        || cookie.secure().is_none() && cookie.same_site() == Some(SameSite::None)
    {
        out.push_str("; Secure");
    }
    if let Some(path) = cookie.path() {
        out.push_str("; Path=");
        out.push_str(path);
    }
    if let Some(domain) = cookie.domain() {
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    if let Some(max_age) = cookie.max_age() {
        let _ = write!(out, "; Max-Age={}", max_age.whole_seconds());
    }
    if let Some(expires) = cookie.expires_datetime() {
        let expires = expires.to_offset(UtcOffset::UTC);
        if (1000..=9999).contains(&expires.year()) {
            out.push_str("; Expires=");
            push_http_date(&mut out, expires);
        } else {
            // Years of other widths: the `cookie` crate's own text.
            return cookie.to_string();
        }
    }
    out
}

/// `at` (in UTC, a four-digit year) as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn push_http_date(out: &mut String, at: OffsetDateTime) {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = DAYS
        .get(usize::from(at.weekday().number_days_from_monday()))
        .copied()
        .unwrap_or_default();
    let month = MONTHS
        .get(usize::from(u8::from(at.month())) - 1)
        .copied()
        .unwrap_or_default();
    let (hour, minute, second) = at.to_hms();
    let year = at.year().unsigned_abs();
    out.push_str(day);
    out.push_str(", ");
    push_digits(out, at.day().into(), 2);
    out.push(' ');
    out.push_str(month);
    out.push(' ');
    push_digits(out, year, 4);
    out.push(' ');
    push_digits(out, hour.into(), 2);
    out.push(':');
    push_digits(out, minute.into(), 2);
    out.push(':');
    push_digits(out, second.into(), 2);
    out.push_str(" GMT");
}

/// The last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = n / 10u32.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// The headers of a response, as [`SetCookie::apply`] writes them: implemented for
/// `http::HeaderMap` (feature `http`), actix-web's `HeaderMap` (feature `actix`) and
/// Rocket's `Response` (feature `rocket`). Implement it to save sessions into another
/// framework's responses. Header names are passed in lower case.
pub trait ResponseHeaders {
    /// Whether some value of header `name` satisfies `test`.
    fn any_value(&self, name: &'static str, test: fn(&[u8]) -> bool) -> bool;

    /// The first value of header `name`, if any.
    fn first_value(&self, name: &'static str) -> Option<&[u8]>;

    /// Adds a `name` header with `value`, keeping the headers of that name already
    /// there. The values [`SetCookie::apply`] passes are valid header values (the
    /// cookies' parts were validated when the configuration was built).
    fn append(&mut self, name: &'static str, value: String);

    /// Replaces every `name` header with one holding `value`.
    fn set(&mut self, name: &'static str, value: String);

    /// [`ResponseHeaders::append`] of a fixed value (`Vary: Cookie`). Implement it
    /// when the response can hold a `&'static str` without a copy; by default it
    /// appends a copy.
    fn append_static(&mut self, name: &'static str, value: &'static str) {
        self.append(name, value.to_owned());
    }

    /// [`ResponseHeaders::set`] of a fixed value (`Cache-Control: private`); by default
    /// it sets a copy.
    fn set_static(&mut self, name: &'static str, value: &'static str) {
        self.set(name, value.to_owned());
    }
}

/// The list [`SetCookie::headers`] builds.
struct HeaderList(Vec<(&'static str, String)>);

impl ResponseHeaders for HeaderList {
    fn any_value(&self, name: &'static str, test: fn(&[u8]) -> bool) -> bool {
        self.0
            .iter()
            .any(|(n, value)| *n == name && test(value.as_bytes()))
    }

    fn first_value(&self, name: &'static str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.as_bytes())
    }

    fn append(&mut self, name: &'static str, value: String) {
        self.0.push((name, value));
    }

    fn set(&mut self, name: &'static str, value: String) {
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value));
    }
}

/// The `Cache-Control` value for a response that sets a session cookie, given the one
/// it has: `private` when it has none; unchanged (`None`) when it already says
/// `private` or `no-store`; otherwise `private` followed by its directives without
/// `public`.
fn private_cache_control(existing: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(existing);
    let directives: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let says = |name: &str| {
        directives.iter().any(|d| {
            d.split('=')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    };
    if says("private") || says("no-store") {
        return None;
    }
    let mut merged = String::from("private");
    for d in directives
        .iter()
        .filter(|d| !d.eq_ignore_ascii_case("public"))
    {
        merged.push_str(", ");
        merged.push_str(d);
    }
    Some(merged)
}

/// Whether a `Vary` value already names `Cookie` (or `*`).
fn varies_on_cookie(vary: &[u8]) -> bool {
    vary.split(|&b| b == b',').any(|field| {
        let field = field.trim_ascii();
        field.eq_ignore_ascii_case(b"cookie") || field == b"*"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_the_cookie_crates_text() {
        use time::Duration;
        // Dates over the four-digit years (a step of about 37 days and 7 hours moves
        // the weekday, the day, the month and the clock), the ends of the range, and
        // years that fall back to the crate's own text.
        let mut dates: Vec<OffsetDateTime> = (0..4000)
            .map(|i| OffsetDateTime::UNIX_EPOCH + Duration::seconds(i * 3_218_423 - 1_000_000_000))
            .collect();
        let at = |unix: i64| OffsetDateTime::from_unix_timestamp(unix).unwrap();
        let plus_two = UtcOffset::from_hms(2, 0, 0).unwrap();
        dates.extend([
            OffsetDateTime::UNIX_EPOCH,
            at(-30_610_224_000),                   // 1000-01-01 00:00:00
            at(253_402_300_799),                   // 9999-12-31 23:59:59
            at(-30_610_224_001),                   // 0999-12-31 23:59:59
            at(1_907_748_000).to_offset(plus_two), // 2030-06-15, not in UTC
        ]);
        let same_sites = [
            None,
            Some(SameSite::Strict),
            Some(SameSite::Lax),
            Some(SameSite::None),
        ];
        for (i, at) in dates.into_iter().enumerate() {
            let mut cookie = Cookie::new("__Host-session", "eyJ.abc-_.sig");
            let bit = |n: usize| i >> n & 1 == 1;
            if bit(0) {
                cookie.set_http_only(true);
            }
            if let Some(same_site) = same_sites.get(i % 4).copied().flatten() {
                cookie.set_same_site(same_site);
            }
            if bit(2) {
                cookie.set_secure(bit(3));
            }
            if bit(4) {
                cookie.set_partitioned(true);
            }
            if bit(5) {
                cookie.set_path("/app");
            }
            if bit(6) {
                cookie.set_domain(if bit(7) {
                    ".example.com"
                } else {
                    "example.com"
                });
            }
            if bit(8) {
                cookie.set_max_age(Duration::seconds(i as i64));
            }
            if !bit(9) {
                cookie.set_expires(at);
            }
            assert_eq!(header_value(&cookie), cookie.to_string());
        }
    }

    #[test]
    fn cache_control_becomes_private() {
        assert_eq!(private_cache_control(b"no-store"), None);
        assert_eq!(private_cache_control(b"Private, max-age=10"), None);
        assert_eq!(
            private_cache_control(b"public, max-age=60").as_deref(),
            Some("private, max-age=60")
        );
    }

    #[test]
    fn vary_cookie_is_recognised() {
        assert!(varies_on_cookie(b"Accept-Encoding, cookie"));
        assert!(varies_on_cookie(b"*"));
        assert!(!varies_on_cookie(b"Accept-Encoding"));
        assert!(!varies_on_cookie(b"Cookies"));
    }

    #[test]
    fn apply_merges_with_the_response_headers() {
        let update = SetCookie::new(vec![Cookie::new("s", "v")], false).expect("one cookie");
        let mut headers = HeaderList(vec![
            ("vary", String::from("Accept-Encoding, Cookie")),
            ("cache-control", String::from("public, max-age=60")),
        ]);
        update.clone().apply(&mut headers);
        assert_eq!(
            headers.0,
            [
                ("vary", String::from("Accept-Encoding, Cookie")),
                ("set-cookie", String::from("s=v")),
                ("cache-control", String::from("private, max-age=60")),
            ]
        );
        let mut headers = HeaderList(vec![("cache-control", String::from("no-store"))]);
        update.clone().apply(&mut headers);
        assert_eq!(
            headers.0,
            [
                ("cache-control", String::from("no-store")),
                ("set-cookie", String::from("s=v")),
                ("vary", String::from("Cookie")),
            ]
        );
        assert_eq!(
            update.headers(),
            [
                ("set-cookie", String::from("s=v")),
                ("vary", String::from("Cookie")),
                ("cache-control", String::from("private")),
            ]
        );
    }
}
