"""npm dependency sets the way browser bundlers accept them: peer conflicts, tags and prereleases.

The peer-conflict demo uses real packages from the public registry: ``use-immer@0.5.1``
declares ``peerDependencies: {"immer": ">=2.0.0", "react": "^16.8.0 || ^17.0.1"}``, and
pinning it next to ``immer@1.7.3`` and ``react@18.3.1`` makes ``npm install`` fail with
``ERESOLVE``. Sandpack, CodeSandbox and esbuild-wasm editors run that demo fine, so it
must build. Dist-tags other than ``latest`` (``next``, ``beta``) are not served by every
registry mirror, so those tests run real npm against a small local registry instead.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.bundle import dependencies
from mkdocs_hybrid.pipeline import Export
from tests.factory import cli_env, manifest_for, run_cli, write_tree

PEER_CONFLICT = {"use-immer": "0.5.1", "immer": "1.7.3", "react": "18.3.1", "react-dom": "18.3.1"}
UNMET = [
    {"package": "immer", "wanted": ">=2.0.0", "installed": "1.7.3", "required_by": "use-immer@0.5.1"},
    {"package": "react", "wanted": "^16.8.0 || ^17.0.1", "installed": "18.3.1", "required_by": "use-immer@0.5.1"},
]
IMMER_WARNING = "use-immer@0.5.1 wants immer@>=2.0.0 but 1.7.3 is installed"
COUNTER_APP = """\
import {createRoot} from 'react-dom/client'
import {useImmer} from 'use-immer'

function Counter() {
  const [state, update] = useImmer({clicks: 0})
  return <button onClick={() => update(draft => { draft.clicks += 1 })}>%s clicked {state.clicks}</button>
}

createRoot(document.getElementById('root')).render(<Counter />)
"""


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def meta(site: Path, ref: str) -> dict[str, Any]:
    return dict(read_json(site / "artifacts" / ref / "meta.json"))


# ---- a peer conflict from the public registry ------------------------------------------------


@dataclass(frozen=True)
class Built:
    project: Path
    output: str
    returncode: int

    @property
    def site(self) -> Path:
        return self.project / "site"


@pytest.fixture(scope="module")
def peer_conflict(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Two versions sharing the conflicting set, built once with ``mkdocs-hybrid build --strict``."""
    project = tmp_path_factory.mktemp("peer-conflict")
    package_json = json.dumps({"dependencies": PEER_CONFLICT})
    write_tree(project, {
        "demos/immer-counter/v1/package.json": package_json,
        "demos/immer-counter/v1/src/index.jsx": COUNTER_APP % "v1",
        "demos/immer-counter/v2/package.json": package_json,
        "demos/immer-counter/v2/src/index.jsx": COUNTER_APP % "v2",
        "demos/plain/v1/index.js": "document.body.append('no dependencies')\n",
    })
    manifest_for(project)
    result = run_cli("build", "--strict", cwd=project, env=cli_env())
    return Built(project, result.stdout + result.stderr, result.returncode)


def test_a_version_with_a_peer_conflict_builds_with_its_exact_pins(peer_conflict: Built) -> None:
    assert peer_conflict.returncode == 0, peer_conflict.output  # a warning, not a failure, even with --strict
    for ref in ("immer-counter/v1", "immer-counter/v2"):
        info = meta(peer_conflict.site, ref)
        assert info["dependencies"] == PEER_CONFLICT
        assert info["packages"]["immer"] == "1.7.3" and info["packages"]["react"] == "18.3.1"
        assert info["unmet_peers"] == UNMET
    assert "unmet_peers" not in meta(peer_conflict.site, "plain/v1")


