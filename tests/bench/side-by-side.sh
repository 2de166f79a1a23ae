#!/usr/bin/env bash
# side-by-side.sh — run src/bin/benchmark/ against real Redis and this server, interleaved,
# and print one table: throughput with 50 clients, with pipelining, and single-client latency.
# See --help. The book's figures come from tests/bench/compare.sh (redis-benchmark);
# this script is the classroom version, with latency percentiles.
set -u -o pipefail

usage() {
  cat <<'USAGE'
Usage: tests/bench/side-by-side.sh [options]

Builds the release `server` and `benchmark` binaries, starts `redis-server` and this server on
two local ports (AOF and snapshots off on both), runs the same benchmark against each, one after
the other, for every round, and prints the median of the rounds per workload and test.

Workloads
  a  -c 50 -n REQ_A             (throughput, no pipelining)
  b  -c 50 -n REQ_B -P 16       (throughput, pipelining)
  c  -c 1  -n REQ_C             (latency of one client alone: p50/p99)

Options
  --tests LIST      tests (default ping,set,get; any list `benchmark -t` accepts)
  --rounds N        rounds, each running every target once per workload and test (default 3)
  --redis-port P    port for redis-server (default 7399)
  --ours-port P     port for this server (default 7398)
  --requests A,B,C  requests of workloads a, b, c (default 100000,500000,20000)
  --keyspace R      benchmark -r (default 100000)
  --no-build        use the binaries already in target/release
  -h, --help        this text
USAGE
}

TESTS=ping,set,get ROUNDS=3 RPORT=7399 OPORT=7398 REQ=100000,500000,20000 KEYSPACE=100000 BUILD=1
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --tests) TESTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --redis-port) RPORT=$2; shift 2 ;;
    --ours-port) OPORT=$2; shift 2 ;;
    --requests) REQ=$2; shift 2 ;;
    --keyspace) KEYSPACE=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
IFS=, read -r NA NB NC <<< "$REQ"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
command -v redis-server >/dev/null || { echo "redis-server not found" >&2; exit 1; }
if ((BUILD)); then
  cargo build --release --bin server --bin benchmark || exit 1
fi
BENCH=$ROOT/target/release/benchmark
for port in "$RPORT" "$OPORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use (choose another with --redis-port / --ours-port)" >&2; exit 1
  fi
done

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/side-by-side.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Both in the foreground of a background job, so we know their PIDs and stop only them.
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$SCRATCH" \
  > "$SCRATCH/redis.log" 2>&1 &
PIDS+=($!)
"$ROOT/target/release/server" --port "$OPORT" --bind 127.0.0.1 --appendonly no --dir "$SCRATCH" \
  > "$SCRATCH/ours.log" 2>&1 &
PIDS+=($!)
for port in "$RPORT" "$OPORT"; do
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

RESULTS=$SCRATCH/results.csv
echo "round,workload,target,test,rps,p50_ms,p99_ms,errors" > "$RESULTS"
for ((round = 1; round <= ROUNDS; round++)); do
  for wl in a b c; do
    case $wl in
      a) args=(-c 50 -n "$NA") ;;
      b) args=(-c 50 -n "$NB" -P 16) ;;
      c) args=(-c 1 -n "$NC") ;;
    esac
    for target in redis ours; do
      port=$RPORT; [[ $target == ours ]] && port=$OPORT
      echo "round $round/$ROUNDS, workload $wl, $target" >&2
      "$BENCH" -p "$port" "${args[@]}" -r "$KEYSPACE" -t "$TESTS" --csv 2> "$SCRATCH/err" |
        tail -n +2 | tr -d '"' |
        awk -F, -v r="$round" -v w="$wl" -v t="$target" '{ print r "," w "," t "," $1 "," $2 "," $5 "," $6 "," $9 }' \
        >> "$RESULTS" || { cat "$SCRATCH/err" >&2; exit 1; }
      grep -v '^warning' "$SCRATCH/err" >&2
    done
  done
done

python3 - "$RESULTS" <<'PY'
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = lambda xs: st.median(float(x) for x in xs)
desc = {"a": "50 clients", "b": "50 clients, -P 16", "c": "1 client"}
tests = list(dict.fromkeys(r["test"] for r in rows))
print(f"{'workload':<20} {'test':<6} {'redis req/s':>12} {'ours req/s':>12} {'ours/redis':>10}"
      f"  {'redis p50/p99 ms':>17}  {'ours p50/p99 ms':>17}")
for wl in "abc":
    for t in tests:
        sel = {n: [r for r in rows if r["workload"] == wl and r["test"] == t and r["target"] == n]
               for n in ("redis", "ours")}
        if not sel["redis"] or not sel["ours"]:
            continue
        rps = {n: med(r["rps"] for r in sel[n]) for n in sel}
        lat = {n: f"{med(r['p50_ms'] for r in sel[n]):.3f}/{med(r['p99_ms'] for r in sel[n]):.3f}" for n in sel}
        errs = {n: sum(int(r["errors"]) for r in sel[n]) for n in sel}
        note = "".join(f"  ({n}: {errs[n]} error replies)" for n in sel if errs[n])
        print(f"{desc[wl]:<20} {t:<6} {rps['redis']:>12.0f} {rps['ours']:>12.0f} {rps['ours'] / rps['redis']:>10.2f}"
              f"  {lat['redis']:>17}  {lat['ours']:>17}{note}")
print(f"median of {len(set(r['round'] for r in rows))} round(s); latency from the write of a batch to each of its replies")
PY
