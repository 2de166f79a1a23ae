# shellcheck shell=bash
# Helpers for the benchmark scripts that source it (compare.sh, memory.sh, conns.sh and others):
# build this server, start it and redis-server on loopback ports, stop exactly the processes
# started here, and read a process's /proc figures.
# Sourced, never run. Every server listens on 127.0.0.1 only, with persistence off unless a
# script asks otherwise, in a scratch directory of its own that is removed at exit.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPT=$(basename "$0")
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# 10,000 connections need 10,000 descriptors in the server and in the client: take the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

note() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "$SCRIPT: $*" >&2; exit 2; }

# need TOOL...: a missing tool is not a failure of this server, so say which and stop with 0.
need() {
  local t
  for t in "$@"; do
    if ! command -v "$t" >/dev/null; then
      echo "$SCRIPT: skipped: $t not found (Debian: apt-get install -y redis-server redis-tools)" >&2
      exit 0
    fi
  done
}

# build_server [--no-build]: sets SERVER to the release binary, building it unless told not to.
build_server() {
  if [[ ${1:-} != --no-build ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin server || die "build failed"
  fi
  SERVER=$ROOT/target/release/server
  [[ -x $SERVER ]] || die "$SERVER is missing (build it, or drop --no-build)"
}

# port_taken PORT: true when something already answers on 127.0.0.1:PORT.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# make_scratch: SCRATCH is a fresh directory under $TMPDIR, removed by stop_all at exit.
make_scratch() { SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/${SCRIPT%.sh}.XXXXXX"); }

STARTED=()   # PIDs of the servers started here, and only those are ever signalled
PIN=()       # a taskset prefix for the servers, set by a script's --server-cpus

# start KIND PORT DIR [extra server arguments...]: KIND is "ours" or "redis". Starts the server
# in the background with its log in DIR, waits until it answers PING, and sets PID. The server is
# exec'd by taskset (or directly), so $! is the server itself, not a shell around it.
start() {
  local kind=$1 port=$2 dir=$3 i
  shift 3
  port_taken "$port" && die "port $port is already in use (choose others with --ports)"
  mkdir -p "$dir"
  case $kind in
    ours) "${PIN[@]}" "$SERVER" --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly no "$@" \
            > "$dir/server.log" 2>&1 < /dev/null & ;;
    redis) "${PIN[@]}" redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
            --appendonly no "$@" > "$dir/server.log" 2>&1 < /dev/null & ;;
    *) die "start: unknown kind $kind" ;;
  esac
  PID=$!
  STARTED+=("$PID")
  for ((i = 0; i < 100; i++)); do
    [[ $(cli "$port" PING) == PONG ]] && return 0
    kill -0 "$PID" 2>/dev/null || { tail -5 "$dir/server.log" >&2; die "$kind exited at start-up"; }
    sleep 0.1
  done
  die "$kind did not answer PING on port $port within 10 s"
}

# stop PID: SIGTERM, up to 5 s to exit, then SIGKILL; only PIDs this script started.
stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null
  return 0
}

# stop_all: every server still running, then the scratch directory. Installed as the EXIT trap.
stop_all() {
  local pid
  for pid in "${STARTED[@]}"; do stop "$pid"; done
  STARTED=()
  [[ -n ${SCRATCH:-} && -d $SCRATCH ]] && rm -rf "$SCRATCH"
  return 0
}
trap stop_all EXIT
trap 'note interrupted; exit 130' INT TERM

# cli PORT ARGS...: a redis-cli call that gives up after 3 s instead of hanging.
cli() { local port=$1; shift; timeout 3 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null; }

# /proc readers: resident KiB, thread count, CPU ticks (user + system) of a PID.
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
threads() { awk '$1 == "Threads:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }

# median_ratio: reads "ours redis" pairs, one per line, prints the median of ours/redis.
median_ratio() {
  python3 -c '
import statistics, sys
r = [float(a) / float(b) for a, b in (l.split() for l in sys.stdin if l.strip()) if float(b) > 0]
print(f"{statistics.median(r):.2f}" if r else "-")'
}
