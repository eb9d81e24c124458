"""A dependency that is not a registry package never reaches npm, and fails only its own version.

Each hostile spec below points at a local HTTP listener (which must receive no request) or at a local
folder with a ``package.json`` (which npm must never be asked to read); ``npm`` itself is a logging wrapper
around the real one, so the test sees every time the build runs it. The good versions of the same build
still build.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mkdocs_hybrid.pipeline import LOCK_FILE, Export
from tests.factory import manifest_for, snapshot_json, write_tree

APP = "document.body.append('ok')\n"


class Listener:
    """An HTTP server on 127.0.0.1 that records every request line it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                listener.requests.append(f"{self.command} {self.path}")
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Listener]:
    served = Listener()
    # Even the registry is the listener: nothing in this build may ask anything of the network.
    monkeypatch.setenv("npm_config_registry", served.url + "/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    try:
        yield served
    finally:
        served.close()


@pytest.fixture
def npm_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put an ``npm`` first on PATH that logs its arguments, then runs the real npm."""
    real = shutil.which("npm")
    log = tmp_path / "npm-calls.log"
    folder = tmp_path / "bin"
    folder.mkdir()
    wrapper = folder / "npm"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real or "false"}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def hostile_specs(listener: Listener, outside: Path) -> dict[str, str]:
    """Version name -> a spec npm would fetch from the listener or read from ``outside``."""
    return {
        "http-upper": f"HTTP://{listener.host}/x.tgz",
        "https-mixed": f"Https://{listener.host}/x.tgz",
        "http": f"{listener.url}/x.tgz",
        "git-plus-upper": f"GIT+http://{listener.host}/r.git",
        "git-plus": f"git+http://{listener.host}/r.git",
        "ssh": f"ssh://git@{listener.host}/r.git",
        "git-ssh": "git+ssh://git@127.0.0.1:r.git#v1",
        "scp": "git@127.0.0.1:u/r.git",
        "github": "github:u/r", "gitlab": "gitlab:u/r", "bitbucket": "bitbucket:u/r", "gist": "gist:1234",
        "user-repo": "u/r", "user-repo-ref": "u/r#main",
        "absolute": str(outside), "file-abs": f"file:{outside}", "relative": "./outside",
        "dot-relative": "../../../../outside", "home": "~/outside", "link": f"link:{outside}",
        "workspace": "workspace:*", "alias": "npm:left-pad@1.3.0", "alias-url": f"npm:x@{listener.url}/x.tgz",
        "tarball-name": "outside.tgz", "cli-git": f"1.x a@{listener.host}:x",
    }


def test_hostile_specs_never_reach_npm_and_the_other_versions_build(
        tmp_path: Path, listener: Listener, npm_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = write_tree(tmp_path / "outside", {
        "package.json": json.dumps({"name": "outside", "version": "6.6.6", "main": "index.js"}),
        "index.js": "module.exports = 'read from the build machine'\n"})
    project = tmp_path / "project"
    monkeypatch.chdir(project.parent)  # relative paths are relative to where npm would run
    specs = hostile_specs(listener, outside)
    files: dict[str, str] = {"demos/good/v1/index.js": APP, "demos/good/v2/index.js": APP}
    for version, spec in specs.items():
        files[f"demos/bad/{version}/index.js"] = APP
        files[f"demos/bad/{version}/package.json"] = json.dumps({"dependencies": {"outside": spec}})
    files["demos/badname/v1/index.js"] = APP
    files["demos/badname/v1/package.json"] = json.dumps({"dependencies": {"../outside": "1.0.0"}})
    files["exports/json-bad.json"] = snapshot_json("jsonbad", "v1", {"index.js": APP},
                                                   dependencies={"outside": f"GIT+http://{listener.host}/r.git"})
    files["exports/json-good.json"] = snapshot_json("jsongood", "v1", {"index.js": APP})
    write_tree(project, files)

    export = Export(manifest_for(project, snapshots="exports"), ledger=False)
    export.run(project / "site")

    failed = {error.ref: str(error) for error in export.report.failed}
    assert sorted(failed) == sorted([f"bad/{v}" for v in specs] + ["badname/v1", "jsonbad/v1"])
    for version, spec in specs.items():
        assert "not a registry version, range or tag" in failed[f"bad/{version}"], (spec, failed[f"bad/{version}"])
        assert 'use a version like "^18.2.0"' in failed[f"bad/{version}"]
    assert "is a git repository" in failed["bad/git-plus-upper"]
    assert "is a tarball URL" in failed["bad/http-upper"] and "is a local folder" in failed["bad/absolute"]
    assert "is an alias (npm:)" in failed["bad/alias"]
    assert "not a valid npm package name" in failed["badname/v1"]
    assert sorted(export.report.built) == ["good/v1", "good/v2", "jsongood/v1"]
    assert listener.requests == []
    assert not npm_log.exists(), npm_log.read_text(encoding="utf-8")
    assert not (project / LOCK_FILE).exists()
    assert not (project / ".cache" / "deps").exists()
