#!/usr/bin/env python3
"""The Flask side of the command-line tool's live check (tests/it/cli.rs).

    FLASK_SECRET_KEY=... cli_flask_peer.py verify < cookie
        -> the session as Flask's tagged JSON, read by Flask's own session serializer
    FLASK_SECRET_KEY=... cli_flask_peer.py make < tagged JSON
        -> a session cookie value, written by Flask's own session serializer

Both use a real Flask app's SecureCookieSessionInterface with its defaults
(HMAC-SHA1, salt "cookie-session", PERMANENT_SESSION_LIFETIME as the maximum age).
The secret is the raw bytes of the environment variable, as the `sessionlib` tool
uses it; FLASK_SECRET_KEY_FALLBACK, when set, is an entry of SECRET_KEY_FALLBACKS.
"""

import os
import sys

from flask import Flask


def main() -> None:
    app = Flask("cli-peer")
    app.secret_key = os.environb[b"FLASK_SECRET_KEY"]
    fallback = os.environb.get(b"FLASK_SECRET_KEY_FALLBACK")
    app.config["SECRET_KEY_FALLBACKS"] = [fallback] if fallback else []
    interface = app.session_interface
    tagged = interface.serializer
    with app.app_context():
        signing = interface.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        text = sys.stdin.read()
        if sys.argv[1] == "verify":
            session = signing.loads(text.strip(), max_age=max_age)
            sys.stdout.write(tagged.dumps(dict(session)))
        elif sys.argv[1] == "make":
            sys.stdout.write(signing.dumps(tagged.loads(text)))
        else:
            sys.exit(f"unknown command {sys.argv[1]!r}")


if __name__ == "__main__":
    main()
