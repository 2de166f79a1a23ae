#!/usr/bin/env bash
# Throughput of SET and GET as the number of clients grows (1, 10, 50, 200, 1000, 5000), this
# server beside Redis 7, driven by tests/bench/compare.sh (interleaved rounds, medians, ratios).
# Prints one line per client count and test; the book's scaling table comes from this script.
#
# Usage: tests/bench/scaling.sh [rounds]   (needs redis-server and redis-benchmark; ulimit -n > 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}
for tool in redis-server redis-benchmark; do
    command -v "$tool" >/dev/null || { echo "scaling.sh: skipped: $tool not found" >&2; exit 0; }
done
cargo build --release --bin server -q
echo "clients  test         redis req/s   ours req/s ours/redis  cpu% r/o"
for c in 1 10 50 200 1000 5000; do
    out=$(tests/bench/compare.sh --no-build --workloads a --clients "$c" --tests set,get --rounds "$rounds" \
        --ours-args "--maxclients 10000" --redis-args "--maxclients 10000" 2>&1)
    for t in SET GET; do
        line=$(sed -n '/== workload a/,$p' <<<"$out" | grep -E "^$t " | head -1 || true)
        printf '%7s  %s\n' "$c" "${line:-"$t (no result; compare.sh said: $(tail -1 <<<"$out"))"}"
    done
done
