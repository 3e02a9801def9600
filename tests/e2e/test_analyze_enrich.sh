#!/usr/bin/env bash
# analyze with --geoip, --asn and --known-scanners on generated captures whose scanners sit in
# real address blocks (Censys, Shodan, RIPE NCC), with known TTLs, TCP windows and tool
# fingerprints: the results JSON (enrichment keys, fingerprints, hosts, subnets, per-host port
# sets), the CSV tables and the summary; MaxMind's test databases; bad databases (exit 1
# naming the file and libmaxminddb's reason); standard input (no host pass).
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
S=$DS_SHARED_DATA
fail=0

# Six months, darknet 192.0.2.0/28 (16 addresses). Every scanner sends one SYN per
# (darknet address, port) in every month it is active.
python3 - "$work/scan.pcap" <<'PY'
import ipaddress, struct, sys, calendar

def ip(s): return int(ipaddress.IPv4Address(s))

def frame(src, dst, dport, seq, ip_id, ttl, win):
    tcp = struct.pack("!HHIIBBHHH", 40000, dport, seq, 0, 5 << 4, 2, win, 0, 0)
    hdr = struct.pack("!BBHHHBBHII", 0x45, 0, 40, ip_id, 0, ttl, 6, 0, src, dst)
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + hdr + tcp

# (source, ports, ttl, window, fingerprint)
SCANNERS = [
    ("162.142.125.7", range(1, 36), 50, 65535, "zmap"),      # Censys: 35 ports
    ("66.240.192.138", range(1, 21), 240, 1024, "masscan"),  # Shodan: ports 1-20 ...
    ("66.240.219.146", range(21, 41), 240, 1024, "masscan"), # ... and 21-40 from another host
    ("193.0.14.129", range(100, 131), 64, 29200, "mirai"),   # RIPE NCC block: 31 ports
    ("81.2.69.160", range(200, 232), 128, 8192, "none"),     # MaxMind test data: GB
    ("1.128.0.1", range(300, 332), 128, 8192, "none"),       # MaxMind ASN test data: AS1221
]
dark = [ip("192.0.2.0") + i for i in range(16)]
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
for month in range(7, 13):
    t0 = calendar.timegm((2018, month, 2, 0, 0, 0))
    for k, (src, ports, ttl, win, fp) in enumerate(SCANNERS):
        for p in ports:
            for d in dark:
                seq, ip_id = 7, 0x4000
                if fp == "zmap": ip_id = 54321
                if fp == "mirai": seq = d
                if fp == "masscan":
                    seq = 0x12345678
                    ip_id = (d ^ p ^ seq) & 0xFFFF
                data = frame(ip(src), d, p, seq, ip_id, ttl, win)
                out.append(struct.pack("<IIII", t0 + k * 3600 + p, 0, len(data), len(data)) + data)
    # a one-off visitor in the Censys /16, never a scan by itself
    data = frame(ip("162.142.1.1"), dark[0], 22, 7, 0x4000, 60, 512)
    out.append(struct.pack("<IIII", t0 + 99999, 0, len(data), len(data)) + data)
open(sys.argv[1], "wb").write(b"".join(out))
PY

GEO=$S/mmdb/ip-location-db/geo-whois-asn-country/geo-whois-asn-country-ipv4.mmdb
ASN=$S/mmdb/ip-location-db/asn/asn-ipv4.csv.gz
MISP=$S/scanners/misp-warninglists
"$DARKSCAN" analyze -d 192.0.2.0/28 --geoip "$GEO" --asn "$ASN" \
    --known-scanners "$MISP/censys-scanning.json" --known-scanners "$MISP/shodan-scanning.json" \
    --known-scanners "$S/scanners/maltrail/mass_scanner.txt" \
    -o "$work/out" "$work/scan.pcap" >"$work/summary.txt" 2>"$work/err" || {
    echo "FAIL analyze: exit $?" >&2
    cat "$work/err" >&2
    exit 1
}

python3 - "$work/out" "$ASN" <<'PY' || fail=1
import csv, gzip, ipaddress, json, sys
out, asn_csv = sys.argv[1], sys.argv[2]
r = json.load(open(out + "/results.json"))
nets = {n["block"]: n for n in r["networks"]}
assert sorted(nets) == ["1.128.0.0/16", "162.142.0.0/16", "193.0.0.0/16", "66.240.0.0/16",
                        "81.2.0.0/16"], sorted(nets)

# The AS oracle: the CSV itself, read here (narrowest range holding the address).
rows = []
with gzip.open(asn_csv, "rt") as fh:
    for row in csv.reader(fh):
        rows.append((int(ipaddress.IPv4Address(row[0])), int(ipaddress.IPv4Address(row[1])),
                     int(row[2]), row[3]))
