#!/usr/bin/env python3
"""method_ref.py - an independent reference of the paper's method, for end-to-end tests.

    method_ref.py generate OUTDIR [--seed N] [--files K]
        writes OUTDIR/darknet.txt, OUTDIR/caps/*.pcap (some gzip-compressed, in random
        packet order, split over K files) and OUTDIR/expected.json: what METHOD.md says the
        answer is, computed here in plain Python from the packets themselves (sets of
        darknet addresses per (month, /16, port), fractions.Fraction for every ratio).

    method_ref.py compare EXPECTED RESULTS
        exits 1 with a list of differences when darkscan's results JSON disagrees.

This shares no code with darkscan: it is the hand calculation, done by a program.
"""
import argparse
import calendar
import gzip
import json
import os
import random
import struct
import sys
import time
from fractions import Fraction

ALPHA = Fraction(4, 5)
MIN_PORTS = 30
MIN_WINDOWS = 6
ROUTINE_JACCARD = Fraction(4, 5)
STABLE_SIMPSON = Fraction(7, 10)


def ip(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


def ipstr(v):
    return "%d.%d.%d.%d" % (v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255)


def month_label(ts):
    y, m = time.gmtime(ts)[:2]  # UTC, whatever TZ says
    return "%04d-%02d" % (y, m)


def month_start(year, month):
    return calendar.timegm((year, month, 1, 0, 0, 0))


# ---- the darknet: 3 sensors, 4 prefixes, 64 + 32 + 16 + 8 = 120 addresses ----
DARKNET = [("198.51.100.0/26", "east"), ("198.51.100.64/27", "east"),
           ("203.0.113.128/28", "west"), ("192.0.2.8/29", "lab")]


def darknet_addresses():
    out = []
    for cidr, _ in DARKNET:
        base, bits = cidr.split("/")
        n = 1 << (32 - int(bits))
        out.extend(ip(base) + i for i in range(n))
    return sorted(out)


def eth_ipv4_tcp(src, dst, sport, dport, flags, seq, ip_id, ttl=64, window=1024):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, window, 0, 0)
    total = 20 + len(tcp)
    hdr = struct.pack("!BBHHHBBHII", 0x45, 0, total, ip_id, 0, ttl, 6, 0, src, dst)
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
    eth = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00"
    return eth + hdr + tcp


