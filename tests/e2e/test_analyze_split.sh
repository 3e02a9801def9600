#!/usr/bin/env bash
# darkscan analyze -j 2 on one large file reads it in byte ranges (lib/pipeline/read.c): the
# results JSON, the CSV tables and the warnings must be byte-identical to -j 1's. The small
# simulation's captures are joined into one classic pcap (17 MB); DARKSCAN_TEST_SPLIT_BYTES
# forces parts of 70 KB and 700 KB (the default needs 32 MiB; test_split reads parts of a few
# records); the same file
# truncated inside its last record and damaged in its second half (a record too long for the
# snapshot length) must give the same answer and the same warning, with every packet before
# the damage counted. The same records as one pcapng file (one-ng: a section, an interface,
# Enhanced Packet Blocks) must give one.pcap's answer too.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$DARKSCAN" simulate -q -s small --out "$work/sim"
# One file: the first capture's header, then every record of every capture.
python3 - "$work/sim/captures" "$work/one.pcap" <<'PY'
import glob, os, struct, sys
files = sorted(glob.glob(os.path.join(sys.argv[1], "*", "*.pcap")))
with open(sys.argv[2], "wb") as out:
    for i, f in enumerate(files):
        data = open(f, "rb").read()
        assert struct.unpack("<I", data[:4])[0] == 0xa1b2c3d4, f
        out.write(data if i == 0 else data[24:])
PY
size=$(stat -c %s "$work/one.pcap")
# Truncated inside the last record; damaged: a record of the second half made too long.
head -c $((size - 20)) "$work/one.pcap" >"$work/truncated.pcap"
python3 - "$work/one.pcap" "$work/damaged.pcap" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
pos, n, recs = 24, 0, []
while pos + 16 <= len(data):
    recs.append(pos)
    pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
at = recs[len(recs) * 2 // 3]
struct.pack_into("<I", data, at + 8, 300000)
open(sys.argv[2], "wb").write(data)
PY

# The same records as pcapng (microsecond timestamps: the interface's default resolution).
python3 - "$work/one.pcap" "$work/one-ng.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
snaplen, linktype = struct.unpack_from("<II", data, 16)
def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)
out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
       block(1, struct.pack("<HHI", linktype, 0, snaplen))]
pos = 24
while pos + 16 <= len(data):
    sec, usec, cap, wire = struct.unpack_from("<IIII", data, pos)
    ts = sec * 1000000 + usec
    out.append(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, cap, wire)
                     + data[pos + 16:pos + 16 + cap]))
    pos += 16 + cap
open(sys.argv[2], "wb").write(b"".join(out))
PY

fail=0
run() { # run OUT THREADS SPLIT FILE
    local out=$1 threads=$2 split=$3 file=$4
    rm -rf "$out"
    local rc=0
    DARKSCAN_TEST_SPLIT_BYTES=$split "$DARKSCAN" analyze -j "$threads" -D "$work/sim/darknet.txt" \
        -o "$out" "$file" >"$out.stdout" 2>"$out.stderr" || rc=$?
    echo "$rc" >"$out.rc"
}
for file in one truncated damaged one-ng; do
    run "$work/ref-$file" 1 "" "$work/$file.pcap"
    [[ $file == one ]] && grep -q '"networks": \[\]' "$work/ref-$file/results.json" && {
        echo "FAIL $file: the reference finds no scanner block" >&2
        fail=1
    }
    for threads in 2 3 1; do
        for split in "" 70000 700000; do
            o="$work/j$threads-$split-$file"
            run "$o" "$threads" "$split" "$work/$file.pcap"
            for f in results.json networks.csv windows.csv hosts.csv port_sets.csv; do
                if ! cmp -s "$work/ref-$file/$f" "$o/$f"; then
                    echo "FAIL $file -j $threads split $split: $f differs" >&2
                    diff "$work/ref-$file/$f" "$o/$f" | head -5 >&2
                    fail=1
                fi
            done
            for f in rc stderr; do
                if ! cmp -s "$work/ref-$file.$f" "$o.$f"; then
                    echo "FAIL $file -j $threads split $split: $f differs" >&2
                    diff "$work/ref-$file.$f" "$o.$f" | head -5 >&2
                    fail=1
                fi
            done
            rm -rf "$o"
        done
    done
done
for f in results.json networks.csv windows.csv hosts.csv port_sets.csv; do
    cmp -s "$work/ref-one/$f" "$work/ref-one-ng/$f" || {
        echo "FAIL: the pcapng file gives another $f than the pcap" >&2
        diff "$work/ref-one/$f" "$work/ref-one-ng/$f" | head -5 >&2
        fail=1
    }
done
grep -q "one.pcap\|truncated" "$work/ref-truncated.stderr" || {
    echo "FAIL: no warning for the truncated file" >&2
    fail=1
}
grep -q "byte [0-9]*: record length 300000" "$work/ref-damaged.stderr" || {
    echo "FAIL: no error for the damaged record" >&2
    cat "$work/ref-damaged.stderr" >&2
    fail=1
}
exit $fail
