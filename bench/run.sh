#!/usr/bin/env bash
# run.sh BUILD_DIR - darkscan's benchmarks (`make bench`).
#
# Capture reading: packets/s of ds_reader (read + decode) beside the hardware baseline measured
# in the same run, a bare read() of the same file through a 1 MiB buffer (the fastest size
# measured) touching every byte. The capture (30 million
# Ethernet/IPv4/TCP SYN records, about 2.2 GB) is generated once by bench_gen into
# $DS_BENCH_DIR (default /var/tmp/darkscan-bench) and regenerated when bench_gen's version or
# the record count changes. The page cache is warmed first; each measurement runs
# $DS_BENCH_RUNS times (default 5), interleaved, and the best is reported. Peak RSS is ru_maxrss.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
bin=$build/bench
cache=${DS_BENCH_DIR:-/var/tmp/darkscan-bench}
records=${DS_BENCH_RECORDS:-30000000}
runs=${DS_BENCH_RUNS:-5}

mkdir -p "$cache"
file=$cache/syn-$records.pcap
want="$("$bin/bench_gen" --version) $records"
if [[ ! -f "$file" || "$(cat "$file.version" 2>/dev/null)" != "$want" ]]; then
    echo "bench: generating $file ($records records, once)" >&2
    rm -f "$file" "$file.version"
    "$bin/bench_gen" "$file.tmp" "$records"
    mv "$file.tmp" "$file"
    echo "$want" >"$file.version"
fi
size=$(stat -c %s "$file")

# Warm the page cache (the file must fit in memory for the numbers to mean anything).
cat "$file" >/dev/null

best() { sort -g | head -1; }
bare_s=() read_s=()
for ((i = 0; i < runs; i++)); do
    read -r s _ rss_bare _ < <("$bin/bench_bareread" "$file" 1024)
    bare_s+=("$s")
    read -r s recs pkts syn rss_read _ < <("$bin/bench_read" "$file")
    read_s+=("$s")
done
bare=$(printf '%s\n' "${bare_s[@]}" | best)
rd=$(printf '%s\n' "${read_s[@]}" | best)
[[ "$recs" == "$records" && "$pkts" == "$records" && "$syn" == "$records" ]] || {
    echo "bench: reader saw $recs records, $pkts packets, $syn SYNs; want $records" >&2
    exit 1
}
awk -v n="$records" -v size="$size" -v bare="$bare" -v rd="$rd" -v rb="$rss_bare" \
    -v rr="$rss_read" -v runs="$runs" 'BEGIN {
    printf "capture reading: %d records, %.2f GB, classic pcap, Ethernet/IPv4/TCP SYN (best of %d)\n", n, size / 1e9, runs
    printf "  %-32s %14s %10s %12s %14s\n", "", "packets/s", "GB/s", "seconds", "peak RSS MiB"
    printf "  %-32s %14.0f %10.2f %12.3f %14.1f\n", "bare read() (baseline)", n / bare, size / bare / 1e9, bare, rb / 1024
    printf "  %-32s %14.0f %10.2f %12.3f %14.1f\n", "ds_reader read + decode", n / rd, size / rd / 1e9, rd, rr / 1024
    printf "  read + decode / bare read: %.1f%% (target >= 50%%)\n", 100 * bare / rd
}'

# The whole analysis (read, decode, aggregate, detect) on the same capture, one and two
# threads, with the reader alone as the baseline measured above. The darknet is bench_gen's
# four /24s.
darknet=198.51.100.0/24,203.0.113.0/24,192.0.2.0/24,138.196.74.0/24
an1_s=() an2_s=()
for ((i = 0; i < runs; i++)); do
    read -r s rss_an1 st < <("$bin/bench_run" "$build/darkscan" analyze -q -j 1 -d "$darknet" "$file")
    [[ $st == 0 ]] || { echo "bench: analyze failed ($st)" >&2; exit 1; }
    an1_s+=("$s")
    read -r s rss_an2 st < <("$bin/bench_run" "$build/darkscan" analyze -q -j 2 -d "$darknet" "$file")
    an2_s+=("$s")
