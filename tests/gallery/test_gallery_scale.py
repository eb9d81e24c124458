"""The gallery at 10,000 threads: a small first load, filtering over every thread, and plain paged lists.

The catalog is generated (no bundling): realistic titles, descriptions and tags drawn from a skewed
vocabulary, a share of unlisted threads and of threads with a card image. The site is written by a real
``mkdocs build`` through the plugin, in process, with the export replaced by the generated catalog (the
gallery pages, the data file and the search index are MkDocs' and the plugin's own).
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from mkdocs_hybrid.gallery import cards
from mkdocs_hybrid.gallery import pages as gallery
from mkdocs_hybrid.model.catalog import Catalog, MediaFile, ThreadEntry, VersionEntry
from tests.browser import serve_static

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

THREADS = 10_000
FIRST_LOAD_BUDGET = 150 * 1024
"""Most the index page may load before any interaction, gzip-compressed, not counting lazy card images."""

WORDS = ("canvas", "particles", "clock", "chart", "todo", "spinner", "editor", "palette", "timer", "grid", "physics",
         "shader", "noise", "orbit", "sorting", "maze", "synth", "piano", "weather", "map", "tiles", "sprite",
         "flocking", "fractal", "gradient", "typing", "kanban", "calendar", "markdown", "gallery")
STACKS = ("react", "vanilla-js", "typescript", "svg", "webgl", "css-only", "three-js", "d3", "preact", "lit")
TAG_POOL = 400


# --- a generated catalog ---------------------------------------------------------------------------


def _tag(rng: random.Random) -> str:
    """A tag from a skewed vocabulary: a few very common, a long tail of rare ones."""
    rank = min(int(rng.paretovariate(1.1)) - 1, TAG_POOL - 1)
    return STACKS[rank] if rank < len(STACKS) else f"{WORDS[rank % len(WORDS)]}-{rank}"


def _media(rng: random.Random) -> tuple[MediaFile, ...]:
    if rng.random() < 0.35:
        return ()
    return (MediaFile(role="card", name="card.webp", sha256="0" * 64, size=9000, width=480, height=300),
            MediaFile(role="poster", name="poster.webp", sha256="1" * 64, size=30000, width=1200, height=630))


def _thread(rng: random.Random, number: int) -> ThreadEntry:
    word, other = rng.choice(WORDS), rng.choice(WORDS)
    stack = rng.choice(STACKS)
    tags = tuple(dict.fromkeys([stack, *(_tag(rng) for _ in range(rng.randint(1, 3)))]))
    versions = tuple(
        VersionEntry(version=f"v{v}", title=f"{word.title()} step {v}",
                     created=f"2026-{1 + v % 12:02d}-{1 + number % 28:02d}T10:00:00Z", author=None,
                     tags=(f"step-{v}",) if v % 3 == 0 else (), entry="index.html",
                     unlisted=v > 1 and rng.random() < 0.05, build_key=f"k{number}-{v}", media=_media(rng))
        for v in range(rng.randint(1, 5), 0, -1))
    return ThreadEntry(
        id=f"{word}-{other}-{number:05d}",
        title=f"{word.title()} {other} study {number}",
        description=(f"A small {word} demo with a {other} twist in {stack}, saved one step at a time."
                     if rng.random() < 0.8 else None),
        tags=tags, versions=versions, latest=versions[0].version, unlisted=rng.random() < 0.03)


def generated_catalog(threads: int = THREADS, seed: int = 7) -> Catalog:
    """``threads`` threads, sorted by id as the pipeline's catalog is."""
    rng = random.Random(seed)
    entries = sorted((_thread(rng, n) for n in range(threads)), key=lambda t: t.id)
    return Catalog(threads=tuple(entries))


# --- the site, built by MkDocs -----------------------------------------------------------------------


