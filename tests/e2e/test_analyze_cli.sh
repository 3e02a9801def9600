#!/usr/bin/env bash
# darkscan analyze as a command: usage errors (exit 2), bad input (exit 1, one line naming the
# file and the place), damaged captures (warning, every complete packet counted), outputs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() { # check NAME WANT_RC CMD...
    local name=$1 want=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    if [[ $rc != "$want" ]]; then
        echo "FAIL $name: exit $rc, want $want" >&2
        sed 's/^/  | /' "$work/err" >&2
        fail=1
    fi
}
grep_err() { # grep_err NAME PATTERN
    grep -q -- "$2" "$work/err" || {
        echo "FAIL $1: stderr lacks '$2'" >&2
        sed 's/^/  | /' "$work/err" >&2
        fail=1
    }
}

# July 2018: 10.1.2.3 scans 30 ports of 192.0.2.0/28; a SYN-ACK and an outside packet.
t=1530403200
python3 "$here/mkpcap.py" "$work/a.pcap" "scan:$((t + 60)),10.1.2.3,192.0.2.0/28,1-30" \
    "$((t + 100)),10.9.9.9,192.0.2.1,80,18" "$((t + 200)),10.9.9.9,192.0.2.99,80"
D=(-d 192.0.2.0/28)

check help 0 "$DARKSCAN" analyze --help
grep -q -- "--alpha" "$work/out" || { echo "FAIL help text" >&2; fail=1; }
check no-args 2 "$DARKSCAN" analyze
check no-darknet 2 "$DARKSCAN" analyze "$work/a.pcap"
check no-captures 2 "$DARKSCAN" analyze "${D[@]}"
check alpha-zero 2 "$DARKSCAN" analyze "${D[@]}" -a 0 "$work/a.pcap"
check alpha-big 2 "$DARKSCAN" analyze "${D[@]}" -a 1.5 "$work/a.pcap"
check alpha-text 2 "$DARKSCAN" analyze "${D[@]}" -a 80% "$work/a.pcap"
check prefix 2 "$DARKSCAN" analyze "${D[@]}" --prefix 7 "$work/a.pcap"
check window 2 "$DARKSCAN" analyze "${D[@]}" --window fortnight "$work/a.pcap"
check min-ports 2 "$DARKSCAN" analyze "${D[@]}" -n 0 "$work/a.pcap"
check unknown 2 "$DARKSCAN" analyze "${D[@]}" --frobnicate "$work/a.pcap"
check bad-cidr 2 "$DARKSCAN" analyze -d 192.0.2.1/28 "$work/a.pcap"
grep_err bad-cidr "host bits"

printf '# sensors\n192.0.2.0/28 a\n192.0.2.300/32 b\n' >"$work/bad.txt"
check bad-darknet-line 1 "$DARKSCAN" analyze -D "$work/bad.txt" "$work/a.pcap"
grep_err bad-darknet-line "bad.txt:3:"
check missing-darknet-file 1 "$DARKSCAN" analyze -D "$work/none.txt" "$work/a.pcap"
grep_err missing-darknet-file "none.txt"
check missing-capture 1 "$DARKSCAN" analyze "${D[@]}" "$work/nope.pcap"
grep_err missing-capture "nope.pcap"

# One scanner with m = 1, n = 30: found; JSON to stdout is valid and complete.
check json-stdout 0 "$DARKSCAN" analyze "${D[@]}" -m 1 --json - "$work/a.pcap"
python3 - "$work/out" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
assert r["darknet"]["size"] == 16, r["darknet"]
assert r["input"]["packets"] == 482 and r["input"]["syn_packets"] == 481, r["input"]
assert r["input"]["outside_darknet"] == 1, r["input"]
assert [n["block"] for n in r["networks"]] == ["10.1.0.0/16"], r["networks"]
n = r["networks"][0]
assert n["port_sets"] == {"2018-07": list(range(1, 31))} and n["category"] == "routine", n
assert n["syn_packets"] == 480 and n["top24"] == "10.1.2.0/24", n
assert r["windows"][0]["label"] == "2018-07" and r["windows"][0]["complete"] is False
PY

