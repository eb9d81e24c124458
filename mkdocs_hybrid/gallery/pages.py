"""The gallery: an index of listed threads and one page per thread.

The fragments returned by :func:`render_index` and :func:`render_thread` are
plain HTML (no Markdown) that the MkDocs plugin drops into pages kept out of
the nav; :func:`write_standalone` wraps the same fragments in a minimal layout
for use without MkDocs. Every link is prefixed with ``base`` (the relative URL
from the page to the site root) so the gallery works in any subfolder and on
any static host.

The index is paged: ``gallery/`` shows the first :data:`PAGE_SIZE` cards and
``gallery/page/{n}/`` the others, plain pages that work without JavaScript.
With JavaScript, ``gallery.js`` filters every thread from one data file
(:func:`index_data`, ``gallery/threads.{hash}.json``), fetched on the first
filter, so an index page stays the same size at any number of threads.

What a card or a version shows is made in :mod:`.cards`; this module pages, renders, caches and writes.

Site layout read here (its names are :mod:`mkdocs_hybrid.model.layout`'s): ``artifacts/{thread}/{version}/page.html``
(and the version's media files), ``p/{thread}/{version}/``, ``p/{thread}/latest/``, ``gallery/``,
``gallery/page/{n}/``, ``gallery/{thread}/``; the standalone site's root ``index.html`` leads to ``gallery/``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from markupsafe import Markup, escape

from mkdocs_hybrid.edge.sandbox import SAME_SITE, ArtifactOrigin
from mkdocs_hybrid.gallery import cards, diffs, social
from mkdocs_hybrid.gallery import data as data_module
from mkdocs_hybrid.gallery.cards import (
    TagChip,
    data_row,
    share_link,
    shown_date,
    tag_chips,
    thread_card,
    thread_poster,
    version_view,
    visible_tags,
    visible_versions,
)
from mkdocs_hybrid.gallery.data import data_file
from mkdocs_hybrid.gallery.kept import KeptPages, code_digest
from mkdocs_hybrid.gallery.streaming import StreamingTemplate, stream_assets, stream_version
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry
from mkdocs_hybrid.model.files import StatIndex, write_if_changed
from mkdocs_hybrid.model.layout import ASSETS, GALLERY, GALLERY_PAGES, LATEST, SHARE
from mkdocs_hybrid.templates import environment, template_digest, template_dir

__all__ = [
    "PAGE_SIZE",
    "asset_files",
    "gallery_order",
    "index_data",
    "index_page_title",
    "page_count",
    "page_path",
    "reload_assets",
    "render_index",
    "render_root_page",
    "render_thread",
    "search_index_html",
    "search_page_html",
    "search_thread_html",
    "write_standalone",
]

ASSET_NAMES = ("gallery.css", "gallery.js")
"""Files of ``site_template/assets/`` that belong to the gallery."""

ASSET_PREFIX = f"{GALLERY}/{ASSETS}/"
"""Where the gallery's assets go, relative to the site root."""

FEATURED_TAGS = 24
"""Tag chips shown up front in the index filter; the rest sit behind "more tags"."""

MORE_TAGS_INLINE = 60
"""Up to this many tags behind "more tags" are in the page; beyond, ``gallery.js`` draws them from the data
file when "more tags" is opened (thousands of chips would outweigh the cards)."""

PAGE_SIZE = 48
"""Cards per index page (a multiple of 2, 3 and 4: full rows in every grid width)."""

PAGER_WINDOW = 2
"""Page links shown on each side of the current page, besides the first and the last."""

ROOT_META_NAME = "mkdocs-hybrid-root"
"""The standalone root page's ``<meta>``: what tells our ``index.html`` from a home page of the site's own."""


@dataclass(frozen=True)
class PagerLink:
    """One entry of an index page's pager: a page number (``url`` ``None`` for the current page) or a gap."""

    label: str
    url: str | None
    current: bool = False


@dataclass(frozen=True)
class Pager:
    """Links between the index pages (plain links: they are the gallery without JavaScript)."""

    page: int
    pages: int
    first: int
    """1-based position of this page's first card (0 when there are no cards)."""
    last: int
    links: tuple[PagerLink, ...]
    previous_url: str | None
    next_url: str | None


