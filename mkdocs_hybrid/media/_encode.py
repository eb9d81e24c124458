"""The one web-safe profile every MP4 is written with (generated or attached), and the preview's.

Bytes depend on the encoder's thread count, so it is pinned (``threads``); ``-fflags +bitexact`` and
``-map_metadata -1`` keep the encoder's version string and dates out of the file.
"""

from __future__ import annotations

PREVIEW_FPS = 15
PREVIEW_WIDTH = 480
"""The hover preview: small, silent, lower frame rate."""


def h264_args(*, threads: int = 1, crf: int = 23) -> list[str]:
    """ffmpeg output options for H.264 High, yuv420p, moov first, no metadata, byte-identical on repeat."""
    return ["-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-profile:v", "high", "-threads", str(threads), "-x264-params", f"threads={threads}",
            "-movflags", "+faststart", "-map_metadata", "-1", "-map_chapters", "-1",
            "-fflags", "+bitexact", "-flags:v", "+bitexact"]


def preview_size(width: int, height: int) -> tuple[int, int]:
    """The preview's size for a video of ``width`` x ``height``: at most 480 wide, never upscaled, even height."""
    if width <= PREVIEW_WIDTH:
        return width, height
    return PREVIEW_WIDTH, max(2, round(height * PREVIEW_WIDTH / width / 2) * 2)


def preview_fps(fps: float) -> float:
    """The preview's frame rate: 15, or the video's own when lower (no duplicated frames)."""
    return min(float(PREVIEW_FPS), fps)


def preview_args(*, threads: int = 1, fps: float = PREVIEW_FPS) -> list[str]:
    """The hover preview from a full video at ``fps``: :func:`preview_size`, :func:`preview_fps`, crf 28."""
    scale = f"scale=w='min({PREVIEW_WIDTH},iw)':h=-2:flags=bicubic"
    return ["-vf", f"fps={preview_fps(fps):g},{scale}", *h264_args(threads=threads, crf=28)]
