#!/usr/bin/env bash
# The report in a real browser. Headless Chromium (Debian's chromium package) opens the report
# of a simulated darknet (the simulator's `small` scenario when `darkscan simulate` exists,
# else method_ref.py's captures), with the enrichment keys the results lack added by
# report_check.py (hostile organisation names among them), and the hand-written fixture
# tests/fixtures/report/enriched.json. For each: no console message (no script error, no
# refused or failed request), the script ran to its end, and the rendered DOM has the marks
# the results call for (report_check.py marks: bars per country, points per block, cells per
# port run, rows per block). The simulation's page is saved as a screenshot,
# $DS_BUILD_DIR/artifacts/report.png.
#
# Chromium runs with no network: DNS maps every name to nothing, every request goes to a
# proxy on a closed loopback port, background networking is off; and the page's own
# Content-Security-Policy refuses any request at all.
#
# Skips (exit 77) only when Chromium is not installed and cannot be installed here.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
    if [[ $(id -u) -eq 0 ]] && "$DS_SOURCE_DIR/scripts/deps.sh" check >"$work/deps.log" 2>&1; then
        chromium=$(command -v chromium || true)
    fi
    if [[ -z $chromium ]]; then
        echo "SKIP: Chromium is not installed and could not be installed (Debian package" \
            "'chromium'; scripts/deps.sh check installs it when run as root)" >&2
        sed 's/^/  | /' "$work/deps.log" 2>/dev/null >&2
        exit 77
    fi
fi

# The results: the simulator's small scenario when it exists, else method_ref.py.
if "$DARKSCAN" simulate --help >/dev/null 2>&1; then
    "$DARKSCAN" simulate --out "$work/sim" --scenario small >"$work/sim.log" 2>&1 &&
        "$DARKSCAN" analyze -q --sweep -D "$work/sim/darknet.txt" -o "$work/res" \
            "$work/sim/captures" || { echo "FAIL: simulate + analyze" >&2; cat "$work/sim.log" >&2; exit 1; }
else
    python3 "$here/method_ref.py" generate "$work/sim" --seed 3 >/dev/null &&
        "$DARKSCAN" analyze -q --sweep -D "$work/sim/darknet.txt" -o "$work/res" \
            "$work/sim/caps" || { echo "FAIL: method_ref + analyze" >&2; exit 1; }
fi
python3 "$here/report_check.py" enrich "$work/res/results.json" "$work/enriched.json" || exit 1
"$DARKSCAN" report --results "$work/enriched.json" -o "$work/report.html" || exit 1
"$DARKSCAN" report --results "$DS_SOURCE_DIR/tests/fixtures/report/enriched.json" \
    -o "$work/fixture.html" || exit 1

artifacts="$DS_BUILD_DIR/artifacts"
mkdir -p "$artifacts"
rm -f "$artifacts/report.png"

# browse NAME HTML RESULTS [SCREENSHOT]: one Chromium run, then every check of its output.
browse() {
    local name=$1 html=$2 results=$3 shot=${4:-}
    local profile
    profile=$(mktemp -d "$work/profile.XXXXXX")
    timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --disable-default-apps --no-default-browser-check \
        --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="127.0.0.1:9" \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 \
        --virtual-time-budget=5000 --window-size=1400,3000 \
        ${shot:+--screenshot="$shot"} --dump-dom "file://$html" \
        >"$work/$name.dom.html" 2>"$work/$name.log"
    local rc=$?
    if [[ $rc != 0 ]]; then
        echo "FAIL $name: chromium exit $rc" >&2
        tail -n 20 "$work/$name.log" >&2
        fail=1
        return
    fi
    python3 "$here/report_check.py" console "$work/$name.log" || { echo "FAIL $name: console" >&2; fail=1; }
    python3 "$here/report_check.py" marks "$results" "$work/$name.dom.html" ||
        { echo "FAIL $name: marks" >&2; fail=1; }
    python3 "$here/report_check.py" static "$html" || { echo "FAIL $name: static" >&2; fail=1; }
}

browse simulation "$work/report.html" "$work/enriched.json" "$artifacts/report.png"
browse fixture "$work/fixture.html" "$DS_SOURCE_DIR/tests/fixtures/report/enriched.json"

# The screenshot is a PNG of the whole window, with something drawn on it.
if [[ $(head -c 8 "$artifacts/report.png" 2>/dev/null | od -An -tx1 | tr -d ' \n') != 89504e470d0a1a0a ]]; then
    echo "FAIL: no screenshot at $artifacts/report.png" >&2
    fail=1
elif [[ $(stat -c %s "$artifacts/report.png") -lt 20000 ]]; then
    echo "FAIL: the screenshot is nearly empty" >&2
    fail=1
else
    echo "screenshot: $artifacts/report.png"
fi
exit $fail
