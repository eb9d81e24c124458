"""What the gallery shows of a thread and of its versions: the index's cards, tag chips and filter rows, and a
thread page's version views (pure: catalog entries in, frozen views out; :mod:`.pages` renders them).

Every link is prefixed with ``base``, the relative URL from the page to the site root; the site's folders are
the layout's (:mod:`mkdocs_hybrid.model.layout`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import escape

from mkdocs_hybrid.edge.sandbox import SAME_SITE, ArtifactOrigin, versioned_name
from mkdocs_hybrid.gallery import social
from mkdocs_hybrid.gallery.data import DataRow
from mkdocs_hybrid.model.catalog import ThreadEntry, VersionEntry
from mkdocs_hybrid.model.layout import ARTIFACTS, EDITOR, GALLERY, LATEST, SHARE

__all__ = [
    "Card",
    "Date",
    "Image",
    "Poster",
    "ShareLink",
    "TagChip",
    "VersionView",
    "Video",
    "data_row",
    "share_link",
    "shown_date",
    "tag_chips",
    "thread_card",
    "thread_poster",
    "version_view",
    "visible_tags",
    "visible_versions",
]

POSTER_PALETTES = 12
"""Number of gradient palettes in ``gallery.css`` (``.hg-poster--0`` .. ``--11``)."""

EMBED_HEIGHT = 480


@dataclass(frozen=True)
class Image:
    """A picture (or video) of a version, with its intrinsic size (no layout shift while it loads)."""

    url: str
    width: int
    height: int


@dataclass(frozen=True)
class Poster:
    """The card's picture: a deterministic gradient tile, or the latest version's image when one was made."""

    initials: str
    palette: int
    image: Image | None


@dataclass(frozen=True)
class Date:
    """A build-time date: ISO timestamp for ``<time datetime>``, ``YYYY-MM-DD`` to show."""

    iso: str
    label: str


@dataclass(frozen=True)
class Card:
    """One thread on the index page."""

    id: str
    title: str
    description: str | None
    tags: tuple[str, ...]
    version_count: int
    latest: str
    created: Date | None
    poster: Poster
    thread_url: str
    latest_url: str


@dataclass(frozen=True)
class TagChip:
    """One tag button of the index filter."""

    name: str
    count: int


@dataclass(frozen=True)
class ShareLink:
    """A link shown in a read-only field with a copy button.

    ``href`` is what the page links to; ``copy_url`` is absolute when the site
    URL is known, else the same relative URL, which ``gallery.js`` resolves
    against ``location.href``.
    """

    href: str
    copy_url: str


@dataclass(frozen=True)
class VersionView:
    """One version on its thread's page."""

    version: str
    title: str
    created: Date | None
    author: str | None
    tags: tuple[str, ...]
    is_latest: bool
    share: ShareLink
    preview_url: str
    preview_title: str
    preview_now: bool
    embed_src: str
    embed_snippet: str
    editor_url: str | None
    """``editor/?thread=T&version=V`` when the site publishes the editor (unlisted versions are never shown)."""
    hover: Video | None
    """The small silent loop (``preview`` medium): the page's tile for the latest version, and for the others the
    placeholder of their live preview, which waits for a click."""
    video: Video | None
    """The full recording (``video`` medium)."""
    poster: Image | None
    """The version's own picture (``poster`` medium, else ``card``): what its deferred preview shows until it is
    opened, over the thread's gradient (which shows only when the version has neither)."""


@dataclass(frozen=True)
class Video:
    """A version's video with the poster shown before it plays."""

    url: str
    width: int
    height: int
    poster_url: str | None
    duration: str | None
    """``0:12``: shown beside the full video's toggle."""
    stream_url: str | None = None
    """The full video's HLS master playlist, for a long attached video (``gallery/streaming.py`` plays it)."""



def share_link(path: str, *, base: str, site_url: str | None) -> ShareLink:
    href = base + path
    return ShareLink(href=href, copy_url=social.site_absolute(path, site_url) or href)


def shown_date(created: str | None) -> Date | None:
    """``2026-03-14T10:00:00Z`` -> shown as ``2026-03-14``: no locale, no "days ago"."""
    if not created:
        return None
    return Date(iso=created, label=created[:10])


def _initials(title: str, fallback: str) -> str:
    """Up to two letters or digits from the title's first words (the id's when it has none)."""
    words = re.findall(r"[^\W_]+", title) or re.findall(r"[^\W_]+", fallback)
    return "".join(word[0] for word in words[:2]).upper() or "?"


def _palette(thread_id: str) -> int:
    """A stable palette index: the same thread gets the same colours on every build."""
    return int.from_bytes(hashlib.sha256(thread_id.encode()).digest()[:4], "big") % POSTER_PALETTES


def _image(thread: ThreadEntry, version: VersionEntry, *roles: str, base: str,
           origin: ArtifactOrigin) -> Image | None:
    """The first of ``roles`` the version has a media file for, as an image (``None`` for none).

    An unlisted version's files sit under an unguessable path the gallery must not name: it shows none of them.
    """
    if version.unlisted:
        return None
    media = next((m for m in map(version.medium, roles) if m is not None), None)
    if media is None:
        return None
    return Image(url=origin.medium(base, thread.id, version.version, media), width=media.width,
                 height=media.height)


