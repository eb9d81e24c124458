"""Build read time of N versions from the Convex stand-in (issue 21): the first read, the next (nothing new) and
one after 10 new versions.

    python benchmarks/convex_source.py [--count 10000] [--runs 3] [--page-size 500]

Starts the stand-in (``tests/convex_standin``: the shipped ``convex/`` functions run by ``convex-test`` behind
Convex's HTTP API, on loopback) with the test-only seeding module of
``tests/sources/test_convex_source_standin.py`` (inserts as ``versions:save`` stores them: 10,000 real saves take
minutes in convex-test), then per run, with a fresh build cache: ``scan_sources`` of a manifest whose only source is
``{type: convex}``, timed whole (the pages over HTTP, decoding, the build cache's writes, every version validated
and recorded in the source index), then again with nothing new, then after 10 more versions; the requests
``versions:listForBuild`` got are counted. Figures are per run, in seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from mkdocs_hybrid.config.manifest import load_manifest  # noqa: E402
from mkdocs_hybrid.sources.convex import CONVEX  # noqa: E402
from mkdocs_hybrid.sources.scan import scan_sources  # noqa: E402
from tests.convex_standin.fixture import SHIPPED_FUNCTIONS, ConvexStandin, run_standin  # noqa: E402
from tests.sources.test_convex_source_standin import SEEDING, Counting, seed  # noqa: E402


def timed_scan(project: Path, transport: Counting) -> tuple[float, int, int]:
    """Seconds, requests and snapshots of one scan."""
    started = time.monotonic()
    scan = scan_sources(load_manifest(project / "hybrid.yml"))
    seconds = time.monotonic() - started
    if scan.errors:
        raise SystemExit(f"errors: {[str(e) for e in scan.errors[:3]]}")
    return seconds, transport.queries(), len(scan.snapshots)


def one_run(standin: ConvexStandin, scratch: Path, count: int, page_size: int, added: int) -> list[str]:
    project = Path(tempfile.mkdtemp(dir=scratch))
    data = {"sources": [{"type": "convex", "url": standin.url, "page_size": page_size}],
            "build": {"cache_dir": ".cache"}}
    (project / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    transport = Counting()
    CONVEX.transport = transport
    first = timed_scan(project, transport)
    again = timed_scan(project, transport)
    seed(standin, count + 1 + added, 10)
    more = timed_scan(project, transport)
    return [f"{what}: {seconds:.2f} s, {requests} requests, {snapshots:,} snapshots"
            for what, (seconds, requests, snapshots) in (("first read", first), ("next read", again),
                                                         ("after 10 new", more))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-convex-source-") as scratch_name:
        scratch = Path(scratch_name)
        functions = scratch / "convex"
        shutil.copytree(SHIPPED_FUNCTIONS, functions, ignore=shutil.ignore_patterns("node_modules", "*.test.ts"))
        shutil.copy(SEEDING, functions / "seeding.ts")
        with run_standin(functions) as standin:
            os.environ["CONVEX_DEPLOY_KEY"] = standin.deploy_key
            started = time.monotonic()
            seed(standin, 1, args.count)
            print(f"seeded {args.count:,} versions in {time.monotonic() - started:.1f} s", flush=True)
            for run in range(args.runs):
                # each run adds 10: the next run's first read covers them too
                lines = one_run(standin, scratch, args.count, args.page_size, added=10 * run)
                print(f"run {run + 1}: " + "; ".join(lines), flush=True)


if __name__ == "__main__":
    main()
