#!/usr/bin/env python3
"""Generate tests/vectors/native.json with the real itsdangerous package.

Usage (from the repository root):

    python3 -m pip install -r tests/interop/requirements.txt
    python3 tests/interop/make_native_vectors.py > tests/vectors/native.json

Every token is made by itsdangerous's TimestampSigner with HMAC-SHA256 and
key_derivation="hmac", applied to the base64url of the JSON text, with the timestamp
fixed to the expiry: the layout of URLSafeTimedSerializer, without compression.
Expect-fail tokens that need a valid signature over something itsdangerous would not
write itself (a leading zero timestamp byte, nine timestamp bytes, padding) are signed
with itsdangerous's Signer over exactly those bytes.
"""

import hashlib
import json
import sys

from importlib.metadata import version

from itsdangerous import Signer, TimestampSigner
from itsdangerous.encoding import base64_encode, int_to_bytes

KEY_A = bytes(range(32))
KEY_B = b"previous secret key, 32 bytes ok"
KEY_C = bytes(range(100, 164))
SALT = "sessionlib.session"
NOW = 1_700_000_000
LATER = NOW + 7200


def b64(data: bytes) -> str:
    return base64_encode(data).decode()


def signer(secret: bytes, salt: str) -> Signer:
    return Signer(
        secret, salt=salt, key_derivation="hmac", digest_method=hashlib.sha256
    )


def timestamp_signer(secret: bytes, salt: str, timestamp: int) -> TimestampSigner:
    class Fixed(TimestampSigner):
        def get_timestamp(self) -> int:
            return timestamp

    return Fixed(secret, salt=salt, key_derivation="hmac", digest_method=hashlib.sha256)


def canonical_json(value) -> str:
    # The JSON text serde_json writes for the same value: compact, raw UTF-8, and
    # (for maps decoded into a dynamic value) keys sorted.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def token(secret: bytes, salt: str, json_text: str, expiry: int) -> str:
    payload = base64_encode(json_text.encode())
    return timestamp_signer(secret, salt, expiry).sign(payload).decode()


def signed_raw(secret: bytes, salt: str, payload: str, ts_text: str) -> str:
    return signer(secret, salt).sign(f"{payload}.{ts_text}".encode()).decode()


def valid(name, value, *, secret=KEY_A, salt=SALT, expiry=LATER, now=NOW,
          keys=None, key_used="primary"):
    text = canonical_json(value)
    return {
        "name": name,
        "keys_hex": [k.hex() for k in (keys or [secret])],
        "salt": salt,
        "json": text,
        "expires": expiry,
        "now": now,
        "token": token(secret, salt, text, expiry),
        "key_used": key_used,
    }


def invalid(name, tok, error, *, keys=None, salt=SALT, now=NOW):
    return {
        "name": name,
        "keys_hex": [k.hex() for k in (keys or [KEY_A])],
        "salt": salt,
        "now": now,
        "token": tok,
        "error": error,
    }


