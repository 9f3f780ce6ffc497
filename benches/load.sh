#!/usr/bin/env bash
# Load test of the axum example's GET /greeting and GET /visits, served by the test
# server (tests/server/test_server.rs: the example plus a no-session baseline; HTTP
# Basic auth, 64 connections, DURATION seconds each, loopback only), each three ways in
# one run:
#
#   1. without the session layer  (SESSIONLIB_NO_SESSIONS=1: the same route, no layer)
#   2. with the layer and the in-memory revocation store
#   3. with the layer and the Redis revocation store (a redis-server of its own on a
#      free loopback port, data in a temporary directory)
#   4. and 5. as 2 and 3 with the session registry on ("your devices": the example's
#      default; 2 and 3 run with SESSIONLIB_REGISTRY=0)
#
# In 2 and 3 every request carries a valid, logged-in session cookie (from POST
# /login), so each one verifies the cookie and asks the revocation store (Redis: one
# MGET); on /greeting it also counts the visit and signs a new cookie, on /visits it
# only reads the count (a valid session, no new cookie).
#
# Besides wrk's figures, the server's CPU time per request: its user + system time
# from /proc/<pid>/stat before and after the measured run, over the requests served.
#
#   bash benches/load.sh            # DURATION=10 CONNECTIONS=64 THREADS=2 by default
#
# The load generator is wrk (Debian's package, installed when missing): a C program
# that installs in seconds, where building oha with `cargo install` takes many minutes
# on this project's two cores and would compete with the server it measures. Its Lua
# `done` hook (benches/wrk_report.lua) prints p50/p99/p99.9 and the error count.
# Not run by CI: the figures depend on the machine. Results go in RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"

if ! command -v wrk >/dev/null; then
  sudo=()
  if [[ $EUID -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk
fi
redis_server=$(command -v redis-server || echo /usr/bin/redis-server)
[[ -x "$redis_server" ]] || { echo "redis-server is missing (apt-get install redis-server)" >&2; exit 1; }

# EXE: a server binary built elsewhere (for example from an earlier commit, to compare);
# ROUTES: the routes to load (an earlier build may not serve /visits).
if [[ -n "${EXE:-}" ]]; then
  exe=$EXE
else
  cargo build --release --quiet --features axum,redis --example test_server
  exe=${CARGO_TARGET_DIR:-target}/release/examples/test_server
fi
ROUTES="${ROUTES:-/greeting /visits}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2; exit 1
}

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

redis_port=$(free_port)
"$redis_server" --port "$redis_port" --bind 127.0.0.1 --dir "$tmp" --save "" \
  --appendonly no --daemonize no --logfile "$tmp/redis.log" &
pids+=($!)
wait_port "$redis_port"

key="load-test-key-0123456789abcdef0123456789abcdef"
auth="Authorization: Basic $(printf 'cobra:pw' | base64)"
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
echo "wrk $(wrk --version 2>&1 | head -n1 | awk '{print $2}'), ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION} s each; $(nproc) cores"
printf '\n| route | setup | requests/s | p50 ms | p99 ms | p99.9 ms | errors | requests | server CPU µs/request | throughput vs no layer |\n'
printf '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for route in $ROUTES; do
baseline=""
for mode in "no session layer" "layer + memory store" "layer + Redis store" \
  "layer + memory store + registry" "layer + Redis store + registry"; do
  port=$(free_port)
  env=(SESSIONLIB_DEV=1 SESSIONLIB_SECRET_KEY="$key" PORT="$port")
  case "$mode" in
    "no session layer") env+=(SESSIONLIB_NO_SESSIONS=1) ;;
    *Redis*) env+=(SESSIONLIB_REDIS_URL="redis://127.0.0.1:$redis_port/") ;;
  esac
  case "$mode" in
    *registry) ;;
    *) env+=(SESSIONLIB_REGISTRY=0) ;;
  esac
  env "${env[@]}" "$exe" >"$tmp/server.log" 2>&1 &
  server=$!
  pids+=("$server")
  wait_port "$port"
  cookie=()
  if [[ "$mode" != "no session layer" ]]; then
    curl -sf -o /dev/null -c "$tmp/jar" -d username=cobra "http://127.0.0.1:$port/login"
    value=$(awk '$6 == "session" {print $7}' "$tmp/jar")
    [[ -n "$value" ]] || { echo "no session cookie from POST /login" >&2; exit 1; }
    cookie=(-H "Cookie: session=$value")
    # The cookie is valid and logged in.
    curl -sf "${cookie[@]}" "http://127.0.0.1:$port/" | grep -q "Logged in as cobra"
    # /visits reads the session and sends no new cookie.
    if [[ "$route" == /visits ]] && curl -sf -D - -o /dev/null -H "$auth" "${cookie[@]}" \
      "http://127.0.0.1:$port/visits" | grep -qi '^set-cookie'; then
      echo "GET /visits sent a new cookie" >&2; exit 1
    fi
  fi
  # Warm up, then measure.
  wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -H "$auth" "${cookie[@]}" "http://127.0.0.1:$port$route" >/dev/null
  ticks_before=$(cpu_ticks "$server")
  line=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" -H "$auth" "${cookie[@]}" \
    -s benches/wrk_report.lua "http://127.0.0.1:$port$route" | grep '^RESULT')
  ticks_after=$(cpu_ticks "$server")
  read -r _ rps p50 p99 p999 errors requests <<<"$line"
  cpu=$(awk -v t="$((ticks_after - ticks_before))" -v hz="$hz" -v n="$requests" \
    'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  if [[ -z "$baseline" ]]; then baseline=$rps; fi
  ratio=$(awk -v a="$rps" -v b="$baseline" 'BEGIN { printf "%.1f%%", 100 * a / b }')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$route" "$mode" "$rps" "$p50" "$p99" "$p999" "$errors" "$requests" "$cpu" "$ratio"
  kill "$server"
  wait "$server" 2>/dev/null || true
done
done
