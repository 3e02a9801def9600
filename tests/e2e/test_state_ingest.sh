#!/usr/bin/env bash
# `darkscan ingest` + `analyze --state` against `analyze` over the same captures (method_ref.py
# captures; the host pass reads the ingested files again, checked by their SHA-256, and is
# skipped with a warning when one is gone or changed, or came from standard input):
# byte-identical results JSON, CSV tables and sweep, also with other method options
# (no re-ingest); files already in the state skipped, --force, standard input, truncated and
# damaged files, --keep-windows, --list; and the refusals: another darknet, window or prefix,
# captures beside --state, not a state.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
# expect_rc RC CMD... - run CMD (stderr to $work/err), fail unless it exits with RC.
expect_rc() {
    local want=$1 rc=0
    shift
    "$@" >"$work/out" 2>"$work/err" || rc=$?
    [[ $rc -eq $want ]] || fail "exit $rc, not $want: $* ($(cat "$work/err"))"
}

python3 "$here/method_ref.py" generate "$work/g" --seed 3 --files 5
D=$work/g/darknet.txt
caps=$work/g/caps
S=$work/s.db
"$DARKSCAN" analyze -q -D "$D" --json "$work/direct.json" "$caps"

# Two runs, the second over every file: the first two files are skipped, with a message.
"$DARKSCAN" ingest -j 2 --state "$S" -D "$D" "$caps/part00.pcap" "$caps/part01.pcap.gz" \
    >"$work/run1"
[[ $(grep -c '^ingested' "$work/run1") -eq 2 ]] || fail "run 1: $(cat "$work/run1")"
"$DARKSCAN" ingest --state "$S" "$caps" >"$work/run2"
[[ $(grep -c '^ingested' "$work/run2") -eq 3 ]] || fail "run 2 ingested: $(cat "$work/run2")"
[[ $(grep -c '^skipped .*already in the state (same content' "$work/run2") -eq 2 ]] ||
    fail "run 2 skipped: $(cat "$work/run2")"
"$DARKSCAN" analyze -q --state "$S" --json "$work/state.json"
cmp "$work/direct.json" "$work/state.json" || fail "analyze --state differs from analyze"
python3 "$here/method_ref.py" compare "$work/g/expected.json" "$work/state.json"

# Other method options and outputs, without ingesting again.
opts=(-a 0.9 -n 20 -m 3 --routine-jaccard 0.5 --stable-simpson 0.6 --max-gap 0.5 --sweep)
"$DARKSCAN" analyze -q "${opts[@]}" -D "$D" -o "$work/od" --json "$work/d2.json" "$caps"
"$DARKSCAN" analyze -q "${opts[@]}" --state "$S" -o "$work/os" --json "$work/s2.json"
cmp "$work/d2.json" "$work/s2.json" || fail "analyze --state differs with other options"
diff -r "$work/od" "$work/os" >/dev/null || fail "-o folders differ"
cmp -s "$work/direct.json" "$work/s2.json" && fail "the options changed nothing (test is void)"
# The summary on the terminal too.
"$DARKSCAN" analyze -D "$D" "$caps" >"$work/sum_d" 2>/dev/null
"$DARKSCAN" analyze --state "$S" >"$work/sum_s" 2>"$work/err"
diff "$work/sum_d" "$work/sum_s" >/dev/null || fail "summaries differ"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); h=r["networks"][0]["hosts"][0]; assert h["port_set_sizes"] and h["ttl"] is not None, h' "$work/state.json" ||
    fail "analyze --state did no host pass"