# --- small helpers ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _asset_version(assets: tuple[tuple[str, bytes], ...]) -> str:
    """A short content hash appended to asset URLs so a changed stylesheet is never served stale.

    Cached by content: every page of a build (and every build of a process, while
    the files stay the same) hashes the assets once.
    """
    digest = hashlib.sha256()
    for name, content in assets:
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()[:10]


def _asset_urls(base: str) -> dict[str, str]:
    version = _asset_version(_read_assets())
    return {
        "css_url": f"{base}{ASSET_PREFIX}gallery.css?v={version}",
        "js_url": f"{base}{ASSET_PREFIX}gallery.js?v={version}",
    }


# --- index -----------------------------------------------------------------------------------


@dataclass
class _IndexFacts:
    """What every index page of one build shares: made once per catalog, not once per page."""

    threads: tuple[ThreadEntry, ...]
    chips: list[TagChip]
    data_files: dict[str | None, tuple[str, bytes]] = field(default_factory=dict)
    """The filter's data file by artifact origin URL: only its ``artifactsUrl`` depends on the origin."""

    def data_file(self, origin: ArtifactOrigin) -> tuple[str, bytes]:
        """``(path, bytes)`` of the data file for pages that load card images from ``origin``."""
        if origin.url not in self.data_files:
            rows = [data_row(thread) for thread in self.threads]
            self.data_files[origin.url] = data_file(rows, [chip.name for chip in self.chips], page_size=PAGE_SIZE,
                                                    featured=FEATURED_TAGS, artifacts_url=origin.url)
        return self.data_files[origin.url]


_facts_cache: dict[int, tuple[Catalog, _IndexFacts]] = {}


def gallery_order(threads: tuple[ThreadEntry, ...]) -> tuple[ThreadEntry, ...]:
    """The index's order, "newest": the thread whose newest shown version is most recent first, undated threads
    last, ties by id (the catalog's order, kept by the stable sort). ``gallery.js`` re-sorts from it."""
    def newest(thread: ThreadEntry) -> str:
        return max((version.created for version in visible_versions(thread) if version.created), default="")

    return tuple(sorted(threads, key=newest, reverse=True))


def _index_facts(catalog: Catalog) -> _IndexFacts:
    """The catalog's index facts, cached by identity: a build renders hundreds of pages of one catalog, and
    hashing a 10,000-thread catalog by value would cost more than the pages (the cached catalog is held, so its
    ``id`` cannot be reused while it is a key)."""
    cached = _facts_cache.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    listed = gallery_order(catalog.listed)
    facts = _IndexFacts(threads=listed, chips=tag_chips(visible_tags(thread) for thread in listed))
    _facts_cache.clear()  # one build's catalog at a time
    _facts_cache[id(catalog)] = (catalog, facts)
    return facts


