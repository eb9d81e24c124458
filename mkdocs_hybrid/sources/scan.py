"""Read snapshots from every source of the manifest, whatever its kind (:mod:`mkdocs_hybrid.sources.registry`).

Each source yields :class:`Snapshot` objects and collects a
:class:`SnapshotError` for every snapshot (or thread) it cannot read, so one
broken snapshot never stops the others. Nothing here executes snapshot code.

Snapshots leave the scan with their file digests but not their contents (the
bundler reads those when it needs them), and a snapshot whose files have the
same stat as in the last scan is rebuilt from the source index without reading
anything (:mod:`mkdocs_hybrid.sources.reading`, over :mod:`mkdocs_hybrid.model.files`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot, Thread
from mkdocs_hybrid.sources._validate import SKIPPED_NAMES, check_dependencies
from mkdocs_hybrid.sources.directory import METADATA_FILES
from mkdocs_hybrid.sources.kind import Listed, Reading
from mkdocs_hybrid.sources.reading import SOURCE_INDEX_FILE, open_source_index, read_listed
from mkdocs_hybrid.sources.registry import kind_of
from mkdocs_hybrid.sources.snapshot_json import (
    SNAPSHOT_FORMAT,
    SNAPSHOT_JSON_KEYS,
    max_snapshot_json_bytes,
    parse_snapshot_json,
    read_snapshot_json,
)
from mkdocs_hybrid.sources.store_source import read_stored_snapshot

if TYPE_CHECKING:
    from mkdocs_hybrid.config.manifest import Manifest

__all__ = ["METADATA_FILES", "SKIPPED_NAMES", "SNAPSHOT_FORMAT", "SNAPSHOT_JSON_KEYS", "SOURCE_INDEX_FILE", "Listing",
           "Scan", "check_dependencies", "collector_paused", "list_sources", "max_snapshot_json_bytes",
           "open_source_index", "parse_snapshot_json", "read_snapshot_json", "read_stored_snapshot", "scan_sources"]


@dataclass
class Scan:
    """Everything the sources hold: threads, snapshots, and what could not be read."""

    threads: dict[str, Thread] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[SnapshotError] = field(default_factory=list)


@dataclass
class Listing:
    """What the sources list before anything is read: each snapshot's place and stat signature (see
    :class:`~mkdocs_hybrid.sources.kind.Listed`), with the reading under way (its index, threads and errors)."""

    reading: Reading
    items: list[Listed]
    """Each snapshot's place and signature (a thread's ``thread.yml`` is in its versions' signatures)."""


def list_sources(manifest: Manifest, *, owns: Callable[[str], bool] | None = None) -> Listing:
    """List every source of the manifest (walk and stat only: no snapshot is read or built)."""
    with collector_paused():
        reading = Reading(manifest.build, open_source_index(manifest), owns or (lambda thread: True), [], {})
        items = [listed for source in manifest.sources for listed in kind_of(source).listing(source, reading)]
    return Listing(reading, items)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused meanwhile (as it was afterwards). The source index and a listing are
    hundreds of thousands of containers that stay alive and form no cycle, and every full collection walked them
    all again: at 50,000 versions that was more than half of the listing's CPU time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan_sources(manifest: Manifest, *, owns: Callable[[str], bool] | None = None,
                 listing: Listing | None = None) -> Scan:
    """Read every source of the manifest; duplicates across sources are errors.

    ``owns`` limits the scan to some threads (a shard): other threads' folders are not read. ``listing`` is
    what :func:`list_sources` found for the same ``owns``, when the caller listed the sources already.
    """
    listing = listing or list_sources(manifest, owns=owns)
    reading = listing.reading
    scan = Scan(reading.threads, [], reading.errors)
    seen: dict[tuple[str, str], str] = {}
    for listed in listing.items:
        item = read_listed(listed, reading)
        if item is None or not reading.owns(item.thread):
            continue
        key = (item.thread, item.version)
        if key in seen:
            scan.errors.append(SnapshotError(
                f"duplicate version: also defined in {seen[key]}; give one of them a new version id",
                thread=item.thread, version=item.version, path=item.origin))
            continue
        seen[key] = item.origin
        scan.snapshots.append(item)
    reading.index.save(prune=owns is None)
    _check_pins(scan)
    scan.snapshots.sort(key=lambda s: (s.thread, s.version))
    return scan


def _check_pins(scan: Scan) -> None:
    versions = {(s.thread, s.version): s for s in scan.snapshots}
    for thread in scan.threads.values():
        if thread.latest and (thread.id, thread.latest) not in versions:
            scan.errors.append(SnapshotError(
                f"latest: {thread.latest!r} is not a version of this thread; "
                "fix the pin or remove it to use the newest version", thread=thread.id, path=thread.origin))
        elif thread.latest and versions[thread.id, thread.latest].unlisted and not thread.unlisted:
            scan.errors.append(SnapshotError(
                f"latest: {thread.latest!r} is unlisted, and the latest link is public; pin a listed version or "
                "remove the pin (the newest listed version is used meanwhile)", thread=thread.id, path=thread.origin))