# Captures ingested by a relative path are recorded by their absolute one: analyze --state
# from another folder still reads them again (no warning, the same answer).
mkdir "$work/elsewhere"
(cd "$work/g" && "$DARKSCAN" ingest -q --state "$work/rel.db" -D darknet.txt caps)
python3 - "$work/rel.db" "$caps" <<'PY' || fail "recorded paths are not absolute"
import sqlite3, sys
paths = sorted(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT path FROM sources"))
assert len(paths) == 5 and all(p.startswith(sys.argv[2] + "/part") for p in paths), paths
PY
(cd "$work/elsewhere" && "$DARKSCAN" analyze -q --state ../rel.db --json rel.json 2>err) ||
    fail "analyze --state from elsewhere: $(cat "$work/elsewhere/err")"
[[ ! -s $work/elsewhere/err ]] || fail "warnings from elsewhere: $(cat "$work/elsewhere/err")"
cmp "$work/direct.json" "$work/elsewhere/rel.json" || fail "relative ingest: results differ"

# A capture moved away after ingest: the host pass cannot read it again and says so; the rest
# is as without the host pass.
mv "$caps/part04.pcap" "$work/part04.pcap"
"$DARKSCAN" analyze --state "$S" --json "$work/moved.json" >/dev/null 2>"$work/err"
grep -q 'no per-host port sets.*part04.pcap' "$work/err" || fail "moved: $(cat "$work/err")"
mv "$work/part04.pcap" "$caps/part04.pcap"
"$DARKSCAN" analyze -q --no-host-pass -D "$D" --json "$work/nohp.json" "$caps"
cmp "$work/nohp.json" "$work/moved.json" || fail "moved capture: not as --no-host-pass"
# A capture changed after ingest: the same.
cp "$caps/part01.pcap.gz" "$work/part01.keep"
printf 'x' >>"$caps/part01.pcap.gz"
"$DARKSCAN" analyze --state "$S" --json "$work/changed.json" >/dev/null 2>"$work/err"
grep -q 'part01.pcap.gz has changed since it was ingested' "$work/err" || fail "changed: $(cat "$work/err")"
cp "$work/part01.keep" "$caps/part01.pcap.gz"

# The same darknet, window and prefix given again: fine. Others: refused, saying which.
"$DARKSCAN" analyze -q --state "$S" -D "$D" --window month --prefix 16 --json "$work/s3.json"
cmp "$work/direct.json" "$work/s3.json" || fail "analyze --state -D ... differs"
expect_rc 1 "$DARKSCAN" analyze -q --state "$S" --window week --json -
grep -q 'made with --window month, not week' "$work/err" || fail "$(cat "$work/err")"
expect_rc 1 "$DARKSCAN" analyze -q --state "$S" --prefix 24 --json -
grep -q 'made with --prefix 16, not 24' "$work/err" || fail "$(cat "$work/err")"
expect_rc 1 "$DARKSCAN" analyze -q --state "$S" -d 198.51.100.0/26 --json -
grep -q 'another darknet' "$work/err" || fail "$(cat "$work/err")"
expect_rc 1 "$DARKSCAN" ingest --state "$S" --window day "$caps/part00.pcap"
grep -q 'made with --window month, not day' "$work/err" || fail "$(cat "$work/err")"
expect_rc 2 "$DARKSCAN" analyze -q --state "$S" "$caps/part00.pcap"
grep -q -- '--state reads the state, not captures' "$work/err" || fail "$(cat "$work/err")"
expect_rc 2 "$DARKSCAN" ingest -D "$D" "$caps/part00.pcap"
grep -q -- '--state FILE is required' "$work/err" || fail "$(cat "$work/err")"
expect_rc 1 "$DARKSCAN" ingest --state "$work/new.db" "$caps/part00.pcap"
grep -q 'needs the darknet' "$work/err" || fail "$(cat "$work/err")"
[[ ! -e $work/new.db ]] || fail "a refused new state left a file behind"
expect_rc 1 "$DARKSCAN" analyze -q --state "$work/none.db"
grep -q 'no such state file' "$work/err" || fail "$(cat "$work/err")"
expect_rc 1 "$DARKSCAN" analyze -q --state "$caps/part00.pcap"
grep -q 'not a darkscan state' "$work/err" || fail "$(cat "$work/err")"
[[ ! -e "$work/none.db" ]] || fail "analyze created a state"

# --force reads a file again and replaces its contribution: nothing doubles.
"$DARKSCAN" ingest --state "$S" --force "$caps/part02.pcap" >"$work/run3"
grep -q '^re-read (--force)' "$work/run3" || fail "$(cat "$work/run3")"
"$DARKSCAN" analyze -q --state "$S" --json "$work/state.json"
cmp "$work/direct.json" "$work/state.json" || fail "--force changed the results"

# --list: every source once, and the windows.
"$DARKSCAN" ingest --state "$S" --list >"$work/list"
[[ $(grep -c ' file .*part0' "$work/list") -eq 5 ]] || fail "--list: $(cat "$work/list")"
grep -q '^8 windows' "$work/list" || fail "--list windows: $(cat "$work/list")"

# Standard input: spooled and hashed, so the same file named later is recognised.
cat "$caps/part03.pcap.gz" | "$DARKSCAN" ingest --state "$work/in.db" -D "$D" - >"$work/run4"
grep -q '^ingested -:' "$work/run4" || fail "stdin: $(cat "$work/run4")"
"$DARKSCAN" ingest --state "$work/in.db" "$caps/part03.pcap.gz" >"$work/run5"
grep -q '^skipped .*same content as -' "$work/run5" || fail "stdin then file: $(cat "$work/run5")"
"$DARKSCAN" analyze -q --no-host-pass -D "$D" --json "$work/d3.json" "$caps/part03.pcap.gz"
"$DARKSCAN" analyze -q --state "$work/in.db" --json "$work/s3.json"
cmp "$work/d3.json" "$work/s3.json" || fail "stdin ingest differs"

# A truncated file and a damaged one (an impossible record length after 500 records): the
# packets before the damage count, in the state as in analyze, and both say so.
head -c 1000000 "$caps/part00.pcap" >"$work/trunc.pcap"
python3 - "$caps/part02.pcap" "$work/bad.pcap" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 24
for _ in range(500):
    off += 16 + struct.unpack_from("<I", data, off + 8)[0]
bad = data[:off] + struct.pack("<IIII", 1, 0, 300000, 300000) + data[off + 16:]
open(sys.argv[2], "wb").write(bad)
EOF
expect_rc 1 "$DARKSCAN" analyze -q -D "$D" --json "$work/d4.json" "$work/trunc.pcap" \
    "$work/bad.pcap" "$caps/part04.pcap"
expect_rc 1 "$DARKSCAN" ingest --state "$work/dmg.db" -D "$D" "$work/trunc.pcap" "$work/bad.pcap" \
    "$caps/part04.pcap"
grep -q 'trunc.pcap: the file ends inside a record' "$work/err" || fail "$(cat "$work/err")"
grep -q 'bad.pcap.*recorded with the 500 records before the damage' "$work/err" ||
    fail "$(cat "$work/err")"
"$DARKSCAN" analyze -q --state "$work/dmg.db" --json "$work/s4.json" 2>"$work/err"
grep -q '1 of the ingested files could not be read to their end' "$work/err" ||
    fail "$(cat "$work/err")"
cmp "$work/d4.json" "$work/s4.json" || fail "damaged files: the state differs from analyze"
# The damaged file is not read again (same content), the daily job stays quiet.
"$DARKSCAN" ingest --state "$work/dmg.db" "$work/bad.pcap" >"$work/run6"
grep -q '^skipped' "$work/run6" || fail "$(cat "$work/run6")"

# --keep-windows: the newest 3 windows stay, with the same counts as the direct analysis;
# ingesting the same files again does not bring the old windows back.
"$DARKSCAN" ingest -q --state "$work/p.db" -D "$D" --keep-windows 3 "$caps"
"$DARKSCAN" ingest -q --state "$work/p.db" "$caps"
"$DARKSCAN" analyze -q -m 1 --state "$work/p.db" --json "$work/p.json"
python3 - "$work/direct.json" "$work/p.json" <<'EOF'
import json, sys
d, p = (json.load(open(f)) for f in sys.argv[1:])
want = [(w["label"], w["syn_packets"], w["packets"]) for w in d["windows"][-3:]]
got = [(w["label"], w["syn_packets"], w["packets"]) for w in p["windows"]]
assert got == want, (got, want)
assert p["input"]["files"] == 5, p["input"]
EOF
# A state kept in the folder of its captures is not taken for a capture.
"$DARKSCAN" ingest --state "$caps/here.db" -D "$D" "$caps" >"$work/run7"
"$DARKSCAN" ingest --state "$caps/here.db" "$caps" >"$work/run8"
[[ $(grep -c '^ingested' "$work/run7") -eq 5 && $(grep -c '^skipped' "$work/run8") -eq 5 ]] ||
    fail "state inside the folder: $(cat "$work/run7" "$work/run8")"
echo "ok: analyze --state == analyze; skip, --force, stdin, damage, prune, refusals"
