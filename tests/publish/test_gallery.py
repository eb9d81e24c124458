"""The gallery: index and thread fragments, assets, standalone output, and one browser run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry
from mkdocs_hybrid.publish import gallery, templates
from tests.browser import CHROMIUM, LAUNCH_ARGS, serve_static
from tests.factory import read_tree

if TYPE_CHECKING:
    from playwright.sync_api import Page

EVIL_TITLE = "<script>alert(1)</script>"
QUOTED_TAG = "say \"hi\" & 'bye'"


# --- catalog fixtures ------------------------------------------------------------------------


def version(name: str, *, day: int, title: str | None = None, author: str | None = None,
            tags: tuple[str, ...] = (), unlisted: bool = False) -> VersionEntry:
    return VersionEntry(
        version=name,
        title=title or f"Version {name}",
        created=f"2026-03-{day:02d}T10:30:00Z",
        author=author,
        tags=tags,
        entry="index.html",
        unlisted=unlisted,
        build_key=f"key-{name}",
    )


def thread(thread_id: str, title: str, versions: tuple[VersionEntry, ...], *, latest: str | None = None,
           tags: tuple[str, ...] = (), description: str | None = None, unlisted: bool = False) -> ThreadEntry:
    return ThreadEntry(
        id=thread_id,
        title=title,
        description=description,
        tags=tags,
        versions=versions,
        latest=latest or versions[0].version,
        unlisted=unlisted,
    )


def make_catalog() -> Catalog:
    """Four listed threads (one malicious, one pinned to an old version) and one unlisted."""
    return Catalog(threads=(
        thread("alpha-clock", "Alpha Clock", (
            version("v3", day=14, title="Clock with alarms", author="Ada", tags=("alarms",)),
            version("v2", day=10, title="Clock with seconds", unlisted=True),
            version("v1", day=2, title="A plain clock"),
        ), tags=("react", "clock"), description="An analog clock, one feature per version."),
        thread("evil", EVIL_TITLE, (
            version("v1", day=5, title="<img src=x onerror=alert(2)>", author="<b>Mallory</b>", tags=(QUOTED_TAG,)),
        ), tags=(QUOTED_TAG, "react"), description="Tries <em>hard</em> to break out"),
        thread("hidden-lab", "Hidden lab", (version("v1", day=1),), unlisted=True),
        thread("pinned", "Pinned Particles", (
            version("v2", day=20, title="Experimental particles"),
            version("v1", day=12, title="Stable particles"),
        ), latest="v1", tags=("canvas",)),
        thread("zeta-notes", "Zeta Notes", (version("1.0.0", day=3, title="Notes"),), tags=("vanilla",)),
    ))


@pytest.fixture
def catalog() -> Catalog:
    return make_catalog()


# --- a tiny HTML parser, so assertions read attributes as a browser would ----------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Collector(HTMLParser):
    """Every start tag with its (unescaped) attributes, and the text of textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._textarea: Element | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag == "textarea":
            self._textarea = element

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.text += data


def parse(html: str) -> list[Element]:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector.elements


def find(elements: list[Element], tag: str, **attrs: str) -> list[Element]:
    """Elements with ``tag`` whose class list contains ``cls`` (when given) and other exact attributes."""
    cls = attrs.pop("cls", None)
    return [
        e for e in elements
        if e.tag == tag
        and (cls is None or cls in e.attrs.get("class", "").split())
        and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
    ]


# --- index -----------------------------------------------------------------------------------


def test_index_escapes_snapshot_text(catalog: Catalog) -> None:
    html = gallery.render_index(catalog, base="../")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<em>hard</em>" not in html
    assert QUOTED_TAG not in html  # only its escaped form appears, text and attributes alike
    chips = find(parse(html), "button", cls="hg-chip")
    assert QUOTED_TAG in [chip.attrs["data-hg-tag"] for chip in chips]


