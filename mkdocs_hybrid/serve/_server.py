"""The HTTP server: the built site's files, and the API behind the guard.

Static files come only from ``site_dir``. A request's path is made into one canonical site path, once
(:func:`site_path`): decoded segment by segment, and refused (404) when a segment is empty (``//``), ``.``
or ``..`` (however spelled), hidden, or holds an encoded ``/``, a backslash, a control character or a ``%``
left after decoding (double encoding). Every decision is made on that one path: which headers (the demos'
sandbox, the gallery's and the editor's refusal to be framed) and which file, resolved (symlinks included)
and served only when it stays inside the site. ``/%61rtifacts/t/v/page.html`` is ``/artifacts/t/v/page.html``
and gets its sandbox; ``/%2Fartifacts/...`` is refused. ``OPTIONS`` is always 403 and no answer carries an
``Access-Control-*`` header, so no other origin's page can make the browser send a request the API would take.

Each connection is one thread from a bounded set (:data:`MAX_CONNECTIONS`; beyond it a connection gets a 503
and is closed) and times out when idle or stalled (:data:`SOCKET_TIMEOUT`). A request refused before its body
is read has its body drained when small, else the connection is closed: a body is never read as a request.
"""

from __future__ import annotations

import logging
import mimetypes
import shutil
import sys
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from mkdocs_hybrid.edge.headers import FRAME_DENIED_PREFIXES, FRAME_DENY
from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.model.layout import ARTIFACTS
from mkdocs_hybrid.serve._api import SMALL_BODY, Api, ApiError, Reply
from mkdocs_hybrid.serve._guard import Guard, Refused

MAX_CONNECTIONS = 32
"""Connections served at once, one thread each; the editor needs a handful (browsers open at most 6 per host)."""
SOCKET_TIMEOUT = 30.0
"""Seconds a connection may stay silent (between requests, or inside one) before it is closed."""
DRAIN_LIMIT = SMALL_BODY
"""A refused request's body up to this size is read and dropped (the connection stays usable); a larger
one closes the connection."""
_log = logging.getLogger(__name__)
_BUSY_TEXT = b"too many connections to this server at once; retry in a moment\n"
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
         b"Content-Length: %d\r\nConnection: close\r\nRetry-After: 1\r\n\r\n%s" % (len(_BUSY_TEXT), _BUSY_TEXT))


