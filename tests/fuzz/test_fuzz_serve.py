"""Fuzzing ``mkdocs-hybrid serve``: hostile request lines, paths, headers and bodies over real sockets.

One real server (the product's ``Server`` and ``Api`` in this process, on 127.0.0.1, with its first build made by
real esbuild) serves a small project with a store. For every generated request: one whole HTTP answer comes back
within the bound, never a 5xx and never a traceback in the server (``handle_error``); an API answer is JSON; a
demo's page is never served without its CSP ``sandbox`` and the gallery and editor never without their anti-framing
headers, whatever the path's encoding; a refused save leaves the store as it was; nothing is written outside the
site, the cache and the store; and the server still answers the next request.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.serve._api import Api
from mkdocs_hybrid.serve._packages import Packages
from mkdocs_hybrid.serve._server import Server
from mkdocs_hybrid.serve._site import Site
from mkdocs_hybrid.serve._targets import choose_target
from tests.factory import REPO, write_tree
from tests.fuzz.harness import assert_writes_within, budget, count, tree_state
from tests.fuzz.hostile import NON_REGISTRY_SPECS, NPM_NAMES, json_text, snapshot_documents, values
from tests.serve.serving import store_rows

ANSWER_SECONDS = 120.0
"""The bound on one answer (a save builds a version: seconds; anything else: milliseconds)."""
TOKEN = "fuzz-token-0123456789"
HANDLED = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
SERVER_ERRORS = (400, 414, 431, 501, 505)
"""Answers ``http.server`` itself gives to a request it cannot parse (HTML, not the API's JSON)."""


class RecordingServer(Server):
    """The product's server, recording every exception a handler let escape (each would print a traceback)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tracebacks: list[str] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.tracebacks.append(traceback.format_exc())


@dataclass
class Served:
    server: RecordingServer
    project: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    project = tmp_path_factory.mktemp("fuzz-serve") / "project"
    write_tree(project, {"demos/good/v1/index.js": "document.body.textContent = 'good';\n"})
    manifest_data = {"sources": [{"type": "directory", "path": "demos"}, {"type": "store", "path": "editor.sqlite"}],
                     "build": {"cache_dir": ".cache", "max_file_bytes": 8192, "max_snapshot_bytes": 65536,
                               "max_files": 20}}
    (project / "hybrid.yml").write_text(yaml.safe_dump(manifest_data), encoding="utf-8")
    saved_env = {name: os.environ.get(name) for name in ("npm_config_offline", "npm_config_fetch_retries")}
    # Dependency sets are only ever refused here; should one reach npm, it must not reach the network.
    os.environ.update(npm_config_offline="true", npm_config_fetch_retries="0")
    manifest = load_manifest(project / "hybrid.yml")
    site = Site(manifest, project / "site")
    toolchain = find_toolchain(REPO)
    site.build()
    api = Api(site, choose_target(manifest, None), Packages(manifest, toolchain, site), toolchain)
    server = RecordingServer(("127.0.0.1", 0), site.site_dir, api)
    server.guard.token = TOKEN
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(server, project)
    finally:
        server.shutdown()
        server.server_close()
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- one raw exchange ------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    rest: bytes


def exchange(served: Served, request: bytes) -> Answer:
    """Send ``request``, close our side, read everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=ANSWER_SECONDS) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before reading all of it
        chunks = []
        deadline = time.monotonic() + ANSWER_SECONDS
        while True:
            assert time.monotonic() < deadline, "no whole answer within the bound"
            try:
                chunk = sock.recv(1 << 16)
            except ConnectionResetError:
                break
            except TimeoutError:
                raise AssertionError("the server neither answered nor closed within the bound") from None
            if not chunk:
                break
            chunks.append(chunk)
    return parse_answer(b"".join(chunks))


def parse_answer(data: bytes) -> Answer:
    head, separator, rest = data.partition(b"\r\n\r\n")
    assert separator, f"no HTTP answer: {data[:300]!r}"
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    assert version.startswith("HTTP/1."), lines[0]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = (headers[name.strip().lower()] + ", " if name.strip().lower() in headers
                                         else "") + value.strip()
    length = int(headers.get("content-length", "0"))
    return Answer(int(status), headers, rest[:length], rest[length:])


def site_files(site_dir: Path) -> dict[str, str]:
    """sha256 of each file of the site -> its path in the site."""
    return {hashlib.sha256(path.read_bytes()).hexdigest(): "/" + path.relative_to(site_dir).as_posix()
            for path in sorted(site_dir.rglob("*")) if path.is_file()}


