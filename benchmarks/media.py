"""Media benchmark: CPU of posters and generated videos (``mkdocs_hybrid.media._capture``), all in one run.

    python benchmarks/media.py [--runs 3] [--rounds 2] [--site SITE_DIR] [--code CHECKOUT]
    python benchmarks/media.py --fixtures [--posters 9] [--videos 3] [--keep DIR]
    python benchmarks/media.py --pdf [--runs 3] [--rounds 2] [--site SITE_DIR]

By default: the posters of the sample demos (the repository's sample projects and exports, built with
``--no-media`` into a temporary folder, or the artifacts of ``--site``) against their floor, measured in the same
run: each demo loaded and run to ``poster_at`` in the same reused tabs, through the same ``capture`` call (the
tabs, routing, clock and clearing are the capture's own) with no screenshot, no encode and no file. Each run
measures the floor and the posters alternately (ABBA order across runs), ``--rounds`` passes over the demos;
the table has one row per run with the load average, and the medians against the issue's target.
``--code CHECKOUT`` measures another checkout's ``mkdocs_hybrid`` (the code before a change) with this script.

``--pdf`` (issue 25): the cost of the PDF export (``exports.pdf``) per version, against its floor in the same run:
the same capture of the same demos with posters alone, and with posters and their PDFs (Chromium's print and
pikepdf's rewrite), alternately (ABBA); CPU and wall per version as marginals, with the load.

``--fixtures``: the older table. Writes small artifacts (a blank page, a CSS @keyframes animation, a
requestAnimationFrame canvas, an SVG SMIL animation: the test fixtures of ``tests/media/test_capture.py``)
into a temporary site folder, then captures them at the default settings (1280x720; videos 4 s at 30 fps) in a
child Python process per measurement.

CPU is the whole process tree's: Python, Playwright's driver, every Chromium process, every ffmpeg/ffprobe.
This process makes itself a child subreaper (``PR_SET_CHILD_SUBREAPER``) so that descendants orphaned on the
way (a browser killed at exit leaves its zygote's children to the reaper) are reaped here, and reads
``getrusage(RUSAGE_CHILDREN)`` around each child. The cost per version is the marginal one: (CPU of a run of
N versions - CPU of a run of 1) / (N - 1), which leaves out starting Python, the driver and the browser (the
fixed cost, reported apart). Ratios are against the blank page measured in the same run, since these machines
are shared and noisy. The ``floor`` row is what any capture pays per version before the clock and the
screenshots: a fresh context as the capture makes it, a page, the blank demo loaded, the context closed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CODE_ENV = "MEDIA_BENCH_CODE"
"""The checkout whose ``mkdocs_hybrid`` a child measures (``--code``), ahead of this one on the path."""
if os.environ.get(CODE_ENV):
    sys.path.insert(0, os.environ[CODE_ENV])

from benchmarks.process_cpu import become_subreaper, tree_cpu  # noqa: E402
from tests.media.test_capture import ANIMATED, write_site  # noqa: E402

DEMOS = {"blank": ("", ""), **ANIMATED}
TARGET = 1.3
"""Issue 24: a real demo's poster at most 1.3x its floor."""
RUN_TO_POSTER = ("async ([settle, ms, fps]) => { const clock = window.__mkdocsHybridClock; "
                 "await clock.start(settle); return clock.step(ms, fps, settle); }")
"""The clock's start and its step to ``poster_at``, in one call: the least a driver can do to run a demo there."""


