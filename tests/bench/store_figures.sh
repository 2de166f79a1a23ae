#!/usr/bin/env bash
# The store's figures against Redis 7, as the book and the commit messages quote them:
# resident bytes per key/element (strings, list, set, hash, zset; 1,000,000 each) and
# throughput ratios (redis-benchmark -c 50 -d 3, without and with -P 16).
#
# usage: tests/bench/store_figures.sh [memory|throughput|all] [compare.sh options...]
# Needs redis-server, redis-benchmark, python3 and the shared tools (TOOLS, default
# ../shared/tools relative to the repository, or /work/shared/tools). Builds the release server.
# The machine's other load shows in every figure: run it on a quiet machine and quote medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
what="${1:-all}"; shift || true
TOOLS="${TOOLS:-$( [ -d ../shared/tools ] && echo ../shared/tools || echo /work/shared/tools )}"
cargo build --release --bin server
SERVER="$PWD/target/release/server"
REDIS='redis@7102=redis-server --port {PORT} --bind 127.0.0.1 --save "" --appendonly no'
OURS="ours@7101=$SERVER --port {PORT} --bind 127.0.0.1 --dir {DIR} --appendonly no"

if [ "$what" = memory ] || [ "$what" = all ]; then
  "$TOOLS/bench-memory.sh" "$REDIS"
  "$TOOLS/bench-memory.sh" "$OURS"
  # Hash and sorted set: one fresh server per variant, so freed memory is not reused.
  for v in hash zset; do
    redis-server --port 7181 --save '' --appendonly no --daemonize yes >/dev/null
    sleep 0.5
    echo -n "redis "; python3 tests/bench/collection_memory.py 7181 "$(pgrep -f 'redis-server.*:7181')" 1000000 "$v"
    redis-cli -p 7181 shutdown nosave >/dev/null 2>&1 || true
    dir=$(mktemp -d)
    "$SERVER" --port 7182 --appendonly no --dir "$dir" >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    echo -n "ours  "; python3 tests/bench/collection_memory.py 7182 "$pid" 1000000 "$v"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
  done
fi

if [ "$what" = throughput ] || [ "$what" = all ]; then
  "$TOOLS/bench-compare.sh" --workloads a,b \
    --tests ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset \
    "$@" "$REDIS" "$OURS"
fi
