"""HLS for long attached videos: real ffmpeg ladders of small lavfi inputs, checked with plain ffprobe, an
independent playlist parser (``m3u8``) and the MP4 boxes themselves, never with the code under test.

The threshold is set low (3 s) and segments short (2 s) so the inputs stay a few seconds long.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import m3u8
import pytest

from mkdocs_hybrid.media._attached import AttachedVideoError, transcode_attached
from mkdocs_hybrid.media._streams import HlsPlan
from mkdocs_hybrid.model.catalog import MediaFile
from tests.media.test_attached import FFMPEG, FFPROBE, lavfi

pytestmark = pytest.mark.skipif(FFMPEG is None or FFPROBE is None,
                                reason="needs ffmpeg and ffprobe (apt-get install ffmpeg)")

PLAN = HlsPlan(after_seconds=3, segment_seconds=2)
SECONDS = 7


def long_source(path: Path, *, size: str = "1280x720", seconds: int = SECONDS, sound: bool = True) -> Path:
    """A synthetic recording: moving test pattern, a tone when ``sound``."""
    audio = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"] if sound else []
    return lavfi(path, f"testsrc2=size={size}:rate=30:duration={seconds}", *audio, "-c:v", "libx264", "-preset",
                 "ultrafast", "-pix_fmt", "yuv420p", *(["-c:a", "aac", "-shortest"] if sound else []))


def transcode(src: Path, out: Path, plan: HlsPlan | None = PLAN) -> tuple[MediaFile, ...]:
    assert FFMPEG is not None and FFPROBE is not None
    return transcode_attached(src, out, ffmpeg=Path(FFMPEG), ffprobe=Path(FFPROBE), hls=plan)


def ffprobe(path: Path, *args: str) -> dict[str, Any]:
    """Plain ffprobe (HLS allowed for local files), independent of the code under test."""
    assert FFPROBE is not None
    out = subprocess.run([FFPROBE, "-v", "error", *args, "-show_format", "-show_streams", "-of", "json",
                          str(path)], check=True, timeout=60, capture_output=True).stdout
    report: dict[str, Any] = json.loads(out)
    return report


def avc1_from_boxes(init: Path) -> str:
    """``avc1.PPCCLL`` read from the ``avcC`` box of an init segment (profile, constraint flags, level)."""
    data = init.read_bytes()
    at = data.index(b"avcC") + 4
    return "avc1." + data[at + 1:at + 4].hex()


@pytest.fixture(scope="module")
def ladder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, tuple[MediaFile, ...]]:
    """One 720p source with sound and its outputs (shared: an encode takes seconds)."""
    folder = tmp_path_factory.mktemp("ladder")
    src = long_source(folder / "demo.mp4")
    out = folder / "out"
    return src, out, transcode(src, out)


def ladder_folder(out: Path, files: tuple[MediaFile, ...]) -> Path:
    """The folder of the ladder: the master playlist's (``hls/{digest}/``)."""
    [master] = [m for m in files if m.role == "hls"]
    return out / Path(master.name).parent


def ladder_files(files: tuple[MediaFile, ...]) -> dict[str, str]:
    """Name -> sha256 of the ladder's files."""
    return {m.name: m.sha256 for m in files if m.name.startswith("hls/")}


def test_a_long_video_gets_a_rendition_per_rung_up_to_its_own_height_each_as_ffprobe_sees_it(
        ladder: tuple[Path, Path, tuple[MediaFile, ...]]) -> None:
    _, out, files = ladder
    root = ladder_folder(out, files)
    assert [p for p in (out / "hls").iterdir()] == [root]  # one ladder, in one folder
    assert sorted(p.name for p in root.iterdir()) == ["360p", "720p", "master.m3u8"]  # no 1080p: no upscale
    for height, width in ((360, 640), (720, 1280)):
        report = ffprobe(root / f"{height}p" / "index.m3u8")
        video = next(s for s in report["streams"] if s["codec_type"] == "video")
        audio = next(s for s in report["streams"] if s["codec_type"] == "audio")
        assert (video["codec_name"], video["profile"], video["width"], video["height"]) == (
            "h264", "High", width, height)
        assert (audio["codec_name"], audio["profile"]) == ("aac", "LC")
        assert abs(float(report["format"]["duration"]) - SECONDS) < 0.6
    listed = {m.name for m in files}
    on_disk = {p.relative_to(out).as_posix() for p in (out / "hls").rglob("*") if p.is_file()}
    assert on_disk <= listed and {"video.mp4", "preview.mp4", "poster.webp", "card.webp"} <= listed


