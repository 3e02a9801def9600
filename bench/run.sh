#!/usr/bin/env bash
# run.sh BUILD_DIR - darkscan's benchmarks (`make bench`).
#
# One table: packets/s, seconds and peak RSS of every stage, beside the baselines measured in
# the same run on the same captures, then the ratios the performance issue asks for.
#
# Captures (generated once by bench_gen into $DS_BENCH_DIR, default /var/tmp/darkscan-bench,
# and regenerated when bench_gen's version or the record count changes):
#   main      $DS_BENCH_RECORDS (30 million) Ethernet/IPv4/TCP SYN records, 2.1 GB, in time
#             order over two minutes (one window): bench_gen's default output
#   split     the same records dealt round-robin into 8 files (8 interleaved sensors)
#   main.pcapng  the same records as pcapng (Enhanced Packet Blocks, 2.7 GB)
#   year      a third as many records spread over 12 months, in time order, and the same
#             records shuffled (times in random order): "any input order"
#   main.zst  main compressed with zstd -1; split/*.gz: the 8 files with gzip -1
#   main.xz   with DS_BENCH_XZ=1 only (it takes minutes): main compressed with xz -T<cores> -1
#             (many blocks, which darkscan decodes on every core), timed once
# Baselines: a bare read() of main through 1 MiB (bench_bareread), the minimal hand-written
# decode loop (bench_decode), libpcap's pcap_dispatch with an empty callback (bench_libpcap),
# zstd -dc and gzip -dc to /dev/null, and tshark -T fields piped to awk on the first 100,000
# records when tshark is installed.
#
# The page cache is warmed first; each measurement runs $DS_BENCH_RUNS times (default 3),
# interleaved, and the best is reported. Peak RSS is the child's ru_maxrss.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
bin=$build/bench
ds=$build/darkscan
cache=${DS_BENCH_DIR:-/var/tmp/darkscan-bench}
records=${DS_BENCH_RECORDS:-30000000}
runs=${DS_BENCH_RUNS:-3}
year_records=$((records / 3))
darknet=198.51.100.0/24,203.0.113.0/24,192.0.2.0/24,138.196.74.0/24
nproc=$(nproc)
# DS_BENCH_BEFORE=path/to/darkscan: also time that binary (another commit's build) on the main
# capture with -j 1 and -j 2 and on the 8 files with -j 2, interleaved with this build's runs.
before=${DS_BENCH_BEFORE:-}

mkdir -p "$cache"
version=$("$bin/bench_gen" --version)

# fresh NAME WANT - whether the cached NAME was made as WANT says (else it is removed).
fresh() {
    if [[ -e "$1" && "$(cat "$1.version" 2>/dev/null)" == "$2" ]]; then return 0; fi
    rm -rf "$1" "$1.version"
    return 1
}
made() { echo "$2" >"$1.version"; }

main=$cache/syn-$records.pcap
if ! fresh "$main" "$version $records"; then
    echo "bench: generating $main ($records records, once)" >&2
    "$bin/bench_gen" "$main.tmp" "$records" && mv "$main.tmp" "$main" && made "$main" "$version $records"
fi
ng=$cache/syn-$records.pcapng
if ! fresh "$ng" "$version $records pcapng"; then
    echo "bench: generating $ng (the same records as pcapng, once)" >&2
    "$bin/bench_gen" --pcapng "$ng.tmp" "$records" && mv "$ng.tmp" "$ng" && made "$ng" "$version $records pcapng"
fi
split=$cache/split-$records
if ! fresh "$split" "$version $records split 8"; then
    echo "bench: generating $split/ (the same records in 8 files, once)" >&2
    mkdir -p "$split"
    "$bin/bench_gen" --files 8 "$split/s" "$records" && made "$split" "$version $records split 8"
fi
year=$cache/year-$year_records.pcap
if ! fresh "$year" "$version $year_records year"; then
    echo "bench: generating $year (12 months, once)" >&2
    "$bin/bench_gen" --span-days 365 "$year.tmp" "$year_records" && mv "$year.tmp" "$year" &&
        made "$year" "$version $year_records year"
fi
shuffled=$cache/year-$year_records-shuffled.pcap
if ! fresh "$shuffled" "$version $year_records year shuffled"; then
    echo "bench: generating $shuffled (the same, shuffled, once)" >&2
    "$bin/bench_gen" --span-days 365 --shuffle "$shuffled.tmp" "$year_records" &&
        mv "$shuffled.tmp" "$shuffled" && made "$shuffled" "$version $year_records year shuffled"
fi
zst=$main.zst
if ! fresh "$zst" "$version $records zstd -1"; then
    echo "bench: compressing $zst (once)" >&2
    zstd -q -1 -T0 -f -o "$zst" "$main" && made "$zst" "$version $records zstd -1"
