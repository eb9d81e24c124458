"""``mkdocs-hybrid serve``'s server against hostile connections, over raw sockets (no client normalises them).

A real :class:`Server` with the real API of the sample project's manifest (nothing is built: every request
here is refused before a build would start). Each test failed before its fix: a deep JSON body killed the
handler (RecursionError, no answer); a refused request's body was parsed as a second request; a stalled
connection held its thread forever and there was no bound on threads; a negative Content-Length was
"over the limit".
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import copy_project

from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.serve._api import Api
from mkdocs_hybrid.serve._guard import TOKEN_HEADER
from mkdocs_hybrid.serve._packages import Packages
from mkdocs_hybrid.serve._server import Server
from mkdocs_hybrid.serve._site import Site
from mkdocs_hybrid.serve._targets import choose_target
from tests.edge.test_frames_edge import build_fake_site

MAX_CONNECTIONS = 4
IDLE_SECONDS = 2.0
"""The server's socket timeout here: how long the 'no second request' tests wait for the server to hang up."""
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@dataclass(frozen=True)
class Local:
    host: str
    port: int
    token: str

    def connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=60)  # the client's own bound
        return sock

    def head(self, request_line: str, *headers: str, token: bool = True) -> bytes:
        lines = [request_line, f"Host: {self.host}:{self.port}", *headers]
        if token:
            lines.append(f"{TOKEN_HEADER}: {self.token}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.fixture(scope="module")
def local(sample_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    root = tmp_path_factory.mktemp("connections")
    project = copy_project(sample_project, root / "project")
    site_dir = root / "site"
    site_dir.mkdir()
    build_fake_site(site_dir)
    site = Site(load_manifest(project / "hybrid.yml"), site_dir)
    toolchain = find_toolchain(project)
    api = Api(site, choose_target(site.manifest, None), Packages(site.manifest, toolchain, site), toolchain)
    server = Server(("127.0.0.1", 0), site_dir, api, max_connections=MAX_CONNECTIONS, timeout=IDLE_SECONDS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Local("127.0.0.1", server.port, server.guard.token)
    finally:
        server.shutdown()
        server.server_close()


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def statuses(data: bytes) -> list[int]:
    """The status of every response in ``data`` (a body here is JSON or HTML, never a status line)."""
    return [int(code) for code in re.findall(rb"(?:^|\n)HTTP/1\.[01] (\d{3}) ", data)]


def send(local: Local, payload: bytes) -> bytes:
    with local.connect() as sock:
        sock.sendall(payload)
        return read_all(sock)


def post(local: Local, path: str, body: bytes, *headers: str, token: bool = True) -> bytes:
    return local.head(f"POST {path} HTTP/1.1", "Content-Type: application/json", f"Content-Length: {len(body)}",
                      *headers, token=token) + body


def test_deeply_nested_json_is_a_400_with_one_clear_line(local: Local) -> None:
    depth = 200_000
    body = b"[" * depth + b"]" * depth
    payload = local.head("POST /api/versions HTTP/1.1", "Content-Type: application/json",
                         f"Content-Length: {len(body)}", "Connection: close") + body
    data = send(local, payload)
    assert statuses(data) == [400]
    assert b"nested too deeply" in data


@pytest.mark.parametrize("case", ["403 guard", "405 static", "411 chunked", "413 too large", "400 length",
                                  "403 options", "415 type"])
def test_a_refused_requests_body_is_never_read_as_a_request(local: Local, case: str) -> None:
    body = SMUGGLED
    payload = {
        "403 guard": post(local, "/api/versions", body, token=False),
        "405 static": post(local, "/gallery/", body),
        "411 chunked": local.head("POST /api/versions HTTP/1.1", "Transfer-Encoding: chunked")
        + b"0\r\n\r\n" + body,
        "413 too large": local.head("POST /api/dependencies HTTP/1.1", "Content-Type: application/json",
                                    "Content-Length: 10000000") + body,
        "400 length": local.head("POST /api/versions HTTP/1.1", "Content-Length: 12abc") + body,
        "403 options": local.head("OPTIONS /api/versions HTTP/1.1", f"Content-Length: {len(body)}") + body,
        "415 type": local.head("POST /api/dependencies HTTP/1.1", "Content-Type: text/plain",
                               f"Content-Length: {len(body)}") + body,
    }[case]
    data = send(local, payload)  # the server hangs up after IDLE_SECONDS of silence, or at once
    assert statuses(data) == [int(case.split()[0])], data.decode("latin-1")


def test_a_small_refused_body_is_drained_and_the_connection_still_serves(local: Local) -> None:
    payload = post(local, "/api/versions", SMUGGLED, token=False) + local.head("GET /gallery/ HTTP/1.1",
                                                                               "Connection: close")
    data = send(local, payload)
    assert statuses(data) == [403, 200], data.decode("latin-1")


@pytest.mark.parametrize("length", ["-1", "-100000", "+5", " 1_0"])
def test_a_content_length_that_is_not_a_count_of_bytes_is_a_400(local: Local, length: str) -> None:
    data = send(local, local.head("POST /api/dependencies HTTP/1.1", "Content-Type: application/json",
                                  f"Content-Length: {length}") + b"{}")
    assert statuses(data) == [400]
    assert b"Content-Length" in data and b"over the" not in data


def test_two_content_lengths_are_a_400_and_the_rest_is_never_a_request(local: Local) -> None:
    """Two lengths are how a request is smuggled past a proxy that reads the other one (RFC 9112, 6.3)."""
    body = SMUGGLED
    data = send(local, local.head("POST /api/versions HTTP/1.1", "Content-Type: application/json",
                                  "Content-Length: 0", f"Content-Length: {len(body)}") + body)
    assert statuses(data) == [400], data.decode("latin-1")


def test_a_stalled_connection_is_closed(local: Local) -> None:
    with local.connect() as sock:
        sock.sendall(b"GET /gallery/ HTTP/1.1\r\nHost: 127.0.0.1")  # and never the rest
        assert read_all(sock) == b""  # the server hung up (before: this waited forever)


def test_connections_beyond_the_bound_get_a_503_and_no_thread(local: Local) -> None:
    stalled = [local.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in stalled:
            sock.sendall(b"GET / HTTP/1.1\r\n")  # each holds a handler thread until the server's timeout
        data = send(local, local.head("GET /gallery/ HTTP/1.1", "Connection: close"))
        assert statuses(data) == [503]
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"too many connections" in body
        assert f"Content-Length: {len(body)}".encode() in head
    finally:
        for sock in stalled:
            sock.close()
    for _ in range(200):  # the stalled threads notice the close and free their slots
        if statuses(send(local, local.head("GET /gallery/ HTTP/1.1", "Connection: close"))) == [200]:
            break
    else:
        pytest.fail("the server never served again after the stalled connections closed")
