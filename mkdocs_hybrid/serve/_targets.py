"""Where ``serve`` saves versions: the manifest's store (SQLite), or one of its directory sources.

Both take snapshot JSON data already validated by ``parse_snapshot_json`` and refuse an existing
(thread, version): versions are immutable wherever they live.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from mkdocs_hybrid.config.manifest import Manifest, SourceConfig
from mkdocs_hybrid.model.durable import make_temp_dir, sweep, write_scratch
from mkdocs_hybrid.model.errors import HybridError, SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.sources.scan import METADATA_FILES, SKIPPED_NAMES, SNAPSHOT_FORMAT, scan_sources
from mkdocs_hybrid.sources.store import SnapshotStore, VersionExists

SNAPSHOT_YML_FIELDS = ("title", "entry", "created", "author", "tags", "unlisted")
"""The snapshot JSON fields a directory source keeps in ``snapshot.yml``."""


class Target(Protocol):
    """A place versions are saved into."""

    source: SourceConfig

    def threads(self) -> list[dict[str, Any]]: ...

    def document(self, thread: str, version: str) -> dict[str, Any] | None: ...

    def check(self, data: dict[str, Any]) -> None: ...

    def save(self, thread: str, version: str, data: dict[str, Any]) -> None: ...


def choose_target(manifest: Manifest, store_dir: Path | None) -> Target:
    """The manifest's store, or with ``--store DIR`` the directory source at DIR; one clear line otherwise."""
    if store_dir is not None:
        wanted = store_dir.resolve()
        for source in manifest.sources:
            if source.type == "directory" and source.path == wanted:
                return DirectoryTarget(source, manifest)
        raise HybridError(f"--store {store_dir}: not one of the directory sources of {manifest.origin}; "
                          "name one of them, or add it to the manifest's sources")
    stores = [source for source in manifest.sources if source.type == "store"]
    if not stores:
        raise HybridError(f"{manifest.origin} has no store for the editor's versions: add "
                          "{type: store, path: editor.sqlite} to its sources")
    return StoreTarget(stores[0])


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


class DirectoryTarget:
    """A directory source: ``<root>/<thread>/<version>/`` with the files, ``snapshot.yml`` and ``package.json``."""

    def __init__(self, source: SourceConfig, manifest: Manifest) -> None:
        self.source = source
        self.manifest = manifest

    def threads(self) -> list[dict[str, Any]]:
        return [{"thread": thread.name, "versions": [{"version": version.name, "title": None, "saved_at": None}
                                                     for version in _folders(thread)]}
                for thread in _folders(self.source.path)]

    def document(self, thread: str, version: str) -> dict[str, Any] | None:
        manifest = replace(self.manifest, sources=(self.source,))
        scan = scan_sources(manifest, owns=lambda name: name == thread)
        found = [s for s in scan.snapshots if s.version == version]
        return snapshot_document(found[0]) if found else None

    def check(self, data: dict[str, Any]) -> None:
        """Refuse file names a directory source would not read back as files of the version."""
        for name in data["files"]:
            parts = name.split("/")
            if name in METADATA_FILES or any(part.startswith(".") or part in SKIPPED_NAMES for part in parts):
                raise SnapshotError(f"files: {name!r} cannot be saved in a directory source (metadata files, "
                                    "hidden files and node_modules are not read as a version's files); rename it",
                                    thread=data["thread"], version=data["version"])

    def save(self, thread: str, version: str, data: dict[str, Any]) -> None:
        """Write the version into a hidden folder beside its place, then move it there in one rename."""
        thread_dir = self.source.path / thread
        thread_dir.mkdir(exist_ok=True)
        sweep(thread_dir, ".saving-")  # what a killed server left (never a running one's)
        staging = make_temp_dir(thread_dir, ".saving-")
        try:
            _write_version(staging, data)
            if (thread_dir / version).exists():
                raise VersionExists("this version is already saved and saved versions never change; save your "
                                    "change as a new version", thread=thread, version=version, path=str(thread_dir))
            os.rename(staging, thread_dir / version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _write_version(folder: Path, data: dict[str, Any]) -> None:
    for name, contents in data["files"].items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_scratch(path, contents)
    meta = {key: data[key] for key in SNAPSHOT_YML_FIELDS if data.get(key) is not None}
    if meta:
        write_scratch(folder / "snapshot.yml", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))
    if data.get("dependencies"):
        write_scratch(folder / "package.json", json.dumps({"dependencies": data["dependencies"]}, indent=2) + "\n")


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def snapshot_document(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot as snapshot JSON (what the editor opens)."""
    files = snapshot.files.load() if hasattr(snapshot.files, "load") else dict(snapshot.files)
    return {"format": SNAPSHOT_FORMAT, "thread": snapshot.thread, "version": snapshot.version,
            "title": snapshot.title, "entry": snapshot.entry, "created": snapshot.created, "author": snapshot.author,
            "tags": list(snapshot.tags), "unlisted": snapshot.unlisted,
            "files": {path: data.decode("utf-8", errors="replace") for path, data in sorted(files.items())},
            "dependencies": dict(snapshot.dependencies)}
