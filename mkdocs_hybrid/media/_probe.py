"""Reading an untrusted video safely: the limits, the hardened ffmpeg/ffprobe runner, ffprobe facts, box checks.

An attached video is an arbitrary file from a snapshot, so nothing here trusts it: the container is recognised
from its first bytes before any tool sees it (playlists, concat lists, images and text never reach ffprobe),
every run is confined to local files and a short list of demuxers and decoders, and every process runs under a
wall timeout (its whole process group is killed) and kernel resource limits. ``_attached`` builds on this.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from mkdocs_hybrid.model import capture as defaults

MB = 1024 * 1024


@dataclass(frozen=True)
class AttachedLimits:
    """Hard limits for one attached video; every one is enforced before or while a tool runs, never after."""

    max_input_bytes: int = defaults.ATTACHED_MAX_MB * MB
    """A minute of 4K screen recording fits in 200 MB; anything bigger is checked (``stat``) before a tool runs, so
    a huge file costs nothing."""
    max_seconds: float = float(defaults.ATTACHED_MAX_SECONDS)
    """Previews are short demos. Checked on the probed duration *and* enforced with an input ``-t`` cap, because
    the header can lie (a 505 KB file can hold 10 hours) or be missing (browser MediaRecorder WebM)."""
    max_pixels: int = 3840 * 2160
    """4K is the largest screen anyone records; decoders get ``-max_pixels`` so a pixel bomb (one 8192x8192 frame
    costs ~460 MB) is refused when the frame is allocated, even when the header said something smaller."""
    max_output_bytes: int = 50 * MB
    """A 60 s 720p30 H.264 at crf 23 is far below this. It is the children's RLIMIT_FSIZE, so an oversized output
    kills the encoder (SIGXFSZ) instead of being silently truncated, as ``-fs`` would do with exit code 0."""
    timeout: float = 120.0
    """Wall seconds per ffmpeg run; 60 s of 4K at one encoder thread on a loaded runner fits. The process group is
    killed when it runs over, and RLIMIT_CPU backs it up."""
    probe_timeout: float = 10.0
    """Wall seconds per ffprobe run: probing reads headers and a few frames, so anything slower is hostile."""
    max_memory: int = 2 * 1024**3
    """RLIMIT_AS of each ffmpeg/ffprobe process: a 4K decode and a 720p encode need a few hundred MB; a bomb that
    gets past ``max_pixels`` fails to allocate instead of swapping the build machine."""


class AttachedVideoError(Exception):
    """An attached video cannot be used; the message is one line: what is wrong with the file, and what to do."""


CONTAINERS = {"mov": "mov,mp4,m4a,3gp,3g2,mj2", "matroska": "matroska,webm"}
"""The only demuxers ever used, by the name ``-f`` forces: ISO BMFF/QuickTime (QuickTime Player, iOS, Android,
OBS, Loom) and Matroska/WebM (OBS, browsers' MediaRecorder). Not AVI: no current screen recorder writes it and
its demuxer is old attack surface; remuxing (``ffmpeg -i in.avi -c copy out.mkv``) is one command."""
FORMAT_WHITELIST = ",".join(CONTAINERS.values())
"""``-format_whitelist``: a second lock behind the forced demuxer (hls, concat, image2, ... are never opened)."""

VIDEO_DECODERS = ("h264", "hevc", "vp8", "vp9", "libdav1d", "mpeg4", "prores", "mjpeg")
"""``-codec_whitelist`` for video, by decoder name: H.264/HEVC (cameras, phones, QuickTime), VP8/VP9 and AV1
(``libdav1d`` is ffmpeg's AV1 decoder here; browsers, OBS), MPEG-4 part 2 (old exports), ProRes (macOS
editors), MJPEG (webcams). Lossless/animation codecs (png, qtrle, ...) are left out: rare, and a re-encode away."""
AUDIO_DECODERS = ("aac", "mp3float", "opus", "vorbis", "flac", "alac", "pcm_s16le", "pcm_s16be", "pcm_s24le",
                  "pcm_f32le")
"""Allowed only while probing: ffprobe opens a decoder for every stream and exits when one is refused. The
transcode never decodes audio (``-an``)."""

PROBE_ENTRIES = ("format=duration:stream=index,codec_type,codec_name,profile,width,height,pix_fmt,"
                 "sample_aspect_ratio,avg_frame_rate,r_frame_rate,duration:stream_disposition=attached_pic:"
                 "stream_side_data=rotation")

_ENV = {"PATH": os.defpath, "LC_ALL": "C"}
"""The children's whole environment: nothing inherited (``FFREPORT`` would make ffmpeg write a log file anywhere,
proxy variables would matter if a protocol ever slipped through)."""


@dataclass(frozen=True)
class VideoFacts:
    """What ffprobe says about a file's (first real) video stream and its container."""

    codec: str
    width: int
    """Coded frame size, as decoded (before rotation and sample aspect ratio)."""
    height: int
    duration: float | None
    """Seconds, from the stream or else the container; ``None`` when the file does not say (MediaRecorder WebM):
    the transcode's ``-t`` cap then bounds it."""
    fps: float | None
    """Average frame rate; ``None`` when unknown."""
    pix_fmt: str
    index: int = 0
    """The stream's index in the file, so the transcode maps this very stream (not cover art)."""
    rotation: int = 0
    """Display rotation in degrees (phones), applied by ffmpeg's autorotate."""
    sample_aspect: Fraction = Fraction(1)
    profile: str = ""

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: square pixels, rotation applied."""
        width = max(1, round(self.width * self.sample_aspect))
        return (self.height, width) if self.rotation % 180 == 90 else (width, self.height)


@dataclass(frozen=True)
class Run:
    """A finished tool run."""

    returncode: int
    stdout: bytes
    stderr: str

    def reason(self) -> str:
        """ffmpeg's first complaint (the most specific; later lines repeat it), without its ``[demuxer @ 0x..]``
        prefix or the file's URL, trimmed for one-line messages."""
        for line in self.stderr.splitlines():
            text = _LOG_PREFIX.sub("", line).strip()
            if text.startswith("file:"):
                text = text.rsplit(": ", 1)[-1]
            if text:
                return text[:200]
        return f"exit code {self.returncode}"


