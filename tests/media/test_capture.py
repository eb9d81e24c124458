"""Posters and videos of artifacts (``mkdocs_hybrid.media._capture``): deterministic, isolated, robust.

Tiny artifacts in a temporary site folder, captured through the public ``capture`` call with Debian's Chromium
and ffmpeg. Most runs are small (320x180, 10 fps) to keep the module quick; one runs at the default settings
for the checks a browser playing the MP4 relies on.
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageChops, ImageStat

from mkdocs_hybrid.media._capture import (
    ORIGIN,
    CaptureJob,
    CaptureOutcome,
    CaptureSettings,
    _Run,
    _site_file,
    capture,
)
from mkdocs_hybrid.media._tools import MediaTools

if TYPE_CHECKING:
    from playwright.async_api import Browser

SMALL = CaptureSettings(seconds=3.0, fps=10, width=320, height=180, poster_at=1.0, card_width=160)
NAMES = ("poster.webp", "card.webp", "video.mp4", "preview.mp4")

ANIMATED = {
    "css": (
        '<div class="box"></div>',
        ".box { width: 40px; height: 40px; background: #c00; animation: slide 3s linear infinite; }\n"
        "@keyframes slide { from { transform: translateX(0); } to { transform: translateX(260px) rotate(90deg); } }",
    ),
    "raf": (
        '<canvas id="c" width="320" height="180"></canvas>\n<script>\n'
        "const g = document.getElementById('c').getContext('2d');\n"
        "let x = 0;\n"
        "function draw(t) {\n"
        "  x += 2 + Math.random();  // stateful and random: both must repeat\n"
        "  g.fillStyle = 'rgba(255,255,255,0.3)'; g.fillRect(0, 0, 320, 180);\n"
        "  g.fillStyle = '#06c'; g.fillRect(x % 300, 60 + 40 * Math.sin(t / 300), 20, 20);\n"
        "  g.fillText(new Date().toISOString() + ' ' + performance.now().toFixed(1), 4, 170);\n"
        "  requestAnimationFrame(draw);\n"
        "}\n"
        "requestAnimationFrame(draw);\n"
        "</script>",
        "body { margin: 0; }",
    ),
    "svg": (
        '<svg width="320" height="180">'
        '<rect width="40" height="40" fill="green"><animate attributeName="x" from="0" to="270" dur="3s" '
        'repeatCount="indefinite"/></rect>'
        '<rect y="100" width="40" height="40" fill="purple"><animateTransform attributeName="transform" '
        'type="rotate" from="0 60 120" to="360 60 120" dur="3s" repeatCount="indefinite"/></rect></svg>',
        "body { margin: 0; }",
    ),
}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tools() -> MediaTools:
    found = MediaTools.find()
    missing = found.missing_for_video()
    if missing is not None:
        pytest.fail(missing)
    return found


def write_site(site: Path, demos: dict[str, tuple[str, str]]) -> Path:
    """One artifact per demo: ``artifacts/{name}/v1/page.html`` and its ``style.css``."""
    for name, (body, css) in demos.items():
        folder = site / "artifacts" / name / "v1"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "page.html").write_text(
            '<!doctype html>\n<html><head><meta charset="utf-8"><link rel="stylesheet" href="style.css"></head>'
            f"<body>{body}</body></html>\n", encoding="utf-8")
        (folder / "style.css").write_text(css, encoding="utf-8")
    return site


def jobs_for(site: Path, names: list[str], out: str, *, video: bool) -> list[CaptureJob]:
    return [CaptureJob(f"{name}/v1", f"artifacts/{name}/v1/page.html", site / out / name, video) for name in names]


def ffprobe(tools: MediaTools, path: Path) -> dict[str, object]:
    command = [str(tools.ffprobe), "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
               "stream=codec_name,pix_fmt,width,height,nb_read_packets,r_frame_rate:format=duration",
               "-of", "json", str(path)]
    info = json.loads(subprocess.run(command, capture_output=True, check=True, timeout=60).stdout)
    return {**info["streams"][0], "duration": float(info["format"]["duration"])}


def frame_at(tools: MediaTools, video: Path, seconds: float) -> bytes:
    """The decoded frame at ``seconds`` as raw RGB."""
    command = [str(tools.ffmpeg), "-nostdin", "-loglevel", "error", "-ss", str(seconds), "-i", str(video),
               "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    return subprocess.run(command, capture_output=True, check=True, timeout=60).stdout


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types, in file order."""
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size, kind = int.from_bytes(data[offset:offset + 4], "big"), data[offset + 4:offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8:offset + 16], "big")
        boxes.append(kind)
        if size == 0:
            break
        offset += size
    return boxes