fi
gz=$cache/gz-$records
if ! fresh "$gz" "$version $records gzip -1"; then
    echo "bench: compressing $gz/ (once)" >&2
    mkdir -p "$gz"
    ls "$split"/*.pcap | xargs -P "$nproc" -I{} sh -c 'gzip -1 -c "$1" >"$2/$(basename "$1").gz"' _ {} "$gz"
    made "$gz" "$version $records gzip -1"
fi

xz_file=
if [[ ${DS_BENCH_XZ:-0} == 1 ]]; then
    xz_file=$main.xz
    if ! fresh "$xz_file" "$version $records xz -1 -T$nproc"; then
        echo "bench: compressing $xz_file (once; minutes)" >&2
        xz -q -1 -T"$nproc" -c "$main" >"$xz_file.tmp" && mv "$xz_file.tmp" "$xz_file" &&
            made "$xz_file" "$version $records xz -1 -T$nproc"
    fi
fi

# Warm the page cache (the files must fit in memory for the numbers to mean anything).
cat "$main" "$split"/*.pcap "$year" "$shuffled" "$zst" "$gz"/*.gz ${xz_file:+"$xz_file"} >/dev/null

best() { sort -g | head -1; }
declare -A S RSS # seconds and peak RSS (KiB) per measurement, best of the runs
# record NAME SECONDS RSS_KIB - keep the fastest run (and its RSS).
record() {
    if [[ -z "${S[$1]:-}" ]] || awk -v a="$2" -v b="${S[$1]}" 'BEGIN { exit !(a < b) }'; then
        S[$1]=$2
        RSS[$1]=$3
    fi
}
# run NAME CMD... - time a command with bench_run; it must exit 0.
run() {
    local name=$1
    shift
    local s rss st
    read -r s rss st < <("$bin/bench_run" "$@")
    [[ $st == 0 ]] || { echo "bench: $name failed ($st): $*" >&2; exit 1; }
    record "$name" "$s" "$rss"
}

echo "bench: uptime before: $(uptime)" >&2
an=(analyze -q -d "$darknet")
for ((i = 0; i < runs; i++)); do
    read -r s _ rss _ < <("$bin/bench_bareread" "$main" 1024)
    record bare "$s" "$rss"
    read -r s recs syn rss _ < <("$bin/bench_decode" "$main")
    [[ $recs == "$records" && $syn == "$records" ]] || { echo "bench: bench_decode saw $recs/$syn" >&2; exit 1; }
    record decode "$s" "$rss"
    if [[ -x "$bin/bench_libpcap" ]]; then
        read -r s recs rss < <("$bin/bench_libpcap" "$main")
        record libpcap "$s" "$rss"
    fi
    read -r s recs pkts syn rss _ < <("$bin/bench_read" "$main")
    [[ $recs == "$records" && $pkts == "$records" && $syn == "$records" ]] || {
        echo "bench: reader saw $recs records, $pkts packets, $syn SYNs; want $records" >&2
        exit 1
    }
    record reader "$s" "$rss"
    run j1 "$ds" "${an[@]}" -j 1 "$main"
    run j2 "$ds" "${an[@]}" -j 2 "$main"
    run split1 "$ds" "${an[@]}" -j 1 "$split"
    run ng1 "$ds" "${an[@]}" -j 1 "$ng"
    run ng2 "$ds" "${an[@]}" -j 2 "$ng"
    run split2 "$ds" "${an[@]}" -j 2 "$split"
    run year1 "$ds" "${an[@]}" -j 1 "$year"
    run shuf1 "$ds" "${an[@]}" -j 1 "$shuffled"
    run shuf2 "$ds" "${an[@]}" -j 2 "$shuffled"
    # The host pass: -n 8 -m 1 makes bench_gen's 64 heavy scanners' /16s constant blocks.
    run hp "$ds" "${an[@]}" -n 8 -m 1 -j 1 "$main"
    run nohp "$ds" "${an[@]}" -n 8 -m 1 --no-host-pass -j 1 "$main"
    if [[ -n "$before" ]]; then
        run b_j1 "$before" "${an[@]}" -j 1 "$main"
        run b_j2 "$before" "${an[@]}" -j 2 "$main"
        run b_split2 "$before" "${an[@]}" -j 2 "$split"
    fi
done
# Compressed input: slower, so at most two runs.
cruns=$((runs < 2 ? runs : 2))
for ((i = 0; i < cruns; i++)); do
    run zstd_dc sh -c "zstd -dc '$zst' >/dev/null"
    run zst1 "$ds" "${an[@]}" -j 1 "$zst"
    run zst2 "$ds" "${an[@]}" -j 2 "$zst"
    run gzip_dc sh -c "cat '$gz'/*.gz | gzip -dc >/dev/null"
    run gz1 "$ds" "${an[@]}" -j 1 "$gz"
    run gz2 "$ds" "${an[@]}" -j 2 "$gz"
done
if [[ -n "$xz_file" ]]; then
    run xz_dc sh -c "xz -dc -T0 '$xz_file' >/dev/null"
    run xz1 "$ds" "${an[@]}" -j 1 "$xz_file"
    run xz2 "$ds" "${an[@]}" -j 2 "$xz_file"
fi
tshark_n=100000
if command -v tshark >/dev/null; then
    run tshark sh -c "tshark -r '$main' -c $tshark_n -T fields -e ip.src -e ip.dst -e tcp.dstport 2>/dev/null | awk '{ n[\$1 \" \" \$3]++ } END { print length(n) }' >/dev/null"
fi
# Same answers whatever the order: the year capture time-ordered and shuffled, and the main
# capture as one file and as eight.
cmp <("$ds" analyze -d "$darknet" --json - -q -n 8 -m 1 --no-host-pass "$year" | grep -v '"files"') \
    <("$ds" analyze -d "$darknet" --json - -q -n 8 -m 1 --no-host-pass "$shuffled" | grep -v '"files"') >/dev/null ||
    { echo "bench: the shuffled capture gave another answer" >&2; exit 1; }
# ... and whatever the number of threads: -j 2 reads the one file in two byte ranges.
cmp <("$ds" analyze -d "$darknet" --json - -q -n 8 -m 1 -j 1 "$main") \
    <("$ds" analyze -d "$darknet" --json - -q -n 8 -m 1 -j 2 "$main") >/dev/null ||
    { echo "bench: analyze -j 2 gave another answer than -j 1" >&2; exit 1; }
# ... and whatever the format: the same records as pcapng, read in byte ranges.
cmp <("$ds" analyze -d "$darknet" --json - -q -n 8 -m 1 -j 1 "$main") \
    <("$ds" analyze -d "$darknet" --json - -q -n 8 -m 1 -j 2 "$ng") >/dev/null ||
    { echo "bench: the pcapng capture gave another answer than the pcap" >&2; exit 1; }
read -r tuples _ < <("$bin/bench_distinct" "$darknet" "$main")
read -r year_tuples _ < <("$bin/bench_distinct" "$darknet" "$year")
echo "bench: uptime after: $(uptime)" >&2

size=$(stat -c %s "$main")
{
    for k in "${!S[@]}"; do echo "$k ${S[$k]} ${RSS[$k]}"; done
} | awk -v n="$records" -v yn="$year_records" -v size="$size" -v runs="$runs" -v tn="$tshark_n" \
    -v tuples="$tuples" -v ytuples="$year_tuples" -v nproc="$nproc" '
{ s[$1] = $2; rss[$1] = $3 }
function row(label, key, count) {
    if (!(key in s)) return
    printf "  %-52s %12.2f %9.3f %10.1f\n", label, count / s[key] / 1e6, s[key], rss[key] / 1024
}
function ratio(label, value, target, met) {
    if (target == "-")
        printf "  %-60s %7.2f\n", label, value
    else
        printf "  %-60s %7.2f  (target %s: %s)\n", label, value, target, met ? "met" : "NOT met"
}
END {
    printf "darkscan bench: %d SYN records (%.2f GB classic pcap, |D| = 1024, %d distinct tuples), best of %d, %d cores\n", n, size / 1e9, tuples, runs, nproc
    printf "  %-52s %12s %9s %10s\n", "", "M packets/s", "seconds", "peak MiB"
    print "baselines"
    row("bare read(), 1 MiB buffer, every byte touched", "bare", n)
    row("minimal decode loop (bench_decode)", "decode", n)
    row("libpcap pcap_dispatch, no work per packet", "libpcap", n)
    row("tshark -T fields | awk (first 100,000 records)", "tshark", tn)
    row("zstd -dc (main.zst)", "zstd_dc", n)
    row("gzip -dc (8 .gz files, one after the other)", "gzip_dc", n)
    if ("xz_dc" in s)
        row("xz -dc -T0 (main.xz, DS_BENCH_XZ=1)", "xz_dc", n)
    print "darkscan"
    row("ds_reader read + decode (bench_read)", "reader", n)
    row("analyze -j 1, one file", "j1", n)
    row("analyze -j 2, one file", "j2", n)
    row("analyze -j 1, 8 files (interleaved)", "split1", n)
    row("analyze -j 2, 8 files (interleaved)", "split2", n)
    row("analyze -j 1, one file as pcapng", "ng1", n)
    row("analyze -j 2, one file as pcapng", "ng2", n)
    row("analyze -j 1, 12 months in time order (1/3 records)", "year1", yn)
    row("analyze -j 1, 12 months shuffled (out of order)", "shuf1", yn)
    row("analyze -j 2, 12 months shuffled (out of order)", "shuf2", yn)
    row("analyze -j 1, main.zst", "zst1", n)
    row("analyze -j 2, main.zst", "zst2", n)
    row("analyze -j 1, 8 .gz files", "gz1", n)
    row("analyze -j 2, 8 .gz files", "gz2", n)
    if ("xz1" in s) {
        row("analyze -j 1, main.xz", "xz1", n)
        row("analyze -j 2, main.xz", "xz2", n)
    }
    row("analyze -j 1 -n 8 -m 1 (64 blocks, with the host pass)", "hp", n)
    row("analyze -j 1 -n 8 -m 1 --no-host-pass", "nohp", n)
    if ("b_j1" in s) {
        print "before (DS_BENCH_BEFORE)"
        row("analyze -j 1, one file", "b_j1", n)
        row("analyze -j 2, one file", "b_j2", n)
        row("analyze -j 2, 8 files (interleaved)", "b_split2", n)
    }
    print "ratios"
    ratio("analyze -j 1 / minimal decode loop (packets/s)", s["decode"] / s["j1"], ">= 0.30", s["decode"] / s["j1"] >= 0.30)
    ratio("analyze -j 1 / ds_reader read + decode", s["reader"] / s["j1"], "-", 1)
    ratio("analyze -j 2 / -j 1, one file", s["j1"] / s["j2"], ">= 1.7", s["j1"] / s["j2"] >= 1.7)
    ratio("analyze -j 2 / -j 1, 8 files", s["split1"] / s["split2"], ">= 1.7", s["split1"] / s["split2"] >= 1.7)
    ratio("analyze -j 2 / -j 1, one pcapng file", s["ng1"] / s["ng2"], ">= 1.7", s["ng1"] / s["ng2"] >= 1.7)
    if ("b_j1" in s) {
        ratio("before: analyze -j 2 / -j 1, one file", s["b_j1"] / s["b_j2"], "-", 1)
        ratio("analyze -j 2, one file: before / now (time)", s["b_j2"] / s["j2"], "-", 1)
    }
    ratio("12 months: shuffled / time-ordered (-j 1, packets/s)", s["year1"] / s["shuf1"], "-", 1)
    ratio("analyze -j 1 on main.zst / zstd -dc", s["zstd_dc"] / s["zst1"], ">= 1", s["zstd_dc"] / s["zst1"] >= 1)
    ratio("analyze -j 2 on main.zst / zstd -dc", s["zstd_dc"] / s["zst2"], ">= 1", s["zstd_dc"] / s["zst2"] >= 1)
    ratio("analyze -j 2 / -j 1 on 8 .gz files", s["gz1"] / s["gz2"], ">= 1.7", s["gz1"] / s["gz2"] >= 1.7)
    ratio("analyze -j 2 on 8 .gz files / gzip -dc", s["gzip_dc"] / s["gz2"], "-", 1)
    if ("xz1" in s)
        ratio("analyze -j 1 on main.xz / xz -dc -T0", s["xz_dc"] / s["xz1"], "-", 1)
    # Without the host pass the first pass counts every source host; with it, only the host
    # pass counts hosts (those of the blocks): this is the time the pass adds, net of that.
    ratio("host pass: added share of analyze -n 8 -m 1 time", (s["hp"] - s["nohp"]) / s["hp"], "-", 1)
    # Fixed: the 32 MiB buffer and 32 MiB sort scratch of each worker (the host tables, which grow
    # with the sources and not the tuples, are counted against the tuples here).
    fixed = 64 * 1048576
    printf "  peak RSS per distinct tuple, all of it / beyond %d MiB of buffers per worker:\n", fixed / 1048576
    b = (rss["j1"] * 1024 - fixed) / tuples
    ratio("  -j 1, main, bytes (beyond the buffers)", b, "<= 16", b <= 16)
    b = (rss["j2"] * 1024 - 2 * fixed) / tuples
    ratio("  -j 2, main, bytes (beyond the buffers)", b, "<= 16", b <= 16)
    b = (rss["shuf1"] * 1024 - fixed) / ytuples
    ratio("  -j 1, 12 months shuffled, bytes (beyond the buffers)", b, "<= 16", b <= 16)
    printf "  (all of it: %.1f, %.1f and %.1f bytes per tuple)\n", rss["j1"] * 1024 / tuples, rss["j2"] * 1024 / tuples, rss["shuf1"] * 1024 / ytuples
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
file=$main
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