def test_index_has_one_card_per_listed_thread(catalog: Catalog) -> None:
    elements = parse(gallery.render_index(catalog, base="../"))
    cards = find(elements, "li", cls="hg-card")
    assert [card.attrs["data-hg-id"] for card in cards] == ["alpha-clock", "evil", "pinned", "zeta-notes"]
    assert len(cards) == len(catalog.listed)
    assert "hidden-lab" not in gallery.render_index(catalog, base="../")


def test_index_cards_carry_filter_data(catalog: Catalog) -> None:
    elements = parse(gallery.render_index(catalog, base=""))
    cards = {card.attrs["data-hg-id"]: card for card in find(elements, "li", cls="hg-card")}
    evil = cards["evil"]
    assert json.loads(evil.attrs["data-hg-tags"]) == [QUOTED_TAG, "react"]
    assert "<script>alert(1)</script>" in evil.attrs["data-hg-search"]  # unescaped once, as the browser sees it
    assert "evil" in evil.attrs["data-hg-search"]
    # Unlisted versions do not leak their tags; version tags of listed ones do count.
    alpha = json.loads(cards["alpha-clock"].attrs["data-hg-tags"])
    assert alpha == ["react", "clock", "alarms"]
    assert cards["alpha-clock"].attrs["data-hg-search"] == (
        "alpha-clock alpha clock an analog clock, one feature per version. react clock alarms"
    )


def test_index_links_are_prefixed_with_base(catalog: Catalog) -> None:
    elements = parse(gallery.render_index(catalog, base="../"))
    hrefs = {e.attrs["href"] for e in elements if e.tag == "a"}
    assert {"../gallery/alpha-clock/", "../p/alpha-clock/latest/", "../p/pinned/latest/"} <= hrefs
    (stylesheet,) = find(elements, "link", rel="stylesheet")
    assert stylesheet.attrs["href"].startswith("../gallery/assets/gallery.css?v=")
    (script,) = find(elements, "script")
    assert script.attrs["src"].startswith("../gallery/assets/gallery.js?v=")
    assert "defer" in script.attrs


def card_html(html: str, thread_id: str) -> str:
    """The markup of one card."""
    (card,) = [chunk for chunk in html.split('<li class="hg-card"')[1:] if f'data-hg-id="{thread_id}"' in chunk]
    return card


def test_index_card_meta(catalog: Catalog) -> None:
    html = gallery.render_index(catalog, base="")
    alpha = card_html(html, "alpha-clock")
    # v2 is unlisted, so two versions show; "since" is the thread's oldest date.
    assert "2 versions" in alpha
    assert 'latest <code class="hg-code">v3</code>' in alpha
    assert '<time datetime="2026-03-02T10:30:00Z">2026-03-02</time>' in alpha
    pinned = card_html(html, "pinned")
    assert 'latest <code class="hg-code">v1</code>' in pinned
    assert "1 version<" in card_html(html, "zeta-notes")


def test_index_tag_chips_most_used_first(catalog: Catalog) -> None:
    chips = find(parse(gallery.render_index(catalog, base="")), "button", cls="hg-chip")
    names = [chip.attrs["data-hg-tag"] for chip in chips]
    assert names[0] == "react"  # on two cards
    assert sorted(names) == sorted({"react", "clock", "alarms", QUOTED_TAG, "canvas", "vanilla"})


def poster_classes(html: str) -> dict[str, str]:
    """Card id -> its poster's palette class."""
    ids = [c.attrs["data-hg-id"] for c in find(parse(html), "li", cls="hg-card")]
    posters = [e.attrs["class"].split()[1] for e in find(parse(html), "a", cls="hg-poster")]
    return dict(zip(ids, posters, strict=True))


def test_index_poster_is_deterministic_placeholder(catalog: Catalog) -> None:
    html = gallery.render_index(catalog, base="")
    classes = poster_classes(html)
    assert all(name.startswith("hg-poster--") for name in classes.values())
    # Same thread id, same tile, whatever else is in the catalog.
    alone = Catalog(threads=(catalog.thread("pinned"),))
    assert poster_classes(gallery.render_index(alone, base=""))["pinned"] == classes["pinned"]
    assert '<span class="hg-initials">AC</span>' in card_html(html, "alpha-clock")
    assert "<img" not in html


