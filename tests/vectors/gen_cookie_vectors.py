#!/usr/bin/env python3
"""Writes tests/vectors/cookie.json: test vectors for sessionlib's cookie tokens.

An independent implementation of the documented format, with the Python standard
library only:

    signing salt = b"sessionlib.cookie.v1" + u32be(len(salt)) + salt
                                           + u32be(len(name)) + name
    derived key  = HMAC-SHA256(key=secret, msg=signing salt)
    token        = b64(json) "." b64(expiry, big-endian, no leading zero bytes)
                   "." b64(HMAC-SHA256(derived key, b64(json) "." b64(expiry)))

b64 is base64url without padding. Run with --check to compare with the committed
file instead of writing it (exit 1 when they differ).
"""
import base64
import hashlib
import hmac
import json
import struct
import sys
from pathlib import Path

OUT = Path(__file__).with_name("cookie.json")
PREFIX = b"sessionlib.cookie.v1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signing_salt(salt: bytes, name: bytes) -> bytes:
    return PREFIX + struct.pack(">I", len(salt)) + salt + struct.pack(">I", len(name)) + name


def token(secret: bytes, salt: bytes, payload_json: str, expires: int) -> str:
    derived = hmac.new(secret, salt, hashlib.sha256).digest()
    ts = expires.to_bytes(8, "big").lstrip(b"\0")
    signed = b64(payload_json.encode("utf-8")) + "." + b64(ts)
    sig = hmac.new(derived, signed.encode("ascii"), hashlib.sha256).digest()
    return signed + "." + b64(sig)


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 164))


def vector(description, key, salt, name, expires, data):
    payload = compact(data)
    return {
        "description": description,
        "key_hex": key.hex(),
        "salt": salt,
        "cookie_name": name,
        "expires": expires,
        "payload_json": payload,
        "signing_salt_hex": signing_salt(salt.encode(), name.encode()).hex(),
        "token": token(key, signing_salt(salt.encode(), name.encode()), payload, expires),
    }


def build():
    valid = [
        vector("defaults: salt sessionlib.session, cookie session", KEY_A,
               "sessionlib.session", "session", 1700000000, {"user": "cobra"}),
        vector("session layer object with reserved keys", KEY_A, "sessionlib.session",
               "session", 1700003600,
               {"_created": 1699996400, "_flashes": [["info", "Logged in successfully"]],
                "username": "cobra", "visits": 3}),
        vector("__Host- name, 64-byte key, non-ASCII data", KEY_B, "shop.session",
               "__Host-sid", 4102444800, {"name": "Zoë", "emoji": "\U0001f36a"}),
        vector("empty salt", KEY_A, "", "s", 1, [1, 2, 3]),
        vector("salt ab, name c (see the collision case)", KEY_A, "ab", "c", 1700000000,
               {"admin": True}),
    ]
    first = valid[0]
    collision = valid[4]
    plain = token(KEY_A, b"sessionlib.session", first["payload_json"], first["expires"])
    concat = token(KEY_A, b"sessionlib.sessionsession", first["payload_json"], first["expires"])
    tampered = first["token"].replace(first["token"].split(".")[0],
                                      b64(compact({"user": "admin"}).encode()))
    fail = [
        {"description": "moved to another cookie name", "key_hex": KEY_A.hex(),
         "salt": "sessionlib.session", "cookie_name": "session2", "now": 1699999999,
         "token": first["token"], "error": "InvalidSignature"},
        {"description": "plain concatenation would collide: salt a, name bc",
         "key_hex": KEY_A.hex(), "salt": "a", "cookie_name": "bc", "now": 1699999999,
         "token": collision["token"], "error": "InvalidSignature"},
        {"description": "another salt", "key_hex": KEY_A.hex(), "salt": "other",
         "cookie_name": "session", "now": 1699999999, "token": first["token"],
         "error": "InvalidSignature"},
        {"description": "signed with the bare salt, no name binding",
         "key_hex": KEY_A.hex(), "salt": "sessionlib.session", "cookie_name": "session",
         "now": 1699999999, "token": plain, "error": "InvalidSignature"},
        {"description": "signed with salt and name concatenated",
         "key_hex": KEY_A.hex(), "salt": "sessionlib.session", "cookie_name": "session",
         "now": 1699999999, "token": concat, "error": "InvalidSignature"},
        {"description": "another key", "key_hex": KEY_B.hex(), "salt": "sessionlib.session",
         "cookie_name": "session", "now": 1699999999, "token": first["token"],
         "error": "InvalidSignature"},
        {"description": "payload replaced", "key_hex": KEY_A.hex(),
         "salt": "sessionlib.session", "cookie_name": "session", "now": 1699999999,
         "token": tampered, "error": "InvalidSignature"},
        {"description": "expired: now equals the signed expiry", "key_hex": KEY_A.hex(),
         "salt": "sessionlib.session", "cookie_name": "session", "now": 1700000000,
         "token": first["token"], "error": "Expired"},
        {"description": "quoted value", "key_hex": KEY_A.hex(),
         "salt": "sessionlib.session", "cookie_name": "session", "now": 1699999999,
         "token": '"' + first["token"] + '"', "error": "Malformed"},
    ]
    return {
        "about": "sessionlib cookie tokens; written by tests/vectors/gen_cookie_vectors.py",
        "valid": valid,
        "expect_fail": fail,
    }


def main():
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        if OUT.read_text(encoding="utf-8") != text:
            print("tests/vectors/cookie.json differs from the generator's output")
            return 1
        print("tests/vectors/cookie.json matches the generator")
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
