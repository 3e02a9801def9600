#!/usr/bin/env bash
# analyze against an independent Python implementation of METHOD.md (method_ref.py) on
# generated captures with scanners, near-misses, a botnet, backscatter and neighbours of the
# darknet; then the same packets split into other files, listed in another order, read with
# other thread counts: the results JSON must be identical apart from the file count.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/method_ref.py" generate "$work/a" --seed 3 --files 5
"$DARKSCAN" analyze -q -D "$work/a/darknet.txt" --json "$work/a.json" "$work/a/caps"
python3 "$here/method_ref.py" compare "$work/a/expected.json" "$work/a.json"

# The same packets in 3 files; files named in reverse order; 1 and 2 threads.
python3 "$here/method_ref.py" generate "$work/b" --seed 3 --files 3
mapfile -t files < <(ls -r "$work"/b/caps/*)
"$DARKSCAN" analyze -q -j 1 -D "$work/b/darknet.txt" --json "$work/b1.json" "${files[@]}"
"$DARKSCAN" analyze -q -j 2 -D "$work/b/darknet.txt" --json "$work/b2.json" "${files[@]}"
"$DARKSCAN" analyze -q -j 2 -D "$work/a/darknet.txt" --json "$work/a2.json" "$work/a/caps"
# More threads than files: threads share a file, taking batches of it in turn.
"$DARKSCAN" analyze -q -j 8 -D "$work/b/darknet.txt" --json "$work/b8.json" "${files[@]}"
strip() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["input"].pop("files"); print(json.dumps(d, sort_keys=True))' "$1"; }
ref=$(strip "$work/a.json")
for f in b1 b2 a2 b8; do
    if [[ "$(strip "$work/$f.json")" != "$ref" ]]; then
        echo "results differ between splits/orders/threads: $f.json vs a.json" >&2
        diff <(strip "$work/a.json" | python3 -m json.tool) <(strip "$work/$f.json" | python3 -m json.tool) | head -20 >&2
        exit 1
    fi
done
# One file, read from its path (the first pass leaves the blocks' hosts to the host pass) and
# from standard input (no host pass: the first pass counts every host): the blocks' packets,
# fingerprints, hosts and /24s must be the same.
python3 "$here/method_ref.py" generate "$work/c" --seed 3 --files 1
one=$(ls "$work"/c/caps/*)
"$DARKSCAN" analyze -q -j 1 -D "$work/c/darknet.txt" --json "$work/c-file.json" "$one"
"$DARKSCAN" analyze -q -j 1 -D "$work/c/darknet.txt" --json "$work/c-stdin.json" - <"$one"
python3 - "$work/c-file.json" "$work/c-stdin.json" <<'PY'
import json, sys
f, s = (json.load(open(p)) for p in sys.argv[1:])
assert f["enrichment"]["host_pass"] is True and s["enrichment"]["host_pass"] is False
assert len(f["networks"]) > 0 and len(f["networks"]) == len(s["networks"])
keys = ("block", "syn_packets", "mirai_share", "top24", "top24_syn_packets", "host_count",
        "subnets")
for a, b in zip(f["networks"], s["networks"]):
    for k in keys:
        assert a[k] == b[k], (a["block"], k, a[k], b[k])
    for k in ("mirai", "zmap", "masscan"):
        assert a["fingerprints"][k] == b["fingerprints"][k], (a["block"], k)
    assert [(h["addr"], h["syn_packets"]) for h in a["hosts"]] == \
        [(h["addr"], h["syn_packets"]) for h in b["hosts"]], a["block"]
PY
# A capture changed between the two reads (DARKSCAN_TEST_HOLD_BEFORE_HOST_PASS holds analyze
# before its host pass until the test closes the FIFO): an error naming both reads' counts,
# exit status 1, the results still written. Unchanged: the same JSON as without the hold.
mkfifo "$work/hold"
held() { # held CHANGE OUT: analyze the race capture, running CHANGE between the two reads
    DARKSCAN_TEST_HOLD_BEFORE_HOST_PASS="$work/hold" "$DARKSCAN" analyze -q -j 1 \
        -D "$work/c/darknet.txt" --json "$2" "$work/race.pcap" >/dev/null 2>"$2.err" &
    local pid=$!
    # Should analyze end without holding (a failure), open the FIFO from here so that the test
    # fails instead of hanging.
    (while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done; exec 4<"$work/hold") >/dev/null 2>&1 &
    local guard=$!
    exec 3>"$work/hold" # returns once analyze holds, its first read done
    eval "$1"
    exec 3>&-
    held_rc=0
    wait "$pid" || held_rc=$?
    kill "$guard" 2>/dev/null || true
    wait "$guard" 2>/dev/null || true
}
cp "$one" "$work/race.pcap"
held : "$work/same.json"
[[ $held_rc == 0 ]] || { echo "FAIL held, unchanged: exit status $held_rc" >&2; exit 1; }
[[ "$(strip "$work/same.json")" == "$(strip "$work/c-file.json")" ]] ||
    { echo "FAIL held, unchanged: other results" >&2; exit 1; }
size=$(stat -c %s "$one")
for change in "truncate -s $((size / 2)) '$work/race.pcap'" \
    "tail -c +25 '$one' >>'$work/race.pcap'" "rm '$work/race.pcap'"; do
    cp "$one" "$work/race.pcap"
    held "$change" "$work/changed.json"
    if [[ $held_rc != 1 ]] || ! grep -q "host pass: .*race.pcap changed between the two reads" "$work/changed.json.err" ||
        [[ ! -s "$work/changed.json" ]]; then
        echo "FAIL capture changed between the reads ($change): exit status $held_rc" >&2
        cat "$work/changed.json.err" >&2
        exit 1
    fi
done
echo "ok: reference agrees; identical JSON over splits, orders and threads; host facts from either pass; a capture changed between the reads"
