"""What a link to a version or a thread shows when it is posted elsewhere: social cards and oEmbed.

Pure functions (no I/O). A share page (``p/{thread}/{version}/``) and a gallery thread page
(``gallery/{thread}/``) carry Open Graph and Twitter tags (:func:`meta_tags` of a :class:`SocialCard`); the
image is the version's ``poster`` and the video its ``video`` medium (see ``mkdocs_hybrid.media``). Each
public version also has a static oEmbed document (:func:`oembed_json`, written at
``artifacts/{thread}/{version}/oembed.json``: in the artifact folder, so in the artifact store mode it lives on
the artifact origin and Pages' file count per version does not grow), found through :func:`oembed_link` on its
share page.

Absolute URLs only. Crawlers and oEmbed consumers read these pages from other sites, so a relative
``og:image`` is useless (most consumers ignore or mis-resolve it). Without ``site_url`` the tags that must be
absolute (``og:url``, ``og:image``, ``og:video``, ``twitter:image``) are left out, except media served from
the artifact origin (``deploy.artifacts: r2``), whose URL is absolute anyway; the oEmbed document needs an
absolute iframe ``src`` for the same reason, so without either URL there is none.

Unlisted versions (the version or its thread is unlisted; see ``unlisted.py``): no oEmbed document and no
discovery link (oEmbed is a listing), a ``noindex`` robots tag, and in the artifact store mode no media URL,
since their media sit in the private bucket.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from markupsafe import escape

from mkdocs_hybrid.edge.sandbox import SAME_SITE, ArtifactOrigin
from mkdocs_hybrid.model.catalog import MediaFile, ThreadEntry, VersionEntry
from mkdocs_hybrid.model.layout import GALLERY, SHARE, Parts

__all__ = [
    "OEMBED_FILE",
    "CardImage",
    "CardVideo",
    "SocialCard",
    "insert_head",
    "meta_tags",
    "oembed_json",
    "oembed_link",
    "oembed_url",
    "share_head",
    "site_absolute",
    "thread_card",
    "thread_head",
    "version_card",
]

OEMBED_FILE = "oembed.json"
"""The oEmbed document's name in a version's artifact folder."""
OEMBED_FORMAT = "application/json+oembed"
EMBED_WIDTH = 960
EMBED_HEIGHT = 540
"""The embedded frame's size in the oEmbed document (16:9, like the poster)."""
OEMBED_CACHE_AGE = 7 * 24 * 3600
"""A week: a version never changes, but its title shown by a consumer may be refreshed now and then."""
IMAGE_TYPES = {".webp": "image/webp", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
VIDEO_TYPE = "video/mp4"
"""Every video medium is an MP4 (``mkdocs_hybrid.media._encode``)."""
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)



@dataclass(frozen=True)
class CardImage:
    url: str
    width: int
    height: int
    type: str
    alt: str


@dataclass(frozen=True)
class CardVideo:
    url: str
    type: str
    width: int
    height: int


@dataclass(frozen=True)
class SocialCard:
    """What a posted link previews as. URLs are absolute, or ``None`` (and their tags left out)."""

    title: str
    description: str
    url: str | None = None
    site_name: str | None = None
    image: CardImage | None = None
    video: CardVideo | None = None
    noindex: bool = False
    """An unlisted version's page: ``<meta name="robots" content="noindex">``."""

    @property
    def twitter_card(self) -> str:
        """``summary_large_image`` when there is a poster to show large, else ``summary``."""
        return "summary_large_image" if self.image else "summary"


# --- cards ------------------------------------------------------------------------------------


def version_card(thread: ThreadEntry, version: VersionEntry, *, site_url: str | None,
                 origin: ArtifactOrigin = SAME_SITE, parts: Parts | None = None,
                 site_name: str | None = None) -> SocialCard:
    """The card of a version's share page. ``parts`` are its site path parts (``_u``/token when unlisted):
    without them an unlisted version gets no ``og:url`` and no media, as its paths are not known here."""
    hidden = _hidden(thread, version)
    where = parts if parts is not None else (None if hidden else (thread.id, version.version))
    media_parts = None if hidden and origin.url else where  # the private bucket has no public URL
    return SocialCard(
        title=version.title,
        description=thread.description or f"{version.title}: version {version.version} of {thread.title}, "
                                          "a live front-end demo.",
        url=site_absolute(f"{SHARE}/{where[0]}/{where[1]}/", site_url) if where else None,
        site_name=site_name,
        image=_image(version, version.title, site_url, origin, media_parts),
        video=_video(version, site_url, origin, media_parts),
        noindex=hidden,
    )


