//! The example apps (`examples/axum.rs`, `examples/actix_web.rs`, `examples/rocket.rs`: each test runs for each) in a real browser: headless Chromium,
//! driven over the W3C WebDriver protocol by `chromedriver`, against the app on
//! loopback.
//!
//! The WebDriver client is the few HTTP+JSON commands below (ureq and serde_json); no
//! browser is downloaded. The tests look for `/usr/bin/chromium` and
//! `/usr/bin/chromedriver` (Debian's `chromium` and `chromium-driver` packages; the
//! `CHROMIUM` and `CHROMEDRIVER` variables override the paths). Without them the tests
//! print `SKIPPED` and pass, except under `CI=true`, where they fail.
//!
//! Each test starts its own chromedriver, with a fresh Chromium profile in a
//! temporary directory, and one test runs at a time (the machines are small). A
//! screenshot of the logged-in page is written to `target/browser/logged_in.png` on
//! every run, and one of the page a failed wait was looking at to
//! `target/browser/failure.png`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::common::peers::browser_paths;
use crate::common::{free_port, one_at_a_time, Server, EXAMPLES};

const KEY: &str = "browser-test-key-0123456789abcdef0123456789abcdef";
const DEV: [(&str, &str); 2] = [("SESSIONLIB_DEV", "1"), ("SESSIONLIB_SECRET_KEY", KEY)];
/// The production configuration: `__Host-session` with `Secure`.
const PRODUCTION: [(&str, &str); 1] = [("SESSIONLIB_SECRET_KEY", KEY)];
/// A host name that Chromium resolves to 127.0.0.1 (`--host-resolver-rules`) but, not
/// being `localhost` or a loopback address, does not count as a secure context.
const PLAIN_HOST: &str = "sessionlib.test";
/// How long any wait for the browser may take.
const DEADLINE: Duration = Duration::from_secs(15);
/// The WebDriver name of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `target/` (the parent of Cargo's `target/tmp`), where screenshots go.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A headless Chromium session behind its own chromedriver; both end when dropped.
struct Browser {
    driver: Child,
    agent: ureq::Agent,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    profile: PathBuf,
}

