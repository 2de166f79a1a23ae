#!/usr/bin/env bash
# compare.sh — throughput and latency of this server beside Redis 7, command by command, driven by
# the real `redis-benchmark`. Both servers are started fresh for every round, the two take turns
# on every run, and the table shows medians over the rounds and the median ratio ours/Redis.
# The Benchmarks chapter's tables come from this script (see --help).
set -u -o pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: tests/bench/compare.sh [options]

Builds the release server, then for every round starts this server and redis-server on two
loopback ports (fresh data directories, persistence off), runs every workload and test against
both, one after the other (Redis first in odd rounds, ours first in even ones, so that neither
always runs on a warmer machine), and stops both. Prints per workload the median requests per
second of each, the median over rounds of the ratio ours/Redis and each server's CPU use;
workload c adds p50/p99 latency in milliseconds.

Workloads (--workloads, default a,b,c)
  a  CLIENTS clients, no pipelining            (default 50 clients, 60000 requests)
  b  CLIENTS clients, PIPELINE in flight each  (default -P 16, 600000 requests)
  c  1 client, no pipelining: latency          (default 6000 requests)

Tests (--tests, default ping,set,get,incr,lpush,sadd,lrange_100)
  Any redis-benchmark -t name: ping set get incr lpush rpush lpop rpop sadd hset spop zadd
  zpopmin mset ... "ping" is sent as an array (redis-benchmark's PING_MBULK). "lrange_100" is
  LRANGE 0 99 of a 100-element list pushed once per server start, not redis-benchmark's own
  LRANGE test, whose prefill would be measured with it; it runs half the requests of a and c,
  a sixth of b's. The key of a push test (mylist, myset, myzset, myhash) is deleted before it.
  "bitfield_incrby" is BITFIELD bits:<random> INCRBY u5 #3 1 (bits 15-19), a field straddling two bytes of
  random keys, as "incr" counts on random keys.

Options
  --tests LIST          tests to run
  --workloads LIST      workloads to run
  --rounds N            rounds (default 3; quote medians of 3 or more)
  -n, --requests A,B,C  requests of workloads a, b and c (a single number sets all three)
  --clients N           clients of workloads a and b (default 50)
  --pipeline P          pipeline depth of workload b (default 16)
  --data-size D         value size in bytes (default 3)
  --keyspace R          redis-benchmark -r: random keys below R (default 100000; 0: one key)
  --aof POLICY          both servers with appendonly yes and appendfsync POLICY (always,
                        everysec, no); default: appendonly no
  --ours-args "ARGS"    more arguments for this server (e.g. "--client-sched-batch no")
  --redis-args "ARGS"   more arguments for redis-server (e.g. "--maxclients 10000")
  --server-cpus LIST    pin both servers to these CPUs (taskset -c LIST)
  --client-cpus LIST    pin redis-benchmark to these CPUs
  --max-run-seconds S   a run still going after S seconds is stopped and shown as "timeout"
                        (default 30)
  --ports OURS,REDIS    loopback ports (default 7101,7102)
  --out DIR             keep runs.csv (every run) and table.txt in DIR
  --no-build            use target/release/server as it is
  -h, --help            this text

Needs redis-server, redis-benchmark, redis-cli (Debian: redis-server, redis-tools) and python3;
without them it says so and exits 0. Runs take about 1-2 s each against Redis on a 2-core
machine: the defaults (7 tests, 3 workloads, 3 rounds, 2 servers) take about 4 minutes.
USAGE
}

TESTS=ping,set,get,incr,lpush,sadd,lrange_100 WORKLOADS=a,b,c ROUNDS=3 REQ=60000,600000,6000
CLIENTS=50 PIPELINE=16 DSIZE=3 KEYSPACE=100000 AOF= OURS_ARGS= REDIS_ARGS= SERVER_CPUS=
CLIENT_CPUS= CAP=30 PORTS=7101,7102 OUT= BUILD=
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --tests) TESTS=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -n|--requests) REQ=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --pipeline) PIPELINE=$2; shift 2 ;;
    --data-size) DSIZE=$2; shift 2 ;;
    --keyspace) KEYSPACE=$2; shift 2 ;;
    --aof) AOF=$2; shift 2 ;;
    --ours-args) OURS_ARGS=$2; shift 2 ;;
    --redis-args) REDIS_ARGS=$2; shift 2 ;;
    --server-cpus) SERVER_CPUS=$2; shift 2 ;;
    --client-cpus) CLIENT_CPUS=$2; shift 2 ;;
    --max-run-seconds) CAP=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --no-build) BUILD=--no-build; shift ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $REQ == *,* ]] || REQ=$REQ,$REQ,$REQ