@pytest.fixture(scope="module")
def animated(tmp_path_factory: pytest.TempPathFactory, tools: MediaTools) -> tuple[Path, list[CaptureOutcome],
                                                                                     list[CaptureOutcome]]:
    """The three animated demos captured twice, into ``first/`` and ``second/``."""
    site = write_site(tmp_path_factory.mktemp("site"), ANIMATED)
    names = list(ANIMATED)
    first = capture(site, jobs_for(site, names, "first", video=True), SMALL, tools)
    second = capture(site, jobs_for(site, names, "second", video=True), SMALL, tools, workers=1)
    return site, first, second


@pytest.mark.parametrize("name", list(ANIMATED))
def test_two_captures_are_byte_identical(animated: tuple[Path, list[CaptureOutcome], list[CaptureOutcome]],
                                         name: str) -> None:
    site, first, second = animated
    index = list(ANIMATED).index(name)
    assert first[index].error is None and second[index].error is None, (first[index].error, second[index].error)
    assert [f.name for f in first[index].files] == list(NAMES)
    assert first[index].files == second[index].files
    for file_name in NAMES:
        one, two = (site / run / name / file_name for run in ("first", "second"))
        assert one.read_bytes() == two.read_bytes(), f"{name}: {file_name} differs between two captures"


@pytest.mark.parametrize("name", list(ANIMATED))
def test_the_demo_moves(animated: tuple[Path, list[CaptureOutcome], list[CaptureOutcome]], tools: MediaTools,
                        name: str) -> None:
    site = animated[0]
    video = site / "first" / name / "video.mp4"
    start, later = frame_at(tools, video, 0.0), frame_at(tools, video, 2.0)
    assert len(start) == len(later) == SMALL.width * SMALL.height * 3
    assert start != later, f"{name}: the frame at 2 s is the frame at 0 s (the clock does not drive it)"


@pytest.mark.parametrize("name", list(ANIMATED))
def test_media_files_describe_the_bytes(animated: tuple[Path, list[CaptureOutcome], list[CaptureOutcome]],
                                        tools: MediaTools, name: str) -> None:
    site, first, _ = animated
    files = {f.role: f for f in first[list(ANIMATED).index(name)].files}
    assert (files["poster"].width, files["poster"].height) == (320, 180)
    assert (files["card"].width, files["card"].height) == (160, 90)
    assert files["video"].duration == pytest.approx(3.0) and files["video"].fps == 10
    # a 10 fps, 320 px video: the preview keeps both (never upscaled, no duplicated frames)
    assert (files["preview"].fps, files["preview"].width, files["preview"].height) == (10, 320, 180)
    for medium in files.values():
        path = site / "first" / name / medium.name
        assert medium.size == path.stat().st_size and medium.url is None
    assert ffprobe(tools, site / "first" / name / "video.mp4")["nb_read_packets"] == "30"


def distance(one: Image.Image, other: Image.Image) -> float:
    """Mean absolute difference of two RGB pictures of one size, 0-255."""
    return sum(ImageStat.Stat(ImageChops.difference(one, other)).mean) / 3


