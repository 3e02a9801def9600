#!/usr/bin/env bash
# analyze --honeypot-log: gamma (the paper's Table 4) from a honeypot session log beside the
# darknet captures, with hand-computed answers; gzip logs; bad logs name the file and line.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# July 2018: 10.1.2.3 scans ports 1-29 and 80 of 192.0.2.0/28 (16 addresses, all of D).
t=1530403200
python3 "$here/mkpcap.py" "$work/a.pcap" "scan:$((t + 60)),10.1.2.3,192.0.2.0/28,1-29" \
    "scan:$((t + 90)),10.1.2.3,192.0.2.0/28,80-80"
# A 3-address honeypot (quorum 2). Block 10.1/16: port 22 on 2 addresses (counts), port 23
# on 1 address twice (does not), port 80 on 3 addresses (counts), port 8080 outside P (no).
{
    echo "time,src,src_port,dst,dst_port,duration,end,bytes,data"
    echo "2018-07-02T00:00:00.000001Z,10.1.9.9,40000,198.51.100.1,22,0.1,client,0,"
    echo "2018-07-02T00:00:01Z,10.1.2.3,40001,198.51.100.2,22,0.1,client,0,"
    echo "1530489602.5,10.1.2.3,40002,198.51.100.1,23,0.1,client,0,"
    echo "1530489603,10.1.2.3,40003,198.51.100.1,23,0.1,client,0,"
    for h in 1 2 3; do
        echo "2018-07-03T00:00:00Z,10.1.2.3,4100$h,198.51.100.$h,80,0.1,client,0,"
        echo "2018-07-03T00:00:00Z,10.1.2.3,4200$h,198.51.100.$h,8080,0.1,client,0,"
    done
} >"$work/sessions.csv"
gzip -c "$work/sessions.csv" >"$work/sessions.csv.gz"

for log in sessions.csv sessions.csv.gz; do
    "$DARKSCAN" analyze -q -d 192.0.2.0/28 -m 1 --honeypot-log "$work/$log" \
        -o "$work/out-$log" "$work/a.pcap" || { echo "FAIL analyze with $log" >&2; fail=1; }
    python3 - "$work/out-$log/results.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
h = r["honeypot"]
assert h["addresses"] == 3 and h["quorum"] == 2 and h["sessions"] == 10, h
assert h["windows"] == ["2018-07"], h
a = r["networks"][0]["app_scan"]
assert a == {"window": "2018-07", "ports": 30, "app_ports": 2, "ratio": 2 / 30,
             "app_port_list": [22, 80]}, a
PY
    grep -q '^10.1.0.0/16,2018-07,30,2,0.06666666666666667,22 80$' "$work/out-$log/app_scan.csv" ||
        { echo "FAIL app_scan.csv" >&2; cat "$work/out-$log/app_scan.csv" >&2; fail=1; }
done

# --honeypot-addrs 31: quorum 16, nothing counts; --honeypot-quorum 3: only port 80.
"$DARKSCAN" analyze -q -d 192.0.2.0/28 -m 1 --honeypot-log "$work/sessions.csv" \
    --honeypot-quorum 3 --json "$work/q3.json" "$work/a.pcap" || fail=1
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["networks"][0]["app_scan"]; assert a["app_port_list"] == [80], a' "$work/q3.json" || fail=1
"$DARKSCAN" analyze -d 192.0.2.0/28 -m 1 --honeypot-log "$work/sessions.csv" \
    --honeypot-addrs 31 --json "$work/a31.json" "$work/a.pcap" >"$work/summary" || fail=1
grep -q "quorum 16" "$work/summary" || { echo "FAIL summary lacks Table 4" >&2; fail=1; }

# A bad line: exit 1 naming the file and line; options without a log: exit 2.
printf 'time,src,src_port,dst,dst_port\n2018-07-02T00:00:00Z,10.1.2.3,1,198.51.100.1,99999\n' >"$work/bad.csv"
"$DARKSCAN" analyze -q -d 192.0.2.0/28 --honeypot-log "$work/bad.csv" "$work/a.pcap" 2>"$work/err"
[[ $? == 1 ]] && grep -q "bad.csv:2" "$work/err" || { echo "FAIL bad log" >&2; cat "$work/err" >&2; fail=1; }
# A missing log fails before any capture is read (the capture named after it is a FIFO
# nobody writes: reading it would hang).
mkfifo "$work/never"
timeout 20 "$DARKSCAN" analyze -q -d 192.0.2.0/28 --honeypot-log "$work/missing.csv" \
    "$work/never" 2>"$work/err"
[[ $? == 1 ]] && grep -q "missing.csv: No such file or directory" "$work/err" ||
    { echo "FAIL missing log" >&2; cat "$work/err" >&2; fail=1; }
"$DARKSCAN" analyze -q -d 192.0.2.0/28 --honeypot-quorum 2 "$work/a.pcap" 2>/dev/null
[[ $? == 2 ]] || { echo "FAIL quorum without log" >&2; fail=1; }
exit $fail
