#!/usr/bin/env bash
# darkscan simulate on the command line: help and --list, usage errors (exit 2), output that
# cannot be written or a captures folder it did not write (exit 1, naming the path),
# --level, and --truth-only (the same truth as a run with captures, and no captures).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect() { # expect CODE ARGS...: darkscan exits with CODE
    local want=$1 rc=0
    shift
    "$DARKSCAN" "$@" >"$work/out" 2>"$work/err" || rc=$?
    if [[ $rc != "$want" ]]; then
        echo "FAIL: darkscan $* exited $rc, not $want" >&2
        cat "$work/err" >&2
        exit 1
    fi
}

expect 0 simulate --help
grep -q "Usage: darkscan simulate --out DIR" "$work/out"
expect 0 simulate --list
for s in paper modern small mixed pcapng-be; do grep -q "$s" "$work/out"; done
# (output to a variable first: `cmd | grep -q` fails under pipefail when grep exits early)
help=$("$DARKSCAN" --help)
grep -q "^  simulate " <<<"$help"
grep -q "^  demo " <<<"$help"

expect 2 simulate
grep -q "the output folder is required" "$work/err"
expect 2 simulate --out "$work/x" --scenario nope
expect 2 simulate --out "$work/x" --scale 0
expect 2 simulate --out "$work/x" --scale 1.5
expect 2 simulate --out "$work/x" --scale abc
expect 2 simulate --out "$work/x" --format pcapx
expect 2 simulate --out "$work/x" --compress rar
expect 2 simulate --out "$work/x" --level 3
expect 2 simulate --out "$work/x" --format mixed --compress gzip --level 3
expect 2 simulate --out "$work/x" --compress gzip --level 15
grep -q "level 15: gzip takes levels 1..9" "$work/err"
[[ ! -e $work/x ]] || { echo "FAIL: a usage error made the output folder" >&2; exit 1; }
expect 2 simulate --out "$work/x" --seed -1
expect 2 simulate --out "$work/x" extra
[[ ! -e "$work/x" ]]

# Output that cannot be written: exit 1 and the path named.
touch "$work/file"
expect 1 simulate -s small --out "$work/file/sub"
grep -q "$work/file/sub" "$work/err"
mkdir -p "$work/foreign/captures"
touch "$work/foreign/captures/mine.pcap"
expect 1 simulate -s small --out "$work/foreign"
grep -q "was not written by darkscan simulate" "$work/err"
[[ -e "$work/foreign/captures/mine.pcap" ]]

# --level, with the summary on standard output
expect 0 simulate -s small --out "$work/lv" --compress zstd --level 5 --seed 4
grep -q "^simulated scenario 'small' (seed 4, scale 1): [0-9]* packets in [0-9]* files, |D| = 63" \
    "$work/out"
grep -q "^truth: 4 constant scanners" "$work/out"
[[ -f "$work/lv/captures/east/2018-07-01.pcap.zst" ]]

# --truth-only: no captures, the same truth as with them
expect 0 simulate -s small --out "$work/to" --truth-only -q --seed 4
[[ ! -e "$work/to/captures" && ! -s "$work/out" ]]
strip() { python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
for k in ("captures", "compression"):
    t.pop(k)
t["input"].pop("files")
print(json.dumps(t, sort_keys=True))' "$1"; }
[[ "$(strip "$work/to/truth.json")" == "$(strip "$work/lv/truth.json")" ]]
echo "ok: simulate's command line"
