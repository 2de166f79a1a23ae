#!/usr/bin/env bash
# The store's figures against Redis 7, as the book and the commit messages quote them:
# resident bytes per key/element (strings, list, set, hash, zset; 1,000,000 each) and
# throughput ratios (redis-benchmark -c 50 -d 3, without and with -P 16).
#
# usage: tests/bench/store_figures.sh [memory|throughput|all] [compare.sh options...]
# Needs redis-server, redis-benchmark and python3 (memory.sh and compare.sh, beside this file,
# say so and stop when one is missing). Builds the release server.
# The machine's other load shows in every figure: run it on a quiet machine and quote medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
what="${1:-all}"; shift || true
cargo build --release --bin server -q

if [ "$what" = memory ] || [ "$what" = all ]; then
  # A fresh server per variant and per server, so freed memory is never reused.
  tests/bench/memory.sh --no-build --variants strings,list,set,hash,zset
fi

if [ "$what" = throughput ] || [ "$what" = all ]; then
  tests/bench/compare.sh --no-build --workloads a,b \
    --tests ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset \
    "$@"
fi
