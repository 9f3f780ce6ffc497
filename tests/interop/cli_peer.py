#!/usr/bin/env python3
"""The Python side of the command-line tool's live check (tests/it/cli.rs).

    SESSIONLIB_SECRET_KEY=... cli_peer.py SALT < token
        -> the token's data as JSON, read by itsdangerous's URLSafeTimedSerializer

The secret is the raw bytes of the environment variable, as the `sessionlib` tool
uses it. HMAC-SHA256 with key_derivation="hmac" is sessionlib's native layout. No
max_age is applied: in sessionlib's tokens the timestamp is the expiry, not the
signing time.
"""

import hashlib
import json
import os
import sys

from itsdangerous import URLSafeTimedSerializer


def main() -> None:
    secret = os.environb[b"SESSIONLIB_SECRET_KEY"]
    salt = sys.argv[1]
    token = sys.stdin.read().strip()
    serializer = URLSafeTimedSerializer(
        secret,
        salt=salt,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
    )
    data, timestamp = serializer.loads(token, return_timestamp=True)
    json.dump({"data": data, "timestamp": int(timestamp.timestamp())}, sys.stdout)


if __name__ == "__main__":
    main()
