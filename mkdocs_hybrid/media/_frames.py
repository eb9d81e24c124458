"""From a tab's frames to a version's checked media: the poster and the card of one frame, every frame of a video
piped to ffmpeg with the preview made from it, and ffprobe's check of each file before it is put in place.

The browser side (the tab, its clock, the site folder it may load) is :mod:`._capture`'s.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_hybrid.media._encode import (
    h264_args,
    preview_args,
    preview_fps,
    preview_size,
    still_frame,
    webp_card,
    webp_poster,
)
from mkdocs_hybrid.media._probe import frame_rate
from mkdocs_hybrid.media._settings import SETTLE_MS, CaptureSettings
from mkdocs_hybrid.media._tools import MediaTools
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.layout import MEDIA_FILES

if TYPE_CHECKING:
    from playwright.async_api import CDPSession, Page

__all__ = ["CaptureError", "PartFiles", "record_video", "screenshot", "start", "start_and_step", "step",
           "write_posters"]

FFMPEG_QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error")


class CaptureError(Exception):
    """One version failed; the message is one line."""


# ---- frames -----------------------------------------------------------------------------------------------


async def start(page: Page) -> None:
    await page.evaluate("ms => window.__mkdocsHybridClock.start(ms)", SETTLE_MS)


async def start_and_step(page: Page, seconds: float, settings: CaptureSettings) -> None:
    """:func:`start`, then :func:`step` to ``seconds``: the same two calls of the clock in one driver round trip
    (a poster needs nothing in between)."""
    await page.evaluate("async ([settle, ms, fps]) => { const clock = window.__mkdocsHybridClock; "
                        "await clock.start(settle); return clock.step(ms, fps, settle); }",
                        [SETTLE_MS, seconds * 1000, settings.fps])


async def step(page: Page, seconds: float, settings: CaptureSettings) -> None:
    await page.evaluate("([ms, fps, settle]) => window.__mkdocsHybridClock.step(ms, fps, settle)",
                        [seconds * 1000, settings.fps, SETTLE_MS])


async def screenshot(cdp: CDPSession, settings: CaptureSettings) -> bytes:
    """One frame of the viewport as a PNG, straight from the compositor. Lossless (posters and video frames are
    encoded from it), with the fast zlib level: it is decoded at once, never kept."""
    reply = await cdp.send("Page.captureScreenshot", {
        "format": "png", "optimizeForSpeed": True, "captureBeyondViewport": False, "fromSurface": True,
        "clip": {"x": 0, "y": 0, "width": settings.width, "height": settings.height, "scale": 1}})
    return base64.b64decode(reply["data"])


async def write_posters(frame: bytes, settings: CaptureSettings, files: PartFiles) -> None:
    """The poster and the card of one frame (measured on the sample demos: one readback and Pillow's encoder
    cost about 25 ms of CPU less per version than a WebP screenshot per size from Chromium, whose scaled one
    also repaints the page). The two are encoded at once, in two threads: the same bytes as one after the
    other (``_encode.webp_stills``), in about two thirds of the wall time (measured: 0.67 on the sample demos)."""
    try:
        image = await asyncio.to_thread(still_frame, frame, (settings.width, settings.height))
    except ValueError as error:  # a screenshot of another size, or not a PNG
        raise CaptureError(f"no poster: {error}") from None
    poster, card = await asyncio.gather(asyncio.to_thread(webp_poster, image), asyncio.to_thread(
        webp_card, image, (settings.card_width, settings.card_height)))
    files.write("poster", poster)
    files.write("card", card)


async def record_video(page: Page, cdp: CDPSession, settings: CaptureSettings, tools: MediaTools,
                       files: PartFiles, at_poster: Callable[[], Awaitable[None]] | None = None) -> None:
    """Every frame in order in this one tab (stateful canvases), the poster at its time on the way (and then
    ``at_poster``: the PDF export is printed there)."""
    assert tools.ffmpeg is not None
    command = [str(tools.ffmpeg), *FFMPEG_QUIET, "-f", "image2pipe", "-framerate", str(settings.fps), "-c:v", "png",
               "-i", "pipe:0", "-frames:v", str(settings.frames), *h264_args(threads=settings.threads),
               "-f", "mp4", "-y", str(files.part("video"))]
    encoder = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await _frames(page, cdp, settings, files, encoder, at_poster)
        await _finish(encoder, "encoding the video")
        preview = preview_args(threads=settings.threads, fps=settings.fps)
        await _ffmpeg(tools, ["-f", "mov", "-i", str(files.part("video")), *preview,
                              "-f", "mp4", "-y", str(files.part("preview"))], "making the preview")
    finally:
        if encoder.returncode is None:
            encoder.kill()
            await encoder.wait()


async def _frames(page: Page, cdp: CDPSession, settings: CaptureSettings, files: PartFiles,
                  encoder: asyncio.subprocess.Process, at_poster: Callable[[], Awaitable[None]] | None) -> None:
    assert encoder.stdin is not None

    async def poster(frame: bytes) -> None:
        await write_posters(frame, settings, files)
        if at_poster is not None:
            await at_poster()

    times = [index / settings.fps for index in range(settings.frames)]
    poster_done = False
    for time in times:
        if not poster_done and settings.poster_at < time:  # between two frames: a step of its own
            await step(page, settings.poster_at, settings)
            await poster(await screenshot(cdp, settings))
            poster_done = True
        await step(page, time, settings)
        frame = await screenshot(cdp, settings)
        if not poster_done and settings.poster_at == time:  # on a frame: that frame
            await poster(frame)
            poster_done = True
        encoder.stdin.write(frame)
        await encoder.stdin.drain()
    encoder.stdin.close()
    if not poster_done:
        await step(page, settings.poster_at, settings)
        await poster(await screenshot(cdp, settings))


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
class PartFiles:
    """A version's media, written as ``.part`` files and renamed only when every one is checked."""

    out_dir: Path
    video: bool
    pdf: bool = False
    """With the PDF export (``demo.pdf``)."""
    posters: bool = True
    """With the poster and the card (not for a PDF-only job: an attached video's poster comes from the video)."""
    written: dict[str, tuple[str, int]] = field(default_factory=dict)
    """sha256 and size of the stills written here: :meth:`checked` need not read them back."""

    @property
    def roles(self) -> tuple[str, ...]:
        made = (*(("poster", "card") if self.posters else ()), *(("video", "preview") if self.video else ()))
        return (*made, "pdf") if self.pdf else made

    def part(self, role: str) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.out_dir / f".{MEDIA_FILES[role]}.part"

    def write(self, role: str, data: bytes) -> None:
        write_atomic(self.part(role), data)
        self.written[role] = hashlib.sha256(data).hexdigest(), len(data)

    async def finish(self, settings: CaptureSettings, tools: MediaTools) -> tuple[MediaFile, ...]:
        """Check every file (sizes, codec, frames), then put them in place; one ``MediaFile`` per role."""
        made = [await self.checked(role, settings, tools) for role in self.roles]
        for role in self.roles:
            os.replace(self.part(role), self.out_dir / MEDIA_FILES[role])
        return tuple(made)

    async def checked(self, role: str, settings: CaptureSettings, tools: MediaTools) -> MediaFile:
        if role in self.written:
            digest, size = self.written[role]
        else:
            data = self.part(role).read_bytes()
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
        if role == "pdf":  # one page of the viewport's size (checked by _pdf.reproducible_pdf)
            return MediaFile(role, MEDIA_FILES[role], digest, size, settings.width, settings.height)
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


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no message"
