"""The gallery: index and thread fragments, assets, standalone output, and one browser run."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mkdocs_hybrid import templates
from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.gallery import pages as gallery
from mkdocs_hybrid.model.catalog import Catalog, MediaFile, ThreadEntry, VersionEntry
from tests.browser import CHROMIUM, LAUNCH_ARGS, serve_static
from tests.factory import read_tree

if TYPE_CHECKING:
    from playwright.sync_api import Page

EVIL_TITLE = "<script>alert(1)</script>"
QUOTED_TAG = "say \"hi\" & 'bye'"


# --- catalog fixtures ------------------------------------------------------------------------


def version(name: str, *, day: int, title: str | None = None, author: str | None = None,
            tags: tuple[str, ...] = (), unlisted: bool = False, media: tuple[MediaFile, ...] = ()) -> VersionEntry:
    return VersionEntry(
        version=name,
        title=title or f"Version {name}",
        created=f"2026-03-{day:02d}T10:30:00Z",
        author=author,
        tags=tags,
        entry="index.html",
        unlisted=unlisted,
        build_key=f"key-{name}",
        media=media,
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
    # Newest first: by each thread's newest shown version (alpha-clock's unlisted v2 does not count).
    assert [card.attrs["data-hg-id"] for card in cards] == ["pinned", "alpha-clock", "evil", "zeta-notes"]
    assert len(cards) == len(catalog.listed)
    assert "hidden-lab" not in gallery.render_index(catalog, base="../")


def test_index_lists_newest_first_with_undated_threads_last_and_ties_by_id() -> None:
    undated = ThreadEntry(id="a-undated", title="Undated", description=None, tags=(), unlisted=False, latest="v1",
                          versions=(replace(version("v1", day=1), created=None),))
    catalog = Catalog(threads=(
        undated,
        thread("b-tie", "Tie B", (version("v1", day=9),)),
        thread("c-old", "Old", (version("v1", day=3),)),
        thread("d-tie", "Tie D", (version("v1", day=9),)),
        thread("e-new", "New", (version("v2", day=30), version("v1", day=2))),
    ))
    order = ["e-new", "b-tie", "d-tie", "c-old", "a-undated"]
    assert card_ids(gallery.render_index(catalog, base="")) == order
    assert data_of(catalog)["id"] == order, "the data file lists the threads in the pages' order"
    assert data_of(catalog)["versions"] == [2, 1, 1, 1, 1], "with each thread's version count, for sorting"


def data_of(catalog: Catalog, origin: ArtifactOrigin | None = None) -> dict[str, Any]:
    path, content = gallery.index_data(catalog, origin=origin or ArtifactOrigin())
    assert path.startswith("gallery/threads.") and path.endswith(".json")
    data: dict[str, Any] = json.loads(content)
    return data


def test_data_file_lists_every_listed_thread_with_its_card(catalog: Catalog) -> None:
    data = data_of(catalog)
    assert data["format"] == "mkdocs-hybrid/gallery-threads@1"
    assert data["pageSize"] == gallery.PAGE_SIZE
    assert data["id"] == ["pinned", "alpha-clock", "evil", "zeta-notes"], "listed threads only, in card order"
    assert data["title"][2] == EVIL_TITLE, "raw text: gallery.js escapes what it draws"
    assert data["description"] == ["", "An analog clock, one feature per version.",
                                   "Tries <em>hard</em> to break out", ""]
    tags_of = [[data["tags"][i] for i in indexes] for indexes in data["tagIndexes"]]
    # Unlisted versions do not leak their tags; version tags of listed ones do count.
    assert tags_of == [["canvas"], ["react", "clock", "alarms"], [QUOTED_TAG, "react"], ["vanilla"]]
    assert data["tags"][0] == "react" and data["tagCounts"][0] == 2, "most used first, like the chips"
    assert data["versions"] == [2, 2, 1, 1]
    assert data["latest"] == ["v1", "v3", "v1", "1.0.0"]
    assert data["created"] == ["2026-03-12", "2026-03-02", "2026-03-05", "2026-03-03"]
    assert data["initials"][1] == "AC" and data["poster"] == [0, 0, 0, 0]
    palettes = poster_classes(gallery.render_index(catalog, base="")).values()
    assert data["palette"] == [int(name.split("--")[1]) for name in palettes]
    assert "hidden-lab" not in json.dumps(data) and "Clock with seconds" not in json.dumps(data)


def test_data_file_name_follows_its_bytes(catalog: Catalog) -> None:
    path, content = gallery.index_data(catalog)
    assert gallery.index_data(make_catalog()) == (path, content), "same catalog, same file"
    retitled = Catalog(threads=(ThreadEntry(**{**catalog.threads[0].__dict__, "title": "New"}), *catalog.threads[1:]))
    assert gallery.index_data(retitled)[0] != path
    root = find(parse(gallery.render_index(catalog, base="../")), "div", cls="hg-index")[0]
    assert root.attrs["data-hg-data"] == "../" + path
    assert root.attrs["data-hg-base"] == "../" and root.attrs["data-hg-total"] == "4"


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


def medium(role: str, name: str, *, width: int = 640, height: int = 400, url: str | None = None,
           duration: float | None = None) -> MediaFile:
    return MediaFile(role=role, name=name, sha256="0" * 64, size=1000, width=width, height=height,
                     duration=duration, url=url)


def with_media(*media: MediaFile, unlisted: bool = False) -> Catalog:
    return Catalog(threads=(thread("shots", "Shots", (version("v2", day=2, media=media, unlisted=unlisted),
                                                      version("v1", day=1))),))


def test_index_card_shows_the_latest_card_image() -> None:
    catalog = with_media(medium("card", "card.webp", width=480, height=270), medium("poster", "poster.webp"))
    html = gallery.render_index(catalog, base="../")
    (img,) = find(parse(html), "img")
    assert img.attrs["src"] == "../artifacts/shots/v2/card.webp?v=00000000", "the card image, not the share-size poster"
    assert (img.attrs["width"], img.attrs["height"]) == ("480", "270")
    assert img.attrs["loading"] == "lazy" and img.attrs["decoding"] == "async" and img.attrs["alt"] == ""
    assert '<span class="hg-initials">S</span>' in html, "the gradient stays under the picture while it loads"
    data = data_of(catalog)
    assert data["poster"] == [[480, 270, "card.webp?v=00000000"]] and data["latest"] == ["v2"]
    assert data["artifactsUrl"] == "", "under the site root"


def test_card_image_urls_follow_the_artifact_origin() -> None:
    catalog = with_media(medium("card", "card.webp"))
    origin = ArtifactOrigin("https://demos.example.com/")
    (img,) = find(parse(gallery.render_index(catalog, base="../", origin=origin)), "img")
    assert img.attrs["src"] == "https://demos.example.com/artifacts/shots/v2/card.webp?v=00000000"
    assert data_of(catalog, origin)["artifactsUrl"] == "https://demos.example.com/"
    own = with_media(medium("card", "card.webp", url="https://media.example.com/ab/card.webp"))
    (img,) = find(parse(gallery.render_index(own, base="../", origin=origin)), "img")
    assert img.attrs["src"] == "https://media.example.com/ab/card.webp", "a medium's own URL wins"
    assert data_of(own, origin)["poster"] == [[640, 400, "card.webp?v=00000000", "https://media.example.com/ab/card.webp"]]


def test_cards_without_a_card_image_keep_the_monogram() -> None:
    only_video = with_media(medium("video", "video.mp4"), medium("poster", "poster.webp"))
    assert "<img" not in gallery.render_index(only_video, base="")
    unlisted_latest = with_media(medium("card", "card.webp"), unlisted=True)
    html = gallery.render_index(unlisted_latest, base="")
    assert "<img" not in html and "card.webp" not in html, "an unlisted version's files are never named"


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


# --- index pages ----------------------------------------------------------------------------------


def many(count: int, *, unlisted_every: int = 0) -> Catalog:
    """``count`` one-version threads ``t00000``..; every ``unlisted_every``-th one unlisted."""
    return Catalog(threads=tuple(
        thread(f"t{i:05d}", f"Demo {i}", (version("v1", day=1),), tags=(f"tag{i % 40}",),
               unlisted=bool(unlisted_every) and i % unlisted_every == 0)
        for i in range(count)))


def card_ids(html: str) -> list[str]:
    return [card.attrs["data-hg-id"] for card in find(parse(html), "li", cls="hg-card")]


@pytest.mark.parametrize(("listed", "pages"), [(0, 1), (1, 1), (48, 1), (49, 2), (96, 2), (97, 3)])
def test_page_count(listed: int, pages: int) -> None:
    assert gallery.PAGE_SIZE == 48
    assert gallery.page_count(many(listed)) == pages


def test_index_pages_list_every_listed_thread_once() -> None:
    catalog = many(150, unlisted_every=7)
    pages = gallery.page_count(catalog)
    assert pages == 3  # 128 listed
    seen: list[str] = []
    for number in range(1, pages + 1):
        ids = card_ids(gallery.render_index(catalog, base="", page=number))
        assert 0 < len(ids) <= gallery.PAGE_SIZE
        seen += ids
    assert seen == [t.id for t in gallery.gallery_order(catalog.listed)], "each listed thread once, in order"
    assert not {t.id for t in catalog.threads if t.unlisted} & set(seen)
    with pytest.raises(ValueError, match="1 to 3"):
        gallery.render_index(catalog, base="", page=4)


def pager_hrefs(html: str) -> dict[str, str]:
    """The pager's links by label (``1``, ``2``, .., ``prev``, ``next``)."""
    nav = html[html.index("data-hg-pager>"):]
    nav = nav[:nav.index("</nav>")]
    links = {e.attrs.get("rel") or "": e.attrs["href"] for e in find(parse(nav), "a") if "href" in e.attrs}
    labels = re.findall(r'<a class="hg-page" href="([^"]+)">(\d+)</a>', nav)
    return {**{label: href for href, label in labels}, **{k: v for k, v in links.items() if k}}


