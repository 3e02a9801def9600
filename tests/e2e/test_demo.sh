#!/usr/bin/env bash
# darkscan demo: usage, and a whole demo run on the small scenario (the paper-size demo runs in
# test_simulate_paper.sh): simulate, analyze through the same code as `darkscan analyze`, the
# check against truth.json, and the report's path as the last line. A second run into the same
# folder works (the captures are replaced).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# (output to a variable first: `cmd | grep -q` fails under pipefail when grep exits early)
help=$("$DARKSCAN" demo --help)
grep -q "Usage: darkscan demo" <<<"$help"
rc=0
"$DARKSCAN" demo --bogus 2>/dev/null || rc=$?
[[ $rc == 2 ]]
rc=0
"$DARKSCAN" demo -s nope 2>/dev/null || rc=$?
[[ $rc == 2 ]]

for run in 1 2; do
    "$DARKSCAN" demo -s small --out "$work/d" >"$work/out$run" 2>"$work/err$run"
done
out="$work/out2"
grep -q "^== darkscan demo: simulating the 'small' scenario into $work/d/" "$out"
grep -q "^  darkscan analyze -D $work/d/darknet.txt -o $work/d/results" "$out"
grep -q "constant Internet-wide scanner" "$out" || grep -q "162.142.0.0/16" "$out"
grep -q "^check: the analysis equals truth.json on every field it fixes: 4 constant scanners" "$out"
last=$(tail -n 1 "$out")
case "$last" in
"report: $work/d/results/report.html" | "report: $work/d/results/results.json") ;;
*)
    echo "FAIL: the demo's last line is '$last'" >&2
    exit 1
    ;;
esac
[[ -s "${last#report: }" ]]
# enrichment is passed exactly when analyze offers it
analyze_help=$("$DARKSCAN" analyze --help)
if grep -q -- "--geoip" <<<"$analyze_help"; then
    grep -q -- "--geoip .*data/geoip/iptoasn-country-ipv4.mmdb" "$out"
    grep -q -- "--known-scanners .*data/scanners/misp/censys-scanning.json" "$out"
    if grep -q -- "--known-scanners [^ ]*LICENSE" "$out"; then
        echo "FAIL: a licence file passed as a scanner list" >&2
        exit 1
    fi
else
    ! grep -q -- "--geoip" "$out"
fi
echo "ok: demo runs, checks itself against the truth and ends with the report's path"
