#!/usr/bin/env bash
# Crash safety: `darkscan ingest` killed with SIGKILL at random moments, again and again, then
# run to its end. After every kill the state must be a consistent database whose every source
# is whole (the packets its records count equal the packets its counters hold); the final
# `analyze --state` must be byte-identical to `analyze` of the files.
#
# DARKSCAN_TEST_COMMIT_DELAY_MS puts a pause inside each transaction (after its first rows,
# and before COMMIT), so that many kills land inside a commit or a compaction rather than
# only while reading. Bounded: at most $rounds kills.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=
cleanup() {
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
python3 "$here/method_ref.py" generate "$work/g" --seed 11 --files 8
D=$work/g/darknet.txt
S=$work/s.db
"$DARKSCAN" analyze -q -D "$D" --json "$work/direct.json" "$work/g/caps"

# consistent - the state opens, SQLite finds it intact, and no source is half there. (A kill
# before the creation's commit leaves an empty database, which analyze calls so and the next
# ingest makes into a state.)
consistent() {
    [[ -e $S ]] || return 0
    if ! "$DARKSCAN" analyze -q -m 1 --state "$S" --json "$work/partial.json" 2>"$work/err"; then
        grep -q 'an empty state: nothing was ever committed' "$work/err" ||
            fail "analyze --state after a kill: $(cat "$work/err")"
        return 0
    fi
    python3 - "$S" "$work/partial.json" <<'EOF'
import json, sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
ok = con.execute("PRAGMA integrity_check").fetchone()[0]
assert ok == "ok", ok
r = json.load(open(sys.argv[2]))
# Every packet of method_ref's captures is IPv4: a whole source has as many packets in its
# counters (ipv4_packets) as its record says (packets).
assert r["input"]["packets"] == r["input"]["ipv4_packets"], r["input"]
EOF
}

export DARKSCAN_TEST_COMMIT_DELAY_MS=40
RANDOM=4242
rounds=${DS_CRASH_ROUNDS:-30}
kills=0
completed=0
for ((i = 0; i < rounds; i++)); do
    # Every third round re-reads everything (--force: the replace path); the others add the
    # files still missing. Half the rounds with two workers; --compact adds compaction
    # transactions at the end.
    force=()
    ((i % 3 == 2)) && [[ -e $S ]] && force=(--force)
    "$DARKSCAN" ingest -q -j $((1 + i % 2)) --compact "${force[@]}" --state "$S" -D "$D" \
        "$work/g/caps" >/dev/null 2>"$work/ingest.err" &
    pid=$!
    # 0 to 1 s: from before the state exists to the last commits (a whole run from nothing
    # takes about 1 s with the pauses).
    sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
    if kill -KILL "$pid" 2>/dev/null; then
        kills=$((kills + 1))
    fi
    rc=0
    wait "$pid" || rc=$?
    pid=
    if [[ $rc -eq 0 ]]; then
        # A run that ended: the state is complete and exact; start again from nothing.
        completed=$((completed + 1))
        "$DARKSCAN" analyze -q --state "$S" --json "$work/state.json"
        cmp -s "$work/direct.json" "$work/state.json" || fail "a completed run differs"
        ((${#force[@]} > 0)) || rm -f "$S" "$S-wal" "$S-shm"
    elif [[ $rc -ne 137 ]]; then
        fail "ingest exited $rc: $(cat "$work/ingest.err")"
    fi
    consistent
done
((kills >= rounds / 3)) || fail "only $kills of $rounds runs were killed: the test proved little"

# Complete the work, then compare with the direct analysis.
unset DARKSCAN_TEST_COMMIT_DELAY_MS
"$DARKSCAN" ingest -q --state "$S" -D "$D" "$work/g/caps"
"$DARKSCAN" analyze -q --state "$S" --json "$work/state.json"
cmp "$work/direct.json" "$work/state.json" || {
    diff <(python3 -m json.tool "$work/direct.json") <(python3 -m json.tool "$work/state.json") |
        head -20 >&2
    fail "after $kills kills the state differs from analyze"
}
n=$("$DARKSCAN" ingest --state "$S" --list | grep -c ' file ')
[[ $n -eq 8 ]] || fail "$n sources, not 8"
echo "ok: $kills kills, $completed runs completed; the final state equals analyze"
