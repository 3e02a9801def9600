#!/usr/bin/env bash
# test_honeypot_ops.sh - running the honeypot: exit codes and messages, the log on standard
# output, banner, per-source and overall caps, idle timeout, rotation by size, SIGHUP reopening
# (logrotate), the SIGTERM/SIGINT summary, dropping root with --user.
set -euo pipefail
source "$DS_SOURCE_DIR/tests/e2e/honeypot_common.sh"
hp_setup "$@"

if ((HP_NETNS)); then P=2000; else P=$(($(hp_host_range | cut -d' ' -f1) + 10)); fi
H=127.0.0.2

# expect_exit CODE TEXT ARGS... - darkscan honeypot ARGS exits CODE with TEXT on stderr.
expect_exit() {
    local code=$1 text=$2 rc=0
    shift 2
    "$DARKSCAN" honeypot "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [[ $rc -eq $code ]] || fail "honeypot $*: exit $rc, expected $code: $(cat "$WORK/err")"
    grep -qF -- "$text" "$WORK/err" || fail "honeypot $*: no '$text' in: $(cat "$WORK/err")"
}

# ---- usage errors (2), failures (1), help (0) -----------------------------------------------
L=(--listen $H --ports $P)
expect_exit 2 "--listen ADDR is required" --log x "${ROOT_OPT[@]}"
expect_exit 2 "--log FILE is required" "${L[@]}" "${ROOT_OPT[@]}"
expect_exit 2 "'1-99999' is not a port" --listen $H --ports 1-99999 --log x "${ROOT_OPT[@]}"
expect_exit 2 "'nowhere' is not an IPv4 address" --listen nowhere --log x "${ROOT_OPT[@]}"
expect_exit 2 "not PORT:TEXT" "${L[@]}" --log x --banner hello "${ROOT_OPT[@]}"
expect_exit 2 "--rotate needs a log file" "${L[@]}" --log - --rotate daily "${ROOT_OPT[@]}"
expect_exit 2 "'weekly' is not hourly, daily or a size" "${L[@]}" --log x --rotate weekly \
    "${ROOT_OPT[@]}"
expect_exit 2 "--idle-timeout: '0' is not a number of seconds" "${L[@]}" --log x \
    --idle-timeout 0 "${ROOT_OPT[@]}"
expect_exit 2 "--mode: 'magic' is not sockets or tproxy" "${L[@]}" --log x --mode magic \
    "${ROOT_OPT[@]}"
expect_exit 2 "unknown option '--frobnicate'" "${L[@]}" --log x --frobnicate "${ROOT_OPT[@]}"
expect_exit 2 "unexpected argument 'extra'" "${L[@]}" --log x extra "${ROOT_OPT[@]}"
expect_exit 2 "--user: no user 'no-such-user-here'" "${L[@]}" --log x --user no-such-user-here
if ((HP_ROOT)); then
    expect_exit 2 "running as root: give --user NAME" "${L[@]}" --log x
fi
expect_exit 1 "192.0.2.1 port $P: bind: Cannot assign requested address" --listen 192.0.2.1 \
    --ports $P --log "$WORK/x.csv" "${ROOT_OPT[@]}"
expect_exit 1 "$WORK/no/such/dir.csv: No such file or directory" "${L[@]}" \
    --log "$WORK/no/such/dir.csv" "${ROOT_OPT[@]}"
printf 'a,b,c\n' >"$WORK/foreign.csv"
expect_exit 1 "$WORK/foreign.csv: exists and does not start with the session log header" \
    "${L[@]}" --log "$WORK/foreign.csv" "${ROOT_OPT[@]}"
[[ $(cat "$WORK/foreign.csv") == "a,b,c" ]] || fail "a foreign file was changed"
"$DARKSCAN" honeypot --help | grep -q -- "--max-per-source N" || fail "--help"
"$DARKSCAN" --help | grep -q "honeypot" || fail "darkscan --help lists no honeypot"

