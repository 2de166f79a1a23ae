#!/usr/bin/env bash
# Throughput of SET and GET as the number of clients grows (1, 10, 50, 200, 1000, 5000), this
# server beside Redis 7, driven by ../shared/tools/bench-compare.sh (interleaved rounds, medians,
# ratios). Prints one line per client count; the book's scaling table comes from this script.
#
# Usage: tests/bench/scaling.sh [rounds]   (needs redis-server and redis-benchmark; ulimit -n > 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}
compare=../shared/tools/bench-compare.sh
cargo build --release --bin server -q
ours="ours@7101=$PWD/target/release/server --port {PORT} --bind 127.0.0.1 --dir {DIR} --appendonly no --maxclients 10000"
redis='redis@7102=redis-server --port {PORT} --bind 127.0.0.1 --save "" --appendonly no --maxclients 10000'
echo "clients  test  redis ops/s (min-max) cpu%   ours ops/s (min-max) cpu%   ours/redis"
for c in 1 10 50 200 1000 5000; do
    out=$("$compare" --workloads a --clients "$c" --tests set,get --rounds "$rounds" "$redis" "$ours" 2>&1)
    for t in SET GET; do
        line=$(sed -n '/== workload a/,$p' <<<"$out" | grep -E "^$t " | head -1 || true)
        printf '%7s  %s\n' "$c" "${line:-"$t (no result: see bench-compare's logs)"}"
    done
done