def test_the_report_and_the_console_name_the_set_once(peer_conflict: Built) -> None:
    report = read_json(peer_conflict.project / "hybrid-report.json")
    assert report["counts"]["failed"] == 0 and report["counts"]["built"] == 3
    assert report["warnings"] == [{
        "kind": "unmet-peers",
        "message": report["warnings"][0]["message"],
        "dependencies": dict(sorted(PEER_CONFLICT.items())),
        "unmet_peers": UNMET,
        "versions": ["immer-counter/v1", "immer-counter/v2"],
    }]
    assert IMMER_WARNING in report["warnings"][0]["message"]
    logged = [line for line in peer_conflict.output.splitlines() if line.startswith("mkdocs-hybrid: warning:")]
    assert len(logged) == 1 and IMMER_WARNING in logged[0], peer_conflict.output
    summary = [line for line in peer_conflict.output.splitlines() if line.startswith("mkdocs-hybrid: 3 built")]
    assert len(summary) == 1 and summary[0].count(IMMER_WARNING) == 1, peer_conflict.output
    assert "(2 versions)" in summary[0]


def test_mkdocs_build_strict_logs_the_warning_once_and_succeeds(peer_conflict: Built, tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("demos", ".cache"):
        shutil.copytree(peer_conflict.project / name, project / name, symlinks=True)
    shutil.copy2(peer_conflict.project / "hybrid.yml", project / "hybrid.yml")
    write_tree(project, {"docs/index.md": "# Demos\n",
                         "mkdocs.yml": "site_name: Demos\nplugins:\n  - hybrid:\n      manifest: hybrid.yml\n"})
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=project, capture_output=True,
                            text=True, timeout=300, env=cli_env(NO_MKDOCS_2_WARNING="1"))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count(IMMER_WARNING) == 2, output  # the warning, and the summary line
    assert len([line for line in output.splitlines() if line.startswith("mkdocs-hybrid: warning:")]) == 1, output
    assert meta(project / "site", "immer-counter/v1")["unmet_peers"] == UNMET


