#!/usr/bin/env python3
"""mkpcap.py OUT.pcap SPEC... - write a small classic pcap (Ethernet, microseconds) for tests.

Each SPEC is  TIME,SRC,DST,DPORT[,FLAGS]  with TIME in Unix seconds (a fraction allowed),
FLAGS a number (default 2 = SYN), or  scan:TIME,SRC,DSTNET/LEN,PORTLO-PORTHI  for a SYN from
SRC to every address of DSTNET/LEN on every port of the range.
"""
import ipaddress
import struct
import sys


def frame(src, dst, dport, flags):
    tcp = struct.pack("!HHIIBBHHH", 40000, dport, 1, 0, 5 << 4, flags, 1024, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0,
                     ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp


def main():
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for spec in sys.argv[2:]:
        if spec.startswith("scan:"):
            t, src, net, ports = spec[5:].split(",")
            lo, hi = (int(x) for x in ports.split("-"))
            pkts = [(float(t), src, str(d), p, 2) for p in range(lo, hi + 1)
                    for d in ipaddress.IPv4Network(net)]
        else:
            f = spec.split(",")
            pkts = [(float(f[0]), f[1], f[2], int(f[3]), int(f[4]) if len(f) > 4 else 2)]
        for t, src, dst, dport, flags in pkts:
            data = frame(src, dst, dport, flags)
            out.append(struct.pack("<IIII", int(t), int(round((t - int(t)) * 1e6)),
                                   len(data), len(data)) + data)
    with open(sys.argv[1], "wb") as fh:
        fh.write(b"".join(out))


if __name__ == "__main__":
    main()