def check_answer(served: Served, answer: Answer, *, api: bool, method: str) -> None:
    assert not served.server.tracebacks, served.server.tracebacks[-1]
    # 501 is http.server's answer to a method it has no handler for (TRACE, CONNECT, lower case): correct HTTP.
    assert answer.status < 500 or (answer.status == 501 and method not in HANDLED), \
        f"{answer.status}: {answer.body[:500]!r}"
    assert not answer.rest, f"more than one answer to one request (a body read as a request?): {answer.rest[:200]!r}"
    kind = answer.headers.get("content-type", "")
    if (api and answer.status not in SERVER_ERRORS) or kind.startswith("application/json"):
        assert kind.startswith("application/json"), f"{answer.status} {kind}: {answer.body[:300]!r}"
        payload = json.loads(answer.body)
        if answer.status >= 400:
            assert isinstance(payload, dict) and isinstance(payload.get("error"), str) and payload["error"]
    if method == "GET" and answer.status == 200 and not api:
        served_as = site_files(served.server.site_dir).get(hashlib.sha256(answer.body).hexdigest(), "")
        policy = answer.headers.get("content-security-policy", "")
        if served_as.startswith("/artifacts/") and served_as.endswith(".html"):
            assert "sandbox" in policy, f"{served_as} served without its CSP sandbox: {answer.headers}"
        if served_as.startswith(("/editor/", "/gallery/")) and served_as.endswith(".html"):
            assert "frame-ancestors 'none'" in policy, f"{served_as} served framable: {answer.headers}"


def still_serving(served: Served) -> None:
    request = f"GET /api/status HTTP/1.1\r\nHost: {served.host}\r\nX-Hybrid-Token: {TOKEN}\r\n\r\n".encode()
    answer = exchange(served, request)
    assert answer.status == 200, answer


# -- paths, headers, bodies --------------------------------------------------------------------

TARGETS = ["/artifacts/good/v1/page.html", "/artifacts/good/v1/", "/editor/", "/editor/index.html", "/gallery/",
           "/gallery/index.html", "/p/good/v1/", "/", "/404.html", "/api/status", "/api/threads", "/api/versions",
           "/api/versions/good/v1", "/api/dependencies", "/api/packages/0123456789abcdef0123/", "/api/"]
SLASHES = ["/", "//", "/./", "/%2F", "/%2f", "%2F", "/%252F", "\\", "/%5C", "/;/", "/.%2f", "/%2e/", "/x/../",
           "/x/%2e%2e/", "/%c0%af", "/\u2215", "/%00/", "/%20/", "/\t/"]


@st.composite
def hostile_paths(draw: st.DrawFn) -> str:
    """A real site or API path, its slashes, dots and letters encoded every way a client or proxy might."""
    path = draw(st.sampled_from(TARGETS))
    parts = path.split("/")
    out = ""
    for index, part in enumerate(parts[1:]):
        out += draw(st.sampled_from(SLASHES)) if draw(st.integers(0, 3)) == 0 else "/"
        if draw(st.integers(0, 4)) == 0 and part:
            position = draw(st.integers(0, len(part) - 1))
            hexed = f"%{ord(part[position]):02{draw(st.sampled_from(['x', 'X']))}}"
            part = part[:position] + hexed + part[position + 1:]
        out += part
        del index
    tail = draw(st.sampled_from(["", "", "?x=1", "#frag", "%00", ".", "%20", "/..", "/.", ";x", "?", "%"]))
    junk = draw(st.one_of(st.just(""), st.text(max_size=6)))
    return out + tail + junk


HEADER_SETS = st.fixed_dictionaries({
    "host": st.sampled_from(["good", "good", "good", "none", "evil", "twice", "upper"]),
    "token": st.sampled_from(["good", "good", "none", "wrong", "twice"]),
    "origin": st.sampled_from(["none", "none", "self", "evil", "null"]),
    "length": st.sampled_from(["exact", "exact", "exact", "none", "-1", "-0", "abc", "99999999999999", "+4", "spaced",
                               "0x10", "twice", "1e3", "4294967297"]),
    "type": st.sampled_from(["application/json", "application/json", "APPLICATION/JSON; charset=utf-8", "none",
                             "text/plain", "application/json\x00"]),
    "chunked": st.booleans(),
    "extra": st.lists(st.tuples(st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
                                        min_size=1, max_size=10), st.text(max_size=20)), max_size=2),
})


