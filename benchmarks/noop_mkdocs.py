"""No-op ``mkdocs build`` of the gallery, and one with 1% new versions, against plain MkDocs in the same run.

    python benchmarks/noop_mkdocs.py [--count 500] [--runs 3] [--code DIR] [--keep DIR]

Generates ``--count`` synthetic versions with ``bulk.py``'s generator, builds them once with ``mkdocs build``
(search and the hybrid plugin, untimed: the cold build), settles them with one untimed no-op (as ``noop_cli.py``
does), then times, alternating run by run:

- ours: a no-op ``mkdocs build``; then, in a second series, one after 1% of the versions were saved as new
  versions (each round adds new ones, untimed, before its build);
- the floor: plain MkDocs with search (no plugin) building as many small out-of-nav pages as the gallery
  has (its index pages and one per thread), right after ours.

Each figure is the median of ``--runs``, as wall seconds and as CPU seconds of the ``mkdocs`` process tree
(fairer on a shared machine), with the ratio and the issue's target (1.25x) beside it and the load average
taken before each pair. ``--code DIR`` runs ``mkdocs`` against another checkout of mkdocs-hybrid (its
``PYTHONPATH``), to measure the code before a change on the same corpus and machine.
The children write bytecode, as an installed package has it (``PYTHONDONTWRITEBYTECODE`` is removed from their
environment).

Then one more no-op build of each, and one with 1% new versions, in-process and instrumented, split the CPU
seconds (no profiler, whose overhead would distort the split): mkdocs-hybrid's imports, the export
(``Export.run``, the core pipeline), the plugin's own event work (gallery pages, search text, social tags,
site-folder keeping), start-up and MkDocs' own work (imports, Markdown, theme, search index, sitemap,
copying), and the subprocesses (esbuild, the capture browser, tool probes).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from process_cpu import become_subreaper, reap_orphans, tree_cpu  # noqa: E402

TARGET = 1.25
"""Issue 24's target: at most this many times plain MkDocs."""

OURS_YML = ("site_name: bench\ntheme: {name: mkdocs, highlightjs: false}\n"
            "plugins: [search, {hybrid: {manifest: hybrid.yml}}]\n")
Sample = tuple[float, float, float]
"""CPU seconds, wall seconds, 1-minute load average before the run."""


