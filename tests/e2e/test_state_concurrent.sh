#!/usr/bin/env bash
# Two `darkscan ingest` at once on the same (new) state, with the same files in opposite
# orders: both finish, each file is ingested by exactly one of them and skipped by the other,
# and the state equals `analyze` of the files. `analyze --state` reads while they write. A
# writer that holds the state longer than --wait makes ingest fail with a clear message and
# leaves the state as it was.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
python3 "$here/method_ref.py" generate "$work/g" --seed 5 --files 6
D=$work/g/darknet.txt
S=$work/s.db
"$DARKSCAN" analyze -q -D "$D" --json "$work/direct.json" "$work/g/caps"
mapfile -t fwd < <(ls "$work"/g/caps/*)
mapfile -t rev < <(ls -r "$work"/g/caps/*)

# Pauses inside every commit make the two runs overlap for certain.
export DARKSCAN_TEST_COMMIT_DELAY_MS=100
"$DARKSCAN" ingest -j 1 --state "$S" -D "$D" "${fwd[@]}" >"$work/a.out" 2>"$work/a.err" &
pids+=($!)
"$DARKSCAN" ingest -j 1 --state "$S" -D "$D" "${rev[@]}" >"$work/b.out" 2>"$work/b.err" &
pids+=($!)
# A reader meanwhile: it never waits for the writers and always sees whole files.
for _ in 1 2 3 4 5; do
    # (Before the creation commits, the file is an empty database, and analyze says so.)
    if [[ -e $S ]] && ! "$DARKSCAN" analyze -q -m 1 --state "$S" --json "$work/mid.json" \
        2>"$work/mid.err"; then
        grep -q 'an empty state' "$work/mid.err" ||
            fail "analyze --state during the ingests: $(cat "$work/mid.err")"
    elif [[ -e $S ]]; then
        python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["input"]; assert i["packets"] == i["ipv4_packets"], i' \
            "$work/mid.json"
    fi
    sleep 0.2
done
rc_a=0 rc_b=0
wait "${pids[0]}" || rc_a=$?
wait "${pids[1]}" || rc_b=$?
pids=()
[[ $rc_a -eq 0 && $rc_b -eq 0 ]] ||
    fail "exit $rc_a and $rc_b: $(cat "$work/a.err" "$work/b.err")"
ingested=$(cat "$work/a.out" "$work/b.out" | grep -c '^ingested')
skipped=$(cat "$work/a.out" "$work/b.out" | grep -c '^skipped')
[[ $ingested -eq 6 && $skipped -eq 6 ]] ||
    fail "$ingested ingested, $skipped skipped: $(cat "$work/a.out" "$work/b.out")"
unset DARKSCAN_TEST_COMMIT_DELAY_MS
"$DARKSCAN" analyze -q --state "$S" --json "$work/state.json"
cmp "$work/direct.json" "$work/state.json" || fail "the state differs from analyze"

# Another process holds the write lock: ingest waits --wait seconds, then fails clearly.
python3 - "$S" "$DARKSCAN" "$work/g/caps/part00.pcap" "$work" <<'EOF'
import sqlite3, subprocess, sys
state, darkscan, cap, work = sys.argv[1:]
con = sqlite3.connect(state, isolation_level=None)
con.execute("BEGIN IMMEDIATE")
r = subprocess.run([darkscan, "ingest", "--force", "--wait", "1", "--state", state, cap],
                   capture_output=True, text=True)
assert r.returncode == 1, (r.returncode, r.stderr)
assert "in use by another darkscan process (waited 1 s" in r.stderr, r.stderr
# Readers are not blocked by a writer.
r = subprocess.run([darkscan, "analyze", "-q", "--state", state, "--json", work + "/held.json"],
                   capture_output=True, text=True)
assert r.returncode == 0, r.stderr
con.execute("ROLLBACK")
EOF
cmp "$work/direct.json" "$work/held.json" || fail "read under a held lock differs"
"$DARKSCAN" analyze -q --state "$S" --json "$work/after.json"
cmp "$work/direct.json" "$work/after.json" || fail "the failed ingest changed the state"
# Several processes creating the same new state at the same moment: one creates it, the others
# find it made (10 rounds of 3).
for ((round = 0; round < 10; round++)); do
    rm -f "$work/race.db" "$work/race.db-wal" "$work/race.db-shm"
    for k in 0 1 2; do
        "$DARKSCAN" ingest -q -j 1 --state "$work/race.db" -D "$D" "${fwd[k]}" \
            2>"$work/race$k.err" &
        pids+=($!)
    done
    for k in 0 1 2; do
        wait "${pids[k]}" || fail "creating the state at once: $(cat "$work/race$k.err")"
    done
    pids=()
done
echo "ok: two concurrent ingests, a reader, a held lock, concurrent creation"
