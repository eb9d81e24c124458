"""Read snapshots from sources: a directory tree or a folder of snapshot JSON files.

Each source yields :class:`Snapshot` objects and collects a
:class:`SnapshotError` for every snapshot (or thread) it cannot read, so one
broken snapshot never stops the others. Nothing here executes snapshot code.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from mkdocs_hybrid.errors import SnapshotError
from mkdocs_hybrid.manifest import BuildOptions, Manifest, SourceConfig, unknown_keys, yaml_problem
from mkdocs_hybrid.snapshot import (
    ENTRY_EXTENSIONS,
    Snapshot,
    Thread,
    check_id,
    check_relative_path,
    detect_entry,
    parse_created,
)

SNAPSHOT_FORMAT = "mkdocs-hybrid/snapshot@1"
THREAD_KEYS = {"title", "description", "tags", "latest", "unlisted"}
SNAPSHOT_YML_KEYS = {"title", "entry", "created", "author", "tags", "video", "unlisted"}
SNAPSHOT_JSON_KEYS = {"format", "thread", "version", "title", "entry", "created", "author", "tags",
                      "unlisted", "files", "dependencies"}
METADATA_FILES = {"snapshot.yml", "package.json"}
SKIPPED_NAMES = {"node_modules", "package-lock.json"}
NPM_NAME = r"(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*"
BAD_SPEC_PREFIXES = ("file:", "link:", "git", "http:", "https:", "github:", "npm:", "workspace:", "portal:")


@dataclass
class Scan:
    """Everything the sources hold: threads, snapshots, and what could not be read."""

    threads: dict[str, Thread] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[SnapshotError] = field(default_factory=list)


def scan_sources(manifest: Manifest) -> Scan:
    """Read every source of the manifest; duplicates across sources are errors."""
    scan = Scan()
    seen: dict[tuple[str, str], str] = {}
    for source in manifest.sources:
        for item in _read_source(source, manifest.build, scan):
            key = (item.thread, item.version)
            if key in seen:
                scan.errors.append(SnapshotError(
                    f"duplicate version: also defined in {seen[key]}; give one of them a new version id",
                    thread=item.thread, version=item.version, path=item.origin))
                continue
            seen[key] = item.origin
            scan.snapshots.append(item)
    _check_pins(scan)
    scan.snapshots.sort(key=lambda s: (s.thread, s.version))
    return scan


def _read_source(source: SourceConfig, limits: BuildOptions, scan: Scan) -> Iterable[Snapshot]:
    if source.type == "directory":
        return _read_directory(source.path, limits, scan)
    return _read_json_folder(source.path, limits, scan)


# -- directory source --------------------------------------------------------------------------


def _read_directory(root: Path, limits: BuildOptions, scan: Scan) -> Iterable[Snapshot]:
    for thread_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            thread_id = check_id(thread_dir.name, "thread")
            thread = _read_thread_yml(thread_dir, thread_id)
        except (ValueError, SnapshotError) as exc:
            scan.errors.append(_as_error(exc, thread=thread_dir.name, path=str(thread_dir)))
            continue
        scan.threads.setdefault(thread_id, thread)
        for version_dir in sorted(p for p in thread_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                yield _read_version_dir(version_dir, thread, limits)
            except (ValueError, SnapshotError) as exc:
                scan.errors.append(_as_error(exc, thread=thread_id, version=version_dir.name, path=str(version_dir)))


def _read_thread_yml(thread_dir: Path, thread_id: str) -> Thread:
    path = thread_dir / "thread.yml"
    data = _load_yaml(path, thread=thread_id) if path.is_file() else {}
    where = dict(thread=thread_id, path=str(path))
    _reject_unknown(data, THREAD_KEYS, **where)
    latest = data.get("latest")
    if latest is not None:
        latest = _field(lambda: check_id(str(latest), "version"), "latest", **where)
    return Thread(
        id=thread_id,
        origin=str(path),
        title=_optional_text(data, "title", **where),
        description=_optional_text(data, "description", **where),
        tags=_tags(data, **where),
        latest=latest,
        unlisted=_flag(data, "unlisted", **where),
    )


def _read_version_dir(version_dir: Path, thread: Thread, limits: BuildOptions) -> Snapshot:
    version = check_id(version_dir.name, "version")
    where = dict(thread=thread.id, version=version)
    files = _read_files(version_dir, limits, **where)
    meta_path = version_dir / "snapshot.yml"
    meta = _load_yaml(meta_path, **where) if meta_path.is_file() else {}
    _reject_unknown(meta, SNAPSHOT_YML_KEYS, path=str(meta_path), **where)
    dependencies = _package_dependencies(version_dir / "package.json", **where)
    video = _optional_text(meta, "video", path=str(meta_path), **where)
    if video is not None:
        _field(lambda: check_relative_path(video), "video", path=str(meta_path), **where)
        if video not in files:
            raise SnapshotError(f"video {video!r} is not a file of this snapshot", path=str(meta_path), **where)
    return _snapshot(thread.id, version, files, meta, dependencies, origin=str(version_dir),
                     meta_origin=str(meta_path), default_title=thread.title, video=video)


def _read_files(folder: Path, limits: BuildOptions, **where: Any) -> dict[str, bytes]:
    """All files of a version folder, refusing anything that leaves it or is too large."""
    files: dict[str, bytes] = {}
    total = 0
    boundary = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d) and _inside(here / d, boundary, **where))
        for name in sorted(filenames):
            path = here / name
            relative = path.relative_to(folder).as_posix()
            if _skipped(name) or relative in METADATA_FILES:
                continue
            _inside(path, boundary, **where)
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise SnapshotError(
                    f"file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit "
                    "(build.max_file_bytes); shrink it or move it out of the snapshot",
                    path=str(path), **where)
            total += size
            if total > limits.max_snapshot_bytes or len(files) >= limits.max_files:
                raise SnapshotError(
                    f"snapshot exceeds {limits.max_snapshot_bytes:,} bytes or {limits.max_files} files "
                    "(build.max_snapshot_bytes / build.max_files)", path=str(folder), **where)
            files[relative] = path.read_bytes()
    return files


def _inside(path: Path, boundary: Path, **where: Any) -> bool:
    """Symlinks are followed only when they stay inside the snapshot folder."""
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(boundary) or not target.exists():
            raise SnapshotError(
                f"symlink points outside the snapshot (to {os.readlink(path)}); copy the file in instead",
                path=str(path), **where)
    return True


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_NAMES


def _package_dependencies(path: Path, **where: Any) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"invalid JSON: {exc}", path=str(path), **where) from None
    if not isinstance(data, dict):
        raise SnapshotError("package.json must be a JSON object", path=str(path), **where)
    return check_dependencies(data.get("dependencies") or {}, path=str(path), **where)


def check_dependencies(value: object, **where: Any) -> dict[str, str]:
    """Validate ``{"name": "version or range or tag"}``; only registry packages are allowed."""
    if not isinstance(value, dict):
        raise SnapshotError('"dependencies" must be an object of {"name": "version"}', **where)
    result: dict[str, str] = {}
    for name, spec in sorted(value.items()):
        if not isinstance(name, str) or not re.fullmatch(NPM_NAME, name) or len(name) > 214:
            raise SnapshotError(f"dependency name {name!r} is not a valid npm package name", **where)
        if not isinstance(spec, str) or not spec.strip() or spec.strip().startswith(BAD_SPEC_PREFIXES) \
                or any(c in spec for c in "\n\r\\"):
            raise SnapshotError(
                f"dependency {name}: {spec!r} is not a registry version, range or tag "
                "(git, file, URL and alias specs are not allowed)", **where)
        result[name] = spec.strip()
    return result


# -- snapshot JSON source ----------------------------------------------------------------------


def _read_json_folder(root: Path, limits: BuildOptions, scan: Scan) -> Iterable[Snapshot]:
    for path in sorted(root.rglob("*.json")):
        if any(_skipped(part) for part in path.relative_to(root).parts):
            continue
        try:
            yield read_snapshot_json(path, limits)
        except (ValueError, SnapshotError) as exc:
            scan.errors.append(_as_error(exc, path=str(path)))


def read_snapshot_json(path: Path, limits: BuildOptions) -> Snapshot:
    """Read one ``mkdocs-hybrid/snapshot@1`` file (what the editor exports)."""
    if path.stat().st_size > limits.max_snapshot_bytes * 2:
        raise SnapshotError(f"file is over {limits.max_snapshot_bytes * 2:,} bytes", path=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"invalid JSON: {exc}", path=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f'not a snapshot file: "format" must be "{SNAPSHOT_FORMAT}"', path=str(path))
    where: dict[str, Any] = dict(path=str(path))
    thread = _field(lambda: check_id(data.get("thread"), "thread"), "thread", **where)
    where["thread"] = thread
    where["version"] = _field(lambda: check_id(data.get("version"), "version"), "version", **where)
    _reject_unknown(data, SNAPSHOT_JSON_KEYS, **where)
    files = _json_files(data.get("files"), limits, **where)
    dependencies = check_dependencies(data.get("dependencies") or {}, **where)
    return _snapshot(thread, where["version"], files, data, dependencies, origin=str(path),
                     meta_origin=str(path), default_title=None, video=None)


def _json_files(value: object, limits: BuildOptions, **where: Any) -> dict[str, bytes]:
    if not isinstance(value, dict) or not value:
        raise SnapshotError('"files" must be a non-empty object of {"path": "contents"}', **where)
    if len(value) > limits.max_files:
        raise SnapshotError(f"snapshot has {len(value)} files, over the limit of {limits.max_files}", **where)
    files: dict[str, bytes] = {}
    for name, contents in sorted(value.items()):
        _field(lambda: check_relative_path(name), "files", **where)
        if not isinstance(contents, str):
            raise SnapshotError(f"files[{name!r}] must be a string", **where)
        data = contents.encode("utf-8")
        if len(data) > limits.max_file_bytes:
            raise SnapshotError(f"files[{name!r}] is {len(data):,} bytes, over the {limits.max_file_bytes:,}-byte "
                                "limit (build.max_file_bytes)", **where)
        files[name] = data
    if sum(len(b) for b in files.values()) > limits.max_snapshot_bytes:
        raise SnapshotError(f"snapshot exceeds {limits.max_snapshot_bytes:,} bytes (build.max_snapshot_bytes)", **where)
    return files


# -- shared ------------------------------------------------------------------------------------


def _snapshot(thread: str, version: str, files: dict[str, bytes], meta: Mapping[str, Any],
              dependencies: dict[str, str], *, origin: str, meta_origin: str, default_title: str | None,
              video: str | None) -> Snapshot:
    where = dict(thread=thread, version=version, path=meta_origin)
    entry = meta.get("entry")
    if entry is None:
        entry = detect_entry(frozenset(files))
        if entry is None:
            raise SnapshotError(
                "no entry file: add index.html, src/index.tsx (or .jsx/.ts/.js) or index.tsx, "
                "or name one with 'entry'", **{**where, "path": origin})
    else:
        entry = _field(lambda: check_relative_path(entry), "entry", **where)
        if entry not in files:
            raise SnapshotError(f"entry {entry!r} is not a file of this snapshot", **where)
    if not entry.endswith(ENTRY_EXTENSIONS):
        raise SnapshotError(f"entry {entry!r} must be .html or a script ({', '.join(ENTRY_EXTENSIONS[1:])})", **where)
    title = _optional_text(meta, "title", **where) or default_title or f"{thread} {version}"
    return Snapshot(
        thread=thread,
        version=version,
        files=files,
        entry=entry,
        title=title,
        origin=origin,
        created=_field(lambda: parse_created(meta.get("created")), "created", **where),
        author=_optional_text(meta, "author", **where),
        tags=_tags(meta, **where),
        dependencies=dependencies,
        unlisted=_flag(meta, "unlisted", **where),
        video=video,
    )


def _check_pins(scan: Scan) -> None:
    versions = {(s.thread, s.version) for s in scan.snapshots}
    for thread in scan.threads.values():
        if thread.latest and (thread.id, thread.latest) not in versions:
            scan.errors.append(SnapshotError(
                f"latest: {thread.latest!r} is not a version of this thread; "
                "fix the pin or remove it to use the newest version", thread=thread.id, path=thread.origin))


def _load_yaml(path: Path, **where: Any) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SnapshotError(f"invalid YAML: {yaml_problem(exc)}", path=str(path), **where) from None
    except UnicodeDecodeError:
        raise SnapshotError("not UTF-8 text", path=str(path), **where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SnapshotError(f"must be a mapping of keys, not {type(data).__name__}", path=str(path), **where)
    return data


def _reject_unknown(data: Mapping[str, Any], allowed: set[str], **where: Any) -> None:
    problem = unknown_keys(data, allowed)
    if problem:
        raise SnapshotError(problem, **where)


def _optional_text(data: Mapping[str, Any], key: str, **where: Any) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SnapshotError(f"{key} must be text, not {type(value).__name__}", **where)
    return value.strip() or None


def _tags(data: Mapping[str, Any], **where: Any) -> tuple[str, ...]:
    value = data.get("tags") or []
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise SnapshotError("tags must be a list of non-empty strings", **where)
    return tuple(dict.fromkeys(t.strip() for t in value))


def _flag(data: Mapping[str, Any], key: str, **where: Any) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise SnapshotError(f"{key} must be true or false", **where)
    return value


def _field(compute: Any, key: str, **where: Any) -> Any:
    """Run a validator and turn its ``ValueError`` into a :class:`SnapshotError` naming the key."""
    try:
        return compute()
    except ValueError as exc:
        raise SnapshotError(f"{key}: {exc}", **where) from None


def _as_error(exc: Exception, **where: Any) -> SnapshotError:
    if isinstance(exc, SnapshotError):
        return exc
    return SnapshotError(str(exc), **where)
