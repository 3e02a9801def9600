#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS - run every libFuzzer target in BUILD_DIR/fuzz for SECONDS each.
#
# Each target starts from its checked-in corpus fuzz/corpus/<name>/ and writes what it finds
# to fuzz/corpus-new/<name>/ (not tracked). Afterwards only the new inputs that add coverage
# are merged into the checked-in corpus (-merge=1), so it stays small; crashes are left as
# crash-* files in the current directory, to be added to the corpus once fixed.
set -euo pipefail
build=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
for bin in "$build"/fuzz/fuzz_*; do
    [[ -x "$bin" ]] || continue
    name=$(basename "$bin")
    short=${name#fuzz_}
    corpus="$root/fuzz/corpus/$short"
    new="$root/fuzz/corpus-new/$short"
    mkdir -p "$corpus" "$new"
    echo "== $name for ${seconds}s (corpus $corpus, new inputs in $new)"
    dict=()
    [[ -f "$root/fuzz/$short.dict" ]] && dict=(-dict="$root/fuzz/$short.dict")
    "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 "${dict[@]}" \
        "$new" "$corpus"
    echo "== $name: merging what adds coverage into $corpus"
    "$bin" -merge=1 -rss_limit_mb=2048 "$corpus" "$new"
done