def mkdocs_site(project: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, *, theme: str = "mkdocs") -> Path:
    """``mkdocs build`` of a project whose export yields ``catalog`` (nothing is bundled); returns the site."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from mkdocs_hybrid.pipeline import Export

    (project / "docs").mkdir(parents=True, exist_ok=True)
    (project / "demos").mkdir(exist_ok=True)
    (project / "docs" / "index.md").write_text("# Demos\n")
    (project / "mkdocs.yml").write_text(
        f"site_name: scale\ntheme: {{name: {theme}, highlightjs: false}}\n"
        "plugins: [search, {hybrid: {sources: [{type: directory, path: demos}], build: {cache_dir: .cache}}}]\n")
    monkeypatch.setattr(Export, "run", lambda self, site_dir: catalog)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    build(load_config(config_file=str(project / "mkdocs.yml")))
    return project / "site"


# --- what the browser does ----------------------------------------------------------------------------


@dataclass
class Loaded:
    """The responses of one page load: URL -> (resource type, body bytes)."""

    bodies: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def gzip_bytes(self, *, exclude: tuple[str, ...] = ("image", "media", "font")) -> int:
        return sum(len(gzip.compress(body, 6)) for kind, body in self.bodies.values() if kind not in exclude)

    def raw_bytes(self, *, exclude: tuple[str, ...] = ("image", "media", "font")) -> int:
        return sum(len(body) for kind, body in self.bodies.values() if kind not in exclude)


def first_load(browser: Browser, url: str) -> Loaded:
    """Every response ``url`` loads before any interaction (until the network is idle)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        page.goto(url, wait_until="networkidle")
        loaded = Loaded()
        for response in responses:
            kind = response.request.resource_type
            body = b"" if kind in ("image", "media") else response.body()
            loaded.bodies[response.url] = (kind, body)
        return loaded
    finally:
        context.close()


CARDS_HTML_JS = r"""() => Object.fromEntries([...document.querySelectorAll('[data-hg-cards] > li')].map(li =>
  [li.dataset.hgId, li.outerHTML.replace(/>\s+</g, '><').replace(/ datetime="[^"]*"/g, '')]))"""
"""Card id -> its markup, whitespace between tags dropped."""

FILTER_TIMING_JS = """
(query) => {
  const input = document.querySelector('[data-hg-query]');
  const cards = () => [...document.querySelectorAll('[data-hg-cards] > li')].map(li => li.dataset.hgId);
  input.value = query;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const status = document.querySelector('[data-hg-status]').textContent;
  return {status, cards: cards()};
}
"""
"""Type a whole query in one input event and read the drawn cards and the status right after it (the data file
is loaded already)."""


PAGE_STATE_JS = """() => ({status: document.querySelector('[data-hg-status]')?.textContent,
  query: document.querySelector('[data-hg-query]')?.value,
  first: document.querySelector('[data-hg-cards] > li')?.dataset.hgId, url: location.href})"""

STATUS_COUNTS = "n => document.querySelector('[data-hg-status]').textContent.startsWith(n + ' of ')"
STATUS_ALL = "n => document.querySelector('[data-hg-status]').textContent === n + ' demos'"
FIRST_CARD_IS = ("id => document.querySelector('[data-hg-cards] > li').dataset.hgId === id && "
                 "document.querySelector('[data-hg-status]').textContent.includes(' of ')")


def wait_for(page: Page, expression: str, arg: object, errors: list[str]) -> None:
    """``page.wait_for_function``, whose timeout says what the page shows and what went wrong on it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(expression, arg=arg)
    except PlaywrightTimeout:
        raise AssertionError(f"waited for {expression} with {arg!r}; the page shows {page.evaluate(PAGE_STATE_JS)}"
                             f"; errors and failed requests: {errors}") from None


def expected_matches(catalog: Catalog, query: str, tags: tuple[str, ...] = ()) -> list[str]:
    """The filter's oracle in Python: every word in id, title, description or tags, and every tag."""
    found = []
    for thread in gallery.gallery_order(catalog.listed):  # the pages' order, newest first
        thread_tags = cards.visible_tags(thread)
        text = " ".join([thread.id, thread.title, thread.description or "", *thread_tags]).lower()
        if all(word in text for word in query.lower().split()) and all(tag in thread_tags for tag in tags):
            found.append(thread.id)
    return found


@contextmanager
def served(site: Path) -> Iterator[str]:
    with serve_static(site) as base_url:
        yield base_url + "/"


