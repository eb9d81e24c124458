"""Posters and videos of built artifacts: headless Chromium on a virtual clock, frames piped to ffmpeg.

Why this way (measured, see the project's video notes): only a virtual clock (``_clock.js``) plus one CDP
``Page.captureScreenshot`` per frame gives byte-identical output on repeat; screencasts and recorders drop and
repeat frames. Demos are untrusted: each version runs in a browser context that reaches nothing but the site
folder (served for one fake origin with the site's own sandbox header: an opaque origin), under a time limit, so
one broken demo costs one error outcome and never the others. A poster-only version reuses the tab of a version
that ended cleanly (a fresh document, same bytes as a fresh context: tested); a video, and any version after a
failure, gets a fresh one. One browser serves every version; versions run in parallel.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import json
import logging
import mimetypes
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.media._encode import (
    h264_args,
    preview_args,
    preview_fps,
    preview_size,
    stills_profile,
    webp_stills,
)
from mkdocs_hybrid.media._probe import frame_rate
from mkdocs_hybrid.media._tools import MediaTools
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.layout import MEDIA_FILES

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, CDPSession, Page, Playwright, Route, WebSocketRoute

__all__ = ["ORIGIN", "CaptureJob", "CaptureOutcome", "CaptureSettings", "capture"]

log = logging.getLogger(__name__)

ORIGIN = "http://capture.invalid"
"""The one origin the capture browser may load; served from the site folder, never from a network."""
LAUNCH_ARGS = (
    "--no-sandbox",  # root in a container; the demo is still confined by the context and the routing below
    "--disable-gpu", "--disable-sync", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--hide-scrollbars", "--mute-audio", "--font-render-hinting=none",
    "--force-color-profile=srgb", "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    # Animations run on the main thread only: the compositor otherwise shows its own clock's state for a paused,
    # seeked animation (measured: frame 0 of a CSS transform animation varied with load).
    "--disable-threaded-animation",
    # Defence in depth behind the routing: no name resolves, nothing goes direct, WebRTC sends no UDP.
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
SETTLE_MS = 2000
"""Real milliseconds a step waits for the demo's fetches and images from the site folder to settle."""
CLOSE_LIMIT = 10.0
"""Seconds to open or close a version's context (closing kills its renderer); past it the browser is relaunched."""
FFMPEG_QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error")
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
class CaptureSettings:
    """What a capture makes; every field but the time limits changes the output bytes."""

    seconds: float = 4.0
    fps: int = 30
    width: int = 1280
    height: int = 720
    poster_at: float = 1.0
    """Virtual time of the poster, in seconds."""
    card_width: int = 480
    """The gallery card: the poster scaled to this width, same aspect, even height."""
    threads: int = 1
    """ffmpeg's threads, pinned: the bytes depend on it."""
    poster_limit: float = 15.0
    """Seconds a poster-only version may take before it is given up (a hanging demo)."""
    video_limit: float = 60.0
    """Seconds a version with a video may take."""

    def __post_init__(self) -> None:
        if self.width % 2 or self.height % 2 or self.card_width % 2 or min(self.width, self.height,
                                                                            self.card_width) < 2:
            raise ValueError(f"capture sizes must be even and positive (H.264 yuv420p): {self.width}x{self.height}, "
                             f"card {self.card_width}")
        if self.fps < 1 or self.seconds <= 0 or self.poster_at < 0 or self.threads < 1:
            raise ValueError(f"capture needs fps >= 1, seconds > 0, poster_at >= 0, threads >= 1: {self}")

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))

    @property
    def card_height(self) -> int:
        return max(2, round(self.height * self.card_width / self.width / 2) * 2)

    def cache_inputs(self) -> dict[str, object]:
        """Everything that changes the output bytes: the settings, the clock, the browser flags, the encoders'
        options (the tools' versions come from ``MediaTools.versions``)."""
        inputs: dict[str, object] = {k: v for k, v in asdict(self).items() if not k.endswith("_limit")}
        inputs.update(clock=hashlib.sha256(_clock_script().encode()).hexdigest(), launch=list(LAUNCH_ARGS),
                      stills=stills_profile(), h264=h264_args(threads=self.threads),
                      preview=preview_args(threads=self.threads, fps=self.fps), csp=DEMO_CSP)
        return inputs


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


@dataclass(frozen=True)
class CaptureOutcome:
    """What one version gave: its files, or one line saying why it failed (then no file was left behind)."""

    job: CaptureJob
    files: tuple[MediaFile, ...]
    error: str | None


