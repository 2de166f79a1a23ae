#!/usr/bin/env bash
# What ACL users cost the commands: SET and GET throughput as `default` with no other user, then
# with 100 users defined (each with its own key patterns and channels) and the benchmark
# authenticated as a restricted one of them, whose rules every command is checked against.
# Rounds alternate the two cases so machine noise hits both alike.
#
# Usage: tests/bench/acl_cost.sh [rounds]   (builds the release server; needs redis-benchmark)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${1:-3}
need redis-benchmark redis-cli
build_server
make_scratch
port=7481
start ours "$port" "$SCRATCH/ours"

# ops/s of SET and of GET, as "set get".
bench() {
    redis-benchmark -p $port "$@" -t set,get -n 200000 -c 50 -r 100000 -q 2>/dev/null |
        tr '\r' '\n' | grep -o '[A-Z]*: [0-9.]* requests per second' | awk '{print $2}' |
        paste -sd' '
}

users() {
    for i in $(seq 100); do
        redis-cli -p $port ACL SETUSER "user$i" on ">pw$i" "~app$i:*" "&chan$i" +@all -@dangerous >/dev/null
    done
    # The benchmark's user: allowed redis-benchmark's keys (`key:…`) and nothing dangerous.
    redis-cli -p $port ACL SETUSER bench on '>bench' '~key:*' '~app:*' +@read +@write +ping +config >/dev/null
}

drop_users() {
    for i in $(seq 100); do redis-cli -p $port ACL DELUSER "user$i" >/dev/null; done
    redis-cli -p $port ACL DELUSER bench >/dev/null
}

echo "round  default SET/s  GET/s  |  100 users, restricted SET/s  GET/s"
for r in $(seq "$rounds"); do
    read -r a_set a_get < <(bench)
    users
    read -r b_set b_get < <(bench --user bench -a bench)
    drop_users
    printf '%5d  %13s  %6s  |  %28s  %6s\n' "$r" "$a_set" "$a_get" "$b_set" "$b_get"
done