def shown_ids(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all("[data-hg-cards] > li", "cards => cards.map(c => c.dataset.hgId)")
    return ids


def all_result_ids(page: Page) -> list[str]:
    """Every matching card, turning the filter's result pages."""
    shown = shown_ids(page)
    ids = list(shown)
    while page.is_visible("[data-hg-results-next]") and page.is_enabled("[data-hg-results-next]"):
        page.click("[data-hg-results-next]")
        # read the next page once its first card is there (under load a read right after the click once saw
        # the previous page again)
        page.wait_for_function("first => document.querySelector('[data-hg-cards] > li')?.dataset.hgId !== first",
                               arg=shown[0])
        shown = shown_ids(page)
        ids += shown
    return ids


PAGE_FACTS_JS = """() => ({
  ids: [...document.querySelectorAll('[data-hg-cards] > li')].map(li => li.dataset.hgId),
  filterHidden: document.querySelector('[data-hg-filters]').hidden,
  next: document.querySelector('a[rel=next]') ? document.querySelector('a[rel=next]').href : null,
})"""
ASSET_KINDS = ("css", "js", "webp", "png", "svg", "woff", "woff2", "ttf", "ico")
BLOCKED_ASSETS = [f"*.{kind}{query}" for kind in ASSET_KINDS for query in ("", "?*")]
"""Chromium's URL patterns (``*`` is any text, the whole URL must match) for styles, scripts, pictures and
fonts, with or without a query."""


def walk_pages_without_js(browser: Browser, start: str) -> tuple[list[str], int]:
    """Follow the pager's "next" links from the first index page with JavaScript off: the threads listed, and
    the number of pages."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        # Only the documents matter here: skipping styles and pictures keeps 200 page loads quick. Chromium
        # refuses them itself: a route would send each of those requests to this process to abort it, which
        # doubled the walk's CPU time.
        devtools = context.new_cdp_session(page)
        devtools.send("Network.enable")
        devtools.send("Network.setBlockedURLs", {"urls": BLOCKED_ASSETS})
        page.goto(start)
        seen: list[str] = []
        pages = 0
        while True:
            pages += 1
            facts = page.evaluate(PAGE_FACTS_JS)
            seen += facts["ids"]
            assert facts["filterHidden"], "the filter needs JavaScript: it stays hidden"
            if facts["next"] is None:
                break
            # The link's href, resolved as a click would; the document is all this reads.
            page.goto(facts["next"], wait_until="domcontentloaded")
        return seen, pages
    finally:
        context.close()


# --- the tests --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return generated_catalog()


@pytest.fixture(scope="module")
def site(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return mkdocs_site(tmp_path_factory.mktemp("scale"), catalog, monkeypatch)


@pytest.mark.slow
def test_the_build_writes_every_index_page_and_one_data_file(site: Path, catalog: Catalog) -> None:
    pages = gallery.page_count(catalog)
    assert pages == -(-len(catalog.listed) // gallery.PAGE_SIZE) > 200
    assert (site / "gallery" / "index.html").is_file()
    assert all((site / "gallery" / "page" / str(n) / "index.html").is_file() for n in range(2, pages + 1))
    assert not (site / "gallery" / "page" / str(pages + 1)).exists()
    (data_file,) = (site / "gallery").glob("threads.*.json")
    data = json.loads(data_file.read_bytes())
    assert data["id"] == [t.id for t in gallery.gallery_order(catalog.listed)]
    search = json.loads((site / "search" / "search_index.json").read_bytes())
    locations = [doc["location"] for doc in search["docs"]]
    assert locations.count("gallery/") == 1
    paged = [doc for doc in search["docs"] if doc["location"].startswith("gallery/page/")]
    assert len(paged) == pages - 1 and all(doc["text"] == "" for doc in paged), "one line each: their title"
    index_pages = [doc for doc in search["docs"] if doc["location"] == "gallery/" or doc in paged]
    assert len(json.dumps(index_pages)) < 100 * pages, "the index pages add about 80 bytes each"
    # Over gallery.SEARCH_THREAD_PAGES listed threads, thread pages leave the site search (the gallery's filter
    # searches them): the index every page of the theme loads stays small.
    assert not any(location.split("#")[0] in {f"gallery/{t.id}/" for t in catalog.listed} for location in locations)
    size = (site / "search" / "search_index.json").stat().st_size
    assert size < 50 * 1024, f"search_index.json: {size} bytes"


@pytest.mark.browser
def test_first_load_is_small_and_filters_every_thread(site: Path, catalog: Catalog, chromium: Browser) -> None:
    with served(site) as base_url:
        loaded = first_load(chromium, base_url + "gallery/")
        gallery_bytes = sum(len(gzip.compress(body, 6)) for url, (kind, body) in loaded.bodies.items()
                            if urlsplit(url).path.startswith("/gallery/") and kind not in ("image", "media"))
        assert not any("/threads." in url for url in loaded.bodies), "the data file waits for the first filter"
        assert gallery_bytes <= FIRST_LOAD_BUDGET, f"gallery index first load: {gallery_bytes} bytes gzipped"
        # Everything the page loads with the theme around it, the site search's index included (the theme's
        # search worker fetches it; counted from the file when the worker's request is not seen).
        index = site / "search" / "search_index.json"
        seen = any(urlsplit(url).path.endswith("/search/search_index.json") for url in loaded.bodies)
        total = loaded.gzip_bytes() + (0 if seen else len(gzip.compress(index.read_bytes(), 6)))
        assert total <= FIRST_LOAD_BUDGET, f"the whole first load: {total} bytes gzipped"

        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: errors.append(f"{request.url}: {request.failure}"))
        page.goto(base_url + "gallery/")
        # A card gallery.js draws is the card the server drew (but for <time>'s datetime: the date alone).
        server_cards = page.evaluate(CARDS_HTML_JS)
        query_box = page.locator("[data-hg-query]")
        for thread_id in list(server_cards)[:6]:
            query_box.fill(thread_id)
            wait_for(page, FIRST_CARD_IS, thread_id, errors)
            assert page.evaluate(CARDS_HTML_JS)[thread_id] == server_cards[thread_id]
        assert any("<img " in html for html in server_cards.values())
        query_box.fill("Orbit study")
        expected = expected_matches(catalog, "Orbit study")
        assert 48 < len(expected) < len(catalog.listed) / 10, "a query that spans several result pages"
        wait_for(page, STATUS_COUNTS, len(expected), errors)
        assert len(page.locator("[data-hg-cards] > li").all()) == gallery.PAGE_SIZE, "one page of cards at a time"
        assert all_result_ids(page) == expected

        tag = "webgl"
        page.locator(f"[data-hg-filters] button.hg-chip[data-hg-tag='{tag}']").click()
        expected = expected_matches(catalog, "Orbit study", (tag,))
        assert len(expected) > 0
        wait_for(page, STATUS_COUNTS, len(expected), errors)
        assert all_result_ids(page) == expected
        assert "tag=webgl" in page.url and "q=Orbit+study" in page.url

        # The long tail of tags is not in the page: "more tags" draws it from the data file.
        assert page.locator("details[data-hg-more-lazy] [data-hg-tag]").count() == 0
        rare = cards.tag_chips(cards.visible_tags(t) for t in catalog.listed)[-1].name
        page.goto(f"{base_url}gallery/?tag={rare}")
        chip = page.locator(f"details.hg-more-tags button[data-hg-tag='{rare}']")
        chip.wait_for()
        assert chip.get_attribute("aria-pressed") == "true", "a tag from the URL opens 'more tags', pressed"
        expected = expected_matches(catalog, "", (rare,))
        wait_for(page, STATUS_COUNTS, len(expected), errors)
        assert all_result_ids(page) == expected
        chip.click()
        wait_for(page, STATUS_ALL, f"{len(catalog.listed)}", errors)
        newest = [t.id for t in gallery.gallery_order(catalog.listed)]
        assert shown_ids(page) == newest[:gallery.PAGE_SIZE], "the page's own cards again"
        assert page.is_visible("[data-hg-pager]") and not page.is_visible("[data-hg-results-pager]")

        # "Most versions" sorts every thread from the data file; equal counts stay newest first.
        counts = {t.id: len(cards.visible_versions(t)) for t in catalog.listed}
        by_versions = sorted(newest, key=lambda thread_id: -counts[thread_id])
        assert by_versions[:gallery.PAGE_SIZE] != newest[:gallery.PAGE_SIZE]
        page.select_option("[data-hg-sort]", "versions")
        wait_for(page, "id => document.querySelector('[data-hg-cards] > li').dataset.hgId === id", by_versions[0],
                 errors)
        assert shown_ids(page) == by_versions[:gallery.PAGE_SIZE]
        assert "sort=versions" in page.url
        page.select_option("[data-hg-sort]", "newest")
        wait_for(page, STATUS_ALL, f"{len(catalog.listed)}", errors)
        assert shown_ids(page) == newest[:gallery.PAGE_SIZE] and page.is_visible("[data-hg-pager]")
        page.locator("[data-hg-filters] button.hg-chip[data-hg-tag='webgl']").click()
        expected = expected_matches(catalog, "", ("webgl",))

        # Each filter draws its cards within the input event (no fetch, no timer); how long that takes is
        # measured by benchmarks/gallery.py, not asserted here (a shared CI machine would make it flaky).
        for query in ("particles", "clock study 4", "zzz-nothing", "a", "sprite tiles 9"):
            result = page.evaluate(FILTER_TIMING_JS, query)
            assert result["cards"] == expected_matches(catalog, query, (tag,))[:gallery.PAGE_SIZE], query
            assert result["status"].startswith(f"{len(expected_matches(catalog, query, (tag,)))} "), query
        context.close()
        assert errors == []


@pytest.mark.browser
def test_without_javascript_the_pager_reaches_every_thread(site: Path, catalog: Catalog, chromium: Browser) -> None:
    with served(site) as base_url:
        seen, pages = walk_pages_without_js(chromium, base_url + "gallery/")
    assert pages == gallery.page_count(catalog)
    assert seen == [t.id for t in gallery.gallery_order(catalog.listed)], "every listed thread once, in order"


# --- hover previews --------------------------------------------------------------------------------------


def tiny_clip(path: Path) -> None:
    """A one-second H.264 clip, or skip when ffmpeg is missing."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x100:rate=10", "-t", "1",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-an", str(path)], check=True)


@pytest.mark.browser
def test_hover_previews_play_only_while_hovered_and_never_with_reduced_motion(tmp_path: Path,
                                                                              chromium: Browser) -> None:
    from tests.gallery.test_gallery import media_thread

    site = tmp_path / "site"
    entry = media_thread()
    gallery.write_standalone(site, Catalog(threads=(entry,)))
    for version in entry.versions:
        folder = site / "artifacts" / entry.id / version.version
        folder.mkdir(parents=True)
        (folder / "page.html").write_text("<!doctype html><p>demo</p>")
        if version.medium("preview"):
            tiny_clip(folder / "preview.mp4")
    paused = "video => video.paused"
    with served(site) as base_url:
        for motion, plays in (("no-preference", True), ("reduce", False)):
            context = chromium.new_context(reduced_motion=motion)
            page = context.new_page()
            page.goto(base_url + "gallery/shots/")
            for host in (".hg-thread-head [data-hg-hover-host]", "#v-v1 [data-hg-hover-host]"):
                clip = page.locator(f"{host} video[data-hg-hover]")
                assert clip.evaluate(paused), "nothing plays by itself"
                page.locator(host).hover(position={"x": 5, "y": 5})  # a corner: the buttons sit in the middle
                if plays:
                    page.wait_for_function("video => !video.paused && video.currentTime > 0", arg=clip.element_handle())
                else:
                    page.wait_for_timeout(300)
                    assert clip.evaluate(paused), "reduced motion: hovering does not play"
                page.mouse.move(0, 0)
                page.wait_for_function("video => video.paused", arg=clip.element_handle())
            if plays:  # focus plays it too (keyboard readers)
                page.focus(".hg-thread-head video")
                page.wait_for_function("() => !document.querySelector('.hg-thread-head video').paused")
            context.close()
