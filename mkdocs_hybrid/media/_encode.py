"""The one web-safe profile every MP4 is written with (generated or attached), the preview's, and the stills'.

Bytes depend on the encoder's thread count, so it is pinned (``threads``); ``-fflags +bitexact`` and
``-map_metadata -1`` keep the encoder's version string and dates out of the file. Posters and cards are encoded
here too, with Pillow's libwebp, from one lossless frame (a capture's PNG screenshot, or a frame of an attached
video): one readback of the frame instead of one encode in the browser per size, and the same settings for both
kinds of media.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

POSTER_QUALITY = 90
"""Lossy WebP quality of posters and cards; a fixed quality, method and libwebp give the same bytes."""
POSTER_METHOD = 2
"""libwebp's effort, 0-6. Measured on the sample demos: 2 takes half the CPU of the default 4 (about 23 against
55 ms for 1280x720) for files about 5% larger at the same quality (PSNR within 0.1 dB)."""
CARD_FILTER = "LANCZOS"
"""The card's downscale (a Pillow ``Resampling`` name): the sharpest filter, for the small text of demos.
Pillow is imported when stills are made, not with the package (a build without media never loads it)."""
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


def stills_profile() -> dict[str, object]:
    """Everything that changes the bytes of :func:`webp_stills`: part of the media cache key."""
    import PIL
    from PIL import features

    return {"quality": POSTER_QUALITY, "method": POSTER_METHOD, "card_filter": CARD_FILTER,
            "pillow": PIL.__version__, "libwebp": features.version("webp")}


def webp_stills(png: bytes, poster: tuple[int, int], card: tuple[int, int]) -> tuple[bytes, bytes]:
    """The poster and the card (each ``(width, height)``) of one PNG frame, as WebP; ``ValueError`` when the
    frame is not the poster's size (a screenshot or a video frame that is not what was asked for)."""
    frame = still_frame(png, poster)
    return webp_poster(frame), webp_card(frame, card)


def still_frame(png: bytes, poster: tuple[int, int]) -> Image.Image:
    """One PNG frame, decoded, as what :func:`webp_poster` and :func:`webp_card` encode; ``ValueError`` when it is
    not ``poster`` (``(width, height)``) in size.

    The frame is one of ours (the capture browser's screenshot or ffmpeg's frame of our own MP4), never a
    demo's file. Transparency is dropped: a poster is what the page showed, on an opaque canvas. The two
    encoders only read the frame, so they may run at once (Pillow lets go of the GIL while it resizes and
    encodes)."""
    from PIL import Image

    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        if image.size != poster:
            raise ValueError(f"the frame is {image.width}x{image.height}, not {poster[0]}x{poster[1]}")
        frame: Image.Image = image.convert("RGB")
    return frame


def webp_poster(frame: Image.Image) -> bytes:
    return _webp(frame)


def webp_card(frame: Image.Image, card: tuple[int, int]) -> bytes:
    from PIL import Image

    return _webp(frame.resize(card, Image.Resampling[CARD_FILTER]))


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=POSTER_QUALITY, method=POSTER_METHOD, exact=False)
    return out.getvalue()
