#!/usr/bin/env python3
"""Resident memory per element of one big hash and one big sorted set, on a running server.

memory.sh (beside this file) measures all five types on servers it starts itself; this measures
a hash and a sorted set the same way on a server that is already running: RSS from
/proc/PID/status before and after loading N elements (100 per command, 1,000 commands in
flight), divided by N.

usage: collection_memory.py PORT PID [N] [hash,zset]
Run one variant per fresh server: memory freed by the first would be reused by the second.
"""
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def run(sock, commands):
    sock.sendall(b"".join(encode(c) for c in commands))
    data = b""
    replies = 0
    while replies < len(commands):
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("server closed the connection")
        data += chunk
        replies = data.count(b"\r\n")
        if b"-" in data[:1]:
            raise SystemExit(data[:200])


def load(sock, make, n, per_cmd=100, window=1000):
    batch = []
    for start in range(0, n, per_cmd):
        batch.append(make(start, min(start + per_cmd, n)))
        if len(batch) == window:
            run(sock, batch)
            batch = []
    if batch:
        run(sock, batch)


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    wanted = sys.argv[4].split(",") if len(sys.argv) > 4 else ["hash", "zset"]
    sock = socket.create_connection(("127.0.0.1", port))
    variants = {
        "hash": lambda a, b: [b"HSET", b"bench:mem:hash"]
        + [x for i in range(a, b) for x in (b"field:%d" % i, b"%d" % i)],
        "zset": lambda a, b: [b"ZADD", b"bench:mem:zset"]
        + [x for i in range(a, b) for x in (b"%d" % i, b"member:%d" % i)],
    }
    for name in wanted:
        make = variants[name]
        time.sleep(1)
        before = rss_kib(pid)
        load(sock, make, n)
        time.sleep(1)
        after = rss_kib(pid)
        print(f"{name}: {n} elements, rss {before} -> {after} KiB, {(after - before) * 1024 / n:.1f} B per element")
        run(sock, [[b"DEL", b"bench:mem:" + name.encode()]])


main()