_PRLIMIT = shutil.which("prlimit") or "/usr/bin/prlimit"
_LOG_PREFIX = re.compile(r"^(\[[^]]* @ 0x[0-9a-f]+\] )+")


def _limited(args: Sequence[str], limits: AttachedLimits, timeout: float) -> list[str]:
    """``args`` run under util-linux's ``prlimit``: the limits are set in the child by a program, not by a
    ``preexec_fn`` (unsafe in a process with threads, and the media stage runs tools from a thread pool)."""
    cpu = math.ceil(timeout) + 1
    return [_PRLIMIT, f"--as={limits.max_memory}", f"--fsize={limits.max_output_bytes}", f"--cpu={cpu}:{cpu + 2}",
            "--core=0", "--", *args]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's whole process group (its own session), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_tool(args: Sequence[str], *, timeout: float, limits: AttachedLimits, cwd: Path, label: str) -> Run:
    """Run ffmpeg/ffprobe confined: no stdin, a scrubbed environment, its own session, rlimits, a wall timeout.

    Raises :class:`AttachedVideoError` when it runs over ``timeout`` (``label`` names the file in the message).
    """
    proc = subprocess.Popen(_limited(args, limits, timeout), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=cwd, env=_ENV, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise AttachedVideoError(f"{label} took more than {timeout:g} s to process and was stopped: trim or "
                                 "scale the video down (or raise AttachedLimits.timeout)") from None
    finally:
        if proc.poll() is None:
            _kill_group(proc)
    return Run(proc.returncode, out, err.decode("utf-8", "replace"))


_OUT_OF_MEMORY = re.compile(r"Cannot allocate memory|error while loading shared libraries|failed to map segment|"
                            r"malloc of size \d+ failed|bad_alloc|Out of memory", re.IGNORECASE)


def limit_error(run: Run, *, label: str, limits: AttachedLimits, timeout: float) -> AttachedVideoError | None:
    """The error for a run stopped by its memory or CPU limit (``None`` when it was not), so such a kill is not
    mistaken for a corrupt file."""
    if _OUT_OF_MEMORY.search(run.stderr):
        return AttachedVideoError(f"{label} needed more than the {limits.max_memory / MB:g} MB memory limit: scale "
                                  "the video down (or raise AttachedLimits.max_memory)")
    if run.returncode in (-signal.SIGXCPU, -signal.SIGKILL) or "received signal 24" in run.stderr:
        return AttachedVideoError(f"{label} used more than {math.ceil(timeout) + 1} s of CPU and was stopped: trim "
                                  "or scale the video down (or raise AttachedLimits.timeout)")
    return None


def input_args(container: str, decoders: Sequence[str], limits: AttachedLimits) -> list[str]:
    """Input options shared by every run on an untrusted file: local files only, this demuxer, these decoders."""
    drefs = ["-enable_drefs", "0", "-use_absolute_path", "0"] if container == "mov" else []
    return ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST,
            "-codec_whitelist", ",".join(decoders), "-max_pixels", str(limits.max_pixels), *drefs, "-f", container]


