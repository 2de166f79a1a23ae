#!/usr/bin/env python3
"""HyperLogLog error against exact counts, and bytes per key, on a running server.

For each N in 10^2 .. 10^6 it fills TRIALS fresh keys with N distinct elements each (a random
prefix per trial, so the trials hash differently), then compares PFCOUNT with N. It prints the
mean and the worst relative error, and STRLEN (the memory of the value itself) and the
encoding of the last key. Run against this server or a real Redis: both must print the same.

usage: hll_error.py PORT [TRIALS]
"""
import os
import socket
import sys


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(1 << 16)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        if line[:1] in (b"+", b":"):
            return line[1:]
        if line[:1] == b"-":
            raise SystemExit(line.decode())
        if line[:1] == b"$":
            n = int(line[1:])
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 16)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        raise SystemExit(f"unexpected reply {line!r}")

    def pipeline(self, commands):
        self.sock.sendall(b"".join(encode(c) for c in commands))
        return [self.reply() for _ in commands]


def main():
    port = int(sys.argv[1])
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    c = Conn(port)
    print("| N | mean error | worst error | bytes | encoding |")
    print("|---|---|---|---|---|")
    for exp in range(2, 7):
        n = 10**exp
        errors = []
        for t in range(trials):
            key = b"hll:%d:%d" % (exp, t)
            prefix = os.urandom(4).hex().encode()
            c.pipeline([[b"DEL", key]])
            batch = []
            for i in range(n):
                batch.append(b"%s-%d" % (prefix, i))
                if len(batch) == 1000 or i == n - 1:
                    c.pipeline([[b"PFADD", key] + batch])
                    batch = []
            est = int(c.pipeline([[b"PFCOUNT", key]])[0])
            errors.append(abs(est - n) / n)
        size = int(c.pipeline([[b"STRLEN", key]])[0])
        enc = c.pipeline([[b"PFDEBUG", b"ENCODING", key]])[0].decode()
        mean = 100 * sum(errors) / len(errors)
        print(f"| {n:,} | {mean:.2f} % | {100 * max(errors):.2f} % | {size:,} | {enc} |")


main()