def test_index_uses_poster_image_when_built() -> None:
    @dataclass(frozen=True)
    class VersionWithPoster(VersionEntry):
        poster: bool = False

    with_poster = VersionWithPoster(version="v1", title="t", created=None, author=None, tags=(), entry="index.html",
                                    unlisted=False, build_key="k", poster=True)
    html = gallery.render_index(Catalog(threads=(thread("shots", "Shots", (with_poster,)),)), base="../")
    (img,) = find(parse(html), "img")
    assert img.attrs["src"] == "../artifacts/shots/v1/poster.webp"
    assert img.attrs["loading"] == "lazy"


def test_index_without_threads_says_so() -> None:
    html = gallery.render_index(Catalog(threads=()), base="")
    assert "No demos have been published yet." in html
    assert "data-hg-filters" not in html


def test_many_tags_go_behind_more() -> None:
    threads = tuple(thread(f"t{i:02d}", f"Thread {i}", (version("v1", day=1),), tags=(f"tag{i:02d}",))
                    for i in range(30))
    html = gallery.render_index(Catalog(threads=threads), base="")
    more = html[html.index('<details class="hg-more-tags">'):]
    assert "6 more tags" in more
    assert more.count('data-hg-tag="') == 6


# --- thread page -------------------------------------------------------------------------------


def test_thread_versions_newest_first_and_unlisted_hidden(catalog: Catalog) -> None:
    elements = parse(gallery.render_thread(catalog.thread("alpha-clock"), base="../../"))
    versions = [e.attrs["id"] for e in find(elements, "li", cls="hg-version")]
    assert versions == ["v-v3", "v-v1"]


def test_thread_keeps_an_unlisted_latest() -> None:
    entry = thread("t", "T", (version("v2", day=2, unlisted=True), version("v1", day=1)))
    versions = [e.attrs["id"] for e in find(parse(gallery.render_thread(entry, base="")), "li", cls="hg-version")]
    assert versions == ["v-v2", "v-v1"]


def test_thread_links_are_prefixed_with_base(catalog: Catalog) -> None:
    elements = parse(gallery.render_thread(catalog.thread("alpha-clock"), base="../../"))
    hrefs = [e.attrs["href"] for e in elements if e.tag == "a"]
    assert "../../p/alpha-clock/v3/" in hrefs
    assert "../../p/alpha-clock/v1/" in hrefs
    assert "../../p/alpha-clock/latest/" in hrefs
    assert "../../gallery/" in hrefs
    assert "../../gallery/?tag=react" in hrefs
    fields = {e.attrs["id"]: e.attrs["value"] for e in find(elements, "input", cls="hg-url")}
    assert fields == {
        "hg-latest-url": "../../p/alpha-clock/latest/",
        "hg-share-v3": "../../p/alpha-clock/v3/",
        "hg-share-v1": "../../p/alpha-clock/v1/",
    }


def test_thread_previews_are_sandboxed_and_lazy(catalog: Catalog) -> None:
    html = gallery.render_thread(catalog.thread("alpha-clock"), base="../../")
    frames = find(parse(html), "iframe")
    assert [f.attrs["src"] for f in frames] == ["../../artifacts/alpha-clock/v3/page.html",
                                                "../../artifacts/alpha-clock/v1/page.html"]
    for frame in frames:
        tokens = frame.attrs["sandbox"].split()
        assert set(tokens) == {"allow-scripts", "allow-pointer-lock", "allow-popups", "allow-modals", "allow-forms"}
        assert frame.attrs["loading"] == "lazy"
        assert frame.attrs["title"]
    assert "allow-same-origin" not in html
    # Only the latest loads by itself; the older one waits in a <template> for a click.
    assert html.count("<template data-hg-frame>") == 1
    assert html.index("<template data-hg-frame>") > html.index("alpha-clock/v3/page.html")


