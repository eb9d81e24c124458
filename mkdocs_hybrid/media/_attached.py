"""A snapshot's attached video (``snapshot.yml: video: demo.mov``), made web-safe under hard limits.

The file is untrusted: it is checked on disk first (regular file, not a link, not too big), recognised from its
first bytes, probed, then transcoded to the one profile every MP4 here uses (``_encode.h264_args``), and every
output is probed again before anything is returned. See ``_probe`` for the confinement of each ffmpeg run.
Only the transcode (and, for a long video, the HLS ladder of ``_hls``, under the same confinement) reads the
attached file; the preview, poster and card are made from our own ``video.mp4``.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import stat
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from mkdocs_hybrid.media._encode import h264_args, preview_args, webp_stills
from mkdocs_hybrid.media._hls import make_hls
from mkdocs_hybrid.media._probe import (
    MB,
    VIDEO_DECODERS,
    AttachedLimits,
    AttachedVideoError,
    VideoFacts,
    file_url,
    input_args,
    limit_error,
    moov_before_mdat,
    pixel_error,
    probe,
    run_tool,
    sniff_container,
)
from mkdocs_hybrid.media._streams import HlsPlan
from mkdocs_hybrid.model import capture as defaults
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.layout import HLS, MEDIA_FILES
from mkdocs_hybrid.model.snapshot import file_sha256, sha256_hex

__all__ = ["DEFAULT_LIMITS", "AttachedLimits", "AttachedVideoError", "transcode_attached"]

DEFAULT_LIMITS = AttachedLimits()

VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "prores", "mjpeg"})
"""Codec names (as ffprobe reports them) of :data:`~mkdocs_hybrid.media._probe.VIDEO_DECODERS`."""

FRAME_ARGS = ("-frames:v", "1", "-pix_fmt", "rgb24", "-c:v", "png", "-map_metadata", "-1", "-fflags", "+bitexact",
              "-flags:v", "+bitexact", "-f", "image2")
"""The poster's frame as a PNG, encoded to WebP as a capture's is (``_encode.webp_stills``)."""

DURATION_SLACK = 0.5
"""Seconds an output may differ from what was asked for (frame rounding at the fps filter)."""


@dataclass(frozen=True)
class _Plan:
    """What the video is turned into: its size, frame rate and the input ``-t`` cap."""

    width: int
    height: int
    rate: Fraction
    cap: float


def transcode_attached(src: Path, out_dir: Path, *, ffmpeg: Path, ffprobe: Path, width: int = defaults.WIDTH,
                       height: int = defaults.HEIGHT, fps: int = defaults.FPS, poster_at: float = defaults.POSTER_AT,
                       card_width: int = defaults.CARD_WIDTH, threads: int = 1,
                       limits: AttachedLimits = DEFAULT_LIMITS, hls: HlsPlan | None = None
                       ) -> tuple[MediaFile, ...]:
    """Write ``video.mp4``, ``preview.mp4``, ``poster.webp`` and ``card.webp`` for ``src`` into ``out_dir``.

    The video fits inside ``width`` x ``height`` (aspect kept, even sides, never upscaled) at no more than ``fps``,
    H.264 High yuv420p with the index first. It has no audio: previews play muted, and never decoding the audio
    removes a whole class of decoders from what an attached file can reach. Output bytes are identical on
    repeat for the same input and ``threads``. On any failure none of the four files is left in ``out_dir``
    (not even an older one: a stale video must not outlive the error) and :class:`AttachedVideoError` says why.
    With ``hls``, a video longer than its threshold also gets an HLS ladder in ``hls/`` (``_hls.make_hls``).
    """
    check_source(src, limits)
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".attached-", dir=out_dir))
    try:
        files = _make_all(src, scratch, ffmpeg=ffmpeg, ffprobe=ffprobe, box=(width, height), fps=fps,
                          poster_at=poster_at, card_width=card_width, threads=threads, limits=limits, hls=hls)
        shutil.rmtree(out_dir / HLS, ignore_errors=True)
        for media in files:
            (out_dir / media.name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch / media.name, out_dir / media.name)
        return files
    except BaseException:
        for name in MEDIA_FILES.values():
            (out_dir / name).unlink(missing_ok=True)
        shutil.rmtree(out_dir / HLS, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_source(src: Path, limits: AttachedLimits) -> None:
    """The checks that need no tool: it exists, is a regular file (not a link, FIFO or device), is not too big."""
    try:
        info = os.lstat(src)
    except FileNotFoundError:
        raise AttachedVideoError(f"{src} does not exist: fix the video: path in snapshot.yml") from None
    if stat.S_ISLNK(info.st_mode):
        raise AttachedVideoError(f"{src.name} is a symbolic link: attach the video file itself, not a link to it")
    if not stat.S_ISREG(info.st_mode):
        raise AttachedVideoError(f"{src.name} is not a regular file: attach the video file itself")
    if info.st_size == 0:
        raise AttachedVideoError(f"{src.name} is empty: attach the recording again")
    if info.st_size > limits.max_input_bytes:
        raise AttachedVideoError(f"{src.name} is {info.st_size / MB:.1f} MB, over the "
                                 f"{limits.max_input_bytes / MB:g} MB limit for attached videos: trim it or "
                                 "re-encode it smaller")


def _make_all(src: Path, scratch: Path, *, ffmpeg: Path, ffprobe: Path, box: tuple[int, int], fps: int,
              poster_at: float, card_width: int, threads: int, limits: AttachedLimits,
              hls: HlsPlan | None) -> tuple[MediaFile, ...]:
    """Probe, transcode, derive the preview and stills from our own video, re-probe everything."""
    container = sniff_container(src)
    facts = probe(src, ffprobe=ffprobe, limits=limits, container=container)
    check_facts(src.name, facts, limits)
    plan = _plan(facts, box, fps, limits)
    video = scratch / MEDIA_FILES["video"]
    _ffmpeg(ffmpeg, [*input_args(container, VIDEO_DECODERS, limits), "-t", f"{plan.cap:g}", "-i", file_url(src),
                     "-map", f"0:{facts.index}", "-vf", _video_filter(plan), *h264_args(threads=threads), "-f",
                     "mp4", file_url(video)], threads=threads, limits=limits, label=src.name, outputs=[video])
    video_facts = _verify_video(src.name, video, facts, plan, ffprobe=ffprobe, limits=limits)
    preview = scratch / MEDIA_FILES["preview"]
    _ffmpeg(ffmpeg, [*input_args("mov", ("h264",), limits), "-i", file_url(video),
                     *preview_args(threads=threads, fps=video_facts.fps or fps),
                     "-f", "mp4", file_url(preview)], threads=threads, limits=limits, label=src.name,
            outputs=[preview])
    preview_facts = _verify_mp4(src.name, preview, None, ffprobe=ffprobe, limits=limits)
    stills = _stills(src.name, video, video_facts, scratch, ffmpeg=ffmpeg, poster_at=poster_at,
                     card_width=card_width, threads=threads, limits=limits)
    ladder = () if hls is None or not hls.wants(video_facts.duration) else make_hls(
        src, container, facts, scratch, ffmpeg=ffmpeg, ffprobe=ffprobe, rate=plan.rate,
        seconds=video_facts.duration or 0.0, plan=hls, threads=threads, limits=limits)
    return (_media("video", video, (video_facts.width, video_facts.height), video_facts),
            _media("preview", preview, (preview_facts.width, preview_facts.height), preview_facts), *stills, *ladder)


def check_facts(name: str, facts: VideoFacts, limits: AttachedLimits) -> None:
    """Policy on what ffprobe found: frame size, codec, stated duration."""
    if facts.width * facts.height > limits.max_pixels:
        raise pixel_error(name, facts.width, facts.height, limits)
    if facts.codec not in VIDEO_CODECS:
        raise AttachedVideoError(f"{name} uses the {facts.codec or 'unknown'} video codec, not read here: "
                                 "re-encode it to H.264, HEVC, VP9 or AV1")
    if facts.duration is not None and facts.duration > limits.max_seconds:
        raise _too_long(name, facts.duration, limits)


def _too_long(name: str, seconds: float, limits: AttachedLimits, *, at_least: bool = False) -> AttachedVideoError:
    """The one message for videos over ``max_seconds``."""
    whole = int(seconds)
    shown = f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if seconds >= 3600 else f"{seconds:.1f} s"
    return AttachedVideoError(f"{name} is {'at least ' if at_least else ''}{shown} long, over the "
                              f"{limits.max_seconds:g} s limit for attached videos: trim it to a short demo")


def _plan(facts: VideoFacts, box: tuple[int, int], fps: int, limits: AttachedLimits) -> _Plan:
    """Fit the display size inside ``box`` (never up, even sides), cap the rate, and cap reading a bit past
    ``max_seconds`` so a video whose header lies or is silent shows up as too long instead of running long."""
    shown_w, shown_h = facts.display_size
    scale = min(Fraction(1), Fraction(box[0], shown_w), Fraction(box[1], shown_h))
    width, height = (max(2, math.floor(side * scale) // 2 * 2) for side in (shown_w, shown_h))
    rate = Fraction(fps)
    if facts.fps is not None:
        rate = max(Fraction(1), min(rate, Fraction(facts.fps).limit_denominator(1001)))
    return _Plan(width, height, rate, limits.max_seconds + 2 * DURATION_SLACK)


def _video_filter(plan: _Plan) -> str:
    """Drop frames first (less to scale), then scale to the exact planned size with square pixels."""
    return f"fps={plan.rate.numerator}/{plan.rate.denominator},scale={plan.width}:{plan.height}:flags=bicubic,setsar=1"


def _ffmpeg(ffmpeg: Path, args: list[str], *, threads: int, limits: AttachedLimits, label: str,
            outputs: list[Path]) -> None:
    """One confined ffmpeg run; a kill by RLIMIT_FSIZE or any failure becomes one clear line."""
    cwd = outputs[0].parent
    run = run_tool([str(ffmpeg), "-hide_banner", "-nostdin", "-v", "error", "-y", "-threads", str(threads),
                    "-filter_threads", "1", *args], timeout=limits.timeout, limits=limits, cwd=cwd, label=label)
    if run.returncode == 0:
        return
    if run.returncode == -signal.SIGXFSZ or "File too large" in run.stderr or any(
            p.exists() and p.stat().st_size >= limits.max_output_bytes for p in outputs):
        raise AttachedVideoError(f"{label}: its {outputs[0].name} would be larger than the "
                                 f"{limits.max_output_bytes / MB:g} MB limit: trim the video or record a smaller "
                                 "window")
    failed = AttachedVideoError(f"{label} could not be transcoded (ffmpeg: {run.reason()}): it is probably "
                                "truncated or corrupt; re-export or re-record it")
    raise limit_error(run, label=label, limits=limits, timeout=limits.timeout) or failed


def _verify_mp4(name: str, path: Path, size: tuple[int, int] | None, *, ffprobe: Path,
                limits: AttachedLimits) -> VideoFacts:
    """Probe our own MP4: H.264 High, yuv420p, the expected size, index before data."""
    facts = probe(path, ffprobe=ffprobe, limits=limits, decoders=("h264",), container="mov")
    found = (facts.codec, facts.profile, facts.pix_fmt, moov_before_mdat(path))
    if found != ("h264", "High", "yuv420p", True) or (size is not None and (facts.width, facts.height) != size):
        raise AttachedVideoError(f"{name}: ffmpeg wrote an unexpected {path.name} ({facts.codec} {facts.profile} "
                                 f"{facts.pix_fmt} {facts.width}x{facts.height}, index first: {found[3]}): "
                                 "this is a bug, report it with the video")
    if facts.duration is None:
        raise AttachedVideoError(f"{name}: ffmpeg wrote {path.name} without a duration: this is a bug, report it")
    return facts


def _verify_video(name: str, video: Path, source: VideoFacts, plan: _Plan, *, ffprobe: Path,
                  limits: AttachedLimits) -> VideoFacts:
    """The transcoded video is what was planned, and as long as the source said (no truncation, no lie)."""
    facts = _verify_mp4(name, video, (plan.width, plan.height), ffprobe=ffprobe, limits=limits)
    played = facts.duration or 0.0
    if played > limits.max_seconds + DURATION_SLACK:
        raise _too_long(name, played, limits, at_least=True)
    stated = source.duration
    if stated is not None and played < stated - max(1.0, 0.05 * stated):
        raise AttachedVideoError(f"{name} is truncated or corrupt: only {played:.1f} s of the {stated:.1f} s its "
                                 "header states could be decoded; re-export or re-record it")
    return facts


def _stills(name: str, video: Path, facts: VideoFacts, scratch: Path, *, ffmpeg: Path, poster_at: float,
            card_width: int, threads: int, limits: AttachedLimits) -> tuple[MediaFile, MediaFile]:
    """Poster (the video's size) and card (``card_width`` wide, never upscaled) from one frame of our video."""
    at = min(poster_at, (facts.duration or 0.0) / 2)
    card_w = min(card_width, facts.width)
    card_h = max(2, round(facts.height * card_w / facts.width / 2) * 2)
    frame = scratch / "poster-frame.png"
    _ffmpeg(ffmpeg, [*input_args("mov", ("h264",), limits), "-ss", f"{at:.3f}", "-i", file_url(video),
                     *FRAME_ARGS, file_url(frame)], threads=threads, limits=limits, label=name, outputs=[frame])
    sizes = {"poster": (facts.width, facts.height), "card": (card_w, card_h)}
    try:
        stills = webp_stills(frame.read_bytes(), sizes["poster"], sizes["card"])
    except (OSError, ValueError) as error:  # Pillow's errors about a PNG are ValueErrors (or OSError)
        raise AttachedVideoError(f"{name}: ffmpeg wrote no usable poster frame ({error}): this is a bug, "
                                 "report it with the video") from None
    made = []
    for (role, size), data in zip(sizes.items(), stills):
        write_atomic(scratch / MEDIA_FILES[role], data)
        made.append(MediaFile(role=role, name=MEDIA_FILES[role], sha256=sha256_hex(data), size=len(data),
                              width=size[0], height=size[1]))
    return made[0], made[1]


def _media(role: str, path: Path, size: tuple[int, int], facts: VideoFacts | None = None) -> MediaFile:
    """The catalog entry for one output file (``url`` stays ``None``: it is served from the artifact folder)."""
    return MediaFile(role=role, name=path.name, sha256=file_sha256(path), size=path.stat().st_size,
                     width=size[0], height=size[1], duration=facts.duration if facts else None,
                     fps=facts.fps if facts else None)
