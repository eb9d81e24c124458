"""The media stage with the real transcoder: a long attached video's ladder lands in its artifact folder, is
listed in ``meta.json``, never reaches what the ledger publishes, goes away when the threshold rises; a hostile
attached segment is an error located at its thread, version and file."""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs_hybrid.config.manifest import VideoOptions
from mkdocs_hybrid.media import MediaRequest, MediaStage, MediaTools
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.publish.artifacts import read_artifact, write_media_meta
from tests.media.test_attached import FFMPEG, FFPROBE
from tests.media.test_hls import long_source, pytestmark  # noqa: F401  (skipped without ffmpeg, as those)
from tests.media.test_stage import artifact


def media_stage(tmp_path: Path, after: int) -> MediaStage:
    assert FFMPEG is not None and FFPROBE is not None
    tools = MediaTools(chromium=None, ffmpeg=Path(FFMPEG), ffprobe=Path(FFPROBE), versions="ffmpeg test")
    return MediaStage(VideoOptions(hls_after_seconds=after), tmp_path / "cache", tools, workers=1)


def test_a_long_attached_video_streams_from_its_artifact_folder_and_a_hostile_segment_is_located(
        tmp_path: Path) -> None:
    site = tmp_path / "site"
    for parts in (("a", "v1"), ("b", "v1")):
        artifact(site, parts)
    long_video = long_source(tmp_path / "talk.mp4", size="640x360", seconds=5)
    hostile = tmp_path / "b" / "clip.mp4"
    hostile.parent.mkdir()
    requests = [MediaRequest("a/v1", ("a", "v1"), attached=long_video, attached_name="talk.mp4"),
                MediaRequest("b/v1", ("b", "v1"), attached=hostile, attached_name="clip.mp4")]
    stage = media_stage(tmp_path, after=3)
    hostile.write_bytes(b"\x00\x00\x00\x18stypmsdh\x00\x00\x00\x00msdhmsix" + bytes(64))  # an fMP4 segment
    outcome = stage.run(site, requests)

    [error] = outcome.errors
    assert (error.thread, error.version, error.path) == ("b", "v1", str(hostile))
    assert "clip.mp4" in str(error) and "streaming segment" in str(error)

    folder = site / "artifacts" / "a" / "v1"
    media = outcome.media["a/v1"]
    ladder = [m for m in media if m.name.startswith("hls/")]
    assert {m.role for m in ladder} == {"hls", "hls-playlist", "hls-init", "hls-segment"}
    assert sorted(p.relative_to(folder).as_posix() for p in (folder / "hls").rglob("*") if p.is_file()) == sorted(
        m.name for m in ladder)
    write_media_meta(site, ("a", "v1"), media)
    listed = json.loads((folder / "meta.json").read_text())["media"]
    [master] = [m.name for m in ladder if m.role == "hls"]
    assert listed[master]["role"] == "hls" and listed["video.mp4"]["role"] == "video"
    published = read_artifact(site, Snapshot(thread="a", version="v1", files={}, entry="index.js", title="a",
                                             origin=""))
    assert set(published) == {"page.html", "meta.json"}  # the ladder is derived media, never published

    again = media_stage(tmp_path, after=10).run(site, requests[:1])  # another key: made again, no ladder
    assert again.made == ["a/v1"]
    assert not any(m.name.startswith("hls/") for m in again.media["a/v1"])
    assert not (folder / "hls").exists() and (folder / "video.mp4").is_file()


def test_a_video_attached_again_replaces_the_ladder_folder_and_leaves_no_stale_file(tmp_path: Path) -> None:
    site = tmp_path / "site"
    artifact(site, ("a", "v1"))
    folder = site / "artifacts" / "a" / "v1"
    stage = media_stage(tmp_path, after=3)

    def ladder_of(video: Path) -> set[str]:
        request = MediaRequest("a/v1", ("a", "v1"), attached=video, attached_name="talk.mp4")
        media = stage.run(site, [request]).media["a/v1"]
        on_disk = {p.relative_to(folder).as_posix() for p in (folder / "hls").rglob("*") if p.is_file()}
        ladder = {m.name for m in media if m.name.startswith("hls/")}
        assert on_disk == ladder and len({name.split("/")[1] for name in ladder}) == 1
        return ladder

    first = ladder_of(long_source(tmp_path / "first.mp4", size="640x360", seconds=4))
    second = ladder_of(long_source(tmp_path / "second.mp4", size="480x270", seconds=4))
    assert first and second and not first & second  # new names; the old folder is gone from the site
