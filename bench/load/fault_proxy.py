"""A small HTTP proxy in front of moto's S3 server that can inject faults.

While faults are on, each request is, by a seeded draw: answered ``503
SlowDown`` (S3's throttling answer, which botocore retries), delayed before it
is forwarded (a slow S3), or has its connection dropped with no answer.
Everything else is forwarded unchanged. 127.0.0.1 only.
"""

import http.client
import random
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler

SLOWDOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class FaultState:
    """What the proxy does now, and what it has done."""

    def __init__(self, *, seed=8, error_rate=0.25, delay_rate=0.15, drop_rate=0.05):
        self.on = False
        self.random = random.Random(seed)
        self.rates = (error_rate, delay_rate, drop_rate)
        self.delay = 2.0
        self.counts = {"forwarded": 0, "503": 0, "delayed": 0, "dropped": 0}
        self.lock = threading.Lock()

    def draw(self):
        """Return 'error', 'delay', 'drop' or 'pass' for the next request."""
        with self.lock:
            if not self.on:
                return "pass"
            roll = self.random.random()
        error, delay, drop = self.rates
        if roll < error:
            return "error"
        if roll < error + delay:
            return "delay"
        if roll < error + delay + drop:
            return "drop"
        return "pass"

    def count(self, what):
        with self.lock:
            self.counts[what] += 1


def make_handler(upstream_port, state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            fate = state.draw()
            if fate == "error":
                state.count("503")
                self.send_response(503)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(SLOWDOWN)))
                self.end_headers()
                self.wfile.write(SLOWDOWN)
                return
            if fate == "drop":
                state.count("dropped")
                self.close_connection = True
                self.connection.close()
                return
            if fate == "delay":
                state.count("delayed")
                time.sleep(state.delay)
            upstream = http.client.HTTPConnection(
                "127.0.0.1", upstream_port, timeout=60
            )
            headers = {k: v for k, v in self.headers.items()}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in (
                    "transfer-encoding",
                    "connection",
                    "content-length",
                ):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            upstream.close()
            state.count("forwarded")

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = _relay

    return Handler


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """Stay quiet when a client drops a kept-alive connection the proxy cut."""


def start(upstream_port, state):
    """Start the proxy on a free 127.0.0.1 port; return (server, port)."""
    server = _Server(("127.0.0.1", 0), make_handler(upstream_port, state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]
