"""The site's layout in one place (no I/O): its folders and routes, and the names of an artifact folder's files.

An artifact folder (``artifacts/{thread}/{version}/``) holds what a version publishes and what each build makes
again from those bytes. Every stage that names one of these files or one of the site's folders takes the name
from here: the publisher and the ledger, the gallery, the edge, the media stage, the editor, serve and the deploy
targets. ``tests/test_layout.py`` fails when another module spells a folder name of :data:`FOLDERS`.
"""

from __future__ import annotations

PUBLISHED_FILES = ("page.html", "style.css", "meta.json")
"""What a version publishes: its demo page, its CSS and its record (the ledger keeps these bytes)."""
MEDIA_FILES = {"poster": "poster.webp", "card": "card.webp", "video": "video.mp4", "preview": "preview.mp4",
               "pdf": "demo.pdf"}
"""The file each kind of media is written as, by role (``pdf``: only with ``exports.pdf``)."""
OEMBED_FILE = "oembed.json"
EMAIL_FILE = "email.html"
"""The email-safe card of a version (only with ``exports.email``), listed in its ``meta.json`` under ``exports``."""
DERIVED_KINDS = {
    OEMBED_FILE: "mkdocs_hybrid.publish.oembed",
    "diff.html": "mkdocs_hybrid.publish.diff_file",
    EMAIL_FILE: "mkdocs_hybrid.publish.email_card",
}
"""The derived kinds, each a file name and the module that renders it (see :mod:`mkdocs_hybrid.publish.derived`):
a new kind is its module and one line here."""
HTML_DERIVED_KINDS = tuple(name for name in DERIVED_KINDS if name.endswith(".html"))
"""The derived kinds that are pages: Cloudflare Pages would answer their ``.html`` URL with a redirect."""
DERIVED_FILES = frozenset({*MEDIA_FILES.values(), *DERIVED_KINDS})
"""Files of an artifact folder made from its published bytes on every build (posters, videos, the oEmbed JSON):
not part of what the ledger publishes, so making them (or making them again) never changes a published version."""
SIGNED_FILES = (*PUBLISHED_FILES, *(name for role, name in MEDIA_FILES.items() if role != "pdf"))
"""The files a signed link may name: the demo files and the media (an unlisted version's poster and video are
in the private bucket too, reached the same way); not the PDF export (the edge worker's bytes stay as they were)."""

Parts = tuple[str, str]
"""A version's two path parts under ``artifacts/`` and ``p/``: its ids, or ``_u`` and its token when it is
unlisted (see ``edge/unlisted.py``); the callers that know whether it is pass them, the default is its ids."""

