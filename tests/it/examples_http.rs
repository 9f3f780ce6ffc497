//! End-to-end tests of the example apps (`examples/axum.rs`, `examples/actix_web.rs`,
//! `examples/rocket.rs`) over real HTTP on 127.0.0.1: each test starts the built
//! example executable on a free port, drives it with an HTTP client that keeps
//! cookies, and stops it.
//!
//! The examples are built (with `cargo build --all-features --example …`, a no-op
//! after `cargo test --all-features`) before the first server starts.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine;

use crate::common::{Server, EXAMPLES};

const KEY_A: &str = "example-key-A-0123456789abcdef0123456789abcdef";
const KEY_B: &str = "example-key-B-0123456789abcdef0123456789abcdef";

/// An HTTP client with a cookie store that does not follow redirects and returns
/// error statuses as responses.
fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .new_agent()
}

/// What a test looks at in a response.
#[derive(Debug)]
struct Reply {
    status: u16,
    set_cookies: Vec<String>,
    body: String,
}

impl Reply {
    fn from(response: ureq::http::Response<ureq::Body>) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers();
        let all = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        let set_cookies = all("set-cookie");
        // Whatever sets a cookie must keep shared caches from storing it.
        if !set_cookies.is_empty() {
            let vary = all("vary").join(",");
            assert!(
                vary.split(',')
                    .any(|v| v.trim().eq_ignore_ascii_case("cookie")),
                "Set-Cookie without Vary: Cookie ({vary:?})"
            );
            let cache = all("cache-control").join(",");
            assert!(
                cache.contains("private") || cache.contains("no-store"),
                "Set-Cookie without Cache-Control: private ({cache:?})"
            );
        }
        let body = response.into_body().read_to_string().unwrap();
        Reply {
            status,
            set_cookies,
            body,
        }
    }

    /// The value of the one session cookie set by this response.
    fn session_value(&self, name: &str) -> String {
        assert_eq!(self.set_cookies.len(), 1, "{:?}", self.set_cookies);
        let prefix = format!("{name}=");
        let rest = self.set_cookies[0].strip_prefix(&prefix).unwrap();
        rest.split(';').next().unwrap().to_owned()
    }

    fn is_removal(&self) -> bool {
        self.set_cookies.len() == 1 && self.set_cookies[0].contains("Max-Age=0")
    }
}

fn get(agent: &ureq::Agent, url: &str) -> Reply {
    Reply::from(agent.get(url).call().unwrap())
}

/// A GET with an explicit `Cookie:` header, from a client with an empty cookie store.
fn get_with_cookie(url: &str, cookie: &str) -> Reply {
    Reply::from(client().get(url).header("Cookie", cookie).call().unwrap())
}

fn greeting(agent: &ureq::Agent, url: &str) -> Reply {
    let credentials = base64::engine::general_purpose::STANDARD.encode("cobra:secret");
    Reply::from(
        agent
            .get(url)
            .header("Authorization", format!("Basic {credentials}"))
            .call()
            .unwrap(),
    )
}

fn login(agent: &ureq::Agent, server: &Server, username: &str) -> Reply {
    Reply::from(
        agent
            .post(server.url("/login"))
            .send_form([("username", username)])
            .unwrap(),
    )
}

const DEV: [(&str, &str); 2] = [("SESSIONLIB_DEV", "1"), ("SESSIONLIB_SECRET_KEY", KEY_A)];

