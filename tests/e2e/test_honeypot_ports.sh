#!/usr/bin/env bash
# test_honeypot_ports.sh - the honeypot on several loopback addresses (and ::1) with a --ports
# range; a client connects to hundreds of random ports, the lowest and highest included, and
# sends random bytes: the log holds exactly those sessions (source, ports, bytes, data). Ports
# already taken by another program are reported in one line, and the rest still covered.
set -euo pipefail
source "$DS_SOURCE_DIR/tests/e2e/honeypot_common.sh"
hp_setup "$@"

addrs=(127.0.0.2 127.0.0.3 127.0.0.4)
((HP_IPV6)) && addrs+=(::1)
if ((HP_NETNS)); then
    if ((HP_SANITIZED)); then
        ports="1-250,65286-65535"
    else
        ports="1-1500,64036-65535"
    fi
else
    read -r lo hi <<<"$(hp_host_range)"
    ports="$lo-$((lo + 249)),65286-65535"
fi

# Another program holds two of the ports first.
taken_port=$(python3 - "$ports" <<'EOF'
import sys
print(int(sys.argv[1].split(",")[0].split("-")[0]) + 21)
EOF
)
python3 - "$taken_port" "$WORK/taken.ready" <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
held = []
for addr in ("127.0.0.2", "127.0.0.3"):
    s = socket.socket()
    s.bind((addr, port))
    s.listen()
    held.append(s)
open(sys.argv[2], "w").write("ok")
time.sleep(600)
EOF
HP_PIDS+=($!)
for ((i = 0; i < 300; i++)); do [[ -s $WORK/taken.ready ]] && break; sleep 0.1; done

listen=()
for a in "${addrs[@]}"; do listen+=(--listen "$a"); done
# (caps above the 400 sessions: this test is about exact logging, not about the caps)
hp_start hp "${listen[@]}" --ports "$ports" --log "$WORK/sessions.csv" --capture-bytes 256 \
    --max-sessions 1024 --max-per-source 1024

grep -q "2 ports in use by other sockets, not covered: 127.0.0.2:$taken_port, 127.0.0.3:$taken_port$" \
    "$WORK/hp.err" || fail "busy ports not reported: $(cat "$WORK/hp.err")"
grep -q "listening on $(( ${#addrs[@]} * $(python3 -c "
import sys
n = 0
for part in sys.argv[1].split(','):
    lo, _, hi = part.partition('-')
    n += int(hi or lo) - int(lo) + 1
print(n)" "$ports") - 2 )) sockets" "$WORK/hp.err" || fail "listening line: $(cat "$WORK/hp.err")"

# The plan: 400 sessions to random (address, port) pairs, with the extremes, random bytes.
python3 - "$ports" "$taken_port" "$WORK/plan" "${addrs[@]}" <<'EOF'
import os, random, sys
ports_text, taken, plan, addrs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
ports = []
for part in ports_text.split(","):
    lo, _, hi = part.partition("-")
    ports += range(int(lo), int(hi or lo) + 1)
rng = random.Random(42)
lines = []
def add(dst, port):
    src = "::1" if ":" in dst else "127.0.0.1"
    n = rng.choice([0, 1, 5, 100, 256, 257, 1000])
    data = bytes(rng.randrange(256) for _ in range(n))
    lines.append(f"{src} {dst} {port} {data.hex() if data else '-'}\n")
add(addrs[0], min(ports))
add(addrs[-1], max(ports))
while len(lines) < 400:
    port = rng.choice(ports)
    dst = rng.choice(addrs)
    if port == taken and dst in ("127.0.0.2", "127.0.0.3"):
        continue
    add(dst, port)
open(plan, "w").writelines(lines)
EOF
python3 "$HP_CLIENT" sessions "$WORK/plan" "$WORK/sent"
hp_wait_lines "$WORK/sessions.csv" 400
hp_stop
python3 "$HP_CLIENT" check "$WORK/sessions.csv" "$WORK/sent" --end close --capture 256

grep -q "summary: sessions=400 dropped=0 " "$WORK/hp.err" || fail "summary: $(cat "$WORK/hp.err")"
sources=1
((HP_IPV6)) && sources=2
grep -q " sources=$sources " "$WORK/hp.err" || fail "sources: $(cat "$WORK/hp.err")"
echo "ok: 400 sessions on ${#addrs[@]} addresses, ports $ports"
