#!/usr/bin/env bash
# darkscan probe against web servers this test starts on 127.0.0.2 .. 127.0.0.13
# (probe_server.py): disclosure pages in English, Japanese (chunked) and German (no length), a
# plain page, a slow server (timeout), a huge page (size cap), a redirect to another host (not
# followed), same-host redirects (followed, absolute and relative), a redirect loop, a redirect
# to https, garbage bytes, a closed port. Nothing but loopback is ever contacted: when it can
# (root), the test runs in a network namespace of its own, where reverse DNS is tried too (a
# lookup cannot leave the namespace); otherwise with --no-rdns.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ -z ${DS_PROBE_NETNS:-} && $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
    exec env DS_PROBE_NETNS=1 unshare -n bash "$0" "$@"
fi
RDNS=(--no-rdns)
if [[ -n ${DS_PROBE_NETNS:-} ]]; then
    ip link set lo up || { echo "cannot bring up lo in the test's namespace" >&2; exit 1; }
    RDNS=(--rdns-timeout 2)
fi
work=$(mktemp -d)
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail=0

python3 "$here/probe_server.py" "$work/ready" "$work/requests.log" 2>"$work/server.err" &
server=$!
for _ in $(seq 600); do
    [[ -s $work/ready ]] && break
    kill -0 "$server" 2>/dev/null || { echo "probe_server.py died" >&2; cat "$work/server.err" >&2; exit 1; }
    sleep 0.1
done
[[ -s $work/ready ]] || { echo "probe_server.py never listened" >&2; exit 1; }
port=$(cat "$work/ready")

# A results file as analyze writes it (abridged), with the test's hosts; numbers that must
# come back exactly as written.
cat >"$work/results.json" <<'JSON'
{
  "tool": "darkscan", "version": "test",
  "params": {"alpha": 0.8, "min_ports": 30, "min_windows": 6, "prefix": 16, "window": "month"},
  "input": {"packets": 18446744073709551615, "ratio": 1e400, "small": -0.000001},
  "networks": [
    {"block": "127.0.0.0/30", "category": "routine",
     "hosts": [{"addr": "127.0.0.5", "syn_packets": 10}, {"addr": "127.0.0.2", "syn_packets": 9}],
     "documented": "stale", "evidence": 1},
    {"block": "127.0.0.3/32", "hosts": [{"addr": "127.0.0.3"}]},
    {"block": "127.0.0.4/32", "hosts": [{"addr": "127.0.0.4"}]},
    {"block": "127.0.0.6/31", "hosts": [{"addr": "127.0.0.6"}, {"addr": "127.0.0.7"}]},
    {"block": "127.0.0.8/32", "hosts": [{"addr": "127.0.0.8"}]},
    {"block": "127.0.0.9/32", "hosts": [{"addr": "127.0.0.9"}]},
    {"block": "127.0.0.10/31", "hosts": [{"addr": "127.0.0.10"}, {"addr": "127.0.0.11"}]},
    {"block": "127.0.0.12/31", "hosts": [{"addr": "127.0.0.12"}, {"addr": "127.0.0.13"}]},
    {"block": "127.0.0.0/28", "hosts": [{"addr": "127.0.0.5"}, {"addr": "127.0.0.10"},
       {"addr": "127.0.0.11"}, {"addr": "127.0.0.2"}]},
    {"block": "127.1.0.0/16"}
  ],
  "top_ports": [],
  "probe": {"time": "old"}
}
JSON

"$DARKSCAN" probe --results "$work/results.json" --out "$work/probed.json" --port "$port" \
    --allow-special "${RDNS[@]}" --timeout 2 --connect-timeout 2 --max-bytes 65536 \
    --rate 50 --contact "abuse@example.net" 2>"$work/probe.err"
rc=$?
[[ $rc == 0 ]] || { echo "FAIL probe: exit $rc" >&2; cat "$work/probe.err" >&2; fail=1; }

python3 - "$work/probed.json" "$work/results.json" "$port" "${DS_PROBE_NETNS:-}" <<'PY' || fail=1
import json, sys
text = open(sys.argv[1]).read()
r = json.loads(text)
port = int(sys.argv[3])
netns = sys.argv[4] == "1"
# every other key kept, in order; numbers exactly as written
src = json.load(open(sys.argv[2]))
assert list(r.keys()) == [k for k in src if k != "probe"] + ["probe"], list(r.keys())
assert '"packets": 18446744073709551615' in text and '"ratio": 1e400' in text \
    and '"small": -0.000001' in text, "numbers changed"
assert r["probe"]["port"] == port and r["probe"]["user_agent"].startswith("darkscan-probe/")
assert "research scanner disclosure check; contact: abuse@example.net)" in r["probe"]["user_agent"]
N = r["networks"]
assert len(N) == 10
for n in N:
    assert list(n.keys())[-3:] == ["documented", "evidence", "probed_hosts"], n.keys()

def host(n, i):
    return N[n]["probed_hosts"][i]

base = "http://127.0.0.%d:" + str(port) + "/"
# 1: a plain page, then the English disclosure: documented by the second host
n = N[0]
assert n["documented"] is True and n["category"] == "routine"
assert n["evidence"]["addr"] == "127.0.0.2" and n["evidence"]["url"] == base % 2, n["evidence"]
assert n["evidence"]["title"] == "Research Scanner of Example University", n["evidence"]
for w in ["scanner", "scans", "research", "opt out", "internet-wide", "measurement"]:
    assert w in n["evidence"]["matched"], (w, n["evidence"]["matched"])
