"""One version that makes esbuild read forever (a device, a pipe) fails alone and quickly; the others build.

Inside the sandbox there is no device to read. Without it (``MKDOCS_HYBRID_SANDBOX=off``), esbuild's memory cap
and its time limit, both sized to the batch, stop the call; the batch is then built one version at a time, so
the hung version costs one small limit more, and every other version is still built.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from mkdocs_hybrid.bundle import confinement
from mkdocs_hybrid.bundle.bundler import Bundle, BundleJob, bundle_jobs
from mkdocs_hybrid.bundle.confinement import SANDBOX_ENV, Budget, sandbox_in_use
from mkdocs_hybrid.bundle.dependencies import InstalledSet
from mkdocs_hybrid.bundle.toolchain import Toolchain, find_toolchain
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot
from tests.bundle.test_bundler import snap
from tests.factory import REPO, write_tree

UP = "../" * 16  # from any build root, up to the file system's root


def package_deps(tmp_path: Path) -> InstalledSet:
    modules = write_tree(tmp_path / "node_modules", {"pkg/package.json": '{"name": "pkg", "main": "index.js"}',
                                                     "pkg/index.js": "export default 1\n"})
    return InstalledSet(direct={"pkg": "1.0.0"}, node_modules=modules)


DEVICE_ROUTES = {
    "absolute": {"index.js": 'import z from "/dev/zero"\nconsole.log(z)\n'},
    "climbing": {"index.js": f'import z from "{UP}dev/zero"\nconsole.log(z)\n'},
    "package-subpath": {"index.js": f'import z from "pkg/{UP}dev/zero"\nconsole.log(z)\n'},
    "css-url": {"index.js": 'import "./a.css"\n', "a.css": ".a { background: url(/dev/urandom) }\n"},
    "css-import": {"index.js": 'import "./a.css"\n', "a.css": '@import "/dev/zero";\n.a { color: red }\n'},
}
GOOD = [snap(f"good/v{i}", {"index.js": f"document.title = 'demo {i}'\n"}) for i in range(3)]


def build(snapshots: list[Snapshot], deps: InstalledSet, toolchain: Toolchain | None = None
          ) -> dict[str, Bundle | SnapshotError]:
    results: dict[str, Bundle | SnapshotError] = {}
    bundle_jobs([BundleJob(s, deps) for s in snapshots], toolchain or find_toolchain(REPO), BuildOptions(),
                lambda job, outcome: results.__setitem__(job.snapshot.ref, outcome))
    return results


def assert_good_built(results: dict[str, Bundle | SnapshotError]) -> None:
    for snapshot in GOOD:
        assert isinstance(results[snapshot.ref], Bundle), results[snapshot.ref]


def test_a_device_import_fails_alone_in_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox has no /dev: every route to a device finds no file, at once."""
    monkeypatch.setenv(SANDBOX_ENV, "on")
    assert sandbox_in_use(), "bubblewrap cannot make a sandbox here: run scripts/install.sh"
    devices = [snap(f"{route}/v1", files) for route, files in DEVICE_ROUTES.items()]
    results = build([*devices[:2], *GOOD, *devices[2:]], package_deps(tmp_path))
    assert_good_built(results)
    for device in devices:
        error = str(results[device.ref])
        assert error.startswith(f"{device.ref}: import \"") and "is not a file of the snapshot" in error, error


@pytest.mark.slow
def test_without_the_sandbox_a_device_import_runs_out_of_memory_alone(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SANDBOX_ENV, "off")
    devices = [snap(f"{route}/v1", files) for route, files in DEVICE_ROUTES.items()]
    results = build([*devices[:2], *GOOD, *devices[2:]], package_deps(tmp_path))
    assert_good_built(results)
    for device in devices:
        error = str(results[device.ref])
        assert error.startswith(f"{device.ref}: esbuild ran out of memory (") and "for this version" in error, error
        assert "import only the snapshot's own files" in error


@pytest.mark.slow
def test_without_the_sandbox_a_pipe_runs_out_of_time_and_the_batch_is_not_bisected(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO blocks esbuild without using memory: the time limit stops it. The stopped batch is then built one
    version at a time (one more call per version), never bisected into halves that each wait out a limit."""
    monkeypatch.setenv(SANDBOX_ENV, "off")  # the logging esbuild below is a shell script
    monkeypatch.setattr(confinement, "BASE_SECONDS", 2.0)
    monkeypatch.setattr(confinement, "SECONDS_PER_VERSION", 0.5)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    calls = tmp_path / "calls"
    real = find_toolchain(REPO)
    logging = tmp_path / "esbuild"
    logging.write_text(f'#!/bin/sh\necho "$#" >> "{calls}"\nexec "{real.esbuild}" "$@"\n')
    logging.chmod(0o755)
    hung = snap("pipe/v1", {"index.js": f'import p from "{fifo}"\nconsole.log(p)\n'})
    more = [snap(f"good/v{i}", {"index.js": f"document.title = 'demo {i}'\n"}) for i in range(3, 8)]
    results = build([*GOOD, hung, *more], InstalledSet(direct={}), replace(real, esbuild=logging))
    assert_good_built(results)
    assert all(isinstance(results[s.ref], Bundle) for s in more)
    error = str(results["pipe/v1"])
    assert error.startswith("pipe/v1: esbuild ran out of time (3 s for this version) and was stopped: "), error
    assert len(calls.read_text().split()) == 1 + 9, "the batch once, then each of its 9 versions alone, once"


def test_the_budget_grows_with_the_work() -> None:
    """Not ten minutes for one small demo: a base, plus terms per version and per byte of the versions' files."""
    small = Budget.for_work(versions=1, input_bytes=2_000)
    batch = Budget.for_work(versions=50, input_bytes=100_000)
    large = Budget.for_work(versions=50, input_bytes=50 * 1024 * 1024)
    assert small.seconds <= 20 and small.memory <= 1024**3
    assert small.seconds < batch.seconds < large.seconds
    assert small.memory < batch.memory <= large.memory