#[test]
fn login_flash_and_logout() {
    for name in EXAMPLES {
        let server = Server::start(name, &DEV);
        let agent = client();

        let r = get(&agent, &server.url("/"));
        assert_eq!(r.status, 200, "{name}");
        assert!(
            r.body.contains("You are not logged in"),
            "{name}: {}",
            r.body
        );
        assert!(
            r.set_cookies.is_empty(),
            "{name}: anonymous visitors get no cookie"
        );

        let r = get(&agent, &server.url("/login"));
        assert!(r.body.contains("name=\"username\""), "{name}");
        let r = login(&agent, &server, "");
        assert_eq!(r.status, 400, "{name}");
        assert!(r.set_cookies.is_empty(), "{name}");

        let r = login(&agent, &server, "cobra");
        assert_eq!(r.status, 303, "{name}");
        assert_eq!(r.set_cookies.len(), 1, "{name}");

        // The flash message is shown once.
        let r = get(&agent, &server.url("/"));
        assert!(r.body.contains("Logged in as cobra"), "{name}: {}", r.body);
        assert!(
            r.body.contains("Logged in successfully"),
            "{name}: {}",
            r.body
        );
        assert_eq!(
            r.set_cookies.len(),
            1,
            "{name}: taking the flash changes the session"
        );
        let r = get(&agent, &server.url("/"));
        assert!(r.body.contains("Logged in as cobra"), "{name}");
        assert!(
            !r.body.contains("Logged in successfully"),
            "{name}: flash shown twice"
        );
        // Nothing changed: no Set-Cookie.
        assert!(r.set_cookies.is_empty(), "{name}: {:?}", r.set_cookies);
        let r = get(&agent, &server.url("/"));
        assert!(r.set_cookies.is_empty(), "{name}: {:?}", r.set_cookies);

        // Names are escaped in the page.
        let r = login(&agent, &server, "<script>x</script>");
        assert_eq!(r.status, 303, "{name}");
        let r = get(&agent, &server.url("/"));
        assert!(
            r.body
                .contains("Logged in as &lt;script&gt;x&lt;/script&gt;"),
            "{name}"
        );

        // GET /logout only shows the button: a link or an image cannot log anyone out.
        let r = get(&agent, &server.url("/logout"));
        assert_eq!(r.status, 200, "{name}");
        assert!(r.body.contains("action=\"/logout\""), "{name}: {}", r.body);
        assert!(r.set_cookies.is_empty(), "{name}: {:?}", r.set_cookies);
        let r = get(&agent, &server.url("/"));
        assert!(r.body.contains("Logged in as"), "{name}");

        let r = post(&agent, &server.url("/logout"), &[]);
        assert_eq!(r.status, 303, "{name}");
        assert!(r.is_removal(), "{name}: {:?}", r.set_cookies);
        let r = get(&agent, &server.url("/"));
        assert!(r.body.contains("You are not logged in"), "{name}");
        assert!(r.set_cookies.is_empty(), "{name}");
    }
}

fn post(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Reply::from(request.send_empty().unwrap())
}

/// Security review, defect 6: a hostile page's form posts (login CSRF, logout CSRF)
/// are refused by the session layer's same-origin guard; the browser's own forms pass.
#[test]
fn cross_site_posts_are_refused() {
    for name in EXAMPLES {
        let server = Server::start(name, &DEV);
        let agent = client();
        let hostile = [
            ("Sec-Fetch-Site", "cross-site"),
            ("Origin", "https://evil.example"),
        ];
        let r = Reply::from(
            agent
                .post(server.url("/login"))
                .header("Sec-Fetch-Site", "cross-site")
                .header("Origin", "https://evil.example")
                .send_form([("username", "attacker")])
                .unwrap(),
        );
        assert_eq!(r.status, 403, "{name}: login CSRF");
        assert!(r.set_cookies.is_empty(), "{name}");
        // An older browser without Fetch Metadata: the Origin decides.
        let r = Reply::from(
            agent
                .post(server.url("/login"))
                .header("Origin", "https://evil.example")
                .send_form([("username", "attacker")])
                .unwrap(),
        );
        assert_eq!(r.status, 403, "{name}: login CSRF without Sec-Fetch-Site");

        assert_eq!(login(&agent, &server, "cobra").status, 303, "{name}");
        for path in ["/logout", "/logout-everywhere"] {
            let r = post(&agent, &server.url(path), &hostile);
            assert_eq!(r.status, 403, "{name}: {path} CSRF");
            assert!(r.set_cookies.is_empty(), "{name}");
        }
        assert!(get(&agent, &server.url("/"))
            .body
            .contains("Logged in as cobra"));
        // The app's own form, as a browser sends it.
        let origin = server.url("");
        let own = [
            ("Sec-Fetch-Site", "same-origin"),
            ("Origin", origin.trim_end_matches('/')),
        ];
        let r = post(&agent, &server.url("/logout"), &own);
        assert_eq!(r.status, 303, "{name}");
        assert!(r.is_removal(), "{name}");
    }
}

