#!/usr/bin/env python3
"""honeypot_client.py - the client side of the honeypot's end-to-end tests.

Connects only to loopback addresses (127.0.0.0/8, ::1): every destination is checked.

  sessions PLAN OUT          one connection per PLAN line "SRC DST PORT HEX": bind SRC, connect,
                             send the bytes, close; OUT gets "SRC SRC_PORT DST PORT HEX" lines
  check LOG OUT [--end E]    the log holds exactly the sessions of OUT (bytes, data), no more
  load ...                   the flood of the load test (see load --help)
  check-load LOG OUT         the log holds exactly the load test's connections and probes
"""
import argparse
import asyncio
import collections
import ipaddress
import json
import os
import random
import re
import socket
import sys
import time

HEADER = "time,src,src_port,dst,dst_port,duration,end,bytes,data"
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
DURATION_RE = re.compile(r"^\d+\.\d{6}$")
ENDS = {"close", "reset", "idle", "max-duration", "max-sessions", "max-per-source", "no-fd",
        "shutdown"}


def loopback_only(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit(f"honeypot_client: refusing to connect to {addr}: not a loopback address")


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def unescape(text):
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(ord(c))
            i += 1
            continue
        e = text[i + 1]
        if e == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
            continue
        out.append({"\\": 0x5C, "r": 0x0D, "n": 0x0A, "t": 0x09}[e])
        i += 2
    return bytes(out)


def read_log(path):
    """The log's session lines as dicts (checks the header and every field's form)."""
    rows = []
    with open(path, encoding="ascii") as f:
        lines = f.read().split("\n")
    if lines[0] != HEADER:
        sys.exit(f"{path}: first line {lines[0]!r} is not the header")
    if lines[-1] != "":
        sys.exit(f"{path}: does not end with a newline")
    for n, line in enumerate(lines[1:-1], start=2):
        f = line.split(",")
        if len(f) != 9:
            sys.exit(f"{path}:{n}: {len(f)} fields: {line!r}")
        t, src, sport, dst, dport, dur, end, nbytes, data = f
        if not TIME_RE.match(t) or not DURATION_RE.match(dur) or end not in ENDS:
            sys.exit(f"{path}:{n}: bad time, duration or end: {line!r}")
        ipaddress.ip_address(src)
        ipaddress.ip_address(dst)
        rows.append({"time": t, "src": src, "sport": int(sport), "dst": dst,
                     "dport": int(dport), "duration": float(dur), "end": end,
                     "bytes": int(nbytes), "data": unescape(data), "line": n})
    return rows


# ---------------------------------------------------------------------------------------------
def cmd_sessions(args):
    out = []
    with open(args.plan) as f:
        plan = [line.split() for line in f if line.strip()]
    for src, dst, port, hexdata in plan:
        loopback_only(dst)
        data = bytes.fromhex(hexdata) if hexdata != "-" else b""
        s = socket.socket(family(dst), socket.SOCK_STREAM)
        s.settimeout(30)
        s.bind((src, 0))
        s.connect((dst, int(port)))
        if data:
            s.sendall(data)
        sport = s.getsockname()[1]
        s.close()
        out.append(f"{src} {sport} {dst} {port} {hexdata}\n")
    with open(args.out, "w") as f:
        f.writelines(out)


def cmd_check(args):
    """Exactly the sessions of OUT: same source, ports, destination; the first --capture bytes
    of what was sent as data, and the full count as bytes."""
    rows = read_log(args.log)
    want = collections.Counter()
    with open(args.out) as f:
        for line in f:
            src, sport, dst, port, hexdata = line.split()
            data = bytes.fromhex(hexdata) if hexdata != "-" else b""
            want[(src, int(sport), dst, int(port), data[:args.capture], len(data))] += 1
    got = collections.Counter()
    for r in rows:
        if args.end and r["end"] != args.end:
            sys.exit(f"{args.log}:{r['line']}: end {r['end']}, expected {args.end}")
        got[(r["src"], r["sport"], r["dst"], r["dport"], r["data"], r["bytes"])] += 1
    missing, extra = want - got, got - want
    if missing or extra:
        sys.exit(f"log differs: {sum(missing.values())} sessions missing "
                 f"(e.g. {list(missing)[:3]}), {sum(extra.values())} extra "
                 f"(e.g. {list(extra)[:3]})")
    print(f"check: {len(rows)} sessions, exactly as sent")


# ---------------------------------------------------------------------------------------------
def memory(pid):
    """VmRSS and VmHWM of pid, in KiB."""
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                vals[key] = int(rest.split()[0])
    return vals


class Load:
    def __init__(self, args):
        self.args = args
        self.conns = []      # (src, sport, dport, kind)
        self.failed = collections.Counter()
        self.probes = []     # (src, sport, dport, data)
        self.probe_fail = 0
        self.sem = asyncio.Semaphore(args.concurrency)
        self.flooding = False
        self.rng = random.Random(args.seed)

    async def one(self, kind, src, port):
        a = self.args
        async with self.sem:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.bind((src, 0))
            sport = sock.getsockname()[1]
            try:
                await asyncio.wait_for(
                    asyncio.get_running_loop().sock_connect(sock, (a.dst, port)), 30)
            except ConnectionResetError:
                # Established, then reset by the honeypot (over a cap) before connect()
                # returned: it is in the log.
                self.conns.append((src, sport, port, kind))
                sock.close()
                return
            except (OSError, asyncio.TimeoutError) as e:
                self.failed[type(e).__name__] += 1
                sock.close()
                return
            self.conns.append((src, sport, port, kind))
            try:
                r, w = await asyncio.open_connection(sock=sock)
            except OSError:
                sock.close()
                return
            try:
                if kind == "garbage":
                    w.write(os.urandom(self.rng.randint(1, 4096)))
                    await w.drain()
                elif kind == "idle":    # says nothing: the idle timeout closes it
                    await asyncio.wait_for(r.read(1), 60)
                else:                   # slowloris: a byte at a time, never idle
                    for _ in range(400):
                        w.write(b"x")
                        await w.drain()
                        try:
                            if await asyncio.wait_for(r.read(1), 0.2) == b"":
                                break
                        except asyncio.TimeoutError:
                            pass
            except (OSError, asyncio.TimeoutError):
                pass
            finally:
                w.close()

    async def probe_loop(self):
        """Fresh connections during the flood: each must be accepted (banner) and logged."""
        a = self.args
        i = 0
        while self.flooding:
            await asyncio.sleep(0.25)
            data = f"PROBE-{i}".encode()
            i += 1
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(a.dst, a.probe_port, local_addr=(a.probe_src, 0)), 30)
                banner = await asyncio.wait_for(r.readexactly(len(a.banner)), 30)
                if banner != a.banner.encode():
                    raise OSError(f"banner {banner!r}")
                sport = w.get_extra_info("sockname")[1]
                w.write(data)
                await w.drain()
                w.close()
                self.probes.append((a.probe_src, sport, a.probe_port, data))
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                print(f"probe {i}: {e!r}", file=sys.stderr)
                self.probe_fail += 1

    async def phase(self):
        a = self.args
        lo, hi = map(int, a.ports.split("-"))
        kinds = ["garbage", "idle", "slow"]
        tasks = []
        for n in range(a.count):
            src = a.sources[n % len(a.sources)]
            port = self.rng.randint(lo, hi)
            tasks.append(asyncio.ensure_future(self.one(kinds[n % 3], src, port)))
        await asyncio.gather(*tasks)

    async def run(self):
        a = self.args
        report = {"before": memory(a.pid)}
        self.flooding = True
        prober = asyncio.ensure_future(self.probe_loop())
        for p in range(a.phases):
            await self.phase()
            report[f"after_phase{p + 1}"] = memory(a.pid)
            report[f"connections_phase{p + 1}"] = len(self.conns)
        self.flooding = False
        await prober
        report["connections"] = len(self.conns)
        report["connect_failures"] = dict(self.failed)
        report["probes"] = len(self.probes)
        report["probe_failures"] = self.probe_fail
        return report