@pytest.mark.parametrize("name", list(ANIMATED))
def test_poster_card_and_video_show_one_moment(animated: tuple[Path, list[CaptureOutcome], list[CaptureOutcome]],
                                               tools: MediaTools, name: str) -> None:
    """The poster is the video's frame at ``poster_at`` and the card is the poster made small: a gallery card
    never shows another moment of the demo than its thread page."""
    folder = animated[0] / "first" / name
    poster = Image.open(folder / "poster.webp").convert("RGB")
    card = Image.open(folder / "card.webp").convert("RGB")
    frames = {at: Image.frombytes("RGB", (SMALL.width, SMALL.height), frame_at(tools, folder / "video.mp4", at))
              for at in (0.0, SMALL.poster_at, 2.0)}
    to_poster = {at: distance(poster, frame) for at, frame in frames.items()}
    assert to_poster[SMALL.poster_at] < 3 < min(to_poster[0.0], to_poster[2.0]), to_poster
    small = (SMALL.card_width, SMALL.card_height)
    to_card = {at: distance(card, frame.resize(small, Image.Resampling.LANCZOS)) for at, frame in frames.items()}
    assert to_card[SMALL.poster_at] < 3 < min(to_card[0.0], to_card[2.0]), to_card


def test_default_settings_give_a_web_safe_mp4(tmp_path: Path, tools: MediaTools) -> None:
    """H.264 yuv420p, moov before mdat (plays before it is fully downloaded), 4 s at 30 fps, 720p; the preview
    480 px wide at 15 fps."""
    site = write_site(tmp_path / "site", {"css": ANIMATED["css"]})
    [outcome] = capture(site, jobs_for(site, ["css"], "out", video=True), CaptureSettings(), tools)
    assert outcome.error is None, outcome.error
    folder = site / "out" / "css"
    video, preview = ffprobe(tools, folder / "video.mp4"), ffprobe(tools, folder / "preview.mp4")
    assert (video["codec_name"], video["pix_fmt"], video["width"], video["height"]) == ("h264", "yuv420p", 1280, 720)
    assert (video["r_frame_rate"], video["nb_read_packets"]) == ("30/1", "120")
    assert video["duration"] == pytest.approx(4.0, abs=0.01)
    assert (preview["codec_name"], preview["pix_fmt"], preview["width"], preview["height"]) == (
        "h264", "yuv420p", 480, 270)
    assert preview["r_frame_rate"] == "15/1" and preview["duration"] == pytest.approx(4.0, abs=0.07)
    for name in ("video.mp4", "preview.mp4"):
        boxes = top_level_boxes(folder / name)
        assert "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat"), (name, boxes)
    card = {f.role: f for f in outcome.files}["card"]
    assert (card.width, card.height) == (480, 270)


def test_a_hanging_demo_fails_alone(tmp_path: Path, tools: MediaTools) -> None:
    """A ``while (true) {}`` demo ends as one error in bounded time; a demo that throws still gets a poster."""
    site = write_site(tmp_path / "site", {
        "hangs": ("<script>while (true) {}</script>", ""),
        "throws": ("<p>still here</p><script>requestAnimationFrame(() => { throw new Error('in a frame'); });"
                   "throw new Error('at load');</script>", "body { background: #0a0; }"),
        "css": ANIMATED["css"],
    })
    seen: list[tuple[int, int]] = []
    settings = CaptureSettings(seconds=1.0, fps=10, width=320, height=180, card_width=160, poster_limit=3.0)
    outcomes = capture(site, jobs_for(site, ["hangs", "throws", "css"], "out", video=False), settings, tools,
                       workers=2, progress=lambda done, total: seen.append((done, total)))
    hangs, throws, css = outcomes
    assert hangs.files == () and hangs.error is not None and "hangs/v1" in hangs.error and "\n" not in hangs.error
    assert not (site / "out" / "hangs").exists() or not any((site / "out" / "hangs").iterdir())
    assert throws.error is None and [f.role for f in throws.files] == ["poster", "card"]
    assert css.error is None and (site / "out" / "css" / "poster.webp").is_file()
    assert seen == [(1, 3), (2, 3), (3, 3)]


