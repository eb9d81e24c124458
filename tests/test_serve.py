"""``mkdocs serve``: editing one snapshot's source rebuilds it, and the server then stays idle.

A small project (two sample threads without npm dependencies) is served by the
real ``mkdocs serve`` with live reload on; the test edits one snapshot's
``index.html`` and polls the served artifact.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import read_yaml, write_yaml

from tests.factory import free_port

START_TIMEOUT = 60.0
REBUILD_TIMEOUT = 60.0
QUIET_PERIOD = 5.0
"""How long the server must stay idle after a rebuild (there is no event to wait for: nothing must happen)."""
POLL_INTERVAL = 0.2
BUILD_STARTED = "Building documentation"
REBUILD_FINISHED = "Reloading browsers"
"""Logged after each rebuild. (Not "Documentation built in 0.15 seconds": MkDocs drops a log line identical
to an earlier one, so a rebuild as fast as the first build logs nothing.)"""
SUMMARY = re.compile(r"mkdocs_hybrid: (\d+) built, (\d+) cached, (\d+) failed")


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def count(self, text: str) -> int:
        return sum(text in line for line in self.log().splitlines())

    def get(self, path: str) -> bytes | None:
        """The body of a 200 response, or ``None`` while the server cannot give one."""
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=5) as response:
                return response.read() if response.status == 200 else None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"mkdocs serve exited ({self.process.returncode}) before {what}; its log:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not happen within {timeout:.0f} s; mkdocs serve log:\n{self.log()}")
            time.sleep(POLL_INTERVAL)


def plain_threads(sample_project: Path) -> list[Path]:
    """Sample threads without npm dependencies whose versions are plain ``index.html`` demos."""
    directory = sample_project / "sample_projects"
    threads = []
    for thread in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
        versions = [p for p in thread.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if versions and all((v / "index.html").is_file() and not (v / "package.json").exists() for v in versions):
            threads.append(thread)
    return threads


def small_project(sample_project: Path, target: Path) -> Path:
    """mkdocs.yml + docs/ of the sample, and a hybrid.yml reading a copy of two of its threads."""
    threads = plain_threads(sample_project)[:2]
    assert len(threads) == 2, "the samples need two threads of plain HTML demos for this test"
    target.mkdir()
    shutil.copy2(sample_project / "mkdocs.yml", target / "mkdocs.yml")
    shutil.copytree(sample_project / "docs", target / "docs")
    shutil.copytree(sample_project / "overrides", target / "overrides")  # the theme's custom_dir
    for thread in threads:
        shutil.copytree(thread, target / "demos" / thread.name)
    manifest = read_yaml(sample_project / "hybrid.yml")
    manifest["sources"] = [{"type": "directory", "path": "demos"}]
    write_yaml(target / "hybrid.yml", manifest)
    return target


@pytest.fixture
def server(sample_project: Path, tmp_path: Path) -> Iterator[Server]:
    project = small_project(sample_project, tmp_path / "project")
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_MKDOCS_2_WARNING": "1"}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
            cwd=project, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield Server(process, f"http://127.0.0.1:{port}/", log_path)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C the server's process group (so it removes its temporary site), then kill it if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def with_marker(html: str, marker: str) -> str:
    paragraph = f'<p id="serve-test">{marker}</p>\n'
    edited, count = re.subn(r"(?i)</body>", lambda m: paragraph + m[0], html, count=1)
    return edited if count else html + paragraph


def test_editing_a_snapshot_rebuilds_it_without_a_rebuild_loop(server: Server, tmp_path: Path) -> None:
    project = tmp_path / "project"
    thread = sorted(p for p in (project / "demos").iterdir() if p.is_dir())[0]
    version = sorted(p for p in thread.iterdir() if p.is_dir() and not p.name.startswith("."))[-1]
    share_path = f"p/{thread.name}/{version.name}/"
    artifact_path = f"artifacts/{thread.name}/{version.name}/page.html"
    marker = "Edited while mkdocs serve was running"

    server.wait_for(lambda: server.get(share_path) is not None, START_TIMEOUT, f"serving /{share_path}")
    # On a loaded machine one request can time out; wait for the artifact rather than failing on it.
    server.wait_for(lambda: server.get(artifact_path) is not None, START_TIMEOUT, f"serving /{artifact_path}")
    before = server.get(artifact_path)
    assert before is not None and marker.encode() not in before, f"/{artifact_path} before the edit: {before!r}"

    # Replace the file in one step, as editors that save atomically do: one change, one rebuild.
    entry = version / "index.html"
    staged = tmp_path / "index.html.new"
    staged.write_text(with_marker(entry.read_text(encoding="utf-8"), marker), encoding="utf-8")
    os.replace(staged, entry)

    server.wait_for(lambda: marker.encode() in (server.get(artifact_path) or b""), REBUILD_TIMEOUT,
                    f"the edit showing in /{artifact_path}")
    server.wait_for(lambda: server.count(REBUILD_FINISHED) >= server.count(BUILD_STARTED) - 1, REBUILD_TIMEOUT,
                    "the rebuild finishing")
    builds = server.count(BUILD_STARTED)
    assert builds >= 2, f"the edit was served without a rebuild?\n{server.log()}"

    deadline = time.monotonic() + QUIET_PERIOD
    while time.monotonic() < deadline:
        assert server.count(BUILD_STARTED) == builds, \
            f"mkdocs serve rebuilt again with no change (a rebuild loop):\n{server.log()}"
        assert server.process.poll() is None, f"mkdocs serve exited:\n{server.log()}"
        time.sleep(POLL_INTERVAL)
    summaries = SUMMARY.findall(server.log())
    versions = sum(1 for t in (project / "demos").iterdir() for v in t.iterdir() if v.is_dir())
    assert summaries[-1] == ("1", str(versions - 1), "0"), \
        f"the rebuild should bundle only the edited snapshot:\n{server.log()}"