def cmd_load(args):
    loopback_only(args.dst)
    for s in args.sources:
        ipaddress.ip_address(s)
    load = Load(args)
    report = asyncio.run(load.run())
    with open(args.out, "w") as f:
        for c in load.conns:
            f.write("conn %s %d %d %s\n" % c)
        for p in load.probes:
            f.write("probe %s %d %d %s\n" % (p[0], p[1], p[2], p[3].hex()))
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report))


def cmd_check_load(args):
    rows = read_log(args.log)
    want, probes = collections.Counter(), {}
    with open(args.out) as f:
        for line in f:
            k = line.split()
            if k[0] == "conn":
                want[(k[1], int(k[2]), int(k[3]))] += 1
            else:
                want[(k[1], int(k[2]), int(k[3]))] += 1
                probes[(k[1], int(k[2]), int(k[3]))] = bytes.fromhex(k[4])
    got = collections.Counter((r["src"], r["sport"], r["dport"]) for r in rows)
    missing, extra = want - got, got - want
    if missing or extra:
        sys.exit(f"log differs: {sum(missing.values())} connections missing "
                 f"(e.g. {list(missing)[:3]}), {sum(extra.values())} extra "
                 f"(e.g. {list(extra)[:3]})")
    ends = collections.Counter(r["end"] for r in rows)
    for r in rows:
        key = (r["src"], r["sport"], r["dport"])
        if key in probes and (r["data"] != probes[key] or r["end"] != "close"):
            sys.exit(f"probe {key}: logged {r['data']!r} ({r['end']}), sent {probes[key]!r}")
        if len(r["data"]) > args.capture or r["bytes"] < len(r["data"]):
            sys.exit(f"{args.log}:{r['line']}: {len(r['data'])} bytes captured, cap "
                     f"{args.capture}, {r['bytes']} received")
    print(f"check-load: {len(rows)} sessions, all connections logged once; ends {dict(ends)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sessions")
    p.add_argument("plan")
    p.add_argument("out")
    p.set_defaults(fn=cmd_sessions)
    p = sub.add_parser("check")
    p.add_argument("log")
    p.add_argument("out")
    p.add_argument("--end")
    p.add_argument("--capture", type=int, default=256)
    p.set_defaults(fn=cmd_check)
    p = sub.add_parser("load", help="flood the honeypot")
    p.add_argument("--pid", type=int, required=True, help="the honeypot, for its memory")
    p.add_argument("--dst", required=True)
    p.add_argument("--ports", required=True, help="LOW-HIGH")
    p.add_argument("--sources", nargs="+", required=True)
    p.add_argument("--count", type=int, required=True, help="connections per phase")
    p.add_argument("--phases", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=500)
    p.add_argument("--probe-src", required=True)
    p.add_argument("--probe-port", type=int, required=True)
    p.add_argument("--banner", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--report", required=True)
    p.set_defaults(fn=cmd_load)
    p = sub.add_parser("check-load")
    p.add_argument("log")
    p.add_argument("out")
    p.add_argument("--capture", type=int, required=True)
    p.set_defaults(fn=cmd_check_load)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