/// A WebDriver error: the HTTP status and the `error` code of the reply.
#[derive(Debug)]
struct WebDriverError {
    status: u16,
    error: String,
    message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.error, self.message)
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or returns `None` when they are not
    /// installed (outside CI).
    fn launch() -> Option<Browser> {
        let (chromium, driver_path) = browser_paths()?;
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_path.display()));
        static PROFILES: AtomicU32 = AtomicU32::new(0);
        let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "chromium-profile-{}-{}",
            std::process::id(),
            PROFILES.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        let mut browser = Browser {
            driver,
            agent,
            session: String::new(),
            profile,
        };
        let base = format!("http://127.0.0.1:{port}");
        browser.wait_for_driver(&base);
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-quic".to_owned(),
            "--no-proxy-server".to_owned(),
            "--window-size=800,600".to_owned(),
            format!("--host-resolver-rules=MAP {PLAIN_HOST} 127.0.0.1"),
            format!("--user-data-dir={}", browser.profile.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let reply = browser
            .request("POST", &format!("{base}/session"), Some(&capabilities))
            .unwrap_or_else(|e| panic!("Chromium did not start: {e}"));
        let id = reply["sessionId"].as_str().unwrap();
        browser.session = format!("{base}/session/{id}");
        Some(browser)
    }

    fn wait_for_driver(&mut self, base: &str) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.driver.try_wait().unwrap() {
                panic!("chromedriver exited early: {status}");
            }
            let ready = self
                .request("GET", &format!("{base}/status"), None)
                .is_ok_and(|v| v["ready"] == true);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One WebDriver request; the reply's `value`, or its error.
    fn request(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, WebDriverError> {
        let sent = match (method, body) {
            ("GET", _) => self.agent.get(url).call(),
            ("DELETE", _) => self.agent.delete(url).call(),
            (_, body) => self
                .agent
                .post(url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(&json!({})).to_string()),
        };
        let response = sent.map_err(|e| WebDriverError {
            status: 0,
            error: "no reply".into(),
            message: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().unwrap();
        let mut reply: Value = serde_json::from_str(&text).map_err(|e| WebDriverError {
            status,
            error: "not JSON".into(),
            message: e.to_string(),
        })?;
        let value = reply["value"].take();
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(WebDriverError {
                status,
                error: value["error"].as_str().unwrap_or_default().to_owned(),
                message: value["message"].as_str().unwrap_or_default().to_owned(),
            })
        }
    }

    /// A command of this browser session (`path` after `/session/ID`) that must succeed.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.session);
        self.request(method, &url, body.as_ref())
            .unwrap_or_else(|e| panic!("WebDriver {method} {path} failed: {e}"))
    }

    // ---- Pages. ----

    /// Marks the current document, so that a new one can be told from it.
    fn mark_page(&self) {
        self.execute(
            "window.__sessionlib_old_page = true; return null",
            json!([]),
        );
    }

    /// Waits until the marked document has been replaced and the new one has loaded.
    fn wait_for_new_page(&self) {
        self.wait_until("a new page", || {
            let state = self.try_execute(
                "return [window.__sessionlib_old_page === true, document.readyState]",
                json!([]),
            );
            matches!(state, Ok(v) if v == json!([false, "complete"]))
        });
    }

    /// Opens `url` and waits until it has loaded.
    fn open(&self, url: &str) {
        self.mark_page();
        self.command("POST", "/url", Some(json!({ "url": url })));
        self.wait_for_new_page();
    }

    /// Reloads the page and waits until it has loaded again.
    fn reload(&self) {
        self.mark_page();
        self.command("POST", "/refresh", None);
        self.wait_for_new_page();
    }

    /// Clicks the element `css` (a link or a submit button) and waits for the page it
    /// leads to.
    fn click_to_new_page(&self, css: &str) {
        self.mark_page();
        let element = self.find(css);
        self.command("POST", &format!("/element/{element}/click"), None);
        self.wait_for_new_page();
    }

    /// The element matching `css`, waiting for it to appear.
    fn find(&self, css: &str) -> String {
        let url = format!("{}/element", self.session);
        let query = json!({"using": "css selector", "value": css});
        let mut found = None;
        self.wait_until(&format!("an element {css:?}"), || {
            found = self.request("POST", &url, Some(&query)).ok();
            found.is_some()
        });
        found.unwrap()[ELEMENT].as_str().unwrap().to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn location(&self) -> String {
        self.command("GET", "/url", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The page's visible text.
    fn text(&self) -> String {
        let text = self.execute(
            "return document.body ? document.body.innerText : ''",
            json!([]),
        );
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the page's text contains `needle`.
    fn wait_for_text(&self, needle: &str) {
        self.wait_until(&format!("the text {needle:?}"), || {
            self.text().contains(needle)
        });
    }

    /// Polls `done` every 50 ms until it is true; after [`DEADLINE`] a screenshot of the
    /// page goes to `target/browser/failure.png` and the test fails.
    fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done() {
            if Instant::now() > deadline {
                let shot = self.try_screenshot("failure.png");
                let text = self
                    .try_execute(
                        "return document.body ? document.body.innerText : ''",
                        json!([]),
                    )
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                panic!(
                    "waited {DEADLINE:?} for {what}; the page at {} says {text} \
                     (screenshot: {shot:?})",
                    self.location()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    // ---- Scripts. ----

    fn try_execute(&self, script: &str, args: Value) -> Result<Value, WebDriverError> {
        let url = format!("{}/execute/sync", self.session);
        self.request("POST", &url, Some(&json!({"script": script, "args": args})))
    }

    fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs `script`, which ends by calling `arguments[arguments.length - 1]` (`done`)
    /// with its result.
    fn execute_async(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
    }

    // ---- Cookies. ----

    /// The cookies the browser holds for the current page.
    fn cookies(&self) -> Vec<Value> {
        match self.command("GET", "/cookie", None) {
            Value::Array(cookies) => cookies,
            other => panic!("cookies are not a list: {other}"),
        }
    }

    fn cookie(&self, name: &str) -> Option<Value> {
        self.cookies().into_iter().find(|c| c["name"] == name)
    }

    fn cookie_names(&self) -> Vec<String> {
        self.cookies()
            .iter()
            .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn delete_cookie(&self, name: &str) {
        self.command("DELETE", &format!("/cookie/{name}"), None);
    }

    fn add_cookie(&self, cookie: Value) {
        self.command("POST", "/cookie", Some(json!({ "cookie": cookie })));
    }

    // ---- Screenshots. ----

    fn try_screenshot(&self, file: &str) -> Result<PathBuf, String> {
        let url = format!("{}/screenshot", self.session);
        let png = self.request("GET", &url, None).map_err(|e| e.to_string())?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let dir = target_dir().join("browser");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join(file);
        std::fs::write(&path, png).map_err(|e| e.to_string())?;
        Ok(path)
    }

    /// Saves a PNG screenshot of the page as `target/browser/<file>`.
    fn screenshot(&self, file: &str) -> PathBuf {
        let path = self.try_screenshot(file).unwrap();
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.request("DELETE", &self.session, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

// ---- Steps shared by the scenarios. ----

/// Runs `scenario` once for each example app, each in a browser of its own; without
/// Chromium, [`Browser::launch`] says SKIPPED (or fails under `CI=true`) and nothing
/// runs.
fn for_each_example(scenario: impl Fn(&Browser, &'static str)) {
    for name in EXAMPLES {
        eprintln!("browser, {name} example");
        let Some(browser) = Browser::launch() else {
            return;
        };
        scenario(&browser, name);
    }
}

/// Logs in as `username` through the form at `origin` (for example
/// `http://127.0.0.1:PORT`) and waits for the page the form leads to.
fn log_in(browser: &Browser, origin: &str, username: &str) {
    browser.open(&format!("{origin}/login"));
    submit_login_form(browser, username);
}

fn submit_login_form(browser: &Browser, username: &str) {
    browser.type_into("input[name=\"username\"]", username);
    browser.click_to_new_page("button[type=\"submit\"]");
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A copy of the browser's `cookie` with another value, host-only like the original.
fn with_value(cookie: &Value, value: &str) -> Value {
    let mut copy = cookie.clone();
    copy["value"] = json!(value);
    if let Some(fields) = copy.as_object_mut() {
        // The original is host-only; a cookie added with a domain would not be.
        fields.remove("domain");
    }
    copy
}

/// The expiry (Unix time) signed into `token`, read without verifying it.
fn signed_expiry(token: &str) -> i64 {
    let timestamp = sessionlib::inspect_unverified(token)
        .unwrap()
        .timestamp()
        .unwrap();
    i64::try_from(timestamp).unwrap()
}

/// The token with its payload's `from` replaced by `to`, keeping the old signature.
fn forge_payload(token: &str, from: &str, to: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (payload, rest) = token.split_once('.').unwrap();
    let json = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    assert!(json.contains(from), "the payload names {from}");
    format!("{}.{rest}", b64.encode(json.replace(from, to)))
}

/// The token with one character of its signature changed.
fn flip_signature(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let i = bytes.len() - 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

// ---- Scenarios. ----

/// Log in through the form, see the flash message once, and check what the browser
/// keeps: an `HttpOnly`, `SameSite=Lax`, host-only cookie that scripts cannot read.
#[test]
fn login_form_flash_once_and_http_only_cookie() {
    let _one = one_at_a_time();
    for_each_example(|browser, name| {
        let server = Server::start(name, &DEV);
        browser.open(&server.url("/"));
        assert!(browser.text().contains("You are not logged in"));
        assert_eq!(browser.cookie_names(), Vec::<String>::new());

        browser.click_to_new_page("a[href=\"/login\"]");
        assert_eq!(browser.location(), server.url("/login"));
        submit_login_form(browser, "cobra");
        assert_eq!(browser.location(), server.url("/"), "redirected to /");
        let text = browser.text();
        assert!(text.contains("Logged in as cobra"), "{text}");
        assert!(text.contains("Logged in successfully"), "the flash: {text}");
        browser.screenshot("logged_in.png");

        let cookie = browser.cookie("session").expect("a session cookie");
        assert_eq!(cookie["httpOnly"], true, "{cookie}");
        assert_eq!(cookie["secure"], false, "development mode: {cookie}");
        assert_eq!(cookie["sameSite"], "Lax", "{cookie}");
        assert_eq!(cookie["path"], "/", "{cookie}");
        assert_eq!(cookie["domain"], "127.0.0.1", "host-only: {cookie}");
        let expiry = cookie["expiry"].as_i64().expect("a persistent cookie");
        let token = cookie["value"].as_str().unwrap();
        // Chromium shifts `Expires` by the difference between the response's `Date`
        // header and its own clock, both in whole seconds: up to a second either way.
        let signed = signed_expiry(token);
        assert!(
            (expiry - signed).abs() <= 1,
            "Expires is the signed expiry: {expiry} vs {signed}"
        );
        let now = now_unix();
        assert!(
            expiry > now && expiry <= now + 1800 + 5,
            "expires with the 30-minute idle timeout: {expiry} vs now {now}"
        );

        // Scripts see their own cookies, never the HttpOnly session cookie.
        let seen = browser.execute(
            "document.cookie = 'probe=visible; path=/'; return document.cookie",
            json!([]),
        );
        let seen = seen.as_str().unwrap();
        assert!(seen.contains("probe=visible"), "{seen:?}");
        assert!(!seen.contains("session="), "{seen:?}");
        assert!(
            !seen.contains(cookie["value"].as_str().unwrap()),
            "{seen:?}"
        );

        // The flash is gone after a reload; the login stays.
        browser.reload();
        let text = browser.text();
        assert!(text.contains("Logged in as cobra"), "{text}");
        assert!(
            !text.contains("Logged in successfully"),
            "flash shown twice: {text}"
        );
        // A name with markup is shown as text.
        log_in(browser, &server.base, "<b>viper</b>");
        browser.wait_for_text("Logged in as <b>viper</b>");
    });
}

/// A session cookie edited through WebDriver (the tool a user has in the browser's
/// developer tools) is not accepted: the page shows the visitor as logged out and the
/// server deletes the cookie.
#[test]
fn edited_cookie_is_logged_out() {
    let _one = one_at_a_time();
    for_each_example(|browser, name| {
        let server = Server::start(name, &DEV);
        type Edit = fn(&str) -> String;
        let edits: [(&str, Edit); 4] = [
            ("user name in the payload", |t| {
                forge_payload(t, "cobra", "admin")
            }),
            ("one signature character", flip_signature),
            ("truncated", |t| t[..t.len() - 1].to_owned()),
            ("not a token", |_| "garbage".to_owned()),
        ];
        for (what, edit) in edits {
            log_in(browser, &server.base, "cobra");
            browser.wait_for_text("Logged in as cobra");
            let cookie = browser.cookie("session").expect("a session cookie");
            let token = cookie["value"].as_str().unwrap().to_owned();

            // Control: put back the very same value the same way; still logged in.
            browser.delete_cookie("session");
            browser.add_cookie(with_value(&cookie, &token));
            browser.reload();
            assert!(browser.text().contains("Logged in as cobra"), "{what}");

            browser.delete_cookie("session");
            browser.add_cookie(with_value(&cookie, &edit(&token)));
            browser.reload();
            let text = browser.text();
            assert!(text.contains("You are not logged in"), "{what}: {text}");
            assert!(!text.contains("admin"), "{what}: {text}");
            assert!(
                browser.cookie("session").is_none(),
                "{what}: the rejected cookie is deleted by the server"
            );
        }
    });
}

/// The "Log out" button removes the cookie from the browser.
#[test]
fn logout_removes_the_cookie() {
    let _one = one_at_a_time();
    for_each_example(|browser, name| {
        let server = Server::start(name, &DEV);
        log_in(browser, &server.base, "cobra");
        browser.wait_for_text("Logged in as cobra");
        assert!(browser.cookie("session").is_some());

        browser.click_to_new_page("form[action=\"/logout\"] button");
        assert_eq!(browser.location(), server.url("/"));
        assert!(browser.text().contains("You are not logged in"));
        assert!(
            browser.cookie("session").is_none(),
            "{:?}",
            browser.cookies()
        );
        browser.reload();
        assert!(browser.text().contains("You are not logged in"));
    });
}

/// The visit counter of `/greeting` (HTTP Basic auth) counts page loads in the cookie.
///
/// Chromium accepts credentials in the address (`http://cobra:pw@host/greeting`) for a
/// top-level navigation, keeps them out of the document's `location` and remembers them
/// for the realm:
/// reloads and later visits without credentials send them again. A script's `fetch()`
/// with an `Authorization` header counts too, and shares the cookie with the pages.
#[test]
fn visit_counter_counts_page_loads() {
    let _one = one_at_a_time();
    for_each_example(|browser, name| {
        let server = Server::start(name, &DEV);
        let message = |browser: &Browser| -> String {
            let body: Value = serde_json::from_str(&browser.text()).unwrap();
            body["message"].as_str().unwrap().to_owned()
        };
        let plain = server.url("/greeting");
        let with_credentials = format!("http://cobra:pw@127.0.0.1:{}/greeting", server.port);

        browser.open(&with_credentials);
        assert_eq!(message(browser), "Welcome, cobra!");
        // The document's address has no credentials (WebDriver's "get current URL" still
        // reports the address as it was opened).
        let href = browser.execute("return location.href", json!([]));
        assert_eq!(href, plain.as_str(), "the document drops the credentials");
        browser.reload();
        assert_eq!(message(browser), "Welcome back, cobra! This is visit #2.");
        browser.open(&plain);
        assert_eq!(message(browser), "Welcome back, cobra! This is visit #3.");

        let fetched = browser.execute_async(
            "const done = arguments[arguments.length - 1];
         fetch('/greeting', {headers: {Authorization: 'Basic ' + btoa('cobra:pw')}})
           .then(r => r.json()).then(j => done(j.message), e => done('error: ' + e));",
            json!([]),
        );
        assert_eq!(fetched, "Welcome back, cobra! This is visit #4.");
        browser.reload();
        assert_eq!(message(browser), "Welcome back, cobra! This is visit #5.");

        // The count lives in the cookie only: without it, the count starts again.
        browser.delete_cookie("session");
        browser.reload();
        assert_eq!(message(browser), "Welcome, cobra!");
    });
}

/// A session past the server's idle timeout (`SESSIONLIB_TTL_SECONDS=2`) is logged out.
///
/// The cookie's `Expires` is the signed expiry, so Chromium drops it by itself (shown
/// on `localhost`); a copy kept past its expiry (re-added through WebDriver as a
/// cookie without expiry, on `127.0.0.1`) is refused by the server, which deletes it.
#[test]
fn expired_session_is_logged_out() {
    let _one = one_at_a_time();
    for_each_example(|browser, name| {
        let server = Server::start(
            name,
            &[
                ("SESSIONLIB_DEV", "1"),
                ("SESSIONLIB_SECRET_KEY", KEY),
                ("SESSIONLIB_TTL_SECONDS", "2"),
            ],
        );
        let localhost = format!("http://localhost:{}", server.port);
        log_in(browser, &localhost, "viper");
        browser.wait_for_text("Logged in as viper");
        let cookie = browser.cookie("session").expect("a session cookie");
        let expiry = cookie["expiry"].as_i64().unwrap();
        assert!(expiry <= now_unix() + 2 + 1, "{expiry}");

        log_in(browser, &server.base, "cobra");
        browser.wait_for_text("Logged in as cobra");
        let cookie = browser.cookie("session").expect("a session cookie");
        let mut kept = with_value(&cookie, cookie["value"].as_str().unwrap());
        kept.as_object_mut().unwrap().remove("expiry");
        browser.delete_cookie("session");
        browser.add_cookie(kept);
        let expiry = cookie["expiry"].as_i64().unwrap();

        // Wait until both signed expiries (whole seconds, the later one on 127.0.0.1)
        // have passed: 2 to 3 s.
        while now_unix() <= expiry {
            std::thread::sleep(Duration::from_millis(100));
        }

        browser.open(&format!("{localhost}/"));
        assert!(browser.text().contains("You are not logged in"));
        assert!(
            browser.cookie("session").is_none(),
            "the browser dropped it"
        );

        browser.open(&server.url("/"));
        assert!(browser.text().contains("You are not logged in"));
        assert!(
            browser.cookie("session").is_none(),
            "the server deleted the expired cookie the browser still sent"
        );
    });
}

/// The production configuration (`__Host-session`, `Secure`), served over plain HTTP.
///
/// Chromium treats `http://localhost` and `http://127.0.0.1` as secure contexts and
/// keeps `Secure` (and `__Host-`) cookies set by them, so the app works there as over
/// HTTPS. On another plain-HTTP host name (here `sessionlib.test`, mapped to 127.0.0.1)
/// the browser refuses the cookie and the visitor never stays logged in, while the
/// development configuration works on that host.
#[test]
fn production_config_on_localhost() {
    let _one = one_at_a_time();
    for_each_example(|browser, name| {
        let server = Server::start(name, &PRODUCTION);
        for host in ["localhost", "127.0.0.1"] {
            let origin = format!("http://{host}:{}", server.port);
            log_in(browser, &origin, "cobra");
            browser.wait_for_text("Logged in as cobra");
            assert_eq!(
                browser.execute("return window.isSecureContext", json!([])),
                true
            );
            let cookie = browser.cookie("__Host-session").expect("a __Host- cookie");
            assert_eq!(cookie["secure"], true, "{host}: {cookie}");
            assert_eq!(cookie["httpOnly"], true, "{host}: {cookie}");
            assert_eq!(cookie["domain"], host, "{host}: {cookie}");
            browser.reload();
            assert!(browser.text().contains("Logged in as cobra"), "{host}");
            browser.click_to_new_page("form[action=\"/logout\"] button");
            assert!(browser.text().contains("You are not logged in"), "{host}");
            assert!(browser.cookie("__Host-session").is_none(), "{host}");
        }

        // Not a secure context: the Secure cookie is refused.
        let plain = format!("http://{PLAIN_HOST}:{}", server.port);
        log_in(browser, &plain, "cobra");
        assert_eq!(browser.location(), format!("{plain}/"));
        assert_eq!(
            browser.execute("return window.isSecureContext", json!([])),
            false
        );
        let text = browser.text();
        assert!(text.contains("You are not logged in"), "{text}");
        assert_eq!(browser.cookie_names(), Vec::<String>::new());

        // The same host with the development configuration (no Secure) keeps the login.
        let dev = Server::start(name, &DEV);
        log_in(
            browser,
            &format!("http://{PLAIN_HOST}:{}", dev.port),
            "cobra",
        );
        browser.wait_for_text("Logged in as cobra");
        assert_eq!(browser.cookie_names(), ["session"]);
    });
}

/// A session of about 10 KB split across `__Host-` chunk cookies
/// (`SESSIONLIB_MAX_CHUNKS=4`, the production configuration on `127.0.0.1`): Chromium
/// stores every chunk and sends them all back across reloads, and the chunks a
/// shrinking session no longer uses are gone after the response that shrank it.
#[test]
fn chunked_session_across_reloads() {
    let _one = one_at_a_time();
    let Some(browser) = Browser::launch() else {
        return;
    };
    let server = Server::start(
        "test_server",
        &[
            ("SESSIONLIB_SECRET_KEY", KEY),
            ("SESSIONLIB_MAX_CHUNKS", "4"),
        ],
    );
    let chunks = |browser: &Browser| -> Vec<(String, usize)> {
        let mut cookies: Vec<(String, usize)> = browser
            .cookies()
            .iter()
            .map(|c| {
                assert_eq!(c["secure"], true, "{c}");
                assert_eq!(c["httpOnly"], true, "{c}");
                let value = c["value"].as_str().unwrap().len();
                (c["name"].as_str().unwrap().to_owned(), value)
            })
            .collect();
        cookies.sort();
        cookies
    };
    let names = |chunks: &[(String, usize)]| -> Vec<String> {
        chunks.iter().map(|(n, _)| n.clone()).collect()
    };
    let set_padding = |bytes: &str| {
        browser.open(&server.url("/padding"));
        browser.execute(
            "document.querySelector('input[name=\"bytes\"]').value = ''; return null",
            json!([]),
        );
        browser.type_into("input[name=\"bytes\"]", bytes);
        browser.click_to_new_page("button[type=\"submit\"]");
        browser.wait_for_text(&format!("Padding: {bytes} bytes"));
    };
    log_in(&browser, &server.base, "cobra");
    browser.wait_for_text("Logged in as cobra");
    assert_eq!(names(&chunks(&browser)), ["__Host-session"]);

    set_padding("7500");
    let grown = chunks(&browser);
    assert_eq!(
        names(&grown),
        ["__Host-session", "__Host-session.1", "__Host-session.2"]
    );
    let total: usize = grown.iter().map(|(_, len)| len).sum();
    assert!((9_500..12_000).contains(&total), "{grown:?}");
    // Every page load sends all three chunks: the session is whole after reloads.
    for _ in 0..2 {
        browser.reload();
        assert!(browser.text().contains("Padding: 7500 bytes"));
    }
    browser.open(&server.base);
    assert!(browser.text().contains("Logged in as cobra"));
    assert_eq!(
        chunks(&browser),
        grown,
        "an unchanged session sets no cookie"
    );

    // Shrinking to one cookie drops the two stale chunks.
    set_padding("100");
    assert_eq!(names(&chunks(&browser)), ["__Host-session"]);
    browser.reload();
    assert!(browser.text().contains("Padding: 100 bytes"));
    browser.open(&server.base);
    assert!(browser.text().contains("Logged in as cobra"));

    // Growing again, then logging out, removes every chunk.
    set_padding("7500");
    assert_eq!(chunks(&browser).len(), 3);
    browser.open(&server.base);
    browser.click_to_new_page("form[action=\"/logout\"] button");
    assert!(browser.text().contains("You are not logged in"));
    assert_eq!(browser.cookie_names(), Vec::<String>::new());
}

/// An HTTP client standing for another device of the user, logged in as `username`
/// with this `User-Agent`.
fn other_device(origin: &str, username: &str, user_agent: &str) -> ureq::Agent {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let r = agent
        .post(format!("{origin}/login"))
        .header("User-Agent", user_agent)
        .send_form([("username", username)])
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    agent
}

fn is_logged_in(agent: &ureq::Agent, origin: &str) -> bool {
    let body = agent
        .get(format!("{origin}/"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    body.contains("Logged in as")
}

/// "Your devices": the page lists the browser (marked as this device) and a phone
/// logged in as the same user; the phone's "Log out" button ends the phone's session,
/// and "Log out all other devices" ends a tablet's, while the browser stays logged in.
#[test]
fn your_devices_page_logs_out_other_devices() {
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    let _one = one_at_a_time();
    for_each_example(|browser, name| {
        let server = Server::start(name, &DEV);
        let phone = other_device(&server.base, "cobra", IPHONE);
        log_in(browser, &server.base, "cobra");
        browser.wait_for_text("Logged in as cobra");
        browser.click_to_new_page("a[href=\"/sessions\"]");
        assert_eq!(browser.location(), server.url("/sessions"));
        browser.wait_for_text("Your devices");
        let text = browser.text();
        assert!(text.contains("Safari on iPhone"), "{text}");
        let this_device = browser.execute(
            "return document.querySelector('li.device.current').innerText",
            json!([]),
        );
        let this_device = this_device.as_str().unwrap();
        assert!(
            this_device.contains("Headless Chrome on Linux"),
            "{this_device}"
        );
        assert!(this_device.contains("(this device)"), "{this_device}");

        // The phone's "Log out" button.
        browser
            .click_to_new_page("li.device:not(.current) form[action=\"/sessions/revoke\"] button");
        assert_eq!(browser.location(), server.url("/sessions"));
        browser.wait_for_text("That device was logged out");
        assert!(!browser.text().contains("Safari on iPhone"));
        assert!(
            !is_logged_in(&phone, &server.base),
            "the phone was logged out"
        );

        // A tablet, then "Log out all other devices".
        let tablet = other_device(&server.base, "cobra", ANDROID);
        browser.reload();
        browser.wait_for_text("Chrome on Android");
        browser.click_to_new_page("form[action=\"/sessions/revoke-others\"] button");
        browser.wait_for_text("Logged out 1 other device(s)");
        assert!(!browser.text().contains("Chrome on Android"));
        assert!(
            !is_logged_in(&tablet, &server.base),
            "the tablet was logged out"
        );
        browser.open(&server.url("/"));
        browser.wait_for_text("Logged in as cobra");
    });
}
