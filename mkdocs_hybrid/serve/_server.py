"""The HTTP server: the built site's files, and the API behind the guard.

Static files come only from ``site_dir``: a path is decoded, refused when any part is ``.``, ``..``,
hidden or holds a backslash, then resolved (symlinks included) and served only when it stays inside
the site. ``OPTIONS`` is always 403 and no answer carries an ``Access-Control-*`` header, so no other
origin's page can make the browser send a request the API would take.
"""

from __future__ import annotations

import mimetypes
import shutil
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mkdocs_hybrid.publish.routes import FRAME_DENIED_PREFIXES, FRAME_DENY
from mkdocs_hybrid.publish.sandbox import DEMO_CSP
from mkdocs_hybrid.serve._api import Api, ApiError, Reply
from mkdocs_hybrid.serve._guard import Guard, Refused


class Server(ThreadingHTTPServer):
    """Serves ``site_dir`` and ``api``, every request checked by ``guard``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site_dir: Path, api: Api, guard: Guard | None = None) -> None:
        super().__init__(address, _Handler)
        self.site_dir = site_dir.resolve()
        self.api = api
        self.guard = guard or Guard(address[0], self.server_address[1])

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "mkdocs-hybrid"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer("GET")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def do_OPTIONS(self) -> None:
        self._send(ApiError(403, "cross-origin requests are not allowed (no CORS preflight is ever approved)")
                   .reply())

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        """Quiet: the editor polls, and the console is for build errors."""

    def _answer(self, method: str) -> None:
        path = urlsplit(self.path).path
        try:
            if path == "/api" or path.startswith("/api/"):
                self.server.guard.check_api(self.headers)
                self._send(self._api(method, path))
                return
            self.server.guard.check_host(self.headers)
        except Refused as exc:
            self._send(ApiError(403, str(exc)).reply())
            return
        if method not in ("GET", "HEAD"):
            self._send(ApiError(405, f"{method} is not allowed on the site's files").reply())
            return
        self._static(path, head=method == "HEAD")

    def _api(self, method: str, path: str) -> Reply:
        if self.headers.get("Transfer-Encoding"):
            return ApiError(411, "send the body with a Content-Length (no chunked bodies)", "body").reply()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return ApiError(400, "Content-Length is not a number", "body").reply()
        limit = self.server.api.body_limit(path)
        if length > limit or length < 0:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            return ApiError(413, f"the body is {length:,} bytes, over the {limit:,}-byte limit "
                                 "(twice build.max_snapshot_bytes for a snapshot)", "body").reply()
        body = self.rfile.read(length) if length else b""
        return self.server.api.handle(method, path, self.headers, body)

    def _static(self, path: str, *, head: bool) -> None:
        target = _site_file(self.server.site_dir, unquote(path))
        if target is not None and target.is_dir():
            if not path.endswith("/"):
                query = urlsplit(self.path).query
                self._redirect(path + "/" + (f"?{query}" if query else ""))
                return
            target = _site_file(self.server.site_dir, unquote(path) + "index.html")
        if target is None or not target.is_file():
            self._not_found(head)
            return
        site_path = unquote(path)
        self._file(target, 200, head, demo=site_path.startswith("/artifacts/"),
                   unframed=site_path.startswith(FRAME_DENIED_PREFIXES))

    def _file(self, target: Path, status: int, head: bool, *, demo: bool = False, unframed: bool = False) -> None:
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith(("javascript", "json")):
            kind += "; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(target.stat().st_size))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        if demo:  # as the site's _headers say: a demo opened directly still runs in an opaque origin
            self.send_header("Content-Security-Policy", DEMO_CSP)
        for name, value in FRAME_DENY if unframed else ():  # as _headers says: the gallery and editor are not framed
            self.send_header(name, value)
        self.end_headers()
        if not head:
            with target.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile)

    def _not_found(self, head: bool) -> None:
        page = self.server.site_dir / "404.html"
        if page.is_file():
            self._file(page, 404, head)
        else:
            self._send(Reply(404, b"not found\n", "text/plain; charset=utf-8"), head=head)

    def _redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, reply: Reply, head: bool = False) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(reply.body)


def _site_file(root: Path, path: str) -> Path | None:
    """``root/path`` when ``path`` names something inside ``root`` (after resolving symlinks), else ``None``."""
    parts = [part for part in path.split("/") if part]
    if any(part.startswith(".") or "\\" in part or "\0" in part for part in parts):
        return None
    target = root.joinpath(*parts).resolve()
    return target if target == root or target.is_relative_to(root) else None
