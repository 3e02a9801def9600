#!/usr/bin/env bash
# test_info.sh - `darkscan info` as a user runs it: JSON fields on real captures, exit codes,
# standard input, directories, compressed and truncated files, awkward file names.
set -euo pipefail
: "${DARKSCAN:?}" "${DS_SHARED_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pcaps=$DS_SHARED_DATA/pcap
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# 1. JSON fields on real captures (gzip pcap, big-endian 2.1 pcap, nanosecond pcap, pcapng).
"$DARKSCAN" info --json "$pcaps/zeek/echo-connections.pcap.gz" \
    "$pcaps/suricata-verify/nfs3-01__input.pcap" "$pcaps/tcpdump/tcp-handshake-nano.pcap" \
    "$pcaps/pcapng-test-generator/output_be/difficult/test202.pcapng" >"$tmp/out.json"
python3 - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 4, d
need = ["file", "format", "compression", "linktypes", "packets", "ipv4", "tcp", "syn_packets",
        "first_time", "last_time", "truncated", "error"]
for o in d:
    for k in need:
        assert k in o, (k, o)
e, n, h, g = d
assert e["format"] == "pcap" and e["compression"] == "gzip", e
assert e["linktypes"] == ["ethernet"] and e["packets"] == 82582, e
assert e["ipv4"] == 82582 and e["tcp"] == 82582 and e["syn_packets"] == 741, e
assert e["first_time"] == "2021-07-25T14:57:00.686470Z", e
assert e["last_time"] == "2021-07-25T14:57:07.180797Z", e
assert e["truncated"] is False and e["error"] is None, e
assert n["packets"] == 128 and n["first_time"] == "1999-12-03T07:49:57.280000Z", n
assert h["packets"] == 3 and h["first_time"].endswith("Z") and len(h["first_time"]) == 30, h
assert h["linktypes"] in (["linux_sll"], [113]), h
assert g["format"] == "pcapng" and g["packets"] == 8, g
print("json fields ok")
PY

# 2. Exit codes: 1 for invalid and unreadable files (after reporting all), 2 for usage.
set +e
"$DARKSCAN" info --json "$pcaps/libpcap/pcap-invalid-version-1.pcap" "$pcaps/zeek/tcp/syn.pcap" \
    "$tmp/nonexistent.pcap" "$pcaps/libpcap/pcapng-invalid-vers-2.pcapng" >"$tmp/bad.json" 2>"$tmp/bad.err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "invalid files: exit $rc, want 1"
[[ $(wc -l <"$tmp/bad.err") -eq 3 ]] || fail "want 3 lines on stderr: $(cat "$tmp/bad.err")"
grep -q "^darkscan: $pcaps/libpcap/pcap-invalid-version-1.pcap: unsupported pcap version 1.4\$" "$tmp/bad.err" || fail "message: $(cat "$tmp/bad.err")"
grep -q "^darkscan: $tmp/nonexistent.pcap: No such file or directory\$" "$tmp/bad.err" || fail "message: $(cat "$tmp/bad.err")"
python3 - "$tmp/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [o["error"] is None for o in d] == [False, True, False, False], d
assert d[0]["error"] == "unsupported pcap version 1.4", d[0]
assert d[1]["packets"] == 1 and d[1]["syn_packets"] == 1, d[1]
assert d[0]["format"] is None and d[0]["first_time"] is None, d[0]
PY
for args in "" "--bogus x.pcap" "--json"; do
    set +e
    # shellcheck disable=SC2086
    "$DARKSCAN" info $args >/dev/null 2>&1
    rc=$?
    set -e
    [[ $rc -eq 2 ]] || fail "usage '$args': exit $rc, want 2"
done
"$DARKSCAN" info --help | grep -q "Usage: darkscan info" || fail "--help"
"$DARKSCAN" --help | grep -q "^  info " || fail "info missing from darkscan --help"

# 3. Standard input, plain and compressed.
"$DARKSCAN" info --json - <"$pcaps/zeek/tcp/options.pcap" >"$tmp/stdin.json"
gzip -c "$pcaps/zeek/tcp/options.pcap" | "$DARKSCAN" info --json - >"$tmp/stdin-gz.json"
python3 - "$tmp/stdin.json" "$tmp/stdin-gz.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))[0]
b = json.load(open(sys.argv[2]))[0]
assert a["file"] == "-" and a["packets"] == 4 and a["compression"] == "none", a
assert b["compression"] == "gzip" and b["packets"] == 4, b
PY

