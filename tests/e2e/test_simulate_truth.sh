#!/usr/bin/env bash
# darkscan analyze on simulated captures equals the simulation's truth.json (computed by the
# simulator's own oracle from the packets it wrote) on every field the truth fixes: the small
# scenario for several seeds, and once in every capture format and compression the simulator
# writes (pcap us/ns in both byte orders, pcapng us/ns/big-endian, gzip, bzip2, xz, zstd, lz4)
# and in "mixed" (every file its own format, compression and link type). Then: the same seed
# gives byte-identical files, another seed other files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runs=0
check() { # check NAME SIMULATE-OPTIONS...
    local name=$1
    shift
    "$DARKSCAN" simulate -q -s small --out "$work/$name" "$@"
    "$DARKSCAN" analyze -q -D "$work/$name/darknet.txt" --json "$work/$name.json" \
        "$work/$name/captures"
    if ! python3 "$here/sim_compare.py" "$work/$name/truth.json" "$work/$name.json"; then
        echo "FAIL: analyze differs from truth.json for: $*" >&2
        exit 1
    fi
    runs=$((runs + 1))
    rm -rf "${work:?}/$name"
}

# Seeds (the sanitizer build, much slower, keeps one less).
seeds=(1 2 3)
[[ "${DS_SANITIZED:-0}" == 1 ]] && seeds=(1 2)
for seed in "${seeds[@]}"; do
    check "seed$seed" --seed "$seed"
done

# Every other format and every compression (paired, one seed each), then mixed.
formats=(pcap-ns pcap-be pcap-ns-be pcapng pcapng-ns pcapng-be)
comps=(gzip bzip2 xz zstd lz4 none)
for i in "${!formats[@]}"; do
    check "${formats[$i]}" --seed $((10 + i)) --format "${formats[$i]}" --compress "${comps[$i]}"
done
check mixed --seed 20 --format mixed

# The truth must be about something: four blocks planted, four found, distractors not.
"$DARKSCAN" simulate -q -s small --out "$work/d1" --seed 7 -j 1
python3 - "$work/d1/truth.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
nets = {n["block"]: n for n in t["networks"]}
assert len(nets) == 4, len(nets)
for p in t["planted"]:
    if p["expected"] == "constant":
        n = nets[p["block"]]
        assert n["category"] == p["planned_category"], (p["name"], n["category"])
        assert n["simulated"]["name"] == p["name"]
    elif p["expected"] == "not constant" and p["block"]:
        assert not p["detected"] and p["block"] not in nets, p["name"]
cats = sorted(n["category"] for n in t["networks"])
assert cats == ["ad-hoc", "routine", "routine", "semi-routine"], cats
assert t["input"]["outside_darknet"] > 0 and t["input"]["syn_packets"] > t["input"]["syn_to_darknet"]
PY

# Determinism: the same seed (other thread counts) gives the same bytes; another seed not.
"$DARKSCAN" simulate -q -s small --out "$work/d2" --seed 7 -j 3
diff -r "$work/d1" "$work/d2" >/dev/null || { echo "FAIL: same seed, different files" >&2; exit 1; }
"$DARKSCAN" simulate -q -s small --out "$work/d3" --seed 8
if diff -r "$work/d1/captures" "$work/d3/captures" >/dev/null; then
    echo "FAIL: seeds 7 and 8 gave the same captures" >&2
    exit 1
fi
cmp -s "$work/d1/truth.json" "$work/d3/truth.json" && { echo "FAIL: same truth" >&2; exit 1; }
echo "ok: $runs simulated runs equal their truth.json; deterministic per seed"
