"""Prints the benchmark table (Markdown) from the results of benches/run.sh.

Reads criterion's medians (target/criterion/<group>/<name>/new/estimates.json; the
codec benchmarks and the session layer's, benches/layer.rs), the two-thread run (target/bench-results/threads.json) and the itsdangerous timings
(target/bench-results/itsdangerous.json). Every ratio is computed from numbers of the
same run.
"""

import json
import os
import pathlib
import platform
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
RESULTS = ROOT / "target" / "bench-results"


def passes():
    """The per-pass copies of criterion's results, or criterion's own directory."""
    found = sorted(RESULTS.glob("pass*"))
    return [p for p in found if p.is_dir()] or [CRITERION]


def median(group, name):
    """The lowest median of this benchmark over the passes, in nanoseconds."""
    values = []
    for root in passes():
        path = root / group / name / "new" / "estimates.json"
        if path.exists():
            values.append(json.loads(path.read_text())["median"]["point_estimate"])
    return min(values) if values else None


def load(name):
    try:
        return json.loads((RESULTS / name).read_text())
    except FileNotFoundError:
        return {}


def python_results():
    """itsdangerous timings: the lowest of each over the passes."""
    runs = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("itsdangerous-pass*.json"))]
    merged = {}
    for run in runs:
        for key, value in run.items():
            if isinstance(value, float):
                merged[key] = min(value, merged.get(key, value))
            else:
                merged[key] = value
    return merged


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model():
    for line in command("lscpu").splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


LAYER_SCENARIOS = (
    ("layer_no_cookie", "no cookie"),
    ("layer_unchanged", "valid session, unchanged"),
    ("layer_modified", "session modified (Set-Cookie)"),
)
LAYER_CONTENDERS = (
    ("no_layer", "no session layer"),
    ("sessionlib", "sessionlib SessionLayer"),
    ("signed_cookie_jar", "axum-extra SignedCookieJar"),
    ("tower_sessions", "tower-sessions MemoryStore"),
)


def overhead(group, name):
    """A contender's time minus the same request's time without a session layer."""
    time, floor = median(group, name), median(group, "no_layer")
    return None if time is None or floor is None else time - floor


def fmt_x(value):
    return "n/a" if value is None else f"{value:.2f}×"


def print_layer_table():
    print(f"Per-request cost of the session layer (benches/layer.rs; criterion medians, lowest over {len(passes())} passes):")
    print()
    print("| scenario | contender | time | overhead (time − no layer) | time / sessionlib's | overhead / sessionlib's |")
    print("| --- | --- | --- | --- | --- | --- |")
    for group, scenario in LAYER_SCENARIOS:
        ours_time, ours_over = median(group, "sessionlib"), overhead(group, "sessionlib")
        for name, label in LAYER_CONTENDERS:
            time = median(group, name)
            if name == "no_layer":
                cells = [fmt_ns(time), "", "", ""]
            else:
                extra = overhead(group, name)
                cells = [fmt_ns(time), fmt_ns(extra), fmt_x(ratio(time, ours_time)), fmt_x(ratio(extra, ours_over))]
            print(f"| {scenario} | {label} | " + " | ".join(cells) + " |")
    print()