# A capture cut inside its last record: a warning, exit 0, the complete records count.
size=$(stat -c %s "$work/a.pcap")
head -c $((size - 10)) "$work/a.pcap" >"$work/cut.pcap"
check truncated 0 "$DARKSCAN" analyze "${D[@]}" -m 1 --json "$work/cut.json" "$work/cut.pcap"
grep_err truncated "cut.pcap"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["input"]["packets"] == 481 and r["input"]["truncated_files"] == 1, r["input"]' "$work/cut.json" || fail=1

# A damaged file beside a good one: exit 1 naming it, and the good file still counts.
printf 'this is not a capture\n' >"$work/junk.pcap"
check damaged 1 "$DARKSCAN" analyze "${D[@]}" -m 1 -o "$work/out1" "$work/a.pcap" "$work/junk.pcap"
grep_err damaged "junk.pcap"
for f in results.json networks.csv port_sets.csv top_ports.csv windows.csv; do
    [[ -s "$work/out1/$f" ]] || { echo "FAIL -o: $f missing" >&2; fail=1; }
done
head -1 "$work/out1/networks.csv" | grep -q '^block,category,jaccard_median,simpson_median' || fail=1
[[ $(grep -c '^10.1.0.0/16,2018-07,' "$work/out1/port_sets.csv") == 30 ]] || { echo "FAIL port_sets.csv" >&2; fail=1; }

# Hour windows and the sweep.
check hour 0 "$DARKSCAN" analyze "${D[@]}" -m 1 --window hour --sweep -q -o "$work/out2" "$work/a.pcap"
grep -q '"2018-07-01T00"' "$work/out2/results.json" || { echo "FAIL hour label" >&2; fail=1; }
grep -q '^0.8,30,1,1$' "$work/out2/sweep.csv" || { echo "FAIL sweep.csv" >&2; fail=1; }
# Standard input: the same networks as the file without the host pass (a second read, which
# standard input cannot give).
check stdin 0 "$DARKSCAN" analyze "${D[@]}" -m 1 -q --json "$work/stdin.json" - <"$work/a.pcap"
check no-host-pass 0 "$DARKSCAN" analyze "${D[@]}" -m 1 -q --no-host-pass --json "$work/nohp.json" "$work/a.pcap"
cmp -s <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["networks"])' "$work/stdin.json") \
    <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["networks"])' "$work/nohp.json") ||
    { echo "FAIL stdin differs" >&2; fail=1; }

# Darknet sampling: a sample of 12 of the 16 addresses still finds the scanner (it covers all
# of D), with the sample and each port's estimated coverage in the JSON; a sample as large as
# D is the exact method, byte for byte; 0 is a usage error.
check sample-zero 2 "$DARKSCAN" analyze "${D[@]}" --darknet-sample 0 "$work/a.pcap"
check sample 0 "$DARKSCAN" analyze "${D[@]}" -m 1 -q --darknet-sample 12 --json "$work/s12.json" "$work/a.pcap"
python3 - "$work/s12.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
s = r["darknet"]["sample"]
assert s["addresses"] == 12 and s["alpha_addresses"] == 10, s
assert 0.03 < s["stderr_at_alpha"] < 0.06, s  # sqrt(.16/12 * 4/15)
n = r["networks"][0]
assert n["port_sets"] == {"2018-07": list(range(1, 31))}, n
pc = n["port_coverage"]["2018-07"]
assert [c["port"] for c in pc] == list(range(1, 31)), pc
assert all(c["coverage"] == 1.0 and c["stderr"] == 0.0 for c in pc), pc
PY
check sample-all 0 "$DARKSCAN" analyze "${D[@]}" -m 1 -q --darknet-sample 16 --json "$work/s16.json" "$work/a.pcap"
check exact 0 "$DARKSCAN" analyze "${D[@]}" -m 1 -q --json "$work/exact.json" "$work/a.pcap"
cmp -s "$work/s16.json" "$work/exact.json" || { echo "FAIL a sample of all of D differs" >&2; fail=1; }

exit $fail
