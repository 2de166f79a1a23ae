#!/usr/bin/env bash
# AOF fsync policies compared: `redis-benchmark -q -t set -n 100000 -c 50` against this server
# (release build) with appendonly no / everysec / always, and against Redis 7 configured the same.
# A benchmark, not a test: run it by hand on a quiet machine and read the requests per second.
#
#   tests/bench/aof_policies.sh [requests] [clients]
#
# Needs redis-server and redis-benchmark on PATH. Uses ports 26380-26381 and a temp dir.
set -euo pipefail

N=${1:-100000}
C=${2:-50}
OURS_PORT=26380
REDIS_PORT=26381
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin server
SERVER="$ROOT/target/release/server"

wait_port() {
    for _ in $(seq 1 100); do
        redis-cli -p "$1" PING >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    return 1
}

bench() {
    redis-benchmark -p "$1" -q -t set -n "$N" -c "$C" 2>/dev/null | tr '\r' '\n' | grep -E '^SET: [0-9.]+ requests' | tail -1 |
        sed -E 's/^SET: ([0-9.]+) requests per second.*/\1/'
}

printf '%-12s %16s %16s\n' "appendfsync" "rust-redis SET/s" "redis 7 SET/s"
for mode in no everysec always; do
    rm -rf "$WORK"/*
    mkdir -p "$WORK/ours" "$WORK/redis"
    if [ "$mode" = no ]; then aof=(--appendonly no); raof=(--appendonly no); label="off"; else
        aof=(--appendonly yes --appendfsync "$mode"); raof=(--appendonly yes --appendfsync "$mode"); label="$mode"; fi
    "$SERVER" --port $OURS_PORT --bind 127.0.0.1 --dir "$WORK/ours" --loglevel warning "${aof[@]}" 2>/dev/null &
    ours=$!
    wait_port $OURS_PORT
    ours_rps=$(bench $OURS_PORT)
    kill "$ours"; wait "$ours" 2>/dev/null || true

    redis-server --port $REDIS_PORT --bind 127.0.0.1 --dir "$WORK/redis" --save '' "${raof[@]}" \
        --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
    wait_port $REDIS_PORT
    redis_rps=$(bench $REDIS_PORT)
    redis-cli -p $REDIS_PORT SHUTDOWN NOSAVE >/dev/null 2>&1 || true

    printf '%-12s %16s %16s\n' "$label" "$ours_rps" "$redis_rps"
done
