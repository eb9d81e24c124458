"""Reading what a kind lists, through the source index, the same way for every kind.

A listed snapshot whose signature is the one the index recorded is rebuilt from the record without reading
anything; any other is read, validated and recorded. Either way it leaves without its contents: its
``FileReader`` fetches them for the bundler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.files import StatIndex
from mkdocs_hybrid.model.snapshot import FileReader, Snapshot, SnapshotFiles
from mkdocs_hybrid.sources._validate import as_error
from mkdocs_hybrid.sources.kind import Listed, Reading, SourceConfig, SourceKind

if TYPE_CHECKING:
    from mkdocs_hybrid.config.manifest import Manifest

__all__ = ["SOURCE_INDEX_FILE", "open_source_index", "read_listed", "read_source"]

SOURCE_INDEX_FILE = "sources.json"
_UNRECORDED = ("files", "dependencies_origin")
"""Snapshot fields the index does not keep: the contents, and what the kind sets again on every scan."""


def open_source_index(manifest: Manifest) -> StatIndex:
    """The source index in the build cache, valid for the current limits."""
    limits = manifest.build
    settings = [limits.max_file_bytes, limits.max_snapshot_bytes, limits.max_files]
    return StatIndex(manifest.cache_dir / SOURCE_INDEX_FILE, settings)


def read_listed(listed: Listed, reading: Reading) -> Snapshot | None:
    """The listed snapshot (from the index when its signature is unchanged), or ``None`` with its problem
    in ``reading.errors``. Every I/O error fails this snapshot, never the scan."""
    try:
        snapshot = _indexed(listed, reading.index)
    except (ValueError, OSError, HybridError) as exc:
        reading.errors.append(as_error(exc, thread=listed.thread, version=listed.version, path=listed.origin))
        return None
    return replace(snapshot, dependencies_origin=listed.dependencies_origin)


def read_source(kind: SourceKind, source: SourceConfig, manifest: Manifest,
                owns: Callable[[str], bool]) -> list[Snapshot]:
    """The snapshots of one source's threads that ``owns`` accepts (problems left out), through the index."""
    reading = Reading(manifest.build, open_source_index(manifest), owns)
    found = [snapshot for listed in kind.listing(source, reading)
             if (snapshot := read_listed(listed, reading)) is not None and owns(snapshot.thread)]
    reading.index.save(prune=False)
    return sorted(found, key=lambda s: (s.thread, s.version))


def _indexed(listed: Listed, index: StatIndex) -> Snapshot:
    """The snapshot from the index when its files kept their stat, else read and recorded."""
    cached = _cached_snapshot(index.lookup(listed.origin, listed.signature), listed.reader)
    if cached is not None:
        return cached
    snapshot = listed.read()
    index.store(listed.origin, listed.signature, listed.newest, _record(snapshot))
    return replace(snapshot, files=SnapshotFiles(snapshot.digests, reader=listed.reader))


def _record(snapshot: Snapshot) -> dict[str, Any]:
    """What the source index keeps of a snapshot: every field but the contents, and the file digests."""
    record = {f.name: getattr(snapshot, f.name) for f in fields(Snapshot) if f.name not in _UNRECORDED}
    return {**record, "dependencies": dict(snapshot.dependencies), "digests": dict(snapshot.digests)}


def _cached_snapshot(record: dict[str, Any] | None, reader: FileReader) -> Snapshot | None:
    if record is None:
        return None
    try:
        values = {**record, "tags": tuple(record["tags"]), "imports": tuple(record["imports"])}
        files = SnapshotFiles(values.pop("digests"), reader=reader)
        return Snapshot(**values, files=files)
    except (KeyError, TypeError, ValueError):
        return None  # an index from another version of this module: read the sources

