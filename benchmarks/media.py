"""Media benchmark: CPU of posters and generated videos (``mkdocs_hybrid.media._capture``), all in one run.

    python benchmarks/media.py [--posters 9] [--videos 3] [--keep DIR] [--site SITE_DIR]

Writes small artifacts (a blank page, a CSS @keyframes animation, a requestAnimationFrame canvas, an SVG SMIL
animation: the test fixtures of ``tests/media/test_capture.py``) into a temporary site folder, then captures
them at the default settings (1280x720; videos 4 s at 30 fps) in a child Python process per measurement.

CPU is the whole process tree's: Python, Playwright's driver, every Chromium process, every ffmpeg/ffprobe.
This process makes itself a child subreaper (``PR_SET_CHILD_SUBREAPER``) so that descendants orphaned on the
way (a browser killed at exit leaves its zygote's children to the reaper) are reaped here, and reads
``getrusage(RUSAGE_CHILDREN)`` around each child. The cost per version is the marginal one: (CPU of a run of
N versions - CPU of a run of 1) / (N - 1), which leaves out starting Python, the driver and the browser (the
fixed cost, reported apart). Ratios are against the blank page measured in the same run, since these machines
are shared and noisy. The ``floor`` row is what any capture pays per version before the clock and the
screenshots: a fresh context as the capture makes it, a page, the blank demo loaded, the context closed.
``--site`` adds the posters of every artifact of a built site (real demos: React, canvases, charts), and what
just loading those pages costs (the demos' own loading: the floor of real demos).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.process_cpu import become_subreaper, tree_cpu  # noqa: E402
from tests.media.test_capture import ANIMATED, write_site  # noqa: E402

DEMOS = {"blank": ("", ""), **ANIMATED}


def child(site: Path, kind: str, count: int, video: bool) -> None:
    """The measured process: ``count`` copies of one demo (or the first ``count`` artifacts of a built site,
    ``kind`` ``built``), captured at the default settings."""
    from mkdocs_hybrid.media import _capture
    from mkdocs_hybrid.media._capture import CaptureJob, CaptureSettings, capture
    from mkdocs_hybrid.media._tools import MediaTools

    if kind.endswith("-fresh"):  # the same run without tab reuse: a fresh context per version (the baseline)
        kind = kind.removesuffix("-fresh")
        _capture._Run = functools.partial(_capture._Run, reuse=False)  # type: ignore[misc]
    if kind in ("floor", "floor-reuse", "built-floor"):
        pages = built_pages(site)[:count] if kind == "built-floor" else [
            f"artifacts/blank{i}/v1/page.html" for i in range(count)]
        asyncio.run(floor(site, pages, kind != "floor"))
        return
    pages = built_pages(site)[:count] if kind == "built" else [
        f"artifacts/{kind}{i}/v1/page.html" for i in range(count)]
    out = Path(tempfile.mkdtemp(prefix="mkdocs-hybrid-media-bench-out-"))
    jobs = [CaptureJob(page, page, out / str(i), video) for i, page in enumerate(pages)]
    outcomes = capture(site, jobs, CaptureSettings(), MediaTools.find())
    shutil.rmtree(out, ignore_errors=True)
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise SystemExit(f"capture failed: {failed[0]}")


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
    parser.add_argument("--posters", type=int, default=9, help="versions per poster run (default 9)")
    parser.add_argument("--videos", type=int, default=3, help="versions per video run (default 3; 0: no videos)")
    parser.add_argument("--keep", type=Path, help="keep the site folder here")
    parser.add_argument("--site", type=Path, help="also: posters of every artifact of this built site folder")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        site, kind, count, mode = args.child
        child(Path(site), kind, int(count), mode == "video")
        return
    become_subreaper()
    work = Path(tempfile.mkdtemp(prefix="mkdocs-hybrid-media-bench-"))
    try:
        site = work / "site"
        count = max(args.posters, args.videos)
        write_site(site, {f"{kind}{i}": demo for kind, demo in DEMOS.items() for i in range(count)})
        report(site, args.posters, args.videos)
        if args.site:
            report_built(args.site.resolve(), site)
        if args.keep:
            shutil.copytree(site, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


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


def report_built(site: Path, fixtures: Path) -> None:
    count = len(built_pages(site))
    if count < 2:
        raise SystemExit(f"{site} has {count} artifact pages: need at least 2")
    poster, fixed, wall = marginal(site, "built", count, False)
    fresh, _, _ = marginal(site, "built-fresh", count, False)
    loaded, _, _ = marginal(site, "built-floor", count, False)
    blank, _, _ = marginal(fixtures, "floor-reuse", len(list(fixtures.glob("artifacts/blank*/v1"))), False)
    print(f"\nbuilt site {site}: {count} versions, poster CPU {poster * 1000:.0f} ms / version (marginal; fresh "
          f"context per version, same run: {fresh * 1000:.0f} ms, ratio {poster / fresh:.2f}), fixed {fixed:.2f} s "
          f"/ run, wall {wall:.2f} s / version; the pages only loaded in a reused tab (no clock, no screenshot): "
          f"{loaded * 1000:.0f} ms, a blank page so: {blank * 1000:.0f} ms")

if __name__ == "__main__":
    main()