def test_the_master_playlist_parses_and_its_codecs_resolutions_and_bandwidths_match_the_renditions(
        ladder: tuple[Path, Path, tuple[MediaFile, ...]]) -> None:
    _, out, files = ladder
    master = m3u8.load(str(ladder_folder(out, files) / "master.m3u8"))
    assert master.is_variant and len(master.playlists) == 2
    for variant in master.playlists:
        folder = ladder_folder(out, files) / Path(variant.uri).parent
        report = ffprobe(folder / "index.m3u8")
        video = next(s for s in report["streams"] if s["codec_type"] == "video")
        assert variant.stream_info.resolution == (video["width"], video["height"])
        assert variant.stream_info.codecs == f"{avc1_from_boxes(folder / 'init.mp4')},mp4a.40.2"
        media = m3u8.load(str(folder / "index.m3u8"))
        rates = [(folder / s.uri).stat().st_size * 8 / s.duration for s in media.segments]
        assert variant.stream_info.bandwidth == math.ceil(max(rates))
        total = sum((folder / s.uri).stat().st_size for s in media.segments) * 8
        assert variant.stream_info.average_bandwidth == math.ceil(total / sum(s.duration for s in media.segments))
        assert media.is_endlist and media.playlist_type == "vod" and media.segment_map[0].uri == "init.mp4"
        assert all(s.duration <= 2.1 for s in media.segments)
    assert [v.stream_info.bandwidth for v in master.playlists] == sorted(v.stream_info.bandwidth
                                                                           for v in master.playlists)


def test_the_same_video_gives_the_same_ladder_names_and_bytes_twice(ladder: tuple[Path, Path, tuple[MediaFile, ...]],
                                                          tmp_path: Path) -> None:
    src, out, files = ladder
    again = transcode(src, tmp_path / "again")
    assert again == files
    for media in files:
        assert (tmp_path / "again" / media.name).read_bytes() == (out / media.name).read_bytes(), media.name


def test_a_video_shorter_than_the_threshold_gets_no_hls(tmp_path: Path) -> None:
    src = long_source(tmp_path / "short.mp4", size="320x240", seconds=2)
    files = transcode(src, tmp_path / "out")
    assert not any(m.name.startswith("hls/") or m.role.startswith("hls") for m in files)
    assert not (tmp_path / "out" / "hls").exists()


def test_a_small_silent_video_gets_one_rung_at_its_own_height_with_video_only_codecs(tmp_path: Path) -> None:
    src = long_source(tmp_path / "small.mp4", size="320x240", seconds=4, sound=False)
    root = ladder_folder(tmp_path / "out", transcode(src, tmp_path / "out"))
    master = m3u8.load(str(root / "master.m3u8"))
    assert [(v.uri, v.stream_info.resolution) for v in master.playlists] == [("240p/index.m3u8", (320, 240))]
    assert master.playlists[0].stream_info.codecs == avc1_from_boxes(root / "240p" / "init.mp4")


def test_a_hostile_playlist_or_segment_attached_as_the_video_is_refused_with_what_it_is(
        ladder: tuple[Path, Path, tuple[MediaFile, ...]], tmp_path: Path) -> None:
    _, out, files = ladder
    outside = tmp_path / "outside.m3u8"
    outside.write_text('#EXTM3U\n#EXT-X-MAP:URI="file:///etc/passwd"\n#EXTINF:2,\nhttp://example.com/x.m4s\n')
    renamed = shutil.copy(outside, tmp_path / "demo.mp4")
    segment = shutil.copy(ladder_folder(out, files) / "360p" / "seg-00001.m4s", tmp_path / "segment.mp4")
    text = tmp_path / "fake.m4s"
    text.write_text("this is not a segment\n")
    cases = {outside: "HLS playlist", Path(renamed): "HLS playlist", Path(segment): "streaming segment",
             text: "a text file"}
    for path, said in cases.items():
        with pytest.raises(AttachedVideoError) as refused:
            transcode(path, tmp_path / f"out-{path.name}")
        assert path.name in str(refused.value) and said in str(refused.value), str(refused.value)
        assert not (tmp_path / f"out-{path.name}" / "hls").exists()


def test_every_uri_of_the_master_and_rendition_playlists_is_a_listed_file_in_the_ladder_folder(
        ladder: tuple[Path, Path, tuple[MediaFile, ...]]) -> None:
    _, out, files = ladder
    root = ladder_folder(out, files)
    named = {root / "master.m3u8"}
    for variant in m3u8.load(str(root / "master.m3u8")).playlists:
        playlist = m3u8.load(str(root / variant.uri))
        folder = (root / variant.uri).parent
        named |= {root / variant.uri, folder / playlist.segment_map[0].uri,
                  *(folder / s.uri for s in playlist.segments)}
    listed = {out / name for name in ladder_files(files)}
    assert named == listed and all(path.is_file() for path in named)


def test_the_ladder_folder_is_named_by_its_bytes_so_other_settings_or_another_video_share_no_url(
        ladder: tuple[Path, Path, tuple[MediaFile, ...]], tmp_path: Path) -> None:
    src, _, files = ladder
    other_setting = transcode(src, tmp_path / "segments", HlsPlan(after_seconds=3, segment_seconds=3))
    other_video = transcode(long_source(tmp_path / "other.mp4", size="640x360"), tmp_path / "other")
    names = [set(ladder_files(made)) for made in (files, other_setting, other_video)]
    assert all(names) and not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    for made in (files, other_setting, other_video):
        folder = ladder_folder(Path(), made).name
        assert all(name.startswith(f"hls/{folder}/") for name in ladder_files(made))
        assert len(folder) == 16 and int(folder, 16) >= 0