def write_pcap(path, packets, compress):
    body = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for ts, frame in packets:
        sec, usec = int(ts), int(round((ts - int(ts)) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        body.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        body.append(frame)
    data = b"".join(body)
    if compress:
        with gzip.open(path + ".gz", "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def generate(outdir, seed, n_files):
    rng = random.Random(seed)
    D = darknet_addresses()
    months = [(2018 + (6 + k) // 12, (6 + k) % 12 + 1) for k in range(8)]  # 2018-07..2019-02
    pkts = []  # (ts, src, dst, sport, dport, flags, seq, ip_id)

    def t_in(month_idx):
        y, m = months[month_idx]
        start = month_start(y, m)
        end = month_start(y + (m == 12), m % 12 + 1)
        return start + rng.random() * (end - start - 1)

    def sweep(month_idx, hosts, ports, coverage):
        for port in ports:
            targets = rng.sample(D, coverage(port))
            for d in targets:
                for _ in range(1 + (rng.random() < 0.1)):  # retransmissions
                    src = rng.choice(hosts)
                    pkts.append((t_in(month_idx), src, d, rng.randrange(1024, 65536), port,
                                 0x02, rng.getrandbits(32), rng.getrandbits(16)))

    need = -(-len(D) * ALPHA.numerator // ALPHA.denominator)  # ceil(alpha |D|) = 96
    full = lambda p: len(D)  # noqa: E731
    # Routine: 45 ports every month from 4 hosts of 10.20.0.0/16.
    routine_ports = sorted(rng.sample(range(1, 10000), 45))
    for k in range(8):
        sweep(k, [ip("10.20.1.%d" % h) for h in range(1, 5)], routine_ports, full)
    # Semi-routine: a core of 40 ports, plus 0..20 extra ports in some months (11.30.0.0/16).
    core = sorted(rng.sample(range(1, 1024), 40))
    for k in range(7):
        extra = rng.sample(range(20000, 20100), rng.randrange(0, 21))
        sweep(k, [ip("11.30.%d.9" % h) for h in range(8)], core + extra,
              lambda p: rng.randrange(need, len(D) + 1))
    # Ad-hoc: a different dense high-port range each month (12.40.0.0/16), 6 months.
    for k in range(1, 8, 1):
        if k == 4:
            continue
        lo = rng.randrange(30000, 60000)
        sweep(k, [ip("12.40.7.7")], list(range(lo, lo + rng.randrange(30, 80))), full)
    # Just under: 6 months of 29 ports (13.1/16); 5 months of 35 ports (13.2/16);
    # 6 months of 35 ports at one address below the coverage threshold (13.3/16).
    for k in range(6):
        sweep(k, [ip("13.1.0.1")], list(range(100, 129)), full)
    for k in range(5):
        sweep(k, [ip("13.2.0.1")], list(range(200, 235)), full)
    for k in range(6):
        sweep(k, [ip("13.3.0.1")], list(range(300, 335)), lambda p: need - 1)
    # A Mirai-like botnet: many /16s, ports 23 and 2323, seq = destination.
    for _ in range(3000):
        src = rng.getrandbits(32) | 0x01000000
        d = rng.choice(D)
        pkts.append((t_in(rng.randrange(8)), src, d, rng.randrange(1024, 65536),
                     rng.choice((23, 2323)), 0x02, d, rng.getrandbits(16)))
    # Backscatter (SYN-ACK, RST) and ACK scans from a block that would otherwise qualify.
    for k in range(8):
        for port in range(400, 440):
            for d in D:
                pkts.append((t_in(k), ip("14.5.0.1"), d, port, 40000,
                             rng.choice((0x12, 0x04, 0x10)), 0, 0))
    # Packets to addresses just outside the darknet.
    for k in range(8):
        for port in range(500, 540):
            for d in (ip("198.51.100.96"), ip("192.0.2.16"), ip("203.0.113.127")):
                pkts.append((t_in(k), ip("15.6.0.1"), d, 1234, port, 0x02, 0, 0))

    rng.shuffle(pkts)
    caps = os.path.join(outdir, "caps")
    os.makedirs(caps, exist_ok=True)
    chunks = [[] for _ in range(n_files)]
    for p in pkts:
        chunks[rng.randrange(n_files)].append(p)
    for i, chunk in enumerate(chunks):
        frames = [(p[0], eth_ipv4_tcp(p[1], p[2], p[3], p[4], p[5], p[6], p[7])) for p in chunk]
        write_pcap(os.path.join(caps, "part%02d.pcap" % i), frames, compress=i % 2 == 1)
    with open(os.path.join(outdir, "darknet.txt"), "w") as f:
        f.write("# test darknet\n")
        for cidr, sensor in DARKNET:
            f.write("%s %s\n" % (cidr, sensor))
    # usec rounding: the month of a packet is decided on the time written to the pcap.
    written = []
    for p in pkts:
        sec, usec = int(p[0]), int(round((p[0] - int(p[0])) * 1e6))
        if usec >= 1000000:
            sec += 1
        written.append((sec,) + p[1:])
    expected = method(written, D)
    expected["packets"] = len(pkts)
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def method(pkts, D):
    """METHOD.md, literally."""
    Dset = set(D)
    sets = {}  # (month, block, port) -> set of darknet addresses
    syn = {}
    mirai = {}
    per24 = {}
    outside = 0
    for ts, src, dst, sport, dport, flags, seq, ip_id in pkts:
        if dst not in Dset:
            outside += 1
            continue
        if flags & 0x12 != 0x02:
            continue
        block = src >> 16
        sets.setdefault((month_label(ts), block, dport), set()).add(dst)
        syn[block] = syn.get(block, 0) + 1
        mirai[block] = mirai.get(block, 0) + (seq == dst)
        per24[src >> 8] = per24.get(src >> 8, 0) + 1
    port_sets = {}  # block -> month -> ports
    for (month, block, port), s in sets.items():
        if Fraction(len(s), len(D)) >= ALPHA:
            port_sets.setdefault(block, {}).setdefault(month, set()).add(port)
    networks = []
    for block in sorted(port_sets):
        T = {m: p for m, p in port_sets[block].items() if len(p) >= MIN_PORTS}
        if len(T) < MIN_WINDOWS:
            continue
        months = sorted(T)
        jac, sim = [], []
        for i in range(len(months)):
            for j in range(i + 1, len(months)):
                a, b = T[months[i]], T[months[j]]
                jac.append(Fraction(len(a & b), len(a | b)))
                sim.append(Fraction(len(a & b), min(len(a), len(b))))
        jm, sm = median(jac), median(sim)
        if sm <= STABLE_SIMPSON:
            cat = "ad-hoc"
        elif jm > ROUTINE_JACCARD:
            cat = "routine"
        else:
            cat = "semi-routine"
        tops = [(c, s24) for s24, c in per24.items() if s24 >> 8 == block]
        top = min(tops, key=lambda x: (-x[0], x[1]))[1]
        networks.append({
            "block": "%d.%d.0.0/16" % (block >> 8, block & 255),
            "category": cat,
            "jaccard_median": float(jm), "simpson_median": float(sm),
            "first_window": months[0], "last_window": months[-1],
            "scan_windows": months,
            "ports_max": max(len(p) for p in T.values()),
            "ports_min": min(len(p) for p in T.values()),
            "port_sets": {m: sorted(T[m]) for m in months},
            "syn_packets": syn[block],
            "mirai_share": float(Fraction(mirai[block], syn[block])),
            "top24": ipstr(top << 8) + "/24",
        })
    counts = {}
    total = 0
    for n in networks:
        if n["category"] == "ad-hoc":
            continue
        for ports in n["port_sets"].values():
            total += 1
            for p in ports:
                counts[p] = counts.get(p, 0) + 1
    top_ports = [{"port": p, "frequency": float(Fraction(c, total))}
                 for p, c in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
    return {"darknet_size": len(D), "networks": networks, "top_ports": top_ports,
            "outside_darknet": outside}


def compare(expected_path, results_path):
    exp = json.load(open(expected_path))
    got = json.load(open(results_path))
    problems = []
    if got["darknet"]["size"] != exp["darknet_size"]:
        problems.append("darknet size %s != %s" % (got["darknet"]["size"], exp["darknet_size"]))
    if got["input"]["packets"] != exp["packets"]:
        problems.append("packets %s != %s" % (got["input"]["packets"], exp["packets"]))
    if got["input"]["outside_darknet"] != exp["outside_darknet"]:
        problems.append("outside_darknet %s != %s" % (got["input"]["outside_darknet"],
                                                      exp["outside_darknet"]))
    gb = [n["block"] for n in got["networks"]]
    eb = [n["block"] for n in exp["networks"]]
    if gb != eb:
        problems.append("blocks %s != %s" % (gb, eb))
    for e, g in zip(exp["networks"], got["networks"]):
        for k, v in e.items():
            if g.get(k) != v:
                problems.append("%s %s: %r != %r" % (e["block"], k, g.get(k), v))
    et = exp["top_ports"]
    gt = [{"port": t["port"], "frequency": t["frequency"]} for t in got["top_ports"]]
    if gt != et:
        problems.append("top_ports differ: %s vs %s" % (gt[:5], et[:5]))
    for p in problems:
        print("DIFF:", p)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("outdir")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--files", type=int, default=5)
    c = sub.add_parser("compare")
    c.add_argument("expected")
    c.add_argument("results")
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.outdir, a.seed, a.files)
        return 0
    return compare(a.expected, a.results)


if __name__ == "__main__":
    sys.exit(main())
