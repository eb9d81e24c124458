"""The sample site's gallery as a reader sees it, in Chromium: dark when the system is, sorted as asked, no empty
sidebar, in the nav, searchable on a phone (issue 20, items 9 and 11).

The sites are the session's real ``mkdocs build`` of the repository's sample project, in MkDocs' theme (whose
``mkdocs.yml`` sets ``color_mode: auto``) and in mkdocs-material, served by a plain static server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import built_versions, serve_static, threads_of
from tests.conftest import build_site, copy_project, output_of, read_yaml, seed_dependencies, site_dir, write_yaml
from tests.factory import run_cli

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

BACKGROUND_JS = """(selector) => {
  // The colour painted behind an element: its own background or the nearest ancestor's that is not transparent.
  let node = document.querySelector(selector);
  if (!node) return null;
  for (; node; node = node.parentElement) {
    const color = getComputedStyle(node).backgroundColor;
    if (color && color !== "transparent" && !/^rgba\\(.*,\\s*0\\)$/.test(color)) return color;
  }
  return getComputedStyle(document.documentElement).backgroundColor;
}"""
TEXT_JS = "(selector) => { const node = document.querySelector(selector); return node && getComputedStyle(node).color }"
CARD_IDS_JS = "() => [...document.querySelectorAll('[data-hg-cards] > li')].map(card => card.dataset.hgId)"


def luminance(css_color: str) -> float:
    """Relative luminance (WCAG) of an ``rgb()``/``rgba()`` colour: 0 black, 1 white."""
    channels = [float(part) for part in re.findall(r"[\d.]+", css_color)[:3]]
    assert len(channels) == 3, f"not an rgb() colour: {css_color!r}"

    def linear(channel: float) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def colors(page: Page, background: str, text: str) -> tuple[float, float]:
    """Luminance of what is painted behind ``background`` and of ``text``'s colour."""
    behind, color = page.evaluate(BACKGROUND_JS, background), page.evaluate(TEXT_JS, text)
    assert behind and color, f"{page.url}: no {background!r} or {text!r} on the page"
    return luminance(behind), luminance(color)


def assert_scheme(page: Page, scheme: str, background: str, text: str) -> None:
    behind, color = colors(page, background, text)
    where = f"{page.url} ({background} behind, {text} text) in {scheme}"
    if scheme == "dark":
        assert behind < 0.05 and color > 0.5, f"{where}: background {behind:.2f}, text {color:.2f}: not dark"
    else:
        assert behind > 0.8 and color < 0.25, f"{where}: background {behind:.2f}, text {color:.2f}: not light"


@pytest.fixture(scope="module")
def sites(sample_site_mkdocs: Path, sample_site_material: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    """Theme name -> (site folder, base URL ending in ``/``) of the sample site on a static server."""
    with ExitStack() as stack:
        yield {theme: (site, stack.enter_context(serve_static(site)).rstrip("/") + "/")
               for theme, site in (("mkdocs", sample_site_mkdocs), ("material", sample_site_material))}


@pytest.fixture
def open_page(chromium: Browser) -> Iterator[Callable[..., Page]]:
    """A page in a fresh context (``new_context`` options pass through); every page's script errors fail the test."""
    opened: list[Any] = []
    errors: list[str] = []

    def open_(**options: Any) -> Page:
        context = chromium.new_context(**options)
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield open_
    for context in opened:
        context.close()
    assert not errors, "script errors:\n" + "\n".join(errors)


# ---- dark mode ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_gallery_thread_and_share_pages_follow_the_system_color_scheme_in_mkdocs_theme(
        sites: dict[str, tuple[Path, str]], open_page: Callable[..., Page], scheme: str) -> None:
    _, base = sites["mkdocs"]
    page = open_page(color_scheme=scheme, viewport=DESKTOP)
    page.goto(base + "gallery/")
    assert_scheme(page, scheme, "body", ".hybrid-gallery h1")
    assert_scheme(page, scheme, ".hg-card-body", ".hg-card-title a")
    page.goto(base + "gallery/canvas-particles/")
    assert_scheme(page, scheme, "body", ".hybrid-gallery h1")
    assert_scheme(page, scheme, ".hg-version", ".hg-version-title a")
    page.goto(base + "p/canvas-particles/latest/")
    page.wait_for_url(re.compile(r"/p/canvas-particles/v\d+/$"))
    assert_scheme(page, scheme, ".bar", ".bar h1")


MATERIAL_PALETTE = [
    {"media": "(prefers-color-scheme: light)", "scheme": "default",
     "toggle": {"icon": "material/brightness-7", "name": "Switch to dark mode"}},
    {"media": "(prefers-color-scheme: dark)", "scheme": "slate",
     "toggle": {"icon": "material/brightness-4", "name": "Switch to light mode"}},
]
"""Material's documented palette that follows the system, with its switch."""


