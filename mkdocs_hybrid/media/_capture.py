"""Posters and videos of built artifacts: headless Chromium on a virtual clock, frames piped to ffmpeg.

Why this way (measured, see the project's video notes): only a virtual clock (``_clock.js``) plus one CDP
``Page.captureScreenshot`` per frame gives byte-identical output on repeat; screencasts and recorders drop and
repeat frames. Demos are untrusted: each version runs in a browser context that reaches nothing but the site
folder (served for one fake origin with the site's own sandbox header: an opaque origin), under a time limit, so
one broken demo costs one error outcome and never the others. A poster-only version reuses the tab of a version
that ended cleanly (a fresh document, same bytes as a fresh context: tested); a video, and any version after a
failure, gets a fresh one. One browser serves every version; versions run in parallel.

This module drives the browser (its tabs, the site folder it may load, the time limits); what a capture makes
and what changes its bytes is :mod:`._settings`, and what a tab's frames become is :mod:`._frames`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import mimetypes
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.media._frames import (
    CaptureError,
    PartFiles,
    record_video,
    screenshot,
    start,
    start_and_step,
    write_posters,
)
from mkdocs_hybrid.media._pdf import write_pdf
from mkdocs_hybrid.media._settings import LAUNCH_ARGS, CaptureSettings, clock_script
from mkdocs_hybrid.media._tools import MediaTools
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.layout import VENDOR

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, CDPSession, Page, Playwright, Route, WebSocketRoute

__all__ = ["ORIGIN", "CaptureJob", "CaptureOutcome", "CaptureSettings", "capture"]

log = logging.getLogger(__name__)

ORIGIN = "http://capture.invalid"
"""The one origin the capture browser may load; served from the site folder, never from a network."""
CLOSE_LIMIT = 10.0
"""Seconds to open or close a version's context (closing kills its renderer); past it the browser is relaunched."""
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".avif": "image/avif", ".ico": "image/x-icon", ".wasm": "application/wasm", ".woff": "font/woff",
    ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf", ".txt": "text/plain; charset=utf-8",
    ".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg", ".wav": "audio/wav",
}
"""Fixed, so the capture does not depend on the machine's mime.types."""
T = TypeVar("T")


@dataclass(frozen=True)
class CaptureJob:
    """One version to capture."""

    ref: str
    """``thread/version``, for messages and progress."""
    page: str
    """Site-relative path of the artifact page, e.g. ``artifacts/t/v/page.html``."""
    out_dir: Path
    """Where ``poster.webp`` and ``card.webp`` (and with ``video``, ``video.mp4`` and ``preview.mp4``) go."""
    video: bool
    pdf: bool = False
    """Also print the demo at the poster's time to ``demo.pdf`` (``exports.pdf``: see :mod:`._pdf`)."""
    posters: bool = True
    """False for a PDF-only job (no video): the version's poster and card come from its attached video, the
    browser only prints the demo at the poster's time."""


@dataclass(frozen=True)
class CaptureOutcome:
    """What one version gave: its files, or one line saying why it failed (then no file was left behind)."""

    job: CaptureJob
    files: tuple[MediaFile, ...]
    error: str | None


