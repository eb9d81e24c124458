"""Redeploy of an unchanged ~14,500-file site: ``mkdocs-hybrid deploy`` against ``wrangler pages deploy``.

    python benchmarks/redeploy.py [--runs 3] [--versions 1700 --threads 425] [--checkout PATH] [--profile]

The site is the file list a build writes for 1,700 versions in 425 threads (14,490 files, about 100 MB:
:func:`benchmarks.pages_files.site_names`), with synthetic content of realistic sizes (a 40 KB poster and a
10 KB card per version, an 8 MB ``esbuild.wasm``), plus ``_headers`` and ``_redirects``. Both clients deploy it
to the same Pages API stand-in (``tests/cloudflare_api.py``'s ``FakeCloudflare``, the one
``tests/deploy/test_deploy_conformance.py`` runs the real wrangler against), each once untimed (the first
deploy uploads everything), then ``--runs`` times alternating: our redeploy of the unchanged site (the CLI, a
process as a user starts it) and wrangler's (``node_modules/.bin/wrangler``, the real one). Each line shows
wall and CPU seconds (the process and its children) and the load average; the summary is the median ratio
against the target (<= 0.25x). The stand-in answers the create call with ``queued``, as Cloudflare does, and
the first status poll with the outcome: wrangler waits 1 s before that poll, ours 1/8 s
(``mkdocs_hybrid/deploy/_status.py``; before it, also 1 s). Our CLI runs as installed: with
bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped for it, so the untimed first deploy compiles what changed).

``--checkout PATH`` runs our CLI from another checkout (``PYTHONPATH``); ``--baseline PATH`` adds a third
process to each run, our CLI from that checkout (e.g. a worktree of the commit before a change: before and after
in the same run). ``--profile`` also runs one of our redeploys in this process under cProfile and prints where the time
goes, with counts of requests by endpoint and of files read.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from pages_files import site_names  # noqa: E402

from mkdocs_hybrid.deploy._status import status_waits  # noqa: E402
from tests.cloudflare_api import FakeCloudflare  # noqa: E402

WRANGLER = REPO / "node_modules" / ".bin" / "wrangler"
PROJECT, BRANCH = "demos", "main"
COMMIT = ("--commit-hash", "0123456789abcdef0123456789abcdef01234567", "--commit-message", "redeploy benchmark")
TARGET = 0.25
WRANGLER_FIRST_POLL = 1.0
"""Seconds wrangler 4.86 waits before its first deployment-status poll."""
OUR_FIRST_POLL = status_waits(1.0, 5)[0]
"""Ours, at the CLI's default retry policy (base delay 1 s, wrangler's five polls of patience)."""
SIZES = {"poster.webp": 40_000, "card.webp": 10_000, "page.html": 6_000, "source.json": 3_000,
         "style.css": 1_500, "meta.json": 900, "oembed.json": 400, "index.html": 5_000, "esbuild.wasm": 8_000_000,
         ".js": 60_000, ".css": 8_000, ".json": 20_000}


class Run(NamedTuple):
    wall: float
    cpu: float
    load: float


def write_site(site: Path, versions: int, threads: int) -> int:
    """The synthetic site; returns its number of files (routing files included)."""
    rng = random.Random(24)
    names = site_names(versions, threads)
    for name in names:
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        base = name.rsplit("/", 1)[-1]
        size = SIZES.get(base) or SIZES.get(os.path.splitext(base)[1], 2_000)
        if base.endswith((".webp", ".wasm")):
            data = rng.randbytes(size)
        else:  # text: unique per file, compressible like the real thing
            line = f"<!-- {name} -->\n".encode()
            data = (line * (size // len(line) + 1))[:size]
        path.write_bytes(data)
    (site / "_headers").write_text("/*\n  X-Content-Type-Options: nosniff\n", encoding="utf-8")
    (site / "_redirects").write_text("/old /new 301\n", encoding="utf-8")
    return len(names) + 2


def environment(fake: FakeCloudflare, home: Path, checkout: Path) -> dict[str, str]:
    # As installed: pip compiles the package, so Python may write (and then reuse) its bytecode here too.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLOUDFLARE_", "CF_")) and k != "PYTHONDONTWRITEBYTECODE"}
    home.mkdir(parents=True, exist_ok=True)
    env.update(CLOUDFLARE_API_BASE_URL=fake.base_url, CLOUDFLARE_API_TOKEN=fake.token,
               CLOUDFLARE_ACCOUNT_ID=fake.account_id, WRANGLER_SEND_METRICS="false",
               WRANGLER_SEND_ERROR_REPORTS="false", WRANGLER_HIDE_BANNER="true", CI="true", NO_COLOR="1",
               HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), PYTHONPATH=str(checkout))
    return env


def ours_command(site: Path) -> list[str]:
    """Our CLI; the checkout comes from ``PYTHONPATH`` (:func:`environment`), its build cache from the cwd."""
    return [sys.executable, "-c", "from mkdocs_hybrid.cli import main; main()", "deploy", str(site),
            "--project", PROJECT, "--branch", BRANCH, *COMMIT, "--commit-clean"]


def wrangler_command(site: Path) -> list[str]:
    return [str(WRANGLER), "pages", "deploy", str(site), "--project-name", PROJECT, "--branch", BRANCH, *COMMIT,
            "--commit-dirty=false"]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Wall and CPU seconds of one process (and the children it waited for)."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with open(cwd / "out.log", "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} exited with {process.returncode}:\n"
                         f"{(cwd / 'out.log').read_text(errors='replace')[-3000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, load)


def show(run: Run) -> str:
    return f"{run.wall:.2f} s wall / {run.cpu:.2f} s CPU (load {run.load:.1f})"


def summary(rows: list[tuple[Run, Run]], before: list[Run]) -> None:
    """Medians of the ratios; the wall ratio also without each client's wait before its first status poll."""
    wall = statistics.median(m.wall / f.wall for m, f in rows)
    cpu = statistics.median(m.cpu / f.cpu for m, f in rows)
    waitless = statistics.median((m.wall - OUR_FIRST_POLL) / (f.wall - WRANGLER_FIRST_POLL) for m, f in rows)
    print(f"median of {len(rows)}: ours {statistics.median(m.wall for m, _ in rows):.2f} s "
          f"({statistics.median(m.cpu for m, _ in rows):.2f} s CPU), wrangler "
          f"{statistics.median(f.wall for _, f in rows):.2f} s ({statistics.median(f.cpu for _, f in rows):.2f} s "
          f"CPU): {wall:.2f}x wall, {cpu:.2f}x CPU, {waitless:.2f}x wall without the status waits "
          f"({OUR_FIRST_POLL:g} s and {WRANGLER_FIRST_POLL:g} s); "
          f"target <= {TARGET}x: {'met' if wall <= TARGET else 'not met'} (wall), "
          f"{'met' if cpu <= TARGET else 'not met'} (CPU)")
    if before:
        base_wall = statistics.median(b.wall / f.wall for b, (_, f) in zip(before, rows))
        base_cpu = statistics.median(b.cpu / f.cpu for b, (_, f) in zip(before, rows))
        print(f"baseline, same runs: {base_wall:.2f}x wall, {base_cpu:.2f}x CPU")


