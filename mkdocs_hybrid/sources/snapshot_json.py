"""The ``snapshots`` source kind: a folder of ``mkdocs-hybrid/snapshot@1`` JSON files (what the editor
exports), and the one validator of snapshot JSON, which the editor's store and ``serve``'s API use too."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.model.errors import SnapshotError, shown
from mkdocs_hybrid.model.files import stat_signature
from mkdocs_hybrid.model.problems import Problems
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT, Snapshot, check_id, check_relative_path, read_regular
from mkdocs_hybrid.sources._validate import (
    Where,
    as_error,
    check_dependencies,
    encodable,
    field,
    parse_json,
    read_file,
    reject_unknown,
    skipped,
    stat_file,
    validated_snapshot,
)
from mkdocs_hybrid.sources.kind import PATH_KEYS, Listed, Reading, SourceConfig, Watch, folder_source

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from mkdocs_hybrid.config.manifest import BuildOptions, Manifest, SourceSection
    from mkdocs_hybrid.sources.kind import SaveTarget

__all__ = ["SNAPSHOT_FORMAT", "SNAPSHOT_JSON", "SNAPSHOT_JSON_KEYS", "SnapshotJsonKind", "max_snapshot_json_bytes",
           "parse_snapshot_json", "read_snapshot_json", "snapshot_document"]

SNAPSHOT_JSON_KEYS = {"format", "thread", "version", "title", "entry", "created", "author", "tags",
                      "unlisted", "files", "dependencies"}


class SnapshotJsonKind:
    """``{type: snapshots, path: FOLDER}``: every ``.json`` file under the folder is one version."""

    name = "snapshots"
    keys = PATH_KEYS
    default_target = False

    def parse(self, section: SourceSection) -> SourceConfig:
        return folder_source(self.name, section)

    def listing(self, source: SourceConfig, reading: Reading) -> Iterator[Listed]:
        """Each file's thread is known only once it is read: the scan leaves out other shards' after."""
        root = str(source.path)
        for path in _json_files_under(root, reading.errors):
            try:
                stat = stat_file(path, root, within="the source folder")
                if stat is None:
                    raise SnapshotError("was removed during the scan; rerun it", path=path)
            except (ValueError, SnapshotError, OSError) as exc:
                reading.errors.append(as_error(exc, path=path))
                continue
            signature, newest = stat_signature([("", stat)])
            yield Listed(path, signature, newest, _JsonReader(path),
                         partial(_read_listed, path, reading.limits), dependencies_origin=path)

    def watch(self, source: SourceConfig) -> list[Watch]:
        return [Watch(source.path)]

    def target(self, source: SourceConfig, manifest: Manifest) -> SaveTarget | None:
        return None  # the editor exports these files; serve does not write them


SNAPSHOT_JSON = SnapshotJsonKind()


def _read_listed(path: str, limits: BuildOptions) -> Snapshot:
    return read_snapshot_json(Path(path), limits)  # looked up when called: tests count the reads


def _json_files_under(root: str, errors: list[SnapshotError]) -> list[str]:
    """Every ``.json`` file under ``root`` (symlinked subfolders are not walked); an unreadable folder is an error."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda exc: errors.append(as_error(exc, path=root))):
        dirnames[:] = [d for d in dirnames if not skipped(d)]
        found += [os.path.join(dirpath, name) for name in filenames if name.endswith(".json") and not skipped(name)]
    return sorted(found)


class _JsonReader:
    """Reads a snapshot JSON file's files on demand (one parse per read_all)."""

    def __init__(self, path: str) -> None:
        self.origin = path

    def read(self, path: str) -> bytes:
        return self.read_all([path])[path]

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        files = json.loads(read_regular(self.origin))["files"]
        return {path: files[path].encode("utf-8") for path in paths}


def max_snapshot_json_bytes(limits: BuildOptions) -> int:
    """The largest snapshot JSON document read: twice the snapshot limit, as JSON escapes text."""
    return limits.max_snapshot_bytes * 2


def read_snapshot_json(path: Path, limits: BuildOptions) -> Snapshot:
    """Read one ``mkdocs-hybrid/snapshot@1`` file (what the editor exports)."""
    data = parse_json(read_file(str(path), max_snapshot_json_bytes(limits)), path=str(path))
    return parse_snapshot_json(data, limits, str(path))


