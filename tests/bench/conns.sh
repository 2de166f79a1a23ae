#!/usr/bin/env bash
# conns.sh — what idle connections cost: hold K of them (default 10,000) to this server and to
# Redis 7, check that both still answer, and report resident memory, threads and kernel memory
# per connection. The table in the chapter "When clients misbehave" comes from this script.
set -u -o pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: tests/bench/conns.sh [options]

For every round, starts redis-server and then this server (ours first in even rounds) on a
loopback port with maxclients K + 100, and against each in turn:
  - opens K TCP connections that send nothing, in batches of 100 with a 10 ms pause (std's
    listener has a backlog of 128: bigger bursts would time the kernel's SYN retries), and
    waits until the server holds them (its open descriptors grew by K, 30 s at most);
  - holds them for --hold seconds, reads VmRSS, Threads and open descriptors from /proc, and
    the system's KernelStack and Slab from /proc/meminfo (both ends of every socket count
    there, and so does anything else the machine does meanwhile);
  - sends PING on a fresh connection and on 100 of the held ones: each must answer within 1 s;
  - closes them all, waits for the server to let go, and reads VmRSS once more.
Then prints both servers side by side, medians over the rounds, and ours/Redis.

Options
  -k K                connections to hold (default 10000; needs ulimit -n above K)
  --rounds N          rounds (default 1)
  --hold S            seconds to hold before measuring (default 3)
  --ports OURS,REDIS  loopback ports (default 7121,7122)
  --no-build          use target/release/server as it is
  -h, --help          this text

Exit status 1 when a connection could not be opened or a PING went unanswered, 0 otherwise.
Needs redis-server, redis-cli (Debian: redis-server, redis-tools) and python3; without them it
says so and exits 0. About 30 s per server and round with the defaults.
USAGE
}

K=10000 ROUNDS=1 HOLD=3 PORTS=7121,7122 BUILD=
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -k) K=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --hold) HOLD=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --no-build) BUILD=--no-build; shift ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
IFS=, read -r OURS_PORT REDIS_PORT <<< "$PORTS"
(($(ulimit -n) > K + 200)) || note "ulimit -n is $(ulimit -n): fewer than $K connections will open"

need redis-server redis-cli python3
build_server $BUILD
make_scratch
RESULTS=$SCRATCH/conns.csv
FIELDS=round,server,opened,failed,open_s,rss_before_kb,rss_held_kb,rss_after_kb,threads_held
FIELDS+=,fds_per_conn,kstack_per_b,slab_per_b,ping_fresh_ms,ping_held_median_ms,ping_ok,ping_tried
echo "$FIELDS" > "$RESULTS"

# The holder: opens, holds, pings, closes; prints one CSV row (without round and server).
cat > "$SCRATCH/hold.py" <<'PY'
import os, resource, socket, statistics, sys, time
port, pid, k, hold = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def proc(field):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ":"))
def meminfo(field):
    with open("/proc/meminfo") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ":"))
def fds():
    return len(os.listdir(f"/proc/{pid}/fd"))
def ping(s):
    """Milliseconds for PING -> +PONG, or None."""
    t = time.perf_counter()
    try:
        s.settimeout(1.0)
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        got = b""
        while not got.endswith(b"\r\n"):
            part = s.recv(64)
            if not part:
                return None
            got += part
    except OSError:
        return None
    return (time.perf_counter() - t) * 1000 if got == b"+PONG\r\n" else None

fds0, rss0 = fds(), proc("VmRSS")
kstack0, slab0 = meminfo("KernelStack"), meminfo("Slab")
held, failed = [], 0
t0 = time.time()
for i in range(k):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        failed += 1
    if i % 100 == 99:
        time.sleep(0.01)
end = time.time() + 30
while fds() < fds0 + len(held) and time.time() < end:
    time.sleep(0.1)
open_s = time.time() - t0
time.sleep(hold)
rss1, threads1, fds1 = proc("VmRSS"), proc("Threads"), fds()
kstack1, slab1 = meminfo("KernelStack"), meminfo("Slab")
fresh = None
try:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        fresh = ping(s)
except OSError:
    pass
