#!/usr/bin/env bash
# darkscan report as a command: usage errors (exit 2), unreadable, broken or foreign results
# (exit 1, one line naming the file and, for JSON, line and column), standard input and
# output; and `analyze -o DIR`, whose report.html is exactly what `report` makes of its
# results.json. Every page written is checked to be well-formed and unable to make a request.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
fixture="$DS_SOURCE_DIR/tests/fixtures/report/enriched.json"
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
one_line() { # one_line NAME: the error is one line
    [[ $(wc -l <"$work/err") == 1 ]] || { echo "FAIL $1: stderr is not one line" >&2; fail=1; }
}
static() { # static NAME HTML
    python3 "$here/report_check.py" static "$2" || { echo "FAIL $1: $2 is not a clean page" >&2; fail=1; }
}

check help 0 "$DARKSCAN" report --help
grep -q -- "--results" "$work/out" || { echo "FAIL help text" >&2; fail=1; }
"$DARKSCAN" --help | grep -q '^  report ' || { echo "FAIL: report is not in darkscan --help" >&2; fail=1; }
check no-args 2 "$DARKSCAN" report
check no-out 2 "$DARKSCAN" report --results "$fixture"
grep_err no-out "-o FILE"
check unknown 2 "$DARKSCAN" report --frobnicate --results "$fixture" -o "$work/r.html"
check extra-arg 2 "$DARKSCAN" report "$fixture" "$fixture" -o "$work/r.html"
check top-ports 2 "$DARKSCAN" report --results "$fixture" -o "$work/r.html" --top-ports many
check missing-arg 2 "$DARKSCAN" report --results

check missing-file 1 "$DARKSCAN" report --results "$work/none.json" -o "$work/r.html"
grep_err missing-file "none.json: No such file"
one_line missing-file
printf '{"networks": [\n  {"block": "1.2.0.0/16",}\n]}\n' >"$work/broken.json"
check broken-json 1 "$DARKSCAN" report --results "$work/broken.json" -o "$work/r.html"
grep_err broken-json "broken.json:2:25: trailing comma"
one_line broken-json
printf '[{"block": "1.2.0.0/16"}]\n' >"$work/array.json"
check not-results 1 "$DARKSCAN" report --results "$work/array.json" -o "$work/r.html"
grep_err not-results "array.json:1:1: the top level is an array"
printf '{"networks": [\n {"block": "1.2.0.0/16", "port_sets": {"2018-07": [22, "ssh"]}}]}\n' \
    >"$work/wrong.json"
check wrong-kind 1 "$DARKSCAN" report --results "$work/wrong.json" -o "$work/r.html"
grep_err wrong-kind "wrong.json:2:56: networks\[0\].port_sets.2018-07\[1\]: not a port number"
[[ ! -e "$work/r.html" ]] || { echo "FAIL: a refused document left a report" >&2; fail=1; }
[[ -z $(ls "$work" | grep 'r\.html\.') ]] || { echo "FAIL: a temporary file was left" >&2; fail=1; }
check unwritable 1 "$DARKSCAN" report --results "$fixture" -o "$work/no/such/dir/r.html"
grep_err unwritable "no/such/dir/r.html"

# The fixture (every optional key, hostile strings) to a file, to stdout, from stdin.
check fixture 0 "$DARKSCAN" report --results "$fixture" -o "$work/fixture.html"
static fixture "$work/fixture.html"
check stdout 0 "$DARKSCAN" report "$fixture" -o - --top-ports 2 --title 'My <darknet>'
cmp -s "$work/out" "$work/fixture.html" && { echo "FAIL: --top-ports and --title changed nothing" >&2; fail=1; }
grep -q '<h1>My &lt;darknet&gt;</h1>' "$work/out" || { echo "FAIL --title" >&2; fail=1; }
check stdin 0 "$DARKSCAN" report --results - -o "$work/stdin.html" <"$fixture"
grep -q 'from &lt;stdin&gt;' "$work/stdin.html" || { echo "FAIL: stdin is not named" >&2; fail=1; }
check stdin-broken 1 "$DARKSCAN" report --results - -o "$work/stdin2.html" <"$work/broken.json"
grep_err stdin-broken "<stdin>:2:25: "

# An empty result (no constant scanners) is still a whole, valid page.
printf '{"networks": [], "windows": [{"label": "2019-01", "complete": false}]}\n' >"$work/empty.json"
check empty 0 "$DARKSCAN" report --results "$work/empty.json" -o "$work/empty.html"
static empty "$work/empty.html"
grep -q 'No constant Internet-wide scanner blocks' "$work/empty.html" || { echo "FAIL: empty page" >&2; fail=1; }

# analyze -o DIR: report.html beside results.json, byte for byte what `report` makes of it.
python3 "$here/method_ref.py" generate "$work/mr" --seed 3 --files 2 >/dev/null || fail=1
check analyze 0 "$DARKSCAN" analyze -q --sweep -D "$work/mr/darknet.txt" -o "$work/res" "$work/mr/caps"
[[ -s "$work/res/report.html" ]] || { echo "FAIL: analyze -o wrote no report.html" >&2; fail=1; }
(cd "$work/res" && "$DARKSCAN" report --results results.json -o again.html) || fail=1
cmp "$work/res/report.html" "$work/res/again.html" || { echo "FAIL: analyze and report differ" >&2; fail=1; }
static analyze "$work/res/report.html"
grep -q 'id="sweep"' "$work/res/report.html" || { echo "FAIL: no sweep section" >&2; fail=1; }
for b in 10-20-0-0-16 11-30-0-0-16 12-40-0-0-16; do
    grep -q "id=\"block-$b\"" "$work/res/report.html" || { echo "FAIL: no section for $b" >&2; fail=1; }
done

# analyze --honeypot-log -o DIR: Table 4 from a real app_scan (10.1.2.3 scans 30 ports; a
# 3-address honeypot sees sessions on 2 of them from at least 2 addresses: gamma 2/30).
t=1530403200
python3 "$here/mkpcap.py" "$work/hp.pcap" "scan:$((t + 60)),10.1.2.3,192.0.2.0/28,1-29" \
    "scan:$((t + 90)),10.1.2.3,192.0.2.0/28,80-80"
{
    echo "time,src,src_port,dst,dst_port"
    for h in 1 2 3; do
        echo "2018-07-03T00:00:00Z,10.1.2.3,4100$h,198.51.100.$h,80"
        echo "2018-07-03T00:00:00Z,10.1.2.3,4200$h,198.51.100.$h,22"
    done
} >"$work/sessions.csv"
check honeypot 0 "$DARKSCAN" analyze -q -d 192.0.2.0/28 -m 1 --honeypot-log "$work/sessions.csv" \
    -o "$work/hp" "$work/hp.pcap"
static honeypot "$work/hp/report.html"
grep -q '<td class="num" data-sort="0.0666[0-9]*">6.7%</td></tr>' "$work/hp/report.html" &&
    grep -q 'The honeypot: 3 addresses, a port counts with sessions on 2' "$work/hp/report.html" ||
    { echo "FAIL: Table 4 of analyze --honeypot-log" >&2; fail=1; }

exit $fail