# ---- log on standard output, SIGINT ----------------------------------------------------------
rm -f "$WORK/std.ready"
"$DARKSCAN" honeypot "${ROOT_OPT[@]}" --listen $H --ports $P --log - -q \
    --ready-file "$WORK/std.ready" >"$WORK/stdout.csv" 2>"$WORK/std.err" &
HP_PID=$!
HP_PIDS+=("$HP_PID")
for ((i = 0; i < 600; i++)); do [[ -s $WORK/std.ready ]] && break; sleep 0.1; done
[[ $(cat "$WORK/std.ready") == "$HP_PID" ]] || fail "ready file holds $(cat "$WORK/std.ready")"
printf '127.0.0.1 %s %s %s\n' $H $P "$(printf 'to stdout' | od -An -tx1 | tr -d ' \n')" \
    >"$WORK/plan"
python3 "$HP_CLIENT" sessions "$WORK/plan" "$WORK/sent"
hp_wait_lines "$WORK/stdout.csv" 1
kill -INT "$HP_PID"
wait "$HP_PID" || fail "SIGINT: exit $?"
python3 "$HP_CLIENT" check "$WORK/stdout.csv" "$WORK/sent" --end close
[[ ! -s $WORK/std.err ]] || fail "-q still printed: $(cat "$WORK/std.err")"

# ---- banner, caps, idle timeout -------------------------------------------------------------
hp_start caps --listen $H --ports $P --log "$WORK/caps.csv" --max-sessions 3 \
    --max-per-source 2 --idle-timeout 0.5 --banner "$P:SSH-2.0-darkscan\\r\\n"
python3 - $H $P <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
BANNER = b"SSH-2.0-darkscan\r\n"
def conn(src):
    s = socket.socket()
    s.settimeout(30)
    s.bind((src, 0))
    s.connect((host, port))
    return s
def banner(s):
    got = b""
    while len(got) < len(BANNER):
        chunk = s.recv(len(BANNER) - len(got))
        assert chunk, f"EOF after {got!r}"
        got += chunk
    assert got == BANNER, got
def reset_at_once(src):
    """Accepted and reset by the honeypot without a byte (the reset may even beat connect()
    back to user space)."""
    try:
        s = conn(src)
        assert s.recv(100) == b"", "data before the reset"
    except ConnectionResetError:
        pass
a, b = conn("127.0.0.1"), conn("127.0.0.1")
banner(a); banner(b)
reset_at_once("127.0.0.1")     # a third from one source
d = conn("127.0.0.7")
banner(d)
reset_at_once("127.0.0.8")     # a fourth overall
for s in (a, b, d):            # they stay silent: closed after 0.5 s idle, with FIN
    assert s.recv(100) == b""
EOF
hp_wait_lines "$WORK/caps.csv" 5
hp_stop
python3 - "$WORK/caps.csv" <<'EOF'
import collections, csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ends = collections.Counter(r["end"] for r in rows)
assert ends == {"idle": 3, "max-per-source": 1, "max-sessions": 1}, ends
for r in rows:
    if r["end"] == "idle":
        assert float(r["duration"]) >= 0.5, r
    else:
        assert r["duration"] == "0.000000" and r["bytes"] == "0", r
assert {r["src"] for r in rows if r["end"] == "max-per-source"} == {"127.0.0.1"}
assert {r["src"] for r in rows if r["end"] == "max-sessions"} == {"127.0.0.8"}
EOF
grep -q "summary: sessions=5 dropped=2 (max-sessions=1 max-per-source=1 no-fd=0) sources=3 ports=1 idle=3 " \
    "$WORK/caps.err" || fail "summary: $(cat "$WORK/caps.err")"

# ---- rotation by size, SIGHUP reopen --------------------------------------------------------
mkdir "$WORK/logs"
hp_start rot --listen $H --ports $P --log "$WORK/logs/s.csv" --rotate 2K
python3 - $H $P "$WORK/plan" <<'EOF'
import sys
with open(sys.argv[3], "w") as f:
    for i in range(60):
        f.write(f"127.0.0.1 {sys.argv[1]} {sys.argv[2]} {('session %03d' % i).encode().hex()}\n")
