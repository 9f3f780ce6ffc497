//! The same-origin guard against cross-site request forgery of state changes
//! ([`OriginGuard`]).

use std::fmt;

/// Decides whether a request may change state: a same-origin guard against cross-site
/// request forgery, public as `sessionlib::OriginGuard`.
///
/// A session cookie is sent with every request to the site, including a form that a
/// hostile page posts to it (`SameSite=Lax` stops the cookie on cross-site `POST`s,
/// but not on requests from a sibling subdomain, and not login CSRF, where the
/// attacker's form needs no cookie at all: it logs the visitor in under an account the
/// attacker chose). [`OriginGuard`] refuses state-changing requests that a browser
/// says come from another origin, following the Fetch Metadata approach of Go's
/// `net/http.CrossOriginProtection`:
///
/// 1. `GET`, `HEAD` and `OPTIONS` pass (they must not change state).
/// 2. With a `Sec-Fetch-Site` header (every current browser sends it): `same-origin`
///    and `none` (the user typed the address or used a bookmark) pass;
///    `same-site` and `cross-site` are refused, unless the `Origin` is trusted.
/// 3. Without it, an `Origin` header whose host is not the request's `Host` is
///    refused, unless it is trusted.
/// 4. With neither header the request is not from a browser (curl, a server) and
///    passes: there is no ambient cookie to abuse without a browser.
///
/// The framework integrations answer a refused request with `403 Forbidden` before
/// the handler runs.
#[derive(Clone, Default)]
pub struct OriginGuard {
    trusted: Vec<String>,
}

impl fmt::Debug for OriginGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginGuard")
            .field("trusted", &self.trusted)
            .finish()
    }
}

impl OriginGuard {
    /// A guard that trusts no other origin.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accepts state-changing requests whose `Origin` header is exactly `origin`
    /// (scheme, host and port, such as `https://admin.example.com`, without a
    /// trailing slash), from any site.
    ///
    /// Defaults to no trusted origin.
    pub fn trust(mut self, origin: impl Into<String>) -> Self {
        self.trusted.push(origin.into());
        self
    }

    /// Whether a request may go on. `method` is the request method; the other
    /// arguments are the values of the `Sec-Fetch-Site`, `Origin` and `Host` headers
    /// (for HTTP/2, the `:authority`), `None` when absent.
    pub fn allows(
        &self,
        method: &str,
        sec_fetch_site: Option<&[u8]>,
        origin: Option<&[u8]>,
        host: Option<&[u8]>,
    ) -> bool {
        if is_safe(method) {
            return true;
        }
        let trusted = || origin.is_some_and(|o| self.trusted.iter().any(|t| t.as_bytes() == o));
        if let Some(site) = sec_fetch_site {
            return matches!(site, b"same-origin" | b"none") || trusted();
        }
        let Some(origin) = origin else {
            return true;
        };
        host.is_some_and(|host| origin_host(origin) == Some(host)) || trusted()
    }
}

/// Whether `method` is one the guard always lets through (it changes nothing).
pub(crate) fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// The `host[:port]` of a serialized origin (`scheme://host[:port]`); `None` for
/// `null` or anything that is not an origin.
fn origin_host(origin: &[u8]) -> Option<&[u8]> {
    let sep = origin.windows(3).position(|w| w == b"://")?;
    let host = origin.get(sep + 3..)?;
    (!host.is_empty() && !host.contains(&b'/')).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(guard: &OriginGuard, method: &str, site: Option<&str>, origin: Option<&str>) -> bool {
        guard.allows(
            method,
            site.map(str::as_bytes),
            origin.map(str::as_bytes),
            Some(b"app.example:8000"),
        )
    }

    #[test]
    fn safe_methods_always_pass() {
        let g = OriginGuard::new();
        for method in ["GET", "HEAD", "OPTIONS"] {
            assert!(allows(
                &g,
                method,
                Some("cross-site"),
                Some("https://evil.example")
            ));
        }
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let g = OriginGuard::new();
        assert!(allows(&g, "POST", Some("same-origin"), None));
        assert!(allows(&g, "POST", Some("none"), None));
        assert!(!allows(&g, "POST", Some("same-site"), None));
        assert!(!allows(&g, "POST", Some("cross-site"), None));
        assert!(!allows(
            &g,
            "DELETE",
            Some("cross-site"),
            Some("http://app.example:8000")
        ));
        assert!(!allows(&g, "POST", Some("garbage"), None));
    }

    #[test]
    fn origin_decides_without_fetch_metadata() {
        let g = OriginGuard::new();
        assert!(allows(&g, "POST", None, Some("http://app.example:8000")));
        assert!(allows(&g, "POST", None, Some("https://app.example:8000")));
        assert!(!allows(&g, "POST", None, Some("http://app.example")));
        assert!(!allows(&g, "POST", None, Some("https://evil.example")));
        assert!(!allows(&g, "POST", None, Some("null")));
        assert!(!allows(&g, "PUT", None, Some("http://app.example:8000/")));
        assert!(
            !OriginGuard::new().allows("POST", None, Some(b"http://app.example:8000"), None),
            "an Origin with no Host to compare is refused"
        );
    }

    #[test]
    fn neither_header_passes() {
        assert!(allows(&OriginGuard::new(), "POST", None, None));
    }

    #[test]
    fn trusted_origins_pass() {
        let g = OriginGuard::new().trust("https://admin.example");
        assert!(allows(
            &g,
            "POST",
            Some("cross-site"),
            Some("https://admin.example")
        ));
        assert!(allows(&g, "POST", None, Some("https://admin.example")));
        assert!(!allows(
            &g,
            "POST",
            Some("cross-site"),
            Some("https://admin.example.evil")
        ));
        assert!(!allows(&g, "POST", Some("cross-site"), None));
    }
}
