#!/usr/bin/env bash
# The longest a client waits while the server does heavy work in the background: rust-redis
# beside Redis 7, scenario by scenario, in one run. A benchmark, not a test: run it by hand on a
# quiet machine.
#
#   tests/bench/pauses.sh [--keys N] [--members N] [--no-build] [--ports OURS,REDIS]
#                         [--ours-args "ARGS"]   (e.g. "--client-sched-batch no")
#
# Both servers are loaded with N string keys (1,000,000) and one set of N members (1,000,000),
# with the AOF on (`appendfsync everysec`). Then, for each scenario, Redis first and this server
# second, 50 clients of redis-benchmark run from a second before the work starts until a second
# after it ends, in back-to-back half-second rounds, and the script prints the clients' p50,
# p99 and max latency over those rounds (p50: median of the rounds; p99 and max: the worst
# round), how long the work took, and for the rewrite the peak extra memory:
#
# | scenario | the work | load |
# |---|---|---|
# | idle | nothing: the baseline | GET |
# | rewrite | `BGREWRITEAOF`, until `aof_rewrite_in_progress:0` | SET over the same keys |
# | unlink | `UNLINK` of the big set, until `lazyfree_pending_objects:0` | GET |
# | flushall | `FLUSHALL` (synchronous, the default) | GET |
# | expiry | the N keys, loaded again with one deadline, until `DBSIZE` is 0 | GET |
#
# Extra memory during the rewrite: for Redis, the copy-on-write bytes its child reports
# (`aof_last_cow_size`) plus the parent's RSS growth; here, the RSS growth (there is no child:
# the snapshot shares memory and writers copy what they change). Sampled every 5 ms.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KEYS=1000000
MEMBERS=1000000
PORTS=7421,7422
BUILD=
OURS_ARGS=
while (($#)); do
  case $1 in
    --keys) KEYS=$2; shift 2 ;;
    --members) MEMBERS=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --no-build) BUILD=--no-build; shift ;;
    --ours-args) OURS_ARGS=$2; shift 2 ;;
    *) sed -n '2,25p' "$0"; exit 2 ;;
  esac
done
need redis-server redis-cli redis-benchmark python3
build_server $BUILD
make_scratch
OURS_PORT=${PORTS%,*}
REDIS_PORT=${PORTS#*,}
start redis "$REDIS_PORT" "$SCRATCH/redis" --appendonly yes --appendfsync everysec
REDIS_PID=$PID
read -r -a EXTRA_OURS <<< "$OURS_ARGS"
start ours "$OURS_PORT" "$SCRATCH/ours" --appendonly yes --appendfsync everysec "${EXTRA_OURS[@]}"
OURS_PID=$PID

python3 - "$KEYS" "$MEMBERS" "$REDIS_PORT" "$REDIS_PID" "$OURS_PORT" "$OURS_PID" "$SCRATCH" <<'PY'
import csv, io, os, statistics, subprocess, sys, threading, time

keys, members = int(sys.argv[1]), int(sys.argv[2])
servers = [("redis", int(sys.argv[3]), int(sys.argv[4])), ("ours", int(sys.argv[5]), int(sys.argv[6]))]
scratch = sys.argv[7]
CLIENTS = 50

def cli(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port), *map(str, args)], capture_output=True, timeout=600)
    return out.stdout.decode().strip()

def info(port, field):
    for line in cli(port, "INFO", "all").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None

def rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

def pipe(port, chunks):
    """Feeds RESP to redis-cli --pipe, generated in pieces."""
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL)
    for c in chunks:
        p.stdin.write(c)
    p.stdin.close()
    p.wait()

def resp(*words):
    out = [b"*%d\r\n" % len(words)]
    for w in words:
        w = w if isinstance(w, bytes) else str(w).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(w), w))
    return b"".join(out)

def strings(pxat=None):
    tail = b"" if pxat is None else b"$4\r\nPXAT\r\n$%d\r\n%d\r\n" % (len(str(pxat)), pxat)
    head = b"*3\r\n" if pxat is None else b"*5\r\n"
    buf = []
    for i in range(keys):
        buf.append(head + b"$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n" % i + tail)
        if len(buf) == 10000:
            yield b"".join(buf); buf = []
    yield b"".join(buf)

def big_set():
    for start in range(0, members, 1000):
        yield resp("SADD", "bigset", *range(start, min(start + 1000, members)))

def bench_round(port, test):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", test, "-c", str(CLIENTS),
                          "-n", "20000", "-r", str(keys), "--precision", "3", "--csv"],
                         capture_output=True, timeout=600)
    rows = list(csv.reader(io.StringIO(out.stdout.decode())))
    v = dict(zip(rows[0], rows[-1]))
    return float(v["p50_latency_ms"]), float(v["p99_latency_ms"]), float(v["max_latency_ms"])