def test_thread_latest_badge_follows_pinned_latest(catalog: Catalog) -> None:
    html = gallery.render_thread(catalog.thread("pinned"), base="")
    items = [e for e in find(parse(html), "li", cls="hg-version")]
    assert [i.attrs["id"] for i in items] == ["v-v2", "v-v1"]
    assert [("hg-version-latest" in i.attrs["class"]) for i in items] == [False, True]
    assert html.count('<span class="hg-badge">latest</span>') == 1
    v1 = html[html.index('id="v-v1"'):]
    assert '<span class="hg-badge">latest</span>' in v1
    # The pinned latest is the preview that loads by itself.
    assert '<iframe class="hg-frame" loading="lazy"' in v1.split("<template")[0]


def test_thread_escapes_everything_from_snapshots(catalog: Catalog) -> None:
    html = gallery.render_thread(catalog.thread("evil"), base="../../")
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>Mallory</b>" not in html
    assert "<em>hard</em>" not in html
    assert QUOTED_TAG not in html
    elements = parse(html)
    assert "../../gallery/?tag=say%20%22hi%22%20%26%20%27bye%27" in [e.attrs.get("href") for e in elements]
    (snippet,) = find(elements, "textarea")
    # The textarea shows the snippet; inside it, the title is escaped again as an attribute value.
    assert snippet.text.startswith('<iframe src="../../artifacts/evil/v1/page.html"')
    assert 'title="&lt;img src=x onerror=alert(2)&gt; (evil/v1)"' in snippet.text
    assert "<img" not in snippet.text
    assert "allow-same-origin" not in snippet.text


def test_thread_site_url_makes_copied_links_absolute(catalog: Catalog) -> None:
    site_url = "https://demos.example.com/sub/"
    html = gallery.render_thread(catalog.thread("alpha-clock"), base="../../", site_url=site_url)
    elements = parse(html)
    fields = {e.attrs["id"]: e.attrs["value"] for e in find(elements, "input", cls="hg-url")}
    assert fields["hg-share-v3"] == "https://demos.example.com/sub/p/alpha-clock/v3/"
    assert fields["hg-latest-url"] == "https://demos.example.com/sub/p/alpha-clock/latest/"
    snippets = find(elements, "textarea")
    assert snippets[0].text.startswith(f'<iframe src="{site_url}artifacts/alpha-clock/v3/page.html"')
    # Links on the page itself stay relative, so the site works before it is deployed.
    assert "../../p/alpha-clock/v3/" in [e.attrs.get("href") for e in elements]


def test_thread_dates_and_authors(catalog: Catalog) -> None:
    html = gallery.render_thread(catalog.thread("alpha-clock"), base="")
    assert '<time datetime="2026-03-14T10:30:00Z">2026-03-14</time>' in html
    assert "by Ada" in html
    assert html.count("<time ") == 3  # thread start + two versions


# --- output --------------------------------------------------------------------------------------


def test_rendering_is_deterministic(catalog: Catalog) -> None:
    assert gallery.render_index(catalog, base="../") == gallery.render_index(make_catalog(), base="../")
    for entry in catalog.listed:
        assert gallery.render_thread(entry, base="../../") == gallery.render_thread(entry, base="../../")


def test_asset_files() -> None:
    assets = gallery.asset_files()
    assert sorted(assets) == ["gallery/assets/gallery.css", "gallery/assets/gallery.js"]
    assert b".hybrid-gallery" in assets["gallery/assets/gallery.css"]
    assert b"data-hg-query" in assets["gallery/assets/gallery.js"]