/// `POST /logout-everywhere` ends the user's sessions on other devices at their next
/// request, and leaves other users alone.
#[test]
fn logout_everywhere_ends_every_session_of_the_user() {
    for name in EXAMPLES {
        let server = Server::start(name, &DEV);
        let (laptop, phone, other) = (client(), client(), client());
        assert_eq!(login(&laptop, &server, "cobra").status, 303);
        assert_eq!(login(&phone, &server, "cobra").status, 303);
        assert_eq!(login(&other, &server, "viper").status, 303);
        for agent in [&laptop, &phone, &other] {
            assert!(
                get(agent, &server.url("/")).body.contains("Logged in as"),
                "{name}"
            );
        }
        std::thread::sleep(Duration::from_millis(5));
        let r = post(&laptop, &server.url("/logout-everywhere"), &[]);
        assert_eq!(r.status, 303, "{name}");
        assert!(r.is_removal(), "{name}: {:?}", r.set_cookies);
        let r = get(&phone, &server.url("/"));
        assert!(
            r.body.contains("You are not logged in"),
            "{name}: {}",
            r.body
        );
        assert!(r.is_removal(), "{name}: the revoked cookie is deleted");
        assert!(
            get(&other, &server.url("/"))
                .body
                .contains("Logged in as viper"),
            "{name}"
        );
        // cobra can log in again.
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(login(&phone, &server, "cobra").status, 303);
        assert!(
            get(&phone, &server.url("/"))
                .body
                .contains("Logged in as cobra"),
            "{name}"
        );
    }
}

/// `SESSIONLIB_SEALED=1`: the same app, with a cookie the client cannot read.
#[test]
fn sealed_mode_keeps_the_session_unreadable() {
    let sealed = [
        ("SESSIONLIB_DEV", "1"),
        ("SESSIONLIB_SECRET_KEY", KEY_A),
        ("SESSIONLIB_SEALED", "1"),
    ];
    for name in EXAMPLES {
        let server = Server::start(name, &sealed);
        let agent = client();
        let r = login(&agent, &server, "cobra");
        assert_eq!(r.status, 303, "{name}");
        let value = r.session_value("session");
        assert!(!value.contains('.'), "{name}: {value}");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&value)
            .unwrap();
        assert!(!raw.windows(5).any(|w| w == b"cobra"), "{name}");
        let r = get(&agent, &server.url("/"));
        assert!(r.body.contains("Logged in as cobra"), "{name}: {}", r.body);
        // The signed app with the same key does not take the sealed cookie.
        let signed = Server::start(name, &DEV);
        let r = get_with_cookie(&signed.url("/"), &format!("session={value}"));
        assert!(
            r.body.contains("You are not logged in"),
            "{name}: {}",
            r.body
        );
    }
}

#[test]
fn visit_counter_lives_in_the_cookie() {
    for name in EXAMPLES {
        let server = Server::start(name, &DEV);
        let agent = client();
        let url = server.url("/greeting");
        let r = get(&agent, &url);
        assert_eq!(r.status, 401, "{name}: no credentials");

        let r = greeting(&agent, &url);
        assert_eq!(r.status, 200, "{name}");
        let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"message": "Welcome, cobra!"}),
            "{name}"
        );
        for visit in 2..=4 {
            let r = greeting(&agent, &url);
            let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            let expected = format!("Welcome back, cobra! This is visit #{visit}.");
            assert_eq!(json["message"], expected.as_str(), "{name}");
        }
        // Another client has its own counter: nothing is kept on the server.
        let r = greeting(&client(), &url);
        assert!(r.body.contains("Welcome, cobra!"), "{name}: {}", r.body);
    }
}

