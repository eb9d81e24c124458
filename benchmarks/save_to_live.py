"""Save -> live (issue 22): a version saved into the editor's store, to its share link answering through the edge.

    python benchmarks/save_to_live.py [--versions 10000] [--threads 2500] [--saves 20] [--pins 20] [--keep DIR]

The path a user's save takes in the artifact store mode (``deploy.artifacts: r2``), on a site of N versions:

- setup (timed, not the measure): N versions saved into the SQLite store (:class:`SnapshotStore.save`, one
  transaction each, as ``serve`` saves), ``mkdocs-hybrid build --no-media``, the build split as the deploy
  splits it, the Pages part served by ``wrangler pages dev`` with the S3 stand-in of ``tests/r2_s3`` over its
  local R2, the store part uploaded through it with the real ``ArtifactStore``; then
  ``mkdocs-hybrid worker --follow`` started in its own process (``--interval``, the CLI's default 0.5 s);
- **save -> live**, K times: a new version of an existing thread saved into the store, timed from the commit to
  ``GET /p/T/V/`` through ``pages dev`` answering 200 with the bytes the worker built (polled every 50 ms);
- the **baseline** of the same run: with the worker stopped, the same save followed at once by
  ``mkdocs-hybrid publish-version T`` (its own process), timed the same way: the publication alone, without
  waiting for a poll;
- **pin -> latest moved**, K times: ``mkdocs-hybrid pin T v1 --no-media`` (its own process, the worker running),
  timed from the command's start to ``/p/T/latest`` answering 302 to ``v1``; and as a baseline with the worker
  stopped (``pin T v2``);
- one **poll** of the worker at this size (:meth:`Follower.due`, in this process, median of 5): what every
  interval costs when nothing is new;
- the Pages file count of this site (what the deploy's split leaves on Pages), beside
  ``benchmarks/pages_files.py``'s planned count for the same size.

Medians and p95 in seconds; the worker's own "published ... in X s" lines give the publication's share.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from pages_files import count as planned_count  # noqa: E402

from mkdocs_hybrid.config.manifest import load_manifest  # noqa: E402
from mkdocs_hybrid.deploy._files import DEFAULT_MAX_FILES  # noqa: E402
from mkdocs_hybrid.live.follow import Follower  # noqa: E402
from mkdocs_hybrid.live.publisher import LivePublisher, live_work_dir  # noqa: E402
from mkdocs_hybrid.sources.store import SnapshotStore  # noqa: E402
from tests.factory import CLI, cli_env  # noqa: E402
from tests.live.test_live_edge import (  # noqa: E402
    BUCKETS,
    SITE_URL,
    build_site,
    live_env,
    snapshot,
    split_into_pages,
    start_worker,
    stop_worker,
    store_project,
    upload,
)
from tests.r2_s3 import serve_site_with_r2_s3  # noqa: E402

POLL = 0.05
TIMEOUT = 300.0
PUBLISHED = re.compile(r"published (\S+) \(latest \S+\): .* in ([0-9.]+) s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "p95": round(percentile(values, 0.95), 2),
            "min": round(min(values), 2), "max": round(max(values), 2)}


def timed(label: str, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.1f} s", flush=True)
    return seconds


def wait(condition: Callable[[], bool], what: str) -> None:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > TIMEOUT:
            raise TimeoutError(f"{what}: not within {TIMEOUT:.0f} s")
        time.sleep(POLL)


def thread_names(threads: int) -> list[str]:
    return [f"t{i:05d}" for i in range(threads)]


def save_all(root: Path, versions: int, threads: int) -> SnapshotStore:
    """``versions`` spread evenly over ``threads`` (v1, v2, ... in each), saved one transaction each."""
    names = thread_names(threads)
    refs = [(names[i % threads], f"v{i // threads + 1}") for i in range(versions)]
    return store_project(root, refs)


def is_live(http: httpx.Client, work_dir: Path, thread: str, version: str) -> Callable[[], bool]:
    """The share link answers 200 with the bytes the publication built (the work folder's page)."""
    def check() -> bool:
        answer = http.get(f"/p/{thread}/{version}/")
        if answer.status_code != 200:
            return False
        built = work_dir / "p" / thread / version / "index.html"
        if answer.content != built.read_bytes():
            raise AssertionError(f"/p/{thread}/{version}/ answers other bytes than the publication built")
        return True
    return check


def save_to_live(store: SnapshotStore, http: httpx.Client, work_dir: Path, refs: list[tuple[str, str]], created: str,
                 after_save: Callable[[str], None] = lambda thread: None) -> list[float]:
    seconds = []
    for thread, version in refs:
        started = time.perf_counter()
        store.save(thread, version, snapshot(thread, version, f"saved {thread} {version}", created))
        after_save(thread)
        wait(is_live(http, work_dir, thread, version), f"{thread}/{version}")
        seconds.append(time.perf_counter() - started)
        print(f"  {thread}/{version}: {seconds[-1]:.2f} s", flush=True)
    return seconds


def latest_is(http: httpx.Client, thread: str, version: str) -> Callable[[], bool]:
    return lambda: http.get(f"/p/{thread}/latest").headers.get("location") == f"/p/{thread}/{version}/"


def pins(root: Path, http: httpx.Client, endpoint: str, threads: list[str], version: str) -> list[float]:
    seconds = []
    for thread in threads:
        started = time.perf_counter()
        done = subprocess.run([*CLI, "pin", thread, version, "--site-url", SITE_URL, "--no-media"], cwd=root,
                              capture_output=True, text=True, env=cli_env(**live_env(endpoint)), check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pin {thread} {version} failed: {done.stdout}{done.stderr}")
        wait(latest_is(http, thread, version), f"{thread} latest")
        seconds.append(time.perf_counter() - started)
        print(f"  pin {thread} {version}: {seconds[-1]:.2f} s", flush=True)
    return seconds


def poll_seconds(root: Path, endpoint: str, runs: int = 5) -> float:
    """One poll of the worker with nothing new (in this process, as the worker makes it)."""
    os.environ.update(live_env(endpoint))  # the publisher's store, as the worker's environment has it
    manifest = load_manifest(root / "hybrid.yml")
    follower = Follower(LivePublisher(manifest, site_url=SITE_URL, work_dir=live_work_dir(manifest), media=False))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        due = follower.due()
        times.append(time.perf_counter() - started)
        assert not due, f"nothing should be due: {sorted(due)[:5]}"
    return statistics.median(times)


def run(args: argparse.Namespace, scratch: Path) -> dict[str, object]:
    root, pages = scratch / "project", scratch / "pages"
    result: dict[str, object] = {"versions": args.versions, "threads": args.threads, "interval": args.interval}
    print(f"setup: {args.versions:,} versions in {args.threads:,} threads", flush=True)
    setup = {"store": timed("saving them into the store", lambda: save_all(root, args.versions, args.threads))}
    store = SnapshotStore(root / "editor.sqlite")
    setup["build"] = timed("mkdocs-hybrid build --no-media", lambda: build_site(root))
    to_pages, to_store = split_into_pages(root / "site", pages)
    result["pages_files"] = len(to_pages)
    result["store_objects"] = len(to_store)
    result["pages_files_planned"] = planned_count(args.versions, args.threads, "r2 artifact store")["pages_files"]
    print(f"  Pages files: {len(to_pages):,} (free plan: {DEFAULT_MAX_FILES:,}; planned by pages_files.py: "
          f"{result['pages_files_planned']:,}), store objects: {len(to_store):,}", flush=True)
    names = thread_names(args.threads)
    step = max(1, args.threads // max(args.saves, args.pins, 1))
    chosen = names[::step]
    with serve_site_with_r2_s3(pages, BUCKETS) as served, \
            httpx.Client(base_url=served.base_url, follow_redirects=False, timeout=30.0) as http:
        setup["upload"] = timed(f"uploading {len(to_store):,} objects through the S3 stand-in",
                                lambda: upload(root, served.s3_endpoint, to_store))
        result["setup_seconds"] = {k: round(v, 1) for k, v in setup.items()}
        work_dir = live_work_dir(load_manifest(root / "hybrid.yml"))
        result["poll_seconds"] = round(poll_seconds(root, served.s3_endpoint), 3)
        print(f"  one poll with nothing new: {result['poll_seconds']:.3f} s", flush=True)
        log = scratch / "worker.log"
        worker = start_worker(root, served.s3_endpoint, log, args.interval)
        try:
            print(f"save -> live, {args.saves} saves (worker --follow --interval {args.interval:g})", flush=True)
            live = save_to_live(store, http, work_dir, [(t, "w1") for t in chosen[:args.saves]],
                                "2026-12-02T00:00:00Z")
            print(f"pin -> latest moved, {args.pins} pins (worker running)", flush=True)
            pinned = pins(root, http, served.s3_endpoint, chosen[:args.pins], "v1")
        finally:
            stop_worker(worker)
        worker_lines = PUBLISHED.findall(log.read_text(errors="replace"))
        print(f"baseline: save then mkdocs-hybrid publish-version, {args.saves} saves (worker stopped)", flush=True)

        def publish_version(thread: str) -> None:
            subprocess.run([*CLI, "publish-version", thread, "--site-url", SITE_URL, "--no-media"], cwd=root,
                           capture_output=True, env=cli_env(**live_env(served.s3_endpoint)), check=True)

        direct = save_to_live(store, http, work_dir, [(t, "d1") for t in chosen[:args.saves]],
                              "2026-12-03T00:00:00Z", publish_version)
        print(f"baseline: pin alone, {args.pins} pins (worker stopped)", flush=True)
        pinned_alone = pins(root, http, served.s3_endpoint, chosen[:args.pins], "v2")
    publication = [float(seconds) for _, seconds in worker_lines[:args.saves]]
    result.update({"save_to_live": spread(live), "publication_in_worker": spread(publication) if publication else {},
                   "publish_version_direct": spread(direct), "pin_to_latest": spread(pinned),
                   "pin_alone": spread(pinned_alone),
                   "ratio_median": round(statistics.median(live) / statistics.median(direct), 2)})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=None, help="[versions / 4]")
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--pins", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="the worker's --interval [its default]")
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep it (default: a temporary folder)")
    args = parser.parse_args()
    args.threads = args.threads or max(1, args.versions // 4)
    if args.keep is not None:
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
        result = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="save-to-live-") as scratch:
            result = run(args, Path(scratch))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
