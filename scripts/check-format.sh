#!/usr/bin/env bash
# check-format.sh FILE... - fail (exit 1) when any file differs from clang-format's output.
set -uo pipefail
bad=0
for f in "$@"; do
    [[ -f "$f" ]] || continue
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run 'make format')" >&2
        bad=1
    fi
done
exit $bad
