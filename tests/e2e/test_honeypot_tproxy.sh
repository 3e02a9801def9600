#!/usr/bin/env bash
# test_honeypot_tproxy.sh - --mode tproxy: one transparent socket per family, fed by an
# nftables tproxy rule in a network namespace the test creates, covers every port of every
# address of 127.0.0.0/24 (even addresses no socket is bound to) and ::1. The client connects
# to 4,000 random ports and 1 and 65535 (500 under ASan) and a spread of addresses: the log holds
# exactly those sessions. Skipped (77) without root, unshare or nft.
set -euo pipefail
source "$DS_SOURCE_DIR/tests/e2e/honeypot_common.sh"
hp_setup "$@"

if ((!HP_NETNS)); then
    echo "skipped: no network namespace of its own (needs root and unshare)" >&2
    exit 77
fi
if ! command -v nft >/dev/null; then
    echo "skipped: nft (Debian package nftables) is not installed" >&2
    exit 77
fi
TP=61000
rules="table inet darkscan_test {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    ip daddr 127.0.0.0/24 ip daddr != 127.0.0.1 tcp dport 1-65535 tproxy ip to 127.0.0.2:$TP accept"
((HP_IPV6)) && rules+="
    ip6 daddr ::1 tcp dport 1-65535 tproxy ip6 to [::1]:$TP accept"
rules+="
  }
}"
if ! nft -f - <<<"$rules" 2>"$WORK/nft.err"; then
    echo "skipped: the kernel refused the tproxy rule: $(cat "$WORK/nft.err")" >&2
    exit 77
fi

listen=(--listen 127.0.0.2)
((HP_IPV6)) && listen+=(--listen ::1)
hp_start hp --mode tproxy --tproxy-port $TP "${listen[@]}" --log "$WORK/sessions.csv" \
    --max-per-source 1024
grep -q "listening on $((${#listen[@]} / 2)) sockets" "$WORK/hp.err" || fail "$(cat "$WORK/hp.err")"

# The plan: the sampled ports, each to one of
# 127.0.0.2-127.0.0.254 or ::1, from 16 source addresses in turn (so that TIME_WAIT does not
# use up the client's ports).
python3 - "$WORK/plan" "$HP_SANITIZED" "$HP_IPV6" <<'EOF2'
import random, sys
rng = random.Random(61000)
# 4,000 random ports and both ends (500 under ASan): every port is covered by the one
# tproxy socket, and a bounded sample keeps the test well inside its time guards on a busy
# machine (all 65,535 took over two minutes with other jobs running).
ports = [1, 65535] + rng.sample(range(2, 65535), 500 if sys.argv[2] == "1" else 4000)
with open(sys.argv[1], "w") as f:
    for i, p in enumerate(ports):
        if sys.argv[3] == "1" and i % 10 == 0:
            src, dst = "::1", "::1"
        else:
            src, dst = f"127.0.1.{i % 16 + 1}", f"127.0.0.{rng.randint(2, 254)}"
        f.write(f"{src} {dst} {p} {('p%d' % p).encode().hex()}\n")
EOF2
python3 "$HP_CLIENT" sessions "$WORK/plan" "$WORK/sent"
n=$(wc -l <"$WORK/sent")
hp_wait_lines "$WORK/sessions.csv" "$n"
hp_stop
python3 "$HP_CLIENT" check "$WORK/sessions.csv" "$WORK/sent" --end close
grep -q "summary: sessions=$n dropped=0 .* ports=$(cut -d' ' -f4 "$WORK/sent" | sort -u | wc -l) " \
    "$WORK/hp.err" || fail "summary: $(cat "$WORK/hp.err")"
echo "ok: $n sessions through tproxy"