def environment(code: Path) -> dict[str, str]:
    """The children's environment: ``code`` first on the path, and bytecode written as an installed package has
    it (a shell's ``PYTHONDONTWRITEBYTECODE`` would make every start compile our modules again)."""
    return {**{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPATH": str(code)}


def mkdocs(folder: Path, code: Path) -> Sample:
    """One ``mkdocs build -q`` in ``folder`` with ``code`` on the path: its tree's CPU and wall seconds."""
    load = os.getloadavg()[0]
    cpu, wall = tree_cpu([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=folder, env=environment(code))
    return cpu, wall, load


def settle(project: Path, code: Path, tries: int = 3) -> None:
    """Untimed builds until one takes the whole-build short cut (its report's only timing is ``unchanged``): the
    build right after new versions is a full one, and so can be the next (new files are trusted by their stat
    only once a little older, ``model/files.py``'s ``RACY_SECONDS``)."""
    for _ in range(tries):
        mkdocs(project, code)
        if "unchanged" in json.loads((project / "hybrid-report.json").read_text()).get("timings", {}):
            return
    print(f"note: no build took the whole-build short cut in {tries} tries (code before it?)", file=sys.stderr)


def ours(root: Path) -> Path:
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs/index.md").write_text("# Bench\n")
    (root / "mkdocs.yml").write_text(OURS_YML)
    return root


def series(runs: int, before: Callable[[int], None], project: Path, floor: Path,
           code: Path) -> list[tuple[Sample, Sample]]:
    """``runs`` pairs (ours, then the floor), ``before(run)`` untimed ahead of each."""
    pairs = []
    for run in range(runs):
        before(run)
        pairs.append((mkdocs(project, code), mkdocs(floor, code)))
    return pairs


def row(name: str, pairs: list[tuple[Sample, Sample]]) -> str:
    def median(index: int, side: int) -> float:
        return statistics.median(pair[side][index] for pair in pairs)

    cpu, wall, floor_cpu, floor_wall = median(0, 0), median(1, 0), median(0, 1), median(1, 1)
    loads = "/".join(f"{pair[0][2]:.1f}" for pair in pairs)
    runs = " ".join(f"{a[1] / b[1]:.2f}" for a, b in pairs)
    return (f"{name:24} {wall:7.2f} {floor_wall:7.2f} {wall / floor_wall:6.2f}x {cpu:7.2f} {floor_cpu:7.2f} "
            f"{cpu / floor_cpu:6.2f}x {TARGET:5.2f}x  {runs:16} {loads}")


HOOKS = ("on_config", "on_pre_build", "on_files", "on_env", "on_page_content", "on_post_page", "on_post_build")


def split_child() -> None:
    """In this process: one ``mkdocs build -q`` of the current folder, printing its CPU split as JSON."""
    cpu: dict[str, float] = {"mkdocs-hybrid imports": 0.0, "export (core pipeline)": 0.0, "plugin events": 0.0}

    def timed_in(part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                cpu[part] += time.process_time() - start
        return wrapper

    # MkDocs' own imports (what a build with search loads) count as start-up, as in the floor.
    import mkdocs.commands.build
    import mkdocs.contrib.search  # noqa: F401
    from mkdocs.__main__ import cli
    from mkdocs.plugins import CombinedEvent

    if (Path.cwd() / "hybrid.yml").is_file():
        start = time.process_time()
        from mkdocs_hybrid.pipeline import Export
        from mkdocs_hybrid.plugin import HybridPlugin
        cpu["mkdocs-hybrid imports"] = time.process_time() - start
        for hook in HOOKS:
            setattr(HybridPlugin, hook, timed_in("plugin events", getattr(HybridPlugin, hook)))
        HybridPlugin.on_page_context = CombinedEvent(  # type: ignore[assignment]
            *(timed_in("plugin events", method) for method in HybridPlugin.on_page_context.methods))
        Export.run = timed_in("export (core pipeline)", Export.run)  # type: ignore[method-assign]
    become_subreaper()  # a browser's orphaned children count too
    cli.main(["build", "-q"], standalone_mode=False)
    reap_orphans()
    usage, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    cpu["plugin events"] -= cpu["export (core pipeline)"]  # on_files runs the export
    cpu["start-up, MkDocs' own work"] = total - sum(cpu.values())
    cpu["subprocesses (esbuild, Chromium, probes)"] = children.ru_utime + children.ru_stime
    cpu["total"] = total + cpu["subprocesses (esbuild, Chromium, probes)"]
    print(json.dumps(cpu))


def split(folder: Path, code: Path) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--split-child"]
    out = subprocess.run(command, cwd=folder, env=environment(code), check=True,
                         capture_output=True, text=True).stdout
    parts: dict[str, float] = json.loads(out.splitlines()[-1])
    return parts


def split_rows(title: str, project: Path, floor: Path, code: Path) -> list[str]:
    ours_parts, floor_parts = split(project, code), split(floor, code)
    floor_total = floor_parts["total"]
    lines = [f"CPU split of one in-process {title} (load {os.getloadavg()[0]:.1f}): ours, floor"]
    for name, seconds in ours_parts.items():
        floor_seconds = floor_parts.get(name, 0.0)
        lines.append(f"  {name:42} {seconds:6.2f} {floor_seconds:6.2f}   {seconds / floor_total:5.2f} x floor total")
    return lines


def main() -> None:
    if sys.argv[1:] == ["--split-child"]:
        split_child()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500, help="synthetic versions (4 per thread)")
    parser.add_argument("--runs", type=int, default=3, help="pairs per series (the median is reported)")
    parser.add_argument("--code", type=Path, default=REPO, help="mkdocs-hybrid checkout to measure")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    args = parser.parse_args()
    # Imported here: bulk puts this checkout first on sys.path.
    from bulk import change_one_percent, generate, plain_mkdocs_project

    root = args.keep or Path(tempfile.mkdtemp(prefix="hybrid-noop-mkdocs-"))
    if not (root / "hybrid.yml").exists():  # a kept corpus is reused as it is (with the versions it gained)
        generate(root, args.count, 0.3)
    project = ours(root)
    mkdocs(project, args.code)  # the cold build (npm install included), untimed
    pages = sum(1 for _ in (root / "site" / "gallery").rglob("index.html"))
    floor = plain_mkdocs_project(root, pages)
    mkdocs(floor, args.code)  # warms the floor's files as ours are warm
    settle(project, args.code)  # untimed no-ops settle the indexes (the cold build's sources were too fresh)
    noop = series(args.runs, lambda _: None, project, floor, args.code)
    added = series(args.runs, lambda run: change_one_percent(root, 50 + run), project, floor, args.code)
    print(f"{args.count} versions, {pages} gallery pages, {os.cpu_count()} CPUs, code: {args.code}")
    print(f"{'median of ' + str(args.runs):24} {'wall s':>7} {'floor':>7} {'ratio':>7} {'CPU s':>7} {'floor':>7} "
          f"{'ratio':>7} {'target':>6}  {'wall ratio/run':16} load")
    print(row("no-op mkdocs build", noop))
    print(row("1% new versions", added))
    settle(project, args.code)  # the 1% series' last build was a full one: the split is of a no-op
    for line in split_rows("no-op build", project, floor, args.code):
        print(line)
    change_one_percent(root, 50 + args.runs)
    for line in split_rows("build with 1% new versions", project, floor, args.code):
        print(line)
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
