#!/usr/bin/env python3
"""An independent implementation of sessionlib's sealed token format (version 1).

Written from the format as documented (the `sealed` module docs and docs/sealed.md),
on PyNaCl (libsodium's XChaCha20-Poly1305) and the standard library:

    token   = b64(raw)                    ; base64url, no padding, canonical
    raw     = header || nonce || ciphertext || tag
    header  = 0x01 || u64be(expiry)       ; the associated data
    nonce   = 24 bytes
    ciphertext || tag = XChaCha20-Poly1305-IETF(key, nonce, aad=header, JSON)
    key     = HKDF-SHA256(salt="sessionlib.sealed.v1", ikm=secret,
                          info=u64be(len(purpose)) || purpose, L=32)
    purpose = the salt; for a cookie:
              "sessionlib.cookie.v1" || u32be(len(salt)) || salt
                                     || u32be(len(name)) || name

Commands (JSON on stdin, JSON on stdout):

    sealed_peer.py open      [{"secrets_hex": [...], "salt": S, "cookie_name": N|null,
                               "token": T, "now": UNIX}]
                             -> [{"data": ..., "expiry": E, "key_used": K} | {"error": KIND}]
    sealed_peer.py seal      [{"secret_hex": H, "salt": S, "cookie_name": N|null,
                               "data": ..., "expiry": E}] -> ["token", ...]
    sealed_peer.py vectors   (no input) -> the contents of tests/vectors/sealed.json
"""
import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
import sys

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)
from nacl.exceptions import CryptoError

VERSION = 1
HKDF_SALT = b"sessionlib.sealed.v1"
COOKIE_PREFIX = b"sessionlib.cookie.v1"
NONCE_LEN = 24
TAG_LEN = 16
HEADER_LEN = 9
MAX_TOKEN_LEN = 4096
B64_ALPHABET = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869: extract, then expand."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def purpose(salt: str, cookie_name) -> bytes:
    s = salt.encode("utf-8")
    if cookie_name is None:
        return s
    n = cookie_name.encode("ascii")
    return COOKIE_PREFIX + struct.pack(">I", len(s)) + s + struct.pack(">I", len(n)) + n


def sealing_key(secret: bytes, purpose_bytes: bytes) -> bytes:
    info = struct.pack(">Q", len(purpose_bytes)) + purpose_bytes
    return hkdf_sha256(secret, HKDF_SALT, info, 32)


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode_strict(text: str) -> bytes:
    """Canonical base64url only: alphabet, no padding, a possible length, and zero
    unused bits (checked by re-encoding)."""
    data = text.encode("ascii", "strict") if text.isascii() else None
    if data is None or not data or len(data) % 4 == 1:
        raise ValueError("Malformed")
    if any(c not in B64_ALPHABET for c in data):
        raise ValueError("Malformed")
    raw = base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    if b64encode(raw) != text:
        raise ValueError("Malformed")
    return raw


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(secret: bytes, purpose_bytes: bytes, plaintext: bytes, expiry: int, nonce=None) -> str:
    if nonce is None:
        nonce = os.urandom(NONCE_LEN)
    header = bytes([VERSION]) + struct.pack(">Q", expiry)
    key = sealing_key(secret, purpose_bytes)
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, header, nonce, key)
    return b64encode(header + nonce + sealed)


def open_token(secrets, purpose_bytes: bytes, token: str, now: int):
    """Returns (data, expiry, key_used) or raises ValueError(kind)."""
    if len(token) > MAX_TOKEN_LEN:
        raise ValueError("TooLarge")
    raw = b64decode_strict(token)
    if len(raw) <= HEADER_LEN + NONCE_LEN + TAG_LEN or raw[0] != VERSION:
        raise ValueError("Malformed")
    header, nonce, sealed = raw[:HEADER_LEN], raw[HEADER_LEN:HEADER_LEN + NONCE_LEN], raw[HEADER_LEN + NONCE_LEN:]
    for i, secret in enumerate(secrets):
        key = sealing_key(secret, purpose_bytes)
        try:
            plaintext = crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, header, nonce, key)
        except CryptoError:
            continue
        expiry = struct.unpack(">Q", header[1:])[0]
        if now >= expiry:
            raise ValueError("Expired")
        key_used = "primary" if i == 0 else f"fallback:{i - 1}"
        return json.loads(plaintext.decode("utf-8")), expiry, key_used
    raise ValueError("InvalidSignature")


