#!/usr/bin/env python3
"""The Python side of the live native interop check (tests/it/interop_native.rs).

    native_peer.py verify  < [{"secret_hex", "salt", "token"}, ...]
        -> [{"data": ..., "timestamp": UNIX}, ...] via URLSafeTimedSerializer.loads
    native_peer.py make    < [{"secret_hex", "salt", "data", "timestamp"}, ...]
        -> ["token", ...] via URLSafeTimedSerializer.dumps with the timestamp fixed

Both use HMAC-SHA256 with key_derivation="hmac", sessionlib's native layout. No
max_age is applied: in sessionlib's tokens the timestamp is the expiry.
"""

import hashlib
import json
import sys

from itsdangerous import TimestampSigner, URLSafeTimedSerializer


def serializer(case, timestamp=None):
    class Fixed(TimestampSigner):
        def get_timestamp(self) -> int:
            return timestamp

    return URLSafeTimedSerializer(
        bytes.fromhex(case["secret_hex"]),
        salt=case["salt"],
        signer=Fixed if timestamp is not None else TimestampSigner,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
    )


def main() -> None:
    cases = json.load(sys.stdin)
    if sys.argv[1] == "verify":
        out = []
        for case in cases:
            data, when = serializer(case).loads(case["token"], return_timestamp=True)
            out.append({"data": data, "timestamp": int(when.timestamp())})
    elif sys.argv[1] == "make":
        out = [serializer(c, c["timestamp"]).dumps(c["data"]) for c in cases]
    else:
        sys.exit(f"unknown command {sys.argv[1]!r}")
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