def test_write_standalone(tmp_path: Path, catalog: Catalog) -> None:
    written = gallery.write_standalone(tmp_path / "a", catalog, site_url="https://x.example/")
    assert written == [
        "gallery/index.html",
        "gallery/alpha-clock/index.html",
        "gallery/evil/index.html",
        "gallery/pinned/index.html",
        "gallery/zeta-notes/index.html",
        "gallery/assets/gallery.css",
        "gallery/assets/gallery.js",
    ]
    tree = read_tree(tmp_path / "a")
    assert sorted(tree) == sorted(written)
    index = tree["gallery/index.html"].decode()
    assert index.startswith("<!doctype html>")
    assert "<title>Gallery</title>" in index
    assert 'href="../gallery/alpha-clock/"' in index
    evil = tree["gallery/evil/index.html"].decode()
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; · Gallery</title>" in evil
    assert 'src="../../artifacts/evil/v1/page.html"' in evil
    assert "<script>alert" not in evil
    assert tree["gallery/assets/gallery.js"] == gallery.asset_files()["gallery/assets/gallery.js"]
    # Same inputs, same bytes.
    gallery.write_standalone(tmp_path / "b", make_catalog(), site_url="https://x.example/")
    assert read_tree(tmp_path / "b") == tree


def stylesheet_version(html: str) -> str:
    (link,) = find(parse(html), "link", rel="stylesheet")
    return link.attrs["href"].split("?v=")[1]


def test_asset_version_is_read_once_per_build_and_follows_the_files(tmp_path: Path, catalog: Catalog,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name in gallery.ASSET_NAMES:
        (tmp_path / "assets").mkdir(exist_ok=True)
        (tmp_path / "assets" / name).write_bytes((templates.template_dir() / "assets" / name).read_bytes())
    monkeypatch.setattr(gallery, "template_dir", lambda: tmp_path)
    gallery.reload_assets()
    try:
        first = stylesheet_version(gallery.render_index(catalog, base="../"))
        (tmp_path / "assets" / "gallery.css").write_text("body { color: teal }\n")
        store = DictStore()
        same_build = {stylesheet_version(gallery.render_thread(t, base="../../", store=store))
                      for t in catalog.listed}
        assert same_build == {first}, "one build, one asset version (read once)"
        gallery.reload_assets()
        assert stylesheet_version(gallery.render_index(catalog, base="../")) != first
        kept = gallery.render_thread(catalog.listed[0], base="../../", store=store)
        assert stylesheet_version(kept) != first, "a cached thread page follows the new assets (mkdocs serve)"
        assert gallery.asset_files()["gallery/assets/gallery.css"] == b"body { color: teal }\n"
    finally:
        gallery.reload_assets()


def test_catalog_finds_threads_by_id(catalog: Catalog) -> None:
    assert catalog.thread("pinned").title == "Pinned Particles"
    assert [catalog.thread(t.id) for t in catalog.threads] == list(catalog.threads)
    with pytest.raises(KeyError, match="no-such-thread"):
        catalog.thread("no-such-thread")
    assert catalog == make_catalog(), "the lookup table is no part of the catalog's value"
    assert [t.id for t in catalog.listed] == ["alpha-clock", "evil", "pinned", "zeta-notes"]


def test_search_text_of_a_thread_is_short_and_escaped(catalog: Catalog) -> None:
    text = gallery.search_thread_html(catalog.thread("evil"))
    assert "<em>" not in text and "&lt;em&gt;hard&lt;/em&gt;" in text
    assert "Thread: evil" in text and "react" in text
    alpha = gallery.search_thread_html(catalog.thread("alpha-clock"))
    assert "alarms" in alpha, "tags of visible versions are searchable"
    assert "Clock with seconds" not in alpha and "p/alpha-clock" not in alpha


def test_search_text_of_the_index_does_not_grow_with_threads() -> None:
    def many(count: int) -> Catalog:
        return Catalog(threads=tuple(thread(f"t{i:05d}", f"Demo {i}", (version("v1", day=1),), tags=(f"tag{i % 40}",))
                                     for i in range(count)))

    small, large = gallery.search_index_html(many(50)), gallery.search_index_html(many(5000))
    assert "5000 demos" in large
    assert len(large) <= len(small) + 10


def test_template_dir_and_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (templates.template_dir() / "gallery_index.html").is_file()
    digest = templates.template_digest()
    assert len(digest) == 64 and digest == templates.template_digest()

    (tmp_path / "assets").mkdir()
    (tmp_path / "a.html").write_text("a")
    (tmp_path / "assets" / "b.css").write_text("b")
    monkeypatch.setattr(templates, "template_dir", lambda: tmp_path)
    first = templates.template_digest()
    (tmp_path / ".DS_Store").write_text("noise")
    assert templates.template_digest() == first
    (tmp_path / "assets" / "b.css").write_text("c")
    assert templates.template_digest() != first


def test_environment_is_shared_and_strict() -> None:
    env = templates.environment()
    assert env is templates.environment()
    assert env.autoescape is True
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing }}").render()


