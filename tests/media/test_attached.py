"""Attached videos: real ffmpeg transcodes of small generated inputs, and every hostile file we know of refused fast.

Inputs come from ffmpeg's ``lavfi`` sources in ``tmp_path``; outputs are checked with a plain ffprobe call
(not the code under test) and by reading the MP4 boxes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mkdocs_hybrid.media._attached import AttachedLimits, AttachedVideoError, transcode_attached
from mkdocs_hybrid.media._probe import moov_before_mdat
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.layout import MEDIA_FILES

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
pytestmark = pytest.mark.skipif(FFMPEG is None or FFPROBE is None,
                                reason="needs ffmpeg and ffprobe (apt-get install ffmpeg)")

HOSTILE_SECONDS = 15.0
"""Every hostile file must be refused within this wall time."""

VIDEO_ROLES = ("video", "preview", "poster", "card")
"""What the transcoder makes of an attached video (its PDF, with ``exports.pdf``, is printed by the capture browser
in a PDF-only capture of the stage's: see test_stage.py and test_exports.py)."""


def make(path: Path, *args: str, pipe: bool = False) -> Path:
    """Run ffmpeg to write ``path`` (``pipe``: through stdout, so the muxer cannot go back to write a duration)."""
    assert FFMPEG is not None
    command = [FFMPEG, "-nostdin", "-v", "error", "-y", *args, "pipe:1" if pipe else str(path)]
    with path.open("wb") if pipe else open(os.devnull, "wb") as out:
        subprocess.run(command, check=True, timeout=60, stdout=out)
    return path


def lavfi(path: Path, source: str, *args: str, pipe: bool = False) -> Path:
    """A video from a lavfi source, e.g. ``testsrc=size=320x240:rate=25:duration=1``."""
    return make(path, "-f", "lavfi", "-i", source, *args, pipe=pipe)


def small_mp4(path: Path, *, faststart: bool = True, seconds: int = 1) -> Path:
    """A small valid H.264 MP4."""
    moov = ["-movflags", "+faststart"] if faststart else []
    return lavfi(path, f"testsrc=size=320x240:rate=25:duration={seconds}", "-c:v", "libx264", "-preset",
                 "ultrafast", "-pix_fmt", "yuv420p", *moov)


def ffprobe_json(path: Path) -> dict[str, Any]:
    """Plain ffprobe's view of a file, independent of the code under test."""
    assert FFPROBE is not None
    out = subprocess.run([FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                         check=True, timeout=30, capture_output=True).stdout
    return dict(json.loads(out))


def transcode(src: Path, out_dir: Path, **options: Any) -> tuple[MediaFile, ...]:
    assert FFMPEG is not None and FFPROBE is not None
    return transcode_attached(src, out_dir, ffmpeg=Path(FFMPEG), ffprobe=Path(FFPROBE), **options)


def webp_size(path: Path) -> tuple[int, int]:
    """Width and height of a WebP file (Pillow refuses any other format)."""
    with Image.open(path, formats=["WEBP"]) as image:
        return image.size


def by_role(media: tuple[MediaFile, ...]) -> dict[str, MediaFile]:
    return {m.role: m for m in media}


def assert_web_safe(path: Path, size: tuple[int, int], fps: str, seconds: float) -> None:
    """H.264 High yuv420p, this size and rate, this long, no audio, index before data."""
    report = ffprobe_json(path)
    (stream,) = report["streams"]
    assert (stream["codec_name"], stream["profile"], stream["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (stream["width"], stream["height"]) == size
    assert stream["avg_frame_rate"] == fps
    assert float(report["format"]["duration"]) == pytest.approx(seconds, abs=0.1)
    assert moov_before_mdat(path)


# ---- valid inputs ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mov(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, tuple[MediaFile, ...]]:
    """A 1080p60 MPEG-4 part 2 .mov with an AAC track, transcoded once: (source, out_dir, media)."""
    root = tmp_path_factory.mktemp("mov")
    src = make(root / "demo.mov", "-f", "lavfi", "-i", "testsrc=size=1920x1080:rate=60:duration=2", "-f", "lavfi",
               "-i", "sine=duration=2", "-c:v", "mpeg4", "-q:v", "5", "-c:a", "aac", "-shortest")
    return src, root / "out", transcode(src, root / "out")


def test_mov_is_scaled_down_capped_and_silent(mov: tuple[Path, Path, tuple[MediaFile, ...]]) -> None:
    _, out, media = mov
    files = by_role(media)
    assert [m.role for m in media] == ["video", "preview", "poster", "card"]
    assert sorted(os.listdir(out)) == sorted(MEDIA_FILES[role] for role in VIDEO_ROLES)  # no PDF: no browser opens
    assert_web_safe(out / "video.mp4", (1280, 720), "30/1", 2.0)
    video = files["video"]
    assert (video.width, video.height, video.fps) == (1280, 720, 30.0)
    assert video.duration == pytest.approx(2.0, abs=0.1)
    assert_web_safe(out / "preview.mp4", (480, 270), "15/1", 2.0)
    assert webp_size(out / "poster.webp") == (files["poster"].width, files["poster"].height) == (1280, 720)
    assert webp_size(out / "card.webp") == (files["card"].width, files["card"].height) == (480, 270)


def test_media_entries_describe_the_files(mov: tuple[Path, Path, tuple[MediaFile, ...]]) -> None:
    import hashlib

    _, out, media = mov
    for m in media:
        data = (out / m.name).read_bytes()
        assert (m.sha256, m.size, m.url) == (hashlib.sha256(data).hexdigest(), len(data), None)
        assert (m.duration is None) == (m.role in ("poster", "card"))


def test_repeat_is_byte_identical(mov: tuple[Path, Path, tuple[MediaFile, ...]], tmp_path: Path) -> None:
    src, out, media = mov
    again = transcode(src, tmp_path / "again")
    assert again == media
    for name in (MEDIA_FILES[role] for role in VIDEO_ROLES):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name


def test_webm_without_duration_is_not_upscaled(tmp_path: Path) -> None:
    """VP9 + Opus WebM written to a pipe (no duration in the header, like MediaRecorder's), smaller than 720p."""
    src = make(tmp_path / "demo.webm", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=24:duration=1.5", "-f",
               "lavfi", "-i", "sine=duration=1.5", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
               "-c:a", "libopus", "-f", "webm", pipe=True)
    assert "duration" not in ffprobe_json(src)["format"]
    files = by_role(transcode(src, tmp_path / "out"))
    assert_web_safe(tmp_path / "out" / "video.mp4", (640, 360), "24/1", 1.5)
    assert (files["video"].width, files["video"].height, files["video"].fps) == (640, 360, 24.0)
    assert (files["card"].width, files["card"].height) == (480, 270)


def test_rotated_portrait_fits_the_box(tmp_path: Path) -> None:
    """A phone recording: stored landscape with a 90 degree display rotation, shown portrait."""
    plain = small_mp4(tmp_path / "plain.mp4")
    src = make(tmp_path / "demo.mp4", "-i", str(plain), "-c", "copy", "-metadata:s:v", "rotate=90")
    files = by_role(transcode(src, tmp_path / "out", width=1280, height=200))
    assert (files["video"].width, files["video"].height) == (150, 200)


@pytest.mark.parametrize(("name", "codec"), [
    pytest.param("hevc.mp4", ["libx265", "-x265-params", "log-level=error"], id="hevc"),
    pytest.param("av1.mp4", ["libaom-av1", "-cpu-used", "8"], id="av1"),
    pytest.param("vp8.webm", ["libvpx", "-deadline", "realtime"], id="vp8"),
    pytest.param("prores.mov", ["prores_ks"], id="prores"),
    pytest.param("mjpeg.mov", ["mjpeg"], id="mjpeg"),
])
def test_other_common_codecs_are_read(name: str, codec: list[str], tmp_path: Path) -> None:
    """Each decoder on the whitelist, by the name ffmpeg gives it (AV1 is ``libdav1d`` here)."""
    pix_fmt = "yuvj420p" if name.startswith("mjpeg") else "yuv422p10le" if name.startswith("prores") else "yuv420p"
    src = lavfi(tmp_path / name, "testsrc=size=128x96:rate=10:duration=0.5", "-c:v", *codec, "-pix_fmt", pix_fmt)
    files = by_role(transcode(src, tmp_path / "out"))
    assert_web_safe(tmp_path / "out" / "video.mp4", (128, 96), "10/1", 0.5)
    assert (files["video"].width, files["video"].height) == (128, 96)


def test_moov_before_mdat_reads_the_box_order(tmp_path: Path) -> None:
    assert moov_before_mdat(small_mp4(tmp_path / "fast.mp4"))
    assert not moov_before_mdat(small_mp4(tmp_path / "slow.mp4", faststart=False))


# ---- hostile inputs ------------------------------------------------------------------------------------------

Case = Callable[[Path], "tuple[Path, AttachedLimits]"]
DEFAULT = AttachedLimits()


def _text(d: Path) -> tuple[Path, AttachedLimits]:
    (d / "demo.mp4").write_text("this is not a video\n")
    return d / "demo.mp4", DEFAULT


def _png(d: Path) -> tuple[Path, AttachedLimits]:
    png = lavfi(d / "shot.png", "color=c=blue:size=64x64", "-frames:v", "1")
    return png.rename(d / "demo.mov"), DEFAULT


def _truncated(d: Path) -> tuple[Path, AttachedLimits]:
    """Index at the end, cut off: the recording stopped before the file was finished."""
    src = small_mp4(d / "demo.mp4", faststart=False, seconds=2)
    os.truncate(src, src.stat().st_size // 2)
    return src, DEFAULT


def _truncated_faststart(d: Path) -> tuple[Path, AttachedLimits]:
    """Index first, data cut off: the header promises 4 s that are not there."""
    src = small_mp4(d / "demo.mp4", seconds=4)
    os.truncate(src, src.stat().st_size // 3)
    return src, DEFAULT


def _oversized(d: Path) -> tuple[Path, AttachedLimits]:
    return small_mp4(d / "demo.mp4"), AttachedLimits(max_input_bytes=1000)


def _ten_hours(d: Path) -> tuple[Path, AttachedLimits]:
    """17 KB: 600 frames of 16x16, one a minute."""
    return lavfi(d / "demo.mp4", "color=c=red:size=16x16:rate=1/60:duration=36000", "-c:v", "libx264",
                 "-pix_fmt", "yuv420p"), DEFAULT


def _long_without_duration(d: Path) -> tuple[Path, AttachedLimits]:
    """5 minutes, but the header does not say: only the ``-t`` cap and the re-probe catch it."""
    return lavfi(d / "demo.mkv", "testsrc=size=64x64:rate=2:duration=300", "-c:v", "libx264", "-pix_fmt",
                 "yuv420p", "-f", "matroska", pipe=True), DEFAULT


def _pixel_bomb_mjpeg(d: Path) -> tuple[Path, AttachedLimits]:
    return lavfi(d / "demo.mkv", "color=c=red:size=8192x8192:rate=1:duration=1", "-c:v", "mjpeg", "-pix_fmt",
                 "yuvj420p"), DEFAULT


def _pixel_bomb_h264(d: Path) -> tuple[Path, AttachedLimits]:
    return lavfi(d / "demo.mp4", "color=c=red:size=8192x8192:rate=1:duration=1", "-c:v", "libx264", "-preset",
                 "ultrafast", "-pix_fmt", "yuv420p"), DEFAULT


def _playlist(target: str) -> Case:
    def build(d: Path) -> tuple[Path, AttachedLimits]:
        small_mp4(d / "segment.mp4")
        url = target.replace("LOCAL", str(d / "segment.mp4"))
        (d / "demo.mp4").write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{url}\n#EXT-X-ENDLIST\n")
        return d / "demo.mp4", DEFAULT

    return build


def _ffconcat(d: Path) -> tuple[Path, AttachedLimits]:
    small_mp4(d / "part.mp4")
    (d / "demo.mp4").write_text(f"ffconcat version 1.0\nfile '{d / 'part.mp4'}'\n")
    return d / "demo.mp4", DEFAULT


def _symlink(d: Path) -> tuple[Path, AttachedLimits]:
    os.symlink(small_mp4(d / "real.mp4"), d / "demo.mp4")
    return d / "demo.mp4", DEFAULT


def _fifo(d: Path) -> tuple[Path, AttachedLimits]:
    """A reader of a FIFO blocks until someone writes: it must never be opened."""
    os.mkfifo(d / "demo.mp4")
    return d / "demo.mp4", DEFAULT


def _audio_only(d: Path) -> tuple[Path, AttachedLimits]:
    return lavfi(d / "demo.mp4", "sine=duration=1", "-c:a", "aac"), DEFAULT


def _png_codec(d: Path) -> tuple[Path, AttachedLimits]:
    """A QuickTime movie whose frames are PNG: a decoder not on the whitelist."""
    return lavfi(d / "demo.mov", "testsrc=size=64x64:rate=5:duration=1", "-c:v", "png"), DEFAULT


def _avi(d: Path) -> tuple[Path, AttachedLimits]:
    return lavfi(d / "demo.avi", "testsrc=size=64x64:rate=5:duration=1", "-c:v", "mpeg4"), DEFAULT


def _no_memory(d: Path) -> tuple[Path, AttachedLimits]:
    """Not the file's fault: the limit is too small even to load ffprobe."""
    return small_mp4(d / "demo.mp4"), AttachedLimits(max_memory=32 * 1024 * 1024)


def _output_too_large(d: Path) -> tuple[Path, AttachedLimits]:
    return lavfi(d / "demo.mp4", "testsrc=size=640x360:rate=30:duration=2", "-c:v", "libx264", "-preset",
                 "ultrafast"), AttachedLimits(max_output_bytes=8192)


HOSTILE: dict[str, tuple[Case, str]] = {
    "text file": (_text, r"demo\.mp4 is a text file, not a video"),
    "png image": (_png, r"is a PNG image, not a video"),
    "truncated mp4": (_truncated, r"truncated or corrupt \(ffprobe: .*moov atom not found"),
    "truncated faststart mp4": (_truncated_faststart, r"truncated or corrupt: only [\d.]+ s of the 4\.0 s"),
    "oversized": (_oversized, r"is 0\.0 MB, over the .* MB limit"),
    "ten hours": (_ten_hours, r"is 10:00:00 long, over the 60 s limit"),
    "long without duration": (_long_without_duration, r"is at least 6\d\.\d s long, over the 60 s limit"),
    "pixel bomb mjpeg mkv": (_pixel_bomb_mjpeg, r"has 8192x8192 frames .* over the 8,294,400-pixel limit"),
    "pixel bomb h264 mp4": (_pixel_bomb_h264, r"has 8192x8192 frames"),
    "hls playlist to http": (_playlist("http://127.0.0.1:9/segment.ts"), r"is an HLS playlist"),
    "hls playlist to a local file": (_playlist("LOCAL"), r"is an HLS playlist"),
    "ffconcat list": (_ffconcat, r"is an ffconcat list"),
    "symlink": (_symlink, r"is a symbolic link"),
    "fifo": (_fifo, r"is not a regular file"),
    "audio only": (_audio_only, r"has no video stream"),
    "codec not allowed": (_png_codec, r"has a png stream, a codec not read here"),
    "avi": (_avi, r"is an AVI file, a container not read here"),
    "memory limit": (_no_memory, r"needed more than the 32 MB memory limit"),
    "output too large": (_output_too_large, r"video\.mp4 would be larger than"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_is_refused_fast_and_leaves_nothing(case: str, tmp_path: Path) -> None:
    build, message = HOSTILE[case]
    (tmp_path / "in").mkdir()
    src, limits = build(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("the version's own files stay")
    started = time.monotonic()
    with pytest.raises(AttachedVideoError, match=message) as error:
        transcode(src, out, limits=limits)
    elapsed = time.monotonic() - started
    assert elapsed < HOSTILE_SECONDS
    assert "\n" not in str(error.value)
    assert os.listdir(out) == ["index.html"]


def test_failure_removes_stale_outputs(tmp_path: Path) -> None:
    """A video that fails now must not leave the media of an earlier, good run being served."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("index.html", "video.mp4", "poster.webp"):
        (out / name).write_text("old")
    src, limits = _output_too_large(tmp_path)
    with pytest.raises(AttachedVideoError):
        transcode(src, out, limits=limits)
    assert os.listdir(out) == ["index.html"]


def test_a_run_over_its_timeout_is_killed(mov: tuple[Path, Path, tuple[MediaFile, ...]], tmp_path: Path) -> None:
    """The 1080p60 source takes over a second to transcode; the whole process group goes at 0.3 s."""
    src, _, _ = mov
    started = time.monotonic()
    with pytest.raises(AttachedVideoError, match=r"demo\.mov took more than 0\.3 s to process and was stopped"):
        transcode(src, tmp_path / "out", limits=AttachedLimits(timeout=0.3))
    assert time.monotonic() - started < 5
    assert os.listdir(tmp_path / "out") == []