ISOLATION = (
    '<div id="fetch" class="stripe"></div><div id="image" class="stripe"></div><div id="origin" class="stripe"></div>'
    '<div id="escape" class="stripe"></div>\n<script>\n'
    "function mark(id, ok) { document.getElementById(id).style.background = ok ? 'rgb(0,200,0)' : 'rgb(220,0,0)'; }\n"
    "fetch('http://example.com/').then(() => mark('fetch', false), () => mark('fetch', true));\n"
    "const img = new Image();\n"
    "img.onload = () => mark('image', false); img.onerror = () => mark('image', true);\n"
    "img.src = 'https://upload.wikimedia.org/wikipedia/commons/a/a9/Example.jpg';\n"
    "document.body.appendChild(img);\n"
    "mark('origin', self.origin === 'null');  // the demo sandbox: an opaque origin\n"
    "const x = new XMLHttpRequest(); x.open('GET', '/outside.txt');\n"
    "x.onload = () => mark('escape', x.status !== 200); x.onerror = () => mark('escape', true); x.send();\n"
    "</script>"
)


def test_the_capture_reaches_nothing_but_the_site(tmp_path: Path, tools: MediaTools,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """External URLs are aborted; the page runs in the demo sandbox; a symlink out of the site is refused."""
    site = write_site(tmp_path / "site", {"net": (ISOLATION, ".stripe { height: 40px; background: #00f; }"
                                                             "body { margin: 0; } img { display: none; }")})
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (site / "outside.txt").symlink_to(tmp_path / "secret.txt")
    settings = CaptureSettings(seconds=1.0, fps=10, width=320, height=180, card_width=160)
    with caplog.at_level(logging.DEBUG, logger="mkdocs_hybrid.media._capture"):
        [outcome] = capture(site, jobs_for(site, ["net"], "out", video=False), settings, tools)
    assert outcome.error is None, outcome.error
    blocked = [r.getMessage() for r in caplog.records if r.getMessage().startswith("capture blocked")]
    # (cross-origin reads fail in an opaque origin anyway: the log shows the routing refused them)
    for url in ("http://example.com/", "https://upload.wikimedia.org/", f"{ORIGIN}/outside.txt"):
        assert any(url in m for m in blocked), (url, blocked)
    pixels = webp_pixels(tools, site / "out" / "net" / "poster.webp")
    for row, stripe in enumerate(("fetch", "image", "origin", "escape")):
        offset = ((row * 40 + 20) * 320 + 160) * 3
        red, green, blue = pixels[offset:offset + 3]
        assert green > 150 and red < 60 and blue < 60, f"{stripe}: the page saw rgb({red},{green},{blue})"


def webp_pixels(tools: MediaTools, path: Path) -> bytes:
    command = [str(tools.ffmpeg), "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "rawvideo",
               "-pix_fmt", "rgb24", "-"]
    return subprocess.run(command, capture_output=True, check=True, timeout=60).stdout


def test_site_file_refuses_escapes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "artifacts").mkdir(parents=True)
    (site / "artifacts" / "page.html").write_text("x", encoding="utf-8")
    (tmp_path / "secret").write_text("x", encoding="utf-8")
    (site / "link").symlink_to(tmp_path / "secret")
    site = site.resolve()
    assert _site_file(site, f"{ORIGIN}/artifacts/page.html") == site / "artifacts" / "page.html"
    assert _site_file(site, f"{ORIGIN}/artifacts/%2e%2e/%2e%2e/secret") is None
    assert _site_file(site, f"{ORIGIN}/link") is None
    assert _site_file(site, "http://example.com/artifacts/page.html") is None
    assert _site_file(site, "file:///etc/passwd") is None