#[test]
fn tampered_cookies_are_logged_out() {
    for name in EXAMPLES {
        let server = Server::start(name, &DEV);
        let r = login(&client(), &server, "cobra");
        let token = r.session_value("session");
        let r = get_with_cookie(&server.url("/"), &format!("session={token}"));
        assert!(r.body.contains("Logged in as cobra"), "{name}");

        let (payload, rest) = token.split_once('.').unwrap();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        let forged_json = String::from_utf8(json).unwrap().replace("cobra", "admin");
        let forged_payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged_json.as_bytes());
        let mut flipped = token.clone().into_bytes();
        let last = flipped.len() - 3;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let tampered = [
            format!("{forged_payload}.{rest}"),
            String::from_utf8(flipped).unwrap(),
            format!("{token}x"),
            token[..token.len() - 1].to_owned(),
            "garbage".to_owned(),
        ];
        for bad in tampered {
            let r = get_with_cookie(&server.url("/"), &format!("session={bad}"));
            assert_eq!(r.status, 200, "{name}");
            assert!(r.body.contains("You are not logged in"), "{name}: {bad}");
            assert!(r.is_removal(), "{name}: a rejected cookie is deleted");
        }
        // The token is bound to its cookie name.
        let r = get_with_cookie(&server.url("/"), &format!("other={token}"));
        assert!(r.body.contains("You are not logged in"), "{name}");
        // Two different valid session cookies: fail closed. The same one twice is fine.
        let viper = login(&client(), &server, "viper").session_value("session");
        let both = format!("session={token}; session={viper}");
        let r = get_with_cookie(&server.url("/"), &both);
        assert!(r.body.contains("You are not logged in"), "{name}");
        let twice = format!("a=1; session={viper}; session={viper}; =x; b");
        let r = get_with_cookie(&server.url("/"), &twice);
        assert!(r.body.contains("Logged in as viper"), "{name}");
    }
}

#[test]
fn sessions_expire_on_the_server() {
    for name in EXAMPLES {
        let server = Server::start(
            name,
            &[
                ("SESSIONLIB_DEV", "1"),
                ("SESSIONLIB_SECRET_KEY", KEY_A),
                ("SESSIONLIB_TTL_SECONDS", "3"),
            ],
        );
        let agent = client();
        let r = login(&agent, &server, "cobra");
        let token = r.session_value("session");
        let r = get(&agent, &server.url("/"));
        assert!(r.body.contains("Logged in as cobra"), "{name}");
        // The signed expiry is at most 3 s away; wait past it. (The client would drop
        // the cookie by its `Expires` itself, so replay the token explicitly.)
        std::thread::sleep(Duration::from_millis(4100));
        let r = get_with_cookie(&server.url("/"), &format!("session={token}"));
        assert!(
            r.body.contains("You are not logged in"),
            "{name}: {}",
            r.body
        );
        assert!(r.is_removal(), "{name}");
    }
}

#[test]
fn key_rotation_reissues_with_the_primary_key() {
    for name in EXAMPLES {
        let old_token = {
            let server = Server::start(name, &DEV);
            login(&client(), &server, "cobra").session_value("session")
        };
        let new_token = {
            let rotated = Server::start(
                name,
                &[
                    ("SESSIONLIB_DEV", "1"),
                    ("SESSIONLIB_SECRET_KEY", KEY_B),
                    ("SESSIONLIB_FALLBACK_KEY", KEY_A),
                ],
            );
            let r = get_with_cookie(&rotated.url("/"), &format!("session={old_token}"));
            assert!(
                r.body.contains("Logged in as cobra"),
                "{name}: old key accepted"
            );
            let new_token = r.session_value("session");
            assert_ne!(new_token, old_token, "{name}");
            // Once re-issued, no further cookie.
            let r = get_with_cookie(&rotated.url("/"), &format!("session={new_token}"));
            assert!(r.body.contains("Logged in as cobra"), "{name}");
            assert!(r.set_cookies.is_empty(), "{name}: {:?}", r.set_cookies);
            new_token
        };
        let new_only = Server::start(
            name,
            &[("SESSIONLIB_DEV", "1"), ("SESSIONLIB_SECRET_KEY", KEY_B)],
        );
        let r = get_with_cookie(&new_only.url("/"), &format!("session={new_token}"));
        assert!(
            r.body.contains("Logged in as cobra"),
            "{name}: signed with the new key"
        );
        let r = get_with_cookie(&new_only.url("/"), &format!("session={old_token}"));
        assert!(
            r.body.contains("You are not logged in"),
            "{name}: old key retired"
        );
    }
}