def file_url(path: Path) -> str:
    """``file:`` + absolute path, so a name like ``http:x`` or ``-i`` is never read as a protocol or an option."""
    return "file:" + os.path.abspath(path)


# ---- recognising the container from its first bytes ---------------------------------------------------------

_BMFF_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})
_SEGMENT_BOXES = frozenset({b"styp", b"moof", b"sidx", b"emsg", b"prft"})
"""First boxes of an fMP4 media segment (``.m4s``): no ``moov``, so nothing to decode on its own."""
_IMAGE_BRANDS = frozenset({b"avif", b"avis", b"heic", b"heix", b"hevc", b"mif1", b"msf1"})
"""ISO BMFF brands of still images (AVIF, HEIF/HEIC): the mov demuxer would read them as one-frame videos."""
_NOT_VIDEO: tuple[tuple[bytes, str], ...] = (
    (b"#EXTM3U", "an HLS playlist (it points at other files or URLs)"),
    (b"ffconcat", "an ffconcat list (it points at other files)"),
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WAV or WebP)"), (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"),
    (b"<", "an XML/HTML/SVG text file (DASH manifests and SMIL playlists point at other files)"),
)
_ADVICE = "attach the recording itself as MP4, MOV, MKV or WebM"


def sniff_container(path: Path) -> str:
    """``mov`` or ``matroska`` from the file's first bytes; raises for anything else, naming what it looks like.

    This decides the demuxer (``-f``), so ffmpeg's own probing, which would happily open an HLS playlist or an
    ffconcat list renamed to ``.mp4``, never runs.
    """
    with path.open("rb") as handle:
        head = handle.read(64)
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        raise AttachedVideoError(f"{path.name} is an AVIF/HEIF image, not a video: {_ADVICE}")
    if head[4:8] in _SEGMENT_BOXES:
        raise AttachedVideoError(f"{path.name} is a streaming segment (fragmented MP4 without its index: a piece "
                                 f"of an HLS or DASH stream), not a whole video: {_ADVICE}")
    if head[4:8] in _BMFF_BOXES:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        raise AttachedVideoError(f"{path.name} is an AVI file, a container not read here: remux it without "
                                 "re-encoding (ffmpeg -i demo.avi -c copy demo.mkv)")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    kind = next((name for magic, name in _NOT_VIDEO if stripped.startswith(magic)), None)
    if kind is None:
        kind = "a text file" if _looks_like_text(head) else "not an MP4/MOV, MKV or WebM file"
    if not kind.startswith("not"):
        kind = f"{kind}, not a video"
    raise AttachedVideoError(f"{path.name} is {kind}: {_ADVICE}")


def _looks_like_text(head: bytes) -> bool:
    """Decodes as UTF-8 (allowing a character cut at the end) without control bytes other than whitespace."""
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return False


# ---- ffprobe ------------------------------------------------------------------------------------------------

_PIXELS = re.compile(r"Picture size (\d+)x(\d+) exceeds")
_REFUSED_CODEC = re.compile(r"Codec \((\w+)\) not on whitelist")


def probe(path: Path, *, ffprobe: Path, limits: AttachedLimits, container: str,
          decoders: Sequence[str] | None = None) -> VideoFacts:
    """ffprobe's facts about the first video stream, under the limits; raises :class:`AttachedVideoError`.

    ``container`` is the demuxer (:func:`sniff_container` of the file, or ``mov`` for our own MP4s);
    ``decoders`` defaults to the video and audio whitelists. Checks only what ffprobe itself reports
    (decodable, pixel bomb, has video); duration and size policy belong to the caller.
    """
    decoders = decoders if decoders is not None else VIDEO_DECODERS + AUDIO_DECODERS
    args = [str(ffprobe), "-hide_banner", "-v", "error", *input_args(container, decoders, limits),
            "-show_entries", PROBE_ENTRIES, "-of", "json", file_url(path)]
    run = run_tool(args, timeout=limits.probe_timeout, limits=limits, cwd=path.parent, label=path.name)
    _raise_for_probe(path, run, limits)
    try:
        report: dict[str, Any] = json.loads(run.stdout)
    except ValueError:
        raise AttachedVideoError(f"{path.name} could not be read (ffprobe printed no report): re-export the "
                                 "video as MP4 (H.264) or WebM") from None
    return _facts(path, report)


