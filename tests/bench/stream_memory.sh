#!/usr/bin/env bash
# stream_memory.sh — bytes per entry of one stream, this server beside Redis 7: XADD of N entries
# of one small field and value. The Streams chapter's memory figure comes from it.
set -u -o pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: tests/bench/stream_memory.sh [-n N] [--ports OURS,REDIS] [--no-build]

Starts a fresh redis-server and a fresh server of ours on loopback ports (persistence off), one
after the other, reads used_memory (INFO memory) and VmRSS (/proc), adds N entries to one key
with XADD bench:stream * field value (1,000 commands in flight), reads both again, checks XLEN,
and prints bytes per entry for each server, by used_memory and by RSS, and the ratios ours/Redis.

  -n N               entries (default 1000000)
  --ports OURS,REDIS loopback ports (default 7115,7116)
  --no-build         use target/release/server as it is

Needs redis-server, redis-cli and python3; without them it says so and exits 0.
USAGE
}

N=1000000 PORTS=7115,7116 BUILD=
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
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
command = b"*5\r\n$4\r\nXADD\r\n$12\r\nbench:stream\r\n$1\r\n*\r\n$5\r\nfield\r\n$5\r\nvalue\r\n"
sock = socket.create_connection(("127.0.0.1", port), timeout=30)
pending = b""

def send(count):
    # Each reply is one bulk string, an ID: two CRLFs.
    global pending
    sock.sendall(command * count)
    while pending.count(b"\r\n") < 2 * count:
        chunk = sock.recv(1 << 20)
        if not chunk:
            sys.exit("the server closed the connection")
        pending += chunk
    if pending[:1] == b"-" or b"\r\n-" in pending:
        sys.exit("unexpected reply: %r" % pending[:100])
    pending = b""

done = 0
while done < n:
    count = min(1000, n - done)
    send(count)
    done += count
PY

# used_memory PORT: INFO memory's figure, in bytes.
used_memory() { cli "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

# measure SERVER PORT: prints "bytes per entry by used_memory, by RSS".
measure() {
  local name=$1 port=$2 rss0 rss1 used0 used1 held
  start "$name" "$port" "$SCRATCH/$name"
  sleep 1
  rss0=$(rss_kb "$PID") used0=$(used_memory "$port")
  python3 "$SCRATCH/load.py" "$port" "$N" || die "$name: the load failed"
  sleep 1
  rss1=$(rss_kb "$PID") used1=$(used_memory "$port")
  held=$(cli "$port" XLEN bench:stream)
  stop "$PID"
  [[ $held == "$N" ]] || die "$name holds $held entries, not $N"
  note "$name: used_memory $used0 -> $used1 B, RSS $rss0 -> $rss1 KiB"
  awk -v u0="$used0" -v u1="$used1" -v r0="$rss0" -v r1="$rss1" -v n="$N" \
    'BEGIN { printf "%.1f %.1f\n", (u1 - u0) / n, (r1 - r0) * 1024 / n }'
}

redis=$(measure redis "$REDIS_PORT") || exit 2
ours=$(measure ours "$OURS_PORT") || exit 2
read -r redis_used redis_rss <<< "$redis"
read -r ours_used ours_rss <<< "$ours"
ratio() { awk -v o="$1" -v r="$2" 'BEGIN { printf "%.2f", o / r }'; }
printf '%-8s %-12s %10s %10s %11s\n' entries figure "redis B" "ours B" ours/redis
printf '%-8s %-12s %10s %10s %11s\n' "$N" used_memory "$redis_used" "$ours_used" "$(ratio "$ours_used" "$redis_used")"
printf '%-8s %-12s %10s %10s %11s\n' "$N" RSS "$redis_rss" "$ours_rss" "$(ratio "$ours_rss" "$redis_rss")"
exit 0
