"""Posters and videos in a real build: Chromium, ffmpeg, the cache, meta.json, the ledger and the report.

A small project with a CSS animation, a requestAnimationFrame canvas, an SVG (SMIL) animation, an attached
video and a hostile attached file, built twice through :class:`~mkdocs_hybrid.pipeline.Export` at a small
capture size (the capture itself is tested at the defaults in test_capture.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.media import _capture
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.progress import Limits, ProgressLines
from mkdocs_hybrid.publish.site import SitePages
from tests.deploy.test_r2 import bucket, dummy_credentials, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import ledger_rows, read_tree, write_tree

pytestmark = pytest.mark.browser

DEMOS = {
    "demos/spinner/v1/index.html": '<link rel="stylesheet" href="style.css"><div class="dot"></div>',
    "demos/spinner/v1/style.css": "body{margin:0;background:#fff}.dot{width:60px;height:60px;background:#e33;"
                                  "animation:move 2s linear infinite}@keyframes move{to{transform:translateX(200px)}}",
    "demos/canvas/v1/index.js": (
        "const c = document.createElement('canvas'); c.width = 320; c.height = 180; document.body.append(c);\n"
        "const g = c.getContext('2d');\n"
        "function frame(t) { g.fillStyle = '#fff'; g.fillRect(0, 0, 320, 180); g.fillStyle = '#36c';\n"
        "  g.fillRect((t / 10) % 300, 60, 40, 40); requestAnimationFrame(frame); }\n"
        "requestAnimationFrame(frame);\n"),
    "demos/orbit/v1/index.html": (
        '<svg width="320" height="180"><circle cx="40" cy="90" r="20" fill="#2a2">'
        '<animate attributeName="cx" from="40" to="280" dur="2s" repeatCount="indefinite"/></circle></svg>'),
    "demos/attached/v1/index.js": "document.body.textContent = 'see the video';\n",
    "demos/attached/v1/snapshot.yml": "video: clip.mov\n",
    "demos/hostile/v1/index.js": "document.body.textContent = 'a playlist posing as a video';\n",
    "demos/hostile/v1/snapshot.yml": "video: clip.mp4\n",
    "demos/hostile/v1/clip.mp4": "#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/segment.ts\n",
}
VIDEO = {"enabled": True, "seconds": 1, "fps": 10, "width": 320, "height": 180, "poster_at": 0.5}


def project(root: Path) -> Path:
    write_tree(root, DEMOS)
    clip = root / "demos/attached/v1/clip.mov"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=25:duration=2", "-c:v", "mpeg4", str(clip)], check=True)
    data = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache"}, "video": VIDEO}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


def export(root: Path, site: str = "site") -> Export:
    manifest = parse_manifest(yaml.safe_load((root / "hybrid.yml").read_text()), base_dir=root)
    build = Export(manifest, media=True, ledger=site == "site",
                   pages=SitePages(standalone_gallery=True, site_url="https://demos.example"))
    build.run(root / site)
    return build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Export]:
    root = project(tmp_path_factory.mktemp("media"))
    return root, export(root)


def test_every_version_gets_posters_and_its_video(built: tuple[Path, Export]) -> None:
    root, build = built
    site = root / "site"
    for ref in ("spinner/v1", "canvas/v1", "orbit/v1", "attached/v1"):
        meta = json.loads((site / "artifacts" / ref / "meta.json").read_text())
        assert set(meta["media"]) == {"poster.webp", "card.webp", "video.mp4", "preview.mp4"}, ref
        for name, info in meta["media"].items():
            data = (site / "artifacts" / ref / name).read_bytes()
            assert (info["sha256"], info["size"]) == (hashlib.sha256(data).hexdigest(), len(data)), (ref, name)
        assert (meta["media"]["poster.webp"]["width"], meta["media"]["poster.webp"]["height"]) == (320, 180)
        assert meta["video"]["name"] == "video.mp4" and meta["video"]["width"] == 320
        assert meta["media"]["preview.mp4"]["duration"] > 0
    generated = json.loads((site / "artifacts/spinner/v1/meta.json").read_text())["media"]["video.mp4"]
    assert (generated["duration"], generated["fps"]) == (1.0, 10.0)
    attached = json.loads((site / "artifacts/attached/v1/meta.json").read_text())["media"]["video.mp4"]
    assert attached["duration"] == pytest.approx(2.0, abs=0.1)  # attached videos keep their length

    assert sorted(build.report.media_made) == ["attached/v1", "canvas/v1", "orbit/v1", "spinner/v1"]


def test_a_hostile_attached_video_fails_its_version_and_nothing_else(built: tuple[Path, Export]) -> None:
    root, build = built
    [error] = build.report.failed
    assert (error.thread, error.version) == ("hostile", "v1")
    assert "clip.mp4" in str(error) and error.path and error.path.endswith("demos/hostile/v1/clip.mp4")
    site = root / "site"
    assert (site / "artifacts/hostile/v1/page.html").is_file()  # the demo is still published, without media
    meta = json.loads((site / "artifacts/hostile/v1/meta.json").read_text())
    assert "media" not in meta and not list((site / "artifacts/hostile/v1").glob("*.mp4"))


def test_the_gallery_and_share_pages_show_the_media(built: tuple[Path, Export]) -> None:
    site = built[0] / "site"
    index = (site / "gallery/index.html").read_text()
    assert "artifacts/spinner/v1/card.webp?v=" in index
    thread = (site / "gallery/spinner/index.html").read_text()
    assert "artifacts/spinner/v1/video.mp4?v=" in thread and "artifacts/spinner/v1/preview.mp4?v=" in thread
    meta = json.loads((site / "artifacts/spinner/v1/meta.json").read_text())["media"]
    poster = f"https://demos.example/artifacts/spinner/v1/poster.webp?v={meta['poster.webp']['sha256'][:8]}"
    video = f"https://demos.example/artifacts/spinner/v1/video.mp4?v={meta['video.mp4']['sha256'][:8]}"
    for page in (thread, (site / "p/spinner/v1/index.html").read_text()):
        assert f'<meta property="og:image" content="{poster}">' in page
        assert f'<meta property="og:video" content="{video}">' in page
        assert '<meta name="twitter:card" content="summary_large_image">' in page
    oembed = json.loads((site / "artifacts/spinner/v1/oembed.json").read_text())
    assert (oembed["type"], oembed["thumbnail_url"], oembed["thumbnail_width"]) == ("rich", poster, 320)
    share = (site / "p/spinner/v1/index.html").read_text()
    assert 'href="https://demos.example/artifacts/spinner/v1/oembed.json"' in share


def test_a_rebuild_starts_no_browser_and_no_ffmpeg_and_gives_the_same_site(
        built: tuple[Path, Export], monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = built
    before = read_tree(root / "site")
    started: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError(f"started {args!r}")

    monkeypatch.setattr(_capture, "async_playwright", refuse, raising=False)
    monkeypatch.setattr(_capture, "capture", refuse)
    real_popen = subprocess.Popen

    def popen(args: Any, *rest: Any, **kwargs: Any) -> Any:
        if any(name in str(args) for name in ("ffmpeg", "ffprobe", "chrom", "playwright")):
            refuse(args)
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)  # the tools' versions were read by the first build
    build = export(root)
    assert started == []
    assert sorted(build.report.media_cached) == ["attached/v1", "canvas/v1", "orbit/v1", "spinner/v1"]
    assert build.report.media_made == []
    assert read_tree(root / "site") == before


def test_the_ledger_publishes_the_demo_and_not_its_media(built: tuple[Path, Export]) -> None:
    root, _ = built
    names = {name for (name,) in ledger_rows(root, "SELECT name FROM files WHERE thread = 'spinner'")}
    assert names == {"page.html", "style.css", "meta.json", "source.json"}


def test_videos_go_to_r2_where_pages_link_them(built: tuple[Path, Export], tmp_path: Path, s3_endpoint: str,  # noqa: F811
                                               bucket: str) -> None:  # noqa: F811
    """With ``deploy.r2_bucket`` and ``r2_public_url``, pages and meta.json link each MP4 at its R2 key, and the
    deploy (through moto) stores it there as video/mp4, cached as immutable; posters stay in the site."""
    from mkdocs_hybrid.deploy import Credentials, MediaStore, R2Config, RetryPolicy, deploy_site
    from tests.cloudflare_api import FakeCloudflare

    root, _ = built
    public = "https://media.demos.example"
    data = yaml.safe_load((root / "hybrid.yml").read_text())
    data["deploy"] = {"r2_bucket": bucket, "r2_public_url": public}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data))
    try:
        build = export(root, site="site-r2")
    finally:
        del data["deploy"]
        (root / "hybrid.yml").write_text(yaml.safe_dump(data))
    assert build.report.media_made == []  # the same media, from the cache
    site = root / "site-r2"
    meta = json.loads((site / "artifacts/spinner/v1/meta.json").read_text())["media"]
    video_url = meta["video.mp4"]["url"]
    assert video_url == f"{public}/media/{meta['video.mp4']['sha256']}.mp4" and "url" not in meta["poster.webp"]
    assert f'src="{video_url}"' in (site / "gallery/spinner/index.html").read_text()

    store = MediaStore(R2Config.from_env(bucket, public, endpoint_url=s3_endpoint))
    with FakeCloudflare() as fake:
        result = deploy_site(site, project="demos", branch="main", media=store,
                             credentials=Credentials(fake.token, fake.account_id, fake.base_url),
                             retry=RetryPolicy(base_delay=0.01))
        live = fake.live()
    uploaded = {item["path"]: item["url"] for item in result.media}
    assert uploaded["artifacts/spinner/v1/video.mp4"] == video_url
    head = store.client.head_object(Bucket=bucket, Key=video_url[len(public) + 1:])
    assert head["ContentType"] == "video/mp4" and head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentLength"] == meta["video.mp4"]["size"]
    assert live is not None and "/artifacts/spinner/v1/poster.webp" in live.manifest
    assert "/artifacts/spinner/v1/video.mp4" not in live.manifest


def test_posters_and_videos_report_their_progress_as_each_version_is_made(tmp_path: Path) -> None:
    """Ten versions (seven posters, two recorded videos, one attached video): the stage's lines come while the
    versions are still being made, in order, with their counts, not all at once when the last one is done."""
    demos = {f"demos/d{i}/v1/index.html": f'<p style="background:#{i}{i}{i}">demo {i}</p>' for i in range(9)}
    demos |= {"demos/d7/v1/snapshot.yml": "video: true\n", "demos/d8/v1/snapshot.yml": "video: true\n",
              "demos/clip/v1/index.js": "document.body.textContent = 'see the video';\n",
              "demos/clip/v1/snapshot.yml": "video: clip.mov\n"}
    write_tree(tmp_path, demos)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=320x180:rate=10:duration=1", "-c:v", "mpeg4",
                    str(tmp_path / "demos/clip/v1/clip.mov")], check=True)
    video = {"seconds": 1, "fps": 10, "width": 320, "height": 180, "poster_at": 0.5}
    data = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache"}, "video": video}
    manifest = parse_manifest(data, base_dir=tmp_path)
    made = tmp_path / ".cache/media"
    lines: list[tuple[str, int]] = []

    def emit(line: str) -> None:  # with how many versions had their poster when the line came
        lines.append((line, len(list(made.rglob("poster.webp")))))

    # every tenth gets its line at once (not after the first second), so a quick capture still shows them all
    progress = ProgressLines(emit, limits=Limits(settle=0.0))
    build = Export(manifest, media=True, ledger=False, media_progress=progress.stage("posters and videos"))
    build.run(tmp_path / "site")

    assert sorted(build.report.media_made) == sorted([f"d{i}/v1" for i in range(9)] + ["clip/v1"])
    counts = [int(re.match(r"posters and videos: (\d+)/10 versions \((\d+)0%\)", line)[1])  # type: ignore[index]
              for line, _ in lines]
    assert counts == list(range(2, 11)), lines  # the first report starts the clock; a line at each tenth after
    assert re.fullmatch(r"posters and videos: 10/10 versions \(100%\), [\d.]+/s", lines[-1][0]), lines
    assert any(re.search(r", [\d.]+/s, about \d+ s left$", line) for line, _ in lines[:-1]), lines
    halfway = dict(zip(counts, (posters for _, posters in lines)))[5]
    assert halfway < 10, f"the 50% line came when all ten posters were made: {lines}"