def _raise_for_probe(path: Path, run: Run, limits: AttachedLimits) -> None:
    """Turn ffprobe's complaints into one line that names the problem (pixels, codec, corrupt)."""
    if match := _PIXELS.search(run.stderr):
        raise pixel_error(path.name, int(match[1]), int(match[2]), limits)
    if match := _REFUSED_CODEC.search(run.stderr):
        raise AttachedVideoError(f"{path.name} has a {match[1]} stream, a codec not read here: re-encode it to "
                                 "H.264, HEVC, VP9 or AV1, keeping only the video (ffmpeg -i IN -map 0:v:0 ...)")
    if run.returncode != 0:
        corrupt = AttachedVideoError(f"{path.name} is truncated or corrupt (ffprobe: {run.reason()}): re-export "
                                     "or re-record it")
        raise limit_error(run, label=path.name, limits=limits, timeout=limits.probe_timeout) or corrupt


def pixel_error(name: str, width: int, height: int, limits: AttachedLimits) -> AttachedVideoError:
    """The one message for frames over ``max_pixels``."""
    return AttachedVideoError(f"{name} has {width}x{height} frames ({width * height:,} pixels), over the "
                              f"{limits.max_pixels:,}-pixel limit (3840x2160 by default): scale it down before "
                              "attaching it")


def _facts(path: Path, report: dict[str, Any]) -> VideoFacts:
    """The first video stream that is not cover art, as :class:`VideoFacts`."""
    streams = [s for s in report.get("streams", []) if s.get("codec_type") == "video"
               and not s.get("disposition", {}).get("attached_pic")]
    if not streams:
        raise AttachedVideoError(f"{path.name} has no video stream: attach a screen recording, not an audio file "
                                 "or a still image")
    stream, container = streams[0], report.get("format", {})
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    if width <= 0 or height <= 0:
        raise AttachedVideoError(f"{path.name}: its video frames could not be decoded (no frame size): re-export "
                                 "it as MP4 (H.264) or WebM")
    rotation = next((int(d["rotation"]) for d in stream.get("side_data_list", []) if "rotation" in d), 0)
    return VideoFacts(
        codec=str(stream.get("codec_name", "")), width=width,
        height=height, duration=_seconds(stream.get("duration")) or _seconds(container.get("duration")),
        fps=frame_rate(stream.get("avg_frame_rate")) or frame_rate(stream.get("r_frame_rate")),
        pix_fmt=str(stream.get("pix_fmt", "")), index=int(stream["index"]),
        rotation=rotation % 360, sample_aspect=_ratio(stream.get("sample_aspect_ratio")),
        profile=str(stream.get("profile", "")))


def _seconds(value: object) -> float | None:
    """A positive finite number of seconds, else ``None`` (``N/A``, missing, zero)."""
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def frame_rate(value: object) -> float | None:
    """``30000/1001`` -> 29.97; ``0/0`` and missing -> ``None``."""
    num, _, den = str(value).partition("/")
    try:
        rate = Fraction(int(num), int(den or 1))
    except (ValueError, ZeroDivisionError):
        return None
    return float(rate) if rate > 0 else None


def _ratio(value: object) -> Fraction:
    """A sample aspect ratio ``4:3``; unknown (``0:1``, ``N/A``) means square pixels."""
    num, _, den = str(value).partition(":")
    try:
        ratio = Fraction(int(num), int(den))
    except (ValueError, ZeroDivisionError):
        return Fraction(1)
    return ratio if ratio > 0 else Fraction(1)


# ---- box-level checks of our own outputs ---------------------------------------------------------------------

def moov_before_mdat(path: Path) -> bool:
    """Whether the top-level ``moov`` box comes before ``mdat`` (``+faststart``: playback starts before download).

    Walks top-level ISO BMFF boxes only (size, type; 64-bit sizes; size 0 = to end of file).
    """
    total, pos = path.stat().st_size, 0
    with path.open("rb") as handle:
        while pos + 8 <= total:
            handle.seek(pos)
            header = handle.read(16)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if size == 1 and len(header) == 16:
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                size = total - pos
            if kind in (b"moov", b"mdat"):
                return kind == b"moov"
            if size < 8:
                return False
            pos += size
    return False