def main() -> None:
    session = {
        "user_id": 12345,
        "username": "cobra",
        "roles": ["admin", "editor"],
        "csrf": "3f9a1c2e7b6d4f1a9e8c7b6a5d4c3b2a",
        "visits": 42,
        "theme": "dark",
    }
    vectors = [
        valid("small session", session),
        valid("empty object", {}),
        valid("nested", {"a": {"b": {"c": [1, 2, {"d": None}]}}, "t": True}),
        valid("unicode", {"name": "Zoë", "city": "東京", "emoji": "🦀"}),
        valid("escapes", {"q": "quote\" backslash\\ newline\n tab\t"}),
        valid("array", [1, "two", False, None]),
        valid("string", "just a string"),
        valid("integer", -42),
        valid("big payload", {"blob": "x" * 2000}),
        valid("other salt", session, salt="password-reset"),
        valid("one-second lifetime", {"a": 1}, expiry=NOW + 1),
        valid("five-byte expiry", {"a": 1}, expiry=2**32 + 5, now=2**32),
        valid("last second of year 9999", {"a": 1}, expiry=253402300799),
        valid("fallback key", session, secret=KEY_B, keys=[KEY_A, KEY_B],
              key_used="fallback:0"),
        valid("third key", session, secret=KEY_C, keys=[KEY_A, KEY_B, KEY_C],
              key_used="fallback:1"),
    ]

    good = vectors[0]["token"]
    payload, ts, sig = good.split(".")
    json_b64 = b64(canonical_json({"a": 1}).encode())
    fails = [
        invalid("expired exactly at expiry", good, "Expired", now=LATER),
        invalid("expired after expiry", good, "Expired", now=LATER + 1),
        invalid("wrong key", good, "InvalidSignature", keys=[KEY_B]),
        invalid("fallback key removed", vectors[13]["token"], "InvalidSignature"),
        invalid("other salt", good, "InvalidSignature", salt="password-reset"),
        invalid("payload changed", f"{b64(b'{}')}.{ts}.{sig}", "InvalidSignature"),
        invalid("timestamp extended", f"{payload}.{b64(int_to_bytes(LATER + 1))}.{sig}",
                "InvalidSignature"),
        invalid("signature changed", f"{payload}.{ts}.{sig[:-2]}AA", "InvalidSignature"),
        invalid("signature padded", good + "=", "Malformed"),
        invalid("payload padded", f"{payload}=.{ts}.{sig}", "Malformed"),
        invalid("extra dot", f"{payload}..{ts}.{sig}", "Malformed"),
        invalid("missing timestamp", f"{payload}.{sig}", "Malformed"),
        invalid("trailing newline", good + "\n", "Malformed"),
        invalid("leading space", " " + good, "Malformed"),
        invalid("standard alphabet", good.replace("-", "+").replace("_", "/")
                if ("-" in good or "_" in good) else good[:-1] + "+", "Malformed"),
        invalid("signature non-canonical last character",
                f"{payload}.{ts}.{sig[:-1]}{chr(ord(sig[-1]) + 1)}"
                if sig[-1] not in "9_-" else f"{payload}.{ts}.{sig[:-1]}B", "Malformed"),
        invalid("compressed payload marker", "." + good, "Malformed"),
        # Validly signed, but not in the one canonical spelling.
        invalid("signed: leading zero timestamp byte",
                signed_raw(KEY_A, SALT, json_b64, b64(b"\x00" + int_to_bytes(LATER))),
                "Malformed"),
        invalid("signed: nine timestamp bytes",
                signed_raw(KEY_A, SALT, json_b64, b64(b"\x01" + LATER.to_bytes(8, "big"))),
                "Malformed"),
        invalid("signed: empty timestamp (zero)",
                signed_raw(KEY_A, SALT, json_b64, ""), "Malformed"),
        invalid("signed: u64::MAX timestamp",
                signed_raw(KEY_A, SALT, json_b64, b64(b"\xff" * 8)), "Malformed"),
        invalid("signed: 2^63 timestamp",
                signed_raw(KEY_A, SALT, json_b64, b64(int_to_bytes(2**63))), "Malformed"),
        invalid("signed: first second of year 10000",
                signed_raw(KEY_A, SALT, json_b64, b64(int_to_bytes(253402300800))),
                "Malformed"),
        invalid("signed: padded payload",
                signed_raw(KEY_A, SALT, json_b64 + "=", b64(int_to_bytes(LATER))),
                "Malformed"),
        invalid("signed: non-canonical payload base64",
                signed_raw(KEY_A, SALT, json_b64[:-1] + "1", b64(int_to_bytes(LATER))),
                "Malformed"),
        invalid("signed: not JSON",
                signed_raw(KEY_A, SALT, b64(b"{not json"), b64(int_to_bytes(LATER))),
                "Deserialize"),
        invalid("signed: not UTF-8",
                signed_raw(KEY_A, SALT, b64(b'"\xff"'), b64(int_to_bytes(LATER))),
                "Deserialize"),
    ]
    doc = {
        "description": "sessionlib native tokens made by Python itsdangerous "
        "(TimestampSigner, HMAC-SHA256, key_derivation=hmac, timestamp = expiry)",
        "generator": "tests/interop/make_native_vectors.py",
        "itsdangerous": version("itsdangerous"),
        "valid": vectors,
        "invalid": fails,
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
