#!/usr/bin/env python3
"""Generate tests/vectors/flask.json with the real Flask and itsdangerous packages.

Usage (from the repository root):

    python3 -m pip install -r tests/interop/requirements.txt
    python3 tests/interop/make_flask_vectors.py > tests/vectors/flask.json

Valid cookies come from Flask's own SecureCookieSessionInterface serializer (the one a
Flask app uses for its `session` cookie), with the signing time fixed. Each records the
tagged JSON Flask wrote, so the Rust tests can check the parse and the re-encoding byte
for byte. Expect-fail cases include cookies Flask itself accepts but sessionlib refuses
on purpose (see the `flask` module docs, "Deliberate differences from Flask").
"""

import hashlib
import json
import sys
import uuid
import zlib
from datetime import datetime, timezone
from importlib.metadata import version

from flask import Flask
from itsdangerous import Signer, TimestampSigner
from itsdangerous.encoding import base64_encode, int_to_bytes
from markupsafe import Markup

SECRET = "flask dev secret"  # Flask apps often have short keys like this one.
OLD = "the secret before rotation"
OLDER = "an even older secret"
NOW = 1_700_000_000
SIGNED = NOW - 3600
MAX_AGE = 31 * 24 * 3600


def serializer(secret, fallbacks=(), digest=hashlib.sha1, signed_at=SIGNED):
    app = Flask("vectors")
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)
    interface = app.session_interface
    interface.digest_method = staticmethod(digest)
    with app.app_context():
        s = interface.get_signing_serializer(app)

    class Fixed(TimestampSigner):
        def get_timestamp(self) -> int:
            return signed_at

    s.signer = Fixed
    return app, s


def valid(name, data, *, secret=SECRET, keys=None, fallbacks=(), digest=hashlib.sha1,
          signed_at=SIGNED, now=NOW, key_used="primary"):
    app, s = serializer(secret, fallbacks, digest, signed_at)
    with app.app_context():
        token = s.dumps(dict(data))
        tagged = app.session_interface.serializer.dumps(dict(data))
        # Flask reads back what it wrote.
        assert s.loads(token) == data
    return {
        "name": name,
        "secret_key": secret,
        "fallbacks": list(fallbacks),
        "digest": "sha256" if digest is hashlib.sha256 else "sha1",
        "now": now,
        "signed_at": signed_at,
        "token": token,
        "tagged_json": tagged,
        "compressed": token.startswith("."),
        "key_used": key_used,
    }


def invalid(name, token, error, *, secret=SECRET, fallbacks=(), now=NOW,
            flask_accepts=False, digest="sha1"):
    return {
        "name": name,
        "secret_key": secret,
        "fallbacks": list(fallbacks),
        "digest": digest,
        "now": now,
        "token": token,
        "error": error,
        "flask_accepts": flask_accepts,
    }


def signed_raw(payload: str, timestamp: int, secret=SECRET) -> str:
    """A validly signed cookie over exactly the given payload text."""
    signer = Signer(secret, salt="cookie-session", key_derivation="hmac",
                    digest_method=hashlib.sha1)
    ts = base64_encode(int_to_bytes(timestamp)).decode()
    return signer.sign(f"{payload}.{ts}".encode()).decode()


def flask_loads(token, now=NOW):
    """Whether Flask's own serializer accepts the token at `now`."""
    import time as _time

    app, s = serializer(SECRET)
    s.signer = TimestampSigner
    real = _time.time
    _time.time = lambda: now
    try:
        with app.app_context():
            s.loads(token, max_age=MAX_AGE)
        return True
    except Exception:
        return False
    finally:
        _time.time = real


def b64(data: bytes) -> str:
    return base64_encode(data).decode()


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def non_canonical(text: str) -> str:
    """The same bytes for a lenient decoder, with a non-zero unused bit at the end."""
    assert len(text) % 4 in (2, 3)
    last = ALPHABET.index(text[-1]) | 1
    return text[:-1] + ALPHABET[last]