ARTIFACTS = "artifacts"
"""``artifacts/{thread}/{version}/``: a version's artifact folder (its demo, its record, its media)."""
SHARE = "p"
"""``p/{thread}/{version}/``: a version's share page, the link people are given."""
LATEST = "latest"
"""``p/{thread}/latest``: the route to a thread's newest version (so no thread or version may be called this)."""
LATEST_MAP = "_latest.json"
"""``p/_latest.json``: an earlier build's map of latest versions (the artifact store mode's, before its worker read
the per-thread ``latest`` pages from R2); the routes step removes it, nothing writes it."""
UNLISTED = "_u"
"""``artifacts/_u/{token}/`` and ``p/_u/{token}/``: where an unlisted version lives (see ``edge/unlisted.py``)."""
SIGNED = "s"
"""``s/{token}.{expiry}/{sig}/{file}``: a signed, expiring link to an unlisted version's file (``edge/signed.py``)."""
VENDOR = "vendor"
"""``vendor/{hash}.js``: npm packages bundled once and shared by every version (the bundle cache and the vendor
archive beside the ledger keep theirs in a folder of the same name)."""
GALLERY = "gallery"
"""``gallery/``: the index (``gallery/page/{n}/`` after the first page) and ``gallery/{thread}/`` per thread."""
GALLERY_PAGES = "page"
"""``gallery/page/{n}/``: the gallery index's second and later pages."""
EDITOR = "editor"
"""``editor/``: the Mode A editor page and its recipe."""
PREVIEW = "_preview"
"""``_preview/host.{hash}.html``: the editor's preview host on the artifact origin (``deploy.artifacts: r2``)."""
ASSETS = "assets"
"""``gallery/assets/`` and ``editor/assets/``: the gallery's and the editor's scripts and styles."""
WELL_KNOWN = ".well-known"
"""``.well-known/``: the site's fixed-path files (RFC 8615): the history's keys and signed index."""
HISTORY_FILE = "history.json"
"""``gallery/{thread}/history.json``: a listed thread's signed history, beside its thread page (mutable like it: a
version's own folders are immutable, and the thread page folder holds nothing a version id could name)."""
HISTORY_KEYS = "mkdocs-hybrid-keys.json"
"""``.well-known/mkdocs-hybrid-keys.json``: every public key that ever signed a history record (rotation keeps them)."""
HISTORY_INDEX = "mkdocs-hybrid-history.json"
"""``.well-known/mkdocs-hybrid-history.json``: the signed list of listed threads with each history's length and head."""
HISTORY_KEYS_PATH = f"{WELL_KNOWN}/{HISTORY_KEYS}"
"""The keys file's site path (what a build writes, the artifact store holds and ``verify`` reads)."""
HISTORY_INDEX_PATH = f"{WELL_KNOWN}/{HISTORY_INDEX}"
"""The signed index's site path."""
FOLDERS = frozenset({ARTIFACTS, SHARE, LATEST, UNLISTED, SIGNED, VENDOR, GALLERY, EDITOR, PREVIEW, WELL_KNOWN})
"""The site's folder and route names that only this module spells (``tests/test_layout.py`` checks the others)."""
SITE_ROOT = "../../../"
"""From an artifact folder (``artifacts/{thread}/{version}/``) or a share page (``p/{thread}/{version}/``) back to
the site root."""

LOCK_FILE = "hybrid-lock.json"
"""The project's npm lock, beside the manifest: the versions every dependency spec resolved to."""

HLS = "hls"
"""``artifacts/{thread}/{version}/hls/``: a long attached video's HLS ladder (``media/_hls.py``), made from the
attached file on every build like the other media (a derived folder: never part of what the ledger publishes)."""
HLS_DIGEST_CHARS = 16
"""Hex digits of the digest that names a ladder's folder (``hls/{digest}/``: 64 bits of its bytes' sha256)."""
HLS_MASTER = "master.m3u8"
"""``hls/{digest}/master.m3u8``: the master playlist pages play."""
HLS_PLAYLIST = "index.m3u8"
HLS_INIT = "init.mp4"
HLS_SEGMENTS = "seg-%05d.m4s"
"""``hls/{digest}/{height}p/index.m3u8``, ``init.mp4`` and ``seg-00000.m4s``...: one rendition (ffmpeg's
pattern)."""


def hls_ladder(digest: str) -> str:
    """The folder of the ladder whose bytes hash to ``digest``, in the artifact folder: ``hls/0123456789abcdef``.
    Every URL of a ladder is content-addressed by it, so its files can be cached for good (``media/_hls.py``)."""
    return f"{HLS}/{digest[:HLS_DIGEST_CHARS]}"


def hls_rung(height: int) -> str:
    """The folder of the rendition ``height`` pixels high, in its ladder's folder: ``720p``."""
    return f"{height}p"


def is_hls_file(name: str) -> bool:
    """Whether the site path ``name`` is a file of a version's ``hls/`` folder (``artifacts/.../hls/...``): its
    ladder or, with Cloudflare Stream, the Stream record."""
    parts = name.split("/")
    return len(parts) >= 5 and parts[0] == ARTIFACTS and parts[3] == HLS


def is_hls_ladder_file(name: str) -> bool:
    """Whether the site path ``name`` is in a content-addressed ladder folder (``artifacts/.../hls/{digest}/...``):
    its bytes never change under its name."""
    return is_hls_file(name) and len(name.split("/")) >= 6