class CaptureError(Exception):
    """One version failed; the message is one line."""


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
        files = _Files(job.out_dir, job.video)
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
        await context.add_init_script(script=_clock_script())
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

    async def render(self, tab: _Tab, job: CaptureJob, files: _Files) -> tuple[MediaFile, ...]:
        settings, page, cdp = self.settings, tab.page, tab.cdp
        # no Playwright timeout: the version's limit governs
        response = await page.goto(f"{ORIGIN}/{job.page.lstrip('/')}", wait_until="load", timeout=0)
        if response is None or response.status != 200:
            raise CaptureError(f"{job.page} is not in the site folder")
        await page.evaluate("ms => window.__mkdocsHybridClock.start(ms)", SETTLE_MS)
        if job.video:
            await _video(page, cdp, settings, self.tools, files)
        else:
            await _step(page, settings.poster_at, settings)
            await _posters(await _frame(cdp, settings), settings, files)
        return await files.finish(settings, self.tools)


@dataclass(frozen=True)
class _Tab:
    """A context of its own with one page and its CDP session: what a version renders in."""

    browser: Browser
    context: BrowserContext
    page: Page
    cdp: CDPSession


# ---- frames -----------------------------------------------------------------------------------------------


async def _step(page: Page, seconds: float, settings: CaptureSettings) -> None:
    await page.evaluate("([ms, fps, settle]) => window.__mkdocsHybridClock.step(ms, fps, settle)",
                        [seconds * 1000, settings.fps, SETTLE_MS])


async def _frame(cdp: CDPSession, settings: CaptureSettings) -> bytes:
    """One frame of the viewport as a PNG, straight from the compositor. Lossless (posters and video frames are
    encoded from it), with the fast zlib level: it is decoded at once, never kept."""
    reply = await cdp.send("Page.captureScreenshot", {
        "format": "png", "optimizeForSpeed": True, "captureBeyondViewport": False, "fromSurface": True,
        "clip": {"x": 0, "y": 0, "width": settings.width, "height": settings.height, "scale": 1}})
    return base64.b64decode(reply["data"])


async def _posters(frame: bytes, settings: CaptureSettings, files: _Files) -> None:
    """The poster and the card of one frame (measured on the sample demos: one readback and Pillow's encoder
    cost about 25 ms of CPU less per version than a WebP screenshot per size from Chromium, whose scaled one
    also repaints the page)."""
    try:
        poster, card = await asyncio.to_thread(webp_stills, frame, (settings.width, settings.height),
                                               (settings.card_width, settings.card_height))
    except ValueError as error:  # a screenshot of another size, or not a PNG
        raise CaptureError(f"no poster: {error}") from None
    files.write("poster", poster)
    files.write("card", card)


async def _video(page: Page, cdp: CDPSession, settings: CaptureSettings, tools: MediaTools, files: _Files) -> None:
    """Every frame in order in this one tab (stateful canvases), the poster at its time on the way."""
    assert tools.ffmpeg is not None
    command = [str(tools.ffmpeg), *FFMPEG_QUIET, "-f", "image2pipe", "-framerate", str(settings.fps), "-c:v", "png",
               "-i", "pipe:0", "-frames:v", str(settings.frames), *h264_args(threads=settings.threads),
               "-f", "mp4", "-y", str(files.part("video"))]
    encoder = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await _frames(page, cdp, settings, files, encoder)
        await _finish(encoder, "encoding the video")
        preview = preview_args(threads=settings.threads, fps=settings.fps)
        await _ffmpeg(tools, ["-f", "mov", "-i", str(files.part("video")), *preview,
                              "-f", "mp4", "-y", str(files.part("preview"))], "making the preview")
    finally:
        if encoder.returncode is None:
            encoder.kill()
            await encoder.wait()


async def _frames(page: Page, cdp: CDPSession, settings: CaptureSettings, files: _Files,
                  encoder: asyncio.subprocess.Process) -> None:
    assert encoder.stdin is not None
    times = [index / settings.fps for index in range(settings.frames)]
    poster_done = False
    for time in times:
        if not poster_done and settings.poster_at < time:  # between two frames: a step of its own
            await _step(page, settings.poster_at, settings)
            await _posters(await _frame(cdp, settings), settings, files)
            poster_done = True
        await _step(page, time, settings)
        frame = await _frame(cdp, settings)
        if not poster_done and settings.poster_at == time:  # on a frame: that frame
            await _posters(frame, settings, files)
            poster_done = True
        encoder.stdin.write(frame)
        await encoder.stdin.drain()
    encoder.stdin.close()
    if not poster_done:
        await _step(page, settings.poster_at, settings)
        await _posters(await _frame(cdp, settings), settings, files)


