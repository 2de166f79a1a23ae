#!/usr/bin/env bash
# memory.sh — resident bytes per key or element, this server beside Redis 7: one million small
# strings, and one list, set, hash and sorted set of a million elements each. The Benchmarks
# chapter's memory table comes from this script (see --help).
set -u -o pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: tests/bench/memory.sh [options]

For every variant, starts a fresh redis-server and a fresh server of ours on loopback ports
(persistence off), one after the other (Redis first in odd rounds), reads the server's VmRSS
from /proc, loads N elements, reads VmRSS again and stops it. A fresh server per variant, so
that memory one variant freed cannot be reused by the next. Prints bytes per element of each
server and the median ratio ours/Redis.

Variants (--variants, default strings,list,set,hash,zset)
  strings  N keys, one SET each:    SET key:<i> <D bytes>
  list     one list:                RPUSH bench:mem:list item:<i> ...       (100 per command)
  set      one set:                 SADD bench:mem:set member:<i> ...
  hash     one hash:                HSET bench:mem:hash field:<i> <i> ...
  zset     one sorted set:          ZADD bench:mem:zset <i> member:<i> ...
The loader (python3, raw sockets) keeps 1,000 commands in flight, stops at the first error
reply, and gives up when no reply arrives for 30 s. The count is checked afterwards (DBSIZE,
LLEN, SCARD, HLEN, ZCARD).

Options
  -n N                  keys or elements per variant (default 1000000)
  -d D                  string value size in bytes (default 3)
  --variants LIST       variants to measure
  --rounds N            rounds (default 1: the figures barely move between runs)
  --max-load-seconds S  stop a load after S seconds (default 120); the row says "partial"
  --ports OURS,REDIS    loopback ports (default 7111,7112)
  --no-build            use target/release/server as it is
  -h, --help            this text

Needs redis-server, redis-cli (Debian: redis-server, redis-tools) and python3; without them it
says so and exits 0. With the defaults it takes about two minutes.
USAGE
}

N=1000000 D=3 VARIANTS=strings,list,set,hash,zset ROUNDS=1 MAXLOAD=120 PORTS=7111,7112 BUILD=
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -n) N=$2; shift 2 ;;
    -d) D=$2; shift 2 ;;
    --variants) VARIANTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --max-load-seconds) MAXLOAD=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --no-build) BUILD=--no-build; shift ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
IFS=, read -r OURS_PORT REDIS_PORT <<< "$PORTS"
IFS=, read -r -a VLIST <<< "$VARIANTS"
for v in "${VLIST[@]}"; do
  case $v in strings|list|set|hash|zset) ;; *) die "unknown variant $v" ;; esac
done

need redis-server redis-cli python3
build_server $BUILD
make_scratch
RESULTS=$SCRATCH/memory.csv
echo "round,variant,server,loaded,status,rss_before_kb,rss_after_kb,bytes_per" > "$RESULTS"

# The loader: prints "LOADED STATUS". Every reply of these commands is one line, +OK or :n.
cat > "$SCRATCH/load.py" <<'PY'
import socket, sys, time
port, variant, n, d, maxload = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])

