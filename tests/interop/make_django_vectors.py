#!/usr/bin/env python3
"""Generate tests/vectors/django.json with the real Django package.

Usage (from the repository root):

    python3 -m pip install -r tests/interop/requirements.txt
    python3 tests/interop/make_django_vectors.py > tests/vectors/django.json
    python3 tests/interop/make_django_vectors.py --check   # exit 1 if the file differs

Session cookies come from Django's own signed_cookies SessionStore (the `sessionid`
cookie a Django app sets) and other tokens from django.core.signing.dumps, with the
signing time fixed. Each valid vector records the JSON Django wrote, so the Rust tests
can check the parse and the re-encoding byte for byte; the data's keys are in sorted
order at every level, the order sessionlib's map writes them in. Every expect-fail
vector records what Django itself does with the token (`django_accepts`): the ones it
accepts are sessionlib's deliberate divergences (see the `django` module docs).
"""

import base64
import json
import os
import sys
import zlib
from importlib.metadata import version

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="placeholder",
    SECRET_KEY_FALLBACKS=[],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    USE_TZ=True,
)
django.setup()

from django.contrib.messages.storage.base import Message  # noqa: E402
from django.contrib.messages.storage.cookie import MessageDecoder, MessageEncoder  # noqa: E402
from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.core import signing  # noqa: E402
from django.utils.crypto import salted_hmac  # noqa: E402
from django.utils.safestring import SafeData, mark_safe  # noqa: E402

SECRET = "django dev secret"  # hand-written keys like this one are common
OLD = "the secret before rotation"
OLDER = "an even older secret"
NOW = 1_700_000_000
SIGNED = NOW - 3600
MAX_AGE = 1_209_600  # SESSION_COOKIE_AGE
SESSION_SALT = "django.contrib.sessions.backends.signed_cookies"
SIGNING_SALT = "django.core.signing"
PASSWORD_FIELD = "pbkdf2_sha256$1000000$salt$hash="


class Clock:
    """Stands in for the `time` module inside django.core.signing."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


def use(secret, fallbacks=(), now=NOW):
    settings.SECRET_KEY = secret
    settings.SECRET_KEY_FALLBACKS = list(fallbacks)
    signing.time = Clock(now)


def session_token(data, secret, signed_at):
    use(secret, now=signed_at)
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def session_loads(token, secret=SECRET, fallbacks=(), now=NOW):
    """What Django's session engine reads from the cookie, or None when it starts a
    new session instead."""
    use(secret, fallbacks, now)
    store = SessionStore(session_key=token)
    data = store.load()
    return None if store.modified else data


def signing_loads(token, salt, secret=SECRET, fallbacks=(), now=NOW, max_age=MAX_AGE):
    use(secret, fallbacks, now)
    try:
        return ("ok", signing.loads(token, salt=salt, max_age=max_age))
    except Exception:
        return None


def django_json(data):
    return signing.JSONSerializer().dumps(data).decode("ascii")


def sorted_keys(data):
    if isinstance(data, dict):
        assert list(data) == sorted(data), data
        for v in data.values():
            sorted_keys(v)
    elif isinstance(data, list):
        for v in data:
            sorted_keys(v)


def valid(name, data, *, kind="session", secret=SECRET, fallbacks=(), signed_at=SIGNED,
          now=NOW, key_used="primary", salt=None, compress=None, signer=None, **extra):
    sorted_keys(data)
    signer = signer or secret
    if kind == "session":
        salt, compress = SESSION_SALT, True
        token = session_token(data, signer, signed_at)
        assert session_loads(token, secret, fallbacks, now) == data, name
    else:
        use(signer, now=signed_at)
        token = signing.dumps(data, salt=salt, compress=compress)
        assert signing_loads(token, salt, secret, fallbacks, now) == ("ok", data), name
    return {
        "name": name,
        "kind": kind,
        "secret_key": secret,
        "fallbacks": list(fallbacks),
        "salt": salt,
        "compress": compress,
        "max_age": MAX_AGE,
        "now": now,
        "signed_at": signed_at,
        "token": token,
        "json": django_json(data),
        "compressed": token.startswith("."),
        "key_used": key_used,
        **extra,
    }


def invalid(name, token, error, *, kind="session", salt=SESSION_SALT, secret=SECRET,
            fallbacks=(), now=NOW):
    if kind == "session":
        accepted = session_loads(token, secret, fallbacks, now) is not None
    else:
        accepted = signing_loads(token, salt, secret, fallbacks, now) is not None
    return {
        "name": name,
        "kind": kind,
        "secret_key": secret,
        "fallbacks": list(fallbacks),
        "salt": salt,
        "max_age": MAX_AGE,
        "now": now,
        "token": token,
        "error": error,
        "django_accepts": accepted,
    }


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def signed_raw(text: str, salt=SESSION_SALT, secret=SECRET) -> str:
    """A validly signed token over exactly `text` (`payload:timestamp`)."""
    return signing.Signer(key=secret, salt=salt, fallback_keys=[]).sign(text)


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def non_canonical(text: str) -> str:
    """The same bytes for a lenient decoder, with a non-zero unused bit at the end."""
    assert len(text) % 4 in (2, 3)
    last = ALPHABET.index(text[-1]) | 1
    return text[:-1] + ALPHABET[last]


def messages_text(messages):
    """`_messages` as django.contrib.messages' SessionStorage writes it."""
    for m in messages:
        m._prepare()
    return MessageEncoder().encode(messages)


