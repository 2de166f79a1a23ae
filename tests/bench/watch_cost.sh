#!/usr/bin/env bash
# What WATCH costs a writer: SET throughput with nobody watching, then with one idle client
# watching 10,000 of the keys the benchmark writes (redis-benchmark's key:<12 digits> names).
# Rounds alternate the two cases so machine noise hits both alike.
#
# Usage: tests/bench/watch_cost.sh [rounds]   (builds the release server; needs redis-benchmark)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
cargo build --release --bin server -q
dir=$(mktemp -d)
port=7480
target/release/server --port $port --dir "$dir" --appendonly no >"$dir/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done

bench() {
    redis-benchmark -p $port -t set -n 200000 -c 50 -r 100000 -q 2>/dev/null | tr '\r' '\n' |
        grep -o 'SET: [0-9.]* requests per second' | awk '{print $2}'
}

# The watcher: WATCH key:000000000000 .. key:000000009999 in one command, then stay idle.
watcher() {
    python3 - "$port" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
keys = [b"key:%012d" % i for i in range(10000)]
parts = [b"*%d\r\n$5\r\nWATCH\r\n" % (len(keys) + 1)]
parts += [b"$%d\r\n%s\r\n" % (len(k), k) for k in keys]
s.sendall(b"".join(parts))
assert s.recv(100).startswith(b"+OK")
time.sleep(3600)
PY
    # (The watcher's output goes nowhere, so that `$(watcher)` returns at once.)
    echo $!
}

echo "round  no-watch SET/s  10k-watched SET/s"
for r in $(seq "$rounds"); do
    a=$(bench)
    w=$(watcher)
    sleep 0.5
    b=$(bench)
    kill "$w" 2>/dev/null || true
    wait "$w" 2>/dev/null || true
    printf '%5d  %14s  %17s\n' "$r" "$a" "$b"
done
