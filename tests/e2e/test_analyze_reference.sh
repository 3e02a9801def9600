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
echo "ok: reference agrees; identical JSON over splits, orders and threads"
