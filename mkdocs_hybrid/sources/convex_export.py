"""The ``convex-export`` source kind: the versions in a ZIP that ``npx convex export`` wrote (offline builds).

``{type: convex-export, path: export.zip}`` reads the export's ``versions`` and ``threads`` tables and, for
binary files, its ``_storage`` folder (export with ``--include-file-storage``), through the same version
conversion, build cache and validator as the ``convex`` source: a ZIP is read again only when it changed, and a
version whose ``sha256`` differs from the one an earlier export had under the same id is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, clipped, shown
from mkdocs_hybrid.model.files import stat_signature
from mkdocs_hybrid.sources._convex_docs import cache_folder, ingest, mirrored_listing
from mkdocs_hybrid.sources._convex_mirror import Mirror, PageWrite, mirror_path
from mkdocs_hybrid.sources._convex_zip import ExportZip, ExportZipError
from mkdocs_hybrid.sources._validate import parse_json, stat_file
from mkdocs_hybrid.sources.kind import PATH_KEYS, Listed, Reading, SourceConfig, Watch
from mkdocs_hybrid.sources.snapshot_json import max_snapshot_json_bytes

if TYPE_CHECKING:
    from mkdocs_hybrid.config.manifest import BuildOptions, Manifest, SourceSection
    from mkdocs_hybrid.sources.kind import SaveTarget

__all__ = ["CONVEX_EXPORT", "ConvexExportKind"]

BATCH = 500
"""Versions written to the build cache per transaction."""


class ConvexExportKind:
    """``{type: convex-export, path: FILE.zip}``."""

    name = "convex-export"
    keys = PATH_KEYS
    default_target = False

    def parse(self, section: SourceSection) -> SourceConfig:
        raw_path, path = section.path()
        if section.kind_of(path) != "a file":
            raise section.error(f"{section.where}.path {shown(raw_path)} is not a file ({clipped(str(path))}); "
                                "name the ZIP npx convex export wrote")
        return SourceConfig(type=self.name, path=path)

    def listing(self, source: SourceConfig, reading: Reading) -> Iterator[Listed]:
        where = str(source.path)
        mirror = Mirror(mirror_path(cache_folder(reading), self.name, where))
        try:
            read_export(source, mirror, reading.limits)
        except HybridError as exc:
            reading.errors.append(SnapshotError(str(exc)))
        except OSError as exc:
            reading.errors.append(SnapshotError(f"{where}: cannot read the export ({exc.strerror})"))
        try:
            yield from mirrored_listing(mirror, where, reading)
        finally:
            mirror.close()

    def watch(self, source: SourceConfig) -> list[Watch]:
        return [Watch(source.path, recursive=False)]

    def target(self, source: SourceConfig, manifest: Manifest) -> SaveTarget | None:
        return None


CONVEX_EXPORT = ConvexExportKind()


def read_export(source: SourceConfig, mirror: Mirror, limits: BuildOptions) -> bool:
    """Read the export into the mirror unless this very file was read already; whether it was read now."""
    where = str(source.path)
    stat = stat_file(where, str(source.path.parent))
    if stat is None:
        raise HybridError(f"{where}: the export is gone; export again with npx convex export or fix the path")
    signature, _ = stat_signature([("", stat)])
    if mirror.state("zip") == signature:
        return False
    line_limit = max_snapshot_json_bytes(limits)
    with ExportZip(source.path) as export:
        if not export.has("versions/documents.jsonl"):
            raise export.error("has no versions table (versions/documents.jsonl)")
        threads = PageWrite()
        for line in export.documents_safely("threads", line_limit):
            doc = _document(line, export.error)
            if isinstance(doc.get("thread"), str):
                # Its metadata without the owner's identity, which the build never needs
                threads.threads[doc["thread"]] = json.dumps(
                    {key: value for key, value in doc.items() if not key.startswith("_") and key != "owner"})
        mirror.write(threads, {})
        known = mirror.known()
        write = PageWrite()
        for line in export.documents_safely("versions", line_limit):
            ingest(_document(line, export.error), known, write,
                   lambda entry, limit: export.stored_file(_storage_id(entry), limit), limits, where)
            if len(write.versions) + len(write.refused) >= BATCH:
                mirror.write(write, {})
                write = PageWrite()
        mirror.write(write, {"zip": signature})
    return True


def _document(line: bytes, error: Callable[[str], ExportZipError]) -> dict[str, Any]:
    try:
        doc = parse_json(line)
    except SnapshotError as exc:
        raise error(f"a document is {exc.detail}") from None
    if not isinstance(doc, dict):
        raise error(f"a document is {shown(doc)}, not an object")
    return doc


def _storage_id(entry: Mapping[str, Any]) -> str:
    storage_id = entry.get("storageId")
    if not isinstance(storage_id, str) or not storage_id.isalnum():
        raise ValueError(f"names no stored file ({shown(storage_id)})")
    return storage_id