class Server(ThreadingHTTPServer):
    """Serves ``site_dir`` and ``api``, every request checked by ``guard``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site_dir: Path, api: Api, guard: Guard | None = None, *,
                 max_connections: int = MAX_CONNECTIONS, timeout: float = SOCKET_TIMEOUT) -> None:
        super().__init__(address, _Handler)
        self.site_dir = site_dir.resolve()
        self.api = api
        self.guard = guard or Guard(address[0], self.server_address[1])
        self.connection_timeout = timeout
        self._slots = threading.BoundedSemaphore(max_connections)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread for the connection while one is free; else a 503 and the connection closed (never queued
        without bound: each stalled connection would hold a thread)."""
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away before its answer was written (a closed tab, a cancelled fetch, a reload
        during a save) is normal: one debug line, never a traceback. Anything else is reported as usual."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # BrokenPipeError, ConnectionResetError, ConnectionAbortedError
            _log.debug("client %s went away before its answer was sent (%s)", client_address, error)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "mkdocs-hybrid"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    _body_pending = False
    """Whether this request's body (if any) is still unread on the socket."""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.connection_timeout)  # a silent client frees its thread

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self._body_pending = parsed
        return parsed

    def send_response(self, code: int, message: str | None = None) -> None:
        self._settle_body()
        super().send_response(code, message)
        if self.close_connection:
            self.send_header("Connection", "close")

    def _settle_body(self) -> None:
        """Before any answer: drop a small unread body, or close the connection after this answer, so the
        bytes of a refused request's body are never parsed as the next request."""
        if not self._body_pending:
            return
        self._body_pending = False
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return
        length = _content_length(self.headers)
        if length is None or length > DRAIN_LIMIT:
            self.close_connection = True
        elif length:
            try:
                self.rfile.read(length)
            except OSError:
                self.close_connection = True

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
        path = self.path.split("?", 1)[0].split("#", 1)[0]
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
        length = _content_length(self.headers)
        if length is None:
            return ApiError(400, "Content-Length is not a whole number of bytes (0 or more)", "body").reply()
        limit = self.server.api.body_limit(path)
        if length > limit:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            return ApiError(413, f"the body is {length:,} bytes, over the {limit:,}-byte limit "
                                 "(twice build.max_snapshot_bytes for a snapshot)", "body").reply()
        try:
            body = self.rfile.read(length) if length else b""
        except OSError:  # a stalled sender (socket timeout): nothing was handled, the connection goes
            self.close_connection = True
            return ApiError(408, "the body did not arrive in time", "body").reply()
        self._body_pending = False
        if len(body) < length:
            self.close_connection = True
            return ApiError(400, f"the body ended after {len(body):,} of {length:,} bytes", "body").reply()
        return self.server.api.handle(method, path, self.headers, body)

    def _static(self, path: str, *, head: bool) -> None:
        canonical = site_path(path)  # the one path every decision below is made on
        target = None if canonical is None else _site_file(self.server.site_dir, canonical)
        if canonical is not None and target is not None and target.is_dir():
            if not canonical.endswith("/"):
                query = self.path.partition("?")[2]
                self._redirect(quote(canonical + "/") + (f"?{query}" if query else ""))
                return
            canonical += "index.html"
            target = _site_file(self.server.site_dir, canonical)
        if canonical is None or target is None or not target.is_file() or canonical.endswith("/"):
            self._not_found(head)
            return
        # Lowercased: on a case-insensitive disk (macOS, Windows) /ARTIFACTS/... is the same file.
        folded = canonical.lower()
        self._file(target, 200, head, demo=folded.startswith(f"/{ARTIFACTS}/"),
                   unframed=folded.startswith(FRAME_DENIED_PREFIXES))

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
        self.end_headers()
        if not head:
            self.wfile.write(reply.body)


def site_path(raw: str) -> str | None:
    """The canonical site path of a request path (``/a/b/`` or ``/a/b.html``), or ``None`` when it has another
    spelling that could name a different file than the one its headers would be chosen for: an empty, ``.``
    or ``..`` segment (``//``, ``%2e``), an encoded ``/`` or a backslash, a control character, a ``%`` left
    after decoding (``%252F``), a hidden name, or a name Windows would trim (a trailing dot or space)."""
    if not raw.startswith("/"):
        return None
    segments = raw[1:].split("/")
    parts = [unquote(segment, errors="strict") if _decodes(segment) else None for segment in segments]
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part is None or (part == "" and index != last) or not _plain_name(part, allow_empty=index == last):
            return None
    return "/" + "/".join(part for part in parts if part is not None)


def _decodes(segment: str) -> bool:
    try:
        unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _plain_name(part: str, *, allow_empty: bool) -> bool:
    if not part:
        return allow_empty
    return not (part.startswith(".") or part.endswith((".", " ")) or any(char in part for char in "/\\%")
                or any(ord(char) < 0x20 or ord(char) == 0x7F for char in part))


def _content_length(headers: Message) -> int | None:
    """The ``Content-Length`` as a count of bytes (missing is 0); ``None`` when it is not digits only or is
    given twice (two lengths are how a request is smuggled past a proxy: RFC 9112, 6.3)."""
    values = headers.get_all("Content-Length") or ["0"]
    text = values[0].strip()
    return int(text) if len(values) == 1 and text.isascii() and text.isdigit() else None


def _site_file(root: Path, path: str) -> Path | None:
    """``root/path`` when the canonical ``path`` names something inside ``root`` (after resolving symlinks)."""
    target = root.joinpath(*[part for part in path.split("/") if part]).resolve()
    return target if target == root or target.is_relative_to(root) else None
