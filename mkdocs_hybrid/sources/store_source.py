"""The ``store`` source kind: the editor's SQLite store (:mod:`mkdocs_hybrid.sources.store`), each row
validated as a snapshot JSON file is. ``serve`` saves into it by default (:class:`StoreTarget`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.model.errors import SnapshotError, clipped, shown
from mkdocs_hybrid.sources._validate import parse_json
from mkdocs_hybrid.sources.kind import PATH_KEYS, Listed, Reading, SourceConfig, Watch
from mkdocs_hybrid.sources.snapshot_json import parse_snapshot_json
from mkdocs_hybrid.sources.store import SnapshotStore, StoreError, StoreReader, store_origin

if TYPE_CHECKING:
    from mkdocs_hybrid.config.manifest import BuildOptions, Manifest, SourceSection
    from mkdocs_hybrid.model.snapshot import Snapshot

__all__ = ["STORE", "StoreKind", "StoreTarget", "read_stored_snapshot"]


class StoreKind:
    """``{type: store, path: FILE.sqlite}``: the file may not exist yet (``serve`` creates it), its folder must."""

    name = "store"
    keys = PATH_KEYS
    default_target = True

    def parse(self, section: SourceSection) -> SourceConfig:
        raw_path, path = section.path()
        if section.kind_of(path) not in (None, "a file") or section.kind_of(path.parent) != "a folder":
            raise section.error(f"{section.where}.path {shown(raw_path)} must name a SQLite file in an existing "
                                f"folder ({clipped(str(path))}); `mkdocs-hybrid serve` creates the file")
        return SourceConfig(type=self.name, path=path)

    def listing(self, source: SourceConfig, reading: Reading) -> Iterator[Listed]:
        """Every saved version; a row's signature is its document's sha256 (rows are immutable), so an unchanged
        one comes from the source index without being parsed."""
        try:
            rows = SnapshotStore(source.path).versions()
        except StoreError as exc:
            reading.errors.append(SnapshotError(str(exc)))
            return
        for row in rows:
            if not reading.owns(row.thread):
                continue
            reader = StoreReader(str(source.path), row.thread, row.version)
            yield Listed(reader.origin, row.sha256, 0, reader,
                         partial(read_stored_snapshot, source.path, row.thread, row.version, reading.limits),
                         dependencies_origin=reader.origin, thread=row.thread, version=row.version)

    def watch(self, source: SourceConfig) -> list[Watch]:
        # The store may not exist yet (watching it would fail); its folder holds unrelated files.
        return [Watch(source.path, recursive=False)] if source.path.is_file() else []

    def target(self, source: SourceConfig, manifest: Manifest) -> StoreTarget:
        return StoreTarget(source)


STORE = StoreKind()


def read_stored_snapshot(path: Path, thread: str, version: str, limits: BuildOptions) -> Snapshot:
    """Read one version of the editor's store, validated as a snapshot JSON file is."""
    origin = store_origin(path, thread, version)
    document = SnapshotStore(path).document(thread, version)
    if document is None:
        raise SnapshotError("no longer in the store", thread=thread, version=version, path=origin)
    snapshot = parse_snapshot_json(parse_json(document, thread=thread, version=version, path=origin), limits, origin)
    if (snapshot.thread, snapshot.version) != (thread, version):
        raise SnapshotError(f"the saved document is {snapshot.ref}, not the row's id", thread=thread,
                            version=version, path=origin)
    return snapshot


class StoreTarget:
    """The editor's SQLite store."""

    def __init__(self, source: SourceConfig) -> None:
        self.source = source
        self.store = SnapshotStore(source.path)

    def threads(self) -> list[dict[str, Any]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for row in self.store.versions():
            found.setdefault(row.thread, []).append({"version": row.version, "title": row.title,
                                                     "saved_at": row.saved_at})
        return [{"thread": thread, "versions": versions} for thread, versions in found.items()]

    def document(self, thread: str, version: str) -> dict[str, Any] | None:
        text = self.store.document(thread, version)
        return None if text is None else dict(json.loads(text))

    def check(self, data: dict[str, Any]) -> None:
        """Everything valid can be stored."""

    def save(self, thread: str, version: str, data: dict[str, Any]) -> None:
        self.store.save(thread, version, data)
