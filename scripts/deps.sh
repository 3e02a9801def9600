#!/usr/bin/env bash
# deps.sh - make sure the Debian packages darkscan needs are installed.
#
#   scripts/deps.sh build|check|demo|bench|fuzz
#
# Checks each package with dpkg-query and installs only the missing ones with apt-get, when
# run as root. Run as another user, it names what is missing and exits 1. The Makefile calls
# this before every target, so a fresh Debian 12 machine needs nothing else.
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config zlib1g-dev libisal-dev libbz2-dev liblzma-dev libzstd-dev
            liblz4-dev libpcap-dev libmaxminddb-dev libsqlite3-dev libssl-dev)
check_pkgs=(libcmocka-dev clang-format gzip bzip2 xz-utils zstd lz4 python3 nftables chromium)
fuzz_pkgs=(clang libclang-rt-14-dev)
bench_pkgs=(zstd gzip) # tshark is used when installed

want=("${build_pkgs[@]}")
for target in "$@"; do
    case "$target" in
    build | demo) ;;
    bench) want+=("${bench_pkgs[@]}") ;;
    check) want+=("${check_pkgs[@]}") ;;
    fuzz) want+=("${check_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
    *)
        echo "deps.sh: unknown target '$target' (build, check, demo, bench, fuzz)" >&2
        exit 2
        ;;
    esac
done

missing=()
for pkg in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "darkscan needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