def test_pager_links_are_plain_links_to_the_other_pages() -> None:
    catalog = many(48 * 20)
    first = gallery.render_index(catalog, base="../", page=1)
    assert pager_hrefs(first) == {"2": "../gallery/page/2/", "3": "../gallery/page/3/", "20": "../gallery/page/20/",
                                  "next": "../gallery/page/2/"}
    assert 'aria-current="page">1</a>' in first
    assert "Demos 1\u201348 of 960 · page 1 of 20" in first
    middle = gallery.render_index(catalog, base="../../../", page=10)
    assert pager_hrefs(middle) == {
        "1": "../../../gallery/", **{str(n): f"../../../gallery/page/{n}/" for n in (8, 9, 11, 12, 20)},
        "prev": "../../../gallery/page/9/", "next": "../../../gallery/page/11/"}
    assert middle.count('class="hg-page-gap"') == 2
    last = gallery.render_index(catalog, base="../../../", page=20)
    assert "next" not in pager_hrefs(last) and pager_hrefs(last)["prev"] == "../../../gallery/page/19/"
    assert "Demos 913\u2013960 of 960" in last
    assert "data-hg-pager" not in gallery.render_index(many(48), base=""), "one page needs no pager"


def test_index_pages_stay_small_whatever_the_number_of_threads() -> None:
    small, large = gallery.render_index(many(100), base=""), gallery.render_index(many(5000), base="")
    assert len(large) < len(small) + 400, "a few more pager links, no more cards"


