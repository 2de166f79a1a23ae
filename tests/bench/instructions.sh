#!/usr/bin/env bash
# Instructions per command, this server beside Redis 7, counted by valgrind's callgrind: unlike
# times, the counts repeat exactly on a busy machine, so a change that saves work shows even when
# the throughput figures are lost in noise. The book's "what each optimisation bought" table
# comes from this script.
#
# Each server runs under callgrind twice, once for N commands and once for 3N; the difference of
# the two totals, divided by 2N, is the cost of one command, start-up and shutdown cancelling
# out. User-space instructions only: the kernel's share (system calls, context switches) is not
# counted, and the Benchmarks chapter measures it separately with `perf stat`.
#
# usage: [OURS=path/to/server] tests/bench/instructions.sh [test:N:P ...]
#   default: set:20000:16 get:20000:1 hset:20000:16 lpush:20000:16 zadd:20000:16
#            mset:20000:1 lrange_100:5000:1
# OURS: another build of the server to count (an older commit's, to see what a change bought).
# Needs valgrind, redis-server, redis-cli and redis-benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${OURS:-}" ]; then
    cargo build --release --bin server -q
fi
ours="${OURS:-$PWD/target/release/server}"
port=7411
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# total_instructions NAME N TEST P: runs server NAME under callgrind for N commands of TEST.
total_instructions() {
    local name=$1 n=$2 test=$3 pipe=$4 pid
    if [ "$name" = ours ]; then
        valgrind --tool=callgrind --callgrind-out-file="$scratch/cg.out" \
            "$ours" --port "$port" --bind 127.0.0.1 --dir "$scratch" --appendonly no \
            >/dev/null 2>"$scratch/cg.log" &
    else
        valgrind --tool=callgrind --callgrind-out-file="$scratch/cg.out" \
            redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            >/dev/null 2>"$scratch/cg.log" &
    fi
    pid=$!
    for _ in $(seq 300); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.2
    done
    if [ "$test" = lrange_100 ]; then
        # redis-benchmark's own LRANGE test first sends one LPUSH per request to fill its list;
        # a list filled once keeps those LPUSHes out of the count.
        redis-cli -p "$port" rpush mylist $(seq 100) >/dev/null
        redis-benchmark -p "$port" -c 4 -n "$n" -P "$pipe" -q lrange mylist 0 99 >/dev/null 2>&1
    else
        redis-benchmark -p "$port" -c 4 -n "$n" -P "$pipe" -r 1000 -d 3 -t "$test" -q >/dev/null 2>&1
    fi
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" || true
    sed -n 's/.*I *refs: *//p' "$scratch/cg.log" | tr -d ','
}

specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(set:20000:16 get:20000:1 hset:20000:16 lpush:20000:16 zadd:20000:16
    mset:20000:1 lrange_100:5000:1)
printf '%-12s %4s %14s %14s %8s\n' command P "rust-redis" "Redis 7" ours/redis
for spec in "${specs[@]}"; do
    IFS=: read -r test n pipe <<<"$spec"
    declare -A per=()
    for name in ours redis; do
        a=$(total_instructions "$name" "$n" "$test" "$pipe")
        b=$(total_instructions "$name" $((3 * n)) "$test" "$pipe")
        per[$name]=$(((b - a) / (2 * n)))
    done
    printf '%-12s %4s %14s %14s %8s\n' "$test" "$pipe" "${per[ours]}" "${per[redis]}" \
        "$(python3 -c "print(f'{${per[ours]} / ${per[redis]}:.2f}')")"
done