# --- browser ----------------------------------------------------------------------------------------


def fake_artifact(title: str, colour: str) -> str:
    """A stand-in demo page; it records whether it could reach the gallery's document."""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>html,body{{margin:0;height:100%}}body{{display:grid;place-items:center;background:{colour};
color:#fff;font:600 28px system-ui,sans-serif}}</style></head>
<body><div>{title}</div>
<script>
var reached = "no";
try {{ reached = window.parent.document.body ? "yes" : "no"; }} catch (error) {{ reached = "no"; }}
document.body.setAttribute("data-parent-reachable", reached);
</script></body></html>
"""


def write_site(site: Path) -> Catalog:
    catalog = make_catalog()
    gallery.write_standalone(site, catalog)
    colours = ["#2563eb", "#16a34a", "#db2777", "#ea580c"]
    for entry in catalog.threads:
        for index, v in enumerate(entry.versions):
            page = site / "artifacts" / entry.id / v.version / "page.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(fake_artifact(f"{entry.id} {v.version}", colours[index % len(colours)]))
    return catalog


@pytest.fixture
def served_site(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    write_site(site)
    with serve_static(site) as base_url:
        yield base_url + "/"


def visible_card_ids(page: Page) -> list[str]:
    """Ids of the cards the filter leaves visible, in page order."""
    ids: list[str] = page.eval_on_selector_all(
        "li.hg-card", "cards => cards.filter(c => !c.hidden).map(c => c.dataset.hgId)"
    )
    return ids


@pytest.mark.browser
def test_gallery_in_chromium(served_site: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    shots = Path(os.environ.get("HYBRID_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served_site.rstrip("/"))
            page = context.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # Index: text filter, tag filter, "no matches", clearing.
            page.goto(served_site + "gallery/")
            page.wait_for_selector("[data-hg-filters]:not([hidden])")
            assert visible_card_ids(page) == ["alpha-clock", "evil", "pinned", "zeta-notes"]
            page.screenshot(path=str(shots / "index-desktop.png"), full_page=True)

            page.fill("[data-hg-query]", "CLOCK")
            assert visible_card_ids(page) == ["alpha-clock"]
            assert page.text_content("[data-hg-status]") == "1 of 4 demos"
            page.fill("[data-hg-query]", "no such demo")
            assert visible_card_ids(page) == []
            assert page.is_visible("[data-hg-empty]")
            page.click("[data-hg-clear]")
            assert visible_card_ids(page) == ["alpha-clock", "evil", "pinned", "zeta-notes"]
            assert not page.is_visible("[data-hg-empty]")

            react = page.locator("[data-hg-filters] button.hg-chip", has_text="react")
            react.click()
            assert visible_card_ids(page) == ["alpha-clock", "evil"]
            assert react.get_attribute("aria-pressed") == "true"
            assert "tag=react" in page.url
            page.locator("[data-hg-filters] button.hg-chip", has_text='say "hi"').click()
            assert visible_card_ids(page) == ["evil"]
            page.fill("[data-hg-query]", "alpha")
            assert visible_card_ids(page) == []
            page.click("[data-hg-clear]")

            # A filtered URL restores its filter.
            page.goto(served_site + "gallery/?tag=canvas")
            page.wait_for_selector("[data-hg-filters]:not([hidden])")
            assert visible_card_ids(page) == ["pinned"]

            # Thread page: absolute share links, copy, previews loaded lazily and sandboxed.
            page.goto(served_site + "gallery/alpha-clock/")
            page.wait_for_selector("button[data-hg-copy]:not([hidden])")
            assert page.input_value("#hg-share-v3") == served_site + "p/alpha-clock/v3/"
            embed = page.input_value("#hg-embed-v3")
            assert embed.startswith(f'<iframe src="{served_site}artifacts/alpha-clock/v3/page.html"')
            copy_button = "#hg-share-v3 ~ button[data-hg-copy]"
            page.click(copy_button)
            page.wait_for_function(f"document.querySelector('{copy_button}').textContent !== 'Copy'")
            assert page.evaluate("navigator.clipboard.readText()") == served_site + "p/alpha-clock/v3/"

            # Without the Clipboard API (plain http on a LAN), the link is left selected for a manual copy.
            legacy = browser.new_context()
            legacy.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")
            old = legacy.new_page()
            old.on("pageerror", lambda exc: errors.append(str(exc)))
            old.goto(served_site + "gallery/alpha-clock/")
            old.click("#hg-share-v3 ~ button[data-hg-copy]")
            selected = old.evaluate("(() => { const f = document.activeElement;"
                                    " return f.id + ' ' + f.value.slice(f.selectionStart, f.selectionEnd); })()")
            assert selected == f"hg-share-v3 {served_site}p/alpha-clock/v3/"
            assert old.text_content("#hg-share-v3 ~ button[data-hg-copy]") in {"Copied!", "Press Ctrl+C"}
            legacy.close()

            latest = page.frame_locator("#v-v3 iframe.hg-frame")
            assert latest.locator("body").get_attribute("data-parent-reachable") == "no"
            assert page.locator("#v-v1 iframe").count() == 0
            page.locator("#v-v3 summary").click()
            page.screenshot(path=str(shots / "thread-desktop.png"), full_page=True)
            page.click("#v-v1 [data-hg-show-preview]")
            older = page.frame_locator("#v-v1 iframe.hg-frame")
            assert older.locator("body > div").text_content() == "alpha-clock v1"

            # Phone.
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            mobile = phone.new_page()
            mobile.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            mobile.on("pageerror", lambda exc: errors.append(str(exc)))
            mobile.goto(served_site + "gallery/")
            mobile.wait_for_selector("[data-hg-filters]:not([hidden])")
            assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
            mobile.screenshot(path=str(shots / "index-phone.png"), full_page=True)
            mobile.goto(served_site + "gallery/evil/")
            mobile.wait_for_selector("button[data-hg-copy]:not([hidden])")
            mobile.frame_locator("#v-v1 iframe.hg-frame").locator("body").wait_for()
            assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
            assert mobile.title() == "<script>alert(1)</script> · Gallery"
            mobile.screenshot(path=str(shots / "thread-phone.png"), full_page=True)
        finally:
            browser.close()

    assert errors == []


class DictStore(dict):  # type: ignore[type-arg]
    """An in-memory :class:`gallery.HtmlStore` that counts writes."""

    writes = 0

    def get_html(self, key: str) -> str | None:
        return self.get(key)

    def put_html(self, key: str, text: str) -> None:
        self.writes += 1
        self[key] = text


def test_a_thread_fragment_is_reused_only_while_its_inputs_are_the_same(catalog: Catalog) -> None:
    store = DictStore()
    entry = catalog.threads[0]
    plain = gallery.render_thread(entry, base="../../")
    assert gallery.render_thread(entry, base="../../", store=store) == plain
    assert gallery.render_thread(entry, base="../../", store=store) == plain and store.writes == 1
    retitled = ThreadEntry(**{**entry.__dict__, "title": "A new title"})
    assert "A new title" in gallery.render_thread(retitled, base="../../", store=store) and store.writes == 2
    other_base = gallery.render_thread(entry, base="../", store=store)
    assert other_base == gallery.render_thread(entry, base="../") and store.writes == 3
