#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: criterion benchmarks (sessionlib, the baseline pipeline and
# the cookie crate), the two-thread throughput run and Python itsdangerous, then prints
# the table of medians and ratios. About 5 minutes. Extra arguments go to criterion
# (for example a name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench-results
cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3 "$@"
cargo bench --bench threads
python3 benches/itsdangerous_bench.py >target/bench-results/itsdangerous.json
python3 benches/report.py