async def _finish(process: asyncio.subprocess.Process, what: str) -> None:
    assert process.stderr is not None
    stderr = await process.stderr.read()
    if await process.wait() != 0:
        raise CaptureError(f"ffmpeg failed {what}: {_last_line(stderr)}")


async def _ffmpeg(tools: MediaTools, arguments: list[str], what: str) -> None:
    assert tools.ffmpeg is not None
    process = await asyncio.create_subprocess_exec(str(tools.ffmpeg), *FFMPEG_QUIET, *arguments,
                                                   stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await _finish(process, what)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


# ---- output files -----------------------------------------------------------------------------------------



@dataclass
class _Files:
    """A version's media, written as ``.part`` files and renamed only when every one is checked."""

    out_dir: Path
    video: bool

    @property
    def roles(self) -> tuple[str, ...]:
        return ("poster", "card", "video", "preview") if self.video else ("poster", "card")

    def part(self, role: str) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.out_dir / f".{MEDIA_FILES[role]}.part"

    def write(self, role: str, data: bytes) -> None:
        write_atomic(self.part(role), data)

    async def finish(self, settings: CaptureSettings, tools: MediaTools) -> tuple[MediaFile, ...]:
        """Check every file (sizes, codec, frames), then put them in place; one ``MediaFile`` per role."""
        made = [await self.checked(role, settings, tools) for role in self.roles]
        for role in self.roles:
            os.replace(self.part(role), self.out_dir / MEDIA_FILES[role])
        return tuple(made)

    async def checked(self, role: str, settings: CaptureSettings, tools: MediaTools) -> MediaFile:
        data = self.part(role).read_bytes()
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
        if role in ("poster", "card"):  # their size checked when they were made (webp_stills)
            want = (settings.width, settings.height) if role == "poster" else (settings.card_width,
                                                                               settings.card_height)
            return MediaFile(role, MEDIA_FILES[role], digest, size, *want)
        return await _probed(self.part(role), role, settings, tools, digest, size)

    def discard(self) -> None:
        """After a failure: no part and no media file of ours is left (the folder must not claim media)."""
        for role in self.roles:
            for path in (self.out_dir / f".{MEDIA_FILES[role]}.part", self.out_dir / MEDIA_FILES[role]):
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass


async def _probed(path: Path, role: str, settings: CaptureSettings, tools: MediaTools, digest: str,
            size: int) -> MediaFile:
    """ffprobe says it is what the site promises: H.264, yuv420p, the size, the frames and the duration."""
    assert tools.ffprobe is not None
    command = [str(tools.ffprobe), "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
               "stream=codec_name,pix_fmt,width,height,nb_read_packets,r_frame_rate:format=duration",
               "-of", "json", str(path)]
    process = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise CaptureError(f"ffprobe cannot read {MEDIA_FILES[role]}: {_last_line(stderr)}")
    info = json.loads(stdout)
    stream = (info.get("streams") or [{}])[0]
    fps = frame_rate(stream.get("r_frame_rate", "0/1")) or 0.0
    duration = float(info.get("format", {}).get("duration", 0.0))
    width, height = settings.width, settings.height
    if role == "preview":
        width, height = preview_size(settings.width, settings.height)
    expected = (("h264", "yuv420p", width, height, settings.fps if role == "video" else preview_fps(settings.fps)))
    actual = (stream.get("codec_name"), stream.get("pix_fmt"), stream.get("width"), stream.get("height"), fps)
    frames = int(stream.get("nb_read_packets", 0))
    if actual != expected or abs(duration - settings.seconds) > 1.5 / expected[4] or frames < 1:
        raise CaptureError(f"{MEDIA_FILES[role]} is {actual} with {frames} frames in {duration:g} s, not {expected} "
                           f"for {settings.seconds:g} s")
    if role == "video" and frames != settings.frames:
        raise CaptureError(f"{MEDIA_FILES[role]} has {frames} frames, not {settings.frames}")
    return MediaFile(role, MEDIA_FILES[role], digest, size, width, height, duration=duration, fps=fps)


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
    if target.relative_to(site).parts[:1] == ("vendor",):
        headers["Access-Control-Allow-Origin"] = "*"
    return headers


async def _refuse_web_socket(socket: WebSocketRoute) -> None:
    log.debug("capture blocked %s", socket.url[:200])
    await socket.close(code=1008, reason="no network in a capture")


# ---- small helpers ----------------------------------------------------------------------------------------


@cache
def _clock_script() -> str:
    return (Path(__file__).with_name("_clock.js")).read_text(encoding="utf-8")


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


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no message"
