#!/usr/bin/env python3
"""probe_server.py READY_FILE LOG_FILE - web servers on 127.0.0.x for the probe's tests.

Listens on one port (chosen by the system for 127.0.0.2, then the same on the others) on
127.0.0.2 .. 127.0.0.13, each address with its own behaviour (BEHAVIOUR below). Writes the
port to READY_FILE when every socket listens, and one line per request to LOG_FILE:
"ADDR PATH<TAB>USER-AGENT<TAB>HOST". Loopback only; runs until killed.
"""
import os
import socket
import sys
import threading
import time

DISCLOSURE_EN = b"""<!DOCTYPE html><html><head><title>Research  Scanner
 of Example University</title></head><body><h1>Internet-wide scanning</h1>
<p>This host is part of an Internet-wide measurement study by Example University.
It scans the IPv4 address space for research. To opt out, e-mail scan@example.edu.</p>
</body></html>"""

DISCLOSURE_JA = """<html><head><meta charset="utf-8"><title>インターネット調査</title></head>
<body><p>このホストは研究目的でインターネット全体のスキャンを行っています。
除外を希望される場合はご連絡ください。</p></body></html>""".encode("utf-8")

DISCLOSURE_DE = """<html><head><title>Forschungsprojekt</title></head><body>
<p>Dieser Rechner führt Scans im Rahmen eines Forschungsprojekts durch (wir scannen das
Internet). Wenn Sie Ihre Adressen ausschließen möchten, schreiben Sie uns.</p></body></html>
""".encode("utf-8")

PLAIN = b"""<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to
nginx!</h1><p>If you see this page, the web server is installed.</p></body></html>"""


def response(status, body=b"", headers=(), length=True):
    head = ["HTTP/1.1 %s" % status, "Content-Type: text/html; charset=utf-8",
            "Connection: close"] + list(headers)
    if length:
        head.append("Content-Length: %d" % len(body))
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked(body):
    out = b""
    for i in range(0, len(body), 100):
        part = body[i:i + 100]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def read_request(conn):
    data = b""
    conn.settimeout(10)
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    lines = data.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1] if lines and len(lines[0].split(" ")) > 1 else "?"
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return path, headers


def serve(addr, port, conn, log):
    try:
        path, headers = read_request(conn)
        with LOCK:
            log.write("%s %s\t%s\t%s\n" % (addr, path, headers.get("user-agent", ""),
                                           headers.get("host", "")))
            log.flush()
        last = int(addr.split(".")[-1])
        if last == 2:
            conn.sendall(response("200 OK", DISCLOSURE_EN))
        elif last == 3:
            conn.sendall(response("200 OK", b"", ["Transfer-Encoding: chunked"], length=False)
                         + chunked(DISCLOSURE_JA))
        elif last == 4:
            conn.sendall(response("200 OK", DISCLOSURE_DE, length=False))
        elif last == 5:
            conn.sendall(response("200 OK", PLAIN))
        elif last == 6:
            time.sleep(30)  # slow: never answers (the client gives up first)
        elif last == 7:
            # huge: the scanning words only after the first megabyte
            conn.sendall(response("200 OK", b"", length=False) + b"<html><body>")
            filler = b"lorem ipsum dolor sit amet " * 4096
            sent = 0
            while sent < (1 << 20):
                conn.sendall(filler)
                sent += len(filler)
            conn.sendall(b"We scan the Internet for research; opt out here.")
        elif last == 8:
            conn.sendall(response("302 Found", b"", ["Location: http://127.0.0.2:%d/" % port]))
        elif last == 9:
            if path == "/":
                conn.sendall(response("301 Moved", b"",
                                      ["Location: http://127.0.0.9:%d/step/" % port]))
            elif path == "/step/":
                conn.sendall(response("302 Found", b"", ["Location: info.html"]))
            elif path == "/step/info.html":
                conn.sendall(response("200 OK", DISCLOSURE_EN))
            else:
                conn.sendall(response("404 Not Found", b"no"))
        elif last == 10:
            conn.sendall(bytes((i * 37 + 11) % 256 for i in range(3000)))
        elif last == 12:
            conn.sendall(response("302 Found", b"", ["Location: /"]))  # a loop
        elif last == 13:
            conn.sendall(response("301 Moved", b"", ["Location: https://127.0.0.13/"]))
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def listen(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    return s


def accept_loop(sock, addr, port, log):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(addr, port, conn, log), daemon=True).start()


LOCK = threading.Lock()


def main():
    ready, log_path = sys.argv[1], sys.argv[2]
    log = open(log_path, "a")
    first = listen("127.0.0.2", 0)
    port = first.getsockname()[1]
    socks = {"127.0.0.2": first}
    # 127.0.0.11 stays closed: connection refused.
    for last in list(range(3, 11)) + [12, 13]:
        addr = "127.0.0.%d" % last
        socks[addr] = listen(addr, port)
    for addr, s in socks.items():
        threading.Thread(target=accept_loop, args=(s, addr, port, log), daemon=True).start()
    with open(ready + ".tmp", "w") as fh:
        fh.write("%d\n" % port)
    os.rename(ready + ".tmp", ready)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
