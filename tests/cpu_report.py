"""Where the suite's time goes, per test file: ``pytest -p tests.cpu_report`` (opt-in; also under pytest-xdist).

CPU-seconds are the test process's own plus those of the child processes it reaped meanwhile (builds, esbuild,
Node, moto's server): on a shared 2-core machine they are a fairer figure than wall time, which other load
stretches. A process that outlives its file (a session fixture's) is counted where it is reaped; one that is never
reaped by a process of the test's is not counted at all (Chromium under Playwright's driver: a browser file's
figure is about half its real one). For exact totals run pytest inside a cgroup of its own and read the cgroup's
CPU usage. The table goes to the terminal, heaviest file first, and to ``$CPU_REPORT`` as tab-separated lines
when that is set.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

import pytest

_FILES: dict[str, list[float]] = {}
"""Test file -> [wall seconds, own CPU-seconds, reaped children's CPU-seconds], in this process."""
_CURRENT: dict[str, Any] = {}


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _close_current() -> None:
    if "path" not in _CURRENT:
        return
    wall, (own, children) = time.monotonic() - _CURRENT["wall"], _cpu()
    totals = _FILES.setdefault(_CURRENT.pop("path"), [0.0, 0.0, 0.0])
    totals[0] += wall
    totals[1] += own - _CURRENT["own"]
    totals[2] += children - _CURRENT["children"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    path = item.nodeid.split("::", 1)[0]  # the file, relative to the rootdir
    if _CURRENT.get("path") != path:
        _close_current()
        own, children = _cpu()
        _CURRENT.update(path=path, wall=time.monotonic(), own=own, children=children)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _close_current()  # also counts the module teardowns of the last file
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["cpu_report"] = {path: list(totals) for path, totals in _FILES.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for path, totals in getattr(node, "workeroutput", {}).get("cpu_report", {}).items():
        mine = _FILES.setdefault(path, [0.0, 0.0, 0.0])
        for index, value in enumerate(totals):
            mine[index] += value


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FILES:
        return
    rows = sorted(_FILES.items(), key=lambda row: -(row[1][1] + row[1][2]))
    terminalreporter.section("CPU-seconds per test file (own + reaped children)")
    terminalreporter.write_line(f"{'cpu':>8} {'own':>7} {'child':>7} {'wall':>8}  file")
    for path, (wall, own, children) in rows:
        terminalreporter.write_line(f"{own + children:8.1f} {own:7.1f} {children:7.1f} {wall:8.1f}  {path}")
    cpu, wall = sum(own + children for _, own, children in _FILES.values()), sum(w for w, _, _ in _FILES.values())
    terminalreporter.write_line(f"{cpu:8.1f} {'':7} {'':7} {wall:8.1f}  all {len(rows)} files")
    if target := os.environ.get("CPU_REPORT"):
        Path(target).write_text("".join(f"{path}\t{wall:.1f}\t{own:.1f}\t{children:.1f}\n"
                                        for path, (wall, own, children) in rows), encoding="utf-8")