def main() -> None:
    auth_hash = salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
        PASSWORD_FIELD, secret=SECRET, algorithm="sha256",
    ).hexdigest()
    login = {
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": auth_hash,
        "_auth_user_id": "7",
    }
    small = {"cart": ["apple"], "user": "cobra"}
    unicode = {"city": "東京", "crab": "🦀", "ctl": "\x7f\n\t\"\\/", "name": "Zoë"}
    nested = {"a": {"b": [1, {"c": None}], "d": True, "e": []},
              "n": [1.5, -0.0, 1e16, 1e-05, 12345678901234567890, -7, 0.1]}
    messages = [
        Message(25, "Profile saved", extra_tags=""),
        Message(40, mark_safe("<b>Z\u00f6e</b> failed"), extra_tags="urgent"),
        Message(20, "No tags"),
    ]
    ts = signing.b62_encode(SIGNED)
    vectors = [
        valid("plain", small),
        valid("empty", {}),
        valid("compressed", {"items": ["widget"] * 40, "user_id": "42"}),
        valid("unicode", unicode),
        valid("nested", nested),
        valid("auth login", login, password_field=PASSWORD_FIELD),
        valid("messages", {"_messages": messages_text(messages)}),
        valid("first fallback", small, fallbacks=[OLD, OLDER], signer=OLD,
              key_used="fallback:0"),
        valid("second fallback", small, fallbacks=[OLD, OLDER], signer=OLDER,
              key_used="fallback:1"),
        valid("at max age", small, signed_at=NOW - MAX_AGE),
        valid("session expiry not enforced (ticket 19201)",
              {"_session_expiry": 60, "user": "cobra"}, signed_at=NOW - 3600),
        valid("signing: a string, default salt", "hello", kind="signing",
              salt=SIGNING_SALT, compress=False),
        valid("signing: compressed, own salt", {"ids": list(range(40))}, kind="signing",
              salt="shop.password-reset", compress=True),
        valid("signing: compressible but compress=False", {"ids": [0] * 40}, kind="signing",
              salt="shop.password-reset", compress=False),
        valid("signing: unicode, uncompressed", unicode, kind="signing",
              salt=SIGNING_SALT, compress=False),
        valid("signing: nested, uncompressed", nested, kind="signing",
              salt=SIGNING_SALT, compress=False),
        valid("signing: any JSON", [1, "two", {"three": 3.0}, None], kind="signing",
              salt="", compress=False),
    ]
    # The messages as Django's MessageDecoder reads them back from the session:
    # [level, message, extra_tags, marked safe].
    use(SECRET)
    store = SessionStore(session_key=vectors[6]["token"])
    read = json.loads(store["_messages"], cls=MessageDecoder)
    vectors[6]["messages"] = [[m.level, str(m.message), m.extra_tags,
                               isinstance(m.message, SafeData)] for m in read]

    plain = vectors[0]["token"]
    payload, pts, sig = plain.split(":")
    small_json = django_json(small).encode()
    odd_json = b'{"user":"cobra"}'  # 16 bytes: its base64 has padding and unused bits
    assert len(odd_json) % 3 == 1
    fails = [
        invalid("expired", session_token(small, SECRET, NOW - MAX_AGE - 1), "Expired"),
        invalid("wrong key", plain, "InvalidSignature", secret="another secret"),
        invalid("fallback removed", vectors[7]["token"], "InvalidSignature"),
        invalid("fallbacks given but not the signing key", vectors[8]["token"],
                "InvalidSignature", fallbacks=[OLD]),
        invalid("another salt", vectors[11]["token"], "InvalidSignature"),
        invalid("session read with the signing salt", plain, "InvalidSignature",
                kind="signing", salt=SIGNING_SALT),
        invalid("payload changed", f"{b64(b'{}')}:{pts}:{sig}", "InvalidSignature"),
        invalid("timestamp changed", f"{payload}:{signing.b62_encode(SIGNED + 1)}:{sig}",
                "InvalidSignature"),
        invalid("signature changed", f"{payload}:{pts}:{sig[:-2]}AA", "InvalidSignature"),
        invalid("compression marker added", f".{plain}", "InvalidSignature"),
        invalid("signature padded", plain + "=", "Malformed"),
        invalid("extra colon", f"{payload}::{pts}:{sig}", "Malformed"),
        invalid("dotted (itsdangerous) layout", plain.replace(":", "."), "Malformed"),
        invalid("empty", "", "Malformed"),
        invalid("signed: padded payload", signed_raw(f"{b64(odd_json)}==:{ts}"),
                "Malformed"),
        invalid("signed: non-canonical payload base64",
                signed_raw(f"{non_canonical(b64(odd_json))}:{ts}"), "Malformed"),
        invalid("signed: colon inside the payload",
                signed_raw(f"{b64(small_json)[:8]}:{b64(small_json)[8:]}:{ts}"),
                "Malformed"),
        invalid("signed: timestamp with a leading zero", signed_raw(f"{payload}:0{ts}"),
                "Malformed"),
        invalid("signed: timestamp zero", signed_raw(f"{payload}:0"), "Malformed"),
        invalid("signed: negative timestamp", signed_raw(f"{payload}:-{ts}"), "Malformed"),
        invalid("signed: timestamp beyond 64 bits",
                signed_raw(f"{payload}:{signing.b62_encode(2**64)}"), "Malformed"),
        invalid("signed: an hour in the future",
                signed_raw(f"{payload}:{signing.b62_encode(NOW + 3600)}"), "NotYetValid"),
        invalid("signed: zlib bomb",
                signed_raw("." + b64(zlib.compress(b'{"a":"' + b"a" * 2_000_000 + b'"}', 9))
                           + f":{ts}"),
                "DecompressionLimit"),
        invalid("signed: two zlib streams",
                signed_raw("." + b64(zlib.compress(b'{"a":1}') + zlib.compress(b"{}"))
                           + f":{ts}"),
                "Malformed"),
        invalid("signed: trailing byte after zlib stream",
                signed_raw("." + b64(zlib.compress(b'{"a":1}') + b"\x00") + f":{ts}"),
                "Malformed"),
        invalid("signed: truncated zlib stream",
                signed_raw("." + b64(zlib.compress(b'{"a":1}')[:-2]) + f":{ts}"),
                "Malformed"),
        invalid("signed: raw UTF-8 in the JSON",
                signed_raw(b64('{"name":"Zoë"}'.encode()) + f":{ts}"), "Syntax"),
        invalid("signed: NaN", signed_raw(b64(b'{"n":NaN}') + f":{ts}"), "Syntax"),
        invalid("signed: lone surrogate", signed_raw(b64(b'{"s":"\\ud800"}') + f":{ts}"),
                "Syntax"),
        invalid("signed: session not an object", signed_raw(b64(b"[1,2]") + f":{ts}"),
                "Data"),
    ]

    doc = {
        "description": "Django signed-cookie sessions and django.core.signing tokens "
                       "made by Django",
        "generator": "tests/interop/make_django_vectors.py",
        "django": version("django"),
        "valid": vectors,
        "invalid": fails,
    }
    out = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    if sys.argv[1:] == ["--check"]:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "vectors", "django.json")
        with open(path, encoding="utf-8") as f:
            same = f.read() == out
        print("tests/vectors/django.json is up to date" if same
              else "tests/vectors/django.json differs from what the generator makes")
        sys.exit(0 if same else 1)
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
