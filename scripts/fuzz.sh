#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS - run every libFuzzer target in BUILD_DIR/fuzz for SECONDS each,
# starting from fuzz/corpus/<name>/ and adding new interesting inputs to it.
set -euo pipefail
build=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
for bin in "$build"/fuzz/fuzz_*; do
    [[ -x "$bin" ]] || continue
    name=$(basename "$bin")
    short=${name#fuzz_}
    corpus="$root/fuzz/corpus/$short"
    mkdir -p "$corpus"
    echo "== $name for ${seconds}s (corpus $corpus)"
    dict=()
    [[ -f "$root/fuzz/$short.dict" ]] && dict=(-dict="$root/fuzz/$short.dict")
    "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 "${dict[@]}" "$corpus"
done
