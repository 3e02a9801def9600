#!/usr/bin/env bash
# `darkscan merge`: the union of states made from overlapping sets of capture files, compared
# as analyze JSON. Commutative (A u B = B u A), associative ((A u B) u C = A u (B u C)),
# idempotent (A u A = A, merging again changes nothing), also when a state was compacted; the
# union of all equals one state of every file and `analyze` of the files. States made with
# another window or darknet are refused; --keep-windows prunes the result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
python3 "$here/method_ref.py" generate "$work/g" --seed 7 --files 6
D=$work/g/darknet.txt
c=$work/g/caps
f=("$c/part00.pcap" "$c/part01.pcap.gz" "$c/part02.pcap" "$c/part03.pcap.gz" "$c/part04.pcap"
    "$c/part05.pcap.gz")
ing() {
    local state=$1
    shift
    "$DARKSCAN" ingest -q --state "$work/$state.db" -D "$D" "$@"
}
# A = {0,1,2}, B = {2,3} (two runs), C = {3,4,5} (compacted), E = {} (empty).
ing A "${f[0]}" "${f[1]}" "${f[2]}"
ing B "${f[2]}"
ing B "${f[3]}"
ing C --compact "${f[3]}" "${f[4]}" "${f[5]}"
ing ALL "${f[@]}"
"$DARKSCAN" ingest -q --state "$work/E.db" -D "$D" --compact

json() { "$DARKSCAN" analyze -q -m 3 --state "$work/$1.db" --json "$work/$1.json"; }
merge() {
    local out=$1
    shift
    local ins=()
    for s in "$@"; do ins+=("$work/$s.db"); done
    "$DARKSCAN" merge -q --state "$work/$out.db" "${ins[@]}"
}
same() { cmp "$work/$1.json" "$work/$2.json" || fail "$1 and $2 differ"; }

"$DARKSCAN" analyze -q -m 3 -D "$D" --json "$work/direct.json" "${f[@]}"
json ALL
same direct ALL

merge AB A B
merge BA B A
json AB
json BA
same AB BA
merge AB_C AB C
merge BC B C
merge A_BC A BC
merge CBA C B A
merge ABCE A E B C
for s in AB_C A_BC CBA ABCE; do
    json "$s"
done
same AB_C direct
same A_BC direct
same CBA direct
same ABCE direct
# A u B is not simply A (the test can fail).
json A
cmp -s "$work/A.json" "$work/AB.json" && fail "A and A u B agree: the data is too thin"

# Idempotent: A u A, merging into itself, merging every input again.
merge AA A A
json AA
same AA A
cp "$work/A.db" "$work/A2.db"
merge A2 A2
merge A2 A
json A2
same A2 A
merge AB_C A B C AB A_BC
json AB_C
same AB_C direct
"$DARKSCAN" merge --state "$work/AB_C.db" "$work/CBA.db" >"$work/msg"
grep -q 'merged .*CBA.db into .*AB_C.db: 0 new sources, 0 newer versions' "$work/msg" ||
    fail "$(cat "$work/msg")"

# A state made differently is refused with a reason; the output is unchanged.
"$DARKSCAN" ingest -q --state "$work/W.db" -D "$D" --window week "${f[0]}"
rc=0
"$DARKSCAN" merge --state "$work/AB.db" "$work/W.db" 2>"$work/err" || rc=$?
[[ $rc -eq 1 ]] || fail "merge of a week state: exit $rc"
grep -q 'made with --window week.*--window month' "$work/err" || fail "$(cat "$work/err")"
"$DARKSCAN" ingest -q --state "$work/X.db" -d 198.51.100.0/26 "${f[0]}"
rc=0
"$DARKSCAN" merge --state "$work/AB.db" "$work/X.db" 2>"$work/err" || rc=$?
[[ $rc -eq 1 ]] && grep -q 'another darknet' "$work/err" || fail "$(cat "$work/err")"
json AB
same AB BA

# --keep-windows on the merged state.
merge K A C
"$DARKSCAN" merge -q --state "$work/K.db" --keep-windows 2 "$work/B.db"
"$DARKSCAN" analyze -q -m 1 --state "$work/K.db" --json "$work/K.json"
python3 - "$work/direct.json" "$work/K.json" <<'EOF'
import json, sys
d, k = (json.load(open(f)) for f in sys.argv[1:])
want = [(w["label"], w["syn_packets"]) for w in d["windows"][-2:]]
got = [(w["label"], w["syn_packets"]) for w in k["windows"]]
assert got == want, (got, want)
EOF
echo "ok: merge is commutative, associative and idempotent; equals analyze of the files"