def thread_card(thread: ThreadEntry, *, site_url: str | None, origin: ArtifactOrigin = SAME_SITE,
                site_name: str | None = None, path: str | None = None) -> SocialCard:
    """The card of a gallery thread page (``path`` from the site root, ``gallery/{thread}/`` by default): its
    latest version's poster and video. Unlisted threads have no gallery page; their card is ``noindex``."""
    latest = thread.latest_entry
    count = sum(not v.unlisted for v in thread.versions)
    hidden = _hidden(thread, latest)
    media_parts = None if hidden else (thread.id, latest.version)
    return SocialCard(
        title=thread.title,
        description=thread.description or f"A live front-end demo in {count} version{'s' * (count != 1)}; "
                                          f"the latest is {latest.title}.",
        url=site_absolute(path if path is not None else f"{GALLERY}/{thread.id}/", site_url),
        site_name=site_name,
        image=_image(latest, thread.title, site_url, origin, media_parts),
        video=_video(latest, site_url, origin, media_parts),
        noindex=hidden,
    )


def _hidden(thread: ThreadEntry, version: VersionEntry) -> bool:
    return thread.unlisted or version.unlisted


def _image(version: VersionEntry, title: str, site_url: str | None, origin: ArtifactOrigin,
           parts: Parts | None) -> CardImage | None:
    poster = version.medium("poster")
    url = _media_url(poster, site_url, origin, parts) if poster else None
    if poster is None or url is None:
        return None
    kind = IMAGE_TYPES.get(PurePosixPath(poster.name).suffix.lower(), "image/webp")
    return CardImage(url=url, width=poster.width, height=poster.height, type=kind, alt=f"A still of {title}")


def _video(version: VersionEntry, site_url: str | None, origin: ArtifactOrigin, parts: Parts | None
           ) -> CardVideo | None:
    video = version.medium("video")
    url = _media_url(video, site_url, origin, parts) if video else None
    if video is None or url is None:
        return None
    return CardVideo(url=url, type=VIDEO_TYPE, width=video.width, height=video.height)


def _media_url(medium: MediaFile, site_url: str | None, origin: ArtifactOrigin, parts: Parts | None) -> str | None:
    """A medium's absolute URL, as the site names it (``ArtifactOrigin.medium``: its R2 URL, else its artifact
    folder's file with its hash in the query), or ``None`` when it cannot be absolute or must not be named."""
    if parts is None:
        return None
    if medium.url:
        return medium.url if _is_absolute(medium.url) else None
    if origin.url is None and not site_url:
        return None
    return origin.medium(_site_root(site_url), parts[0], parts[1], medium)


def _artifact_absolute(parts: Parts, name: str, site_url: str | None, origin: ArtifactOrigin) -> str | None:
    """The absolute URL of a file of an artifact folder: on the artifact origin, else under ``site_url``."""
    if origin.url is None and not site_url:
        return None
    return origin.file(_site_root(site_url), parts[0], parts[1], name)


def _site_root(site_url: str | None) -> str:
    return site_url.rstrip("/") + "/" if site_url else ""


def site_absolute(path: str, site_url: str | None) -> str | None:
    """``site_url`` joined with a site-relative ``path``, or ``None`` without a site URL."""
    return _site_root(site_url) + path if site_url else None


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --- tags -------------------------------------------------------------------------------------


def meta_tags(card: SocialCard) -> str:
    """The card as escaped ``<meta>`` tags, one a line (no ``name="description"``: pages and themes have their
    own). Open Graph uses ``property``, Twitter ``name``, as each documents."""
    og: list[tuple[str, str | int | None]] = [
        ("og:type", "website"), ("og:site_name", card.site_name), ("og:title", card.title),
        ("og:description", card.description), ("og:url", card.url)]
    if card.image:
        og += [("og:image", card.image.url), ("og:image:width", card.image.width),
               ("og:image:height", card.image.height), ("og:image:type", card.image.type),
               ("og:image:alt", card.image.alt)]
    if card.video:
        og += [("og:video", card.video.url), ("og:video:type", card.video.type),
               ("og:video:width", card.video.width), ("og:video:height", card.video.height)]
    twitter: list[tuple[str, str | int | None]] = [
        ("twitter:card", card.twitter_card), ("twitter:title", card.title),
        ("twitter:description", card.description)]
    if card.image:
        twitter += [("twitter:image", card.image.url), ("twitter:image:alt", card.image.alt)]
    lines = ['<meta name="robots" content="noindex">'] if card.noindex else []
    lines += [_meta("property", key, value) for key, value in og if value is not None]
    lines += [_meta("name", key, value) for key, value in twitter if value is not None]
    return "\n".join(lines) + "\n"


