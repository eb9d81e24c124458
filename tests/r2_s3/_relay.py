"""A relay in front of the S3 stand-in that answers ``Expect: 100-continue`` as R2 does.

Why: botocore sends ``Expect: 100-continue`` with every PutObject whose body is a file (the artifact store's
uploads) and waits up to 1 s for the interim ``100 Continue`` before sending the body. workerd (``wrangler pages
dev``) never sends one (cloudflare/workers-sdk#7185), so each such upload would stall 1 s there, and not on R2:
measured 3.3 s for one version's 8 objects straight to ``pages dev``. Python's HTTP/1.1 server answers it at once;
requests and answers are passed on unchanged (bodies as bytes, no decoding), on a pool of kept-alive connections.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "expect", "host", "content-length",
                        "proxy-connection", "te", "upgrade"})
POOL = 64
"""Connections to workerd: more than the artifact store's 16 requests in flight, and the private store's."""


@contextmanager
def relay(upstream: str) -> Iterator[str]:
    """Serve a relay to ``upstream`` (``http://host:port``) on a free local port; yield its base URL."""
    client = httpx.Client(base_url=upstream, timeout=60.0,
                          limits=httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(client))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="r2-s3-relay", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        client.close()


def _handler(client: httpx.Client) -> type[BaseHTTPRequestHandler]:
    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, and the 100 Continue answer (handle_expect_100)
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between

        def _relay(self) -> None:
            if "chunked" in self.headers.get("Transfer-Encoding", ""):
                self.send_error(501, "chunked request bodies are not relayed: send a Content-Length")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = [(name, value) for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP]
            request = client.build_request(self.command, self.path, headers=headers, content=body)
            answer = client.send(request, stream=True)
            try:
                data = b"".join(answer.iter_raw())  # as stored: no Content-Encoding decoding
            finally:
                answer.close()
            self.send_response_only(answer.status_code)
            for name, value in answer.headers.multi_items():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            # A HEAD answer's Content-Length is the object's size, not this (empty) body's.
            length = answer.headers.get("Content-Length") if self.command == "HEAD" else str(len(data))
            self.send_header("Content-Length", length or "0")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _relay

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: pytest shows failures, not every request

    return Relay
