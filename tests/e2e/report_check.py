#!/usr/bin/env python3
"""report_check.py - checks of darkscan's HTML report, independent of the C code.

    report_check.py static REPORT.html
        the page is well-formed (every element closed in order, unique ids, every #link
        target exists) and cannot make a request (no URL-bearing attribute but #fragments
        and data:, no url() or @import in CSS, a Content-Security-Policy with default-src
        'none', no meta refresh)

    report_check.py marks RESULTS.json DOM.html
        the DOM that Chromium rendered (--dump-dom, after the script ran) has the marks
        the results call for, counted here from the JSON: Figure 1 one bar per country,
        Figure 2 one point per block with medians (each linking to its block's section),
        per block one cell per run of consecutive ports or fewer (the cells' data-runs and
        data-ports add up to the port set exactly) and one size bar per scan window, Table 3
        one row per block, Table 2 min(20, top ports) rows; the script ran (data-report-ready)
        and recorded no error or refused request (data-report-errors)

    report_check.py console CHROMIUM.log
        Chromium logged no console message (the page logs nothing; errors, CSP refusals and
        failed loads all appear as CONSOLE lines)

    report_check.py enrich RESULTS.json OUT.json
        add the enrichment keys a result lacks (country, asn, known_scanners, hosts, subnets,
        app_scan, documented/evidence), deterministically, with hostile strings among them,
        so that every part of the report has something to draw

Exits 1 with the reasons when a check fails.
"""
import json
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
URL_ATTRS = {"src", "href", "action", "formaction", "poster", "srcset", "data", "xlink:href",
             "background", "ping", "cite", "longdesc", "manifest", "icon", "codebase"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def ancestors(self):
        e = self.parent
        while e is not None:
            yield e
            e = e.parent

    def within(self, tag=None, id=None, cls=None):
        """the nearest ancestor (or self) that matches, or None"""
        for e in [self] + list(self.ancestors()):
            if ((tag is None or e.tag == tag) and (id is None or e.attrs.get("id") == id) and
                    (cls is None or cls in (e.attrs.get("class") or "").split())):
                return e
        return None


class Tree(HTMLParser):
    """A DOM-ish tree; errors are structural problems (a wrong end tag, one left open)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", [], None)
        self.cur = self.root
        self.errors, self.elements, self.texts = [], [], []
        self.feed(text)
        self.close()
        if self.cur is not self.root:
            self.errors.append("unclosed at the end: " + ", ".join(
                e.tag for e in [self.cur] + list(self.cur.ancestors()) if e.tag != "#root"))

    def handle_starttag(self, tag, attrs):
        e = Element(tag, attrs, self.cur)
        self.cur.children.append(e)
        self.elements.append(e)
        if tag not in VOID:
            self.cur = e

    def handle_startendtag(self, tag, attrs):
        e = Element(tag, attrs, self.cur)
        self.cur.children.append(e)
        self.elements.append(e)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.cur.tag != tag:
            line, col = self.getpos()
            self.errors.append("%d:%d: </%s> closes <%s>" % (line, col + 1, tag, self.cur.tag))
            # recover: close up to the matching element if there is one
            for e in [self.cur] + list(self.cur.ancestors()):
                if e.tag == tag:
                    self.cur = e.parent
                    break
            return
        self.cur = self.cur.parent

    def handle_data(self, data):
        self.texts.append((self.cur, data))

    def find(self, pred):
        return [e for e in self.elements if pred(e)]


def fail(reasons):
    for r in reasons:
        print("report_check: " + r, file=sys.stderr)
    sys.exit(1 if reasons else 0)


def check_static(path):
    text = open(path, encoding="utf-8").read()
    t = Tree(text)
    bad = list(t.errors)
    ids = {}
    for e in t.elements:
        i = e.attrs.get("id")
        if i is not None:
            if i in ids:
                bad.append("duplicate id %r" % i)
            ids[i] = e
    for e in t.elements:
        for name, value in e.attrs.items():
            if name.startswith("on"):
                bad.append("event handler attribute %s on <%s>" % (name, e.tag))
            if name in URL_ATTRS and value is not None:
                if e.tag == "svg" and name == "xmlns":
                    continue
                if value.startswith("#"):
                    if value[1:] not in ids and value != "#":
                        bad.append("link to a missing id: %s" % value)
                elif not value.startswith("data:"):
                    bad.append("<%s %s=%r> could make a request" % (e.tag, name, value))
        if e.tag == "meta" and (e.attrs.get("http-equiv") or "").lower() == "refresh":
            bad.append("meta refresh")
        if e.tag in ("iframe", "object", "embed", "img", "video", "audio", "frame", "base"):
            bad.append("<%s> element" % e.tag)
        if e.tag == "script" and "src" in e.attrs:
            bad.append("external script")
        if e.tag == "link" and (e.attrs.get("rel") or "") != "icon":
            bad.append("<link rel=%r>" % e.attrs.get("rel"))
    for parent, data in t.texts:
        if parent.tag == "style":
            for m in re.finditer(r"url\(\s*['\"]?([^'\")]*)", data):
                if not m.group(1).startswith("data:"):
                    bad.append("CSS url(%s)" % m.group(1))
            if "@import" in data:
                bad.append("CSS @import")
    csp = [e for e in t.elements if e.tag == "meta" and
           (e.attrs.get("http-equiv") or "").lower() == "content-security-policy"]
    if len(csp) != 1 or "default-src 'none'" not in (csp[0].attrs.get("content") or ""):
        bad.append("no Content-Security-Policy with default-src 'none'")
    scripts = [e for e in t.elements if e.tag == "script"]
    if len(scripts) != 1:
        bad.append("%d script elements, want 1" % len(scripts))
    fail(bad)


def runs_of(ports):
    ports = sorted(set(ports))
    return sum(1 for i, p in enumerate(ports) if i == 0 or p != ports[i - 1] + 1)


def anchor(block):
    return "block-" + re.sub(r"-+$", "", re.sub(r"[^a-z0-9]+", "-", block.lower()))


def check_marks(results_path, dom_path):
    r = json.load(open(results_path))
    t = Tree(open(dom_path, encoding="utf-8").read())
    bad = []
    html = t.find(lambda e: e.tag == "html")
    if not html or html[0].attrs.get("data-report-ready") != "yes":
        bad.append("the page's script did not run to its end (no data-report-ready)")
    if html and html[0].attrs.get("data-report-errors"):
        bad.append("the page recorded errors: " + html[0].attrs["data-report-errors"])

    def marks(kind, **where):
        return [e for e in t.elements if e.attrs.get("data-mark") == kind and
                e.within(**where) is not None]

    def expect(name, got, want):
        if got != want:
            bad.append("%s: %s, want %s" % (name, got, want))

    nets = r["networks"]
    if any("country" in n for n in nets):
        countries = {n.get("country") for n in nets}
        expect("Figure 1 bars", len(marks("bar", tag="section", id="fig1")), len(countries))
    else:
        expect("Figure 1 bars (no countries)", len(marks("bar", tag="section", id="fig1")), 0)
    with_medians = [n for n in nets if isinstance(n.get("jaccard_median"), (int, float)) and
                    isinstance(n.get("simpson_median"), (int, float))]
    points = marks("point", tag="section", id="fig2")
    expect("Figure 2 points", len(points), len(with_medians))
    ids = {e.attrs.get("id") for e in t.elements}
    for p in points:
        a = p.within(tag="a")
        href = a.attrs.get("href", "") if a is not None else ""
        if not href.startswith("#") or href[1:] not in ids:
            bad.append("Figure 2 point %s links to %r" % (p.attrs.get("data-block"), href))
    expect("Figure 2 point blocks", sorted(p.attrs.get("data-block") for p in points),
           sorted(n["block"] for n in with_medians))
    rows = [e for e in t.elements if e.tag == "tr" and e.within(tag="table", id="networks")
            and e.within(tag="tbody") is not None]
    expect("Table 3 rows", len(rows), len(nets))
    top = r.get("top_ports")
    if top:
        rows = [e for e in t.elements if e.tag == "tr" and e.within(tag="table", id="top-ports")
                and e.within(tag="tbody") is not None]
        expect("Table 2 rows", len(rows), min(20, len(top)))
    if r.get("windows"):
        expect("window bars", len(marks("bar", tag="figure", id="fig-windows")),
               len(r["windows"]))
    articles = t.find(lambda e: e.tag == "article" and "block" in (e.attrs.get("class") or ""))
    expect("block sections", sorted(a.attrs.get("id") for a in articles),
           sorted(anchor(n["block"]) for n in nets))
    total_cells = 0
    for n in nets:
        art = anchor(n["block"])
        cells = marks("cell", tag="article", id=art)
        total_cells += len(cells)
        by_window = {}
        for c in cells:
            g = c.within(tag="g")
            w = g.attrs.get("data-window") if g is not None else None
            by_window.setdefault(w, []).append(c)
        sets = n.get("port_sets") or {}
        expect("%s windows with cells" % n["block"], sorted(by_window), sorted(sets))
        for w, ports in sets.items():
            cs = by_window.get(w, [])
            runs = runs_of(ports)
            got_runs = sum(int(c.attrs["data-runs"]) for c in cs)
            got_ports = sum(int(c.attrs["data-ports"]) for c in cs)
            expect("%s %s runs" % (n["block"], w), got_runs, runs)
            expect("%s %s ports" % (n["block"], w), got_ports, len(set(ports)))
            if not 1 <= len(cs) <= runs:
                bad.append("%s %s: %d cells for %d runs" % (n["block"], w, len(cs), runs))
        expect("%s size bars" % n["block"],
               len(marks("bar", tag="article", id=art)), len(sets))
    print("report_check: %d bars in Figure 1, %d points in Figure 2, %d cells in %d blocks" % (
        len(marks("bar", tag="section", id="fig1")), len(points), total_cells, len(nets)))
    fail(bad)


def check_console(log_path):
    bad = []
    for line in open(log_path, encoding="utf-8", errors="replace"):
        if ":CONSOLE" in line or "Uncaught" in line:
            bad.append("console: " + line.strip())
    fail(bad)


def enrich(results_path, out_path):
    r = json.load(open(results_path))
    countries = ["US", "RU", "NL", "CN", None]
    for i, n in enumerate(r["networks"]):
        base = n["block"].split("/")[0].rsplit(".", 2)[0]
        n.setdefault("country", countries[i % len(countries)])
        n.setdefault("asn", {"number": 64500 + i,
                             "org": "Org %d <script>alert(%d)</script> & \"Co\"" % (i, i)})
        n.setdefault("known_scanners", [{"name": "<script>list</script> %d" % i, "hosts": i + 1}]
                     if i % 2 == 0 else [])
        n.setdefault("hosts", [{"addr": "%s.%d.%d" % (base, i, h), "syn_packets": 1000 - h,
                                "ports_max": 30 + h} for h in range(1, 13)])
        n.setdefault("subnets", [{"prefix": "%s.%d.0/24" % (base, s), "syn_packets": 10 * s,
                                  "hosts": s} for s in range(1, 4)])
        n.setdefault("app_scan", None if i % 3 == 2 else
                     {"window": "2019-07", "ports": 100, "app_ports": 10 * i, "ratio": i / 10})
        if "documented" not in n:
            n["documented"] = [True, False, None][i % 3]
            n["evidence"] = "<b>scanning</b> research, see http://example.invalid/" \
                if i % 3 == 0 else None
    json.dump(r, open(out_path, "w"), indent=1)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "static" and len(sys.argv) == 3:
        check_static(sys.argv[2])
    elif cmd == "marks" and len(sys.argv) == 4:
        check_marks(sys.argv[2], sys.argv[3])
    elif cmd == "console" and len(sys.argv) == 3:
        check_console(sys.argv[2])
    elif cmd == "enrich" and len(sys.argv) == 4:
        enrich(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
