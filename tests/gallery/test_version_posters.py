"""A thread page shows each version's own poster: older versions whose live preview waits for a click show their
picture in its place, and the thread's gradient only when a version has none."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.gallery import pages as gallery
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.site import SitePages
from tests.browser import serve_static
from tests.factory import write_tree
from tests.gallery.test_gallery import Element, find, medium, parse, thread, version

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def placeholder_images(html: str) -> dict[str, list[Element]]:
    """Each version's ``<img>`` elements inside its entry, by version id."""
    found: dict[str, list[Element]] = {}
    for chunk in html.split('<li class="hg-version')[1:]:
        version_id = re.search(r'id="v-([^"]+)"', chunk)
        assert version_id
        found[version_id.group(1)] = find(parse(chunk), "img")
    return found


def test_older_versions_show_their_own_poster_else_their_card_else_the_gradient() -> None:
    entry = thread("shots", "Shots", (
        version("v3", day=4, media=(medium("poster", "poster.webp"), medium("card", "card.webp"))),
        version("v2", day=3, media=(medium("poster", "poster.webp"), medium("card", "card.webp"))),
        version("v1", day=2, media=(medium("card", "card.webp", width=480, height=300),)),
        version("v0", day=1),
    ))
    html = gallery.render_thread(entry, base="../../")
    images = placeholder_images(html)
    assert images["v3"] == [], "the latest version's live preview loads at once: no picture in its place"
    (v2,) = images["v2"]
    assert v2.attrs["src"] == "../../artifacts/shots/v2/poster.webp?v=00000000", "its own poster, not the latest's"
    assert (v2.attrs["width"], v2.attrs["height"], v2.attrs["alt"]) == ("640", "400", "")
    assert v2.attrs["loading"] == "lazy"
    (v1,) = images["v1"]
    assert v1.attrs["src"] == "../../artifacts/shots/v1/card.webp?v=00000000"
    assert images["v0"] == [], "no media: the gradient, as before"
    v0 = html[html.index('id="v-v0"'):]
    assert 'class="hg-preview hg-preview-deferred" ' in v0 and "hg-preview-placeholder hg-poster--" in v0


def test_a_hover_preview_still_wins_over_the_still_picture() -> None:
    entry = thread("shots", "Shots", (
        version("v2", day=2),
        version("v1", day=1, media=(medium("poster", "poster.webp"), medium("preview", "preview.mp4"))),
    ))
    html = gallery.render_thread(entry, base="")
    assert placeholder_images(html)["v1"] == []
    (clip,) = find(parse(html), "video")
    assert clip.attrs["poster"] == "artifacts/shots/v1/poster.webp?v=00000000"


# --- a real build with posters, in Chromium ----------------------------------------------------------------

COLOURS = {"v1": "#dc2626", "v2": "#16a34a", "v3": "#2563eb"}
"""One full-page colour per version, so each poster is told apart at a glance in the screenshot."""


def poster_project(root: Path) -> Path:
    files = {f"demos/paint/{name}/index.html":
             f'<body style="margin:0;background:{colour}"><h1 style="color:#fff;font:bold 64px sans-serif;'
             f'padding:40px">Paint {name}</h1></body>' for name, colour in COLOURS.items()}
    files["demos/paint/thread.yml"] = "title: Paint\n"
    write_tree(root, files)
    data = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache"}}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def poster_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three versions with posters (the default: posters, no videos), made by Chromium in a real build."""
    root = poster_project(tmp_path_factory.mktemp("posters"))
    manifest = parse_manifest(yaml.safe_load((root / "hybrid.yml").read_text()), base_dir=root)
    export = Export(manifest, media=True, ledger=False, pages=SitePages(standalone_gallery=True))
    export.run(root / "site")
    assert export.report.ok, export.report.failed
    return root / "site"


@pytest.mark.browser
def test_a_thread_page_shows_the_published_poster_of_every_version(poster_site: Path, chromium: Browser) -> None:
    html = (poster_site / "gallery/paint/index.html").read_text(encoding="utf-8")
    images = placeholder_images(html)
    assert images["v3"] == [], "the latest runs live"
    for name in ("v2", "v1"):
        (img,) = images[name]
        src = img.attrs["src"]
        assert src.startswith(f"../../artifacts/paint/{name}/poster.webp?v="), src
        assert (poster_site / "gallery/paint" / src.split("?")[0]).resolve().is_file(), f"{src} is not published"

    shots = Path(os.environ.get("HYBRID_SCREENSHOTS") or "/tmp/shots20")
    shots.mkdir(parents=True, exist_ok=True)
    # Tall enough for the whole page: a full_page screenshot leaves the sandboxed frame (its own process) blank.
    page = chromium.new_page(viewport={"width": 1280, "height": 2200})
    try:
        with serve_static(poster_site) as base_url:
            page.goto(f"{base_url}/gallery/paint/")
            for name in ("v2", "v1"):
                picture = page.locator(f"#v-{name} .hg-preview-placeholder img")
                picture.scroll_into_view_if_needed()
                page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle(),
                                       timeout=10_000)
                assert picture.is_visible(), name
            page.frame_locator("#v-v3 iframe.hg-frame").locator("h1").wait_for(timeout=10_000)
            page.wait_for_timeout(500)  # the sandboxed frame paints in its own process a moment after it loads
            page.screenshot(path=str(shots / "thread-version-posters.png"))
            # The picture stands in for the live preview until it is asked for.
            page.click("#v-v1 [data-hg-show-preview]")
            page.locator("#v-v1 iframe.hg-frame").wait_for(timeout=10_000)
            assert page.locator("#v-v1 .hg-preview-placeholder").count() == 0
    finally:
        page.close()