def capture(site_dir: Path, jobs: Sequence[CaptureJob], settings: CaptureSettings, tools: MediaTools, *,
            workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> list[CaptureOutcome]:
    """Capture every job (in parallel, ``workers`` at a time), one outcome per job in order.

    ``progress(done, total)`` is called after each version, from the thread that runs the capture (this one,
    unless it already runs an event loop).
    """
    if not jobs:
        return []
    missing = tools.missing_for_posters()
    if missing is not None:
        return [CaptureOutcome(job, (), missing) for job in jobs]
    run = _Run(site_dir.resolve(), settings, tools, max(1, workers or os.cpu_count() or 1), progress)
    return _run_loop(lambda: run.all(jobs))


def _run_loop(main: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run``, in a thread of its own when the caller already runs an event loop (a plugin host)."""
    async def runner() -> T:
        return await main()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(runner())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, runner()).result()


@dataclass
class _Run:
    """One ``capture`` call: the browser, the limits and the progress count."""

    site: Path
    settings: CaptureSettings
    tools: MediaTools
    workers: int
    progress: Callable[[int, int], None] | None
    done: int = 0
    reuse: bool = True
    """Poster-only versions reuse idle tabs (see ``one``); off, every version gets a fresh context."""
    browser: Browser | None = None
    retired: list[Browser] = field(default_factory=list)
    idle: list[_Tab] = field(default_factory=list)

    async def all(self, jobs: Sequence[CaptureJob]) -> list[CaptureOutcome]:
        from playwright.async_api import async_playwright

        semaphore = asyncio.Semaphore(self.workers)
        launch = asyncio.Lock()
        async with async_playwright() as playwright:
            async def one(job: CaptureJob) -> CaptureOutcome:
                async with semaphore:
                    outcome = await self.one(playwright, launch, job)
                self.done += 1
                if self.progress is not None:
                    self.progress(self.done, len(jobs))
                return outcome

            try:
                return list(await asyncio.gather(*(one(job) for job in jobs)))
            finally:
                for browser in [*self.retired, *([self.browser] if self.browser else [])]:
                    await _quietly(browser.close(), CLOSE_LIMIT)

    async def launched(self, playwright: Playwright, launch: asyncio.Lock) -> Browser:
        """The shared browser, launched on first use and again after a crash or a stuck renderer."""
        async with launch:
            if self.browser is None or not self.browser.is_connected():
                assert self.tools.chromium is not None
                self.browser = await playwright.chromium.launch(
                    executable_path=str(self.tools.chromium), args=list(LAUNCH_ARGS), handle_sigint=False)
            return self.browser

    async def one(self, playwright: Playwright, launch: asyncio.Lock, job: CaptureJob) -> CaptureOutcome:
        """One version in a tab of its own; any failure becomes the outcome's one-line error.

        A poster-only version reuses an idle tab (its context, page and renderer) from an earlier version that
        ended cleanly (measured: 60-100 ms of CPU less per poster than a fresh context and its renderer): each demo
        is an opaque origin (no storage, cookies or service workers) in a fresh document and JS realm, and
        ``clear`` and the clock reset what a tab keeps across documents. A video gets a fresh context. After any
        failure or timeout the tab is closed, never reused."""
        limit = self.settings.video_limit if job.video else self.settings.poster_limit
        missing = self.tools.missing_for_video() if job.video else None
        if missing is not None:
            return CaptureOutcome(job, (), missing)
        files = PartFiles(job.out_dir, job.video, job.pdf, job.posters)
        tab: _Tab | None = None
        reusable = False
        try:
            browser = await self.launched(playwright, launch)
            tab = None if job.video or not self.reuse else await self.idle_tab(browser)
            if tab is None:
                tab = await asyncio.wait_for(self.new_tab(browser), CLOSE_LIMIT)
            made = await asyncio.wait_for(self.render(tab, job, files), limit)
            reusable = not job.video and self.reuse
            return CaptureOutcome(job, made, None)
        except asyncio.TimeoutError:
            error = f"{job.ref}: no media after {limit:g} s (the demo hangs or is too slow)"
        except CaptureError as failure:
            error = f"{job.ref}: {failure}"
        except Exception as failure:  # Playwright's errors, a crashed renderer, an I/O error
            error = f"{job.ref}: {_one_line(failure)}"
        finally:
            if tab is not None:
                await self.release(tab, reusable)
        files.discard()
        return CaptureOutcome(job, (), error)

    async def idle_tab(self, browser: Browser) -> _Tab | None:
        """An idle tab of this browser, or None; tabs of a retired browser are dropped."""
        while self.idle:
            tab = self.idle.pop()
            if tab.browser is browser and not tab.page.is_closed():
                return tab
            await self.close(tab)
        return None

    async def new_tab(self, browser: Browser) -> _Tab:
        context = await self.context(browser)
        try:
            page = await context.new_page()
            return _Tab(browser, context, page, await context.new_cdp_session(page))
        except BaseException:
            await _quietly(context.close(), CLOSE_LIMIT)
            raise

    async def release(self, tab: _Tab, reusable: bool) -> None:
        """Back to the idle tabs when it can be reused and is cleared in time, closed otherwise."""
        if reusable and await _quietly(self.clear(tab), CLOSE_LIMIT, strict=True):
            self.idle.append(tab)
        else:
            await self.close(tab)

    async def clear(self, tab: _Tab) -> None:
        """Ready for the next demo: the popups closed, the history down to the current entry (so that the next
        demo sees the ``history.length`` of a fresh page; the clock resets ``window.name``). The next ``goto``
        unloads this demo's document, its timers and frames with it (a detour through ``about:blank`` here cost
        20 ms of CPU per version and gave the same bytes)."""
        for page in tab.context.pages:
            if page is not tab.page:
                await page.close()
        await tab.cdp.send("Page.resetNavigationHistory")

    async def close(self, tab: _Tab) -> None:
        """A context that cannot be closed has a stuck renderer: later versions get a new browser."""
        if not await _quietly(tab.context.close(), CLOSE_LIMIT) and tab.browser is self.browser:
            self.retire()

    def retire(self) -> None:
        """A context that cannot be closed has a stuck renderer: later versions get a new browser."""
        if self.browser is not None:
            self.retired.append(self.browser)
            self.browser = None

    async def context(self, browser: Browser) -> BrowserContext:
        """A fresh, isolated context: the virtual clock before any demo code, the site folder as the only
        network, fixed locale, time zone and colour scheme."""
        settings = self.settings
        context = await browser.new_context(
            viewport={"width": settings.width, "height": settings.height}, device_scale_factor=1,
            service_workers="block", locale="en-US", timezone_id="UTC", color_scheme="light",
            reduced_motion="no-preference", accept_downloads=False)
        await context.add_init_script(script=clock_script())
        await context.route("**/*", self.serve)
        await context.route_web_socket("**/*", _refuse_web_socket)
        return context

    async def serve(self, route: Route) -> None:
        """Answer from the site folder for ``ORIGIN``; abort anything else."""
        url = route.request.url
        target = _site_file(self.site, url)
        if target is None:
            log.debug("capture blocked %s", url[:200])
            await route.abort("blockedbyclient")
            return
        if not target.is_file():
            await route.fulfill(status=404, body=b"not found\n", content_type="text/plain; charset=utf-8")
            return
        await route.fulfill(status=200, body=target.read_bytes(), headers=_headers(target, self.site))

    async def render(self, tab: _Tab, job: CaptureJob, files: PartFiles) -> tuple[MediaFile, ...]:
        settings, page, cdp = self.settings, tab.page, tab.cdp
        # no Playwright timeout: the version's limit governs
        response = await page.goto(f"{ORIGIN}/{job.page.lstrip('/')}", wait_until="load", timeout=0)
        if response is None or response.status != 200:
            raise CaptureError(f"{job.page} is not in the site folder")
        printed = partial(write_pdf, cdp, settings, files) if job.pdf else None
        if job.video:
            await start(page)
            await record_video(page, cdp, settings, self.tools, files, printed)
        else:
            await start_and_step(page, settings.poster_at, settings)
            if job.posters:
                await write_posters(await screenshot(cdp, settings), settings, files)
            if printed is not None:
                await printed()
        return await files.finish(settings, self.tools)


@dataclass(frozen=True)
class _Tab:
    """A context of its own with one page and its CDP session: what a version renders in."""

    browser: Browser
    context: BrowserContext
    page: Page
    cdp: CDPSession


def _site_file(site: Path, url: str) -> Path | None:
    """The file ``url`` names in the site folder, or ``None`` for another origin or a path escaping it."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None
    relative = unquote(parts.path).lstrip("/")
    if "\x00" in relative or any(part == ".." for part in relative.split("/")):
        return None
    target = (site / relative).resolve()
    return target if target == site or target.is_relative_to(site) else None


def _headers(target: Path, site: Path) -> dict[str, str]:
    """As the site serves them: every HTML page in the demo sandbox, vendor files readable cross-origin."""
    kind = CONTENT_TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0]
    kind = kind or "application/octet-stream"
    headers = {"Content-Type": kind, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if kind.startswith("text/html"):
        headers["Content-Security-Policy"] = DEMO_CSP
    if target.relative_to(site).parts[:1] == (VENDOR,):
        headers["Access-Control-Allow-Origin"] = "*"
    return headers


async def _refuse_web_socket(socket: WebSocketRoute) -> None:
    log.debug("capture blocked %s", socket.url[:200])
    await socket.close(code=1008, reason="no network in a capture")


# ---- small helpers ----------------------------------------------------------------------------------------


async def _quietly(awaitable: Awaitable[Any], limit: float, *, strict: bool = False) -> bool:
    """Await with a time limit, swallowing errors: cleanup must not fail a version. True when it finished
    (``strict``: finished without an error)."""
    try:
        await asyncio.wait_for(awaitable, limit)
    except asyncio.TimeoutError:
        return False
    except Exception:
        return not strict
    return True


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