IFS=, read -r NA NB NC <<< "$REQ"
IFS=, read -r OURS_PORT REDIS_PORT <<< "$PORTS"
IFS=, read -r -a TEST_LIST <<< "$TESTS"
IFS=, read -r -a WL_LIST <<< "$WORKLOADS"
((ROUNDS >= 1)) || die "--rounds must be at least 1"
((ROUNDS >= 3)) || note "fewer than 3 rounds: the medians are weak"
case $AOF in
  '') PERSIST=() ;;
  always|everysec|no) PERSIST=(--appendonly yes --appendfsync "$AOF") ;;
  *) die "--aof wants always, everysec or no" ;;
esac
read -r -a EXTRA_OURS <<< "$OURS_ARGS"
read -r -a EXTRA_REDIS <<< "$REDIS_ARGS"
[[ -n $SERVER_CPUS ]] && PIN=(taskset -c "$SERVER_CPUS")
CLIENT_PIN=()
[[ -n $CLIENT_CPUS ]] && CLIENT_PIN=(taskset -c "$CLIENT_CPUS")

need redis-server redis-benchmark redis-cli python3
build_server $BUILD
make_scratch
RUNS=$SCRATCH/runs.csv
echo "round,workload,test,server,clients,pipeline,requests,status,rps,p50_ms,p99_ms,cpu_pct" > "$RUNS"

# requests WORKLOAD TEST: how many requests one run sends.
requests() {
  local n
  case $1 in a) n=$NA ;; b) n=$NB ;; c) n=$NC ;; esac
  if [[ $2 == lrange_100 ]]; then
    if [[ $1 == b ]]; then n=$((n / 6)); else n=$((n / 2)); fi
  fi
  ((n >= CLIENTS)) || n=$CLIENTS
  echo "$n"
}

# run ROUND WORKLOAD TEST NAME PORT PID: one redis-benchmark run, appended to runs.csv.
run() {
  local round=$1 wl=$2 test=$3 name=$4 port=$5 pid=$6 c=$CLIENTS p=1 n args line rc t0 t1 c0 c1
  [[ $wl == c ]] && c=1
  [[ $wl == b ]] && p=$PIPELINE
  n=$(requests "$wl" "$test")
  args=(-h 127.0.0.1 -p "$port" -c "$c" -n "$n" -d "$DSIZE" -P "$p" --csv)
  ((KEYSPACE > 0)) && args+=(-r "$KEYSPACE")
  case $test in
    ping) args+=(-t ping_mbulk) ;;
    lrange_100) args+=(LRANGE bench:lrange 0 99) ;;
    bitfield_incrby) args+=(BITFIELD "bits:__rand_int__" INCRBY u5 "#3" 1) ;;
    lpush|rpush) cli "$port" DEL mylist > /dev/null; args+=(-t "$test") ;;
    sadd) cli "$port" DEL myset > /dev/null; args+=(-t "$test") ;;
    zadd) cli "$port" DEL myzset > /dev/null; args+=(-t "$test") ;;
    hset) cli "$port" DEL myhash > /dev/null; args+=(-t "$test") ;;
    *) args+=(-t "$test") ;;
  esac
  t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
  "${CLIENT_PIN[@]}" timeout "$CAP" redis-benchmark "${args[@]}" > "$SCRATCH/out" 2> "$SCRATCH/err"
  rc=$?
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
  # --csv prints a header, then "TEST","rps","avg","min","p50","p95","p99","max". The test name
  # has no comma ("MSET (10 keys)" has spaces), so everything after the first comma is figures.
  line=$(sed -n 2p "$SCRATCH/out" | tr -d '"')
  local status=ok rps=NA p50=NA p99=NA cpu
  if ((rc == 124)); then
    status=timeout
  elif ((rc != 0)) || [[ -z $line ]]; then
    status=error
    head -3 "$SCRATCH/err" >&2
  else
    IFS=, read -r rps _ _ p50 _ p99 _ <<< "${line#*,}"
  fi
  cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
    'BEGIN { printf "%.0f", (b - a) / hz / (t1 - t0) * 100 }')
  echo "$round,$wl,$test,$name,$c,$p,$n,$status,$rps,$p50,$p99,$cpu" >> "$RUNS"
  printf '  r%s %s %-10s %-5s %-7s %10s req/s  p50 %s p99 %s ms  cpu %s%%\n' \
    "$round" "$wl" "$test" "$name" "$status" "$rps" "$p50" "$p99" "$cpu" >&2
}

# prefill PORT: the list that lrange_100 reads, DSIZE bytes per element.
prefill() {
  local v elems=() i
  v=$(printf '%*s' "$DSIZE" '' | tr ' ' x)
  for ((i = 0; i < 100; i++)); do elems+=("$v"); done
  [[ $(cli "$1" RPUSH bench:lrange "${elems[@]}") == 100 ]] || die "could not fill bench:lrange on port $1"
}