#[test]
fn production_mode_uses_secure_host_cookies() {
    for name in EXAMPLES {
        let server = Server::start(name, &[("SESSIONLIB_SECRET_KEY", KEY_A)]);
        let url = server.url("/greeting");
        let r = greeting(&client(), &url);
        assert_eq!(r.status, 200, "{name}");
        let set_cookie = &r.set_cookies[0];
        assert!(
            set_cookie.starts_with("__Host-session="),
            "{name}: {set_cookie}"
        );
        let attributes: Vec<&str> = set_cookie.split("; ").skip(1).collect();
        for expected in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(attributes.contains(&expected), "{name}: {set_cookie}");
        }
        assert!(!set_cookie.contains("Domain="), "{name}: {set_cookie}");
        assert!(
            attributes.iter().any(|a| a.starts_with("Expires=")),
            "{name}"
        );
        // A client keeping RFC 6265 rules does not send a Secure cookie over plain
        // HTTP, so this client starts again; sent explicitly, the cookie works.
        let r = greeting(&client(), &url);
        assert!(r.body.contains("Welcome, cobra!"), "{name}");
        let token = r.session_value("__Host-session");
        let credentials = base64::engine::general_purpose::STANDARD.encode("cobra:pw");
        let r = Reply::from(
            client()
                .get(&url)
                .header("Cookie", format!("__Host-session={token}"))
                .header("Authorization", format!("Basic {credentials}"))
                .call()
                .unwrap(),
        );
        assert!(r.body.contains("visit #2"), "{name}: {}", r.body);
    }
}

