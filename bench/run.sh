#!/usr/bin/env bash
# run.sh BUILD_DIR - darkscan's benchmarks, each printed beside a baseline measured in the same run.
set -euo pipefail
build=$1

# ds_darknet_index, the per-SYN-packet lookup: lookups/s against a plain binary search.
"$build"/bench/bench_darknet "${BENCH_SECONDS:-1}"