def page_count(catalog: Catalog) -> int:
    """How many index pages the gallery has (one, empty, without listed threads)."""
    return max(1, -(-len(catalog.listed) // PAGE_SIZE))


def page_path(page: int) -> str:
    """Site-relative URL of an index page: ``gallery/`` for the first, ``gallery/page/{n}/`` for the others."""
    return f"{GALLERY}/" if page == 1 else f"{GALLERY}/{GALLERY_PAGES}/{page}/"


def index_data(catalog: Catalog, *, origin: ArtifactOrigin = SAME_SITE) -> tuple[str, bytes]:
    """The filter's data file: ``(path relative to the site root, bytes)``; write it once per build."""
    return _index_facts(catalog).data_file(origin)


def _pager_numbers(page: int, pages: int) -> list[int | None]:
    """The first and last pages and a window around ``page``; ``None`` where pages are left out."""
    shown = sorted({1, pages, *range(max(1, page - PAGER_WINDOW), min(pages, page + PAGER_WINDOW) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def _pager(page: int, pages: int, total: int, base: str) -> Pager:
    def url(number: int) -> str:
        return base + page_path(number)

    links = tuple(PagerLink("…", None) if number is None else
                  PagerLink(str(number), None if number == page else url(number), current=number == page)
                  for number in _pager_numbers(page, pages))
    first = (page - 1) * PAGE_SIZE
    return Pager(page=page, pages=pages, first=first + 1 if total else 0, last=min(first + PAGE_SIZE, total),
                 links=links, previous_url=url(page - 1) if page > 1 else None,
                 next_url=url(page + 1) if page < pages else None)


def render_index(catalog: Catalog, *, base: str, site_url: str | None = None, origin: ArtifactOrigin = SAME_SITE,
                 page: int = 1) -> str:
    """HTML fragment of one gallery index page: :data:`PAGE_SIZE` cards, a pager, and the filter.

    ``page`` counts from 1 (``gallery/``); :func:`page_count` says how many there are. ``site_url`` is accepted
    for symmetry with :func:`render_thread`; the index only links within the site, so relative links are all
    it needs. ``origin`` is where card images are served from.
    """
    pages = page_count(catalog)
    if not 1 <= page <= pages:
        raise ValueError(f"the gallery has index pages 1 to {pages}, not {page}")
    facts = _index_facts(catalog)
    shown = facts.threads[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    more = facts.chips[FEATURED_TAGS:]
    template = environment().get_template("gallery_index.html")
    return template.render(
        cards=[thread_card(thread, base=base, origin=origin) for thread in shown],
        total=len(facts.threads),
        pager=_pager(page, pages, len(facts.threads), base),
        featured_tags=facts.chips[:FEATURED_TAGS],
        more_tags=more if len(more) <= MORE_TAGS_INLINE else [],
        more_count=len(more),
        base=base,
        data_url=base + facts.data_file(origin)[0],
        gallery_url=f"{base}{GALLERY}/",
        **_asset_urls(base),
    )


# --- thread page -----------------------------------------------------------------------------


def _tag_filter_url(gallery_url: str, tag: str) -> str:
    return f"{gallery_url}?tag={quote(tag, safe='')}"


class HtmlStore(Protocol):
    """Where rendered fragments are kept between builds (:class:`~mkdocs_hybrid.bundle.bundle_cache.BundleCache`)."""

    def get_html(self, key: str) -> str | None: ...

    def put_html(self, key: str, text: str) -> None: ...


def render_thread(thread: ThreadEntry, *, base: str, site_url: str | None = None,
                  store: HtmlStore | None = None, editor: bool = False, origin: ArtifactOrigin = SAME_SITE,
                  site_dir: Path | None = None) -> str:
    """HTML fragment of one thread's page: its versions newest first, with share links and previews, and with a
    ``site_dir`` each version's changes since the previous listed one (:mod:`.diffs`, from its ``source.json``).

    With a ``store``, a fragment made before from the same inputs is reused: the key covers the thread's whole
    entry, the arguments, the assets as this build read them, the templates, and this module's code (a version's
    ``source.json`` follows from its entry and ``editor``)."""
    if store is None:
        return _render_thread(thread, base=base, site_url=site_url, editor=editor, origin=origin, site_dir=site_dir)
    inputs = [repr(thread), base, site_url, editor, origin.url, _asset_version(_read_assets()), _renderer_digest()]
    key = hashlib.sha256(json.dumps(inputs + ([True] if site_dir else [])).encode()).hexdigest()
    fragment = store.get_html(key)
    if fragment is None:
        fragment = _render_thread(thread, base=base, site_url=site_url, editor=editor, origin=origin,
                                  site_dir=site_dir)
        store.put_html(key, fragment)
    return fragment


@cache
def _renderer_digest() -> str:
    """What a fragment depends on besides its arguments: the site templates and assets, this module and the one
    that makes its views."""
    code = "".join(Path(path or "").read_text(encoding="utf-8") for path in (__file__, cards.__file__, diffs.__file__))
    return hashlib.sha256((template_digest() + code + stream_version()).encode()).hexdigest()


def _render_thread(thread: ThreadEntry, *, base: str, site_url: str | None, editor: bool,
                   origin: ArtifactOrigin, site_dir: Path | None = None) -> str:
    gallery_url = f"{base}{GALLERY}/"
    versions = [version_view(thread, v, base=base, site_url=site_url, editor=editor, origin=origin)
                for v in visible_versions(thread)]
    template = StreamingTemplate(environment().get_template("gallery_thread.html"), thread, base)
    changes = diffs.thread_changes(site_dir, thread) if site_dir else {}
    return _THREAD_START + diffs.splice_changes(template.render(
        thread=thread,
        tags=[(tag, _tag_filter_url(gallery_url, tag)) for tag in thread.tags],
        created=shown_date(thread.created),
        poster=thread_poster(thread, "poster", "card", base=base, origin=origin),
        latest_hover=next((v.hover for v in versions if v.is_latest), None),
        versions=versions,
        latest_link=share_link(f"{SHARE}/{thread.id}/{LATEST}/", base=base, site_url=site_url),
        gallery_url=gallery_url,
        sandbox=origin.sandbox,
        **_asset_urls(base),
    ), thread, changes, base=base, origin=origin) + _THREAD_END


# --- search entries ---------------------------------------------------------------------------


def _paragraphs(*lines: str) -> str:
    return "".join(f"<p>{escape(line)}</p>\n" for line in lines if line)


def search_index_html(catalog: Catalog) -> str:
    """What a site search indexes for the gallery index: its size and main tags, not every card.

    Each thread page has its own entry, so the index's stays the same size at any number of threads.
    """
    facts = _index_facts(catalog)
    tags = [chip.name for chip in facts.chips[:FEATURED_TAGS]]
    count = f"{len(facts.threads)} {'demo' if len(facts.threads) == 1 else 'demos'}, filtered by title, tag or id."
    return _paragraphs(count, "Tags: " + ", ".join(tags) if tags else "")


def search_page_html(catalog: Catalog, page: int) -> str:
    """What a site search indexes for an index page: the first page's text, nothing for the others.

    The other pages list threads that have their own entries; an empty text leaves them one line (their
    title) in MkDocs' search, and Material's leaves them out (``search: exclude`` in their front matter).
    """
    return search_index_html(catalog) if page == 1 else ""


SEARCH_THREAD_PAGES = 1_000
"""Up to this many listed threads, each thread page has its own site-search entry. Beyond it they have none: a
theme's search loads the whole index on every page (about 200 KB gzipped at 10,000 threads, more than the
gallery's whole first load), and the gallery's own filter already searches every thread by title, tag and id."""


def unsearched_thread_pages(catalog: Catalog) -> set[str]:
    """The thread pages (``gallery/{id}/``) left out of the site search (:data:`SEARCH_THREAD_PAGES`)."""
    listed = catalog.listed
    return {f"{GALLERY}/{thread.id}/" for thread in listed} if len(listed) > SEARCH_THREAD_PAGES else set()


def search_thread_html(thread: ThreadEntry) -> str:
    """What a site search indexes for a thread page (its title is the page's): description, tags and id."""
    tags = visible_tags(thread)
    return _paragraphs(thread.description or "", "Tags: " + ", ".join(tags) if tags else "", f"Thread: {thread.id}")


# --- assets and standalone output --------------------------------------------------------------


def asset_files() -> dict[str, bytes]:
    """The gallery's static files: site-relative path -> bytes (read once per build, see :func:`reload_assets`)."""
    return dict(_read_assets())


def reload_assets() -> None:
    """Read the asset files (and the templates behind cached fragments) again on next use: call it when a
    build starts (``mkdocs serve`` rebuilds)."""
    _read_assets.cache_clear()
    _renderer_digest.cache_clear()


@cache
def _read_assets() -> tuple[tuple[str, bytes], ...]:
    """The asset files, sorted by site-relative path."""
    assets = template_dir() / "assets"
    return tuple((ASSET_PREFIX + name, (assets / name).read_bytes()) for name in sorted(ASSET_NAMES))


def _standalone_page(title: str, fragment: str, head: str = "") -> bytes:
    template = environment().get_template("gallery_standalone.html")
    # The fragment and the head were rendered (and escaped) by our own code: mark them safe, once.
    return template.render(title=title, content=Markup(fragment), head=Markup(head)).encode()


def _write(site_dir: Path, relative: str, content: bytes) -> str:
    write_if_changed(site_dir / relative, content)  # an unchanged file keeps its stat (the redeploy reads it)
    return relative


def index_page_title(page: int, pages: int) -> str:
    """``Gallery``, then ``Gallery · page 2 of 9``."""
    return "Gallery" if page == 1 else f"Gallery · page {page} of {pages}"


def write_standalone(site_dir: Path, catalog: Catalog, *, site_url: str | None = None,
                     editor: bool = False, origin: ArtifactOrigin = SAME_SITE, index: StatIndex | None = None
                     ) -> list[str]:
    """Write the gallery without MkDocs: the index pages, the filter's data file, one page per listed thread,
    the assets, and the site's root ``index.html``, which leads to the gallery (unless the site has its own).

    Returns the paths, relative to ``site_dir``, in writing order. The bytes depend only on the catalog,
    ``site_url`` and the templates; with an ``index``, pages whose inputs and files are as the last build left
    them are not rendered again (:mod:`.kept`), and a page is written only when its bytes change.
    """
    listed = catalog.listed
    salt = repr((site_url, editor, origin, _asset_version(_read_assets()), _renderer_digest(),
                 code_digest(social.__file__, data_module.__file__)))
    kept = KeptPages(site_dir, index, salt)
    keys = [hashlib.sha256(repr(thread).encode()).hexdigest() for thread in listed]
    group = hashlib.sha256("".join(keys).encode()).hexdigest()
    paths = kept.current(group)
    if paths is None:
        pages: dict[str, bytes] = {}
        count = page_count(catalog)
        for number in range(1, count + 1):
            path = page_path(number)
            fragment = render_index(catalog, base="../" * path.count("/"), site_url=site_url, origin=origin,
                                    page=number)
            pages[path + "index.html"] = _standalone_page(index_page_title(number, count), fragment)
        data_path, data = index_data(catalog, origin=origin)
        pages[data_path] = data
        kept.write(group, pages, group=True)
        paths = list(pages)
    for thread, key in zip(listed, keys):
        paths.append(thread_page_path(thread.id))
        kept.render(key, paths[-1], partial(standalone_thread_page, thread, site_url=site_url, editor=editor,
                                            origin=origin, site_dir=site_dir))
    rest = dict(sorted({**asset_files(), **stream_assets(listed)}.items()))
    if _root_is_ours(site_dir):  # last: the page it leads to is written first
        rest["index.html"] = render_root_page()
    return paths + [_write(site_dir, relative, content) for relative, content in rest.items()]


_THREAD_START = "<!--mkdocs-hybrid:thread-->"
_THREAD_END = "<!--/mkdocs-hybrid:thread-->"
"""Around every thread fragment: a publication splices a new one into a thread page a site generator made."""


def splice_thread(page: bytes, fragment: str) -> bytes | None:
    """``page`` (a thread page MkDocs made, around an older fragment) with ``fragment`` (from :func:`render_thread`)
    in place of the old one, marked again for the next splice; ``None`` for a standalone page (render it whole)
    or a page without exactly one fragment."""
    if b'<body class="hg-standalone">' in page or page.count(_THREAD_START.encode()) != 1:
        return None
    head, _, rest = page.partition(_THREAD_START.encode())
    if rest.count(_THREAD_END.encode()) != 1:
        return None
    inner = fragment.removeprefix(_THREAD_START).removesuffix(_THREAD_END)
    return head + f"{_THREAD_START}{inner}{_THREAD_END}".encode() + rest.partition(_THREAD_END.encode())[2]


def thread_page_path(thread_id: str) -> str:
    """``gallery/{thread}/index.html``: a thread's page, site-relative."""
    return f"{GALLERY}/{thread_id}/index.html"


def standalone_thread_page(thread: ThreadEntry, *, site_url: str | None = None, editor: bool = False,
                           origin: ArtifactOrigin = SAME_SITE, site_dir: Path | None = None) -> bytes:
    """One thread's page as :func:`write_standalone` writes it (``publish-version`` writes it alone)."""
    fragment = render_thread(thread, base="../../", site_url=site_url, editor=editor, origin=origin,
                             site_dir=site_dir)
    head = social.thread_head(thread, site_url=site_url, origin=origin)
    return _standalone_page(f"{thread.title} · Gallery", fragment, head)


def render_root_page() -> bytes:
    """The site's ``index.html``: a small page that leads to the gallery at once (``<meta http-equiv=refresh>``
    and a link), relative so that it works on any static host, under a subpath and on ``file://``."""
    # index.html spelled out: on file:// a folder URL opens a listing, not the folder's page.
    return environment().get_template("site_root.html").render(
        root_meta_name=ROOT_META_NAME, gallery_url=page_path(1) + "index.html").encode()


def _root_is_ours(site_dir: Path) -> bool:
    """Whether the root ``index.html`` may be written: there is none, or an earlier build wrote it (a site's own
    home page, from MkDocs or by hand, stays)."""
    path = site_dir / "index.html"
    if not path.exists():
        return True
    return f'<meta name="{ROOT_META_NAME}"'.encode() in path.read_bytes()[:2048]
