#!/usr/bin/env bash
# geo_memory.sh — resident bytes per point of one geo key, this server beside Redis 7: GEOADD
# of N points (a sorted set scored by geohash). The Geo chapter's memory figure comes from it.
set -u -o pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: tests/bench/geo_memory.sh [-n N] [--ports OURS,REDIS] [--no-build]

Starts a fresh redis-server and a fresh server of ours on loopback ports (persistence off), one
after the other, reads VmRSS from /proc, loads N points into one key with
GEOADD bench:geo <lon> <lat> place:<i> ... (100 points per command, 1,000 commands in flight,
coordinates from a fixed pseudo-random sequence, the same for both), reads VmRSS again, checks
ZCARD, and prints bytes per point for each server and the ratio ours/Redis.

  -n N               points (default 1000000)
  --ports OURS,REDIS loopback ports (default 7113,7114)
  --no-build         use target/release/server as it is

Needs redis-server, redis-cli and python3; without them it says so and exits 0.
USAGE
}

N=1000000 PORTS=7113,7114 BUILD=
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -n) N=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --no-build) BUILD=--no-build; shift ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
IFS=, read -r OURS_PORT REDIS_PORT <<< "$PORTS"

need redis-server redis-cli python3
build_server $BUILD
make_scratch

cat > "$SCRATCH/load.py" <<'PY'
import random, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(42)

def cmd(args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

sock = socket.create_connection(("127.0.0.1", port), timeout=30)
pending, batch = b"", []

def flush():
    global pending, batch
    sock.sendall(b"".join(batch))
    while pending.count(b"\r\n") < len(batch):
        chunk = sock.recv(1 << 20)
        if not chunk:
            sys.exit("the server closed the connection")
        pending += chunk
    lines = pending.split(b"\r\n")
    for line in lines[:len(batch)]:
        if line[:1] != b":":
            sys.exit("unexpected reply: %r" % line[:100])
    pending = b"\r\n".join(lines[len(batch):])
    batch = []

for lo in range(0, n, 100):
    args = [b"GEOADD", b"bench:geo"]
    for i in range(lo, min(n, lo + 100)):
        args += [b"%.6f" % rng.uniform(-180, 180), b"%.6f" % rng.uniform(-85, 85), b"place:%d" % i]
    batch.append(cmd(args))
    if len(batch) == 1000:
        flush()
if batch:
    flush()
PY

# measure SERVER PORT: prints bytes per point.
measure() {
  local name=$1 port=$2 before after held
  start "$name" "$port" "$SCRATCH/$name"
  sleep 1
  before=$(rss_kb "$PID")
  python3 "$SCRATCH/load.py" "$port" "$N" || die "$name: the load failed"
  sleep 1
  after=$(rss_kb "$PID")
  held=$(cli "$port" ZCARD bench:geo)
  stop "$PID"
  [[ $held == "$N" ]] || die "$name holds $held points, not $N"
  note "$name: RSS $before -> $after KiB"
  awk -v a="$before" -v b="$after" -v n="$N" 'BEGIN { printf "%.1f\n", (b - a) * 1024 / n }'
}

redis=$(measure redis "$REDIS_PORT")
ours=$(measure ours "$OURS_PORT")
printf '%-8s %14s %14s %11s\n' points "redis B/point" "ours B/point" ours/redis
printf '%-8s %14s %14s %11s\n' "$N" "$redis" "$ours" "$(awk -v o="$ours" -v r="$redis" 'BEGIN { printf "%.2f", o / r }')"
exit 0
