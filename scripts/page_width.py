#!/usr/bin/env python3
"""Report how wide pages lay out in a running headless Chromium.

    page_width.py DEBUG_PORT WIDTH URL...

Chromium must run headless with --remote-debugging-port=DEBUG_PORT. For
each URL, opens a tab emulating a phone WIDTH CSS pixels wide (viewport
meta honoured), waits for the load, and prints the viewport width and the
document's scrollWidth; exits 1 when a page is wider than the viewport (a
phone reader would have to scroll sideways). Python standard library
only: a minimal DevTools-protocol client over a WebSocket.
"""
import base64
import json
import os
import socket
import sys
import time
import urllib.request
from urllib.parse import urlparse


class Tab:
    def __init__(self, ws_url):
        u = urlparse(ws_url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.decode(errors="replace"))
        self.next_id = 0

    def _send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        header = bytearray([0x81])
        n = len(data)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("connection closed")
            buf += chunk
        return buf

    def _recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            message += self._exact(n)
            if b0 & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = self._recv()
            if reply.get("id") == self.next_id:
                return reply.get("result", {})


def main():
    port, phone, urls = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    too_wide = False
    for url in urls:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        target = json.load(urllib.request.urlopen(req, timeout=30))
        tab = Tab(target["webSocketDebuggerUrl"])
        tab.call("Emulation.setDeviceMetricsOverride", width=phone, height=844, deviceScaleFactor=2, mobile=True)
        tab.call("Page.navigate", url=url)
        expr = "[document.readyState, location.href, window.innerWidth, document.documentElement.scrollWidth]"
        state = viewport = width = None
        for _ in range(200):
            time.sleep(0.1)
            value = tab.call("Runtime.evaluate", expression=expr, returnByValue=True).get("result", {}).get("value")
            if value and value[0] == "complete" and value[1] != "about:blank":
                state, _, viewport, width = value
                break
        if state is None:
            print(f"{url}: did not load")
            too_wide = True
            continue
        # A phone zooms a too-wide page out: the viewport grows past the
        # screen, so both are compared with the screen's width.
        wide = max(width, viewport) > phone
        verdict = "SCROLLS SIDEWAYS (or is zoomed out)" if wide else "ok"
        too_wide |= wide
        print(f"{url}: viewport {viewport} px, page {width} px: {verdict}")
        urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{target['id']}", timeout=30).read()
    sys.exit(1 if too_wide else 0)


if __name__ == "__main__":
    main()