def main():
    threads = load("threads.json")
    py = python_results()
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; {command('rustc', '--version')}; "
        f"Python {py.get('python', '?')}, itsdangerous {py.get('itsdangerous', '?')}"
    )
    print()
    print(f"Medians per call (criterion; lowest over {len(passes())} passes of one run):")
    print()
    print("| operation | sessionlib | baseline pipeline | cookie SignedJar | cookie PrivateJar | itsdangerous |")
    print("| --- | --- | --- | --- | --- | --- |")
    python_name = {"encode": "dumps", "decode": "loads"}
    for size, label in (("small", "small (132 B JSON)"), ("2k", "2 KB JSON")):
        for op in ("encode", "decode", "roundtrip"):
            group = f"{op}_{size}"
            cells = [fmt_ns(median(group, n)) for n in ("sessionlib", "baseline", "cookie_signed", "cookie_private")]
            py_ns = py.get(f"{python_name.get(op, '')}_{size}")
            if op == "roundtrip":
                py_ns = None
                if py.get(f"dumps_{size}") and py.get(f"loads_{size}"):
                    py_ns = py[f"dumps_{size}"] + py[f"loads_{size}"]
            cells.append(fmt_ns(py_ns))
            print(f"| {op} {label} | " + " | ".join(cells) + " |")
    print(f"| verify only, small | {fmt_ns(median('verify_small', 'sessionlib'))} | | | | |")
    print()
    print("Sealed tokens (feature `sealed`) against the cookie crate's PrivateJar plus serde_json:")
    print()
    print("| operation | sessionlib sealed | PrivateJar + serde_json | ratio |")
    print("| --- | --- | --- | --- |")
    for size, label in (("small", "small (132 B JSON)"), ("2k", "2 KB JSON")):
        for op in ("encode", "decode", "roundtrip"):
            group = f"sealed_{op}_{size}"
            ours, theirs = median(group, "sessionlib_sealed"), median(group, "private_jar_json")
            r = ratio(ours, theirs)
            shown = "n/a" if r is None else f"{r:.2f}×"
            print(f"| {op} {label} | {fmt_ns(ours)} | {fmt_ns(theirs)} | {shown} |")
    print()
    print_layer_table()

    rows = []

    def target(name, value, goal, ok, unit="×"):
        shown = "n/a" if value is None else (f"{value:.2f}{unit}" if unit else fmt_ns(value))
        met = "n/a" if value is None else ("met" if ok(value) else "NOT met")
        rows.append((name, shown, goal, met))

    for size in ("small", "2k"):
        target(
            f"decode {size}: sessionlib / baseline",
            ratio(median(f"decode_{size}", "sessionlib"), median(f"decode_{size}", "baseline")),
            "≤ 0.75×" if size == "small" else "≤ 1.0×",
            (lambda v: v <= 0.75) if size == "small" else (lambda v: v <= 1.0),
        )
        target(
            f"encode {size}: sessionlib / baseline",
            ratio(median(f"encode_{size}", "sessionlib"), median(f"encode_{size}", "baseline")),
            "≤ 1.0×",
            lambda v: v <= 1.0,
        )
    target(
        "round trip small: sessionlib (with JSON) / cookie SignedJar add+get",
        ratio(median("roundtrip_small", "sessionlib"), median("roundtrip_small", "cookie_signed")),
        "≤ 1.1×",
        lambda v: v <= 1.1,
    )
    for size in ("small", "2k"):
        target(
            f"itsdangerous loads / sessionlib decode, {size}",
            ratio(py.get(f"loads_{size}"), median(f"decode_{size}", "sessionlib")),
            "≥ 25×",
            lambda v: v >= 25,
        )
        target(
            f"itsdangerous dumps / sessionlib encode, {size}",
            ratio(py.get(f"dumps_{size}"), median(f"encode_{size}", "sessionlib")),
            "≥ 25×",
            lambda v: v >= 25,
        )
    for size in ("small", "2k"):
        target(
            f"sealed decode {size}: sessionlib / PrivateJar + serde_json",
            ratio(median(f"sealed_decode_{size}", "sessionlib_sealed"),
                  median(f"sealed_decode_{size}", "private_jar_json")),
            "≤ 1.0×",
            lambda v: v <= 1.0,
        )
    target("forged token (normal size) rejected", median("reject_small", "forged"), "≤ 0.4 µs", lambda v: v <= 400, unit="")
    target("oversized token rejected", median("reject_small", "oversized"), "well under 0.1 µs", lambda v: v < 50, unit="")
    target("malformed token rejected", median("reject_small", "malformed"), "well under 0.1 µs", lambda v: v < 50, unit="")
    one, four, mac, check = (
        median("rotation_small", n) for n in ("key1_of_1", "key4_of_4", "one_mac", "one_mac_check")
    )
    per_key = None if None in (one, four, check) else (four - one) / 3 / check
    target(
        "rotation: extra time per extra key tried (token signed by the 4th of 4 keys), "
        "in MAC checks (one MAC + its constant-time comparison)",
        per_key,
        "≤ 1 MAC check (+ noise)",
        lambda v: v <= 1.05,
        unit=" MAC checks",
    )
    if None not in (one, four, mac):
        rows.append(("(the same in bare MACs, without the comparison)", f"{(four - one) / 3 / mac:.2f} MACs", "", ""))
    scaling = ratio(threads.get("two_threads_ops"), threads.get("one_thread_ops"))
    target("2 threads / 1 thread decode throughput", scaling, "≥ 1.8×", lambda v: v >= 1.8)
    per_cpu = ratio(threads.get("two_threads_ops_per_cpu_s"), threads.get("one_thread_ops_per_cpu_s"))
    target(
        "2 threads / 1 thread, decodes per CPU-second received (1.0 = no slowdown between threads)",
        per_cpu,
        "≥ 0.9× (2 × this ≥ 1.8× on 2 idle cores)",
        lambda v: v >= 0.9,
    )
    if threads:
        rows.append(("(decodes per wall-clock second: 1 thread / 2 threads)",
                     f"{threads['one_thread_ops']:,} / {threads['two_threads_ops']:,}", "", ""))

    for name, label, owner in (
        ("signed_cookie_jar", "axum-extra SignedCookieJar", "SignedCookieJar's"),
        ("tower_sessions", "tower-sessions", "tower-sessions'"),
    ):
        target(
            f"session layer, valid unchanged session: sessionlib's overhead / {owner}",
            ratio(overhead("layer_unchanged", "sessionlib"), overhead("layer_unchanged", name)),
            "≤ 1.0×",
            lambda v: v <= 1.0,
        )
        value = ratio(median("layer_unchanged", "sessionlib"), median("layer_unchanged", name))
        rows.append((f"(the same in whole request times: sessionlib / {label})", fmt_x(value), "", ""))

    print("Targets (ratios of the numbers above):")
    print()
    print("| target | measured | goal | |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