done
an1=$(printf '%s\n' "${an1_s[@]}" | best)
an2=$(printf '%s\n' "${an2_s[@]}" | best)
echo
awk -v n="$records" -v rd="$rd" -v a1="$an1" -v a2="$an2" -v r1="$rss_an1" -v r2="$rss_an2" \
    -v runs="$runs" 'BEGIN {
    printf "analysis: darkscan analyze on the same capture, |D| = 1024 (best of %d)\n", runs
    printf "  %-32s %14s %12s %14s\n", "", "packets/s", "seconds", "peak RSS MiB"
    printf "  %-32s %14.0f %12.3f %14s\n", "ds_reader read + decode", n / rd, rd, "-"
    printf "  %-32s %14.0f %12.3f %14.1f\n", "analyze -j 1", n / a1, a1, r1 / 1024
    printf "  %-32s %14.0f %12.3f %14.1f\n", "analyze -j 2 (one file)", n / a2, a2, r2 / 1024
    printf "  analyze -j 1 / read + decode: %.1f%%\n", 100 * rd / a1
}'

# ds_darknet_index, the per-SYN-packet lookup: lookups/s against a plain binary search.
echo
"$bin"/bench_darknet "${BENCH_SECONDS:-1}"

# The HTML report of a large result, 34 blocks x 12 windows x 5,000 to 10,000 ports: parsing
# the results JSON and rendering the page, beside writing that JSON (what analyze does anyway).
echo
read -r blocks ports rbytes wsec psec rsec hbytes rss < <("$bin/bench_report" "$cache" 34 max)
awk -v b="$blocks" -v p="$ports" -v rb="$rbytes" -v w="$wsec" -v ps="$psec" -v rs="$rsec" \
    -v hb="$hbytes" -v rss="$rss" 'BEGIN {
    printf "report: %d blocks, %d ports in their port sets\n", b, p
    printf "  results.json %.1f MB written in %.3f s; parsed in %.3f s; report.html %.2f MB rendered in %.3f s; peak RSS %.0f MiB\n", rb / 1e6, w, ps, hb / 1e6, rs, rss / 1024
}'
rm -f "$cache/results.json" "$cache/report.html"

# The persistent state: `darkscan ingest` against `darkscan analyze` on the same capture (one
# file, so one reading thread each; ingest also hashes the file in a second thread), both
# timed whole (start to exit, state written and synced), best of $DS_BENCH_STATE_RUNS
# (default 3), interleaved; then what the state costs on disk and `analyze --state`'s time.
darkscan=$build/darkscan
dn=198.51.100.0/24,203.0.113.0/24,192.0.2.0/24,138.196.74.0/24 # bench_gen's four /24s
state=$cache/bench-state.db
state_runs=${DS_BENCH_STATE_RUNS:-3}
now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a - b }'; }
an_s=() in_s=() ld_s=()
for ((i = 0; i < state_runs; i++)); do
    t0=$(now)
    "$darkscan" analyze -q -j 1 --no-host-pass -d "$dn" --json /dev/null "$file"
    t1=$(now)
    rm -f "$state" "$state-wal" "$state-shm"
    "$darkscan" ingest -q -j 1 --state "$state" -d "$dn" "$file"
    t2=$(now)
    "$darkscan" analyze -q --state "$state" --json /dev/null
    t3=$(now)
    an_s+=("$(minus "$t1" "$t0")")
    in_s+=("$(minus "$t2" "$t1")")
    ld_s+=("$(minus "$t3" "$t2")")
done
an=$(printf '%s\n' "${an_s[@]}" | best)
in=$(printf '%s\n' "${in_s[@]}" | best)
ld=$(printf '%s\n' "${ld_s[@]}" | best)
state_bytes=$(stat -c %s "$state")
read -r windows tuples < <("$darkscan" ingest --state "$state" --list |
    awk '/^[0-9][0-9][0-9][0-9]-/ { w++; k += $4 } END { print w, k }')
echo
awk -v n="$records" -v an="$an" -v in_="$in" -v ld="$ld" -v bytes="$state_bytes" \
    -v w="$windows" -v k="$tuples" -v size="$size" -v runs="$state_runs" 'BEGIN {
    printf "persistent state: the same capture, one file (best of %d)\n", runs
    printf "  %-32s %14s %12s\n", "", "packets/s", "seconds"
    printf "  %-32s %14.0f %12.3f\n", "analyze (captures -> results)", n / an, an
    printf "  %-32s %14.0f %12.3f\n", "ingest (captures -> state)", n / in_, in_
    printf "  %-32s %14s %12.3f\n", "analyze --state (state -> results)", "", ld
    printf "  ingest / analyze time: %.2f\n", in_ / an
    printf "  state: %.1f MiB for %d window(s) (%.1f MiB per window), %d distinct tuples, %.2f bytes per tuple; capture %.2f GB\n", bytes / 1048576, w, bytes / w / 1048576, k, bytes / k, size / 1e9
}'
rm -f "$state" "$state-wal" "$state-shm"