assert host(0, 0)["title"] == "Welcome to nginx!" and not host(0, 0)["documented"]
assert host(0, 0)["status"] == 200 and host(0, 0)["error"] is None
# 2: Japanese, chunked
n = N[1]
assert n["documented"] is True, n
assert n["evidence"]["title"] == "インターネット調査", n["evidence"]
assert "スキャン" in n["evidence"]["matched"] and "研究" in n["evidence"]["matched"]
assert "除外" in n["evidence"]["matched"]
# 3: German, no Content-Length
n = N[2]
assert n["documented"] is True and n["evidence"]["title"] == "Forschungsprojekt", n
assert "forschungsprojekt" in n["evidence"]["matched"], n["evidence"]
assert "ausschließen" in n["evidence"]["matched"] and "scannen" in n["evidence"]["matched"]
# 4: slow (timeout), huge (capped: the words come after the cap)
n = N[3]
assert n["documented"] is False and n["evidence"] is None
assert host(3, 0)["error"] == "timeout" and host(3, 0)["status"] is None, host(3, 0)
h = host(3, 1)
assert h["status"] == 200 and h["truncated"] is True and h["bytes"] == 65536, h
assert h["matched"] == [], h
# 5: a redirect to another host: not followed, not documented
n = N[4]
h = host(4, 0)
assert n["documented"] is False and h["status"] == 302 and h["redirects"] == 0, h
assert h["redirect_not_followed"] == "http://127.0.0.2:%d/" % port, h
# 6: same-host redirects, absolute then relative
n = N[5]
h = host(5, 0)
assert n["documented"] is True and h["redirects"] == 2, h
assert h["url"] == base % 9 + "step/info.html" and n["evidence"]["url"] == h["url"], h
# 7: garbage bytes, connection refused
h0, h1 = host(6, 0), host(6, 1)
assert h0["error"].startswith("not HTTP") and h0["status"] is None, h0
assert h1["error"] == "connection refused" and h1["status"] is None, h1
assert N[6]["documented"] is False
# 8: a redirect loop stops after --max-redirects (3); https is not followed
h0, h1 = host(7, 0), host(7, 1)
assert h0["redirects"] == 3 and h0["status"] == 302 and h0["redirect_not_followed"] == "/", h0
assert h1["redirect_not_followed"] == "https://127.0.0.13/" and h1["redirects"] == 0, h1
# 9: --hosts 3 (default): only the top three; the disclosing fourth is not asked
n = N[8]
assert [h["addr"] for h in n["probed_hosts"]] == ["127.0.0.5", "127.0.0.10", "127.0.0.11"]
assert n["documented"] is False
# 10: no hosts listed: nothing asked
assert N[9]["probed_hosts"] == [] and N[9]["documented"] is False
if not netns:
    assert all(h["rdns"] is None for n in N for h in n["probed_hosts"])
PY

# What the servers saw: the User-Agent and Host on every request; 127.0.0.2 asked twice (by
# networks 1 and 9? no: 9 stops at three hosts) - once, never through 127.0.0.8's redirect.
python3 - "$work/requests.log" "$port" <<'PY' || fail=1
import sys
lines = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
port = sys.argv[2]
assert lines, "no requests"
for (first, ua, host) in lines:
    addr, path = first.split(" ")
    assert ua.startswith("darkscan-probe/") and "disclosure check" in ua, ua
    assert ua.endswith("; contact: abuse@example.net)"), ua
    assert host == "%s:%s" % (addr, port), (host, addr)
seen = [l[0] for l in lines]
assert seen.count("127.0.0.2 /") == 1, seen
assert seen.count("127.0.0.12 /") == 4, seen  # the first request and three redirects
assert "127.0.0.9 /step/info.html" in seen
assert not any(s.startswith("127.0.0.13 ") and s != "127.0.0.13 /" for s in seen)
PY

# Re-probing the probed file replaces the keys, it does not repeat them.
: >"$work/requests.log"
"$DARKSCAN" probe -q --results "$work/probed.json" --port "$port" --allow-special --no-rdns \
    --timeout 2 --connect-timeout 2 --max-bytes 65536 --rate 50 || fail=1
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["networks"][0]["documented"] is True and list(r).count("probe") == 1
' "$work/probed.json" || fail=1

# Without --allow-special, loopback is refused and nothing is contacted.
: >"$work/requests.log"
"$DARKSCAN" probe -q --results "$work/results.json" --out - --port "$port" --no-rdns \
    >"$work/refused.json" || fail=1
[[ -s $work/requests.log ]] && { echo "FAIL: a special address was contacted" >&2; fail=1; }
grep -q '"error": "special-purpose address: not probed"' "$work/refused.json" ||
    { echo "FAIL: refusal not recorded" >&2; fail=1; }

# Usage and input errors.
"$DARKSCAN" probe 2>/dev/null; [[ $? == 2 ]] || { echo "FAIL: no --results should be usage" >&2; fail=1; }
"$DARKSCAN" probe --results "$work/results.json" --rate 0 2>/dev/null
[[ $? == 2 ]] || { echo "FAIL: --rate 0" >&2; fail=1; }
echo '{"networks": 3}' >"$work/bad.json"
"$DARKSCAN" probe --results "$work/bad.json" 2>"$work/err"; rc=$?
[[ $rc == 1 ]] && grep -q "bad.json" "$work/err" || { echo "FAIL: bad results file ($rc)" >&2; fail=1; }
"$DARKSCAN" probe --results "$work/missing.json" 2>"$work/err"; rc=$?
[[ $rc == 1 ]] && grep -q "missing.json" "$work/err" || { echo "FAIL: missing results file" >&2; fail=1; }

[[ $fail == 0 ]] && echo "ok: probe on loopback (netns=${DS_PROBE_NETNS:-0})"
exit $fail