sample = held[:: max(1, len(held) // 100)][:100]
times = [ping(s) for s in sample]
ok = [t for t in times if t is not None]
for s in held:
    s.close()
end = time.time() + 30
while fds() > fds0 + 2 and time.time() < end:
    time.sleep(0.1)
time.sleep(2)
rss2 = proc("VmRSS")
n = max(1, len(held))
print(",".join(str(x) for x in (
    len(held), failed, f"{open_s:.2f}", rss0, rss1, rss2, threads1, f"{(fds1 - fds0) / n:.2f}",
    f"{(kstack1 - kstack0) * 1024 / n:.0f}", f"{(slab1 - slab0) * 1024 / n:.0f}",
    "NA" if fresh is None else f"{fresh:.3f}",
    f"{statistics.median(ok):.3f}" if ok else "NA", len(ok) + (fresh is not None), len(sample) + 1)))
PY

# measure ROUND SERVER PORT: one fresh server, K connections, one row of conns.csv.
measure() {
  local round=$1 name=$2 port=$3 row
  start "$name" "$port" "$SCRATCH/r$round-$name" --maxclients $((K + 100))
  sleep 1
  note "$name: opening $K connections"
  row=$(python3 "$SCRATCH/hold.py" "$port" "$PID" "$K" "$HOLD") || die "the holder failed against $name"
  stop "$PID"
  echo "$round,$name,$row" >> "$RESULTS"
  note "$name: $row"
}

for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then
    measure "$round" redis "$REDIS_PORT"
    measure "$round" ours "$OURS_PORT"
  else
    measure "$round" ours "$OURS_PORT"
    measure "$round" redis "$REDIS_PORT"
  fi
done

python3 - "$RESULTS" "$K" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
k = int(sys.argv[2])
def med(server, f):
    xs = [float(r[f]) for r in rows if r["server"] == server and r[f] != "NA"]
    return statistics.median(xs) if xs else None
def per_conn(server):
    xs = [(float(r["rss_held_kb"]) - float(r["rss_before_kb"])) * 1024 / max(1, int(r["opened"]))
          for r in rows if r["server"] == server]
    return statistics.median(xs)
lines = [
    ("connections opened", lambda s: f"{med(s, 'opened'):.0f} of {k}"),
    ("RSS before", lambda s: f"{med(s, 'rss_before_kb') / 1024:.1f} MB"),
    (f"RSS with them held", lambda s: f"{med(s, 'rss_held_kb') / 1024:.1f} MB"),
    ("RSS per connection", lambda s: f"{per_conn(s) / 1024:.1f} KB"),
    ("threads", lambda s: f"{med(s, 'threads_held'):.0f}"),
    ("descriptors per connection", lambda s: f"{med(s, 'fds_per_conn'):.2f}"),
    ("kernel stacks per connection", lambda s: f"{med(s, 'kstack_per_b') / 1024:.1f} KB"),
    ("slab (sockets) per connection", lambda s: f"{med(s, 'slab_per_b') / 1024:.1f} KB"),
    ("time to open them all", lambda s: f"{med(s, 'open_s'):.1f} s"),
    ("PING on a fresh connection", lambda s: "-" if med(s, "ping_fresh_ms") is None else f"{med(s, 'ping_fresh_ms'):.2f} ms"),
    ("PING on a held one, median", lambda s: "-" if med(s, "ping_held_median_ms") is None else f"{med(s, 'ping_held_median_ms'):.2f} ms"),
    ("RSS after they all closed", lambda s: f"{med(s, 'rss_after_kb') / 1024:.1f} MB"),
]
print(f"\n{'':32}{'ours':>14}{'redis':>14}")
for label, cell in lines:
    print(f"{label:32}{cell('ours'):>14}{cell('redis'):>14}")
redis = per_conn("redis")
print(f"{'RSS per connection, ours/redis':32}{per_conn('ours') / redis if redis > 0 else float('nan'):>14.2f}")
answered = all(r["ping_ok"] == r["ping_tried"] and r["failed"] == "0" for r in rows)
print(f"every connection opened and every PING answered within 1 s: {'yes' if answered else 'NO'}"
      f"; medians of {len({r['round'] for r in rows})} round(s)")
sys.exit(0 if answered else 1)
PY