def cmd(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

def commands():
    """Yields (encoded command, elements it adds)."""
    if variant == "strings":
        value = b"x" * d
        for i in range(n):
            yield cmd(b"SET", b"key:%d" % i, value), 1
        return
    for lo in range(0, n, 100):
        ids = range(lo, min(n, lo + 100))
        if variant == "list":
            args = [b"RPUSH", b"bench:mem:list"] + [b"item:%d" % i for i in ids]
        elif variant == "set":
            args = [b"SADD", b"bench:mem:set"] + [b"member:%d" % i for i in ids]
        elif variant == "hash":
            args = [b"HSET", b"bench:mem:hash"] + [x for i in ids for x in (b"field:%d" % i, b"%d" % i)]
        else:
            args = [b"ZADD", b"bench:mem:zset"] + [x for i in ids for x in (b"%d" % i, b"member:%d" % i)]
        yield cmd(*args), len(ids)

sock = socket.create_connection(("127.0.0.1", port), timeout=30)
pending = b""
def replies(count):
    """Reads count one-line replies; an error reply ends the load."""
    global pending
    while pending.count(b"\r\n") < count:
        chunk = sock.recv(1 << 20)
        if not chunk:
            sys.exit("the server closed the connection")
        pending += chunk
    lines = pending.split(b"\r\n")
    for line in lines[:count]:
        if line[:1] not in (b"+", b":"):
            sys.exit("unexpected reply: %r" % line[:100])
    pending = b"\r\n".join(lines[count:])

deadline = time.time() + maxload
loaded, batch, status = 0, [], "complete"
try:
    for c, k in commands():
        batch.append((c, k))
        if len(batch) == 1000:
            sock.sendall(b"".join(c for c, _ in batch))
            replies(len(batch))
            loaded += sum(k for _, k in batch)
            batch = []
            if time.time() > deadline:
                status = "partial"
                break
    if batch:
        sock.sendall(b"".join(c for c, _ in batch))
        replies(len(batch))
        loaded += sum(k for _, k in batch)
except socket.timeout:
    status = "partial"
print(loaded, status)
PY

# count PORT VARIANT: how many elements the server says it holds.
count() {
  case $2 in
    strings) cli "$1" DBSIZE ;;
    list) cli "$1" LLEN bench:mem:list ;;
    set) cli "$1" SCARD bench:mem:set ;;
    hash) cli "$1" HLEN bench:mem:hash ;;
    zset) cli "$1" ZCARD bench:mem:zset ;;
  esac
}

# measure ROUND VARIANT SERVER PORT: one fresh server, one load, one row of memory.csv.
measure() {
  local round=$1 v=$2 name=$3 port=$4 before after out loaded status held per
  start "$name" "$port" "$SCRATCH/r$round-$v-$name"
  sleep 1
  before=$(rss_kb "$PID")
  out=$(python3 "$SCRATCH/load.py" "$port" "$v" "$N" "$D" "$MAXLOAD") || out="0 failed"
  read -r loaded status <<< "$out"
  sleep 1   # let a background free or a lazy resize settle before the second reading
  after=$(rss_kb "$PID")
  held=$(count "$port" "$v")
  [[ $held == "$loaded" ]] || status="$status; server holds ${held:-?}"
  stop "$PID"
  per=$(awk -v a="$before" -v b="$after" -v n="$loaded" 'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1024 / n; else print "NA" }')
  echo "$round,$v,$name,$loaded,$status,$before,$after,$per" >> "$RESULTS"
  note "$name $v: $loaded loaded ($status), RSS $before -> $after KiB: $per B each"
}

note "$N per variant, variants $VARIANTS, rounds $ROUNDS"
for ((round = 1; round <= ROUNDS; round++)); do
  for v in "${VLIST[@]}"; do
    if ((round % 2)); then
      measure "$round" "$v" redis "$REDIS_PORT"
      measure "$round" "$v" ours "$OURS_PORT"
    else
      measure "$round" "$v" ours "$OURS_PORT"
      measure "$round" "$v" redis "$REDIS_PORT"
    fi
  done
done

echo
printf '%-8s %14s %14s %11s\n' variant "redis B/elem" "ours B/elem" ours/redis
for v in "${VLIST[@]}"; do
  cells=()
  for name in redis ours; do
    cells+=("$(awk -F, -v v="$v" -v s="$name" '$2 == v && $3 == s && $8 != "NA" { print $8 }' "$RESULTS" |
      sort -n | awk '{ x[NR] = $1 } END { print NR ? (NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2) : "-" }')")
  done
  ratio=$(awk -F, -v v="$v" '$2 == v && $8 != "NA" { b[$1, $3] = $8; r[$1] = 1 }
    END { for (k in r) if ((k, "redis") in b && (k, "ours") in b) print b[k, "ours"], b[k, "redis"] }' "$RESULTS" | median_ratio)
  printf '%-8s %14s %14s %11s\n' "$v" "${cells[0]}" "${cells[1]}" "$ratio"
done
echo "resident bytes per element: (VmRSS after - before) / elements loaded; median of $ROUNDS round(s)"
grep -v ',complete,' "$RESULTS" | tail -n +2 | sed 's/^/incomplete load: /' >&2
exit 0