note "redis-benchmark $(redis-benchmark --version | awk '{ print $2 }'), $(nproc) CPUs," \
  "load $(cut -d' ' -f1-3 /proc/loadavg); rounds $ROUNDS, workloads $WORKLOADS, tests $TESTS"
for ((round = 1; round <= ROUNDS; round++)); do
  note "round $round/$ROUNDS"
  start ours "$OURS_PORT" "$SCRATCH/r$round/ours" "${PERSIST[@]}" "${EXTRA_OURS[@]}"
  ours_pid=$PID
  start redis "$REDIS_PORT" "$SCRATCH/r$round/redis" "${PERSIST[@]}" "${EXTRA_REDIS[@]}"
  redis_pid=$PID
  [[ " ${TEST_LIST[*]} " == *" lrange_100 "* ]] && { prefill "$OURS_PORT"; prefill "$REDIS_PORT"; }
  for wl in "${WL_LIST[@]}"; do
    for test in "${TEST_LIST[@]}"; do
      if ((round % 2)); then
        run "$round" "$wl" "$test" redis "$REDIS_PORT" "$redis_pid"
        run "$round" "$wl" "$test" ours "$OURS_PORT" "$ours_pid"
      else
        run "$round" "$wl" "$test" ours "$OURS_PORT" "$ours_pid"
        run "$round" "$wl" "$test" redis "$REDIS_PORT" "$redis_pid"
      fi
    done
  done
  stop "$ours_pid"
  stop "$redis_pid"
done

TABLE=$SCRATCH/table.txt
python3 - "$RUNS" "$CLIENTS" "$PIPELINE" "$DSIZE" > "$TABLE" <<'PY'
import csv, statistics, sys
runs, clients, pipeline, dsize = sys.argv[1:5]
rows = list(csv.DictReader(open(runs)))
def med(xs):
    xs = [float(x) for x in xs if x not in ("NA", "")]
    return statistics.median(xs) if xs else None
def fmt(x, spec=".0f"):
    return "-" if x is None else format(x, spec)
title = {"a": f"{clients} clients, no pipelining", "b": f"{clients} clients, -P {pipeline}",
         "c": "1 client, no pipelining (latency)"}
for wl in dict.fromkeys(r["workload"] for r in rows):
    print(f"\n== workload {wl}: {title[wl]}, {dsize}-byte values; medians of {len({r['round'] for r in rows})} round(s)")
    head = f"{'test':<11} {'redis req/s':>12} {'ours req/s':>12} {'ours/redis':>10} {'cpu% r/o':>9}"
    if wl == "c":
        head += f"  {'redis p50/p99':>14}  {'ours p50/p99':>14}"
    print(head)
    for test in dict.fromkeys(r["test"] for r in rows if r["workload"] == wl):
        by = {s: [r for r in rows if r["workload"] == wl and r["test"] == test and r["server"] == s]
              for s in ("redis", "ours")}
        ok = {s: [r for r in by[s] if r["status"] == "ok"] for s in by}
        # The ratio is taken within each round, where both servers saw the same machine.
        pairs = {}
        for s in ok:
            for r in ok[s]:
                pairs.setdefault(r["round"], {})[s] = float(r["rps"])
        ratios = [p["ours"] / p["redis"] for p in pairs.values() if len(p) == 2 and p["redis"] > 0]
        cells = []
        for s in ("redis", "ours"):
            rps = med(r["rps"] for r in ok[s])
            cells.append(fmt(rps) if rps is not None else "/".join(sorted({r["status"] for r in by[s]})))
        ratio = fmt(statistics.median(ratios), ".2f") if ratios else "-"
        cpu = "/".join(fmt(med(r["cpu_pct"] for r in ok[s])) for s in ("redis", "ours"))
        line = f"{test.upper():<11} {cells[0]:>12} {cells[1]:>12} {ratio:>10} {cpu:>9}"
        if wl == "c":
            for s in ("redis", "ours"):
                lat = f"{fmt(med(r['p50_ms'] for r in ok[s]), '.3f')}/{fmt(med(r['p99_ms'] for r in ok[s]), '.3f')}"
                line += f"  {lat:>14}"
        print(line)
print("\nours/redis: median over rounds of the ratio within a round; cpu%: of one core, server process")
PY
cat "$TABLE"
if [[ -n $OUT ]]; then
  mkdir -p "$OUT" && cp "$RUNS" "$TABLE" "$OUT"/ && note "wrote $OUT/runs.csv and $OUT/table.txt"
fi
