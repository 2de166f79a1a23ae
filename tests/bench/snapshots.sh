#!/usr/bin/env bash
# Snapshots and full syncs of 1,000,000 keys: rust-redis beside Redis 7, in one run. A benchmark,
# not a test: run it by hand on a quiet machine.
#
#   tests/bench/snapshots.sh [--keys N] [--no-build] [--ports OURS,REDIS,REPLICA]
#
# For each server (Redis first): load N string keys, then
# - BGSAVE: the time until `rdb_bgsave_in_progress:0`, and the peak extra memory (RSS growth,
#   plus Redis's child's copy-on-write, `rdb_last_cow_size`) while 50 clients SET the same keys;
# - a full sync: a fresh replica of the same kind (`REPLICAOF`) until its `master_link_status:up`
#   and its DBSIZE is N, the master's peak extra RSS, and the worst GET latency 50 clients of the
#   master saw meanwhile;
# - replica lag: while 50 clients SET on the master, the master's offset minus the replica's
#   applied offset, sampled every 10 ms (p50, p99, max, in bytes).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KEYS=1000000
PORTS=7431,7432,7433
BUILD=
while (($#)); do
  case $1 in
    --keys) KEYS=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --no-build) BUILD=--no-build; shift ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done
need redis-server redis-cli redis-benchmark python3
build_server $BUILD
make_scratch
IFS=, read -r MASTER_PORT _ REPLICA_PORT <<<"$PORTS"

run_kind() {
  local kind=$1
  start "$kind" "$MASTER_PORT" "$SCRATCH/$kind-master"
  local master=$PID
  python3 "$SCRATCH/measure.py" "$kind" "$MASTER_PORT" "$master" "$KEYS" bgsave
  start "$kind" "$REPLICA_PORT" "$SCRATCH/$kind-replica"
  local replica=$PID
  python3 "$SCRATCH/measure.py" "$kind" "$MASTER_PORT" "$master" "$KEYS" sync "$REPLICA_PORT"
  python3 "$SCRATCH/measure.py" "$kind" "$MASTER_PORT" "$master" "$KEYS" lag "$REPLICA_PORT"
  stop "$replica"
  stop "$master"
}

cat >"$SCRATCH/measure.py" <<'PY'
import csv, io, statistics, subprocess, sys, threading, time

kind, port, pid, keys, what = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
replica = int(sys.argv[6]) if len(sys.argv) > 6 else None

def cli(p, *args):
    return subprocess.run(["redis-cli", "-p", str(p), *map(str, args)], capture_output=True, timeout=600).stdout.decode().strip()

def info(p, field):
    for line in cli(p, "INFO", "all").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None

def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0

def bench(test, n=50000):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", test, "-c", "50", "-n", str(n),
                          "-r", str(keys), "--precision", "3", "--csv"], capture_output=True, timeout=600)
    rows = list(csv.reader(io.StringIO(out.stdout.decode())))
    return float(dict(zip(rows[0], rows[-1]))["max_latency_ms"])

def during(test, work, done):
    """Load from `test` and RSS sampling while `work()` runs until `done()`; returns
    (seconds, peak extra MB, worst latency ms)."""
    stop, worst, base = threading.Event(), [0.0], rss_kb(pid)
    peak = [base]
    def load():
        while not stop.is_set():
            worst[0] = max(worst[0], bench(test, 20000))
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.005)
    ts = [threading.Thread(target=load), threading.Thread(target=sample)]
    for t in ts: t.start()
    time.sleep(0.5)
    began = time.time()
    work()
    while not done():
        time.sleep(0.01)
    took = time.time() - began
    stop.set()
    for t in ts: t.join()
    return took, (peak[0] - base) / 1024, worst[0]

if what == "bgsave":
    cli(port, "FLUSHALL")
    # Every key:N that redis-benchmark's -r picks exists.
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    for i in range(0, keys, 10000):
        p.stdin.write(b"".join(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n" % j for j in range(i, min(i + 10000, keys))))
    p.stdin.close(); p.wait()
    took, extra, worst = during("set", lambda: cli(port, "BGSAVE"),
                                lambda: info(port, "rdb_bgsave_in_progress") == "0")
    extra += int(info(port, "rdb_last_cow_size") or 0) / (1 << 20)
    print(f"{kind:<6} bgsave   {took * 1000:8.0f} ms   extra memory {extra:7.1f} MB   worst SET {worst:7.1f} ms", flush=True)
elif what == "sync":
    if kind == "redis":
        cli(port, "CONFIG", "SET", "repl-diskless-sync-delay", "0")
    up = lambda: info(replica, "master_link_status") == "up" and cli(replica, "DBSIZE") == str(keys)
    took, extra, worst = during("get", lambda: cli(replica, "REPLICAOF", "127.0.0.1", port), up)
    print(f"{kind:<6} sync     {took * 1000:8.0f} ms   master extra {extra:7.1f} MB   worst GET {worst:7.1f} ms", flush=True)
elif what == "lag":
    stop, lags = threading.Event(), []
    def sample():
        while not stop.is_set():
            # The master's offset first, then the replica's own: the difference is at least the
            # true lag at that moment (acknowledgements come only once a second).
            off = int(info(port, "master_repl_offset") or 0)
            applied = int(info(replica, "slave_repl_offset") or 0)
            lags.append(max(0, off - applied))
            time.sleep(0.01)
    t = threading.Thread(target=sample); t.start()
    bench("set", 400000)
    stop.set(); t.join()
    lags.sort()
    q = lambda f: lags[min(len(lags) - 1, int(f * len(lags)))]
    print(f"{kind:<6} lag      p50 {q(0.5):8d} B   p99 {q(0.99):8d} B   max {lags[-1]:8d} B   ({len(lags)} samples)", flush=True)
PY

run_kind redis
run_kind ours
