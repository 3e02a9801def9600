#!/usr/bin/env python3
"""sim_compare.py - compare `darkscan analyze` results with a simulation's truth.json.

    sim_compare.py TRUTH RESULTS

Every key of every truth network (except "simulated", which is what the simulation knows
beyond the results JSON) must be in the result's network with an equal value (for an object,
such as fingerprints, every key the truth has; the results may have more); the networks
must be the same blocks in the same order; darknet size and sensors, the input counters the
truth fixes, every window's packets and SYN packets, and Table 2 (port, frequency, port_sets)
must be equal. When the results carry a country, it must be the planted one. Prints each
difference and exits 1 when there is one. Shares no code with darkscan.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    truth = json.load(open(sys.argv[1]))
    got = json.load(open(sys.argv[2]))
    diffs = []

    def same(what, a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            for k, v in a.items():  # the results may have more keys than the truth fixes
                same("%s.%s" % (what, k), v, b.get(k))
        elif a != b:
            diffs.append("%s: truth %r, analyze %r" % (what, a, b))

    same("darknet", truth["darknet"], {"size": got["darknet"]["size"],
                                       "sensors": got["darknet"]["sensors"]})
    for k, v in truth["input"].items():
        same("input." + k, v, got["input"].get(k))
    tw = [(w["label"], w["packets"], w["syn_packets"]) for w in truth["windows"]]
    gw = [(w["label"], w["packets"], w["syn_packets"]) for w in got["windows"]]
    same("windows", tw, gw)
    for w in got["windows"]:
        if not w.get("complete", True):
            diffs.append("window %s is incomplete" % w["label"])
    same("window scan_blocks", [w["scan_blocks"] for w in truth["windows"]],
         [w["scan_blocks"] for w in got["windows"]])
    same("blocks", [n["block"] for n in truth["networks"]], [n["block"] for n in got["networks"]])
    for t, g in zip(truth["networks"], got["networks"]):
        for k, v in t.items():
            if k == "simulated":
                continue
            same("%s %s" % (t["block"], k), v, g.get(k))
        if "country" in g and t.get("simulated"):
            same("%s country" % t["block"], t["simulated"]["country"], g["country"])
    same("top_ports_port_sets", truth["top_ports_port_sets"], got.get("top_ports_port_sets"))
    same("top_ports", truth["top_ports"],
         [{"port": p["port"], "frequency": p["frequency"], "port_sets": p["port_sets"]}
          for p in got["top_ports"]])
    for d in diffs[:40]:
        print("DIFF:", d)
    if len(diffs) > 40:
        print("DIFF: ... %d more" % (len(diffs) - 40))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
