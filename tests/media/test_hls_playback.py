"""A long video's ladder plays in Debian's Chromium: through the site's pinned hls.js on each rendition (forced),
and on a real thread page in each of the player's three modes (native HLS, hls.js, the MP4), served over HTTP
with the deploy's content types and the gallery's own CSP header."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.deploy._files import content_type
from mkdocs_hybrid.edge.headers import FRAME_DENIED_PREFIXES, FRAME_DENY
from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.gallery.pages import asset_files, standalone_thread_page, thread_page_path
from mkdocs_hybrid.gallery.streaming import hls_js, stream_assets
from mkdocs_hybrid.model.catalog import ThreadEntry, VersionEntry
from tests.browser import CHROMIUM, LAUNCH_ARGS, serve_in_thread
from tests.media.test_hls import PLAN, long_source, transcode

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(hls_js() is None, reason="hls.js is not installed (npm ci)")]

PLAY_SECONDS = 2.0


class SiteHandler(SimpleHTTPRequestHandler):
    """A static server with the deploy's content types and ``_headers``' CSP rules: the gallery pages' (their only
    CSP) and the artifact folder's (the demos' sandbox, on the ladder's files too, and ``nosniff``)."""

    def guess_type(self, path: Any) -> str:
        return content_type(str(path))

    def end_headers(self) -> None:
        if self.path.startswith(FRAME_DENIED_PREFIXES):  # as _headers says
            for name, value in FRAME_DENY:
                self.send_header(name, value)
        if self.path.startswith("/artifacts/"):
            self.send_header("Content-Security-Policy", DEMO_CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site with one thread whose version has a long attached video: its media, its thread page, the player."""
    root = tmp_path_factory.mktemp("site")
    folder = root / "artifacts" / "talk" / "v1"
    media = transcode(long_source(root / "talk.mp4", seconds=6), folder, PLAN)
    version = VersionEntry(version="v1", title="A talk", created=None, author=None, tags=(), entry="index.js",
                           unlisted=False, build_key="k", media=media)
    thread = ThreadEntry(id="talk", title="A talk", description=None, tags=(), versions=(version,), latest="v1",
                         unlisted=False)
    files = {thread_page_path("talk"): standalone_thread_page(thread), **asset_files(), **stream_assets([thread])}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (folder / "page.html").write_text("<!doctype html><p>the demo</p>")  # the page's live preview
    (root / "harness.html").write_text("<!doctype html><video muted playsinline></video>")
    return root


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serve_in_thread(site, SiteHandler) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


FORCED_LEVEL_JS = """async ([src, master, level]) => {
  await new Promise((resolve, reject) => {
    const tag = document.createElement('script'); tag.src = src; tag.onload = resolve; tag.onerror = reject;
    document.head.appendChild(tag);
  });
  const video = document.querySelector('video');
  const hls = new Hls({enableWorker: false, startLevel: level, capLevelToPlayerSize: false});
  const loaded = [];
  hls.on(Hls.Events.FRAG_LOADED, (_, data) => { if (data.frag.type === 'main') loaded.push(data.frag.level); });
  hls.on(Hls.Events.MANIFEST_PARSED, () => { hls.currentLevel = level; video.play(); });
  hls.loadSource(master);
  hls.attachMedia(video);
  window.played = {loaded, heights: () => hls.levels.map(l => l.height), hls};
}"""


def wait_played(page: Any, seconds: float = PLAY_SECONDS) -> float:
    page.wait_for_function(f"document.querySelector('video').currentTime >= {seconds}", timeout=60_000)
    played: float = page.evaluate("document.querySelector('video').currentTime")
    return played


def test_hls_js_plays_every_rendition_of_the_ladder_past_two_seconds(site: Path, base_url: str,
                                                                     browser: Any) -> None:
    [hls_path] = [path for path in _assets(site) if "/hls." in path]
    for level, height in enumerate((360, 720)):
        page = browser.new_page()
        try:
            page.goto(f"{base_url}/harness.html")
            page.evaluate(FORCED_LEVEL_JS, [f"/{hls_path}", f"/{master_path(site)}", level])
            assert wait_played(page) >= PLAY_SECONDS
            assert page.evaluate("window.played.heights()") == [360, 720]
            loaded = page.evaluate("window.played.loaded")
            assert loaded and set(loaded) == {level}, (height, loaded)
        finally:
            page.close()


def master_path(site: Path) -> str:
    """The site path of the one ladder's master playlist (in its content-addressed folder)."""
    [master] = (site / "artifacts" / "talk" / "v1" / "hls").glob("*/master.m3u8")
    return master.relative_to(site).as_posix()


def _assets(site: Path) -> list[str]:
    return [p.relative_to(site).as_posix() for p in (site / "gallery" / "assets").iterdir()]


NO_NATIVE_HLS = """(() => { const own = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mpegurl/i.test(type) ? '' : own.call(this, type); }; })();"""
NO_MEDIA_SOURCE = NO_NATIVE_HLS + "delete window.MediaSource; delete window.ManagedMediaSource;"


@pytest.mark.parametrize(("mode", "init", "plays"), [
    ("native", "", "master.m3u8"),
    ("hls.js", NO_NATIVE_HLS, "blob:"),
    ("mp4", NO_MEDIA_SOURCE, "video.mp4"),
])
def test_the_thread_page_plays_the_recording_natively_through_hls_js_or_as_the_mp4(
        site: Path, base_url: str, browser: Any, mode: str, init: str, plays: str) -> None:
    context = browser.new_context()
    errors: list[str] = []
    try:
        if init:
            context.add_init_script(init)
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("response", lambda response: errors.append(response.url) if response.status >= 400 else None)
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url) if "/hls/" in request.url else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base_url}/{thread_page_path('talk')}")
        assert page.get_attribute("video.hg-video", "data-hg-hls-mode") is None  # nothing loads until opened
        page.click("details.hg-recording summary")
        page.wait_for_function(f"document.querySelector('video.hg-video').dataset.hgHlsMode === {mode!r}")
        page.evaluate("(() => { const v = document.querySelector('video.hg-video'); v.muted = true; v.play(); })()")
        page.wait_for_function(f"document.querySelector('video.hg-video').currentTime >= {PLAY_SECONDS}",
                               timeout=60_000)
        assert plays in page.evaluate("document.querySelector('video.hg-video').currentSrc")
        assert errors == []
        ladder = master_path(site).rpartition("/")[0]  # every ladder URL the player asked for is in its folder
        assert all(f"/{ladder}/" in url for url in fetched), fetched
        assert mode != "hls.js" or any(url.endswith(".m4s") for url in fetched), fetched
    finally:
        context.close()
