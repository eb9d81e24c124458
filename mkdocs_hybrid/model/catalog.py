"""What was built, as the site sees it: threads with their built versions.

The pipeline fills a :class:`Catalog` after bundling; the edge files (``edge/``) and
the gallery (``gallery/``) read it. Only versions with an artifact appear.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from functools import cached_property

from mkdocs_hybrid.model.snapshot import Snapshot, Thread, version_sort_key

CATALOG_FORMAT = "mkdocs-hybrid/catalog@1"


@dataclass(frozen=True)
class BuiltVersion:
    """A version this build made (or kept): its snapshot and the build key of its artifact."""

    snapshot: Snapshot
    build_key: str


@dataclass(frozen=True)
class MediaFile:
    """One picture or video made for a version (``mkdocs_hybrid.media``), as ``meta.json`` lists it."""

    role: str
    """``poster`` (share size), ``card`` (gallery card), ``video`` (the full MP4) or ``preview`` (small, silent,
    for hovering)."""
    name: str
    """Its file name in the version's artifact folder: ``poster.webp``, ``card.webp``, ``video.mp4``,
    ``preview.mp4``."""
    sha256: str
    size: int
    width: int
    height: int
    duration: float | None = None
    """Seconds, for videos."""
    fps: float | None = None
    url: str | None = None
    """Where it is served from when not from the artifact folder (an R2 media URL), else ``None``."""


@dataclass(frozen=True)
class VersionEntry:
    """One built version, as listed in the gallery and the routes."""

    version: str
    title: str
    created: str | None
    """UTC ``YYYY-MM-DDTHH:MM:SSZ`` or ``None`` when the snapshot did not say."""
    author: str | None
    tags: tuple[str, ...]
    entry: str
    unlisted: bool
    build_key: str
    media: tuple[MediaFile, ...] = ()
    """Posters and videos made for this version (none when Chromium or ffmpeg were missing)."""

    def medium(self, role: str) -> MediaFile | None:
        """The media file with this ``role`` (``poster``, ``card``, ``video``, ``preview``), if any."""
        return next((m for m in self.media if m.role == role), None)


@dataclass(frozen=True)
class ThreadEntry:
    """A thread with at least one built version."""

    id: str
    title: str
    description: str | None
    tags: tuple[str, ...]
    versions: tuple[VersionEntry, ...]
    """Newest first."""
    latest: str
    """The pinned version (``thread.yml: latest``) when it was built, else the newest."""
    unlisted: bool
    """Unlisted threads get share links but no gallery card."""

    @property
    def latest_entry(self) -> VersionEntry:
        return next(v for v in self.versions if v.version == self.latest)

    @property
    def created(self) -> str | None:
        """When the thread started: its oldest known ``created``."""
        dates = [v.created for v in self.versions if v.created]
        return min(dates) if dates else None


@dataclass(frozen=True)
class Catalog:
    """All built threads, sorted by id."""

    threads: tuple[ThreadEntry, ...]

    @cached_property
    def listed(self) -> tuple[ThreadEntry, ...]:
        return tuple(t for t in self.threads if not t.unlisted)

    def thread(self, thread_id: str) -> ThreadEntry:
        """The thread with this id (``KeyError`` when there is none): one dict lookup, built on first use."""
        try:
            return self._by_id[thread_id]
        except KeyError:
            raise KeyError(f"no thread {thread_id!r} in the catalog") from None

    @cached_property
    def _by_id(self) -> dict[str, ThreadEntry]:
        # cached_property writes the instance __dict__ directly, so it works on a frozen dataclass;
        # the cache is no field: equality, hashing and asdict() still see ``threads`` only.
        return {t.id: t for t in self.threads}


def catalog_to_json(catalog: Catalog) -> str:
    """Serialise a catalog (for shard builds that are merged later)."""
    return json.dumps({"format": CATALOG_FORMAT, "threads": [asdict(t) for t in catalog.threads]},
                      indent=1, sort_keys=True) + "\n"


def catalog_from_json(text: str) -> Catalog:
    data = json.loads(text)
    if data.get("format") != CATALOG_FORMAT:
        raise ValueError(f'not a catalog: "format" must be "{CATALOG_FORMAT}"')
    threads = []
    for item in data["threads"]:
        versions = tuple(VersionEntry(**{**v, "tags": tuple(v["tags"]),
                                         "media": tuple(MediaFile(**m) for m in v.get("media", ()))})
                         for v in item["versions"])
        threads.append(ThreadEntry(**{**item, "tags": tuple(item["tags"]), "versions": versions}))
    return Catalog(threads=tuple(threads))


def merge_catalogs(catalogs: list[Catalog]) -> Catalog:
    """One catalog from shards' catalogs; a thread in two shards is an error."""
    seen: dict[str, ThreadEntry] = {}
    for catalog in catalogs:
        for thread in catalog.threads:
            if thread.id in seen:
                raise ValueError(f"thread {thread.id!r} is in two shards; build shards with the same --shard N")
            seen[thread.id] = thread
    return Catalog(threads=tuple(seen[tid] for tid in sorted(seen)))


def build_catalog(threads: dict[str, Thread], built: list[BuiltVersion],
                  pins: dict[str, str] | None = None,
                  media: Mapping[str, tuple[MediaFile, ...]] | None = None) -> Catalog:
    """Group built versions into threads, newest first, and choose each thread's latest
    (a ledger pin, from ``mkdocs-hybrid pin``, overrides ``thread.yml: latest``)."""
    by_thread: dict[str, list[BuiltVersion]] = {}
    for item in built:
        by_thread.setdefault(item.snapshot.thread, []).append(item)
    entries = []
    for thread_id, items in sorted(by_thread.items()):
        items.sort(key=lambda item: version_sort_key(item.snapshot), reverse=True)
        thread = threads.get(thread_id) or Thread(id=thread_id, origin="")
        if pins and thread_id in pins:
            thread = replace(thread, latest=pins[thread_id])
        entries.append(_thread_entry(thread, items, media or {}))
    return Catalog(threads=tuple(entries))


def _thread_entry(thread: Thread, items: list[BuiltVersion], media: Mapping[str, tuple[MediaFile, ...]]
                  ) -> ThreadEntry:
    versions = tuple(
        VersionEntry(version=i.snapshot.version, title=i.snapshot.title, created=i.snapshot.created,
                     author=i.snapshot.author, tags=i.snapshot.tags, entry=i.snapshot.entry,
                     unlisted=i.snapshot.unlisted, build_key=i.build_key, media=media.get(i.snapshot.ref, ()))
        for i in items)
    names = [v.version for v in versions]
    listed = [v.version for v in versions if not v.unlisted]
    # latest never leads to an unlisted version: a pin on one is refused when sources are read (scan), and a
    # thread whose versions are all unlisted is itself unlisted (nothing of it is listed anywhere).
    latest = thread.latest if thread.latest in listed else (listed or names)[0]
    return ThreadEntry(
        id=thread.id,
        title=thread.title or next(v.title for v in versions if v.version == latest),
        description=thread.description,
        tags=thread.tags,
        versions=versions,
        latest=latest,
        unlisted=thread.unlisted or not listed,
    )
