"""No-op ``mkdocs-hybrid build`` (and, at scale, no-op ``mkdocs build``) against its floor, in the same run.

    python benchmarks/noop_cli.py [--count 500] [--runs 3] [--code DIR] [--keep DIR] [--no-media] [--mkdocs]

Generates ``--count`` synthetic versions with ``bulk.py``'s generator (4 per thread; 50,000 makes the issue's
12,500 threads), builds them once (untimed: the cold build, posters included unless ``--no-media``), runs one
untimed no-op to settle the indexes, then times, alternating run by run:

- ours: a no-op ``mkdocs-hybrid build -q`` (``--no-media`` passed on when given), as its own process;
- the floor: the CLI's own start-up (``mkdocs-hybrid --version``, its own process) plus a walk and ``lstat`` of
  every entry of the sources (``os.walk``, as a scan must see every file to notice a change);
- with ``--mkdocs``: a no-op ``mkdocs build -q`` of the same corpus with the hybrid plugin and search (built
  cold once, untimed), against the same floor.

Each figure is the median of ``--runs``, as wall seconds and as CPU seconds of the process tree (fairer on a
shared machine), with the ratio and the issue's target beside it and the load average taken before each run.
``--code DIR`` runs against another checkout of mkdocs-hybrid (its ``PYTHONPATH``), to measure the code before a
change; keep one corpus per checkout (``--keep``): each build leaves its own caches. The child processes write
bytecode as an installed package has it (``PYTHONDONTWRITEBYTECODE`` is removed from their environment).

After the timed runs, one more no-op prints the report's phase timings (``hybrid-report.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from process_cpu import tree_cpu  # noqa: E402

SMALL_TARGET_SECONDS = 0.5
"""Issue 24: a no-op CLI build of 500 versions in at most half a second."""
SCALE_TARGET_RATIO = 3.0
"""Issue 24: a no-op at 50,000 versions at most 3x the walk and stat of its inputs."""
CLI = "import sys; from mkdocs_hybrid.cli import main; sys.argv[0] = 'mkdocs-hybrid'; main()"
MKDOCS_YML = ("site_name: bench\ntheme: {name: mkdocs, highlightjs: false}\n"
              "plugins: [search, {hybrid: {manifest: hybrid.yml}}]\n")

Sample = tuple[float, float, float]
"""CPU seconds, wall seconds, 1-minute load average before the run."""


def environment(code: Path, media: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(code)
    if not media:
        env["MKDOCS_HYBRID_MEDIA"] = "off"  # the plugin's switch; the CLI also gets --no-media
    return env


def cli(folder: Path, code: Path, media: bool, *arguments: str) -> Sample:
    load = os.getloadavg()[0]
    cpu, wall = tree_cpu([sys.executable, "-c", CLI, *arguments], cwd=folder, env=environment(code, media),
                         stdout=subprocess.DEVNULL)
    return cpu, wall, load


def build(folder: Path, code: Path, media: bool) -> Sample:
    return cli(folder, code, media, "build", "-q", *([] if media else ["--no-media"]))


def mkdocs(folder: Path, code: Path, media: bool) -> Sample:
    load = os.getloadavg()[0]
    cpu, wall = tree_cpu([sys.executable, "-m", "mkdocs", "build", "-q", "-d", "mkdocs-site"], cwd=folder,
                         env=environment(code, media))
    return cpu, wall, load


def walk_and_stat(root: Path) -> tuple[Sample, int]:
    """Every entry under ``root`` listed and ``lstat``-ed: what noticing any change costs at least."""
    load = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    count = 0
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            os.lstat(os.path.join(folder, name))
            count += 1
    return (time.process_time() - cpu_started, time.perf_counter() - started, load), count


def floor(root: Path, code: Path, media: bool) -> tuple[Sample, int]:
    start_up = cli(root, code, media, "--version")
    walked, count = walk_and_stat(root / "demos")
    return (start_up[0] + walked[0], start_up[1] + walked[1], start_up[2]), count


def row(name: str, pairs: list[tuple[Sample, Sample]], target: str) -> str:
    def median(index: int, side: int) -> float:
        return statistics.median(pair[side][index] for pair in pairs)

    cpu, wall, floor_cpu, floor_wall = median(0, 0), median(1, 0), median(0, 1), median(1, 1)
    loads = "/".join(f"{pair[0][2]:.1f}" for pair in pairs)
    runs = " ".join(f"{a[1]:.2f}/{b[1]:.2f}" for a, b in pairs)
    return (f"{name:22} {wall:7.2f} {floor_wall:7.2f} {wall / floor_wall:6.2f}x {cpu:7.2f} {floor_cpu:7.2f} "
            f"{cpu / floor_cpu:6.2f}x  {target:9} {runs:30} {loads}")


def prepare(root: Path, count: int, code: Path, media: bool, with_mkdocs: bool) -> None:
    """The corpus, built cold once (and settled by one no-op): kept across runs of this script by ``--keep``."""
    from bulk import generate  # here: it puts this checkout first on sys.path

    if not (root / "demos").is_dir():
        generate(root, count, 0.3)
    if not (root / "site").is_dir():
        build(root, code, media)
    build(root, code, media)
    if with_mkdocs:
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs/index.md").write_text("# Bench\n")
        (root / "mkdocs.yml").write_text(MKDOCS_YML)
        if not (root / "mkdocs-site").is_dir():
            mkdocs(root, code, media)
        mkdocs(root, code, media)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500, help="synthetic versions (4 per thread)")
    parser.add_argument("--runs", type=int, default=3, help="runs per series (the median is reported)")
    parser.add_argument("--code", type=Path, default=REPO, help="mkdocs-hybrid checkout to measure")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    parser.add_argument("--no-media", action="store_true", help="no posters (the issue's 50,000 row has none)")
    parser.add_argument("--mkdocs", action="store_true", help="also a no-op mkdocs build with the plugin")
    args = parser.parse_args()
    media = not args.no_media
    root = args.keep or Path(tempfile.mkdtemp(prefix="hybrid-noop-cli-"))
    prepare(root, args.count, args.code, media, args.mkdocs)
    cli_pairs, mkdocs_pairs = [], []
    count = 0
    for _ in range(args.runs):
        cli_pairs.append((build(root, args.code, media), (bottom := floor(root, args.code, media))[0]))
        count = bottom[1]
        if args.mkdocs:
            mkdocs_pairs.append((mkdocs(root, args.code, media), floor(root, args.code, media)[0]))
    target = f"<= {SMALL_TARGET_SECONDS} s" if args.count <= 1000 else f"<= {SCALE_TARGET_RATIO:.0f}x"
    print(f"{args.count} versions, {count:,} source entries walked, media {'on' if media else 'off'}, "
          f"{os.cpu_count()} CPUs, code: {args.code}")
    print(f"{'median of ' + str(args.runs):22} {'wall s':>7} {'floor':>7} {'ratio':>7} {'CPU s':>7} {'floor':>7} "
          f"{'ratio':>7}  {'target':9} {'wall ours/floor per run':30} load")
    print(row("no-op mkdocs-hybrid", cli_pairs, target))
    if args.mkdocs:
        print(row("no-op mkdocs build", mkdocs_pairs, f"<= {SCALE_TARGET_RATIO:.0f}x"))
    build(root, args.code, media)
    timings = json.loads((root / "hybrid-report.json").read_text()).get("timings", {})
    print("phases of one more no-op (report, wall s): " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
