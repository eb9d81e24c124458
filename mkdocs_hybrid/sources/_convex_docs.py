"""Convex version documents as snapshot documents, and the build cache's copy of a deployment as a listing.

Both Convex kinds (the live deployment and ``npx convex export``'s ZIP) read the same version documents
(``convex/schema.ts``): :func:`ingest` turns each into the snapshot document the one validator
(:func:`~mkdocs_hybrid.sources.snapshot_json.parse_snapshot_json`) reads, and keeps it in the source's
:class:`~mkdocs_hybrid.sources._convex_mirror.Mirror`; :func:`mirrored_listing` lists what the mirror holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, clipped, shown
from mkdocs_hybrid.model.problems import Problems
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT, Snapshot, Thread, check_id
from mkdocs_hybrid.sources._convex_mirror import Mirror, MirrorReader, PageWrite, document_files
from mkdocs_hybrid.sources._validate import Where, as_error, field, flag, optional_text, tags
from mkdocs_hybrid.sources.kind import Listed, Reading
from mkdocs_hybrid.sources.snapshot_json import parse_snapshot_json

if TYPE_CHECKING:
    from mkdocs_hybrid.config.manifest import BuildOptions

__all__ = ["Fetch", "VersionProblem", "cache_folder", "canonical_sha256", "ingest", "mirrored_listing"]

THREAD_INFO = "threadInfo"
"""Where a ``listForBuild`` item carries its thread's metadata (``title``, ``description``, ``tags``,
``latest``, ``unlisted``), or ``null``."""

Fetch = Callable[[Mapping[str, Any], int], bytes]
"""A binary file's bytes from its Convex file document (at most the given number of bytes)."""


class VersionProblem(ValueError):
    """One version cannot be kept (malformed, or its bytes do not match its sha256): refused, the others go on."""


def cache_folder(reading: Reading) -> Path:
    """The build cache folder (where the source index lives)."""
    index = reading.index.path
    return index.parent if index is not None else Path(".cache")


def ingest(item: object, known: dict[tuple[str, str], str], write: PageWrite, fetch: Fetch, limits: BuildOptions,
           where: str) -> None:
    """Keep one version document in ``write`` (new), skip it (kept already, same sha256) or refuse it (a changed
    version, a malformed one); ``known`` is updated. ``where`` names the deployment or export in messages."""
    if not isinstance(item, dict) or not isinstance(item.get("thread"), str) or not isinstance(
            item.get("version"), str):
        raise HybridError(f"{where}: malformed version document {shown(item)}: no thread and version ids")
    thread, version = item["thread"], item["version"]
    sha = item.get("sha256")
    if not isinstance(sha, str) or not sha:
        write.refused.append((thread, version, "", f"{where}: the version document has no sha256"))
        return
    kept = known.get((thread, version))
    if kept == sha:
        return
    if canonical_sha256(item) != sha:
        write.refused.append((thread, version, sha, (
            f"{where}: its contents do not match its sha256 ({clipped(sha, 16)}): the document was changed after "
            "it was saved; save the change as a new version")))
        return
    if kept is not None:
        write.refused.append((thread, version, sha, (
            f"changed under its id in {where} (sha256 {clipped(sha, 16)}, was {kept[:16]}): published versions "
            "never change, so the first one is kept; save the change as a new version")))
        return
    try:
        document, blobs = _snapshot_document(item, fetch, limits)
        text = _json_text(document, "the version")
        info = _json_text(item[THREAD_INFO], "threadInfo") if isinstance(item.get(THREAD_INFO), dict) else None
    except VersionProblem as exc:
        write.refused.append((thread, version, sha, f"{where}: {exc}"))
        return
    known[thread, version] = sha
    write.versions.append((thread, version, sha, text))
    write.blobs.update(blobs)
    if info is not None:
        write.threads[thread] = info


