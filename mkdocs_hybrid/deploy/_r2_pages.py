"""Share pages and thread pages as artifact store objects (``deploy.artifacts: r2``): Pages files stay constant.

Pages allows 20,000 files per site on the free plan. With one share page per version (``p/{thread}/{version}/``)
and one thread page per thread (``gallery/{thread}/``) on Pages, a site outgrows it near 17,000 versions; in
this mode both are objects in the artifact store at their site paths, and the site's ``_worker.js``
(:mod:`mkdocs_hybrid.edge.worker`) serves them, through the ``ARTIFACTS`` R2 binding, for the paths the Pages
deployment does not hold. An unlisted version's share page (``p/_u/{token}/``) goes to the private store, as its
artifact does, and is served through the ``UNLISTED`` binding. Each listed thread's ``latest`` fallback page
(``p/{thread}/latest/index.html``, :func:`is_latest_page`) is an object too: the worker reads the version it
names from there, so a publisher moves ``latest`` with one PUT and no Pages deploy. Pages keeps the gallery index
pages, the editor and the site's own assets: its file count no longer grows with versions or threads.

These pages are made again by a build (a new template, a new version on the thread), so unlike a version's
published files they are replaced, never refused (:func:`is_site_page`). A replacement is a single PUT: R2 is
strongly consistent and writes an object whole, so a reader gets the old page or the new one, never a mix and
never a 404 in between (no delete first). The PUT carries ``If-Match`` with the ETag the deploy compared, so a
page another deploy or publish wrote meanwhile (perhaps listing a newer version) is never overwritten by an
older build: the deploy stops before Pages, naming the page, and a rerun compares again. Objects go up in
:func:`upload_rank` order, a share page after the artifacts it frames and a thread or latest page after the share
pages it links or names, so a page never points at a missing object; and the worker caches thread pages for
:data:`THREAD_PAGE_CACHE` only, so a replaced one is seen within a minute (share pages keep the immutable
caching that ``_headers`` gives them on Pages).

The signed history's files (:mod:`mkdocs_hybrid.history`) are objects too: each ``gallery/{thread}/history.json``,
``.well-known/mkdocs-hybrid-keys.json`` and the signed index ``.well-known/mkdocs-hybrid-history.json``
(:func:`is_history_file`). A publication appends records to its threads' histories and moves their entries in
the index, so these files change without a deploy like a thread page: replaced the same way (``If-Match``), never
cached (``no-cache``), uploaded after the pages (the keys with the thread pages, each ``history.json`` after them,
the index last of all, so it never names a record that is not online yet).
"""

from __future__ import annotations

import re

from mkdocs_hybrid.edge.headers import IMMUTABLE, NO_CACHE
from mkdocs_hybrid.edge.unlisted import TOKEN_HEX
from mkdocs_hybrid.edge.worker import THREAD_PAGE_CACHE
from mkdocs_hybrid.model.layout import (
    GALLERY,
    HISTORY_FILE,
    HISTORY_INDEX_PATH,
    HISTORY_KEYS_PATH,
    LATEST,
    SHARE,
    UNLISTED,
    WELL_KNOWN,
)
from mkdocs_hybrid.model.snapshot import ID_PATTERN

__all__ = ["PAGE_FOLDERS", "is_history_file", "is_latest_page", "is_share_page", "is_site_page", "is_thread_page",
           "page_cache_control", "upload_rank"]

PAGE_FOLDERS = (f"{SHARE}/", f"{GALLERY}/", f"{WELL_KNOWN}/")
"""Key prefixes the store lists to find the pages it already holds."""
_ID = ID_PATTERN.pattern
_SHARE_PAGE = re.compile(rf"{SHARE}/(?:{_ID})/({_ID})/index\.html")
_UNLISTED_PAGE = re.compile(rf"{SHARE}/{UNLISTED}/[0-9a-f]{{{TOKEN_HEX}}}/index\.html")
_THREAD_PAGE = re.compile(rf"{GALLERY}/{_ID}/index\.html")
_LATEST_PAGE = re.compile(rf"{SHARE}/{_ID}/{LATEST}/index\.html")
_HISTORY_FILE = re.compile(rf"{GALLERY}/{_ID}/{re.escape(HISTORY_FILE)}")


def is_share_page(name: str) -> bool:
    """``p/{thread}/{version}/index.html`` or an unlisted version's ``p/_u/{token}/index.html``."""
    match = _SHARE_PAGE.fullmatch(name)
    return (match is not None and match.group(1) != LATEST) or _UNLISTED_PAGE.fullmatch(name) is not None


def is_thread_page(name: str) -> bool:
    """``gallery/{thread}/index.html`` (the index's later pages are ``gallery/page/{n}/``: one level deeper)."""
    return _THREAD_PAGE.fullmatch(name) is not None


def is_latest_page(name: str) -> bool:
    """``p/{thread}/latest/index.html``: the page the worker reads a thread's latest version from."""
    return _LATEST_PAGE.fullmatch(name) is not None


def is_history_file(name: str) -> bool:
    """A thread's ``gallery/{thread}/history.json``, the keys or the signed index under ``.well-known/``."""
    return name in (HISTORY_KEYS_PATH, HISTORY_INDEX_PATH) or _HISTORY_FILE.fullmatch(name) is not None


def is_site_page(name: str) -> bool:
    """Whether the site file ``name`` is a page the artifact store holds in this mode (and may replace)."""
    return is_share_page(name) or is_thread_page(name) or is_latest_page(name) or is_history_file(name)


def page_cache_control(name: str) -> str:
    """The Cache-Control stored with a page object: what the worker answers with (and Pages would have)."""
    if is_latest_page(name) or is_history_file(name):
        # What _headers gives latest on Pages: it moves with every publish or pin, and the worker answers the
        # redirect no-cache too, so whoever reads the object itself (the bucket's public origin) revalidates.
        # A history moves with every publication as well: a verifier must see the records of what is served.
        return NO_CACHE
    return THREAD_PAGE_CACHE if is_thread_page(name) else IMMUTABLE


def upload_rank(name: str) -> int:
    """Upload order: artifacts (0), then share pages (1), then thread and latest pages and the history's keys (2),
    then each ``history.json`` (3), then the signed index (4), each phase done before the next: a latest page
    never names a version whose share page is not there yet, and the index never a record not online yet."""
    if name == HISTORY_INDEX_PATH:
        return 4
    if _HISTORY_FILE.fullmatch(name):
        return 3
    return 2 if is_thread_page(name) or is_latest_page(name) or name == HISTORY_KEYS_PATH \
        else 1 if is_share_page(name) else 0