def parse_snapshot_json(data: object, limits: BuildOptions, origin: str, *, binary: bool = False) -> Snapshot:
    """Validate parsed ``mkdocs-hybrid/snapshot@1`` data: the one validator of snapshot JSON files, the
    editor's store and ``mkdocs-hybrid serve``'s API (``origin`` names where the data came from, and where its
    dependencies are declared). ``binary``: a file may also be ``bytes`` (a Convex source's stored files,
    checked against their sha256 already); JSON itself only ever holds text."""
    path = origin or None
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f'not a snapshot file: "format" must be "{SNAPSHOT_FORMAT}"', path=path)
    where = Where(path=path)
    problems = Problems()  # every problem of the file at once, not only the first
    thread = problems.check(lambda: field(lambda: check_id(data.get("thread"), "thread"), "thread", **where), "")
    where["thread"] = thread or None
    version = problems.check(lambda: field(lambda: check_id(data.get("version"), "version"), "version", **where), "")
    where["version"] = version or None
    problems.check(lambda: reject_unknown(data, SNAPSHOT_JSON_KEYS, **where), None)
    files: dict[str, bytes] = problems.check(lambda: _json_files(data.get("files"), limits, binary, **where), {})
    dependencies: dict[str, str] = problems.check(
        lambda: check_dependencies(data.get("dependencies") or {}, **where), {})
    return validated_snapshot(thread, version, files, data, dependencies, origin=origin, meta_origin=origin,
                              default_title=None, video=None, dependencies_origin=origin, problems=problems)


def _json_files(value: object, limits: BuildOptions, binary: bool, **where: Unpack[Where]) -> dict[str, bytes]:
    if not isinstance(value, dict) or not value:
        raise SnapshotError('"files" must be a non-empty object of {"path": "contents"}', **where)
    if len(value) > limits.max_files:
        raise SnapshotError(f"snapshot has {len(value)} files, over the limit of {limits.max_files}", **where)
    unnamed = next((name for name in value if not isinstance(name, str)), None)
    if unnamed is not None:  # not from JSON, whose keys are text: a caller's dict; it would not even sort
        raise SnapshotError(f'"files" keys must be file paths, not {shown(unnamed)}', **where)
    files: dict[str, bytes] = {}
    for name, contents in sorted(value.items()):
        field(partial(check_relative_path, name), "files", **where)
        if binary and isinstance(contents, bytes):
            files[name] = _within_file_limit(name, contents, limits, **where)
            continue
        if not isinstance(contents, str):
            raise SnapshotError(f"files[{shown(name)}] must be a string", **where)
        if not encodable(contents):
            raise SnapshotError(f"files[{shown(name)}] is not UTF-8 text (a lone surrogate escape)", **where)
        files[name] = _within_file_limit(name, contents.encode("utf-8"), limits, **where)
    if sum(len(b) for b in files.values()) > limits.max_snapshot_bytes:
        raise SnapshotError(f"snapshot exceeds {limits.max_snapshot_bytes:,} bytes (build.max_snapshot_bytes)", **where)
    return files


def _within_file_limit(name: str, data: bytes, limits: BuildOptions, **where: Unpack[Where]) -> bytes:
    if len(data) > limits.max_file_bytes:
        raise SnapshotError(f"files[{shown(name)}] is {len(data):,} bytes, over the {limits.max_file_bytes:,}-byte "
                            "limit (build.max_file_bytes)", **where)
    return data


def snapshot_document(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot as snapshot JSON (what the editor opens)."""
    files = snapshot.files.load() if hasattr(snapshot.files, "load") else dict(snapshot.files)
    return {"format": SNAPSHOT_FORMAT, "thread": snapshot.thread, "version": snapshot.version,
            "title": snapshot.title, "entry": snapshot.entry, "created": snapshot.created, "author": snapshot.author,
            "tags": list(snapshot.tags), "unlisted": snapshot.unlisted,
            "files": {path: data.decode("utf-8", errors="replace") for path, data in sorted(files.items())},
            "dependencies": dict(snapshot.dependencies)}
