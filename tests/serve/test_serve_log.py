"""What ``mkdocs-hybrid serve`` prints while the editor works: one line per save and per install, npm's
failures in the build's plain words, and nothing at all (no traceback) when a browser hangs up mid-answer.

The real ``serve`` (a subprocess, its output in a log file) with real npm against a small local registry.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import time
from collections.abc import Iterator

import pytest

from mkdocs_hybrid.serve._guard import TOKEN_HEADER
from tests.bundle.test_dependencies import Registry, running
from tests.factory import write_tree
from tests.serve.serving import Served, serving, snapshot, store_rows

MANIFEST = ("sources:\n  - {type: directory, path: demos}\n  - {type: store, path: editor.sqlite}\n"
            "build:\n  cache_dir: .cache\n")
SAVE_TIMEOUT = 180.0
NO_VERSION = ("no version of hy-dated matches 99.0.0 (latest: 1.11.23): pick a version that exists "
              "(`npm view hy-dated versions` lists them)")
NO_PACKAGE = "no package named hy-nowhere on the registry: check the name (its spelling, and its @scope if it has one)"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serve-log")
    project = write_tree(root / "project", {"hybrid.yml": MANIFEST, "demos/a/v1/index.js": "document.title = 1\n"})
    with running(Registry()) as registry, pytest.MonkeyPatch.context() as patch:
        registry.publish("hy-dated", "1.0.0")
        registry.publish("hy-dated", "1.11.23", tag="latest")
        patch.setenv("npm_config_registry", registry.url + "/")
        patch.setenv("npm_config_cache", str(root / "npm-cache"))
        with serving(project) as server:
            yield server


def lines_starting(served: Served, prefix: str) -> list[str]:
    return [line for line in served.log().splitlines() if line.startswith(prefix)]


def wait_for_line(served: Served, prefix: str) -> str:
    deadline = time.monotonic() + SAVE_TIMEOUT
    while not (found := lines_starting(served, prefix)):
        assert served.process.poll() is None, f"serve exited:\n{served.log()}"
        assert time.monotonic() < deadline, f"no line {prefix!r} within {SAVE_TIMEOUT:.0f} s:\n{served.log()}"
        time.sleep(0.1)
    return found[0]


@pytest.mark.parametrize("hang_up", ["close", "reset"])
def test_a_browser_that_hangs_up_during_a_save_costs_no_traceback(served: Served, hang_up: str) -> None:
    """``close``: gone before the answer is written (it was a BrokenPipeError traceback); ``reset``: a reset
    while the server waits for the next request (a ConnectionResetError traceback)."""
    version = f"v2{hang_up}"
    body = json.dumps(snapshot("a", version, {"index.js": "document.title = 2\n"})).encode()
    port = int(served.base_url.rsplit(":", 1)[1])
    head = (f"POST /api/versions HTTP/1.1\r\nHost: {served.host}:{port}\r\n{TOKEN_HEADER}: {served.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    sock = socket.create_connection((served.host, port), timeout=30)
    sock.sendall(head.encode() + body)
    if hang_up == "reset":  # as a browser tab that goes away: a reset, not a goodbye
        time.sleep(1.0)  # the server has read the request
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()

    wait_for_line(served, f"saved a/{version}")
    time.sleep(0.5)  # the answer is written (and fails) after the save's line
    with served.client() as client:
        assert client.get("/api/status").status_code == 200
    log = served.log()
    assert "Traceback" not in log and "BrokenPipe" not in log and "ConnectionReset" not in log, log
    assert ("a", version) in store_rows(served.project)


def test_a_save_prints_one_line_naming_the_version_its_size_and_where_it_went(served: Served) -> None:
    files = {"index.js": "document.title = 3\n", "style.css": "body { color: red }\n"}
    response = served.post("/api/versions", snapshot("a", "v3", files))
    assert response.status_code == 201, response.text
    [line] = lines_starting(served, "saved a/v3")
    size = sum(len(text.encode()) for text in files.values())
    assert re.fullmatch(rf"saved a/v3: 2 files, {size} bytes into {re.escape(str(served.project / 'editor.sqlite'))}; "
                        r"\d+\.\d\d s, site rebuilt in \d+\.\d\d s", line), line


def test_an_install_prints_one_line_with_the_specs_the_result_and_the_time(served: Served) -> None:
    response = served.post("/api/dependencies", {"dependencies": {"hy-dated": "^1.0.0"}, "imports": ["hy-dated"]})
    assert response.status_code == 200, response.text
    [line] = lines_starting(served, "installed hy-dated@^1.0.0")
    assert re.fullmatch(r"installed hy-dated@\^1\.0\.0 as hy-dated@1\.11\.23 \(set [0-9a-f]{20}\); \d+\.\d\d s",
                        line), line


@pytest.mark.parametrize(("specs", "message"), [({"hy-dated": "99.0.0"}, NO_VERSION),
                                                ({"hy-nowhere": "^1.0.0"}, NO_PACKAGE)])
def test_the_install_api_says_what_npm_could_not_find_as_the_build_does(served: Served, specs: dict[str, str],
                                                                        message: str) -> None:
    response = served.post("/api/dependencies", {"dependencies": specs, "imports": list(specs)})
    assert response.status_code == 422
    assert response.json() == {"error": message, "field": "dependencies"}
    [spec] = [f"{name}@{spec}" for name, spec in specs.items()]
    [line] = lines_starting(served, f"install failed: {spec}")
    assert re.fullmatch(rf"install failed: {re.escape(spec)}: {re.escape(message)}; \d+\.\d\d s", line), line


def test_a_save_that_does_not_build_prints_one_line_and_saves_nothing(served: Served) -> None:
    response = served.post("/api/versions", snapshot("a", "v4", {"index.js": "let = ;\n"}))
    assert response.status_code == 422, response.text
    assert lines_starting(served, "saved a/v4") == []
    [line] = lines_starting(served, "not saved: a/v4")
    assert re.fullmatch(r"not saved: a/v4 does not build \(1 error\); \d+\.\d\d s", line), line
    assert ("a", "v4") not in store_rows(served.project)


def test_the_first_build_says_how_far_it_got(served: Served) -> None:
    """A cold first build of a large project took minutes in silence: its stages' lines come first."""
    log = served.log()
    assert "bundling: 1/1 versions (100%)" in log
    assert log.index("bundling: 1/1 versions") < log.index("mkdocs-hybrid serve: built")


def test_the_first_build_of_a_mkdocs_site_says_how_far_it_got(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("serve-mkdocs-log")
    project = write_tree(root / "project", {
        "hybrid.yml": MANIFEST, "demos/a/v1/index.js": "document.title = 1\n", "docs/index.md": "# Demos\n",
        "mkdocs.yml": "site_name: demos\nplugins: [{hybrid: {manifest: hybrid.yml}}]\n"})
    with serving(project) as server:
        log = server.log()
    assert "mkdocs_hybrid: bundling: 1/1 versions (100%)" in log, log
    assert log.index("bundling: 1/1 versions") < log.index("mkdocs-hybrid serve: built")