def test_many_more_tags_are_left_to_the_data_file() -> None:
    threads = tuple(thread(f"t{i:03d}", f"Thread {i}", (version("v1", day=1),), tags=(f"tag{i:03d}",))
                    for i in range(200))
    html = gallery.render_index(Catalog(threads=threads), base="")
    more = html[html.index('<details class="hg-more-tags"'):]
    more = more[:more.index("</details>")]
    assert "data-hg-more-lazy" in more and "176 more tags" in more
    assert more.count("data-hg-tag=") == 0
    assert html.count("data-hg-tag=") == gallery.FEATURED_TAGS


def test_write_standalone_writes_every_index_page(tmp_path: Path) -> None:
    catalog = many(100, unlisted_every=50)
    written = gallery.write_standalone(tmp_path, catalog)
    assert written[:3] == ["gallery/index.html", "gallery/page/2/index.html", "gallery/page/3/index.html"]
    page3 = (tmp_path / "gallery/page/3/index.html").read_text()
    assert "<title>Gallery · page 3 of 3</title>" in page3
    assert card_ids(page3) == [t.id for t in catalog.listed[96:]]
    assert 'href="../../../gallery/t00099/"' in page3 and 'href="../../../gallery/page/2/"' in page3
    data_path, _ = gallery.index_data(catalog)
    assert f'data-hg-data="../../../{data_path}"' in page3
    assert (tmp_path / data_path).is_file()