@pytest.fixture(scope="module")
def material_with_palette(sample_project: Path, sample_site_mkdocs: Path,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the sample site built with mkdocs-material and :data:`MATERIAL_PALETTE`."""
    project = copy_project(sample_project, tmp_path_factory.mktemp("material-palette"))
    seed_dependencies(sample_site_mkdocs.parent, project)
    config = read_yaml(project / "mkdocs.yml")
    config["theme"] = {"name": "material", "font": False, "palette": MATERIAL_PALETTE}
    write_yaml(project / "mkdocs.yml", config)
    result = build_site(project, theme="material")
    assert result.returncode == 0, output_of(result)
    with serve_static(site_dir(project)) as base:
        yield base.rstrip("/") + "/"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_gallery_in_material_follows_materials_palette(
        sites: dict[str, tuple[Path, str]], material_with_palette: str, open_page: Callable[..., Page],
        scheme: str) -> None:
    page = open_page(color_scheme=scheme, viewport=DESKTOP)
    page.goto(material_with_palette + "gallery/")
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate" if scheme == "dark" else "default")
    assert_scheme(page, scheme, ".hg-card-body", ".hg-card-title a")
    assert_scheme(page, scheme, ".hybrid-gallery", ".hybrid-gallery h1")
    # Material's own switch turns the page, and the gallery with it, to the other scheme.
    page.locator("form[data-md-component=palette] label:visible").first.click()
    other = "light" if scheme == "dark" else "dark"
    assert_scheme(page, other, ".hg-card-body", ".hg-card-title a")
    page.goto(material_with_palette + "gallery/canvas-particles/")
    assert_scheme(page, other, ".hg-version", ".hg-version-title a")
    # A material site with one palette stays light, whatever the system says: no dark island in a light page.
    page = open_page(color_scheme="dark", viewport=DESKTOP)
    page.goto(sites["material"][1] + "gallery/")
    assert_scheme(page, "light", ".hg-card-body", ".hg-card-title a")


@pytest.fixture(scope="module")
def standalone(sample_project: Path, sample_site_mkdocs: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the sample's standalone site (``mkdocs-hybrid build``, no MkDocs theme around the gallery)."""
    project = copy_project(sample_project, tmp_path_factory.mktemp("standalone"))
    seed_dependencies(sample_site_mkdocs.parent, project)
    result = run_cli("build", "-d", "standalone", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    with serve_static(project / "standalone") as base:
        yield base.rstrip("/") + "/"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_standalone_gallery_and_thread_pages_follow_the_system_color_scheme(
        standalone: str, open_page: Callable[..., Page], scheme: str) -> None:
    page = open_page(color_scheme=scheme, viewport=DESKTOP)
    page.goto(standalone + "gallery/")
    assert_scheme(page, scheme, "body", ".hybrid-gallery h1")
    assert_scheme(page, scheme, ".hg-card-body", ".hg-card-title a")
    page.goto(standalone + "gallery/canvas-particles/")
    assert_scheme(page, scheme, ".hg-version", ".hg-version-title a")


# ---- sorting ----------------------------------------------------------------------------------------------


def newest_first(site: Path) -> list[str]:
    """The oracle of the default order, from the built versions: newest version first, undated last, ties by id."""
    threads = threads_of(built_versions(site))
    newest = {thread: max((v.created or "" for v in versions), default="") for thread, versions in threads.items()}
    listed = sorted(newest)  # the sample has no unlisted thread or version
    return sorted(listed, key=lambda thread: newest[thread], reverse=True)


def test_sorting_by_most_versions_orders_every_card_and_survives_a_reload(
        sites: dict[str, tuple[Path, str]], open_page: Callable[..., Page]) -> None:
    site, base = sites["mkdocs"]
    counts = {thread: len(versions) for thread, versions in threads_of(built_versions(site)).items()}
    newest = newest_first(site)
    by_versions = sorted(newest, key=lambda thread: -counts[thread])  # stable: equal counts stay newest first
    assert by_versions != newest, "the sample must tell the two orders apart"

    page = open_page(viewport=DESKTOP)
    page.goto(base + "gallery/")
    assert page.evaluate(CARD_IDS_JS) == newest, "the server's page is newest first"
    sort = page.get_by_label("Sort")
    expect(sort).to_have_value("newest")
    sort.select_option(label="Most versions")
    page.wait_for_function(f"() => document.querySelector('[data-hg-cards] > li').dataset.hgId === {by_versions[0]!r}")
    assert page.evaluate(CARD_IDS_JS) == by_versions
    assert page.url.endswith("gallery/?sort=versions")
    versions_shown = page.locator("[data-hg-cards] > li .hg-meta span:first-child").all_inner_texts()
    assert versions_shown == [f"{counts[t]} version{'s' if counts[t] != 1 else ''}" for t in by_versions]

    page.reload()
    expect(page.get_by_label("Sort")).to_have_value("versions")
    page.wait_for_function(f"() => document.querySelector('[data-hg-cards] > li').dataset.hgId === {by_versions[0]!r}")
    assert page.evaluate(CARD_IDS_JS) == by_versions, "the order is kept across a reload"

    # Sorting applies to the filtered results too.
    page.get_by_role("button", name=re.compile(r"^vanilla-js \d+$")).click()
    filtered = page.evaluate(CARD_IDS_JS)
    assert filtered == [thread for thread in by_versions if thread in filtered] and 1 < len(filtered) < len(newest)
    assert "sort=versions" in page.url and "tag=vanilla-js" in page.url
    page.get_by_label("Sort").select_option(label="Newest")
    page.wait_for_function("() => !location.search.includes('sort=')")
    assert page.evaluate(CARD_IDS_JS) == [thread for thread in newest if thread in filtered]


# ---- layout: sidebar, nav, phone search ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["gallery/", "gallery/canvas-particles/"])
def test_mkdocs_theme_gallery_pages_have_no_sidebar_box_and_use_the_full_width(
        sites: dict[str, tuple[Path, str]], open_page: Callable[..., Page], path: str) -> None:
    _, base = sites["mkdocs"]
    page = open_page(viewport=DESKTOP)
    page.goto(base + path)
    expect(page.locator(".bs-sidebar")).to_be_hidden()
    container = page.locator("body > .container").bounding_box()
    gallery = page.locator(".hybrid-gallery").bounding_box()
    assert container and gallery and gallery["width"] > container["width"] - 40, "the gallery spans the page"
    phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(base + path)
    expect(phone.locator(".bs-sidebar .navbar-toggler")).to_be_hidden()  # the stray chevron
    # The home page, which has headings, keeps its table of contents.
    phone.goto(base)
    expect(phone.locator(".bs-sidebar")).to_be_visible()


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_gallery_is_in_the_site_nav(sites: dict[str, tuple[Path, str]], open_page: Callable[..., Page],
                                    theme: str) -> None:
    _, base = sites[theme]
    page = open_page(viewport=DESKTOP)
    page.goto(base)
    nav = page.locator(".navbar-nav" if theme == "mkdocs" else ".md-nav--primary")
    link = nav.get_by_role("link", name="Gallery", exact=True).first
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(base + "gallery/")
    expect(page.locator(".hybrid-gallery h1")).to_have_text("Gallery")


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_site_search_is_reachable_on_a_phone(sites: dict[str, tuple[Path, str]], open_page: Callable[..., Page],
                                             theme: str) -> None:
    _, base = sites[theme]
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(base + "gallery/")
    if theme == "mkdocs":
        menu = page.locator(".navbar > .container > .navbar-toggler")
        expect(menu).to_be_visible()
        menu.tap()
        search = page.get_by_role("link", name="Search")
        expect(search).to_be_visible()
        search.tap()
        query = page.locator("#mkdocs-search-query")
    else:
        search = page.locator("label.md-header__button[for='__search']")
        expect(search).to_be_visible()
        search.tap()
        query = page.locator("input.md-search__input")
    expect(query).to_be_visible()
    query.press_sequentially("clock")  # typed: the themes search on key events
    results = page.locator("#mkdocs-search-results a" if theme == "mkdocs" else ".md-search-result__link")
    expect(results.filter(has_text="Analog Clock").first).to_be_visible()


# ---- a demo in a dark share page ----------------------------------------------------------------------------


def test_a_demo_without_a_background_of_its_own_shows_on_white_in_a_dark_share_page(
        tmp_path: Path, open_page: Callable[..., Page]) -> None:
    """The demo's frame is transparent where the demo paints nothing: on the dark share page, black text on the
    page's dark background was unreadable. It shows on white, as the demo does alone in a tab and in the editor."""
    from io import BytesIO

    from PIL import Image

    from tests.factory import manifest_for, write_tree

    project = write_tree(tmp_path, {"demos/plain/v1/index.js":
                                    "document.body.style.margin = '0';\n"
                                    "document.body.innerHTML = '<p style=\"font: 40px sans-serif\">plain text</p>';\n"})
    manifest_for(project)
    result = run_cli("build", "-q", "-d", "site", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    with serve_static(project / "site") as base:
        page = open_page(color_scheme="dark", viewport={"width": 800, "height": 400})
        page.goto(base.rstrip("/") + "/p/plain/v1/")
        frame = page.frame_locator("iframe")
        expect(frame.locator("p")).to_have_text("plain text")
        assert luminance(page.evaluate(BACKGROUND_JS, "body")) < 0.05, "the share page itself is dark"
        shot = Image.open(BytesIO(page.locator("iframe").screenshot())).convert("L")
    width, height = shot.size
    corner = shot.getpixel((width - 5, height - 5))
    darkest, _ = shot.getextrema()  # an "L" image: (darkest, lightest)
    assert (corner, darkest < 100) == (255, True), f"the demo's frame: corner {corner}, darkest pixel {darkest}"
