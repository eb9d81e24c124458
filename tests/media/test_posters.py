"""A poster's path (``mkdocs_hybrid.media._frames``): the clock started and stepped in one call, the poster and
the card encoded at once from one frame, their digests taken from the bytes written. Every test here proves the
bytes are those of the path before (two clock calls, one encode after the other, the files read back)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from mkdocs_hybrid.media._capture import ORIGIN, CaptureJob, CaptureSettings, _Run, capture
from mkdocs_hybrid.media._encode import CARD_FILTER, POSTER_METHOD, POSTER_QUALITY, webp_stills
from mkdocs_hybrid.media._frames import CaptureError, PartFiles, screenshot, start, step, write_posters
from mkdocs_hybrid.media._tools import MediaTools
from tests.media.test_capture import ANIMATED, write_site

DEFAULT = CaptureSettings()
SIZE = (DEFAULT.width, DEFAULT.height)
CARD = (DEFAULT.card_width, DEFAULT.card_height)
FETCHES = (
    '<pre id="o">waiting</pre><img src="pixel.svg" width="40" height="40">\n<script>\n'
    "fetch('style.css').then(r => r.text()).then(t => { document.getElementById('o').textContent = t.length + ' '"
    " + performance.now(); });\n"
    "setTimeout(() => { document.body.style.background = '#fe9'; }, 500);\n"
    "</script>",
    "pre { font: 24px monospace; }",
)
"""A demo whose poster waits for a fetch and an image from the site folder, and changes at a virtual 0.5 s."""


def busy_png(size: tuple[int, int]) -> bytes:
    """A frame with edges, text and gradients (what makes a WebP encoder work), as the browser's PNG."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 37):
        draw.line((i, 0, size[0] - i, size[1]), fill=(i % 256, 40, 200), width=3)
        draw.text((i, (i * 7) % size[1]), f"demo {i}", fill=(250, 250, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def in_turn(png: bytes) -> tuple[bytes, bytes]:
    """The poster and the card as they were made before, in one thread: decode, poster, resize, card."""
    def webp(image: Image.Image) -> bytes:
        out = io.BytesIO()
        image.save(out, "WEBP", quality=POSTER_QUALITY, method=POSTER_METHOD, exact=False)
        return out.getvalue()

    with Image.open(io.BytesIO(png)) as image:
        frame = image.convert("RGB")
    return webp(frame), webp(frame.resize(CARD, Image.Resampling[CARD_FILTER]))


def test_the_poster_and_card_encoded_at_once_are_the_bytes_of_one_after_the_other(tmp_path: Path) -> None:
    png = busy_png(SIZE)
    files = PartFiles(tmp_path / "out", video=False)
    asyncio.run(write_posters(png, DEFAULT, files))
    made = (files.part("poster").read_bytes(), files.part("card").read_bytes())
    assert made == in_turn(png)
    assert webp_stills(png, SIZE, CARD) == in_turn(png)  # what an attached video's stills use


def test_a_frame_of_another_size_gives_no_poster_and_leaves_no_file(tmp_path: Path) -> None:
    files = PartFiles(tmp_path / "out", video=False)
    with pytest.raises(CaptureError, match=r"^no poster: the frame is 320x180, not 1280x720$"):
        asyncio.run(write_posters(busy_png((320, 180)), DEFAULT, files))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_stills_media_entries_name_the_bytes_put_in_place(tmp_path: Path) -> None:
    files = PartFiles(tmp_path / "out", video=False)
    asyncio.run(write_posters(busy_png(SIZE), DEFAULT, files))
    made = asyncio.run(files.finish(DEFAULT, MediaTools.find()))
    assert [media.name for media in made] == ["poster.webp", "card.webp"]
    for media in made:
        data = (tmp_path / "out" / media.name).read_bytes()
        assert (media.sha256, media.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["card.webp", "poster.webp"]


def step_by_step(site: Path, names: list[str]) -> dict[str, tuple[bytes, bytes]]:
    """Each demo's poster and card the way the capture made them before: the clock started and stepped in two
    calls, the frame encoded into the poster, then into the card, in one thread."""
    async def run() -> dict[str, tuple[bytes, bytes]]:
        from playwright.async_api import async_playwright

        made = {}
        capture_run = _Run(site.resolve(), DEFAULT, MediaTools.find(), 1, None)
        async with async_playwright() as playwright:
            browser = await capture_run.launched(playwright, asyncio.Lock())
            for name in names:
                tab = await capture_run.new_tab(browser)
                await tab.page.goto(f"{ORIGIN}/artifacts/{name}/v1/page.html", wait_until="load", timeout=0)
                await start(tab.page)
                await step(tab.page, DEFAULT.poster_at, DEFAULT)
                made[name] = in_turn(await screenshot(tab.cdp, DEFAULT))
                await tab.context.close()
            await browser.close()
        return made

    return asyncio.run(run())


@pytest.mark.browser
def test_a_poster_is_the_bytes_of_the_clock_called_twice_and_the_stills_encoded_in_turn(tmp_path: Path) -> None:
    """At the default settings, in one reused tab (the capture's own path) against a fresh tab per demo the way
    posters were made before: the same poster and card for every demo, settling fetches and images included."""
    demos = {"blank": ("", ""), **ANIMATED, "fetches": FETCHES}
    site = write_site(tmp_path / "site", demos)
    (site / "artifacts" / "fetches" / "v1" / "pixel.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="red"/>'
        "</svg>", encoding="utf-8")
    names = list(demos)
    jobs = [CaptureJob(f"{name}/v1", f"artifacts/{name}/v1/page.html", tmp_path / "out" / name, False)
            for name in names]
    outcomes = capture(site, jobs, DEFAULT, MediaTools.find(), workers=1)
    assert [outcome.error for outcome in outcomes] == [None] * len(names)
    before = step_by_step(site, names)
    for name in names:
        now = ((tmp_path / "out" / name / "poster.webp").read_bytes(), (tmp_path / "out" / name / "card.webp")
               .read_bytes())
        assert now == before[name], f"{name}: the poster or card differs from the step-by-step capture's"
