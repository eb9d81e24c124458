"""The nightly full build in the default mode and in the artifact store mode (issue 22), in one run.

    python benchmarks/build_modes.py [--count 500] [--runs 3]

The same corpus (``benchmarks/bulk.py``'s generator: 70% vanilla canvas demos, 30% React + TSX, 4 versions a
thread, a directory source) in two projects that differ only by their ``deploy`` section: none (the default
mode, everything on Pages) and ``deploy.artifacts: r2`` (share, thread and latest pages as store objects, the
worker's R2 lookup). Each project is built once first, untimed, so both have their npm installs (as a CI cache
keeps them). Then ``--runs`` rounds, the two modes alternating which goes first:

- **cold**: ``mkdocs-hybrid build --no-media`` with no bundle cache, no publish ledger and no site folder
  (``bulk.py``'s ``forget_builds``: what a nightly job on a fresh runner starts from, npm installs cached);
- **no-op**: the same command again, nothing changed.

Each figure is the median over the rounds, in seconds, and the r2 mode's as a ratio of the default mode's
measured in the same round.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bulk import forget_builds, generate  # noqa: E402

from mkdocs_hybrid.config.manifest import load_manifest  # noqa: E402
from tests.factory import CLI, cli_env  # noqa: E402

SITE_URL = "https://gallery.example.com/"
R2_DEPLOY = ("deploy: {artifacts: r2, artifacts_url: 'https://demos.example.com', r2_bucket: demos, "
             "r2_private_bucket: demos-private}\n")
MODES = ("default", "r2")


def build(root: Path) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "build", "--site-url", SITE_URL, "--no-media", "-q"], cwd=root, env=cli_env(),
                   check=True, capture_output=True)
    return time.perf_counter() - started


def cold(root: Path) -> float:
    forget_builds(load_manifest(root / "hybrid.yml"))
    shutil.rmtree(root / "site", ignore_errors=True)
    return build(root)


def projects(scratch: Path, count: int) -> dict[str, Path]:
    default, r2 = scratch / "default", scratch / "r2"
    generate(default, count, 0.3)
    shutil.copytree(default, r2)
    with (r2 / "hybrid.yml").open("a", encoding="utf-8") as manifest:
        manifest.write(R2_DEPLOY)
    return {"default": default, "r2": r2}


def files_in(site: Path) -> int:
    return sum(1 for path in site.rglob("*") if path.is_file())


def run(count: int, runs: int, scratch: Path) -> None:
    roots = projects(scratch, count)
    for mode in MODES:
        print(f"warm-up build ({mode}): {build(roots[mode]):.1f} s, {files_in(roots[mode] / 'site'):,} files",
              flush=True)
    figures: dict[tuple[str, str], list[float]] = {}
    for round_ in range(runs):
        order = MODES if round_ % 2 == 0 else MODES[::-1]
        for kind, action in (("cold", cold), ("no-op", build)):
            for mode in order:
                seconds = action(roots[mode])
                figures.setdefault((kind, mode), []).append(seconds)
                print(f"round {round_ + 1} {kind:<5} {mode:<7}: {seconds:.2f} s", flush=True)
    print(f"\n{count:,} versions, median of {runs} rounds")
    for kind in ("cold", "no-op"):
        default, r2 = (statistics.median(figures[(kind, mode)]) for mode in MODES)
        paired = statistics.median(b / a for a, b in zip(figures[(kind, "default")], figures[(kind, "r2")]))
        print(f"{kind:<5}: default {default:.2f} s, r2 {r2:.2f} s, r2 / default {paired:.2f} (median of the "
              f"rounds' ratios)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="build-modes-") as scratch:
        run(args.count, args.runs, Path(scratch))


if __name__ == "__main__":
    main()