def child(site: Path, kind: str, count: int, video: bool) -> None:
    """The measured process: ``count`` copies of one demo (or the first ``count`` artifacts of a built site,
    ``kind`` ``built``), captured at the default settings."""
    from mkdocs_hybrid.media import _capture
    from mkdocs_hybrid.media._capture import CaptureJob, CaptureSettings, capture
    from mkdocs_hybrid.media._tools import MediaTools

    if kind == "sample-floor":
        kind = "sample"
        _capture._Run.render = floor_render  # type: ignore[method-assign]
    pdf = kind.endswith("-pdf")  # the PDF export too (issue 25)
    kind = kind.removesuffix("-pdf")
    if kind.endswith("-fresh"):  # the same run without tab reuse: a fresh context per version (the baseline)
        kind = kind.removesuffix("-fresh")
        _capture._Run = functools.partial(_capture._Run, reuse=False)  # type: ignore[misc]
    if kind in ("floor", "floor-reuse"):
        asyncio.run(floor(site, [f"artifacts/blank{i}/v1/page.html" for i in range(count)], kind != "floor"))
        return
    pages = cycled(built_pages(site), count) if kind == "sample" else [
        f"artifacts/{kind}{i}/v1/page.html" for i in range(count)]
    out = Path(tempfile.mkdtemp(prefix="mkdocs-hybrid-media-bench-out-"))
    jobs = [CaptureJob(page, page, out / str(i), video, **({"pdf": True} if pdf else {}))
            for i, page in enumerate(pages)]
    outcomes = capture(site, jobs, CaptureSettings(), MediaTools.find())
    shutil.rmtree(out, ignore_errors=True)
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise SystemExit(f"capture failed: {failed[0]}")


async def floor_render(self: Any, tab: Any, job: Any, files: Any) -> tuple[()]:
    """``_Run.render`` for the floor: the demo loaded in the capture's tab and run to ``poster_at``, nothing more."""
    from mkdocs_hybrid.media._capture import ORIGIN
    from mkdocs_hybrid.media._settings import SETTLE_MS

    response = await tab.page.goto(f"{ORIGIN}/{job.page.lstrip('/')}", wait_until="load", timeout=0)
    if response is None or response.status != 200:
        raise RuntimeError(f"{job.page} is not in the site folder")
    await tab.page.evaluate(RUN_TO_POSTER, [SETTLE_MS, self.settings.poster_at * 1000, self.settings.fps])
    return ()


def cycled(pages: list[str], count: int) -> list[str]:
    """``count`` pages: the site's artifacts in order, again from the first when there are fewer."""
    return [pages[i % len(pages)] for i in range(count)]


async def floor(site: Path, pages: list[str], reuse: bool) -> None:
    """What a capture pays per version before its own work: each page loaded, no clock, no screenshot; in a fresh
    context (as the capture makes it, closed after), or (``reuse``) in one tab cleared between versions as the
    capture clears it."""
    from playwright.async_api import async_playwright

    from mkdocs_hybrid.media._capture import ORIGIN, CaptureSettings, _Run
    from mkdocs_hybrid.media._tools import MediaTools

    run = _Run(site.resolve(), CaptureSettings(), MediaTools.find(), 1, None)
    async with async_playwright() as playwright:
        browser = await run.launched(playwright, asyncio.Lock())
        tab = await run.new_tab(browser) if reuse else None
        for page in pages:
            this = tab or await run.new_tab(browser)
            await this.page.goto(f"{ORIGIN}/{page}")
            if reuse:
                await run.clear(this)
            else:
                await this.context.close()
        await browser.close()


def built_pages(site: Path) -> list[str]:
    return [page.relative_to(site).as_posix() for page in sorted(site.glob("artifacts/*/*/page.html"))]


def measured(site: Path, kind: str, count: int, video: bool) -> tuple[float, float]:
    """(CPU seconds of the whole tree, wall seconds) of one child run."""
    return tree_cpu([sys.executable, __file__, "--child", str(site), kind, str(count),
                     "video" if video else "poster"])