LEAKY = (
    '<canvas id="c" width="320" height="180"></canvas>\n<script>\n'
    "window.leaked = 'global'; window.name = 'leaked name';\n"
    "window.addEventListener('pagehide', () => { window.name = 'set on pagehide'; });\n"
    "try { sessionStorage.setItem('k', 'v'); } catch (_) { /* an opaque origin: no storage */ }\n"
    "const g = document.getElementById('c').getContext('2d');\n"
    "setInterval(() => { g.fillStyle = '#' + Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0');"
    " g.fillRect(Math.random() * 300, Math.random() * 160, 20, 20); }, 50);\n"
    "function spin(t) { g.fillStyle = '#000'; g.fillRect(10 + (t / 10) % 280, 150, 4, 4);"
    " requestAnimationFrame(spin); }\n"
    "requestAnimationFrame(spin);\n"
    "</script>"
)
WITNESS = (
    '<pre id="o"></pre><div class="box"></div>\n<script>\n'
    "let stored = 'none';\n"
    "try { stored = String(sessionStorage.getItem('k')); } catch (_) { stored = 'no storage'; }\n"
    "document.getElementById('o').textContent = JSON.stringify({name: window.name, history: history.length,"
    " leaked: typeof window.leaked, stored, referrer: document.referrer, opener: window.opener !== null,"
    " random: Math.random(), now: performance.now(), frames: window.length});\n"
    "</script>"
)


def test_a_reused_tab_gives_the_posters_of_a_fresh_one(tmp_path: Path, tools: MediaTools,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Posters reuse one tab from version to version; a demo that leaves timers and frames running and sets
    what a tab could carry over (window.name, also on pagehide; a global; storage) changes nothing for the next
    one: every poster and card is byte-identical to the one a fresh browser makes for that demo alone."""
    site = write_site(tmp_path / "site", {"leaky": (LEAKY, "body { margin: 0; }"),
                                          "witness": (WITNESS, ANIMATED["css"][1] + " pre { font-size: 10px; }"),
                                          "raf": ANIMATED["raf"]})
    settings = CaptureSettings(seconds=1.0, fps=10, width=320, height=180, card_width=160)
    order = ["witness", "leaky", "witness", "raf", "leaky", "raf", "witness"]
    jobs = [CaptureJob(f"{name}/{i}", f"artifacts/{name}/v1/page.html", site / "reused" / str(i), False)
            for i, name in enumerate(order)]
    tabs: list[object] = []
    new_tab = _Run.new_tab

    async def counted(self: _Run, browser: Browser) -> object:
        tabs.append(browser)
        return await new_tab(self, browser)

    monkeypatch.setattr(_Run, "new_tab", counted)
    outcomes = capture(site, jobs, settings, tools, workers=1)
    assert [o.error for o in outcomes] == [None] * len(order)
    assert len(tabs) == 1, f"{len(tabs)} tabs for {len(order)} versions: the tab was not reused"
    for name in ("witness", "leaky", "raf"):
        [alone] = capture(site, jobs_for(site, [name], "alone", video=False), settings, tools)
        assert alone.error is None, alone.error
        for i in (i for i, other in enumerate(order) if other == name):
            for file_name in ("poster.webp", "card.webp"):
                reused = (site / "reused" / str(i) / file_name).read_bytes()
                assert reused == (site / "alone" / name / file_name).read_bytes(), (
                    f"{name} as version {i} on a reused tab: {file_name} differs from a fresh tab's")


def test_a_hanging_demo_does_not_spoil_the_next_one(tmp_path: Path, tools: MediaTools) -> None:
    """One worker: the hanging demo runs in the tab the first version used; its tab is thrown away and the
    next version gets a fresh one with the same bytes as the first."""
    site = write_site(tmp_path / "site", {"hangs": ("<script>setTimeout(() => { while (true) {} }, 0);</script>", ""),
                                          "css": ANIMATED["css"]})
    settings = CaptureSettings(seconds=1.0, fps=10, width=320, height=180, card_width=160, poster_limit=3.0)
    jobs = [CaptureJob(f"{name}/{i}", f"artifacts/{name}/v1/page.html", site / "out" / str(i), False)
            for i, name in enumerate(["css", "hangs", "css"])]
    first, hangs, last = capture(site, jobs, settings, tools, workers=1)
    assert first.error is None and last.error is None, (first.error, last.error)
    assert hangs.error is not None and "no media after 3 s" in hangs.error
    for file_name in ("poster.webp", "card.webp"):
        assert (site / "out" / "0" / file_name).read_bytes() == (site / "out" / "2" / file_name).read_bytes()