def test_a_cached_set_reports_its_peers_without_running_npm(peer_conflict: Built, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def no_npm(command: list[str], **_: object) -> str:
        raise AssertionError(f"npm ran for a cached set: {command}")

    monkeypatch.setattr(dependencies, "_run", no_npm)
    export = Export(manifest_for(peer_conflict.project), ledger=False)
    export.run(tmp_path / "site")
    assert not export.report.failed
    assert [w.to_dict()["unmet_peers"] for w in export.report.warnings.values()] == [UNMET]
    assert meta(tmp_path / "site", "immer-counter/v2")["unmet_peers"] == UNMET


# ---- a local registry for tags, prereleases and peer edges -----------------------------------


@dataclass
class Registry:
    """A tiny npm registry: packuments and tarballs of packages defined in the test."""

    url: str = ""
    packuments: dict[str, dict[str, Any]] = field(default_factory=dict)
    tarballs: dict[str, bytes] = field(default_factory=dict)

    def publish(self, name: str, version: str, *, tag: str | None = None, **manifest: object) -> None:
        package = {"name": name, "version": version, "main": "index.js", **manifest}
        tarball = _tarball({"package.json": json.dumps(package),
                            "index.js": f"export const version = {json.dumps(f'{name}@{version}')}\n"})
        path = f"/{name}/-/{name}-{version}.tgz"
        self.tarballs[path] = tarball
        dist = {"tarball": self.url + path, "shasum": hashlib.sha1(tarball).hexdigest(),
                "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()}
        packument = self.packuments.setdefault(name, {"name": name, "dist-tags": {}, "versions": {}})
        packument["versions"][version] = {**package, "_id": f"{name}@{version}", "dist": dist}
        packument["dist-tags"].setdefault("latest", version)
        if tag:
            packument["dist-tags"][tag] = version


def _tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(f"package/{name}")
            member.size, member.mode = len(data), 0o644
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


@contextmanager
def running(served: Registry) -> Iterator[Registry]:
    """``served`` answering on a local port (its ``url`` set) until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            name = self.path.split("?")[0].lstrip("/").replace("%2f", "/").replace("%2F", "/")
            if self.path in served.tarballs:
                self._send(served.tarballs[self.path], "application/octet-stream")
            elif name in served.packuments:
                self._send(json.dumps(served.packuments[name]).encode(), "application/json")
            else:
                self._send(b'{"error":"Not found"}', "application/json", 404)

        def _send(self, body: bytes, kind: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A local registry that npm (run by the build) uses, with its own npm cache."""
    with running(Registry()) as served:
        monkeypatch.setenv("npm_config_registry", served.url + "/")
        monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
        yield served


def test_tags_and_prerelease_ranges_are_pinned_and_recorded(registry: Registry, tmp_path: Path) -> None:
    registry.publish("hy-tagged", "1.0.0")
    registry.publish("hy-tagged", "2.0.0-beta.3", tag="beta")
    registry.publish("hy-tagged", "2.0.0-rc.1", tag="next")
    for version in ("1.0.0", "2.0.0-beta.2", "2.0.0-beta.9", "2.0.0-beta.10"):
        registry.publish("hy-pre", version)
    app = "import {version as a} from 'hy-tagged'\nimport {version as b} from 'hy-pre'\n" \
          "document.body.append(a + ' ' + b)\n"
    write_tree(tmp_path, {
        "demos/tags/v1/package.json": json.dumps({"dependencies": {"hy-tagged": "next", "hy-pre": "^2.0.0-beta.2"}}),
        "demos/tags/v1/index.js": app,
        "demos/tags/v2/package.json": json.dumps({"dependencies": {"hy-tagged": "beta", "hy-pre": "2.0.0-beta.9"}}),
        "demos/tags/v2/index.js": app,
        "demos/tags/v3/package.json": json.dumps({"dependencies": {"hy-tagged": "latest", "hy-pre": "latest"}}),
        "demos/tags/v3/index.js": app,
    })
    export = Export(manifest_for(tmp_path), ledger=False)
    export.run(tmp_path / "site")
    assert not export.report.failed, [str(e) for e in export.report.failed]
    assert read_json(tmp_path / "hybrid-lock.json")["resolved"] == {
        "hy-pre@^2.0.0-beta.2": "2.0.0-beta.10",  # beta.10 is newer than beta.9 (numeric identifiers)
        "hy-pre@latest": "1.0.0",
        "hy-tagged@beta": "2.0.0-beta.3",
        "hy-tagged@latest": "1.0.0",
        "hy-tagged@next": "2.0.0-rc.1",
    }
    expected = {"v1": {"hy-pre": "2.0.0-beta.10", "hy-tagged": "2.0.0-rc.1"},
                "v2": {"hy-pre": "2.0.0-beta.9", "hy-tagged": "2.0.0-beta.3"},
                "v3": {"hy-pre": "1.0.0", "hy-tagged": "1.0.0"}}
    for version, pins in expected.items():
        info = meta(tmp_path / "site", f"tags/{version}")
        assert info["dependencies"] == pins and info["packages"] == pins
        assert "unmet_peers" not in info
        page = (tmp_path / "site" / "artifacts" / "tags" / version / "page.html").read_text(encoding="utf-8")
        vendor = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site" / "vendor").glob("*.js"))
        assert all(f"{name}@{pin}" in page + vendor for name, pin in pins.items())

    # The tag moves on the registry; the pinned version stays until hybrid-lock.json is edited.
    registry.publish("hy-tagged", "2.0.0-rc.2", tag="next")
    again = Export(manifest_for(tmp_path), ledger=False)
    again.run(tmp_path / "site")
    assert meta(tmp_path / "site", "tags/v1")["dependencies"]["hy-tagged"] == "2.0.0-rc.1"


def test_only_peer_edges_npm_rejects_are_reported(registry: Registry, tmp_path: Path) -> None:
    registry.publish("hy-core", "1.0.0")
    registry.publish("hy-core", "2.0.0")
    registry.publish("hy-absent", "1.0.0")
    registry.publish("hy-old", "1.0.0", peerDependencies={"hy-core": "^1.0.0"})
    registry.publish("hy-new", "1.0.0", peerDependencies={"hy-core": "^2.0.0", "hy-absent": "^1.0.0"})
    registry.publish("hy-opt", "1.0.0", peerDependencies={"hy-core": "1 || 2", "hy-absent": "^1.0.0"},
                     peerDependenciesMeta={"hy-absent": {"optional": True}})
    deps = {"hy-core": "2.0.0", "hy-old": "1.0.0", "hy-new": "1.0.0", "hy-opt": "1.0.0"}
    write_tree(tmp_path, {"demos/peers/v1/package.json": json.dumps({"dependencies": deps}),
                          "demos/peers/v1/index.js": "import {version} from 'hy-old'\ndocument.body.append(version)\n"})
    export = Export(manifest_for(tmp_path), ledger=False)
    export.run(tmp_path / "site")
    assert not export.report.failed, [str(e) for e in export.report.failed]
    assert meta(tmp_path / "site", "peers/v1")["unmet_peers"] == [
        {"package": "hy-absent", "wanted": "^1.0.0", "installed": None, "required_by": "hy-new@1.0.0"},
        {"package": "hy-core", "wanted": "^1.0.0", "installed": "2.0.0", "required_by": "hy-old@1.0.0"},
    ]
    assert "hy-new@1.0.0 wants hy-absent@^1.0.0 but it is missing" in export.report.summary()


MISSING = {
    "no package": ({"hy-nowhere": "^1.0.0"}, "no package named hy-nowhere on the registry: check the name "
                                             "(its spelling, and its @scope if it has one)"),
    "no such range": ({"hy-dated": "^99.0.0"}, "no version of hy-dated matches ^99.0.0 (latest: 1.11.23): pick a "
                                              "version that exists (`npm view hy-dated versions` lists them)"),
    "no such version": ({"hy-dated": "99.0.0"}, "no version of hy-dated matches 99.0.0 (latest: 1.11.23): pick a "
                                               "version that exists (`npm view hy-dated versions` lists them)"),
}


@pytest.mark.parametrize("case", sorted(MISSING))
def test_a_missing_package_or_version_is_one_plain_line_with_what_to_do(registry: Registry, tmp_path: Path,
                                                                         case: str) -> None:
    """npm's E404 (``npm view``/``npm install``) and ETARGET (``npm install`` of an exact pin) in plain words,
    with the registry's latest version; not npm's lines (``npm error code E404``, the debug-log path)."""
    registry.publish("hy-dated", "1.0.0")
    registry.publish("hy-dated", "1.11.23", tag="latest")
    specs, message = MISSING[case]
    manifest_for(tmp_path)
    write_tree(tmp_path, {"demos/gone/v1/package.json": json.dumps({"dependencies": specs}),
                          "demos/gone/v1/index.js": "import 'hy-dated'\n",
                          "demos/fine/v1/index.js": "document.title = 'fine'\n"})
    result = run_cli("build", "--strict", cwd=tmp_path, env=cli_env())
    assert result.returncode != 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if line.startswith("error ")]
    assert errors == [f"error gone/v1: {tmp_path / 'demos/gone/v1/package.json'}: {message}"], output
    assert "npm error" not in output and "complete log" not in output
    assert not (tmp_path / "hybrid-lock.json").exists() or "hy-dated" not in (tmp_path / "hybrid-lock.json").read_text()


# ---- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_the_peer_conflict_demo_renders_and_works_in_chromium(peer_conflict: Built) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.browser import CHROMIUM, LAUNCH_ARGS, PageProblems, serve_static

    assert peer_conflict.returncode == 0, peer_conflict.output
    with serve_static(peer_conflict.site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            problems = PageProblems().attach(page)
            page.goto(f"{base_url}/p/immer-counter/v1/")
            button = page.frame_locator("iframe").get_by_role("button")
            expect(button).to_have_text("v1 clicked 0", timeout=10_000)
            button.click()
            button.click()
            expect(button).to_have_text("v1 clicked 2")  # immer 1.7.3's produce, through use-immer 0.5.1
            page.wait_for_timeout(300)
            assert problems.messages == []
        finally:
            browser.close()