# ---- vectors ----

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 164))
KEY_C = b"the previous secret, also 32 ok."
NOW = 1_700_000_000


def fixed_nonce(name: str) -> bytes:
    return hashlib.sha256(b"sealed vector nonce: " + name.encode()).digest()[:NONCE_LEN]


def vectors():
    valid, fail = [], []

    def ok(name, secrets, signer, salt, cookie, data, expiry, key_used):
        token = seal(signer, purpose(salt, cookie), compact(data), expiry, fixed_nonce(name))
        valid.append({
            "description": name,
            "secrets_hex": [s.hex() for s in secrets],
            "salt": salt,
            "cookie_name": cookie,
            "purpose_hex": purpose(salt, cookie).hex(),
            "sealing_key_hex": sealing_key(signer, purpose(salt, cookie)).hex(),
            "nonce_hex": fixed_nonce(name).hex(),
            "plaintext": compact(data).decode("utf-8"),
            "expiry": expiry,
            "now": NOW,
            "token": token,
            "data": data,
            "key_used": key_used,
        })
        return token

    def bad(name, secrets, salt, cookie, token, error, now=NOW):
        fail.append({
            "description": name,
            "secrets_hex": [s.hex() for s in secrets],
            "salt": salt,
            "cookie_name": cookie,
            "token": token,
            "now": now,
            "error": error,
        })

    session = {"user": "cobra", "roles": ["admin"], "visits": 3}
    t = ok("codec: default salt", [KEY_A], KEY_A, "sessionlib.session", None, session, NOW + 3600, "primary")
    ok("cookie: default salt and name", [KEY_A], KEY_A, "sessionlib.session", "session", session, NOW + 3600, "primary")
    ok("cookie: __Host- name, 64-byte key, non-ASCII", [KEY_B], KEY_B, "shop", "__Host-sid",
       {"name": "Zoë", "city": "東京", "emoji": "🦀", "q": "\"\\\n"}, NOW + 60, "primary")
    ok("cookie: fallback key after rotation", [KEY_A, KEY_C], KEY_C, "sessionlib.session", "session",
       {"user": "viper"}, NOW + 1, "fallback:0")
    ok("codec: scalar and empty object", [KEY_A], KEY_A, "x", None, {}, NOW + 10, "primary")
    ok("codec: one-byte JSON", [KEY_A], KEY_A, "x", None, 0, NOW + 10, "primary")
    ok("codec: 2 KB session", [KEY_A], KEY_A, "sessionlib.session", None, {"blob": "x" * 2000}, NOW + 10, "primary")
    ok("codec: expiry at u32 boundary and beyond", [KEY_A], KEY_A, "sessionlib.session", None, [1, 2], 2**32, "primary")
    c = ok("cookie: name a", [KEY_A], KEY_A, "ab", "c", {"admin": True}, NOW + 3600, "primary")

    raw = bytearray(b64decode_strict(t))
    # Every field changed, each one on its own.
    for where, index in [("version", 0), ("expiry", 8), ("nonce", 9), ("first ciphertext byte", 33), ("tag", len(raw) - 1)]:
        changed = bytearray(raw)
        changed[index] ^= 0x01
        bad(f"changed {where} byte", [KEY_A], "sessionlib.session", None, b64encode(bytes(changed)),
            "Malformed" if index == 0 else "InvalidSignature")
    bad("wrong key", [KEY_B], "sessionlib.session", None, t, "InvalidSignature")
    bad("wrong key among several", [KEY_B, KEY_C], "sessionlib.session", None, t, "InvalidSignature")
    bad("another salt", [KEY_A], "sessionlib.other", None, t, "InvalidSignature")
    bad("codec token read as a cookie", [KEY_A], "sessionlib.session", "session", t, "InvalidSignature")
    bad("another cookie name", [KEY_A], "ab", "cc", c, "InvalidSignature")
    bad("salt and name split differently", [KEY_A], "a", "bc", c, "InvalidSignature")
    bad("expired (now equals expiry)", [KEY_A], "sessionlib.session", None, t, "Expired", now=NOW + 3600)
    bad("truncated by one character", [KEY_A], "sessionlib.session", None, t[:-1], "Malformed")
    bad("truncated by one byte", [KEY_A], "sessionlib.session", None, b64encode(bytes(raw[:-1])), "InvalidSignature")
    bad("extra byte", [KEY_A], "sessionlib.session", None, b64encode(bytes(raw) + b"\0"), "InvalidSignature")
    bad("padding", [KEY_A], "sessionlib.session", None, t + "=" * (-len(t) % 4 or 4), "Malformed")
    bad("standard alphabet", [KEY_A], "sessionlib.session", None, t.replace("-", "+").replace("_", "/") if ("-" in t or "_" in t) else "+" + t[1:], "Malformed")
    bad("whitespace", [KEY_A], "sessionlib.session", None, t[:10] + " " + t[10:], "Malformed")
    bad("dot inside", [KEY_A], "sessionlib.session", None, t[:10] + "." + t[11:], "Malformed")
    bad("empty", [KEY_A], "sessionlib.session", None, "", "Malformed")
    bad("header only", [KEY_A], "sessionlib.session", None, b64encode(bytes(raw[:49])), "Malformed")
    bad("signed native token", [KEY_A], "sessionlib.session", None,
        "eyJ1c2VyIjoiY29icmEifQ.ZVPxAA.0-_vAk-0LTRopzuu8oZRSyrjXYeNL6-2iPFnYMCl-bM", "Malformed")
    bad("over the length limit", [KEY_A], "sessionlib.session", None, "A" * 4100, "TooLarge")
    # Non-canonical: the last character carries non-zero unused bits.
    last_ok = t[-1]
    rem = len(t) % 4
    if rem in (2, 3):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        v = alphabet.index(last_ok)
        noncanon = t[:-1] + alphabet[v | 1]
        bad("non-canonical last character", [KEY_A], "sessionlib.session", None, noncanon, "Malformed")
    # A header with another version, validly sealed.
    header2 = bytes([2]) + struct.pack(">Q", NOW + 3600)
    nonce = fixed_nonce("version 2")
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
        b"{}", header2, nonce, sealing_key(KEY_A, purpose("sessionlib.session", None)))
    bad("version 2, validly sealed", [KEY_A], "sessionlib.session", None, b64encode(header2 + nonce + sealed), "Malformed")
    # The generator checks its own vectors with its own reader.
    for v in valid:
        got = open_token([bytes.fromhex(h) for h in v["secrets_hex"]],
                         purpose(v["salt"], v["cookie_name"]), v["token"], v["now"])
        assert got == (v["data"], v["expiry"], v["key_used"]), v["description"]
    for v in fail:
        try:
            open_token([bytes.fromhex(h) for h in v["secrets_hex"]],
                       purpose(v["salt"], v["cookie_name"]), v["token"], v["now"])
        except ValueError as e:
            assert str(e) == v["error"], (v["description"], str(e))
        else:
            raise AssertionError(v["description"] + " opened")
    return {
        "about": "sessionlib sealed tokens (format version 1); written by "
                 "tests/interop/sealed_peer.py vectors, on PyNaCl",
        "valid": valid,
        "expect_fail": fail,
    }


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "vectors":
        sys.stdout.write(json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n")
        return
    cases = json.load(sys.stdin)
    out = []
    if command == "open":
        for c in cases:
            secrets = [binascii.unhexlify(s) for s in c["secrets_hex"]]
            try:
                data, expiry, key_used = open_token(
                    secrets, purpose(c["salt"], c.get("cookie_name")), c["token"], c["now"])
                out.append({"data": data, "expiry": expiry, "key_used": key_used})
            except (ValueError, UnicodeDecodeError) as e:
                out.append({"error": str(e) if str(e) in
                            ("Malformed", "InvalidSignature", "Expired", "TooLarge") else "Malformed"})
    elif command == "seal":
        for c in cases:
            out.append(seal(binascii.unhexlify(c["secret_hex"]), purpose(c["salt"], c.get("cookie_name")),
                            compact(c["data"]), c["expiry"]))
    else:
        sys.exit("usage: sealed_peer.py open|seal|vectors")
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
