#!/usr/bin/env bash
# test_tshark_oracle.sh - `darkscan info --json` counts the same packets and SYN packets as
# tshark on every capture of the shared data.
#
# The expected numbers come from tests/fixtures/tshark_counts.tsv, which
# tests/oracle/tshark_counts.sh made with tshark (not needed here). Per file:
#   status ok         darkscan exits 0, `packets` = records, `syn_packets` = syns, not truncated
#   status cut_short  darkscan exits 0, `truncated` is true, `packets` = the complete records
#   status invalid    darkscan exits 1 (tshark cannot read the file either)
# The fixture's `compare` column narrows this for files with a documented reason: `records`
# compares everything but `syn_packets`, `none` skips the file.
set -euo pipefail

: "${DARKSCAN:?}" "${DS_SOURCE_DIR:?}" "${DS_SHARED_DATA:?}"

if ! "$DARKSCAN" info --help >/dev/null 2>&1; then
    echo "SKIP: this build has no 'darkscan info' yet (the capture reader branch adds it)"
    exit 77
fi

fixture=$DS_SOURCE_DIR/tests/fixtures/tshark_counts.tsv
pcaps=$DS_SHARED_DATA/pcap
[[ -d "$pcaps" ]] || {
    echo "no shared captures at $pcaps" >&2
    exit 1
}

exec python3 - "$DARKSCAN" "$fixture" "$pcaps" <<'PY'
import json, subprocess, sys

darkscan, fixture, pcaps = sys.argv[1:4]
failures, compared, skipped = [], 0, 0
with open(fixture) as f:
    rows = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
header, rows = rows[0], rows[1:]
assert header == ["path", "records", "syns", "status", "compare", "reason"], header
for path, records, syns, status, compare, reason in rows:
    if compare == "none":
        skipped += 1
        continue
    full = f"{pcaps}/{path}"
    run = subprocess.run([darkscan, "info", "--json", full], capture_output=True, text=True)
    where = f"{path}:"
    if status == "invalid":
        if run.returncode != 1:
            failures.append(f"{where} tshark cannot read it, darkscan exit {run.returncode} (want 1)")
        elif not run.stderr.strip():
            failures.append(f"{where} exit 1 without a message on stderr")
        compared += 1
        continue
    if run.returncode != 0:
        failures.append(f"{where} darkscan exit {run.returncode}: {run.stderr.strip()}")
        continue
    try:
        info = json.loads(run.stdout)
        obj = info[0]
    except (ValueError, IndexError, KeyError) as e:
        failures.append(f"{where} bad JSON from darkscan info: {e}")
        continue
    if obj.get("packets") != int(records):
        failures.append(f"{where} packets {obj.get('packets')}, tshark {records}")
    if compare == "all" and obj.get("syn_packets") != int(syns):
        failures.append(f"{where} syn_packets {obj.get('syn_packets')}, tshark {syns}")
    if obj.get("truncated") != (status == "cut_short"):
        failures.append(f"{where} truncated {obj.get('truncated')}, tshark status {status}")
    if status == "ok" and obj.get("error") is not None:
        failures.append(f"{where} error {obj.get('error')!r} on a file tshark reads")
    compared += 1

for line in failures:
    print("MISMATCH", line)
print(f"{compared} captures compared with tshark, {skipped} skipped, {len(failures)} mismatches")
sys.exit(1 if failures else 0)
PY
