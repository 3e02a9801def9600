#!/usr/bin/env bash
# `darkscan ingest --interface`: live capture into a state, in a network namespace of the
# test's own with a veth pair (nothing is sent anywhere else). Session 1 (--bpf tcp) gets half
# the frames, commits them at a --flush, and is killed with SIGKILL: what it committed stays.
# Session 2 (no filter, no flush before the end) gets the other half and stops on SIGTERM with
# a last commit. `analyze --state` then finds exactly the scanner that was sent, with every
# packet counted. Skipped (77) when the namespace or the veth pair cannot be made.
set -euo pipefail
if [[ -z ${DS_LIVE_NETNS:-} ]]; then
    if [[ $(id -u) -ne 0 ]] || ! unshare -n true 2>/dev/null; then
        echo "skipped: needs root and unshare -n for a network namespace of its own" >&2
        exit 77
    fi
    exec env DS_LIVE_NETNS=1 unshare -n bash "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=
cleanup() {
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [[ -f $work/live.err ]] && cat "$work/live.err" >&2
    exit 1
}
ip link set lo up
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null ||
    true
if ! ip link add dsa type veth peer name dsb 2>"$work/ip.err"; then
    echo "skipped: cannot create a veth pair: $(cat "$work/ip.err")" >&2
    exit 77
fi
ip link set dsa up
ip link set dsb up

S=$work/live.db
# A window of 100 years: whatever the clock says, the whole test falls in one window.
common=(--state "$S" -d 198.51.100.0/28 --window 3153600000s --interface dsa)

# wait_log PATTERN - until the ingest's log shows PATTERN (a guard of 60 s against hanging).
wait_log() {
    for ((i = 0; i < 600; i++)); do
        grep -q "$1" "$work/live.err" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || fail "ingest exited before '$1'"
        sleep 0.1
    done
    fail "no '$1' in the log after 60 s"
}
# packets - IPv4 packets in the state (0 before the first commit).
packets() {
    "$DARKSCAN" analyze -q -m 1 --state "$S" --json "$work/p.json" 2>/dev/null || {
        echo 0
        return
    }
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["input"]["ipv4_packets"])' \
        "$work/p.json"
}

# Session 1: TCP only, a commit every second; killed once batch 1 is committed.
"$DARKSCAN" ingest "${common[@]}" --bpf tcp --flush 1 2>>"$work/live.err" &
pid=$!
wait_log "capturing on dsa"
python3 "$here/live_send.py" dsb scan 1 >"$work/sent1.json"
want1=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["syn"]+c["tcp"]+c["outside"])' \
    "$work/sent1.json")
for ((i = 0; i < 600; i++)); do
    [[ $(packets) -eq $want1 ]] && break
    kill -0 "$pid" 2>/dev/null || fail "ingest exited during session 1"
    sleep 0.1
done
[[ $(packets) -eq $want1 ]] || fail "session 1: $(packets) packets committed, not $want1"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=
[[ $(packets) -eq $want1 ]] || fail "after SIGKILL: $(packets) packets, not $want1"
grep -q 'committed to .*kernel: [0-9]* received, [0-9]* dropped' "$work/live.err" ||
    fail "no flush line with the kernel's counters"

# Session 2: every packet, no periodic commit: only SIGTERM's last commit saves batch 2.
"$DARKSCAN" ingest "${common[@]}" --flush 3600 2>>"$work/live.err" &
pid=$!
wait_log "capturing on dsa.*session"
python3 "$here/live_send.py" dsb scan 2 >"$work/sent2.json"
sleep 1 # the frames are in the capture ring within microseconds; this is a wide margin
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc -eq 0 ]] || fail "ingest exited $rc on SIGTERM"
grep -q 'Terminated, stopping: [0-9]* packets' "$work/live.err" || fail "no last commit logged"

"$DARKSCAN" analyze -q -m 1 --state "$S" --json "$work/r.json"
python3 - "$work/r.json" "$work/sent1.json" "$work/sent2.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s1, s2 = (json.load(open(f)) for f in sys.argv[2:])
want = s1["syn"] + s1["tcp"] + s1["outside"] + sum(s2.values())
assert r["input"]["ipv4_packets"] == want, (r["input"], want)
assert r["input"]["outside_darknet"] == s1["outside"] + s2["outside"], r["input"]
assert r["input"]["syn_to_darknet"] == s1["syn"] + s2["syn"], r["input"]
assert r["input"]["files"] == 0, r["input"]
nets = r["networks"]
assert [n["block"] for n in nets] == ["10.20.0.0/16"], nets
ps = list(nets[0]["port_sets"].values())
assert ps == [list(range(1, 41))], ps
assert nets[0]["syn_packets"] == 640, nets[0]
assert nets[0]["fingerprints"]["zmap"] == 1.0, nets[0]
EOF
n=$("$DARKSCAN" ingest --state "$S" --list | grep -c ' live .*live:dsa')
[[ $n -eq 2 ]] || fail "$n live sessions listed, not 2"
echo "ok: live capture committed at a flush, survived SIGKILL, committed on SIGTERM"