def _json_text(value: object, what: str) -> str:
    """``value`` as JSON for the build cache; a Convex value JSON cannot hold (``$bytes`` where text goes, a
    NaN) refuses the version."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise VersionProblem(f"{what} holds a value that is not JSON text or a finite number") from None


def canonical_sha256(item: Mapping[str, Any]) -> str:
    """The sha256 ``versions:save`` gave the version (``canonical`` in ``convex/versions.ts``): of the
    JSON of its format, ids, title, entry, files (text, or a stored file's sha256, size and type) and
    dependencies, in that order without whitespace (what ``JSON.stringify`` writes)."""
    files = item.get("files")
    listed = [{key: _js_number(entry.get(key)) for key in (("path", "text") if "text" in entry else (
        "path", "sha256", "size", "contentType"))} for entry in files if isinstance(entry, dict)
              ] if isinstance(files, list) else files
    document = {"format": SNAPSHOT_FORMAT, "thread": item.get("thread"), "version": item.get("version"),
                "title": item.get("title"), "entry": item.get("entry"), "files": listed,
                "dependencies": item.get("dependencies")}
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    except (ValueError, TypeError, UnicodeEncodeError):
        return ""  # not what a save writes: it matches no sha256


def _js_number(value: object) -> object:
    """A number as ``JSON.stringify`` writes it: Convex numbers are float64, and a backend may send ``1024.0``
    where the function hashed ``1024``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _snapshot_document(item: Mapping[str, Any], fetch: Fetch, limits: BuildOptions
                       ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The snapshot JSON of a version document (binary files apart, by sha256) and the binary files' bytes."""
    files: dict[str, str] = {}
    binary: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    raw_files = item.get("files")
    if not isinstance(raw_files, list):
        raise VersionProblem('"files" must be a list of {path, text} or {path, storageId, sha256}')
    if len(raw_files) > limits.max_files:
        raise VersionProblem(f"snapshot has {len(raw_files)} files, over the limit of {limits.max_files}")
    for entry in raw_files:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or path in files or path in binary:
            raise VersionProblem(f"files: {shown(entry)} has no path or repeats one")
        if isinstance(entry.get("text"), str):
            files[path] = entry["text"]
        else:
            binary[path], data = _binary_file(path, entry, fetch, limits)
            blobs[binary[path]] = data
            # Stop downloading once the snapshot is past its limit (the validator would refuse it anyway)
            if sum(len(blob) for blob in blobs.values()) > limits.max_snapshot_bytes:
                raise VersionProblem(f"snapshot exceeds {limits.max_snapshot_bytes:,} bytes "
                                     "(build.max_snapshot_bytes)")
    snapshot = {"format": SNAPSHOT_FORMAT, "thread": item["thread"], "version": item["version"],
                "title": item.get("title"), "entry": item.get("entry") or None, "created": _created(item),
                "author": item.get("authorName"), "unlisted": item.get("unlisted", False), "files": files,
                "dependencies": _dependencies(item.get("dependencies"))}
    return {"snapshot": snapshot, "binary": binary}, blobs


def _binary_file(path: str, entry: Mapping[str, Any], fetch: Fetch, limits: BuildOptions) -> tuple[str, bytes]:
    sha = entry.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        raise VersionProblem(f"files[{shown(path)}] has neither text nor a stored file with its sha256")
    try:
        data = fetch(entry, limits.max_file_bytes)
    except ValueError as exc:
        raise VersionProblem(f"files[{shown(path)}] {exc}") from None
    if hashlib.sha256(data).hexdigest() != sha.lower():
        raise VersionProblem(f"files[{shown(path)}]: the stored bytes do not match its sha256 ({clipped(sha, 16)}); "
                             "the file was replaced or damaged in storage: save the version again as a new one")
    return sha.lower(), data


def _created(item: Mapping[str, Any]) -> object:
    """``created`` in ms since the epoch (Convex's time) as the ISO 8601 the snapshot format takes."""
    created = item.get("created", item.get("_creationTime"))
    if isinstance(created, (int, float)) and not isinstance(created, bool):
        try:
            return datetime.fromtimestamp(created / 1000, tz=timezone.utc).isoformat()
        except (OverflowError, ValueError, OSError):
            raise VersionProblem(f"created {shown(created)} is not a time in ms") from None
    return created


def _dependencies(value: object) -> object:
    """``[{name, spec}]`` (Convex record keys cannot be every package name) as ``{name: spec}``; the validator
    judges them."""
    if value is None or isinstance(value, dict):
        return value or {}
    if not isinstance(value, list):
        raise VersionProblem('"dependencies" must be a list of {name, spec}')
    found: dict[str, object] = {}
    for entry in value:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or name in found:
            raise VersionProblem(f"dependencies: {shown(entry)} has no name or repeats one")
        found[name] = entry.get("spec")
    return found


def mirrored_listing(mirror: Mirror, where: str, reading: Reading) -> Iterator[Listed]:
    """Every version the mirror keeps (with its refusals and threads): read through the source index by its
    sha256, so an unchanged one is never parsed again."""
    try:
        threads, refusals, versions = mirror.threads(), mirror.refusals(), mirror.versions()
    except HybridError as exc:
        reading.errors.append(SnapshotError(str(exc)))
        return
    for thread, meta in sorted(threads.items()):
        if reading.owns(thread):
            _add_thread(thread, meta, where, reading)
    for thread, version, problem in refusals:
        if reading.owns(thread):
            reading.errors.append(SnapshotError(problem, thread=thread, version=version))
    for row in versions:
        if not reading.owns(row.thread):
            continue
        origin = f"{where}#{row.thread}/{row.version}"
        reader = MirrorReader(str(mirror.path), origin, row.thread, row.version)
        yield Listed(origin, row.sha256, 0, reader,
                     partial(read_mirrored, mirror, origin, row.thread, row.version, reading.limits),
                     dependencies_origin=origin, thread=row.thread, version=row.version)


def read_mirrored(mirror: Mirror, origin: str, thread: str, version: str, limits: BuildOptions) -> Snapshot:
    """One kept version, validated as a snapshot JSON file is (its binary files allowed)."""
    found = mirror.document(thread, version)
    if found is None:
        raise SnapshotError("no longer in the build cache; rerun the build", thread=thread, version=version,
                            path=origin)
    document, blobs = found
    data = {**document["snapshot"], "files": document_files(document, blobs)}
    snapshot = parse_snapshot_json(data, limits, origin, binary=True)
    if (snapshot.thread, snapshot.version) != (thread, version):
        raise SnapshotError(f"the document is {snapshot.ref}, not the row's id", thread=thread, version=version,
                            path=origin)
    return snapshot


def _add_thread(thread: str, meta: Mapping[str, Any], where: str, reading: Reading) -> None:
    origin = f"{where}#{thread}"
    at = Where(thread=thread, path=origin)
    problems = Problems()
    latest = meta.get("latest")
    if latest is not None:
        latest = problems.check(lambda: field(lambda: check_id(latest, "version"), "latest", **at), None)
    found = Thread(id=thread, origin=origin,
                   title=problems.check(lambda: optional_text(meta, "title", **at), None),
                   description=problems.check(lambda: optional_text(meta, "description", **at), None),
                   tags=problems.check(lambda: tags(meta, **at), ()), latest=latest,
                   unlisted=problems.check(lambda: flag(meta, "unlisted", **at), False))
    try:
        problems.raise_any()
    except HybridError as exc:
        reading.errors.append(as_error(exc, **at))
        return
    reading.threads.setdefault(thread, found)
