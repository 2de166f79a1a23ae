#!/usr/bin/env bash
# GET latency from 50 clients while 1,000,000 keys expire at the same instant: rust-redis
# against Redis 7. A benchmark, not a test: run it by hand on a quiet machine.
#
#   tests/bench/expiry_latency.sh [keys]          # default 1,000,000
#
# Needs redis-server, redis-cli, redis-benchmark (Redis 7) and python3; builds the release
# server unless RUST_BIN points at one. Ports: RUST_PORT (7411), REDIS_PORT (7412).
#
# For each server: load `key:000000000000`.. with `SET k v PXAT <T>`, every key due at the same
# T (the names redis-benchmark's `-r` picks for GET), run a baseline GET benchmark while the keys
# are alive, then run the same benchmark from one second before T until well after, and print
# p50/p99/max of both runs and how long the sweep took (INFO stats: expired_keys).
#
# Why this shape: Redis deletes expired keys in a 25 ms slice of every 100 ms during which it
# serves nobody; rust-redis keeps its write lock for at most 1 ms of 20-key rounds, so clients get
# in between. The p99 across the expiry moment, and how long the sweep takes, show the trade.
# (The loader uses `SET .. PXAT` and the sweep is watched through `INFO stats`: it needs the
# string commands' SET options and INFO.)
set -euo pipefail

KEYS=${1:-1000000}
RUST_PORT=${RUST_PORT:-7411}
REDIS_PORT=${REDIS_PORT:-7412}
CLIENTS=50
BASE_REQUESTS=${BASE_REQUESTS:-100000}
# Long enough to span the whole sweep of a million keys on either server.
EXPIRY_REQUESTS=${EXPIRY_REQUESTS:-400000}
LEAD_MS=${LEAD_MS:-45000}   # from the start of the load to the deadline T

cd "$(dirname "$0")/../.."
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z "${RUST_BIN:-}" ]]; then
    cargo build --release --quiet --bin server
    RUST_BIN=target/release/server
fi

now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

wait_for_port() {
    for _ in $(seq 100); do
        redis-cli -p "$1" PING >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    exit 1
}

# The RESP for `SET key:%012d v PXAT <at>`, i in 0..keys.
gen_load() {
    python3 - "$1" "$2" <<'PY'
import sys
n, at = int(sys.argv[1]), sys.argv[2].encode()
out = sys.stdout.buffer
tail = b"$1\r\nv\r\n$4\r\nPXAT\r\n$%d\r\n%s\r\n" % (len(at), at)
for i in range(n):
    out.write(b"*5\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n" % i + tail)
PY
}

expired_keys() {
    redis-cli -p "$1" INFO stats | tr -d '\r' | sed -n 's/^expired_keys://p'
}

# Prints one line: name, requests/s, p50, p99, max (ms), from redis-benchmark's CSV.
bench() {
    local port=$1 name=$2 n=$3
    redis-benchmark -p "$port" -t get -c $CLIENTS -n "$n" -r "$KEYS" --precision 3 --csv \
        >"$WORK/$name.csv" 2>"$WORK/$name.err"
    python3 - "$WORK/$name.csv" "$name" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head, row = rows[0], rows[-1]
v = dict(zip(head, row))
print(f"  {sys.argv[2]:<26} {float(v['rps']):>10.0f} req/s   p50 {v['p50_latency_ms']:>7} ms"
      f"   p99 {v['p99_latency_ms']:>7} ms   max {v['max_latency_ms']:>8} ms")
PY
}

run() {
    local name=$1 port=$2
    echo "== $name (port $port): $KEYS keys expiring at once, $CLIENTS clients doing GET"
    redis-cli -p "$port" FLUSHALL >/dev/null 2>&1 || true
    local start at before
    start=$(now_ms)
    at=$((start + LEAD_MS))
    gen_load "$KEYS" "$at" >"$WORK/load.resp"
    redis-cli -p "$port" --pipe <"$WORK/load.resp" | tail -1
    echo "  loaded in $(( $(now_ms) - start )) ms; keys due at T = +$LEAD_MS ms"
    bench "$port" "$name baseline (alive)" "$BASE_REQUESTS"
    if (( $(now_ms) > at - 1500 )); then
        echo "  the load and baseline ran past T - 1.5 s: raise LEAD_MS" >&2
        exit 1
    fi
    before=$(expired_keys "$port")
    python3 -c "import time; time.sleep(max(0, ($at - 1000) / 1000 - time.time()))"
    # Watch the sweep from the side: when has every key been deleted?
    (
        while (( $(expired_keys "$port") - before < KEYS )); do sleep 0.05; done
        echo "  sweep finished T + $(( $(now_ms) - at )) ms"
    ) &
    local watcher=$!
    bench "$port" "$name across expiry" "$EXPIRY_REQUESTS"
    wait "$watcher"
    redis-cli -p "$port" INFO stats | tr -d '\r' | grep -E '^(expired_stale_perc|expired_time_cap_reached_count|expire_cycle_cpu_milliseconds):' | sed 's/^/  /'
}

redis-server --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
"$RUST_BIN" --port "$RUST_PORT" --appendonly no --dir "$WORK" >"$WORK/rust.log" 2>&1 &
PIDS+=($!)
wait_for_port "$REDIS_PORT"
wait_for_port "$RUST_PORT"

run "redis-7" "$REDIS_PORT"
run "rust-redis" "$RUST_PORT"