def _meta(attribute: str, key: str, value: str | int) -> str:
    return f'<meta {attribute}="{key}" content="{escape(str(value))}">'


def oembed_link(href: str, title: str) -> str:
    """The share page's oEmbed discovery ``<link>`` (``href`` absolute: consumers fetch it from elsewhere)."""
    return f'<link rel="alternate" type="{OEMBED_FORMAT}" href="{escape(href)}" title="{escape(title)}">\n'


def share_head(thread: ThreadEntry, version: VersionEntry, *, site_url: str | None,
               origin: ArtifactOrigin = SAME_SITE, parts: Parts | None = None, site_name: str | None = None) -> str:
    """Everything a share page's ``<head>`` gets: the card's tags and, for a public version whose oEmbed
    document can exist, its discovery link."""
    head = meta_tags(version_card(thread, version, site_url=site_url, origin=origin, parts=parts,
                                  site_name=site_name))
    href = oembed_url(thread, version, site_url=site_url, origin=origin)
    return head + (oembed_link(href, version.title) if href else "")


def thread_head(thread: ThreadEntry, *, site_url: str | None, origin: ArtifactOrigin = SAME_SITE,
                site_name: str | None = None, path: str | None = None) -> str:
    """The tags of a gallery thread page (what :func:`insert_head` puts before its ``</head>``)."""
    return meta_tags(thread_card(thread, site_url=site_url, origin=origin, site_name=site_name, path=path))


def insert_head(html: str, head: str) -> str:
    """``html`` with ``head`` just before its first ``</head>`` (unchanged when it has none)."""
    found = _HEAD_END.search(html)
    if not head or found is None:
        return html
    return html[:found.start()] + head + html[found.start():]


# --- oEmbed -----------------------------------------------------------------------------------


def oembed_url(thread: ThreadEntry, version: VersionEntry, *, site_url: str | None,
               origin: ArtifactOrigin = SAME_SITE) -> str | None:
    """Where the version's oEmbed document is served, or ``None`` when it has none (see :func:`oembed_json`)."""
    if _hidden(thread, version):
        return None
    return _artifact_absolute((thread.id, version.version), OEMBED_FILE, site_url, origin)


def oembed_json(thread: ThreadEntry, version: VersionEntry, *, site_url: str | None,
                origin: ArtifactOrigin = SAME_SITE, site_name: str | None = None) -> bytes | None:
    """The version's oEmbed 1.0 document (``type: rich``: the demo in the site's sandboxed frame), as
    deterministic bytes (sorted keys, a trailing newline); ``None`` for an unlisted version, or when no
    absolute URL of the demo is known (no ``site_url`` and no artifact origin)."""
    ids = (thread.id, version.version)
    src = _artifact_absolute(ids, "page.html", site_url, origin)
    if _hidden(thread, version) or src is None:
        return None
    data: dict[str, str | int] = {
        "version": "1.0", "type": "rich", "title": version.title,
        "html": _embed_frame(src, f"{version.title} ({thread.id}/{version.version})", origin.sandbox),
        "width": EMBED_WIDTH, "height": EMBED_HEIGHT, "cache_age": OEMBED_CACHE_AGE,
    }
    provider = site_name or (urlsplit(site_url).netloc if site_url else None)
    if provider:
        data["provider_name"] = provider
    if site_url:
        data["provider_url"] = _site_root(site_url)
    if version.author:
        data["author_name"] = version.author
    card = version_card(thread, version, site_url=site_url, origin=origin)
    if card.image:  # the spec wants all three thumbnail fields or none
        data.update(thumbnail_url=card.image.url, thumbnail_width=card.image.width,
                    thumbnail_height=card.image.height)
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _embed_frame(src: str, title: str, sandbox: str) -> str:
    """The same frame the gallery's embed snippet gives (the demo's page, sandboxed as everywhere on the site),
    at the document's fixed size."""
    return (f'<iframe src="{escape(src)}" title="{escape(title)}" width="{EMBED_WIDTH}" height="{EMBED_HEIGHT}"'
            f' style="border:0" loading="lazy" sandbox="{escape(sandbox)}" allow="fullscreen"></iframe>')
