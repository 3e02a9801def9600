# honeypot_common.sh - sourced by the test_honeypot_*.sh scripts (not a test itself).
#
# hp_setup: re-run the calling script in a network namespace of its own when possible (root),
# so that the thousands of ports the honeypot binds cannot meet anything else on the machine,
# and bring its loopback up. Without one (not root), the tests use ports above the ephemeral
# range on the host's loopback. Every test only ever connects to loopback.
#
# Sets: WORK (a temporary folder, removed on exit), HP_NETNS (1 inside our own namespace),
# HP_ROOT (1 when root), HP_IPV6 (1 when ::1 works), HP_SANITIZED (1 in the ASan build),
# HP_CLIENT (the python client), ROOT_OPT (--allow-root when root).

hp_setup() {
    if [[ -z ${DS_HP_NETNS:-} && $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
        exec env DS_HP_NETNS=1 unshare -n bash "$0" "$@"
    fi
    HP_NETNS=0
    if [[ -n ${DS_HP_NETNS:-} ]]; then
        ip link set lo up || { echo "cannot bring up lo in the test's namespace" >&2; exit 1; }
        HP_NETNS=1
    fi
    HP_ROOT=0
    ROOT_OPT=()
    if [[ $(id -u) -eq 0 ]]; then
        HP_ROOT=1
        ROOT_OPT=(--allow-root)
    fi
    HP_IPV6=0
    if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' \
        2>/dev/null; then
        HP_IPV6=1
    fi
    HP_SANITIZED=${DS_SANITIZED:-0}
    HP_CLIENT="$DS_SOURCE_DIR/tests/e2e/honeypot_client.py"
    WORK=$(mktemp -d)
    HP_PIDS=()
    trap hp_cleanup EXIT
}

hp_cleanup() {
    local pid
    for pid in "${HP_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}

# hp_start NAME ARGS... - start the honeypot in the background with --ready-file, wait until
# it is listening (a guard of two minutes against hanging); sets HP_PID. stderr goes to
# $WORK/NAME.err; the ready file is $WORK/NAME.ready, or $WORK/NAME/ready if that folder
# exists (for --user).
hp_start() {
    local name=$1
    shift
    local ready=$WORK/$name.ready
    [[ -d $WORK/$name ]] && ready=$WORK/$name/ready
    rm -f "$ready"
    "$DARKSCAN" honeypot "${ROOT_OPT[@]}" --ready-file "$ready" "$@" 2>"$WORK/$name.err" &
    HP_PID=$!
    HP_PIDS+=("$HP_PID")
    local i
    for ((i = 0; i < 1200; i++)); do
        [[ -s $ready ]] && return 0
        if ! kill -0 "$HP_PID" 2>/dev/null; then
            echo "the honeypot exited before it was ready:" >&2
            cat "$WORK/$name.err" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "the honeypot did not become ready" >&2
    return 1
}

# hp_stop - SIGTERM the honeypot and wait for it; fails unless it exits 0.
hp_stop() {
    kill -TERM "$HP_PID"
    local rc=0
    wait "$HP_PID" || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "the honeypot exited $rc:" >&2
        cat "$WORK"/*.err >&2
        return 1
    fi
}

# hp_wait_lines FILE N - wait until FILE has at least N session lines (header excluded).
hp_wait_lines() {
    local i n
    for ((i = 0; i < 1200; i++)); do
        n=$(($(wc -l <"$1" 2>/dev/null || echo 1) - 1))
        ((n >= $2)) && return 0
        sleep 0.1
    done
    echo "$1: $n session lines, expected $2" >&2
    return 1
}

# hp_ports_free LOW HIGH - a port range for tests outside our own namespace: above the
# ephemeral range, so that binding it does not disturb connect() elsewhere on the machine.
hp_host_range() {
    local lo hi
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    echo "$((hi + 1)) 65535"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
