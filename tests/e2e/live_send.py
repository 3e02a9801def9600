#!/usr/bin/env python3
"""live_send.py - send Ethernet frames out of one interface with an AF_PACKET socket, for the
live capture test (test_state_live.sh). Runs only inside the network namespace the test
created; the frames never leave it.

    live_send.py IFACE PLAN BATCH     send batch BATCH (1 or 2) of the plan, print what was sent

The plan (PLAN "scan"): a scanner block 10.20.0.0/16 sweeping ports 1..40 over every address of
the darknet 198.51.100.0/28, a block 10.30.0.0/16 on 5 ports only, SYN-ACKs (backscatter),
packets outside the darknet and UDP packets. Batch 1 and 2 are two halves of it. The output
is a JSON object of the counts analyze must find.
"""
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from method_ref import eth_ipv4_tcp, ip  # noqa: E402


def eth_ipv4_udp(src, dst, sport, dport):
    udp = struct.pack("!HHHH", sport, dport, 8, 0)
    hdr = struct.pack("!BBHHHBBHII", 0x45, 0, 28, 0, 0, 64, 17, 0, src, dst)
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
    return b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + hdr + udp


def plan():
    dark = [ip("198.51.100.0") + i for i in range(16)]
    frames = []  # (frame, kind)
    for port in range(1, 41):
        for i, d in enumerate(dark):
            frames.append((eth_ipv4_tcp(ip("10.20.1.%d" % (1 + i % 3)), d, 40000 + port, port,
                                        0x02, 1000 + port, 54321), "syn"))
    for port in range(100, 105):
        for d in dark:
            frames.append((eth_ipv4_tcp(ip("10.30.0.1"), d, 1234, port, 0x02, d, 7), "syn"))
    for d in dark:
        frames.append((eth_ipv4_tcp(ip("10.40.0.1"), d, 80, 40000, 0x12, 5, 7), "tcp"))
    for k in range(20):
        frames.append((eth_ipv4_tcp(ip("10.50.0.1"), ip("198.51.100.200"), 1, 22, 0x02, k, 7),
                       "outside"))
    for d in dark[:10]:
        frames.append((eth_ipv4_udp(ip("10.60.0.1"), d, 53, 53), "udp"))
    return frames


def main():
    iface, name, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    assert name == "scan"
    frames = plan()
    half = frames[batch - 1::2]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    counts = {"syn": 0, "tcp": 0, "outside": 0, "udp": 0}
    for frame, kind in half:
        s.send(frame)
        counts[kind] += 1
    s.close()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
