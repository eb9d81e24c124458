"""The media stage without a browser: what each version needs, the content-hash cache, and the site's files.

Capture and transcoding are replaced by functions that write known bytes (the real ones are tested in
test_capture.py and test_attached.py, and end to end in test_media_build.py); what is tested here is what the
stage decides and writes: a rerun makes nothing, a changed artifact or setting makes its media again, and media
never reach what the ledger publishes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.config.manifest import VideoOptions
from mkdocs_hybrid.media import MediaRequest, MediaStage, MediaTools, plan_media
from mkdocs_hybrid.media._attached import AttachedVideoError
from mkdocs_hybrid.media._capture import CaptureJob, CaptureOutcome
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.publish.artifacts import read_artifact, rendered_meta, write_media_meta

TOOLS = MediaTools(chromium=Path("/usr/bin/true"), ffmpeg=Path("/usr/bin/true"), ffprobe=Path("/usr/bin/true"),
                   versions="chromium 1; ffmpeg 1")


def artifact(site: Path, parts: tuple[str, str], page: bytes = b"<p>demo</p>") -> None:
    folder = site / "artifacts" / parts[0] / parts[1]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.html").write_bytes(page)
    meta = {"format": "mkdocs-hybrid/meta@1", "thread": parts[0], "version": parts[1],
            "files": {"page.html": {"sha256": hashlib.sha256(page).hexdigest(), "size": len(page)}},
            "vendor": None, "video": None}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def fake_media(out_dir: Path, roles: list[str], seed: str) -> tuple[MediaFile, ...]:
    names = {"poster": "poster.webp", "card": "card.webp", "video": "video.mp4", "preview": "preview.mp4",
             "pdf": "demo.pdf"}
    files = []
    for role in roles:
        data = f"{role}:{seed}".encode()
        (out_dir / names[role]).write_bytes(data)
        files.append(MediaFile(role=role, name=names[role], sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                               width=32, height=18, duration=1.0 if role in ("video", "preview") else None))
    return tuple(files)


class Recorder:
    """Stands in for the browser and ffmpeg, and counts what they were asked."""

    def __init__(self) -> None:
        self.captured: list[str] = []
        self.jobs: list[CaptureJob] = []
        self.transcoded: list[Path] = []

    def capture(self, site_dir: Path, jobs: Any, settings: Any, tools: Any, **_: Any) -> list[CaptureOutcome]:
        outcomes = []
        for job in jobs:
            self.captured.append(job.ref)
            self.jobs.append(job)
            page = (site_dir / job.page).read_text()
            if "hang" in page:
                outcomes.append(CaptureOutcome(job=job, files=(), error="the page did not settle in 15 s"))
                continue
            roles = (["poster", "card"] if job.posters else []) + (["video", "preview"] if job.video else [])
            roles += ["pdf"] if job.pdf else []
            outcomes.append(CaptureOutcome(job=job, files=fake_media(job.out_dir, roles, page + str(settings)),
                                           error=None))
        return outcomes

    def transcode(self, src: Path, out_dir: Path, **_: Any) -> tuple[MediaFile, ...]:
        self.transcoded.append(src)
        if src.read_bytes().startswith(b"#EXTM3U"):
            raise AttachedVideoError("is a playlist, not a video file; attach the video itself")
        return fake_media(out_dir, ["poster", "card", "video", "preview"], src.read_text())


def stage(tmp_path: Path, recorder: Recorder, **options: Any) -> MediaStage:
    return MediaStage(VideoOptions(**options), tmp_path / "cache", TOOLS, workers=2,
                      capture_fn=recorder.capture, transcode_fn=recorder.transcode)


def snapshot(ref: str, video: str | bool | None = None, origin: str = "") -> Snapshot:
    thread, version = ref.split("/")
    return Snapshot(thread=thread, version=version, files={"index.js": b""}, entry="index.js", title=ref,
                    origin=origin, video=video)


def test_each_version_gets_what_it_asks_for_and_missing_tools_are_said_once(tmp_path: Path) -> None:
    versions = [(snapshot("a/v1"), ("a", "v1")), (snapshot("a/v2", video=True), ("a", "v2")),
                (snapshot("b/v1", video="demo.mov", origin=str(tmp_path)), ("_u", "t0ken")),
                (snapshot("c/v1", video=False), ("c", "v1"))]
    requests, notices = plan_media(versions, VideoOptions(enabled=True), TOOLS)
    assert [(r.ref, r.parts, r.video, r.attached) for r in requests] == [
        ("a/v1", ("a", "v1"), True, None), ("a/v2", ("a", "v2"), True, None),
        ("b/v1", ("_u", "t0ken"), False, tmp_path / "demo.mov"), ("c/v1", ("c", "v1"), False, None)]
    assert notices == []

    requests, _ = plan_media(versions, VideoOptions(posters=False), TOOLS)
    assert [(r.ref, r.video) for r in requests] == [("a/v2", True), ("b/v1", False)]

    no_browser = MediaTools(chromium=None, ffmpeg=None, ffprobe=None, versions="")
    requests, notices = plan_media(versions, VideoOptions(enabled=True), no_browser)
    assert requests == []
    assert [line.split(" (")[0] for line in notices] == ["posters need Chromium", "videos need Chromium"]
    assert notices[0].endswith("apt-get install chromium-headless-shell; the gallery shows monograms instead")

    no_ffmpeg = MediaTools(chromium=TOOLS.chromium, ffmpeg=None, ffprobe=None, versions="")
    requests, notices = plan_media(versions, VideoOptions(enabled=True), no_ffmpeg)
    assert [(r.ref, r.video, r.attached) for r in requests] == [
        ("a/v1", False, None), ("a/v2", False, None), ("b/v1", False, None), ("c/v1", False, None)]
    assert notices == ["videos need ffmpeg and ffprobe (not found): apt-get install ffmpeg; "
                       "no video previews were made"]


def test_an_attached_video_is_keyed_by_the_digest_the_scan_took_not_read_again(tmp_path: Path) -> None:
    """An attached video can be 200 MB: a rebuild keys its media by the sha256 the sources already know."""
    clip = b"\x00\x00\x00\x18ftypqt  a recording"
    version = Snapshot(thread="a", version="v1", files={"index.js": b"", "demo.mov": clip}, entry="index.js",
                       title="a", origin=str(tmp_path / "not-on-disk"), video="demo.mov")
    [request], _ = plan_media([(version, ("a", "v1"))], VideoOptions(), TOOLS)
    assert request.attached_sha256 == hashlib.sha256(clip).hexdigest()
    site = tmp_path / "site"
    artifact(site, ("a", "v1"))
    assert stage(tmp_path, Recorder()).key(site, request) is not None  # the file is not on disk: never read


def test_media_are_made_once_per_content_and_settings(tmp_path: Path) -> None:
    site, recorder = tmp_path / "site", Recorder()
    for ref in ("a/v1", "b/v1"):
        artifact(site, tuple(ref.split("/")), page=f"<p>{ref}</p>".encode())  # type: ignore[arg-type]
    requests = [MediaRequest("a/v1", ("a", "v1"), video=True), MediaRequest("b/v1", ("b", "v1"))]

    first = stage(tmp_path, recorder).run(site, requests)
    assert sorted(first.made) == ["a/v1", "b/v1"] and first.cached == []
    assert [m.name for m in first.media["a/v1"]] == ["card.webp", "poster.webp", "preview.mp4", "video.mp4"]
    for media in first.media["a/v1"]:
        assert hashlib.sha256((site / "artifacts/a/v1" / media.name).read_bytes()).hexdigest() == media.sha256
    tree = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}

    recorder.captured.clear()
    again = stage(tmp_path, recorder).run(site, requests)
    assert recorder.captured == [] and sorted(again.cached) == ["a/v1", "b/v1"] and again.media == first.media
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == tree

    (site / "artifacts/b/v1/poster.webp").write_bytes(b"damaged")  # the site's copy is put right from the cache
    stage(tmp_path, recorder).run(site, requests)
    assert recorder.captured == [] and {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == tree

    artifact(site, ("b", "v1"), page=b"<p>b/v1, edited</p>")
    stage(tmp_path, recorder).run(site, requests)
    assert recorder.captured == ["b/v1"]

    recorder.captured.clear()
    stage(tmp_path, recorder, fps=15).run(site, requests)
    assert sorted(recorder.captured) == ["a/v1", "b/v1"]


def test_a_rebuild_reads_again_only_media_files_whose_stat_changed(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10,000 versions a rebuild would otherwise hash every poster and video in the site; a file changed in
    place, even to the same size, is still found and put right."""
    import mkdocs_hybrid.media.stage as stage_module

    monkeypatch.setattr("mkdocs_hybrid.model.files.RACY_SECONDS", -60)  # trust files written just now
    hashed: list[str] = []

    def counted(path: Path) -> str:
        hashed.append(path.name)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    monkeypatch.setattr(stage_module, "file_sha256", counted)
    site, recorder = tmp_path / "site", Recorder()
    artifact(site, ("a", "v1"))
    requests = [MediaRequest("a/v1", ("a", "v1"), video=True)]
    stage(tmp_path, recorder).run(site, requests)
    tree = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}

    hashed.clear()
    stage(tmp_path, recorder).run(site, requests)
    assert hashed == [], "unchanged media files were read again"

    poster = site / "artifacts/a/v1/poster.webp"
    poster.write_bytes(b"x" * poster.stat().st_size)
    stage(tmp_path, recorder).run(site, requests)
    assert hashed == ["poster.webp"] and {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == tree


def test_turning_video_off_removes_it_and_a_failed_capture_is_a_warning(tmp_path: Path) -> None:
    site, recorder = tmp_path / "site", Recorder()
    artifact(site, ("a", "v1"))
    artifact(site, ("h", "v1"), page=b"<script>hang()</script>")
    outcome = stage(tmp_path, recorder).run(site, [MediaRequest("a/v1", ("a", "v1"), video=True),
                                                  MediaRequest("h/v1", ("h", "v1"))])
    assert outcome.warnings == ["h/v1: no poster or video: the page did not settle in 15 s"]
    assert outcome.media["h/v1"] == () and not list((site / "artifacts/h/v1").glob("*.webp"))
    assert (site / "artifacts/a/v1/video.mp4").is_file()

    outcome = stage(tmp_path, recorder).run(site, [MediaRequest("a/v1", ("a", "v1"))])
    assert [m.name for m in outcome.media["a/v1"]] == ["card.webp", "poster.webp"]
    assert not (site / "artifacts/a/v1/video.mp4").exists() and not (site / "artifacts/a/v1/preview.mp4").exists()


def test_a_rejected_attached_video_is_an_error_of_its_version_only(tmp_path: Path) -> None:
    site, recorder = tmp_path / "site", Recorder()
    for ref in ("good/v1", "bad/v1", "other/v1"):
        artifact(site, tuple(ref.split("/")))  # type: ignore[arg-type]
    (tmp_path / "good.mov").write_text("a video")
    (tmp_path / "bad.mp4").write_text("#EXTM3U\nhttp://example.com/x.ts\n")
    outcome = stage(tmp_path, recorder).run(site, [
        MediaRequest("good/v1", ("good", "v1"), attached=tmp_path / "good.mov", attached_name="good.mov"),
        MediaRequest("bad/v1", ("bad", "v1"), attached=tmp_path / "bad.mp4", attached_name="bad.mp4"),
        MediaRequest("other/v1", ("other", "v1"))])
    [error] = outcome.errors
    assert (error.thread, error.version, error.path) == ("bad", "v1", str(tmp_path / "bad.mp4"))
    assert "video 'bad.mp4': is a playlist" in str(error)
    assert outcome.media["bad/v1"] == () and len(outcome.media["good/v1"]) == 4 and len(outcome.media["other/v1"]) == 2
    assert recorder.captured == ["other/v1"]  # an attached video's poster comes from the video, not a browser


def test_with_pdf_exports_an_attached_video_is_printed_by_the_browser_and_its_poster_stays_the_videos(
        tmp_path: Path) -> None:
    """The browser prints the demo only (a PDF-only capture under a key of its own): editing the demo prints it
    again without transcoding the video, a new video is transcoded without printing again."""
    site, recorder = tmp_path / "site", Recorder()
    artifact(site, ("a", "v1"), page=b"<p>a</p>")
    clip = tmp_path / "clip.mov"
    clip.write_text("a video")

    def run(pdf: bool = True) -> Any:
        for seen in (recorder.captured, recorder.jobs, recorder.transcoded):
            seen.clear()
        request = MediaRequest("a/v1", ("a", "v1"), attached=clip, attached_name="clip.mov", pdf=pdf)
        return stage(tmp_path, recorder).run(site, [request])

    outcome = run()
    [job] = recorder.jobs
    assert (job.ref, job.video, job.posters, job.pdf) == ("a/v1", False, False, True)
    assert recorder.transcoded == [clip] and outcome.made == ["a/v1"] and outcome.warnings == []
    assert [m.name for m in outcome.media["a/v1"]] == ["card.webp", "demo.pdf", "poster.webp", "preview.mp4",
                                                       "video.mp4"]
    folder = site / "artifacts/a/v1"
    assert (folder / "poster.webp").read_bytes() == b"poster:a video"  # the transcoder's, not the browser's
    assert (folder / "demo.pdf").read_bytes().startswith(b"pdf:<p>a</p>")
    for media in outcome.media["a/v1"]:
        assert hashlib.sha256((folder / media.name).read_bytes()).hexdigest() == media.sha256

    again = run()
    assert recorder.captured == [] and recorder.transcoded == []
    assert again.cached == ["a/v1"] and again.made == [] and again.media == outcome.media

    artifact(site, ("a", "v1"), page=b"<p>a, edited</p>")
    edited = run()
    assert recorder.captured == ["a/v1"] and recorder.transcoded == [] and edited.made == ["a/v1"]
    assert (folder / "demo.pdf").read_bytes().startswith(b"pdf:<p>a, edited</p>")

    clip.write_text("another video")
    run()
    assert recorder.captured == [] and recorder.transcoded == [clip]
    assert (folder / "poster.webp").read_bytes() == b"poster:another video"

    off = run(pdf=False)
    assert recorder.captured == [] and recorder.transcoded == []  # the video's own entry, and no browser
    assert [m.name for m in off.media["a/v1"]] == ["card.webp", "poster.webp", "preview.mp4", "video.mp4"]
    assert not (folder / "demo.pdf").exists()


def test_an_attached_videos_pdf_that_fails_is_a_warning_and_the_version_keeps_its_video(tmp_path: Path) -> None:
    site, recorder = tmp_path / "site", Recorder()
    artifact(site, ("a", "v1"), page=b"<script>hang()</script>")
    (tmp_path / "clip.mov").write_text("a video")
    outcome = stage(tmp_path, recorder).run(site, [
        MediaRequest("a/v1", ("a", "v1"), attached=tmp_path / "clip.mov", attached_name="clip.mov", pdf=True)])
    assert outcome.warnings == ["a/v1: no PDF: the page did not settle in 15 s"] and outcome.errors == []
    assert [m.name for m in outcome.media["a/v1"]] == ["card.webp", "poster.webp", "preview.mp4", "video.mp4"]
    assert not (site / "artifacts/a/v1/demo.pdf").exists()


def test_pdf_exports_ask_every_kind_of_version_for_a_pdf(tmp_path: Path) -> None:
    versions = [(snapshot("a/v1"), ("a", "v1")), (snapshot("a/v2", video=True), ("a", "v2")),
                (snapshot("b/v1", video="demo.mov", origin=str(tmp_path)), ("b", "v1"))]
    requests, _ = plan_media(versions, VideoOptions(), TOOLS, pdf=True)
    assert [(r.ref, r.pdf) for r in requests] == [("a/v1", True), ("a/v2", True), ("b/v1", True)]
    requests, _ = plan_media(versions, VideoOptions(), TOOLS)
    assert [(r.ref, r.pdf) for r in requests] == [("a/v1", False), ("a/v2", False), ("b/v1", False)]


def test_meta_json_lists_the_media_and_the_ledger_never_sees_them(tmp_path: Path) -> None:
    site, recorder = tmp_path / "site", Recorder()
    artifact(site, ("a", "v1"))
    rendered = (site / "artifacts/a/v1/meta.json").read_bytes()
    outcome = stage(tmp_path, recorder).run(site, [MediaRequest("a/v1", ("a", "v1"), video=True)])
    write_media_meta(site, ("a", "v1"), outcome.media["a/v1"])
    meta = json.loads((site / "artifacts/a/v1/meta.json").read_text())
    video = next(m for m in outcome.media["a/v1"] if m.role == "video")
    assert meta["media"]["video.mp4"] == {"role": "video", "sha256": video.sha256, "size": video.size,
                                          "width": 32, "height": 18, "duration": 1.0}
    assert meta["video"]["name"] == "video.mp4"
    assert set(meta["media"]) == {"card.webp", "poster.webp", "preview.mp4", "video.mp4"}

    published = read_artifact(site, snapshot("a/v1"))
    assert set(published) == {"page.html", "meta.json"} and published["meta.json"] == rendered
    assert rendered_meta((site / "artifacts/a/v1/meta.json").read_bytes()) == rendered
    write_media_meta(site, ("a", "v1"), ())
    assert (site / "artifacts/a/v1/meta.json").read_bytes() == rendered


@pytest.mark.parametrize("missing", ["meta.json", "artifact"])
def test_a_version_without_an_artifact_gets_no_media(tmp_path: Path, missing: str) -> None:
    site, recorder = tmp_path / "site", Recorder()
    artifact(site, ("a", "v1"))
    if missing == "meta.json":
        (site / "artifacts/a/v1/meta.json").unlink()
    outcome = stage(tmp_path, recorder).run(site, [MediaRequest("a/v1", ("a", "v1")),
                                                  MediaRequest("x/v1", ("x", "v1"))])
    assert outcome.media == ({} if missing == "meta.json" else {"a/v1": outcome.media["a/v1"]})
    assert "x/v1" not in recorder.captured


def test_a_shards_catalog_keeps_its_versions_media_for_the_merge() -> None:
    from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry, catalog_from_json, catalog_to_json

    poster = MediaFile(role="poster", name="poster.webp", sha256="a" * 64, size=3, width=1280, height=720)
    video = MediaFile(role="video", name="video.mp4", sha256="b" * 64, size=9, width=1280, height=720,
                      duration=4.0, fps=30.0, url="https://media.example.com/media/" + "b" * 64 + ".mp4")
    version = VersionEntry(version="v1", title="T", created=None, author=None, tags=("x",), entry="index.js",
                           unlisted=False, build_key="k", media=(poster, video))
    catalog = Catalog(threads=(ThreadEntry(id="t", title="T", description=None, tags=(), versions=(version,),
                                           latest="v1", unlisted=False),))
    assert catalog_from_json(catalog_to_json(catalog)) == catalog