def thread_poster(thread: ThreadEntry, *roles: str, base: str, origin: ArtifactOrigin) -> Poster:
    """The thread's tile: the latest version's first media file of ``roles``, over its gradient and initials."""
    return Poster(initials=_initials(thread.title, thread.id), palette=_palette(thread.id),
                  image=_image(thread, thread.latest_entry, *roles, base=base, origin=origin))


def visible_versions(thread: ThreadEntry) -> tuple[VersionEntry, ...]:
    """Listed versions, newest first; the latest stays visible since ``p/{thread}/latest/`` shows it anyway."""
    return tuple(v for v in thread.versions if not v.unlisted or v.version == thread.latest)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def visible_tags(thread: ThreadEntry) -> tuple[str, ...]:
    """Thread tags, then tags of its visible versions (unlisted versions do not leak theirs)."""
    return _unique([*thread.tags, *(tag for v in visible_versions(thread) for tag in v.tags)])



def thread_card(thread: ThreadEntry, *, base: str, origin: ArtifactOrigin) -> Card:
    return Card(
        id=thread.id,
        title=thread.title,
        description=thread.description,
        tags=visible_tags(thread),
        version_count=len(visible_versions(thread)),
        latest=thread.latest,
        created=shown_date(thread.created),
        poster=thread_poster(thread, "card", base=base, origin=origin),
        thread_url=f"{base}{GALLERY}/{thread.id}/",
        latest_url=f"{base}{SHARE}/{thread.id}/{LATEST}/",
    )


def tag_chips(tag_sets: Iterable[tuple[str, ...]]) -> list[TagChip]:
    """Every tag with the number of cards (tag sets) carrying it: most used first, then by name."""
    counts = Counter(tag for tags in tag_sets for tag in tags)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))
    return [TagChip(name=name, count=count) for name, count in ordered]


def data_row(thread: ThreadEntry) -> DataRow:
    card = thread_card(thread, base="", origin=SAME_SITE)
    latest = thread.latest_entry
    media = latest.medium("card") if card.poster.image else None  # the card's own rule: none when unlisted
    return DataRow(id=card.id, title=card.title, description=card.description, tags=card.tags,
                   version_count=card.version_count, latest=card.latest,
                   created=card.created.label if card.created else None, palette=card.poster.palette,
                   initials=card.poster.initials,
                   poster=(media.width, media.height, versioned_name(media), media.url) if media else None)



def _attr(value: str) -> str:
    """``value`` escaped for a double-quoted HTML attribute (for the embed snippet's own text)."""
    return str(escape(value))


def _embed_snippet(src: str, title: str, sandbox: str) -> str:
    """The ``<iframe>`` a reader pastes into their own page (shown escaped, never rendered here)."""
    return (
        f'<iframe src="{_attr(src)}" title="{_attr(title)}" width="100%" height="{EMBED_HEIGHT}"'
        f' style="border:0" loading="lazy" sandbox="{sandbox}"></iframe>'
    )


def version_view(thread: ThreadEntry, version: VersionEntry, *, base: str,
                  site_url: str | None, editor: bool, origin: ArtifactOrigin) -> VersionView:
    artifact_path = f"{ARTIFACTS}/{thread.id}/{version.version}/page.html"
    is_latest = version.version == thread.latest
    preview_url = origin.page(base, thread.id, version.version)
    embed_src = preview_url if origin.url else social.site_absolute(artifact_path, site_url) or preview_url
    return VersionView(
        version=version.version,
        title=version.title,
        created=shown_date(version.created),
        author=version.author,
        tags=version.tags,
        is_latest=is_latest,
        share=share_link(f"{SHARE}/{thread.id}/{version.version}/", base=base, site_url=site_url),
        preview_url=preview_url,
        preview_title=f"Live preview: {version.title} ({thread.id}/{version.version})",
        # Only the latest preview loads by itself (lazily); the others wait for a click, which
        # keeps a thread with many versions light on a phone.
        preview_now=is_latest,
        embed_src=embed_src,
        embed_snippet=_embed_snippet(embed_src, f"{version.title} ({thread.id}/{version.version})", origin.sandbox),
        editor_url=f"{base}{EDITOR}/?thread={thread.id}&version={version.version}" if editor else None,
        hover=_video(thread, version, "preview", base=base, origin=origin),
        video=_video(thread, version, "video", base=base, origin=origin),
        poster=_image(thread, version, "poster", "card", base=base, origin=origin),
    )


def _video(thread: ThreadEntry, version: VersionEntry, role: str, *, base: str,
           origin: ArtifactOrigin) -> Video | None:
    """The version's ``role`` video with its poster (the share-size poster, else the card image)."""
    clip = _image(thread, version, role, base=base, origin=origin)
    if clip is None:
        return None
    poster = _image(thread, version, "poster", "card", base=base, origin=origin)
    media = version.medium(role)
    stream = _image(thread, version, "hls", base=base, origin=origin) if role == "video" else None
    return Video(url=clip.url, width=clip.width, height=clip.height, poster_url=poster.url if poster else None,
                 duration=_duration(media.duration if media else None), stream_url=stream.url if stream else None)


def _duration(seconds: float | None) -> str | None:
    """``72.4`` -> ``1:12``."""
    if seconds is None:
        return None
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
