//! [`SetCookie`]: the response headers of a saved session.

use std::fmt::{self, Write as _};

use ::cookie::Cookie;

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
        let values = cookies
            .iter()
            .map(|cookie| {
                // Room for the attributes, so that formatting does not grow the buffer.
                let mut value =
                    String::with_capacity(cookie.name().len() + cookie.value().len() + 160);
                let _ = write!(value, "{cookie}");
                value
            })
            .collect();
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

    /// The `Set-Cookie` header values, taken out (for the integrations, which send
    /// them as they are).
    #[cfg(any(feature = "http", feature = "actix"))]
    pub(crate) fn into_header_values(self) -> Vec<String> {
        self.values
    }

    /// Every header to add to the response, with lower-case names: one `set-cookie`
    /// per cookie, then `vary: Cookie` and `cache-control: private`. Add them with
    /// `append`, not `insert`, so that every `Set-Cookie` and other `Vary` headers are
    /// kept.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers: Vec<(&'static str, String)> = self
            .values
            .iter()
            .map(|value| ("set-cookie", value.clone()))
            .collect();
        headers.extend(
            Self::CACHE_HEADERS
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned())),
        );
        headers
    }
}