def main() -> None:
    small = {"_permanent": True, "user_id": "42", "username": "cobra"}
    vectors = [
        valid("plain", small),
        valid("empty", {}),
        valid("compressed", {"items": ["widget"] * 40, "user_id": "42"}),
        valid("tuple", {"point": (1, 2), "empty": ()}),
        valid("bytes", {"raw": b"\x00\x01\xfe\xff binary"}),
        valid("uuid", {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")}),
        valid("datetime", {"at": datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)}),
        valid("markup", {"html": Markup("<b>bold</b> &amp; safe")}),
        valid("nested", {"a": {"b": [(1, b"x"), {"c": None}], "d": {" t": "x"}},
                         "n": [1.5, -0.0, 1e16, 1e-5, 12345678901234567890]}),
        valid("unicode", {"name": "Zoë", "city": "東京", "crab": "🦀", "ctl": "\x7f\n"}),
        valid("flashes", {"_flashes": [("message", "Logged in successfully"),
                                       ("error", "Try again")]}),
        valid("tag-like keys", {" t": 1}),
        valid("first fallback", small, secret=OLD, fallbacks=[OLD, OLDER]),
        valid("second fallback", small, secret=OLDER, fallbacks=[OLD, OLDER]),
        valid("sha256 digest", small, digest=hashlib.sha256),
        valid("at max age", small, signed_at=NOW - MAX_AGE),
    ]
    # The keyring of the fallback vectors: SECRET signs, OLD and OLDER verify.
    vectors[12].update(secret_key=SECRET, key_used="fallback:0")
    vectors[13].update(secret_key=SECRET, key_used="fallback:1")

    plain = vectors[0]["token"]
    payload, ts, sig = plain.split(".")
    tagged_plain = vectors[0]["tagged_json"].encode()
    fails = [
        invalid("expired", valid("x", small, signed_at=NOW - MAX_AGE - 1)["token"], "Expired"),
        invalid("future-dated", valid("x", small, signed_at=NOW + 3600)["token"],
                "NotYetValid"),
        invalid("wrong key", plain, "InvalidSignature", secret="another secret"),
        invalid("fallback removed", vectors[12]["token"], "InvalidSignature"),
        invalid("payload changed", f"{b64(b'{}')}.{ts}.{sig}", "InvalidSignature"),
        invalid("signature changed", f"{payload}.{ts}.{sig[:-2]}AA", "InvalidSignature"),
        invalid("native SHA-256 token", vectors[14]["token"], "Malformed"),
        invalid("extra dot", f"{payload}..{ts}.{sig}", "Malformed"),
        invalid("padding", plain + "=", "Malformed", flask_accepts=True),
        invalid("signed: non-canonical payload base64",
                signed_raw(non_canonical(b64(b'{"user_id":"42"}')), SIGNED),
                "Malformed", flask_accepts=True),
        invalid("signed: zlib bomb",
                signed_raw("." + b64(zlib.compress(b'{"a":"' + b"a" * 2_000_000 + b'"}', 9)),
                           SIGNED),
                "DecompressionLimit", flask_accepts=True),
        invalid("signed: two zlib streams",
                signed_raw("." + b64(zlib.compress(b'{"a":1}') + zlib.compress(b"{}")), SIGNED),
                "Malformed",
                flask_accepts=True),
        invalid("signed: trailing byte after zlib stream",
                signed_raw("." + b64(zlib.compress(b'{"a":1}') + b"\x00"), SIGNED),
                "Malformed",
                flask_accepts=True),
        invalid("signed: truncated zlib stream",
                signed_raw("." + b64(zlib.compress(b'{"a":1}')[:-2]), SIGNED), "Malformed"),
        invalid("signed: tuple from a string",
                signed_raw(b64(b'{"a":{" t":"xy"}}'), SIGNED), "Deserialize",
                flask_accepts=True),
        invalid("signed: bytes with stray characters",
                signed_raw(b64(b'{"a":{" b":"AA*ECAw=="}}'), SIGNED), "Deserialize",
                flask_accepts=True),
        invalid("signed: UUID with hyphens",
                signed_raw(b64(b'{"a":{" u":"12345678-1234-5678-1234-567812345678"}}'),
                           SIGNED), "Deserialize", flask_accepts=True),
        invalid("signed: date in another layout",
                signed_raw(b64(b'{"a":{" d":"21 Oct 2015 07:28:00 GMT"}}'), SIGNED),
                "Deserialize", flask_accepts=True),
        invalid("signed: top level not an object",
                signed_raw(b64(b"[1,2]"), SIGNED), "Deserialize",
                flask_accepts=True),
        invalid("signed: NaN", signed_raw(b64(b'{"a":NaN}'), SIGNED), "Deserialize",
                flask_accepts=True),
    ]
    # Record what Flask itself does with each expect-fail cookie.
    for case in fails:
        if case["secret_key"] == SECRET and not case["fallbacks"]:
            accepted = flask_loads(case["token"])
            assert accepted == case["flask_accepts"], (case["name"], accepted)

    doc = {
        "description": "Flask session cookies made by Flask's SecureCookieSessionInterface",
        "generator": "tests/interop/make_flask_vectors.py",
        "flask": version("flask"),
        "itsdangerous": version("itsdangerous"),
        "max_age": MAX_AGE,
        "valid": vectors,
        "invalid": fails,
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