def build_request(served: Served, method: str, path: str, headers: dict[str, Any], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1"]
    host = {"good": served.host, "evil": "evil.example", "upper": served.host.upper(), "twice": served.host}
    if headers["host"] != "none":
        lines.append(f"Host: {host[headers['host']]}")
    if headers["host"] == "twice":
        lines.append("Host: evil.example")
    token = {"good": TOKEN, "wrong": TOKEN[:-1] + "x", "twice": TOKEN}
    if headers["token"] != "none":
        lines.append(f"X-Hybrid-Token: {token[headers['token']]}")
    if headers["token"] == "twice":
        lines.append("X-Hybrid-Token: other")
    origin = {"self": f"http://{served.host}", "evil": "http://evil.example", "null": "null"}
    if headers["origin"] != "none":
        lines.append(f"Origin: {origin[headers['origin']]}")
    if headers["length"] == "exact":
        lines.append(f"Content-Length: {len(body)}")
    elif headers["length"] == "spaced":  # optional white space around a value is valid HTTP (RFC 9110 5.5)
        lines.append(f"Content-Length: \t{len(body)} ")
    elif headers["length"] == "twice":
        lines += [f"Content-Length: {len(body)}", "Content-Length: 0"]
    elif headers["length"] != "none":
        lines.append(f"Content-Length: {headers['length']}")
    if headers["type"] != "none":
        lines.append(f"Content-Type: {headers['type']}")
    if headers["chunked"]:
        lines.append("Transfer-Encoding: chunked")
    lines += [f"{name}: {value}" for name, value in headers["extra"]]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


def _json(value: Any) -> bytes:
    return json.dumps(value, default=str).encode("utf-8")


BODIES = st.one_of(
    st.just(b""),
    snapshot_documents().map(_json),
    values().map(_json),
    st.builds(lambda n: b"[" * n + b"]" * n, st.integers(1000, 100000)),
    st.builds(lambda n: b'{"a":' * n + b"1" + b"}" * n, st.integers(1000, 50000)),
    st.sampled_from([b"\xff\xfe", b"{", b'"\\ud800"', b"NaN", b"1e999999", b"\x00" * 10]),
    st.binary(max_size=40),
)
METHODS = st.sampled_from(["GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
                           "get", "CONNECT", "GET\x00", "G\u00c9T"])


@budget(share=1.0)
@given(method=METHODS, path=hostile_paths(), headers=HEADER_SETS, body=BODIES)
def test_raw_requests(served: Served, method: str, path: str, headers: dict[str, Any], body: bytes) -> None:
    count("serve: raw requests (method, path, headers, body)")
    before = tree_state(served.project)
    rows = store_rows(served.project)
    answer = exchange(served, build_request(served, method, path, headers, body))
    check_answer(served, answer, api=path.startswith("/api"), method=method)
    if answer.status != 201:
        assert store_rows(served.project) == rows, "a refused request changed the store"
    assert_writes_within(served.project, before, tree_state(served.project), _allowed(served))
    still_serving(served)


def _allowed(served: Served) -> list[Path]:
    project = served.project
    return [project / "site", project / ".cache", project / "editor.sqlite", project / "editor.sqlite-wal",
            project / "editor.sqlite-shm", project / "editor.sqlite-journal", project / "hybrid-lock.json"]


def _post(served: Served, path: str, body: bytes) -> Answer:
    request = (f"POST {path} HTTP/1.1\r\nHost: {served.host}\r\nX-Hybrid-Token: {TOKEN}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    return exchange(served, request)


@budget(share=1.0)
@given(document=snapshot_documents())
def test_save_bodies(served: Served, document: dict[str, Any]) -> None:
    """Snapshot documents posted as the editor posts them: saved and readable back, or refused with nothing
    stored; a save builds the version (real esbuild)."""
    count("serve: POST /api/versions documents")
    before = tree_state(served.project)
    rows = store_rows(served.project)
    answer = _post(served, "/api/versions", _json(document))
    check_answer(served, answer, api=True, method="POST")
    if answer.status == 201:
        saved = json.loads(answer.body)
        got = exchange(served, (f"GET /api/versions/{saved['thread']}/{saved['version']} HTTP/1.1\r\n"
                                f"Host: {served.host}\r\nX-Hybrid-Token: {TOKEN}\r\n\r\n").encode())
        assert got.status == 200 and json.loads(got.body)["files"] == document["files"]
    else:
        assert answer.status in range(400, 500)
        assert store_rows(served.project) == rows, "a refused save changed the store"
    assert_writes_within(served.project, before, tree_state(served.project), _allowed(served))


@given(name=NPM_NAMES, spec=NON_REGISTRY_SPECS, imports=st.one_of(st.just([]), st.lists(json_text(10), max_size=3)))
def test_dependency_sets_from_elsewhere_are_refused(served: Served, name: str, spec: str, imports: list[str]) -> None:
    """A dependency set naming a git, URL, path or alias spec is refused before npm runs (400 naming the field)."""
    count("serve: POST /api/dependencies, specs not from the registry")
    answer = _post(served, "/api/dependencies", _json({"dependencies": {name: spec}, "imports": imports}))
    check_answer(served, answer, api=True, method="POST")
    assert answer.status == 400 and json.loads(answer.body)["field"] == "dependencies", answer


# -- bugs the fuzzing found (issue 18), each fixed ------------------------------------------------------------


def test_lone_surrogate_in_a_saved_file_is_a_400(served: Served) -> None:
    """Found by the fuzzing: a lone surrogate raised UnicodeEncodeError past Api.handle (the server dropped the
    connection with a traceback)."""
    document = {"format": "mkdocs-hybrid/snapshot@1", "thread": "surrogate", "version": "v1",
                "files": {"index.js": "\ud800"}}
    answer = _post(served, "/api/versions", json.dumps(document).encode())
    assert answer.status == 400 and not served.server.tracebacks


def test_a_static_get_with_a_body_gets_one_answer(served: Served) -> None:
    """Found by the fuzzing: the body of a GET for a site file was never read, so it was parsed as a second
    request on the same connection."""
    body = b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n"
    request = f"GET /gallery/ HTTP/1.1\r\nHost: {served.host}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    answer = exchange(served, request)
    assert answer.status == 200 and not answer.rest
