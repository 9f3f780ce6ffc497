"""Times Python itsdangerous on the benchmark sessions, for comparison with sessionlib.

Same payloads (benches/payloads/*.json), same wire format: URLSafeTimedSerializer with
HMAC key derivation and SHA-256. `dumps` serializes a dict and signs it; `loads` checks
the signature and the age and parses the JSON back into a dict.

Prints one JSON object with the median time per call in nanoseconds (over 7 timeit runs), for example
{"dumps_small": 14000.0, "loads_small": 17000.0, ...}. Run by benches/run.sh.
"""

import hashlib
import importlib.metadata
import json
import pathlib
import statistics
import sys
import timeit

import itsdangerous

PAYLOADS = pathlib.Path(__file__).resolve().parent / "payloads"
REPEATS = 7


def per_call_ns(func):
    """Median over REPEATS runs of the time per call, each run about 0.2 s long."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    runs = timer.repeat(repeat=REPEATS, number=number)
    return statistics.median(runs) / number * 1e9


def main():
    serializer = itsdangerous.URLSafeTimedSerializer(
        bytes([11] * 32),
        salt="sessionlib.session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
    )
    results = {
        "itsdangerous": importlib.metadata.version("itsdangerous"),
        "python": sys.version.split()[0],
    }
    for size, name in (("small", "small.json"), ("2k", "large.json")):
        data = json.loads((PAYLOADS / name).read_text())
        token = serializer.dumps(data)
        assert serializer.loads(token, max_age=3600) == data
        results[f"dumps_{size}"] = per_call_ns(lambda: serializer.dumps(data))
        results[f"loads_{size}"] = per_call_ns(lambda: serializer.loads(token, max_age=3600))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