def uploads_since(fake: FakeCloudflare, start: int) -> int:
    return sum(len(r.json) for r in fake.requests[start:] if r.endpoint == "upload" and isinstance(r.json, list))


@contextmanager
def scratch_folder(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    folder = Path(tempfile.mkdtemp(prefix="redeploy-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def profile_ours(fake: FakeCloudflare, site: Path, env: dict[str, str]) -> None:
    """One redeploy in this process under cProfile: the top functions, requests by endpoint, files read."""
    from mkdocs_hybrid.cli import main

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("CLOUDFLARE_")})
    reads: Counter[str] = Counter()
    original = Path.read_bytes

    def counting(self: Path) -> bytes:
        reads["Path.read_bytes"] += 1
        return original(self)

    start = len(fake.requests)
    profiler = cProfile.Profile()
    Path.read_bytes = counting  # type: ignore[method-assign]
    try:
        profiler.runcall(main, ["deploy", str(site), "--project", PROJECT, "--branch", BRANCH, *COMMIT,
                                "--commit-clean"], standalone_mode=False)
    finally:
        Path.read_bytes = original  # type: ignore[method-assign]
        os.environ.clear()
        os.environ.update(saved)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    print(out.getvalue())
    endpoints = Counter(r.endpoint for r in fake.requests[start:])
    sizes = {r.endpoint: len(r.body) for r in fake.requests[start:]}
    print(f"requests: {dict(endpoints)}; bodies (bytes): {sizes}; files read: {dict(reads)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--versions", type=int, default=1700)
    parser.add_argument("--threads", type=int, default=425)
    parser.add_argument("--checkout", type=Path, default=REPO, help="run our CLI from this checkout")
    parser.add_argument("--baseline", type=Path, default=None, help="also run our CLI from this checkout")
    parser.add_argument("--keep", type=Path, default=None, help="build the site here and keep it")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not WRANGLER.is_file():
        raise SystemExit(f"{WRANGLER} not found: run `npm ci` in {REPO}")
    with scratch_folder(args.keep) as scratch, FakeCloudflare() as fake:
        site = scratch / "site"
        if not site.is_dir():
            print(f"{write_site(site, args.versions, args.threads):,} files written to {site}", flush=True)
        env = environment(fake, scratch / "home", args.checkout.resolve())
        ours, theirs = ours_command(site), wrangler_command(site)
        base_env = environment(fake, scratch / "home", args.baseline.resolve()) if args.baseline else None
        base_cwd = scratch / "baseline"  # its own build cache
        base_cwd.mkdir(exist_ok=True)
        timed(theirs, env, scratch)  # first deploys, untimed: wrangler uploads everything, ours finds it there
        timed(ours, env, scratch)
        if base_env is not None:
            timed(ours, base_env, base_cwd)
        rows: list[tuple[Run, Run]] = []
        before: list[Run] = []
        for number in range(1, args.runs + 1):
            start = len(fake.requests)
            if base_env is not None:
                before.append(timed(ours, base_env, base_cwd))
                print(f"run {number}: baseline {show(before[-1])}", end="; ", flush=True)
            pair = (timed(ours, env, scratch), timed(theirs, env, scratch))
            if uploads_since(fake, start):
                raise SystemExit("a redeploy of the unchanged site uploaded files")
            rows.append(pair)
            mine, floor = pair
            print(f"run {number}: ours {show(mine)}, wrangler {show(floor)}, ratio {mine.wall / floor.wall:.2f}x "
                  f"wall, {mine.cpu / floor.cpu:.2f}x CPU"
                  + (f" (baseline {before[-1].wall / floor.wall:.2f}x, {before[-1].cpu / floor.cpu:.2f}x CPU)"
                     if before else ""), flush=True)
        summary(rows, before)
        if args.profile:
            profile_ours(fake, site, env)


if __name__ == "__main__":
    main()
