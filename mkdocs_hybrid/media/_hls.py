"""Adaptive streaming for long attached videos: an fMP4 HLS ladder and a master playlist that describes it.

An attached video longer than ``video.hls_after_seconds`` is also published as HLS under its artifact folder
(``hls/{digest}/master.m3u8``, ``hls/{digest}/{height}p/index.m3u8``, ``init.mp4``, ``seg-NNNNN.m4s``: names from
:mod:`~mkdocs_hybrid.model.layout`). The ladder is made from the attached file itself (so a 1080p recording gets
a 1080p rung while ``video.mp4`` stays at the preview size), under the same confinement as the MP4's transcode:
the demuxer sniffed from the first bytes, local files only, whitelisted decoders, rlimits, a wall timeout. One
ffmpeg run decodes once and encodes every rung, each with one pinned encoder thread, ``bitexact`` flags and no
metadata: the same input gives the same bytes with the same ffmpeg (whose version is in the media cache key; the
HLS muxer of ffmpeg 5.1 writes its own version string into ``init.mp4`` whatever the flags say).

Every URL of a ladder is content-addressed, so all its files (not only the master playlist) can be served with
the immutable one-year cache: the ladder is made in a scratch folder, then moved to ``hls/{digest}/``, where the
digest is a sha256 over each file's name and sha256, the master playlist's included. A ladder made again with
other bytes (a newer ffmpeg, which writes its version into ``init.mp4``; another ladder setting; another
attached video) gets another folder, so a viewer's browser or CDN can never play an old cached segment against a
new playlist; the same input gives the same folder name and bytes. Pages name the master by that path (with
``?v=`` like every medium), not by a stable, briefly cached name: a stable master would need its own cache rule
on Pages and R2 and a revalidation on every play, while the page that names it is already cached briefly. The
media stage keeps one ladder per version in the site folder (``_streams.remove_stale_hls``); on R2 a new
ladder is new objects under new keys and no ladder object is ever overwritten (``deploy/_r2_artifacts.py``).

The master playlist is written here, not by ffmpeg: each rung is probed after it is made, and its ``CODECS``
(``avc1.PPCCLL`` from the stream's AVC configuration record, ``mp4a.40.N`` from the AAC audio specific config,
both as ffprobe reads them from ``init.mp4``), ``RESOLUTION``, ``FRAME-RATE`` and ``BANDWIDTH`` (the peak segment
bit rate, from the segments' sizes and durations) come from what was produced, not from what was asked for.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from mkdocs_hybrid.media._probe import (
    AUDIO_DECODERS,
    VIDEO_DECODERS,
    AttachedLimits,
    AttachedVideoError,
    VideoFacts,
    file_url,
    input_args,
    run_tool,
)
from mkdocs_hybrid.media._streams import LADDER, HlsPlan
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.layout import HLS, HLS_INIT, HLS_MASTER, HLS_PLAYLIST, HLS_SEGMENTS, hls_ladder, hls_rung
from mkdocs_hybrid.model.snapshot import file_sha256

__all__ = ["HlsPlan", "Rung", "ladder", "make_hls"]

MAX_RATES = {360: 800, 720: 2800, 1080: 5000}
"""kbit/s cap of each rung (``-maxrate``, with a buffer of twice that): quality-first CRF, bounded for ABR."""
AUDIO_ARGS = ("-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000", "-flags:a", "+bitexact")
DURATION_SLACK = 0.5
ROLES = {"master": "hls", "playlist": "hls-playlist", "init": "hls-init", "segment": "hls-segment"}
"""Roles of the HLS files in ``meta.json`` (the master's is the one pages play)."""


@dataclass(frozen=True)
class Rung:
    """One rendition: its frame size and bit-rate cap."""

    width: int
    height: int
    max_kbps: int

    @property
    def folder(self) -> str:
        return hls_rung(self.height)


def ladder(display: tuple[int, int], heights: Sequence[int] = LADDER) -> list[Rung]:
    """The rungs for a video shown at ``display`` (width, height): every height at or below its own, or its own
    (even) height alone when it is smaller than all; widths keep the aspect, even."""
    width, height = display
    chosen = [h for h in sorted(heights) if h <= height] or [max(2, height // 2 * 2)]
    rungs = []
    for h in chosen:
        w = max(2, round(width * h / height / 2) * 2)
        cap = next((MAX_RATES[k] for k in sorted(MAX_RATES) if h <= k), max(MAX_RATES.values()))
        rungs.append(Rung(w, h, cap))
    return rungs


def make_hls(src: Path, container: str, facts: VideoFacts, out_dir: Path, *, ffmpeg: Path, ffprobe: Path,
             rate: Fraction, seconds: float, plan: HlsPlan, threads: int, limits: AttachedLimits
             ) -> tuple[MediaFile, ...]:
    """Write ``out_dir/hls/{digest}/``: every rung of :func:`ladder` and the master playlist; return their
    catalog entries, master first (names relative to ``out_dir``).

    ``seconds`` is the played duration of our ``video.mp4`` (the ladder is read to the same length); ``rate``
    the frame rate it was made at. Raises :class:`AttachedVideoError` when ffmpeg fails or a rung is not what
    was planned.
    """
    (out_dir / HLS).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".ladder-", dir=out_dir / HLS))
    try:
        files = _make_ladder(src, container, facts, scratch, ffmpeg=ffmpeg, ffprobe=ffprobe, rate=rate,
                             seconds=seconds, plan=plan, threads=threads, limits=limits)
        folder = hls_ladder(ladder_digest(files))
        shutil.rmtree(out_dir / folder, ignore_errors=True)
        os.replace(scratch, out_dir / folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return tuple(replace(m, name=f"{folder}/{m.name}") for m in files)


def ladder_digest(files: Sequence[MediaFile]) -> str:
    """The sha256 over a ladder's files (names within the ladder and their sha256, the master's included): what
    names its folder."""
    listed = sorted((m.name, m.sha256) for m in files)
    return hashlib.sha256(json.dumps(listed).encode()).hexdigest()


def _make_ladder(src: Path, container: str, facts: VideoFacts, root: Path, *, ffmpeg: Path, ffprobe: Path,
                 rate: Fraction, seconds: float, plan: HlsPlan, threads: int, limits: AttachedLimits
                 ) -> list[MediaFile]:
    """Write the ladder into ``root``; its files' entries named within it, master first."""
    rungs = ladder(facts.display_size, plan.heights)
    for rung in rungs:
        (root / rung.folder).mkdir(parents=True, exist_ok=True)
    audio = _audio_index(src, container, ffprobe=ffprobe, limits=limits)
    args = [*input_args(container, (*VIDEO_DECODERS, *(AUDIO_DECODERS if audio is not None else ())), limits),
            "-t", f"{seconds:.3f}", "-i", file_url(src), "-filter_complex", _filters(facts.index, rate, rungs)]
    for number, rung in enumerate(rungs):
        args += _rung_output(number, rung, root / rung.folder, audio, rate, plan, threads)
    # one decode, every rung encoded in turn: the wall time scales with the rungs and the length
    timeout = limits.timeout * len(rungs) * max(1, math.ceil(seconds / 60))
    run = run_tool([str(ffmpeg), "-hide_banner", "-nostdin", "-v", "error", "-y", "-threads", str(threads),
                    "-filter_threads", "1", *args], timeout=timeout, limits=limits, cwd=root, label=src.name)
    if run.returncode != 0:
        raise AttachedVideoError(f"{src.name}: its HLS ladder could not be made (ffmpeg: {run.reason()}): "
                                 "re-export the video, or set video.hls_after_seconds above its length")
    files: list[MediaFile] = []
    variants: list[tuple[Rung, dict[str, Any]]] = []
    for rung in rungs:
        facts_of_rung, rung_files = _verify_rung(src.name, root / rung.folder, rung, seconds, audio is not None,
                                                 ffprobe=ffprobe, limits=limits)
        files += rung_files
        variants.append((rung, {**facts_of_rung, "fps": float(rate)}))
    master = root / HLS_MASTER
    write_atomic(master, master_playlist(variants))
    top = rungs[-1]
    files.insert(0, MediaFile(role=ROLES["master"], name=HLS_MASTER, sha256=file_sha256(master),
                              size=master.stat().st_size, width=top.width, height=top.height,
                              duration=variants[-1][1]["duration"], fps=float(rate)))
    return files


def _filters(index: int, rate: Fraction, rungs: Sequence[Rung]) -> str:
    """Drop frames once, split, scale each branch to its rung with square pixels."""
    labels = "".join(f"[s{n}]" for n in range(len(rungs)))
    graph = [f"[0:{index}]fps={rate.numerator}/{rate.denominator},split={len(rungs)}{labels}"]
    graph += [f"[s{n}]scale={r.width}:{r.height}:flags=bicubic,setsar=1[v{n}]" for n, r in enumerate(rungs)]
    return ";".join(graph)


def _rung_output(number: int, rung: Rung, folder: Path, audio: int | None, rate: Fraction, plan: HlsPlan,
                 threads: int) -> list[str]:
    """One rung's output options: H.264 High as ``_encode.h264_args`` (capped for ABR), keyframes on segment
    boundaries, AAC stereo when the source has sound, fMP4 HLS with a VOD playlist."""
    gop = max(1, round(rate * plan.segment_seconds))
    sound = ["-map", f"0:{audio}", *AUDIO_ARGS] if audio is not None else ["-an"]
    return ["-map", f"[v{number}]", *sound, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
            "-maxrate", f"{rung.max_kbps}k", "-bufsize", f"{2 * rung.max_kbps}k", "-pix_fmt", "yuv420p",
            "-profile:v", "high", "-threads", str(threads), "-x264-params", f"threads={threads}",
            "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
            "-force_key_frames", f"expr:gte(t,n_forced*{plan.segment_seconds})",
            "-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-f", "hls", "-hls_time", str(plan.segment_seconds), "-hls_playlist_type", "vod",
            "-hls_list_size", "0", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", HLS_INIT,
            "-hls_flags", "independent_segments", "-hls_segment_filename", file_url(folder / HLS_SEGMENTS),
            file_url(folder / HLS_PLAYLIST)]


def _audio_index(src: Path, container: str, *, ffprobe: Path, limits: AttachedLimits) -> int | None:
    """The index of the source's first audio stream that is not cover art, or ``None``."""
    run = run_tool([str(ffprobe), "-hide_banner", "-v", "error", *input_args(container, VIDEO_DECODERS
                                                                              + AUDIO_DECODERS, limits),
                    "-select_streams", "a", "-show_entries", "stream=index", "-of", "json", file_url(src)],
                   timeout=limits.probe_timeout, limits=limits, cwd=src.parent, label=src.name)
    try:
        streams = json.loads(run.stdout).get("streams", []) if run.returncode == 0 else []
    except ValueError:
        streams = []
    return int(streams[0]["index"]) if streams else None


# ---- checking what was made, and describing it -------------------------------------------------------------

_HEX_LINE = re.compile(r"^[0-9a-f]{8}: ((?:[0-9a-f]{2,4} ?)+)", re.MULTILINE)


def _ffprobe_json(ffprobe: Path, args: list[str], *, cwd: Path, limits: AttachedLimits, label: str
                  ) -> dict[str, Any]:
    run = run_tool([str(ffprobe), "-hide_banner", "-v", "error", *args, "-of", "json"],
                   timeout=limits.probe_timeout, limits=limits, cwd=cwd, label=label)
    try:
        report: dict[str, Any] = json.loads(run.stdout) if run.returncode == 0 else {}
    except ValueError:
        report = {}
    return report


def extradata(hexdump: object) -> bytes:
    """ffprobe's ``-show_data`` hex dump (``00000000: 0164 001f ...``) as bytes."""
    return bytes.fromhex("".join(m[1].replace(" ", "") for m in _HEX_LINE.finditer(str(hexdump or ""))))


def codec_string(stream: dict[str, Any]) -> str | None:
    """RFC 6381 ``CODECS`` entry of an ffprobe stream with its extradata: ``avc1.64001f`` from the AVC
    configuration record (profile, constraint flags, level), ``mp4a.40.2`` from the AAC audio object type."""
    data = extradata(stream.get("extradata"))
    if stream.get("codec_name") == "h264" and len(data) >= 4 and data[0] == 1:
        return f"avc1.{data[1]:02x}{data[2]:02x}{data[3]:02x}"
    if stream.get("codec_name") == "aac" and data:
        object_type = data[0] >> 3
        return f"mp4a.40.{object_type}"
    return None


def _verify_rung(name: str, folder: Path, rung: Rung, seconds: float, audio: bool, *, ffprobe: Path,
                 limits: AttachedLimits) -> tuple[dict[str, Any], list[MediaFile]]:
    """Probe one rendition (its init segment for the codecs, its playlist for the played length) and list its
    files; raise when it is not the planned size, H.264 High, as long as the video, with sound when asked."""
    init = _ffprobe_json(ffprobe, ["-show_data", "-show_entries",
                                   "stream=codec_name,width,height,extradata",
                                   "-f", "mp4", file_url(folder / HLS_INIT)],
                         cwd=folder, limits=limits, label=name)
    played = _ffprobe_json(ffprobe, ["-protocol_whitelist", "file", "-format_whitelist", "hls,mov,mp4,m4a,3gp,3g2,mj2",
                                     "-f", "hls", "-show_entries", "format=duration", file_url(folder / HLS_PLAYLIST)],
                           cwd=folder, limits=limits, label=name)
    streams = init.get("streams", [])
    video: dict[str, Any] = next((s for s in streams if s.get("codec_name") == "h264"), {})
    codecs = [c for c in (codec_string(s) for s in streams) if c]
    duration = float(played.get("format", {}).get("duration") or 0.0)
    high = bool(codecs) and codecs[0].startswith("avc1.64")  # profile_idc 100: High (init.mp4 has no frames,
    # so ffprobe names no profile)
    found = ((video.get("width"), video.get("height")), high, len(codecs))
    if found != ((rung.width, rung.height), True, 1 + audio) or abs(duration - seconds) > DURATION_SLACK + 0.5:
        raise AttachedVideoError(f"{name}: ffmpeg wrote an unexpected {rung.folder} rendition ({found[0]}, "
                                 f"High: {found[1]}, codecs {codecs}, {duration:.1f} s of {seconds:.1f} s): this is a "
                                 "bug, report it with the video")
    segments = _segments(folder / HLS_PLAYLIST)
    sizes = [(folder / uri).stat().st_size for uri, _ in segments]
    peak = max(size * 8 / max(length, 0.001) for size, (_, length) in zip(sizes, segments))
    average = sum(sizes) * 8 / max(sum(length for _, length in segments), 0.001)
    facts = {"codecs": ",".join(codecs), "bandwidth": math.ceil(peak), "average": math.ceil(average),
             "duration": duration}
    listed = [(ROLES["playlist"], HLS_PLAYLIST), (ROLES["init"], HLS_INIT),
              *((ROLES["segment"], uri) for uri, _ in segments)]
    files = [MediaFile(role=role, name=f"{rung.folder}/{file}", sha256=file_sha256(folder / file),
                       size=(folder / file).stat().st_size, width=rung.width, height=rung.height,
                       duration=duration if role == ROLES["playlist"] else None) for role, file in listed]
    return facts, files


def _segments(playlist: Path) -> list[tuple[str, float]]:
    """(URI, seconds) of each segment of one of our VOD playlists; every URI a plain name in its folder."""
    found: list[tuple[str, float]] = []
    length: float | None = None
    for line in playlist.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            length = float(line[len("#EXTINF:"):].split(",")[0])
        elif line and not line.startswith("#"):
            if length is None or "/" in line or not re.fullmatch(r"seg-\d{5}\.m4s", line):
                raise AttachedVideoError(f"{playlist.parent.name}/{playlist.name}: unexpected entry {line!r}: this "
                                         "is a bug, report it")
            found.append((line, length))
            length = None
    if not found:
        raise AttachedVideoError(f"{playlist.parent.name}/{playlist.name} lists no segment: this is a bug, report it")
    return found


def master_playlist(variants: Sequence[tuple[Rung, dict[str, Any]]]) -> str:
    """The master playlist: one ``EXT-X-STREAM-INF`` per rung, lowest first (players start from the first)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung, facts in sorted(variants, key=lambda item: item[1]["bandwidth"]):
        rate = f",FRAME-RATE={facts['fps']:.3f}" if facts.get("fps") else ""
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={facts['bandwidth']},AVERAGE-BANDWIDTH={facts['average']},"
                     f'CODECS="{facts["codecs"]}",RESOLUTION={rung.width}x{rung.height}{rate}')
        lines.append(f"{rung.folder}/{HLS_PLAYLIST}")
    return "\n".join(lines) + "\n"
