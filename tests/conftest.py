"""Shared fixtures: a frozen copy of the sample project and real ``mkdocs build`` runs of it.

Every build runs in a copy under pytest's temporary folder, so the bundle cache
(``build.cache_dir``, relative to the manifest), ``hybrid-lock.json`` and
``hybrid-report.json`` never touch the repository.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkdocs_hybrid.edge.unlisted import KEY_ENV

# Unlisted versions need a key (their paths are HMACs); the tests' own, inherited by every build they start.
# Tests of what happens without one remove it.
os.environ.setdefault(KEY_ENV, "tests-only-unlisted-key-0123456789abcdef")
# Posters would start Chromium in every test build: the media tests turn them on where they test them.
os.environ.setdefault("MKDOCS_HYBRID_MEDIA", "off")
from playwright.sync_api import Browser, sync_playwright

REPO = Path(__file__).resolve().parent.parent

SOURCE_DATE_EPOCH = "1767225600"
"""2026-01-01T00:00:00Z: the build date MkDocs writes (sitemap) when it honours SOURCE_DATE_EPOCH."""

PROJECT_ITEMS = ("mkdocs.yml", "hybrid.yml", "docs", "overrides", "sample_projects", "exports", "hybrid-lock.json")
OPTIONAL_ITEMS = frozenset({"hybrid-lock.json"})
LOCK_FILE = "hybrid-lock.json"
DEFAULT_CACHE_DIR = ".cache/mkdocs-hybrid"
BUILD_TIMEOUT = 600


def copy_project(source: Path, target: Path) -> Path:
    """Copy the files of a MkDocs + mkdocs-hybrid project (not its site or cache) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_ITEMS:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name)
        elif path.is_file():
            shutil.copy2(path, target / name)
        elif name not in OPTIONAL_ITEMS:
            raise FileNotFoundError(f"{path} is missing: the sample project needs it")
    return target


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def set_theme(project_dir: Path, theme: str) -> None:
    """Switch the project's theme; material gets ``font: false`` so no page loads Google Fonts."""
    config_path = project_dir / "mkdocs.yml"
    config = read_yaml(config_path)
    current = config.get("theme")
    current_name = current.get("name") if isinstance(current, dict) else current
    if current_name == theme:
        return
    config["theme"] = {"name": "material", "font": False} if theme == "material" else {"name": theme}
    write_yaml(config_path, config)


def cache_dir(project_dir: Path) -> Path:
    """The project's ``build.cache_dir`` (relative to ``hybrid.yml``)."""
    manifest_path = project_dir / "hybrid.yml"
    manifest = (read_yaml(manifest_path) or {}) if manifest_path.is_file() else {}
    return project_dir / ((manifest.get("build") or {}).get("cache_dir") or DEFAULT_CACHE_DIR)


def seed_dependencies(built_project: Path, project_dir: Path) -> None:
    """Reuse the npm installs and version pins of an earlier build (not its bundles).

    npm installs cost most of a fresh build's time; the bundles are still built
    from scratch, so the build stays a real, full one.
    """
    installs = cache_dir(built_project) / "deps"
    if installs.is_dir():
        shutil.copytree(installs, cache_dir(project_dir) / "deps", symlinks=True)
    lock = built_project / LOCK_FILE
    if lock.is_file() and not (project_dir / LOCK_FILE).exists():
        shutil.copy2(lock, project_dir / LOCK_FILE)


def site_dir(project_dir: Path) -> Path:
    """The project's ``site_dir`` (MkDocs resolves it against the folder of ``mkdocs.yml``)."""
    return project_dir / (read_yaml(project_dir / "mkdocs.yml").get("site_dir") or "site")