# 4. Compressed with each tool, and concatenated: same counts.
src=$pcaps/zeek/raw_packets.pcap
gzip -c "$src" >"$tmp/c.gz"
# Two gzip members: the file split at an arbitrary byte (as `pigz` or `cat a.gz b.gz` make).
{ head -c 1000 "$src" | gzip -c; tail -c +1001 "$src" | gzip -c; } >"$tmp/double.gz"
bzip2 -c "$src" >"$tmp/c.bz2"
xz -c "$src" >"$tmp/c.xz"
zstd -q -c "$src" >"$tmp/c.zst"
lz4 -q -c "$src" >"$tmp/c.lz4"
"$DARKSCAN" info --json "$src" "$tmp/c.gz" "$tmp/c.bz2" "$tmp/c.xz" "$tmp/c.zst" "$tmp/c.lz4" \
    "$tmp/double.gz" >"$tmp/comp.json"
python3 - "$tmp/comp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [o["compression"] for o in d] == ["none", "gzip", "bzip2", "xz", "zstd", "lz4", "gzip"], d
assert all(o["packets"] == 33 for o in d[:6]), [o["packets"] for o in d]
assert d[6]["packets"] == 33, d[6]
PY

# 5. A directory: every file below it, sorted byte-wise; a truncated file is a warning.
mkdir -p "$tmp/dir/b" "$tmp/dir/a"
cp "$pcaps/zeek/tcp/syn.pcap" "$tmp/dir/b/1.pcap"
cp "$pcaps/zeek/tcp/syn-synack.pcap" "$tmp/dir/a/2.pcap"
head -c 150 "$pcaps/zeek/tcp/syn-synack.pcap" >"$tmp/dir/Z-cut.pcap"
"$DARKSCAN" info --json "$tmp/dir" >"$tmp/dir.json" 2>"$tmp/dir.err"
grep -q "warning: $tmp/dir/Z-cut.pcap: truncated" "$tmp/dir.err" || fail "no truncation warning"
python3 - "$tmp/dir.json" "$tmp/dir" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
base = sys.argv[2]
assert [o["file"] for o in d] == [base + "/Z-cut.pcap", base + "/a/2.pcap", base + "/b/1.pcap"], d
assert d[0]["truncated"] is True and d[0]["packets"] == 1 and d[0]["error"] is None, d[0]
assert d[1]["packets"] == 2 and d[2]["packets"] == 1, d
PY

# 6. File names that need escaping: quotes, control bytes, invalid UTF-8.
name=$(printf 'we"ird\001\377.pcap')
cp "$pcaps/zeek/tcp/syn.pcap" "$tmp/$name"
"$DARKSCAN" info --json "$tmp/$name" >"$tmp/name.json"
python3 - "$tmp/name.json" "$tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d[0]["file"] == sys.argv[2] + '/we"ird\x01\xff.pcap', d
assert d[0]["packets"] == 1
PY
grep -q 'we\\"ird\\u0001\\u00ff.pcap' "$tmp/name.json" || fail "escapes: $(cat "$tmp/name.json")"

# 7. Text output.
"$DARKSCAN" info "$pcaps/zeek/tcp/syn.pcap" >"$tmp/text.out"
grep -q "^format       pcap$" "$tmp/text.out" || fail "text: $(cat "$tmp/text.out")"
grep -q "^syn_packets  1$" "$tmp/text.out" || fail "text: $(cat "$tmp/text.out")"

# 8. Options after the captures, as for every other command.
"$DARKSCAN" info "$pcaps/zeek/tcp/syn.pcap" --json >"$tmp/after.json" ||
    fail "info FILE --json: exit $?"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["packets"] == 1, d' \
    "$tmp/after.json"

# 9. A directory holds captures and other files: the others are skipped with a warning each,
# a file that is not a capture named by itself is still an error (exit 1).
mkdir "$tmp/mixed"
cp "$pcaps/zeek/tcp/syn.pcap" "$tmp/mixed/a.pcap"
echo "192.0.2.0/24" >"$tmp/mixed/darknet.txt"
: >"$tmp/mixed/empty"
"$DARKSCAN" info --json "$tmp/mixed" >"$tmp/mixed.json" 2>"$tmp/mixed.err" ||
    fail "info on a mixed directory: exit $?: $(cat "$tmp/mixed.err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [o["file"].rsplit("/",1)[1] for o in d] == ["a.pcap"], d' \
    "$tmp/mixed.json"
grep -q "mixed/darknet.txt: skipped: neither a capture nor compressed (starts 3139322e)" \
    "$tmp/mixed.err" || fail "no warning for darknet.txt: $(cat "$tmp/mixed.err")"
grep -q "mixed/empty: skipped: an empty file" "$tmp/mixed.err" ||
    fail "no warning for the empty file: $(cat "$tmp/mixed.err")"
rc=0
"$DARKSCAN" info "$tmp/mixed/darknet.txt" >/dev/null 2>"$tmp/txt.err" || rc=$?
[[ $rc -eq 1 ]] || fail "a text file named by itself: exit $rc"
echo "test_info: all passed"