def asn_of(addr):
    a = int(ipaddress.IPv4Address(addr))
    hits = [x for x in rows if x[0] <= a <= x[1]]
    if not hits: return None
    best = min(hits, key=lambda x: x[1] - x[0])
    return {"number": best[2], "org": best[3] or None}

def check(block, **want):
    n = nets[block]
    for k, v in want.items():
        assert n[k] == v, (block, k, n[k], v)
    return n

months = ["2018-%02d" % m for m in range(7, 13)]
# Censys: one host, ZMap, TTL 50, window 65535; the one-off visitor 162.142.1.1 is a host too.
n = check("162.142.0.0/16", country="US", asn=asn_of("162.142.125.7"), top24="162.142.125.0/24",
          known_scanners=[{"name": "censys", "hosts": 1}], host_count=2,
          syn_packets=6 * 35 * 16 + 6, ports_max=35)
assert n["asn"]["number"] == 398324, n["asn"]
fp = n["fingerprints"]
assert fp["zmap"] == 6 * 35 * 16 / (6 * 35 * 16 + 6) and fp["mirai"] == 0.0 and fp["masscan"] == 0.0, fp
assert fp["ttl"] == 50 and fp["window"] == 65535, fp
assert fp["ttl_share"] == 3360 / 3366 and fp["window_share"] == 3360 / 3366, fp
assert n["hosts"][0] == {"addr": "162.142.125.7", "syn_packets": 3360, "ports_max": 35,
                         "port_set_sizes": {m: 35 for m in months}, "ttl": 50, "window": 65535}, n["hosts"][0]
assert n["hosts"][1] == {"addr": "162.142.1.1", "syn_packets": 6, "ports_max": 0,
                         "port_set_sizes": {m: 0 for m in months}, "ttl": 60, "window": 512}, n["hosts"][1]
assert n["subnets"] == [{"prefix": "162.142.125.0/24", "syn_packets": 3360, "hosts": 1},
                        {"prefix": "162.142.1.0/24", "syn_packets": 6, "hosts": 1}], n["subnets"]

# Shodan: two hosts share the scanning, 20 ports each; both in shodan-scanning.json and
# maltrail's list (one organisation); Masscan's IP ID.
n = check("66.240.0.0/16", country="US", asn=asn_of("66.240.192.138"), ports_max=40,
          known_scanners=[{"name": "shodan", "hosts": 2}], host_count=2)
assert n["fingerprints"]["masscan"] == 1.0 and n["fingerprints"]["ttl"] == 240, n["fingerprints"]
assert [(h["addr"], h["ports_max"]) for h in n["hosts"]] == [("66.240.192.138", 20),
                                                             ("66.240.219.146", 20)], n["hosts"]
assert n["subnets"] == [{"prefix": "66.240.192.0/24", "syn_packets": 1920, "hosts": 1},
                        {"prefix": "66.240.219.0/24", "syn_packets": 1920, "hosts": 1}], n["subnets"]
# ties of the top /24: the lower address
assert n["top24"] == "66.240.192.0/24", n["top24"]

n = check("193.0.0.0/16", country="NL", asn=asn_of("193.0.14.129"), known_scanners=[])
assert n["fingerprints"]["mirai"] == 1.0 and n["mirai_share"] == 1.0, n["fingerprints"]
assert n["fingerprints"]["window"] == 29200, n["fingerprints"]

# Figure 1 and the sources.
assert r["countries"] == [{"country": "US", "networks": 2}, {"country": "AU", "networks": 1},
                          {"country": "GB", "networks": 1}, {"country": "NL", "networks": 1}], r["countries"]
assert r["enrichment"]["host_pass"] is True and r["enrichment"]["geoip"].endswith(".mmdb"), r["enrichment"]
assert len(r["enrichment"]["known_scanners"]) == 3

# CSV tables.
rows = list(csv.DictReader(open(out + "/networks.csv")))
cen = [x for x in rows if x["block"] == "162.142.0.0/16"][0]
assert (cen["country"], cen["asn"], cen["asn_org"], cen["known_scanners"], cen["ttl"],
        cen["tcp_window"]) == ("US", "398324", "Censys, Inc.", "censys:1", "50", "65535"), cen
hosts = list(csv.DictReader(open(out + "/hosts.csv")))
assert [h["addr"] for h in hosts if h["block"] == "66.240.0.0/16"] == ["66.240.192.138",
                                                                      "66.240.219.146"], hosts
sub = list(csv.DictReader(open(out + "/subnets.csv")))
assert {"block": "162.142.0.0/16", "prefix": "162.142.1.0/24", "syn_packets": "6", "hosts": "1"} in sub
hps = list(csv.DictReader(open(out + "/host_port_sets.csv")))
assert {"block": "66.240.0.0/16", "addr": "66.240.219.146", "window": "2018-09",
        "port_set_size": "20"} in hps, hps[:3]