def test_index_facts_are_made_once_per_catalog_and_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build renders hundreds of index pages of one catalog: the tags and the data file are made once."""
    made: list[int] = []
    real = gallery.data_file

    def counted(*args: Any, **kwargs: Any) -> tuple[str, bytes]:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(gallery, "data_file", counted)
    catalog = many(300)
    for number in range(1, gallery.page_count(catalog) + 1):
        gallery.render_index(catalog, base="", page=number)
    gallery.search_index_html(catalog)
    gallery.index_data(catalog, origin=ArtifactOrigin("https://demos.example.com"))
    gallery.render_index(catalog, base="", page=2)
    assert len(made) == 2, "once for the site, once for the artifact origin"
    gallery.render_index(many(300), base="")
    assert len(made) == 3, "an equal but new catalog (the next build) is made again"
    on_r2 = many(300)
    gallery.render_index(on_r2, base="", origin=ArtifactOrigin("https://demos.example.com"))
    gallery.search_index_html(on_r2)
    assert len(made) == 4, "the site search's text needs the tags, not a data file for the site's own origin"


def test_search_text_of_later_index_pages_is_empty() -> None:
    catalog = many(100)
    assert gallery.search_page_html(catalog, 1) == gallery.search_index_html(catalog)
    assert gallery.search_page_html(catalog, 2) == ""


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


def media_thread(origin_media_url: str | None = None) -> ThreadEntry:
    """Latest ``v2`` with every medium; ``v1`` with a hover preview and a card image only; ``v0`` with none."""
    return thread("shots", "Shots", (
        version("v2", day=3, media=(medium("poster", "poster.webp", width=1200, height=630),
                                    medium("card", "card.webp", width=480, height=300),
                                    medium("preview", "preview.mp4", width=480, height=300, duration=4.0),
                                    medium("video", "video.mp4", width=1280, height=800, duration=72.4,
                                           url=origin_media_url))),
        version("v1", day=2, media=(medium("card", "card.webp"), medium("preview", "preview.mp4"))),
        version("v0", day=1),
    ))


def videos(html: str) -> list[Element]:
    return find(parse(html), "video")


def test_thread_page_shows_posters_hover_previews_and_the_video() -> None:
    html = gallery.render_thread(media_thread(), base="../../")
    header, recording, v1_hover = videos(html)
    # The latest version's hover preview is the page's tile, showing its poster until it plays.
    assert header.attrs["src"] == "../../artifacts/shots/v2/preview.mp4?v=00000000"
    assert header.attrs["poster"] == "../../artifacts/shots/v2/poster.webp?v=00000000"
    assert header.attrs["tabindex"] == "0", "focus plays it too"
    # v1 (its live preview waits for a click) shows its own loop in the placeholder.
    assert v1_hover.attrs["src"] == "../../artifacts/shots/v1/preview.mp4?v=00000000"
    # no share poster: the card image
    assert v1_hover.attrs["poster"] == "../../artifacts/shots/v1/card.webp?v=00000000"
    for clip in (header, v1_hover):
        assert {"muted", "loop", "playsinline", "data-hg-hover"} <= set(clip.attrs)
        assert clip.attrs["preload"] == "none" and "controls" not in clip.attrs
    assert v1_hover.attrs["class"] == "hg-hover"
    assert html.index("v1/preview.mp4") > html.index('id="v-v1"')
    # The full recording: controls, nothing loaded but its poster.
    assert recording.attrs["src"] == "../../artifacts/shots/v2/video.mp4?v=00000000"
    assert recording.attrs["poster"] == "../../artifacts/shots/v2/poster.webp?v=00000000"
    assert "controls" in recording.attrs and recording.attrs["preload"] == "none"
    assert (recording.attrs["width"], recording.attrs["height"]) == ("1280", "800")
    assert "Recording (1:12)" in html
    assert "autoplay" not in html, "nothing plays by itself"
    v0 = html[html.index('id="v-v0"'):]
    assert "<video" not in v0, "a version without media stays as it was"


def test_thread_media_urls_follow_the_artifact_origin() -> None:
    origin = ArtifactOrigin("https://demos.example.com")
    html = gallery.render_thread(media_thread("https://media.example.com/v.mp4"), base="../../", origin=origin)
    srcs = [clip.attrs["src"] for clip in videos(html)]
    assert srcs == ["https://demos.example.com/artifacts/shots/v2/preview.mp4?v=00000000", "https://media.example.com/v.mp4",
                    "https://demos.example.com/artifacts/shots/v1/preview.mp4?v=00000000"]


def test_thread_page_without_media_is_as_before(catalog: Catalog) -> None:
    html = gallery.render_thread(catalog.thread("alpha-clock"), base="../../")
    assert "<video" not in html and "<img" not in html
    assert '<span class="hg-initials">AC</span>' in html


def test_thread_page_tile_shows_the_poster_without_a_hover_preview() -> None:
    entry = thread("p", "P", (version("v1", day=1, media=(medium("poster", "poster.webp"),
                                                          medium("card", "card.webp"))),))
    (img,) = find(parse(gallery.render_thread(entry, base="")), "img")
    assert img.attrs["src"] == "artifacts/p/v1/poster.webp?v=00000000"


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
    data_path, data = gallery.index_data(catalog)
    assert written == [
        "gallery/index.html",
        data_path,
        "gallery/alpha-clock/index.html",
        "gallery/evil/index.html",
        "gallery/pinned/index.html",
        "gallery/zeta-notes/index.html",
        "gallery/assets/gallery.css",
        "gallery/assets/gallery.js",
        "index.html",
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
    assert tree[data_path] == data
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


def expect_cards(page: Page, ids: list[str]) -> None:
    """Wait until the visible cards are ``ids`` (the first filter waits for the data file)."""
    script = ("ids => JSON.stringify([...document.querySelectorAll('li.hg-card')].filter(c => !c.hidden)"
              ".map(c => c.dataset.hgId)) === JSON.stringify(ids)")
    try:
        page.wait_for_function(script, arg=ids, timeout=5_000)
    finally:
        assert visible_card_ids(page) == ids


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
            expect_cards(page, ["pinned", "alpha-clock", "evil", "zeta-notes"])
            page.screenshot(path=str(shots / "index-desktop.png"), full_page=True)

            page.fill("[data-hg-query]", "CLOCK")
            expect_cards(page, ["alpha-clock"])
            assert page.text_content("[data-hg-status]") == "1 of 4 demos"
            page.fill("[data-hg-query]", "no such demo")
            expect_cards(page, [])
            assert page.is_visible("[data-hg-empty]")
            page.click("[data-hg-clear]")
            expect_cards(page, ["pinned", "alpha-clock", "evil", "zeta-notes"])
            assert not page.is_visible("[data-hg-empty]")

            react = page.locator("[data-hg-filters] button.hg-chip", has_text="react")
            react.click()
            expect_cards(page, ["alpha-clock", "evil"])
            assert react.get_attribute("aria-pressed") == "true"
            assert "tag=react" in page.url
            page.locator("[data-hg-filters] button.hg-chip", has_text='say "hi"').click()
            expect_cards(page, ["evil"])
            page.fill("[data-hg-query]", "alpha")
            expect_cards(page, [])
            page.click("[data-hg-clear]")

            # A filtered URL restores its filter.
            page.goto(served_site + "gallery/?tag=canvas")
            page.wait_for_selector("[data-hg-filters]:not([hidden])")
            expect_cards(page, ["pinned"])

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
