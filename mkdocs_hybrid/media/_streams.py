"""What the media stage needs to know about HLS without loading the prober or the transcoder: the plan a
manifest asks for (part of an attached video's cache key), and the removal of a ladder a version no longer has.

The ladder itself is made by :mod:`mkdocs_hybrid.media._hls`, loaded only when an attached video is transcoded.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from mkdocs_hybrid.config.manifest import VideoOptions
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.layout import HLS

LADDER = (360, 720, 1080)
"""Rung heights; a video gets those at or below its own height (never upscaled), or its own height alone."""
SEGMENT_SECONDS = 4
"""Target segment length; a keyframe is forced at every boundary so all rungs switch at the same times."""


@dataclass(frozen=True)
class HlsPlan:
    """Whether and how a long video is streamed: part of the media cache key."""

    after_seconds: float
    """Videos longer than this get a ladder."""
    heights: tuple[int, ...] = LADDER
    segment_seconds: int = SEGMENT_SECONDS

    def wants(self, seconds: float | None) -> bool:
        return seconds is not None and seconds > self.after_seconds


def hls_plan(options: VideoOptions) -> HlsPlan:
    return HlsPlan(after_seconds=float(options.hls_after_seconds))


def hls_of(options: VideoOptions) -> dict[str, HlsPlan | None]:
    """The transcoder's ``hls`` argument for these options (none when Cloudflare Stream hosts long videos)."""
    return {"hls": None if options.host == "stream" else hls_plan(options)}


LADDER_LAYOUT = 2
"""How a ladder's files are named (2: in a content-addressed ``hls/{digest}/``): part of the media cache key, so a
cache entry made with another layout is made again, not installed under its old names."""


def hls_key(options: VideoOptions) -> dict[str, object]:
    """Everything about HLS that changes an attached video's files (the threshold decides whether there is a
    ladder at all)."""
    return {"hls": asdict(hls_plan(options)), "layout": LADDER_LAYOUT,
            **({"host": options.host} if options.host != "site" else {})}


def remove_stale_hls(folder: Path, keep: Collection[str]) -> None:
    """Remove from a version's ``hls/`` folder what the media it keeps does not name: a ladder replaced by one
    with other bytes (another ``hls/{digest}/``), a Stream record, or the whole folder (a video made shorter,
    the threshold raised, media turned off). The site holds one ladder per version."""
    root = folder / HLS
    kept = {name for name in keep if name.startswith(f"{HLS}/")}
    if not kept:
        shutil.rmtree(root, ignore_errors=True)
        return
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    for entry in entries:
        name = f"{HLS}/{entry.name}"
        if entry.is_dir() and not entry.is_symlink():
            if not any(k.startswith(f"{name}/") for k in kept):
                shutil.rmtree(entry, ignore_errors=True)
        elif name not in kept:
            entry.unlink(missing_ok=True)


def with_stream(files: Sequence[MediaFile], src: Path, out_dir: Path, options: VideoOptions
                ) -> tuple[MediaFile, ...]:
    """``files`` and, with ``video.host: stream``, a long video's Cloudflare Stream entry (``_stream_host``)."""
    video = next((m for m in files if m.role == "video"), None)
    if options.host != "stream" or video is None or not hls_plan(options).wants(video.duration):
        return tuple(files)
    from mkdocs_hybrid.media._stream_host import StreamHost, stream_video  # loads httpx: only when streaming

    return (*files, stream_video(src, out_dir, video, StreamHost.from_env()))
