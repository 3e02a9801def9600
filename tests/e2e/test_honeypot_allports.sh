#!/usr/bin/env bash
# test_honeypot_allports.sh - every port 1-65535 of one address, in the default sockets mode:
# 65535 listening sockets. Needs a file descriptor limit above 65,600 (raised here when the
# hard limit or CAP_SYS_RESOURCE allows) and a network namespace of its own (binding every
# port would take the ephemeral ports of the machine's other programs); skipped (77) otherwise,
# and under ASan (65535 sockets there are slow and memory-hungry; test_honeypot_ports covers
# the same code with fewer ports).
set -euo pipefail
source "$DS_SOURCE_DIR/tests/e2e/honeypot_common.sh"
hp_setup "$@"

if ((HP_SANITIZED)); then
    echo "skipped: 65535 listening sockets under ASan (test_honeypot_ports covers the code)" >&2
    exit 77
fi
if ((!HP_NETNS)); then
    echo "skipped: no network namespace of its own (needs root and unshare)" >&2
    exit 77
fi
need=$((65535 + 64 + 16))
if ! ulimit -n "$need" 2>/dev/null; then
    echo "skipped: cannot raise the file descriptor limit to $need (hard limit $(ulimit -Hn);" \
        "needs root with CAP_SYS_RESOURCE or a higher hard limit)" >&2
    exit 77
fi

hp_start hp --listen 127.0.0.2 --log "$WORK/sessions.csv" --max-sessions 64 --max-per-source 64
grep -q "listening on 65535 sockets" "$WORK/hp.err" || fail "$(cat "$WORK/hp.err")"

# 500 random ports and both ends, from a source address the honeypot does not hold.
python3 - "$WORK/plan" <<'EOF2'
import random, sys
rng = random.Random(65535)
ports = [1, 65535] + rng.sample(range(2, 65535), 500)
with open(sys.argv[1], "w") as f:
    for p in ports:
        f.write(f"127.0.0.1 127.0.0.2 {p} {('port %d' % p).encode().hex()}\n")
EOF2
python3 "$HP_CLIENT" sessions "$WORK/plan" "$WORK/sent"
hp_wait_lines "$WORK/sessions.csv" 502
hp_stop
python3 "$HP_CLIENT" check "$WORK/sessions.csv" "$WORK/sent" --end close
grep -q "summary: sessions=502 dropped=0 " "$WORK/hp.err" || fail "$(cat "$WORK/hp.err")"
echo "ok: all 65535 ports of 127.0.0.2"