def measure(name, port, pid, test, work, done):
    """Rounds of load from 1 s before `work()` until 1 s after `done()` is true."""
    rounds, stop = [], threading.Event()
    def load():
        while not stop.is_set():
            rounds.append(bench_round(port, test))
    base_rss = rss_kb(pid)
    peak = [base_rss]
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.005)
    threads = [threading.Thread(target=load), threading.Thread(target=sample)]
    for t in threads: t.start()
    time.sleep(1)
    began = time.time()
    work()
    while not done():
        time.sleep(0.01)
    took = time.time() - began
    time.sleep(1)
    stop.set()
    for t in threads: t.join()
    p50 = statistics.median(r[0] for r in rounds)
    p99 = max(r[1] for r in rounds)
    mx = max(r[2] for r in rounds)
    return {"p50": p50, "p99": p99, "max": mx, "took": took, "extra_mb": (peak[0] - base_rss) / 1024}

results = {}
def run(scenario, server, test, work, done, before=None):
    kind, port, pid = server
    if before:
        before(port)
    r = measure(scenario, port, pid, test, lambda: work(port), lambda: done(port))
    if scenario == "rewrite" and kind == "redis":
        r["extra_mb"] += int(info(port, "aof_last_cow_size") or 0) / (1 << 20)
    results[(scenario, kind)] = r
    print(f"  {scenario:<9} {kind:<6} p50 {r['p50']:7.3f}  p99 {r['p99']:7.3f}  max {r['max']:8.3f} ms"
          f"   work {r['took'] * 1000:8.0f} ms" + (f"   extra RSS {r['extra_mb']:7.1f} MB" if scenario == "rewrite" else ""),
          flush=True)

def load_all(port):
    pipe(port, strings())
    pipe(port, big_set())
    cli(port, "BGREWRITEAOF")
    while info(port, "aof_rewrite_in_progress") != "0" or info(port, "aof_rewrite_scheduled") != "0":
        time.sleep(0.05)

print(f"loading {keys} keys and a set of {members} members into each server", flush=True)
for _, port, _ in servers:
    load_all(port)

never = lambda port: None
rewrite_done = lambda port: info(port, "aof_rewrite_in_progress") == "0" and info(port, "aof_rewrite_scheduled") == "0"
for s in servers:
    run("idle", s, "get", never, lambda port: True)
for s in servers:
    run("rewrite", s, "set", lambda port: cli(port, "BGREWRITEAOF"), rewrite_done)
for s in servers:
    run("unlink", s, "get", lambda port: cli(port, "UNLINK", "bigset"),
        lambda port: info(port, "lazyfree_pending_objects") in ("0", None))
for s in servers:
    run("flushall", s, "get", lambda port: cli(port, "FLUSHALL"), lambda port: True)
for s in servers:
    at = [0]
    def arm(port):
        # Room for the load: loading a million keys with the AOF on has taken up to 8 s.
        at[0] = int(time.time() * 1000) + 2000 + keys // 100
        pipe(port, strings(pxat=at[0]))
        if time.time() * 1000 > at[0] - 1000:
            print("  (the load ran too close to the deadline: the storm began early)", flush=True)
    def wait_deadline(port):
        time.sleep(max(0, at[0] / 1000 - time.time()))
    run("expiry", s, "get", wait_deadline, lambda port: cli(port, "DBSIZE") == "0", before=arm)

print()
print("| scenario | p99 ours / Redis | max ours / Redis | work ours / Redis | max ours, Redis (ms) |")
print("|---|---:|---:|---:|---:|")
for sc in ["idle", "rewrite", "unlink", "flushall", "expiry"]:
    o, r = results[(sc, "ours")], results[(sc, "redis")]
    ratio = lambda a, b: f"{a / b:.2f}" if b else "-"
    print(f"| {sc} | {ratio(o['p99'], r['p99'])} | {ratio(o['max'], r['max'])} | "
          f"{ratio(o['took'], r['took']) if sc != 'idle' else '-'} | {o['max']:.1f}, {r['max']:.1f} |")
o, r = results[("rewrite", "ours")], results[("rewrite", "redis")]
print(f"\nextra memory during the rewrite: ours {o['extra_mb']:.1f} MB, Redis {r['extra_mb']:.1f} MB"
      f" ({o['extra_mb'] / r['extra_mb']:.2f}x)" if r['extra_mb'] > 0 else "")
PY
