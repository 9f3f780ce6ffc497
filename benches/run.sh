#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: the criterion benchmarks (sessionlib, the baseline pipeline
# and the cookie crate; sealed tokens against PrivateJar, feature `sealed`; the session
# layer around an axum handler against no layer, axum-extra's SignedCookieJar and
# tower-sessions) and Python itsdangerous, PASSES times each (default 3), then the
# two-thread throughput run, then the tables of medians and ratios. About 10 minutes.
#
# On a shared machine the load changes from one minute to the next; each benchmark
# keeps its lowest median over the passes, so every contender gets the same chance at a
# quiet moment. Extra arguments go to criterion (for example a name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
passes="${PASSES:-3}"
out=target/bench-results
rm -rf "$out" target/criterion
mkdir -p "$out"
cargo bench --features sealed --bench codec --no-run
cargo bench --features axum --bench layer --no-run
for pass in $(seq 1 "$passes"); do
    echo "== pass $pass of $passes"
    cargo bench --features sealed --bench codec -- --warm-up-time 1 --measurement-time 2 "$@"
    cargo bench --features axum --bench layer -- --warm-up-time 1 --measurement-time 2 "$@"
    cp -r target/criterion "$out/pass$pass"
    python3 benches/itsdangerous_bench.py >"$out/itsdangerous-pass$pass.json"
done
cargo bench --bench threads
python3 benches/report.py
