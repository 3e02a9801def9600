#!/usr/bin/env python3
"""sim-ranges.py - how the simulator's real source ranges were chosen, and the AS subset.

    scripts/sim-ranges.py pick NAME=CC [NAME=CC ...]
        For each NAME, a hosting provider's address range (AS organisation matching hosting,
        server, cloud, data centre, VPS, colocation, dedicated) from the shared asn-ipv4.csv.gz,
        taken in an order shuffled by NAME, whose first /24 lies in country CC according to
        iptoasn-country-ipv4.mmdb (looked up with mmdblookup), in a /16 not used yet. Prints
        one line per NAME: the two first /24s of the range, the /16, the AS and its organisation,
        for lib/simulate/ranges.c. The blocks are chosen for their country only.

    scripts/sim-ranges.py asn-subset OUT.csv
        Every row of the shared asn-ipv4.csv.gz that meets a /16 used in lib/simulate/ranges.c
        (start,end,asn,org; CC-BY-4.0, see data/asn/README.md), for the demo's --asn
        database (data/asn/asn-ipv4-demo.csv); gzip-compressed when OUT ends in .gz.

Reads ../shared/data (DS_SHARED_DATA overrides); writes nothing else.
"""
import bisect
import csv
import gzip
import io
import ipaddress
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("DS_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
COUNTRY_DB = os.path.join(SHARED, "mmdb/ip-location-db/iptoasn-country/iptoasn-country-ipv4.mmdb")
ASN_CSV = os.path.join(SHARED, "mmdb/ip-location-db/asn/asn-ipv4.csv.gz")
RANGES_C = os.path.join(ROOT, "lib/simulate/ranges.c")
HOSTING = re.compile(r"host|server|cloud|data ?cent|vps|colocat|dedicated", re.I)


def ip(s):
    return int(ipaddress.IPv4Address(s))


def ipstr(v):
    return str(ipaddress.IPv4Address(v))


def country(addr):
    out = subprocess.run(["mmdblookup", "--file", COUNTRY_DB, "--ip", ipstr(addr), "country_code"],
                         capture_output=True, text=True, check=False).stdout
    m = re.search(r'"([A-Z]{2})"', out)
    return m.group(1) if m else None


def asn_rows():
    with gzip.open(ASN_CSV, "rt", encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            yield row


def used_blocks():
    """The /16s of every host CIDR in ranges.c."""
    text = open(RANGES_C, encoding="utf-8").read()
    blocks = set()
    for cidr in re.findall(r"(\d+\.\d+\.\d+\.\d+)/\d+", text):
        blocks.add(ip(cidr) >> 16)
    return blocks


def pick(specs):
    rows = [(ip(r[0]), ip(r[1]), int(r[2]), r[3]) for r in asn_rows()]
    cands = [r for r in rows if HOSTING.search(r[3]) and r[1] - r[0] >= 1023]
    taken = used_blocks() | {ip(b) >> 16 for b in ("198.18.0.0", "198.19.0.0", "192.0.0.0",
                                                      "203.0.0.0", "100.64.0.0")}
    for spec in specs:
        name, cc = spec.split("=")
        order = list(range(len(cands)))
        random.Random(name).shuffle(order)
        for i in order:
            start, end, asn, org = cands[i]
            first = (start + 255) & ~255
            if first + 511 > end or (first >> 16) in taken or first >> 24 in (0, 10, 127, 100):
                continue
            if first >> 24 >= 224 or (first + 256) >> 16 != first >> 16 or country(first) != cc:
                continue
            taken.add(first >> 16)
            print('%s %s "%s/24,%s/24" "AS%d %s"' % (name, cc, ipstr(first), ipstr(first + 256),
                                                      asn, org))
            break
        else:
            print("%s %s: nothing found" % (name, cc), file=sys.stderr)


def asn_subset(out):
    blocks = sorted(used_blocks())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    n = 0
    for row in asn_rows():
        lo, hi = ip(row[0]) >> 16, ip(row[1]) >> 16
        k = bisect.bisect_left(blocks, lo)
        if k < len(blocks) and blocks[k] <= hi:
            w.writerow(row)
            n += 1
    data = buf.getvalue().encode("utf-8")
    if out.endswith(".gz"):
        with gzip.GzipFile(out, "wb", mtime=0) as f:
            f.write(data)
    else:
        with open(out, "wb") as f:
            f.write(data)
    print("%s: %d rows for %d blocks" % (out, n, len(blocks)))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "pick":
        pick(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "asn-subset":
        asn_subset(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
