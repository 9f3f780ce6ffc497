#!/usr/bin/env python3
"""Drives a running example app (examples/axum.rs or examples/actix_web.rs, started
with SESSIONLIB_DEV=1) with requests.Session(), a real browser-like cookie jar.

    python3 tests/interop/requests_dialogue.py http://127.0.0.1:8000

Exits 0 when every check passes; prints the first failure and exits 1 otherwise.
"""
import sys

import requests


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}")
        sys.exit(1)


def main(base):
    s = requests.Session()
    auth = ("cobra", "pw")

    # The visit counter, kept in the signed cookie.
    r = s.get(f"{base}/greeting", auth=auth, timeout=10)
    check(r.status_code == 200, f"status {r.status_code}")
    check(r.json() == {"message": "Welcome, cobra!"}, f"first visit: {r.text}")
    check("session" in s.cookies, f"cookie stored: {s.cookies.keys()}")
    check("Cookie" in r.headers.get("Vary", ""), "Vary: Cookie with Set-Cookie")
    for visit in (2, 3, 4):
        r = s.get(f"{base}/greeting", auth=auth, timeout=10)
        expected = f"Welcome back, cobra! This is visit #{visit}."
        check(r.json() == {"message": expected}, f"visit {visit}: {r.text}")

    # A fresh client starts again.
    r = requests.get(f"{base}/greeting", auth=auth, timeout=10)
    check(r.json() == {"message": "Welcome, cobra!"}, f"new client: {r.text}")

    # Login (requests follows the 303), the flash shown once, logout.
    r = s.post(f"{base}/login", data={"username": "cobra"}, timeout=10)
    check(r.status_code == 200, f"login status {r.status_code}")
    check("Logged in as cobra" in r.text, "logged in")
    check("Logged in successfully" in r.text, "flash shown")
    r = s.get(f"{base}/", timeout=10)
    check("Logged in as cobra" in r.text, "still logged in")
    check("Logged in successfully" not in r.text, "flash shown only once")
    check("Set-Cookie" not in r.headers, "no Set-Cookie on an unchanged session")
    r = s.get(f"{base}/logout", timeout=10)
    check("Logged in as cobra" in s.get(f"{base}/", timeout=10).text, "GET /logout changes nothing")
    r = s.post(f"{base}/logout", timeout=10)
    check("You are not logged in" in r.text, "logged out")
    check("session" not in s.cookies, f"cookie removed: {s.cookies.keys()}")
    print(f"requests {requests.__version__}: the dialogue with {base} passed")


if __name__ == "__main__":
    main(sys.argv[1])
