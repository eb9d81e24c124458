"""The gallery's thread list as one compact data file, for filtering every thread in the browser.

The index pages show one page of cards each; ``gallery.js`` fetches this file (once, on the first filter) to
filter all threads by text and tag and to draw the matching cards. It is columnar (one array per field, tags as
indexes into one tag table) so that 10,000 threads stay a few hundred KB, mostly names that compress well.
Its name carries a hash of its bytes, so it can be cached for ever and a new build never serves a stale list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from mkdocs_hybrid.model.layout import GALLERY

__all__ = ["DATA_FORMAT", "DataRow", "data_file"]

DATA_FORMAT = "mkdocs-hybrid/gallery-threads@1"


@dataclass(frozen=True)
class DataRow:
    """What a card shows of one thread, as the data file stores it."""

    id: str
    title: str
    description: str | None
    tags: tuple[str, ...]
    version_count: int
    latest: str
    created: str | None
    """``YYYY-MM-DD`` or ``None``."""
    palette: int
    initials: str
    poster: tuple[int, int, str, str | None] | None
    """The card image: width, height, file name in the latest version's artifact folder, and its own URL when
    it is served from elsewhere (R2 media)."""


def data_file(rows: Sequence[DataRow], tag_order: Sequence[str], *, page_size: int, featured: int,
              artifacts_url: str | None) -> tuple[str, bytes]:
    """``(path relative to the site root, bytes)`` of the data file listing ``rows`` in order.

    ``tag_order`` is every tag, most used first (the chips' order): a thread's tags are indexes into it, so the
    most common tags get the shortest numbers. A card image's URL is left for ``gallery.js`` to make from the
    thread id, its latest version and the file name, under ``artifacts_url`` (the artifact origin) or the site
    root: spelled out, the URLs would be a fifth of the file.
    """
    index = {tag: position for position, tag in enumerate(tag_order)}
    data = {
        "format": DATA_FORMAT,
        "pageSize": page_size,
        "featured": featured,
        "artifactsUrl": artifacts_url.rstrip("/") + "/" if artifacts_url else "",
        "tags": list(tag_order),
        "tagCounts": _tag_counts(rows, index, len(tag_order)),
        "id": [row.id for row in rows],
        "title": [row.title for row in rows],
        "description": [row.description or "" for row in rows],
        "tagIndexes": [[index[tag] for tag in row.tags] for row in rows],
        "versions": [row.version_count for row in rows],
        "latest": [row.latest for row in rows],
        "created": [row.created or "" for row in rows],
        "palette": [row.palette for row in rows],
        "initials": [row.initials for row in rows],
        "poster": [_poster(row.poster) for row in rows],
    }
    content = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{GALLERY}/threads.{hashlib.sha256(content).hexdigest()[:12]}.json", content


def _poster(poster: tuple[int, int, str, str | None] | None) -> list[int | str] | int:
    """``0`` for none, ``[width, height, name]``, or ``[width, height, name, url]`` with a URL of its own."""
    if poster is None:
        return 0
    width, height, name, url = poster
    return [width, height, name, url] if url else [width, height, name]


def _tag_counts(rows: Sequence[DataRow], index: dict[str, int], size: int) -> list[int]:
    counts = [0] * size
    for row in rows:
        for tag in row.tags:
            counts[index[tag]] += 1
    return counts