/// The visit-counter dialogue with Python's `requests.Session()` against the axum
/// example (tests/interop/requests_dialogue.py).
#[test]
fn python_requests_dialogue() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let probe = Command::new("python3")
        .args(["-c", "import requests; print(requests.__version__)"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(!ci, "python3 with requests is required when CI=true: {why}");
            println!("SKIPPED: python3 with the requests package is not available: {why}");
            return;
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/requests_dialogue.py");
    for name in EXAMPLES {
        let server = Server::start(name, &DEV);
        let out = Command::new("python3")
            .arg(&script)
            .arg(&server.base)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The axum example built with feature `metrics` serves `GET /metrics` in the
/// Prometheus text format, with the session counters of the requests it served.
#[cfg(feature = "metrics")]
#[test]
fn the_axum_example_serves_its_metrics() {
    let server = Server::start("axum", &DEV);
    let agent = client();
    let url = server.url("/greeting");
    for _ in 0..3 {
        assert_eq!(greeting(&agent, &url).status, 200);
    }
    assert_eq!(get(&client(), &server.url("/")).status, 200);
    let metrics = get(&client(), &server.url("/metrics")).body;
    let count = |line: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(line))
            .unwrap_or_else(|| panic!("no {line} in\n{metrics}"))
            .trim()
            .parse()
            .unwrap()
    };
    // Without a cookie: the first greeting, the page and this request itself (loaded
    // before its handler renders); with one: the two later greetings.
    assert_eq!(
        count("sessionlib_session_loads_total{outcome=\"no_cookie\"}"),
        3
    );
    assert_eq!(
        count("sessionlib_session_loads_total{outcome=\"valid\"}"),
        2
    );
    assert_eq!(
        count("sessionlib_session_saves_total{outcome=\"written\"}"),
        3
    );
    assert!(
        metrics.contains("sessionlib_revocation_check_seconds"),
        "{metrics}"
    );
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

/// A login from a browser with this `User-Agent`.
fn login_from(agent: &ureq::Agent, server: &Server, username: &str, user_agent: &str) -> Reply {
    Reply::from(
        agent
            .post(server.url("/login"))
            .header("User-Agent", user_agent)
            .send_form([("username", username)])
            .unwrap(),
    )
}

/// The `data-id` of each device listed on a `GET /sessions` page, this one first
/// when `current` (the rest in page order).
fn listed_devices(page: &str) -> Vec<(String, bool)> {
    page.lines()
        .filter(|l| l.starts_with("<li class=\"device"))
        .map(|l| {
            let id = l
                .split("data-id=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (id.to_owned(), l.starts_with("<li class=\"device current\""))
        })
        .collect()
}

/// "Your devices": `GET /sessions` lists the user's sessions with their devices, this
/// one marked; `POST /sessions/revoke` logs out one device and
/// `POST /sessions/revoke-others` every other one, each at its next request.
#[test]
fn your_devices_lists_and_logs_out_devices() {
    for name in EXAMPLES {
        let server = Server::start(name, &DEV);
        let (laptop, phone, tablet, other) = (client(), client(), client(), client());
        assert_eq!(get(&laptop, &server.url("/sessions")).status, 401, "{name}");
        assert_eq!(login_from(&laptop, &server, "cobra", FIREFOX).status, 303);
        assert_eq!(login_from(&phone, &server, "cobra", IPHONE).status, 303);
        assert_eq!(login(&tablet, &server, "cobra").status, 303);
        assert_eq!(login(&other, &server, "viper").status, 303);

        let page = get(&phone, &server.url("/sessions"));
        assert_eq!(page.status, 200, "{name}");
        let devices = listed_devices(&page.body);
        assert_eq!(devices.len(), 3, "{name}: {}", page.body);
        assert_eq!(devices.iter().filter(|(_, current)| *current).count(), 1);
        assert!(
            page.body.contains("Firefox on Linux"),
            "{name}: {}",
            page.body
        );
        assert!(page.body.contains("Safari on iPhone"), "{name}");
        assert!(page.body.contains("(this device)"), "{name}");
        assert!(page.body.contains("Log out all other devices"), "{name}");
        let laptop_id = listed_devices(&get(&laptop, &server.url("/sessions")).body)
            .into_iter()
            .find(|(_, current)| *current)
            .unwrap()
            .0;

        // The phone logs out the laptop.
        let r = Reply::from(
            phone
                .post(server.url("/sessions/revoke"))
                .send_form([("id", laptop_id.as_str())])
                .unwrap(),
        );
        assert_eq!(r.status, 303, "{name}");
        let page = get(&phone, &server.url("/sessions"));
        assert!(page.body.contains("That device was logged out"), "{name}");
        assert_eq!(listed_devices(&page.body).len(), 2, "{name}");
        let r = get(&laptop, &server.url("/"));
        assert!(r.body.contains("You are not logged in"), "{name}");
        assert!(r.is_removal(), "{name}");
        // viper cannot log out cobra's devices.
        let r = Reply::from(
            other
                .post(server.url("/sessions/revoke"))
                .send_form([("id", devices[0].0.as_str())])
                .unwrap(),
        );
        assert_eq!(r.status, 303, "{name}");
        assert!(get(&other, &server.url("/sessions"))
            .body
            .contains("No such device"));

        // The tablet logs out every other device: the phone.
        let r = post(&tablet, &server.url("/sessions/revoke-others"), &[]);
        assert_eq!(r.status, 303, "{name}");
        let page = get(&tablet, &server.url("/sessions"));
        assert!(
            page.body.contains("Logged out 1 other device(s)"),
            "{name}: {}",
            page.body
        );
        assert_eq!(listed_devices(&page.body).len(), 1, "{name}");
        assert!(get(&phone, &server.url("/"))
            .body
            .contains("You are not logged in"));
        assert!(get(&tablet, &server.url("/"))
            .body
            .contains("Logged in as cobra"));
        assert!(get(&other, &server.url("/"))
            .body
            .contains("Logged in as viper"));
    }
}