def marginal(site: Path, kind: str, count: int, video: bool) -> tuple[float, float, float]:
    """(CPU per version, fixed CPU of a run, wall per version) from runs of 1 and ``count`` versions."""
    one, _ = measured(site, kind, 1, video)
    many, wall = measured(site, kind, count, video)
    per = (many - one) / (count - 1)
    return per, one - per, wall / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the sample demos' table (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the demos per measurement (default 2)")
    parser.add_argument("--site", type=Path, help="a built site folder whose artifacts are the demos (default: "
                        "the sample projects, built with --no-media)")
    parser.add_argument("--code", type=Path, help="measure this checkout's mkdocs_hybrid (e.g. the commit before)")
    parser.add_argument("--pdf", action="store_true", help="the PDF export's cost against posters alone instead")
    parser.add_argument("--fixtures", action="store_true", help="the fixtures' table (posters and videos) instead")
    parser.add_argument("--posters", type=int, default=9, help="--fixtures: versions per poster run (default 9)")
    parser.add_argument("--videos", type=int, default=3, help="--fixtures: versions per video run (default 3; 0: no "
                        "videos)")
    parser.add_argument("--keep", type=Path, help="--fixtures: keep the site folder here")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        site, kind, count, mode = args.child
        child(Path(site), kind, int(count), mode == "video")
        return
    if args.code:
        os.environ[CODE_ENV] = str(args.code.resolve())
    become_subreaper()
    work = Path(tempfile.mkdtemp(prefix="mkdocs-hybrid-media-bench-"))
    try:
        if args.pdf:
            report_pdf(args.site.resolve() if args.site else sample_site(work), args.runs, args.rounds)
            return
        if not args.fixtures:
            report_sample(args.site.resolve() if args.site else sample_site(work), args.runs, args.rounds)
            return
        site = work / "site"
        count = max(args.posters, args.videos)
        write_site(site, {f"{kind}{i}": demo for kind, demo in DEMOS.items() for i in range(count)})
        report(site, args.posters, args.videos)
        if args.keep:
            shutil.copytree(site, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sample_site(work: Path) -> Path:
    """The repository's sample projects and exports, built without media (the posters are what is measured)."""
    project = work / "sample"
    project.mkdir()
    for name in ("hybrid.yml", "hybrid-lock.json"):
        shutil.copy2(REPO / name, project / name)
    for name in ("sample_projects", "exports"):
        shutil.copytree(REPO / name, project / name)
    subprocess.run([sys.executable, "-c", "from mkdocs_hybrid.cli import main; main()", "build", "-q",
                    "--no-media", "-d", "site"], cwd=project, check=True)
    return project / "site"


def report_sample(site: Path, runs: int, rounds: int) -> None:
    """One row per run: the posters and their floor (alternating), CPU per version, the ratio, the load."""
    pages = built_pages(site)
    if not pages:
        raise SystemExit(f"{site} has no artifact pages")
    count = len(pages) * rounds
    code = os.environ.get(CODE_ENV) or str(REPO)
    print(f"posters of {len(pages)} demos ({site}), code {code}; CPU of the whole process tree per version, the "
          f"marginal of {count} versions ({rounds} passes) over 1; cores: {os.cpu_count()}, default workers")
    print("| run | poster CPU ms / version | floor: loaded and run to poster_at, same run | ratio | target "
          "| poster wall ms / version | floor wall | load average (1 min), start / end |")
    print("|---|---|---|---|---|---|---|---|")
    ratios, posters, floors = [], [], []
    for run in range(1, runs + 1):
        load = os.getloadavg()[0]
        kinds = ("sample", "sample-floor") if run % 2 else ("sample-floor", "sample")
        cpu, wall = marginals(site, kinds, count)
        ratio = cpu["sample"] / cpu["sample-floor"]
        ratios.append(ratio)
        posters.append(cpu["sample"])
        floors.append(cpu["sample-floor"])
        print(f"| {run} | {cpu['sample'] * 1000:.0f} | {cpu['sample-floor'] * 1000:.0f} | {ratio:.2f}x "
              f"| <= {TARGET}x | {wall['sample'] * 1000:.0f} | {wall['sample-floor'] * 1000:.0f} "
              f"| {load:.1f} / {os.getloadavg()[0]:.1f} |", flush=True)
    median = statistics.median(ratios)
    print(f"| median | {statistics.median(posters) * 1000:.0f} | {statistics.median(floors) * 1000:.0f} "
          f"| **{median:.2f}x** | <= {TARGET}x: {'met' if median <= TARGET else 'not met'} | | | |")


def marginals(site: Path, kinds: tuple[str, ...], count: int) -> tuple[dict[str, float], dict[str, float]]:
    """CPU and wall seconds per version of each kind, both as the marginal of ``count`` versions over one (so
    start-up cancels out in the wall column too, unlike :func:`marginal`'s); every kind's one-version run first,
    then every kind's ``count`` run, in the order given (the callers alternate it between runs)."""
    ones = {kind: measured(site, kind, 1, False) for kind in kinds}
    manys = {kind: measured(site, kind, count, False) for kind in kinds}
    cpu = {kind: (manys[kind][0] - ones[kind][0]) / (count - 1) for kind in kinds}
    wall = {kind: (manys[kind][1] - ones[kind][1]) / (count - 1) for kind in kinds}
    return cpu, wall


def report_pdf(site: Path, runs: int, rounds: int) -> None:
    """One row per run: posters with their PDFs and posters alone (alternating), CPU and wall per version."""
    pages = built_pages(site)
    if not pages:
        raise SystemExit(f"{site} has no artifact pages")
    count = len(pages) * rounds
    print(f"PDF export of {len(pages)} demos ({site}); CPU of the whole process tree per version, the marginal of "
          f"{count} versions ({rounds} passes) over 1; cores: {os.cpu_count()}, default workers and settings")
    print("| run | poster + PDF CPU ms / version | floor: poster alone, same run | PDF's own CPU ms | ratio "
          "| poster + PDF wall ms / version | floor wall | load average (1 min), start / end |")
    print("|---|---|---|---|---|---|---|---|")
    ratios, extras = [], []
    for run in range(1, runs + 1):
        load = os.getloadavg()[0]
        kinds = ("sample-pdf", "sample") if run % 2 else ("sample", "sample-pdf")
        cpu, wall = marginals(site, kinds, count)
        ratios.append(cpu["sample-pdf"] / cpu["sample"])
        extras.append(cpu["sample-pdf"] - cpu["sample"])
        print(f"| {run} | {cpu['sample-pdf'] * 1000:.0f} | {cpu['sample'] * 1000:.0f} | {extras[-1] * 1000:.0f} "
              f"| {ratios[-1]:.2f}x | {wall['sample-pdf'] * 1000:.0f} | {wall['sample'] * 1000:.0f} "
              f"| {load:.1f} / {os.getloadavg()[0]:.1f} |", flush=True)
    print(f"| median | | | {statistics.median(extras) * 1000:.0f} | **{statistics.median(ratios):.2f}x** | | | |")


def report(site: Path, posters: int, videos: int) -> None:
    print(f"cores: {os.cpu_count()}; posters: marginal of {posters} vs 1 version; videos: of {videos} vs 1; "
          "default settings (1280x720, 4 s at 30 fps)")
    print("| demo | poster CPU ms / version | fresh context per version (same run) | reuse / fresh | vs blank "
          "| fixed CPU s / run | video CPU s / s of video | vs blank | wall s / video |")
    print("|---|---|---|---|---|---|---|---|---|")
    reused, _, _ = marginal(site, "floor-reuse", posters, False)
    fresh, fixed, _ = marginal(site, "floor", posters, False)
    print(f"| floor: blank page loaded, no clock, no screenshot | {reused * 1000:.0f} | {fresh * 1000:.0f} "
          f"| {reused / fresh:.2f} | | {fixed:.2f} | | | |", flush=True)
    baseline: tuple[float, float] | None = None
    for kind in DEMOS:
        poster, fixed, _ = marginal(site, kind, posters, False)
        fresh, _, _ = marginal(site, f"{kind}-fresh", posters, False)
        video, wall = (marginal(site, kind, videos, True)[::2] if videos > 1 else (float("nan"), float("nan")))
        per_second = video / 4.0
        baseline = baseline or (poster, per_second)
        print(f"| {kind} | {poster * 1000:.0f} | {fresh * 1000:.0f} | {poster / fresh:.2f} "
              f"| {poster / baseline[0]:.2f} | {fixed:.2f} | {per_second:.2f} | {per_second / baseline[1]:.2f} "
              f"| {wall:.1f} |", flush=True)


if __name__ == "__main__":
    main()