EOF
python3 "$HP_CLIENT" sessions "$WORK/plan" "$WORK/sent1"
# wait until all 60 are in s.csv and the rotated files
for ((i = 0; i < 600; i++)); do
    n=$(cat "$WORK"/logs/s.csv* | grep -c "session " || true)
    ((n >= 60)) && break
    sleep 0.1
done
((n == 60)) || fail "rotation: $n of 60 sessions in the logs"
rotated=("$WORK"/logs/s.csv.*)
((${#rotated[@]} >= 2)) || fail "no rotation by size: ${rotated[*]}"
for f in "${rotated[@]}"; do
    [[ $(basename "$f") =~ ^s\.csv\.[0-9]{8}T[0-9]{6}Z(\.[0-9]+)?$ ]] || fail "rotated name $f"
    [[ $(head -1 "$f") == "time,src,src_port,dst,dst_port,duration,end,bytes,data" ]] ||
        fail "$f: no header"
    (($(stat -c %s "$f") >= 2048)) || fail "$f rotated before 2K"
done
# logrotate: move the file, SIGHUP, new sessions go to a new s.csv
mv "$WORK/logs/s.csv" "$WORK/logs/moved.csv"
kill -HUP "$HP_PID"
for ((i = 0; i < 600; i++)); do [[ -e $WORK/logs/s.csv ]] && break; sleep 0.1; done
[[ -e $WORK/logs/s.csv ]] || fail "SIGHUP did not reopen the log"
sed -i 's/73657373696f6e/6166746572/' "$WORK/plan" # "session" -> "after"
python3 "$HP_CLIENT" sessions "$WORK/plan" "$WORK/sent2"
hp_wait_lines "$WORK/logs/s.csv" 1
kill -0 "$HP_PID" || fail "the honeypot died"
hp_stop
# every session once: 60 before the move (in the rotated files and moved.csv), 60 after
python3 - "$WORK/logs" <<'EOF'
import csv, glob, os, sys
before, after = [], []
for path in glob.glob(os.path.join(sys.argv[1], "*")):
    rows = list(csv.DictReader(open(path)))
    assert all(r["end"] == "close" for r in rows), path
    for r in rows:
        (after if r["data"].startswith("after") else before).append(r["data"])
assert sorted(before) == ["session %03d" % i for i in range(60)], before
assert sorted(after) == ["after %03d" % i for i in range(60)], after
EOF
grep -q "summary: sessions=120 dropped=0 .* rotations=[1-9][0-9]* reopens=1$" "$WORK/rot.err" ||
    fail "summary: $(cat "$WORK/rot.err")"

# ---- --user: root is dropped after binding (privileged port) --------------------------------
if ((HP_ROOT)) && id nobody >/dev/null 2>&1; then
    chmod 0755 "$WORK" # nobody must reach its folder
    mkdir -m 0777 "$WORK/nobody"
    ROOT_OPT=()
    hp_start nobody --listen $H --ports 23 --user nobody --log "$WORK/nobody/s.csv"
    uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$HP_PID/status")
    [[ $uid == "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" ]] ||
        fail "still uid $uid after --user nobody"
    groups=$(awk '/^Groups:/ {$1=""; print}' "/proc/$HP_PID/status")
    [[ ! " $groups " =~ " 0 " ]] || fail "still in group 0: $groups"
    printf '127.0.0.1 %s 23 -\n' $H >"$WORK/plan"
    python3 "$HP_CLIENT" sessions "$WORK/plan" "$WORK/sent"
    hp_wait_lines "$WORK/nobody/s.csv" 1
    [[ $(stat -c %U "$WORK/nobody/s.csv") == nobody ]] || fail "log not created as nobody"
    hp_stop
fi
echo "ok"