countries = list(csv.DictReader(open(out + "/countries.csv")))
assert countries[0] == {"country": "US", "networks": "2", "share": "0.4"}, countries
PY

grep -q "Blocks per country: US 2" "$work/summary.txt" || { echo "FAIL summary: country count" >&2; fail=1; }
grep -q "censys (1)" "$work/summary.txt" || { echo "FAIL summary: known scanners" >&2; fail=1; }
grep -q "C91.196.152.28" "$work/err" || { echo "FAIL: maltrail's bad line not warned" >&2; fail=1; }

# MaxMind's own test databases: country of 81.2.69.160 is GB, 1.128.0.1 has none;
# GeoLite2-ASN-Test knows 1.128.0.0/11 as AS1221.
T=$S/mmdb/maxmind-db-test/test-data
"$DARKSCAN" analyze -q -d 192.0.2.0/28 --geoip "$T/GeoIP2-Country-Test.mmdb" \
    --asn "$T/GeoLite2-ASN-Test.mmdb" --json "$work/mm.json" "$work/scan.pcap" || fail=1
python3 - "$work/mm.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
nets = {n["block"]: n for n in r["networks"]}
assert nets["81.2.0.0/16"]["country"] == "GB", nets["81.2.0.0/16"]["country"]
assert nets["1.128.0.0/16"]["country"] is None
assert nets["1.128.0.0/16"]["asn"] == {"number": 1221, "org": "Telstra Pty Ltd"}, nets["1.128.0.0/16"]["asn"]
assert nets["81.2.0.0/16"]["asn"] is None
assert "known_scanners" not in nets["81.2.0.0/16"]
PY

# Bad databases: exit 1, one line naming the file and libmaxminddb's reason; nothing written.
B=$S/mmdb/maxmind-db-test/bad-data
for db in "$B/libmaxminddb/libmaxminddb-corrupt-search-tree.mmdb" \
    "$B/maxminddb-golang/invalid-string-length.mmdb" "$work/missing.mmdb"; do
    "$DARKSCAN" analyze -q -d 192.0.2.0/28 --geoip "$db" --json "$work/bad.json" \
        "$work/scan.pcap" 2>"$work/err"
    rc=$?
    if [[ $rc != 1 ]] || ! grep -qF "$db: libmaxminddb: " "$work/err" || [[ -e $work/bad.json ]]; then
        echo "FAIL bad database $db: exit $rc" >&2
        cat "$work/err" >&2
        fail=1
    fi
done
"$DARKSCAN" analyze -q -d 192.0.2.0/28 --asn "$work/missing.csv" "$work/scan.pcap" 2>"$work/err"
[[ $? == 1 ]] && grep -q "missing.csv" "$work/err" || { echo "FAIL missing AS database" >&2; fail=1; }
printf 'not a list\n' >"$work/list.txt"
"$DARKSCAN" analyze -q -d 192.0.2.0/28 --known-scanners "$work/list.txt" "$work/scan.pcap" 2>"$work/err"
[[ $? == 1 ]] && grep -q "list.txt:1:" "$work/err" || { echo "FAIL bad known list" >&2; fail=1; }

# Standard input cannot be read twice: a warning, hosts without port sets, no TTL.
"$DARKSCAN" analyze -d 192.0.2.0/28 --json "$work/stdin.json" - <"$work/scan.pcap" \
    >/dev/null 2>"$work/err" || fail=1
grep -q "cannot be read a second time" "$work/err" || { echo "FAIL stdin warning" >&2; fail=1; }
# --no-host-pass: the same, without a warning.
"$DARKSCAN" analyze -d 192.0.2.0/28 --no-host-pass --json "$work/nohp.json" "$work/scan.pcap" \
    >/dev/null 2>"$work/err" || fail=1
grep -q "second time" "$work/err" && { echo "FAIL --no-host-pass warned" >&2; fail=1; }
for f in stdin nohp; do
    python3 - "$work/$f.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
n = [n for n in r["networks"] if n["block"] == "162.142.0.0/16"][0]
assert r["enrichment"]["host_pass"] is False
assert n["hosts"][0] == {"addr": "162.142.125.7", "syn_packets": 3360, "ports_max": None,
                         "port_set_sizes": None, "ttl": None, "window": None}, n["hosts"][0]
assert n["fingerprints"]["ttl"] is None and n["fingerprints"]["zmap"] > 0.99
assert "country" not in n and "asn" not in n and "countries" not in r
PY
done

[[ $fail == 0 ]] && echo "ok: enrichment keys, tables, MaxMind test databases, bad databases, stdin"
exit $fail