def build_site(project_dir: Path, *, theme: str = "mkdocs", strict: bool = False,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``mkdocs build`` in ``project_dir``; the caller checks the return code."""
    set_theme(project_dir, theme)
    command = [sys.executable, "-m", "mkdocs", "build"]
    if strict:
        command.append("--strict")
    run_env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        # mkdocs-material prints a multi-line notice about MkDocs 2.0 on every run.
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
        # The plugin under test is this checkout's, whatever copy pip last installed in editable mode.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **(env or {}),
    }
    return subprocess.run(command, cwd=project_dir, env=run_env, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    """Everything a user saw on the console (MkDocs logs to stderr)."""
    return (result.stdout or "") + (result.stderr or "")


def _built_site(sample_project: Path, target: Path, theme: str, *, seed_from: Path | None = None) -> Path:
    project = copy_project(sample_project, target)
    if seed_from is not None:
        seed_dependencies(seed_from, project)
    result = build_site(project, theme=theme)
    assert result.returncode == 0, f"mkdocs build ({theme}) failed:\n{output_of(result)}"
    return site_dir(project)


def _once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path]) -> Path:
    """``make(folder)`` once per test run: under pytest-xdist the first worker to ask makes it in the run's shared
    temporary folder and the others wait for it and reuse it (read-only, as every session fixture is); run
    alone, a session temporary folder as before."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder; each worker's basetemp is in it
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if make() fails
        made, failed = shared / f"{name}.made", shared / f"{name}.failed"
        if failed.is_file():
            pytest.fail(f"{name} failed in another worker: see the first error about it")
        if made.is_file():
            return Path(made.read_text(encoding="utf-8"))
        try:
            result = make(shared / name)
        except BaseException:
            failed.touch()
            raise
        made.write_text(str(result), encoding="utf-8")
        return result


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A frozen copy of the repository's sample project; never built in, copy it again to build."""
    return _once_per_run(tmp_path_factory, "sample-project", lambda target: copy_project(REPO, target))


@pytest.fixture
def project_copy(sample_project: Path, tmp_path: Path) -> Path:
    """A fresh, never-built copy of the sample project for one test to change and build."""
    return copy_project(sample_project, tmp_path / "project")


@pytest.fixture
def seeded_project(sample_project: Path, sample_site_mkdocs: Path, tmp_path: Path) -> Path:
    """Like ``project_copy``, with the npm installs of the session's first build already in its cache."""
    project = copy_project(sample_project, tmp_path / "project")
    seed_dependencies(sample_site_mkdocs.parent, project)
    return project


@pytest.fixture(scope="session")
def sample_site_mkdocs(sample_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site built once with MkDocs' default theme; ``.parent`` is its project."""
    return _once_per_run(tmp_path_factory, "site-mkdocs",
                         lambda target: _built_site(sample_project, target, "mkdocs"))


@pytest.fixture(scope="session")
def sample_site_material(sample_project: Path, sample_site_mkdocs: Path,
                         tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site built once with mkdocs-material; ``.parent`` is its project."""
    return _once_per_run(tmp_path_factory, "site-material",
                         lambda target: _built_site(sample_project, target, "material",
                                                    seed_from=sample_site_mkdocs.parent))


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the stat of files written a moment ago (tests cannot wait out the stat index's racy window)."""
    from mkdocs_hybrid.model import files as stat_index

    monkeypatch.setattr(stat_index, "RACY_SECONDS", -60)


@pytest.fixture
def full_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every build takes the full path, never the whole-build short cut (``whole_build.py``): for tests of what the
    full path's own indexes skip on a rebuild."""
    from mkdocs_hybrid import whole_build
    from mkdocs_hybrid.publish.unchanged import Decision

    monkeypatch.setattr(whole_build, "decide", lambda *args: Decision(False, "turned off by the test"))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, one per test module (a module that starts Playwright itself must
    not use this: one thread runs one Playwright)."""
    from tests.browser import CHROMIUM, LAUNCH_ARGS

    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium-headless-shell")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


HEAVY_MARKS = ("slow", "browser", "wrangler", "wasm")
"""Marks of the long tests, in the order their files start under pytest-xdist."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, files with long tests first (a file runs whole on one worker, ``--dist loadfile``): a
    long file that started last would leave the other workers idle while it runs. Files keep their tests' order."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    rank: dict[Path, int] = {}
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        item_rank = min((HEAVY_MARKS.index(name) for name in marks & set(HEAVY_MARKS)), default=len(HEAVY_MARKS))
        rank[item.path] = min(rank.get(item.path, item_rank), item_rank)
    items.sort(key=lambda item: rank[item.path])  # stable: same-rank files and each file's tests keep their order


_WORKER_EXAMPLES: Counter[str] = Counter()
"""Fuzz examples counted by pytest-xdist's workers, added up in the controlling process."""


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand this worker's fuzz example counts to the controlling process."""
    harness = sys.modules.get("tests.fuzz.harness")
    workeroutput = getattr(session.config, "workeroutput", None)
    if harness is not None and workeroutput is not None:
        workeroutput["fuzz_examples"] = dict(harness.EXAMPLES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker finished; keep its fuzz example counts for the summary."""
    _WORKER_EXAMPLES.update(getattr(node, "workeroutput", {}).get("fuzz_examples", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many examples the fuzz tests ran (tests/fuzz/harness.py), for the record of each run."""
    if _WORKER_EXAMPLES:
        from tests.fuzz import harness as fuzz_harness  # the controlling process ran none itself

        fuzz_harness.EXAMPLES.update(_WORKER_EXAMPLES)
    harness = sys.modules.get("tests.fuzz.harness")
    for line in harness.summary_lines() if harness else []:
        terminalreporter.write_line(line)

# The Convex stand-in (tests/convex_standin/): the `convex_standin` fixture, a local deployment running convex/.
from tests.convex_standin.fixture import convex_standin  # noqa: E402,F401
